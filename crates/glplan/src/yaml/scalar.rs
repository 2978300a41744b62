//! Psych's scalar resolution: how Ruby's YAML loader types an untagged plain scalar.
//!
//! Psych implements YAML 1.1 resolution with quirks of its own, and GitLab inherits all of them.
//! `yes`/`on`/`off` are booleans, `0755` is octal, `1,000` is 1000, and `1:20` is 4800 because
//! two fields are read as hours and minutes. `1e3` stays a string because a float needs a `.`.
//! An unquoted date or time needs a Ruby class that safe loading forbids. The rules below follow
//! `Psych::ScalarScanner#tokenize` of Psych 4.0.3 (the same code ships in Psych 5), checked
//! against Ruby 3.1 by the differential test in `tests/psych.rs`.

use std::borrow::Cow;

/// A resolved scalar.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    /// `~`, `null`, or the empty string.
    Null,
    /// `true`/`yes`/`on` and `false`/`no`/`off`, in any case.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// An integer outside `i64` (a Ruby Bignum), as its decimal digits with a leading `-` when
    /// negative, which is how Ruby's `Integer#to_s` prints it.
    BigInt(String),
    /// A float.
    Float(f64),
    /// A string, which is the input itself unless the scalar was a binary or a quoted symbol.
    Str(Cow<'a, str>),
    /// A Ruby symbol (`:name`) with its name. GitLab treats a symbol like its name.
    Symbol(&'a str),
    /// A value that needs a Ruby class safe loading does not permit (`Date`, `Time`).
    Disallowed(&'static str),
    /// A value Ruby's `Integer()` or `Float()` rejects while loading, which GitLab reports as
    /// `Invalid YAML syntax`. The string is Ruby's own exception message.
    Invalid(String),
}

/// Resolves an untagged plain scalar as `Psych::ScalarScanner#tokenize` does.
pub(crate) fn tokenize(s: &str) -> Scalar<'_> {
    if s.is_empty() {
        return Scalar::Null;
    }
    if s.contains('\n') {
        return tokenize_multiline(s);
    }

    // Psych first sends everything that starts like a word to a short list of null and boolean
    // spellings. Every numeric form below starts with a digit, `.`, `:`, `+` or `-`, so a
    // scalar starting with anything else can only be null, a boolean or a string.
    let starts_numeric = s
        .as_bytes()
        .first()
        .is_some_and(|b| matches!(b, b'0'..=b'9' | b'.' | b':' | b'+' | b'-'));
    if !starts_numeric {
        return tokenize_word(s);
    }

    if is_time(s) {
        return Scalar::Disallowed("Time");
    }
    if is_date(s) {
        return Scalar::Disallowed("Date");
    }
    if s.eq_ignore_ascii_case(".inf") || s.eq_ignore_ascii_case("+.inf") {
        return Scalar::Float(f64::INFINITY);
    }
    if s.eq_ignore_ascii_case("-.inf") {
        return Scalar::Float(f64::NEG_INFINITY);
    }
    if s.eq_ignore_ascii_case(".nan") {
        return Scalar::Float(f64::NAN);
    }
    if let Some(name) = symbol_name(s) {
        return Scalar::Symbol(name);
    }
    if let Some(value) = sexagesimal(s) {
        return value;
    }
    if let Some(value) = decimal_float(s) {
        return value;
    }
    if let Some(value) = integer(s) {
        return value;
    }
    Scalar::Str(Cow::Borrowed(s))
}

/// Resolves the null and boolean spellings of a one-line scalar. Anything else is a string.
fn tokenize_word(s: &str) -> Scalar<'_> {
    if s == "~" || s.eq_ignore_ascii_case("null") {
        Scalar::Null
    } else if ["yes", "true", "on"]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w))
    {
        Scalar::Bool(true)
    } else if ["no", "false", "off"]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w))
    {
        Scalar::Bool(false)
    } else {
        Scalar::Str(Cow::Borrowed(s))
    }
}

/// Psych's word check on a scalar that contains a line break (only reachable through folded
/// blank lines or a tagged quoted scalar). Ruby's `^` and `$` match at every line, so a short
/// value such as `"on\no"` is `true`. A value longer than five characters is always a string.
fn tokenize_multiline(s: &str) -> Scalar<'_> {
    if s.chars().count() > 5 {
        return Scalar::Str(Cow::Borrowed(s));
    }
    let lines: Vec<&str> = s.split('\n').collect();
    let last = lines.len().saturating_sub(1);
    // `/^[^ytonf~]/i`: some line starts with another character, where an empty line that is
    // followed by a line break starts with that line break.
    let other_start = lines
        .iter()
        .enumerate()
        .any(|(i, line)| match line.chars().next() {
            Some(c) => !matches!(c.to_ascii_lowercase(), 'y' | 't' | 'o' | 'n' | 'f' | '~'),
            None => i < last,
        });
    let any_line = |words: &[&str]| {
        lines
            .iter()
            .any(|line| words.iter().any(|w| line.eq_ignore_ascii_case(w)))
    };
    if other_start {
        Scalar::Str(Cow::Borrowed(s))
    } else if any_line(&["null"]) {
        Scalar::Null
    } else if any_line(&["yes", "true", "on"]) {
        Scalar::Bool(true)
    } else if any_line(&["no", "false", "off"]) {
        Scalar::Bool(false)
    } else {
        Scalar::Str(Cow::Borrowed(s))
    }
}

/// A byte cursor for the hand-written matchers below, which replace Psych's regular
/// expressions.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor {
            bytes: s.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn eat(&mut self, pred: impl Fn(u8) -> bool) -> bool {
        match self.peek() {
            Some(b) if pred(b) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// Consumes up to `max` bytes matching `pred` and returns how many it consumed.
    fn eat_many(&mut self, pred: impl Fn(u8) -> bool, max: usize) -> usize {
        let mut n = 0;
        while n < max && self.eat(&pred) {
            n += 1;
        }
        n
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }
}

fn is_digit(b: u8) -> bool {
    b.is_ascii_digit()
}

/// Ruby's `\s`: space, tab, line feed, vertical tab, form feed, carriage return.
fn is_ruby_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Psych's timestamp pattern:
/// `-?\d{4}-\d{1,2}-\d{1,2}([Tt]|\s+)\d{1,2}:\d\d:\d\d(\.\d*)?(\s*(Z|[-+]\d{1,2}:?(\d\d)?))?`.
fn is_time(s: &str) -> bool {
    let mut c = Cursor::new(s);
    c.eat(|b| b == b'-');
    if c.eat_many(is_digit, 4) != 4 || !c.eat(|b| b == b'-') {
        return false;
    }
    if c.eat_many(is_digit, 2) == 0 || !c.eat(|b| b == b'-') {
        return false;
    }
    if c.eat_many(is_digit, 2) == 0 {
        return false;
    }
    if !c.eat(|b| b == b'T' || b == b't') && c.eat_many(is_ruby_space, usize::MAX) == 0 {
        return false;
    }
    if c.eat_many(is_digit, 2) == 0 || !c.eat(|b| b == b':') {
        return false;
    }
    if c.eat_many(is_digit, 2) != 2 || !c.eat(|b| b == b':') {
        return false;
    }
    if c.eat_many(is_digit, 2) != 2 {
        return false;
    }
    if c.eat(|b| b == b'.') {
        c.eat_many(is_digit, usize::MAX);
    }
    if c.at_end() {
        return true;
    }
    c.eat_many(is_ruby_space, usize::MAX);
    if c.eat(|b| b == b'Z') {
        return c.at_end();
    }
    if !c.eat(|b| b == b'-' || b == b'+') {
        return false;
    }
    is_zone_offset(c.rest())
}

/// `\d{1,2}:?(\d\d)?` spanning the whole input, with the regex's backtracking spelled out.
fn is_zone_offset(rest: &[u8]) -> bool {
    let all_digits = |part: &[u8]| part.iter().all(|b| b.is_ascii_digit());
    match rest.iter().position(|&b| b == b':') {
        None => (1..=4).contains(&rest.len()) && all_digits(rest),
        Some(colon) => {
            let (hours, minutes) = rest.split_at(colon);
            let minutes = minutes.get(1..).unwrap_or_default();
            (1..=2).contains(&hours.len())
                && all_digits(hours)
                && (minutes.is_empty() || (minutes.len() == 2 && all_digits(minutes)))
        }
    }
}

/// Psych's date pattern: `\d{4}-(1[012]|0\d|\d)-([12]\d|3[01]|0\d|\d)`.
fn is_date(s: &str) -> bool {
    let mut parts = s.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let month_ok = match month.as_bytes() {
        [m] => m.is_ascii_digit(),
        [b'0', m] => m.is_ascii_digit(),
        [b'1', m] => matches!(m, b'0'..=b'2'),
        _ => false,
    };
    let day_ok = match day.as_bytes() {
        [d] => d.is_ascii_digit(),
        [b'0' | b'1' | b'2', d] => d.is_ascii_digit(),
        [b'3', d] => matches!(d, b'0' | b'1'),
        _ => false,
    };
    year.len() == 4 && digits(year) && month_ok && day_ok
}

/// Returns the name of a `:symbol`, or of `:"quoted"`, where Psych takes the text up to the
/// last matching quote (ignoring anything after it) and drops one more leading colon.
fn symbol_name(s: &str) -> Option<&str> {
    let rest = s.strip_prefix(':')?;
    let quote = rest.chars().next()?;
    if quote == '"' || quote == '\'' {
        let inner = rest.get(1..).unwrap_or_default();
        if let Some(end) = inner.rfind(quote) {
            let name = inner.get(..end).unwrap_or_default();
            return Some(name.strip_prefix(':').unwrap_or(name));
        }
    }
    Some(rest)
}

/// Base-60 numbers: `[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}` is an integer and the same with a
/// trailing `\.[0-9_]*` is a float. Field `e` is multiplied by `60 ** (e - 2).abs`, so two
/// fields mean hours and minutes (`1:20` is 4800) and three mean hours, minutes and seconds.
fn sexagesimal(s: &str) -> Option<Scalar<'_>> {
    let mut c = Cursor::new(s);
    c.eat(|b| b == b'-' || b == b'+');
    if !c.eat(is_digit) {
        return None;
    }
    c.eat_many(|b| b.is_ascii_digit() || b == b'_', usize::MAX);
    let mut groups = 0;
    while c.eat(|b| b == b':') {
        let digits = c.eat_many(is_digit, 2);
        let group = c.bytes.get(c.pos - digits..c.pos).unwrap_or_default();
        let valid = match group {
            [_] => true,
            [tens, _] => *tens <= b'5',
            _ => false,
        };
        if !valid {
            return None;
        }
        groups += 1;
    }
    if !(1..=2).contains(&groups) {
        return None;
    }
    let fields = s.split(':');
    if c.at_end() {
        return Some(sexagesimal_integer(fields));
    }
    if !c.eat(|b| b == b'.') {
        return None;
    }
    c.eat_many(|b| b.is_ascii_digit() || b == b'_', usize::MAX);
    if !c.at_end() {
        return None;
    }
    let mut total = 0.0;
    for (e, field) in fields.enumerate() {
        total += ruby_to_f(field) * sixty_power(e) as f64;
    }
    Some(Scalar::Float(total))
}

/// `60 ** (e - 2).abs`, the weight of field `e`.
fn sixty_power(e: usize) -> u32 {
    60u32.pow(e.abs_diff(2) as u32)
}

/// Sums the fields of a base-60 integer, each read as Ruby's `String#to_i` does (an optional
/// sign, then digits that may be joined by single underscores, up to the first other
/// character) and weighted by [`sixty_power`]. Only the first field can carry a sign, so
/// `-1:20` is `-3600 + 1200`, and Ruby's result has no size limit.
fn sexagesimal_integer<'a>(fields: impl Iterator<Item = &'a str>) -> Scalar<'a> {
    let mut positive = Magnitude::default();
    let mut negative = Magnitude::default();
    for (e, field) in fields.enumerate() {
        let digits = ruby_digit_prefix(field.trim_start_matches(['-', '+']));
        let mut value = Magnitude::from_digits(&digits, 10);
        value.mul_add(sixty_power(e), 0);
        if field.starts_with('-') {
            negative.add(&value);
        } else {
            positive.add(&value);
        }
    }
    match positive.cmp(&negative) {
        std::cmp::Ordering::Less => {
            negative.sub(&positive);
            integer_scalar(true, &negative)
        }
        _ => {
            positive.sub(&negative);
            integer_scalar(false, &positive)
        }
    }
}

/// Parses a sexagesimal field as Ruby's `String#to_f` does: `ruby_to_i`'s rules plus a
/// fraction.
fn ruby_to_f(field: &str) -> f64 {
    let unsigned = field.trim_start_matches(['-', '+']);
    let whole = ruby_digit_prefix(unsigned);
    let mut text = whole.clone();
    let after = unsigned.get(raw_prefix_len(unsigned)..).unwrap_or_default();
    if let Some(fraction) = after.strip_prefix('.') {
        let fraction = ruby_digit_prefix(fraction);
        if !fraction.is_empty() {
            text.push('.');
            text.push_str(&fraction);
        }
    }
    let value: f64 = text.parse().unwrap_or(0.0);
    if field.starts_with('-') {
        -value
    } else {
        value
    }
}

/// Length in bytes of the leading run of digits joined by single underscores.
fn raw_prefix_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut end = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii_digit() {
            i += 1;
            end = i;
        } else if b == b'_'
            && end == i
            && end > 0
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            i += 1;
        } else {
            break;
        }
    }
    end
}

/// Returns the leading digits joined by single underscores, with the underscores removed.
fn ruby_digit_prefix(s: &str) -> String {
    s.get(..raw_prefix_len(s))
        .unwrap_or_default()
        .replace('_', "")
}

/// Psych's float pattern `[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?`, converted as
/// `Float(s.gsub(/[,_]|\.([Ee]|$)/, '\1'))`. A lone `.` (signed or not) stays a string, and a
/// mantissa without digits (`.e+3`) makes Ruby's `Float()` raise.
fn decimal_float(s: &str) -> Option<Scalar<'_>> {
    let mut c = Cursor::new(s);
    c.eat(|b| b == b'-' || b == b'+');
    if c.eat(is_digit) {
        c.eat_many(|b| b.is_ascii_digit() || b == b'_' || b == b',', usize::MAX);
    }
    if !c.eat(|b| b == b'.') {
        return None;
    }
    c.eat_many(is_digit, usize::MAX);
    if c.eat(|b| b == b'e' || b == b'E')
        && (!c.eat(|b| b == b'-' || b == b'+') || c.eat_many(is_digit, usize::MAX) == 0)
    {
        return None;
    }
    if !c.at_end() {
        return None;
    }
    if matches!(s, "." | "-." | "+.") {
        return Some(Scalar::Str(Cow::Borrowed(s)));
    }

    let mut cleaned = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            ',' | '_' => {}
            '.' if chars.peek().is_none_or(|n| *n == 'e' || *n == 'E') => {}
            _ => cleaned.push(ch),
        }
    }
    let mantissa = cleaned.split(['e', 'E']).next().unwrap_or_default();
    if !mantissa.bytes().any(|b| b.is_ascii_digit()) {
        return Some(Scalar::Invalid(format!(
            "invalid value for Float(): \"{cleaned}\""
        )));
    }
    Some(match cleaned.parse::<f64>() {
        Ok(f) => Scalar::Float(f),
        Err(_) => Scalar::Invalid(format!("invalid value for Float(): \"{cleaned}\"")),
    })
}

/// Psych's integer pattern, with `,` accepted as a separator for backward compatibility:
/// `[-+]?0b[0-1_,]+`, `[-+]?0[0-7_,]+`, `[-+]?(0|[1-9]([0-9]|,[0-9]|_[0-9])*)` or
/// `[-+]?0x[0-9a-fA-F_,]+`, converted by Ruby's `Integer()` after removing `,` and `_`.
fn integer(s: &str) -> Option<Scalar<'_>> {
    let (negative, unsigned) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..).unwrap_or_default()),
        Some(b'+') => (false, s.get(1..).unwrap_or_default()),
        _ => (false, s),
    };
    let separator = |b: u8| b == b'_' || b == b',';
    let all = |part: &str, pred: &dyn Fn(u8) -> bool| !part.is_empty() && part.bytes().all(pred);

    let (radix, digits) = if let Some(bits) = unsigned.strip_prefix("0b") {
        if !all(bits, &|b| matches!(b, b'0' | b'1') || separator(b)) {
            return None;
        }
        (2, bits)
    } else if let Some(hex) = unsigned.strip_prefix("0x") {
        if !all(hex, &|b| b.is_ascii_hexdigit() || separator(b)) {
            return None;
        }
        (16, hex)
    } else if let Some(octal) = unsigned.strip_prefix('0') {
        if octal.is_empty() {
            return Some(Scalar::Int(0));
        }
        if !all(octal, &|b| matches!(b, b'0'..=b'7') || separator(b)) {
            return None;
        }
        (8, octal)
    } else if is_decimal_with_separators(unsigned) {
        (10, unsigned)
    } else {
        return None;
    };

    let cleaned: String = digits.chars().filter(|c| *c != '_' && *c != ',').collect();
    if cleaned.is_empty() {
        if radix == 8 {
            return Some(Scalar::Int(0));
        }
        // `0b_` or `0x,`: the pattern matches but Ruby's `Integer("0b")` raises.
        let prefix = if radix == 2 { "0b" } else { "0x" };
        let sign = s.get(..s.len() - unsigned.len()).unwrap_or_default();
        return Some(Scalar::Invalid(format!(
            "invalid value for Integer(): \"{sign}{prefix}\""
        )));
    }
    if let Ok(n) = i64::from_str_radix(&cleaned, radix)
        && let Some(n) = if negative { n.checked_neg() } else { Some(n) }
    {
        return Some(Scalar::Int(n));
    }
    // Ruby's `Integer()` has no size limit, so a longer value is a Bignum.
    Some(integer_scalar(
        negative,
        &Magnitude::from_digits(&cleaned, radix),
    ))
}

/// Returns the integer with the given sign and magnitude: `Int` when it fits in `i64`, else
/// `BigInt`.
fn integer_scalar<'a>(negative: bool, magnitude: &Magnitude) -> Scalar<'a> {
    let mut text = magnitude.to_decimal();
    if negative && text != "0" {
        text.insert(0, '-');
    }
    match text.parse::<i64>() {
        Ok(n) => Scalar::Int(n),
        Err(_) => Scalar::BigInt(text),
    }
}

/// An unsigned integer of any size, as base-10⁹ limbs with the least significant first and
/// no leading zero limbs. It implements the few operations that Psych's integer forms need:
/// reading digits in base 2, 8, 10 or 16, adding, subtracting and printing in decimal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Magnitude {
    limbs: Vec<u32>,
}

impl Magnitude {
    const BASE: u64 = 1_000_000_000;

    /// Reads `digits` in base `radix`, skipping any character that is not a digit of `radix`.
    fn from_digits(digits: &str, radix: u32) -> Self {
        let mut magnitude = Magnitude::default();
        for digit in digits.chars().filter_map(|c| c.to_digit(radix)) {
            magnitude.mul_add(radix, digit);
        }
        magnitude
    }

    /// Sets `self` to `self * factor + addend`.
    fn mul_add(&mut self, factor: u32, addend: u32) {
        let mut carry = u64::from(addend);
        for limb in &mut self.limbs {
            let value = u64::from(*limb) * u64::from(factor) + carry;
            *limb = (value % Self::BASE) as u32;
            carry = value / Self::BASE;
        }
        while carry > 0 {
            self.limbs.push((carry % Self::BASE) as u32);
            carry /= Self::BASE;
        }
        self.trim();
    }

    fn add(&mut self, other: &Magnitude) {
        let mut carry = 0u64;
        for i in 0..self.limbs.len().max(other.limbs.len()) {
            let left = u64::from(self.limbs.get(i).copied().unwrap_or(0));
            let right = u64::from(other.limbs.get(i).copied().unwrap_or(0));
            let sum = left + right + carry;
            let limb = (sum % Self::BASE) as u32;
            match self.limbs.get_mut(i) {
                Some(slot) => *slot = limb,
                None => self.limbs.push(limb),
            }
            carry = sum / Self::BASE;
        }
        if carry > 0 {
            self.limbs.push(carry as u32);
        }
    }

    /// Sets `self` to `self - other`, which must not be negative.
    fn sub(&mut self, other: &Magnitude) {
        let mut borrow = 0i64;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let right = i64::from(other.limbs.get(i).copied().unwrap_or(0));
            let mut difference = i64::from(*limb) - right - borrow;
            borrow = 0;
            if difference < 0 {
                difference += Self::BASE as i64;
                borrow = 1;
            }
            *limb = difference as u32;
        }
        self.trim();
    }

    fn cmp(&self, other: &Magnitude) -> std::cmp::Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    fn to_decimal(&self) -> String {
        let mut limbs = self.limbs.iter().rev();
        let Some(first) = limbs.next() else {
            return "0".to_owned();
        };
        let mut text = first.to_string();
        for limb in limbs {
            text.push_str(&format!("{limb:09}"));
        }
        text
    }
}

/// `[1-9]([0-9]|,[0-9]|_[0-9])*`: each separator is followed by a digit.
fn is_decimal_with_separators(s: &str) -> bool {
    let bytes = s.as_bytes();
    if !bytes.first().is_some_and(|b| matches!(b, b'1'..=b'9')) {
        return false;
    }
    let mut i = 1;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii_digit() {
            i += 1;
        } else if (b == b'_' || b == b',') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 2;
        } else {
            return false;
        }
    }
    true
}

/// Converts a string as Ruby's `Float(string)` does, for a `!!float` scalar that did not
/// resolve to a number. Surrounding whitespace is allowed, digits may be joined by single
/// underscores, a `.` needs a digit after it, and `0x` starts a hexadecimal integer.
///
/// NOTE: Ruby also accepts hexadecimal floats (`0x1.8p1`), which glplan rejects.
pub(crate) fn ruby_float(s: &str) -> Result<f64, String> {
    let invalid = || format!("invalid value for Float(): {s:?}");
    let trimmed = s.trim_matches(|c: char| c.is_ascii() && is_ruby_space(c as u8) || c == '\0');
    let (negative, unsigned) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, trimmed.get(1..).unwrap_or_default()),
        Some(b'+') => (false, trimmed.get(1..).unwrap_or_default()),
        _ => (false, trimmed),
    };
    let sign = if negative { -1.0 } else { 1.0 };
    if let Some(hex) = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
    {
        let digits = underscored_run(hex, |b| b.is_ascii_hexdigit()).ok_or_else(invalid)?;
        if digits.len() != hex.len() {
            return Err(invalid());
        }
        let value = u128::from_str_radix(&digits.replace('_', ""), 16).map_err(|_| invalid())?;
        return Ok(sign * value as f64);
    }

    let mut text = String::new();
    let mut rest = unsigned;
    if let Some(whole) = underscored_run(rest, |b| b.is_ascii_digit()) {
        text.push_str(&whole.replace('_', ""));
        rest = rest.get(whole.len()..).unwrap_or_default();
    }
    if let Some(after_dot) = rest.strip_prefix('.') {
        let fraction = underscored_run(after_dot, |b| b.is_ascii_digit()).ok_or_else(invalid)?;
        text.push('.');
        text.push_str(&fraction.replace('_', ""));
        rest = after_dot.get(fraction.len()..).unwrap_or_default();
    }
    if text.is_empty() {
        return Err(invalid());
    }
    if let Some(after_e) = rest.strip_prefix(['e', 'E']) {
        let (exp_sign, digits) = match after_e.as_bytes().first() {
            Some(b'-') => ("-", after_e.get(1..).unwrap_or_default()),
            Some(b'+') => ("", after_e.get(1..).unwrap_or_default()),
            _ => ("", after_e),
        };
        let exponent = underscored_run(digits, |b| b.is_ascii_digit()).ok_or_else(invalid)?;
        text.push('e');
        text.push_str(exp_sign);
        text.push_str(&exponent.replace('_', ""));
        rest = digits.get(exponent.len()..).unwrap_or_default();
    }
    if !rest.is_empty() {
        return Err(invalid());
    }
    let value: f64 = text.parse().map_err(|_| invalid())?;
    Ok(sign * value)
}

/// Returns the leading run of bytes matching `pred`, where single underscores may join two.
/// `None` when the input does not start with a matching byte.
fn underscored_run(s: &str, pred: impl Fn(u8) -> bool) -> Option<&str> {
    let bytes = s.as_bytes();
    if !bytes.first().is_some_and(|&b| pred(b)) {
        return None;
    }
    let mut end = 1;
    let mut i = 1;
    while let Some(&b) = bytes.get(i) {
        if pred(b) {
            i += 1;
            end = i;
        } else if b == b'_' && end == i && bytes.get(i + 1).is_some_and(|&n| pred(n)) {
            i += 1;
        } else {
            break;
        }
    }
    s.get(..end)
}

/// Decodes base64 as Ruby's lenient `String#unpack1("m")` does for `!!binary`: bytes outside
/// the alphabet are skipped, `=` ends the input, and a trailing group of two or three
/// characters yields one or two bytes.
pub(crate) fn decode_base64_lenient(text: &str) -> Vec<u8> {
    fn sextet(b: u8) -> Option<u8> {
        match b {
            b'A'..=b'Z' => Some(b - b'A'),
            b'a'..=b'z' => Some(b - b'a' + 26),
            b'0'..=b'9' => Some(b - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }

    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    let mut i = 0;
    // Finds the next alphabet byte. For the third and fourth character of a group an `=`
    // stops the search (and the decoding), as in Ruby.
    let next = |stop_at_padding: bool, i: &mut usize| -> Option<u8> {
        while let Some(&b) = bytes.get(*i) {
            if let Some(v) = sextet(b) {
                *i += 1;
                return Some(v);
            }
            if stop_at_padding && b == b'=' {
                return None;
            }
            *i += 1;
        }
        None
    };
    while let Some(a) = next(false, &mut i) {
        let Some(b) = next(false, &mut i) else { break };
        let Some(c) = next(true, &mut i) else {
            out.push(a << 2 | b >> 4);
            break;
        };
        let Some(d) = next(true, &mut i) else {
            out.push(a << 2 | b >> 4);
            out.push(b << 4 | c >> 2);
            break;
        };
        out.push(a << 2 | b >> 4);
        out.push(b << 4 | c >> 2);
        out.push(c << 6 | d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Scalar<'_> {
        Scalar::Str(Cow::Borrowed(v))
    }

    fn big(digits: &str) -> Scalar<'static> {
        Scalar::BigInt(digits.to_owned())
    }

    #[test]
    fn tokenize_table() {
        let cases: Vec<(&str, Scalar)> = vec![
            ("", Scalar::Null),
            ("~", Scalar::Null),
            ("null", Scalar::Null),
            ("NULL", Scalar::Null),
            ("nUll", Scalar::Null),
            ("nil", s("nil")),
            ("true", Scalar::Bool(true)),
            ("True", Scalar::Bool(true)),
            ("yes", Scalar::Bool(true)),
            ("YES", Scalar::Bool(true)),
            ("on", Scalar::Bool(true)),
            ("On", Scalar::Bool(true)),
            ("false", Scalar::Bool(false)),
            ("no", Scalar::Bool(false)),
            ("off", Scalar::Bool(false)),
            ("Off", Scalar::Bool(false)),
            ("y", s("y")),
            ("n", s("n")),
            ("yess", s("yess")),
            ("12", Scalar::Int(12)),
            ("-12", Scalar::Int(-12)),
            ("+12", Scalar::Int(12)),
            ("0", Scalar::Int(0)),
            ("-0", Scalar::Int(0)),
            ("00", Scalar::Int(0)),
            ("012345", Scalar::Int(5349)),
            ("0755", Scalar::Int(493)),
            ("-0755", Scalar::Int(-493)),
            ("08", s("08")),
            ("09", s("09")),
            ("0o17", s("0o17")),
            ("0x1F", Scalar::Int(31)),
            ("+0x1F", Scalar::Int(31)),
            ("0x1_F", Scalar::Int(31)),
            ("0b101", Scalar::Int(5)),
            ("-0b101", Scalar::Int(-5)),
            ("0b", s("0b")),
            ("0x", s("0x")),
            ("1_000", Scalar::Int(1000)),
            ("1,000", Scalar::Int(1000)),
            ("1,0,0", Scalar::Int(100)),
            ("1,,0", s("1,,0")),
            ("1__000", s("1__000")),
            ("1_", s("1_")),
            ("0,1", Scalar::Int(1)),
            ("0_7", Scalar::Int(7)),
            ("9223372036854775807", Scalar::Int(i64::MAX)),
            ("-9223372036854775808", Scalar::Int(i64::MIN)),
            ("9223372036854775808", big("9223372036854775808")),
            ("-9223372036854775809", big("-9223372036854775809")),
            ("99999999999999999999", big("99999999999999999999")),
            (
                "123_456_789_012_345_678_901_234_567_890",
                big("123456789012345678901234567890"),
            ),
            (
                "+1,000,000,000,000,000,000,000",
                big("1000000000000000000000"),
            ),
            ("0xFFFFFFFFFFFFFFFF", big("18446744073709551615")),
            ("-0x1_0000_0000_0000_0000", big("-18446744073709551616")),
            ("0x7FFFFFFFFFFFFFFF", Scalar::Int(i64::MAX)),
            ("-0x8000000000000000", Scalar::Int(i64::MIN)),
            (
                "0b1_0000000000000000000000000000000000000000000000000000000000000000",
                big("18446744073709551616"),
            ),
            ("01777777777777777777777", big("18446744073709551615")),
            ("-02000000000000000000000", big("-18446744073709551616")),
            ("0000000000000000000000000000000000017", Scalar::Int(15)),
            ("2562047788015215:30:07", Scalar::Int(i64::MAX)),
            ("2562047788015215:30:08", big("9223372036854775808")),
            ("-2562047788015215:30:08", Scalar::Int(-9223372036854772192)),
            ("-2562047788015216:00", big("-9223372036854777600")),
            ("99999999999999999999:00", big("359999999999999999996400")),
            (
                "-99999999999999999999:00:00",
                big("-359999999999999999996400"),
            ),
            ("-1:59:59", Scalar::Int(-3600 + 59 * 60 + 59)),
            ("1:20", Scalar::Int(4800)),
            ("1:20:30", Scalar::Int(4830)),
            ("-1:20", Scalar::Int(-2400)),
            ("1:70", s("1:70")),
            ("0:05", Scalar::Int(300)),
            ("12:30:45", Scalar::Int(45045)),
            ("1_0:20", Scalar::Int(37200)),
            ("1__0:20", Scalar::Int(4800)),
            ("1:2:3:4", s("1:2:3:4")),
            ("1:20.5", Scalar::Float(4830.0)),
            ("1.10", Scalar::Float(1.1)),
            ("1.0e+3", Scalar::Float(1000.0)),
            ("1.e+3", Scalar::Float(1000.0)),
            ("1e3", s("1e3")),
            ("1.0e3", s("1.0e3")),
            ("1.5e3", s("1.5e3")),
            (".5", Scalar::Float(0.5)),
            ("-.5", Scalar::Float(-0.5)),
            ("0.", Scalar::Float(0.0)),
            ("1_0.5", Scalar::Float(10.5)),
            ("1,000.5", Scalar::Float(1000.5)),
            ("._5", s("._5")),
            (".", s(".")),
            ("-.", s("-.")),
            ("1.2.3", s("1.2.3")),
            (".inf", Scalar::Float(f64::INFINITY)),
            (".Inf", Scalar::Float(f64::INFINITY)),
            ("+.inf", Scalar::Float(f64::INFINITY)),
            ("-.INF", Scalar::Float(f64::NEG_INFINITY)),
            ("1.0e+400", Scalar::Float(f64::INFINITY)),
            (":name", Scalar::Symbol("name")),
            (":\"a b\"", Scalar::Symbol("a b")),
            (":\"a\"xyz", Scalar::Symbol("a")),
            (":'::x'", Scalar::Symbol(":x")),
            (":", s(":")),
            ("2021-03-15", Scalar::Disallowed("Date")),
            ("2021-02-30", Scalar::Disallowed("Date")),
            ("2021-3-5", Scalar::Disallowed("Date")),
            ("2021-13-01", s("2021-13-01")),
            ("2001-12-14t21:59:43.10-05:00", Scalar::Disallowed("Time")),
            ("2001-12-14 21:59:43.10 -5", Scalar::Disallowed("Time")),
            ("2001-12-14T21:59:43Z", Scalar::Disallowed("Time")),
            ("2001-12-14T21:59:43+0530", Scalar::Disallowed("Time")),
            ("2001-12-14T21:59:43+05:3", s("2001-12-14T21:59:43+05:3")),
            ("1.2.3-alpine", s("1.2.3-alpine")),
            ("-", s("-")),
            ("+", s("+")),
            ("a:1", s("a:1")),
            ("echo on", s("echo on")),
        ];
        for (input, expected) in cases {
            assert_eq!(tokenize(input), expected, "tokenize({input:?})");
        }
    }

    #[test]
    fn magnitude_arithmetic() {
        let mut value = Magnitude::from_digits("999999999999999999", 10);
        value.add(&Magnitude::from_digits("1", 10));
        assert_eq!(value.to_decimal(), "1000000000000000000");
        value.sub(&Magnitude::from_digits("1", 10));
        assert_eq!(value.to_decimal(), "999999999999999999");
        value.sub(&value.clone());
        assert_eq!(value.to_decimal(), "0");
        assert_eq!(Magnitude::from_digits("ff", 16).to_decimal(), "255");
        assert_eq!(Magnitude::from_digits("", 10).to_decimal(), "0");
    }

    #[test]
    fn tokenize_nan() {
        assert!(matches!(tokenize(".nan"), Scalar::Float(f) if f.is_nan()));
        assert!(matches!(tokenize(".NaN"), Scalar::Float(f) if f.is_nan()));
    }

    #[test]
    fn tokenize_invalid_numbers() {
        assert_eq!(
            tokenize(".e+3"),
            Scalar::Invalid("invalid value for Float(): \"e+3\"".into())
        );
        assert_eq!(
            tokenize("0x_"),
            Scalar::Invalid("invalid value for Integer(): \"0x\"".into())
        );
        assert_eq!(
            tokenize("-0b,"),
            Scalar::Invalid("invalid value for Integer(): \"-0b\"".into())
        );
    }

    #[test]
    fn tokenize_multiline_words() {
        assert_eq!(tokenize("on\no"), Scalar::Bool(true));
        assert_eq!(tokenize("y\nx"), s("y\nx"));
        assert_eq!(tokenize("no\n"), Scalar::Bool(false));
        assert_eq!(tokenize("n\n\nno"), s("n\n\nno"));
        assert_eq!(tokenize("true\nx"), s("true\nx"));
    }

    #[test]
    fn ruby_float_table() {
        let ok = [
            (".5", 0.5),
            (" 1.5 ", 1.5),
            ("1_0.5", 10.5),
            ("0x1A", 26.0),
            ("1e3", 1000.0),
            ("1E+3", 1000.0),
            ("+.5", 0.5),
            ("-5", -5.0),
            ("010", 10.0),
            ("1.5e3_0", 1.5e30),
            ("0_1", 1.0),
        ];
        for (input, expected) in ok {
            assert_eq!(ruby_float(input), Ok(expected), "Float({input:?})");
        }
        for input in [
            "1.", "1__0.5", "1_", "_1", "0b11", "0o17", "1.5_", "Infinity", "1e", "0x", "  ", "abc",
        ] {
            assert!(ruby_float(input).is_err(), "Float({input:?}) should fail");
        }
    }

    #[test]
    fn base64_lenient() {
        let cases = [
            ("aGVsbG8=", "hello"),
            ("aGVsbG8", "hello"),
            ("YWJj\nZGVm", "abcdef"),
            ("a===b", "i"),
            ("YW=Jj", "a"),
            ("Y", ""),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(
                decode_base64_lenient(input),
                expected.as_bytes(),
                "{input:?}"
            );
        }
    }
}
