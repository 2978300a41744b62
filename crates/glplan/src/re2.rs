//! Regular expressions with RE2's syntax and semantics, on top of the `regex` crate.
//!
//! GitLab compiles every user-supplied regular expression with RE2: `/pattern/flags` in
//! `rules:if`, `only`/`except` refs and `spec:inputs:regex`. The `regex` crate has the same
//! linear-time guarantee and almost the same syntax, but it disagrees with RE2 in places that
//! change results, so [`translate`] rewrites an RE2 pattern into an equivalent `regex` pattern
//! and rejects every pattern RE2 rejects:
//!
//! - `\d`, `\s`, `\w` and POSIX classes are ASCII in RE2, so they become explicit ASCII
//!   classes; `\s` is `[\t\n\f\r ]` without `\v`. `\b` and `\B` become `(?-u:\b)` and
//!   `(?-u:\B)`. Case-insensitive matching stays Unicode-aware, as in RE2: `(?i)\w` matches the
//!   Kelvin sign because `k` folds to it.
//! - `\Q...\E` becomes escaped literals, octal escapes (`\0`, `\12`, `\101`) become `\x{..}`,
//!   and `\C` (any byte) becomes "any character".
//! - Counted repetitions above 1000, nested counted repetitions whose product exceeds 1000,
//!   stacked repetition operators (`a**`, `a{2}{3}`), lookaround, backreferences, `\Z`, `\u`,
//!   `(?x)` and Unicode class names RE2 does not know (`\p{Letter}`, `\p{greek}`) are rejected
//!   with RE2's error text.
//! - `\pC` excludes unassigned code points, as in RE2.
//! - Literal braces that are not a repetition (`a{,5}`, `a{01}`) stay literal.
//!
//! Some differences remain, and the differential test against RE2 lists them:
//!
//! - `\C` matches one character here, where RE2 matches one byte.
//! - Nesting deeper than the `regex` crate's limit of 250 groups fails to compile.
//! - The two engines limit program size differently (both within RE2's default 8 MiB budget),
//!   so a very large pattern can compile in one and fail in the other.
//! - Unicode tables follow the `regex` crate's Unicode version, which is newer than RE2's.

use std::fmt;
use std::sync::OnceLock;

/// Largest count RE2 accepts in `{n}`, `{n,}` and `{n,m}`. RE2 also rejects nested counted
/// repetitions whose counts multiply to more than this.
const MAX_REPEAT: u64 = 1000;

/// RE2 stops reading a repetition count once it reaches this value; `a{1000000000}` is then a
/// literal, not a repetition.
const MAX_REPEAT_DIGITS_VALUE: u64 = 100_000_000;

/// Deepest group nesting the `regex` crate compiles (its default nest limit). RE2 has no such
/// limit.
const MAX_NESTING: usize = 250;

/// Most Unicode classes (`\pL`, `\p{Greek}`) a pattern may use. The `regex` crate expands
/// each into its ranges before it checks the size limit, about 7 kB for `\pL`, so 100,000 `\pL`
/// took about 700 MB before failing to compile. google-re2 1.1.20251105 accepts at most 446
/// `\pL`, 1,980 `\pN` and 7,060 `\p{Greek}`.
///
/// NOTE: this bound is glplan's, and rejects patterns of more than 10,000 small classes that RE2
/// accepts (it takes 200,000 `\p{Ogham}`).
const MAX_UNICODE_CLASSES: usize = 10_000;

/// Largest Unicode code point.
const MAX_RUNE: u32 = 0x10_FFFF;

/// A class that matches nothing. RE2 accepts surrogate code points (`\x{D800}`), which can
/// never occur in UTF-8 text; the `regex` crate rejects them, so they become this.
const NEVER_MATCH: &str = r"[^\x{0}-\x{10FFFF}]";

/// A class that matches any character.
const ANY_CHAR: &str = r"[\x{0}-\x{10FFFF}]";

/// Unicode script names RE2 accepts in `\p{...}`, exactly as spelled, because RE2 compares names
/// case-sensitively and accepts no aliases. The list is what google-re2 1.1.20251105 accepts; it
/// rejects the scripts added in Unicode 16 (`Garay`, `Todhri`, ...).
const SCRIPTS: &[&str] = &[
    "Adlam",
    "Ahom",
    "Anatolian_Hieroglyphs",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Bassa_Vah",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Canadian_Aboriginal",
    "Carian",
    "Caucasian_Albanian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cypro_Minoan",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dives_Akuru",
    "Dogra",
    "Duployan",
    "Egyptian_Hieroglyphs",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gunjala_Gondi",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hanifi_Rohingya",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Imperial_Aramaic",
    "Inherited",
    "Inscriptional_Pahlavi",
    "Inscriptional_Parthian",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kayah_Li",
    "Kharoshthi",
    "Khitan_Small_Script",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Linear_A",
    "Linear_B",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Masaram_Gondi",
    "Medefaidrin",
    "Meetei_Mayek",
    "Mende_Kikakui",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nag_Mundari",
    "Nandinagari",
    "New_Tai_Lue",
    "Newa",
    "Nko",
    "Nushu",
    "Nyiakeng_Puachue_Hmong",
    "Ogham",
    "Ol_Chiki",
    "Old_Hungarian",
    "Old_Italic",
    "Old_North_Arabian",
    "Old_Permic",
    "Old_Persian",
    "Old_Sogdian",
    "Old_South_Arabian",
    "Old_Turkic",
    "Old_Uyghur",
    "Oriya",
    "Osage",
    "Osmanya",
    "Pahawh_Hmong",
    "Palmyrene",
    "Pau_Cin_Hau",
    "Phags_Pa",
    "Phoenician",
    "Psalter_Pahlavi",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "SignWriting",
    "Sinhala",
    "Sogdian",
    "Sora_Sompeng",
    "Soyombo",
    "Sundanese",
    "Syloti_Nagri",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Tai_Le",
    "Tai_Tham",
    "Tai_Viet",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Toto",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Warang_Citi",
    "Yezidi",
    "Yi",
    "Zanabazar_Square",
];

/// General categories RE2 accepts in `\p{...}` and `\pX`.
const GENERAL_CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N",
    "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
    "Z", "Zl", "Zp", "Zs",
];

/// Kind of error RE2 reports for a rejected pattern, with RE2's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An unknown escape such as `\e`, `\Z`, `\1` or `\x{110000}`.
    InvalidEscape,
    /// An unknown class name (`[[:foo:]]`, `\p{Letter}`) or a range whose end precedes its start.
    InvalidCharRange,
    /// A `[` without its `]`.
    MissingBracket,
    /// A `(` without its `)`.
    MissingParen,
    /// A `)` without its `(`.
    UnexpectedParen,
    /// The pattern ends with a single `\`.
    TrailingBackslash,
    /// A repetition operator with nothing to repeat (`*a`, `a|*`).
    RepeatArgument,
    /// A count above 1000, a range `{n,m}` with `m < n`, or nested counts whose product exceeds
    /// 1000.
    RepeatSize,
    /// Two repetition operators in a row (`a**`, `a*+`, `a{2}{3}`).
    RepeatOp,
    /// An unsupported `(?` group: lookaround, `(?P=name)`, unknown flags.
    PerlOperator,
    /// An empty or malformed capture group name.
    NamedCapture,
    /// The compiled program exceeds the size limit.
    TooLarge,
    /// RE2 accepts the pattern but the `regex` crate cannot compile its translation, for
    /// example because it nests groups deeper than 250 levels.
    Unsupported,
}

impl ErrorKind {
    fn text(self) -> &'static str {
        match self {
            ErrorKind::InvalidEscape => "invalid escape sequence",
            ErrorKind::InvalidCharRange => "invalid character class range",
            ErrorKind::MissingBracket => "missing ]",
            ErrorKind::MissingParen => "missing )",
            ErrorKind::UnexpectedParen => "unexpected )",
            ErrorKind::TrailingBackslash => "trailing \\",
            ErrorKind::RepeatArgument => "no argument for repetition operator",
            ErrorKind::RepeatSize => "invalid repetition size",
            ErrorKind::RepeatOp => "bad repetition operator",
            ErrorKind::PerlOperator => "invalid perl operator",
            ErrorKind::NamedCapture => "invalid named capture group",
            ErrorKind::TooLarge => "pattern too large - compile failed",
            ErrorKind::Unsupported => "pattern not supported by the regex engine",
        }
    }
}

/// A pattern that RE2 would reject, or that glplan cannot compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    arg: String,
}

impl Error {
    fn new(kind: ErrorKind, arg: impl Into<String>) -> Self {
        Error {
            kind,
            arg: arg.into(),
        }
    }

    /// Returns the kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Returns the part of the pattern RE2 quotes in its message, which may be empty.
    pub fn arg(&self) -> &str {
        &self.arg
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.arg.is_empty() {
            f.write_str(self.kind.text())
        } else {
            write!(f, "{}: {}", self.kind.text(), self.arg)
        }
    }
}

impl std::error::Error for Error {}

/// Compiles a pattern written for RE2 (GitLab's regex engine), returning RE2's error text when
/// RE2 would reject it. Matching with the result is an unanchored search, as RE2's. Its groups
/// do not capture.
///
/// [`Regex::is_match`] is closer to RE2 for patterns with `\B`, so use [`Regex::new`] where
/// that matters.
pub fn compile(pattern: &str) -> Result<regex::Regex, String> {
    Regex::new(pattern)
        .map(|r| r.regex)
        .map_err(|e| e.to_string())
}

/// A pattern compiled with RE2's syntax and matching rules, for finding whether it matches.
#[derive(Debug, Clone)]
pub struct Regex {
    /// The translation, with every group non-capturing.
    regex: regex::Regex,
    /// Capture groups in the pattern.
    captures: usize,
    /// Whether the pattern matches the empty string between two bytes of one multi-byte
    /// character. RE2 searches bytes and neither byte is an ASCII word character, so `\B` is
    /// true there and RE2 finds `\B` in `aéb`. The `regex` crate never reports a match inside
    /// a character.
    matches_inside_characters: bool,
}

impl Regex {
    /// Compiles an RE2 pattern, or returns the error RE2 would report.
    pub fn new(pattern: &str) -> Result<Self, Error> {
        let (translated, captures) = translate_for_matching(pattern)?;
        let regex = compile_translation(&translated)?;
        let matches_inside_characters = translated.contains(r"(?-u:\B)")
            && compile_translation(&format!(r"\A\x{{1}}(?:{translated})\x{{1}}\z"))
                .is_ok_and(|inside| inside.is_match("\u{1}\u{1}"));
        Ok(Regex {
            regex,
            captures,
            matches_inside_characters,
        })
    }

    /// Checks whether an unanchored search finds a match in `text`, as RE2's would.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text) || (self.matches_inside_characters && !text.is_ascii())
    }

    /// Returns the number of capture groups of the pattern, counting the implicit group of the
    /// whole match.
    pub fn captures_len(&self) -> usize {
        self.captures + 1
    }
}

/// RE2's default memory budget (`RE2::Options::max_mem`), which GitLab's `UntrustedRegexp`
/// keeps: it creates its `RE2::Regexp` with no `max_mem` option.
const RE2_MAX_MEM: usize = 8 << 20;

/// Compiles a translation within budgets modelled on RE2's, which rejects a program larger than
/// its budget with "pattern too large - compile failed". The NFA may take all of RE2's
/// `max_mem` and a lazy DFA a third of it (RE2 gives its DFAs what the program leaves).
///
/// NOTE: the same budget accepts less here, probably because the `regex` crate's NFA takes more
/// bytes per state than RE2's program. It accepts `(a|aa)*` repeated 25,000 times but not
/// 30,000, and `\pL` 300 times but not 350. google-re2 1.1.20251105 accepts 99,855 and 446.
fn compile_translation(translated: &str) -> Result<regex::Regex, Error> {
    regex::RegexBuilder::new(translated)
        .size_limit(RE2_MAX_MEM)
        .dfa_size_limit(RE2_MAX_MEM / 3)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => Error::new(ErrorKind::TooLarge, ""),
            other => Error::new(ErrorKind::Unsupported, other.to_string()),
        })
}

/// Rewrites an RE2 pattern into `regex` crate syntax with the same meaning, or returns the
/// error RE2 would report.
pub fn translate(pattern: &str) -> Result<String, Error> {
    Translator::new(pattern, "(").run()
}

/// Translates like [`translate`], but writes every capture group as a non-capturing group, and
/// returns how many capture groups the pattern has.
///
/// Only the match itself is ever needed. The `regex` crate's PikeVM keeps a slot for every
/// capture group in every NFA state, so a pattern with thousands of groups would need memory
/// that grows with the square of its length: a 70 kB pattern took gigabytes.
fn translate_for_matching(pattern: &str) -> Result<(String, usize), Error> {
    let mut translator = Translator::new(pattern, "(?:");
    translator.translate()?;
    Ok((translator.out, translator.captures))
}

/// Way a finished atom in the output takes a repetition operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AtomKind {
    /// A literal, class or group: the operator can follow it directly.
    Plain,
    /// An assertion or an atom that already has an operator: it must be wrapped in `(?:...)`
    /// first, because the `regex` crate rejects `a**` and `^*` where RE2 accepts the
    /// equivalent `a*\Q\E*` and `^*`.
    NeedsGroup,
}

/// The last complete atom of the current group, which a following repetition operator applies
/// to.
#[derive(Debug, Clone, Copy)]
struct Atom {
    /// Byte offset of the atom's translation in the output.
    out_start: usize,
    kind: AtomKind,
    /// Largest product of nested counted repetitions inside the atom (1 when there are none).
    product: u64,
    /// Times the atom was wrapped in `(?:...)` to take another operator.
    wraps: usize,
}

/// An open group.
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// Byte offset of the group's `(` in the output.
    out_start: usize,
    /// Largest product of nested counted repetitions seen so far inside the group.
    max_product: u64,
}

/// A single pass over the pattern that mirrors RE2's parser (`re2/parse.cc`): the same token
/// order, the same error checks in the same order, and an output written as it goes.
struct Translator<'p> {
    pattern: &'p str,
    pos: usize,
    out: String,
    /// Open groups; the first entry is the whole pattern.
    frames: Vec<Frame>,
    last: Option<Atom>,
    /// Start of the repetition operator read in the previous step, since RE2 rejects two in a
    /// row.
    previous_repeat: Option<usize>,
    /// Flag groups such as `(?i)` not yet written. They are written just before the next atom,
    /// so that wrapping the previous atom in `(?:...)` never moves a flag change inside it.
    pending_flags: String,
    /// What a capture group opens with: `(`, or `(?:` when captures are dropped.
    capture_open: &'static str,
    /// Capture groups seen so far.
    captures: usize,
    /// Unicode classes seen so far.
    unicode_classes: usize,
}

impl<'p> Translator<'p> {
    fn new(pattern: &'p str, capture_open: &'static str) -> Self {
        Translator {
            pattern,
            pos: 0,
            out: String::with_capacity(pattern.len() * 2),
            frames: vec![Frame {
                out_start: 0,
                max_product: 1,
            }],
            last: None,
            previous_repeat: None,
            pending_flags: String::new(),
            capture_open,
            captures: 0,
            unicode_classes: 0,
        }
    }

    fn rest(&self) -> &'p str {
        self.pattern.get(self.pos..).unwrap_or_default()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn text_from(&self, start: usize) -> &'p str {
        self.pattern.get(start..self.pos).unwrap_or_default()
    }

    fn run(mut self) -> Result<String, Error> {
        self.translate()?;
        Ok(self.out)
    }

    /// Translates the whole pattern into `out`.
    fn translate(&mut self) -> Result<(), Error> {
        while let Some(c) = self.peek() {
            let previous_repeat = self.previous_repeat.take();
            match c {
                '(' => self.open_group()?,
                ')' => self.close_group()?,
                '|' => {
                    self.bump();
                    self.out.push('|');
                    self.last = None;
                }
                '[' => self.class()?,
                '*' | '+' | '?' => self.repeat_operator(previous_repeat)?,
                '{' => self.counted_repeat(previous_repeat)?,
                '.' => {
                    self.bump();
                    self.push_atom(".", AtomKind::Plain);
                }
                '^' | '$' => {
                    self.bump();
                    self.push_atom(if c == '^' { "^" } else { "$" }, AtomKind::NeedsGroup);
                }
                '\\' => self.escape()?,
                _ => {
                    self.bump();
                    self.push_literal(u32::from(c));
                }
            }
        }
        if self.frames.len() > 1 {
            return Err(Error::new(ErrorKind::MissingParen, self.pattern));
        }
        // RE2 reports syntax errors first and the size when it compiles.
        if self.unicode_classes > MAX_UNICODE_CLASSES {
            return Err(Error::new(ErrorKind::TooLarge, ""));
        }
        Ok(())
    }

    fn push_atom(&mut self, text: &str, kind: AtomKind) {
        self.flush_flags();
        let out_start = self.out.len();
        self.out.push_str(text);
        self.last = Some(Atom {
            out_start,
            kind,
            product: 1,
            wraps: 0,
        });
    }

    fn push_literal(&mut self, code: u32) {
        let mut text = String::new();
        write_literal(&mut text, code);
        self.push_atom(&text, AtomKind::Plain);
    }

    fn flush_flags(&mut self) {
        if !self.pending_flags.is_empty() {
            self.out.push_str(&self.pending_flags);
            self.pending_flags.clear();
        }
    }

    fn note_product(&mut self, product: u64) {
        if let Some(frame) = self.frames.last_mut() {
            frame.max_product = frame.max_product.max(product);
        }
    }

    /// Applies a repetition operator, already written as `regex` syntax in `operator`, to the
    /// last atom. `count` is RE2's divisor for counted repetitions (the maximum, or the minimum
    /// for `{n,}`) and `None` for `*`, `+` and `?`.
    fn apply_repeat(
        &mut self,
        operator: &str,
        count: Option<u64>,
        op_text: &str,
    ) -> Result<(), Error> {
        let Some(mut atom) = self.last else {
            return Err(Error::new(ErrorKind::RepeatArgument, op_text));
        };
        if let Some(count) = count {
            // RE2 divides 1000 by each nested count along the tree and fails when the quotient
            // reaches zero, which is the same as the product of the counts exceeding 1000.
            atom.product = atom.product.saturating_mul(count.max(1));
            if atom.product > MAX_REPEAT {
                return Err(Error::new(ErrorKind::RepeatSize, op_text));
            }
        }
        if atom.kind == AtomKind::NeedsGroup {
            // Each wrap nests one level deeper and moves the atom in the output, so stop where
            // the `regex` crate would reject the nesting anyway.
            atom.wraps += 1;
            if atom.wraps > MAX_NESTING {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("groups nested deeper than {MAX_NESTING} levels"),
                ));
            }
            self.out.insert_str(atom.out_start, "(?:");
            self.out.push(')');
        }
        self.out.push_str(operator);
        atom.kind = AtomKind::NeedsGroup;
        self.last = Some(atom);
        self.note_product(atom.product);
        Ok(())
    }

    fn repeat_operator(&mut self, previous_repeat: Option<usize>) -> Result<(), Error> {
        let start = self.pos;
        let mut operator = String::new();
        if let Some(c) = self.bump() {
            operator.push(c);
        }
        if self.peek() == Some('?') {
            self.bump();
            operator.push('?');
        }
        if let Some(previous) = previous_repeat {
            return Err(Error::new(ErrorKind::RepeatOp, self.text_from(previous)));
        }
        self.apply_repeat(&operator, None, self.text_from(start))?;
        self.previous_repeat = Some(start);
        Ok(())
    }

    fn counted_repeat(&mut self, previous_repeat: Option<usize>) -> Result<(), Error> {
        let start = self.pos;
        let Some((min, max, len)) = parse_repeat(self.rest()) else {
            // Not a valid `{n,m}`: RE2 reads the brace as a literal.
            self.bump();
            self.push_literal(u32::from('{'));
            return Ok(());
        };
        self.pos += len;
        let lazy = self.peek() == Some('?');
        if lazy {
            self.bump();
        }

        // RE2 checks stacked operators first, then the counts, then the operand.
        if let Some(previous) = previous_repeat {
            return Err(Error::new(ErrorKind::RepeatOp, self.text_from(previous)));
        }
        let op_text = self.text_from(start);
        let too_large = min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT);
        if too_large || max.is_some_and(|m| m < min) {
            return Err(Error::new(ErrorKind::RepeatSize, op_text));
        }

        let mut operator = match max {
            Some(m) if m == min => format!("{{{min}}}"),
            Some(m) => format!("{{{min},{m}}}"),
            None => format!("{{{min},}}"),
        };
        if lazy {
            operator.push('?');
        }
        self.apply_repeat(&operator, Some(max.unwrap_or(min)), op_text)?;
        self.previous_repeat = Some(start);
        Ok(())
    }

    fn open_group(&mut self) -> Result<(), Error> {
        let start = self.pos;
        let rest = self.rest();
        if !rest.starts_with("(?") {
            self.bump();
            return self.push_capture_group();
        }
        let bytes = rest.as_bytes();
        let third = bytes.get(2).copied();
        let fourth = bytes.get(3).copied();

        // Lookahead and lookbehind.
        if bytes.len() > 3
            && (matches!(third, Some(b'=' | b'!'))
                || (third == Some(b'<') && matches!(fourth, Some(b'=' | b'!'))))
        {
            let len = if third == Some(b'<') { 4 } else { 3 };
            return Err(Error::new(
                ErrorKind::PerlOperator,
                rest.get(..len).unwrap_or(rest),
            ));
        }

        // Named groups, `(?P<name>` and `(?<name>`.
        if (bytes.len() > 4 && third == Some(b'P') && fourth == Some(b'<'))
            || (bytes.len() > 3 && third == Some(b'<'))
        {
            let name_start = if third == Some(b'P') { 4 } else { 3 };
            let Some(end) = rest.get(2..).and_then(|r| r.find('>')).map(|i| i + 2) else {
                return Err(Error::new(ErrorKind::NamedCapture, rest));
            };
            let capture = rest.get(..=end).unwrap_or(rest);
            let name = rest.get(name_start..end).unwrap_or_default();
            if !is_valid_capture_name(name) {
                return Err(Error::new(ErrorKind::NamedCapture, capture));
            }
            self.pos += end + 1;
            // Names do not change what matches, and the `regex` crate's rules for names are
            // stricter than RE2's (RE2 accepts `(?P<1>x)`), so the group is written unnamed.
            return self.push_capture_group();
        }

        // Flags: `(?flags)` or `(?flags:...)`.
        self.pos += 2;
        let mut settings: Vec<(char, bool)> = Vec::new();
        let mut negated = false;
        let mut saw_flag = false;
        let opens_group = loop {
            let Some(c) = self.bump() else {
                return Err(Error::new(ErrorKind::PerlOperator, self.text_from(start)));
            };
            match c {
                'i' | 'm' | 's' | 'U' => {
                    saw_flag = true;
                    settings.push((c, !negated));
                }
                '-' if !negated => {
                    negated = true;
                    saw_flag = false;
                }
                ':' => break true,
                ')' => break false,
                _ => return Err(Error::new(ErrorKind::PerlOperator, self.text_from(start))),
            }
        };
        if negated && !saw_flag {
            return Err(Error::new(ErrorKind::PerlOperator, self.text_from(start)));
        }
        let flags = normalize_flags(&settings);
        if opens_group {
            let open = if flags.is_empty() {
                "(?:".to_owned()
            } else {
                format!("(?{flags}:")
            };
            self.push_group(&open)?;
        } else if !flags.is_empty() {
            self.pending_flags.push_str(&format!("(?{flags})"));
        }
        Ok(())
    }

    fn push_capture_group(&mut self) -> Result<(), Error> {
        self.captures += 1;
        self.push_group(self.capture_open)
    }

    fn push_group(&mut self, open: &str) -> Result<(), Error> {
        // The `regex` crate rejects deeper nesting anyway. Stopping here also bounds the cost of
        // wrapping repeated groups in `(?:...)` to 250 times the pattern length.
        if self.frames.len() > MAX_NESTING {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("groups nested deeper than {MAX_NESTING} levels"),
            ));
        }
        self.flush_flags();
        self.frames.push(Frame {
            out_start: self.out.len(),
            max_product: 1,
        });
        self.out.push_str(open);
        self.last = None;
        Ok(())
    }

    fn close_group(&mut self) -> Result<(), Error> {
        if self.frames.len() <= 1 {
            return Err(Error::new(ErrorKind::UnexpectedParen, self.pattern));
        }
        self.bump();
        let Some(frame) = self.frames.pop() else {
            return Err(Error::new(ErrorKind::UnexpectedParen, self.pattern));
        };
        // A flag change at the end of a group ends with the group.
        self.pending_flags.clear();
        self.out.push(')');
        self.last = Some(Atom {
            out_start: frame.out_start,
            kind: AtomKind::Plain,
            product: frame.max_product,
            wraps: 0,
        });
        self.note_product(frame.max_product);
        Ok(())
    }

    fn escape(&mut self) -> Result<(), Error> {
        let start = self.pos;
        match self.peek_second() {
            Some('b') => {
                self.pos += 2;
                self.push_atom(r"(?-u:\b)", AtomKind::NeedsGroup);
            }
            Some('B') => {
                self.pos += 2;
                self.push_atom(r"(?-u:\B)", AtomKind::NeedsGroup);
            }
            Some('A') => {
                self.pos += 2;
                self.push_atom(r"\A", AtomKind::NeedsGroup);
            }
            Some('z') => {
                self.pos += 2;
                self.push_atom(r"\z", AtomKind::NeedsGroup);
            }
            Some('C') => {
                // NOTE: RE2's `\C` matches one byte, even inside a multi-byte character; the
                // `regex` crate cannot split characters, so this matches one character.
                self.pos += 2;
                self.push_atom("(?s:.)", AtomKind::Plain);
            }
            Some('Q') => {
                self.pos += 2;
                self.quoted_literals();
            }
            Some('p' | 'P') => {
                let class = self.unicode_class()?;
                self.push_atom(&class, AtomKind::Plain);
            }
            second => match second.and_then(perl_class) {
                Some(class) => {
                    self.pos += 2;
                    self.push_atom(class, AtomKind::Plain);
                }
                None => {
                    let code = self.parse_escape(start)?;
                    self.push_literal(code);
                }
            },
        }
        Ok(())
    }

    /// Reads the literals of `\Q...\E` (the `\Q` already consumed). Each character is an atom
    /// of its own, so `\Qab\E*` repeats only `b`, as in RE2.
    fn quoted_literals(&mut self) {
        while !self.rest().is_empty() {
            if self.rest().starts_with(r"\E") {
                self.pos += 2;
                break;
            }
            if let Some(c) = self.bump() {
                self.push_literal(u32::from(c));
            }
        }
    }

    /// Parses `\pX`, `\p{Name}`, `\p{^Name}` and the `\P` forms, returning the class as
    /// `regex` syntax usable both on its own and inside brackets.
    fn unicode_class(&mut self) -> Result<String, Error> {
        let start = self.pos;
        self.pos += 1;
        let mut negated = self.bump() == Some('P');
        let name = match self.bump() {
            None => {
                return Err(Error::new(
                    ErrorKind::InvalidCharRange,
                    self.text_from(start),
                ));
            }
            Some('{') => {
                let Some(close) = self.rest().find('}') else {
                    return Err(Error::new(
                        ErrorKind::InvalidCharRange,
                        self.rest_from(start),
                    ));
                };
                let name = self.rest().get(..close).unwrap_or_default();
                self.pos += close + 1;
                name
            }
            Some(_) => {
                let len = self
                    .text_from(start)
                    .chars()
                    .last()
                    .map_or(0, char::len_utf8);
                self.pattern
                    .get(self.pos - len..self.pos)
                    .unwrap_or_default()
            }
        };
        let name = match name.strip_prefix('^') {
            Some(stripped) => {
                negated = !negated;
                stripped
            }
            None => name,
        };
        let syntax = unicode_class_syntax(name, negated)
            .ok_or_else(|| Error::new(ErrorKind::InvalidCharRange, self.text_from(start)))?;
        self.unicode_classes += 1;
        Ok(syntax)
    }

    fn rest_from(&self, start: usize) -> &'p str {
        self.pattern.get(start..).unwrap_or_default()
    }

    /// Parses an escape that stands for one character (RE2's `ParseEscape`): octal, `\x`
    /// hexadecimal, `\a \f \n \r \t \v` and escaped ASCII punctuation. Returns the code point,
    /// which may be a surrogate.
    fn parse_escape(&mut self, start: usize) -> Result<u32, Error> {
        self.bump();
        let Some(c) = self.bump() else {
            return Err(Error::new(ErrorKind::TrailingBackslash, ""));
        };
        let bad = |t: &Self| Error::new(ErrorKind::InvalidEscape, t.text_from(start));
        match c {
            '1'..='7' | '0' => {
                // A lone `\1`..`\7` would be a backreference, which RE2 does not support.
                if c != '0' && !self.peek().is_some_and(|d| matches!(d, '0'..='7')) {
                    return Err(bad(self));
                }
                let mut code = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(digit) => {
                            self.bump();
                            code = code * 8 + digit;
                        }
                        None => break,
                    }
                }
                Ok(code)
            }
            'x' => self.parse_hex_escape(start),
            'n' => Ok(0x0A),
            'r' => Ok(0x0D),
            't' => Ok(0x09),
            'a' => Ok(0x07),
            'f' => Ok(0x0C),
            'v' => Ok(0x0B),
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok(u32::from(c)),
            _ => Err(bad(self)),
        }
    }

    fn parse_hex_escape(&mut self, start: usize) -> Result<u32, Error> {
        let bad = |t: &Self| Error::new(ErrorKind::InvalidEscape, t.text_from(start));
        let Some(first) = self.bump() else {
            return Err(bad(self));
        };
        if first != '{' {
            let second = self.bump();
            return match (first.to_digit(16), second.and_then(|s| s.to_digit(16))) {
                (Some(high), Some(low)) => Ok(high * 16 + low),
                _ => Err(bad(self)),
            };
        }
        let mut code: u32 = 0;
        let mut digits = 0;
        loop {
            let Some(c) = self.bump() else {
                return Err(bad(self));
            };
            match c.to_digit(16) {
                Some(digit) => {
                    digits += 1;
                    code = code.saturating_mul(16).saturating_add(digit);
                    if code > MAX_RUNE {
                        return Err(bad(self));
                    }
                }
                None if c == '}' && digits > 0 => return Ok(code),
                None => return Err(bad(self)),
            }
        }
    }

    /// Parses a bracket expression (RE2's `ParseCharClass`).
    fn class(&mut self) -> Result<(), Error> {
        let start = self.pos;
        self.bump();
        let negated = self.peek() == Some('^');
        if negated {
            self.bump();
        }
        let mut items = String::new();
        let mut first = true;
        loop {
            match self.peek() {
                None => {
                    return Err(Error::new(ErrorKind::MissingBracket, self.rest_from(start)));
                }
                Some(']') if !first => break,
                Some(_) => {}
            }
            first = false;
            let rest = self.rest();

            // `[:alpha:]` and `[:^alpha:]`. RE2 looks for the closing `:]` anywhere further
            // on, so `[[:a]b:]]` is an error rather than a class containing `[`.
            if rest.len() > 2
                && rest.starts_with("[:")
                && let Some(close) = rest.get(2..).and_then(|r| r.find(":]"))
            {
                let name = rest.get(..close + 4).unwrap_or(rest);
                let Some(class) = posix_class(name) else {
                    return Err(Error::new(ErrorKind::InvalidCharRange, name));
                };
                self.pos += name.len();
                items.push_str(&class);
                continue;
            }
            if rest.len() > 2 && (rest.starts_with(r"\p") || rest.starts_with(r"\P")) {
                let class = self.unicode_class()?;
                items.push_str(&class);
                continue;
            }
            if rest.starts_with('\\')
                && let Some(class) = self.peek_second().and_then(perl_class)
            {
                self.pos += 2;
                items.push_str(class);
                continue;
            }

            let item_start = self.pos;
            let low = self.class_char(start)?;
            let rest = self.rest();
            let high = if rest.starts_with('-') && !rest.starts_with("-]") && rest.len() >= 2 {
                self.bump();
                let high = self.class_char(start)?;
                if high < low {
                    return Err(Error::new(
                        ErrorKind::InvalidCharRange,
                        self.text_from(item_start),
                    ));
                }
                high
            } else {
                low
            };
            write_class_range(&mut items, low, high);
        }
        self.bump();

        let text = class_syntax(negated, &items);
        self.push_atom(&text, AtomKind::Plain);
        Ok(())
    }

    /// Reads one character of a class: a literal or an escape.
    fn class_char(&mut self, class_start: usize) -> Result<u32, Error> {
        match self.peek() {
            None => Err(Error::new(
                ErrorKind::MissingBracket,
                self.rest_from(class_start),
            )),
            Some('\\') => {
                let start = self.pos;
                self.parse_escape(start)
            }
            Some(c) => {
                self.bump();
                Ok(u32::from(c))
            }
        }
    }
}

/// Parses `{n}`, `{n,}` or `{n,m}` at the start of `text` as RE2 does, returning the minimum,
/// the maximum (`None` for no upper bound) and the length read. Anything else is not a
/// repetition.
fn parse_repeat(text: &str) -> Option<(u64, Option<u64>, usize)> {
    let rest = text.strip_prefix('{')?;
    let (min, rest) = parse_repeat_integer(rest)?;
    let (max, rest) = match rest.strip_prefix(',') {
        Some(after) if after.starts_with('}') => (None, after),
        Some(after) => {
            let (max, after) = parse_repeat_integer(after)?;
            (Some(max), after)
        }
        None => (Some(min), rest),
    };
    let rest = rest.strip_prefix('}')?;
    Some((min, max, text.len() - rest.len()))
}

/// Reads a decimal count: no leading zeros, and the digits stop counting once the value reaches
/// 100,000,000, which makes the brace a literal.
fn parse_repeat_integer(text: &str) -> Option<(u64, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || (digits >= 2 && text.starts_with('0')) {
        return None;
    }
    let mut value: u64 = 0;
    for b in text.bytes().take(digits) {
        if value >= MAX_REPEAT_DIGITS_VALUE {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
    }
    Some((value, text.get(digits..).unwrap_or_default()))
}

/// Keeps the last setting of each flag, in RE2's order, and writes them as `i-s`.
fn normalize_flags(settings: &[(char, bool)]) -> String {
    let mut on = String::new();
    let mut off = String::new();
    for flag in ['i', 'm', 's', 'U'] {
        match settings.iter().rev().find(|(c, _)| *c == flag) {
            Some((_, true)) => on.push(flag),
            Some((_, false)) => off.push(flag),
            None => {}
        }
    }
    if off.is_empty() {
        on
    } else {
        format!("{on}-{off}")
    }
}

/// RE2 accepts capture names made of letters, combining marks, decimal and letter numbers and
/// connector punctuation, in any order (a name may start with a digit).
fn is_valid_capture_name(name: &str) -> bool {
    static NAME: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let pattern = NAME.get_or_init(|| {
        regex::Regex::new(r"\A[\p{Lu}\p{Ll}\p{Lt}\p{Lm}\p{Lo}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]+\z")
            .ok()
    });
    pattern.as_ref().is_some_and(|p| p.is_match(name))
}

/// Returns the ASCII class RE2 gives `\d`, `\D`, `\s`, `\S`, `\w` and `\W`.
fn perl_class(letter: char) -> Option<&'static str> {
    Some(match letter {
        'd' => "[0-9]",
        'D' => "[^0-9]",
        's' => r"[\t\n\x{C}\r ]",
        'S' => r"[^\t\n\x{C}\r ]",
        'w' => "[0-9A-Za-z_]",
        'W' => "[^0-9A-Za-z_]",
        _ => return None,
    })
}

/// Returns the class for a POSIX name such as `[:alpha:]` or `[:^space:]`, as RE2 defines them
/// (ASCII only).
fn posix_class(name: &str) -> Option<String> {
    let inner = name.strip_prefix("[:")?.strip_suffix(":]")?;
    let (negated, inner) = match inner.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let body = match inner {
        "alnum" => "0-9A-Za-z",
        "alpha" => "A-Za-z",
        "ascii" => r"\x{0}-\x{7F}",
        "blank" => r"\t ",
        "cntrl" => r"\x{0}-\x{1F}\x{7F}",
        "digit" => "0-9",
        "graph" => r"!-\x{7E}",
        "lower" => "a-z",
        "print" => r" -\x{7E}",
        "punct" => r"!-/:-@\[-`\{-\x{7E}",
        "space" => r"\t-\r ",
        "upper" => "A-Z",
        "word" => "0-9A-Za-z_",
        "xdigit" => "0-9A-Fa-f",
        _ => return None,
    };
    Some(if negated {
        format!("[^{body}]")
    } else {
        format!("[{body}]")
    })
}

/// Returns the `regex` syntax for an RE2 Unicode class name, or `None` when RE2 does not accept
/// the name.
fn unicode_class_syntax(name: &str, negated: bool) -> Option<String> {
    let sign = if negated { "^" } else { "" };
    if name == "Any" {
        return Some(if negated { NEVER_MATCH } else { ANY_CHAR }.to_owned());
    }
    if GENERAL_CATEGORIES.binary_search(&name).is_ok() {
        return Some(match name {
            // RE2's `C` leaves out unassigned code points (`Cn`); the `regex` crate's includes
            // them. Surrogates (`Cs`) cannot occur in UTF-8 text.
            "C" => format!(r"[{sign}\p{{gc=Cc}}\p{{gc=Cf}}\p{{gc=Co}}]"),
            "Cs" => if negated { ANY_CHAR } else { NEVER_MATCH }.to_owned(),
            _ => format!("[{sign}\\p{{gc={name}}}]"),
        });
    }
    if SCRIPTS.binary_search(&name).is_ok() {
        return Some(format!("[{sign}\\p{{sc={name}}}]"));
    }
    None
}

/// Writes a literal outside a class. ASCII punctuation and controls become `\x{..}` so that
/// nothing in them can be read as syntax.
fn write_literal(out: &mut String, code: u32) {
    match char::from_u32(code) {
        None => out.push_str(NEVER_MATCH),
        Some(c) if c.is_ascii_alphanumeric() || !c.is_ascii() => out.push(c),
        Some(c) => out.push_str(&format!(r"\x{{{:X}}}", u32::from(c))),
    }
}

/// Writes a range inside a class, dropping the surrogate part, which UTF-8 text cannot contain.
fn write_class_range(items: &mut String, low: u32, high: u32) {
    const SURROGATES: std::ops::RangeInclusive<u32> = 0xD800..=0xDFFF;
    let low = if SURROGATES.contains(&low) {
        0xE000
    } else {
        low
    };
    let high = if SURROGATES.contains(&high) {
        0xD7FF
    } else {
        high
    };
    if low > high {
        return;
    }
    if low == high {
        items.push_str(&format!(r"\x{{{low:X}}}"));
    } else {
        items.push_str(&format!(r"\x{{{low:X}}}-\x{{{high:X}}}"));
    }
}

/// Writes a bracket expression from translated items. An empty item list (a class of only
/// surrogates) matches nothing, or everything when negated.
fn class_syntax(negated: bool, items: &str) -> String {
    match (items.is_empty(), negated) {
        (true, false) => NEVER_MATCH.to_owned(),
        (true, true) => ANY_CHAR.to_owned(),
        (false, false) => format!("[{items}]"),
        (false, true) => format!("[^{items}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_match(pattern: &str, text: &str) -> bool {
        Regex::new(pattern).unwrap().is_match(text)
    }

    #[test]
    fn translate_table() {
        let cases = [
            ("abc", "abc"),
            ("a.b", "a.b"),
            ("a+b", "a+b"),
            ("a-b", r"a\x{2D}b"),
            (r"\d+", "[0-9]+"),
            (r"\s", r"[\t\n\x{C}\r ]"),
            (r"\bx\B", r"(?-u:\b)x(?-u:\B)"),
            (r"\Qa.b\E*", r"a\x{2E}b*"),
            (r"\101\0", r"A\x{0}"),
            (r"\x{e9}", "é"),
            ("a{,5}", r"a\x{7B}\x{2C}5\x{7D}"),
            ("a{2,}?", "a{2,}?"),
            ("a{3,3}", "a{3}"),
            ("(?P<1>x)", "(x)"),
            ("(?i-i)x", "(?-i)x"),
            ("(?)x", "x"),
            ("x(?i)*y", "x*(?i)y"),
            ("^*", "(?:^)*"),
            (r"a*\Q\E*", "(?:a*)*"),
            ("[[:digit:]-]", r"[[0-9]\x{2D}]"),
            (r"\pL", r"[\p{gc=L}]"),
            (r"\p{^Greek}", r"[^\p{sc=Greek}]"),
            (r"\PC", r"[^\p{gc=Cc}\p{gc=Cf}\p{gc=Co}]"),
            (r"\C", "(?s:.)"),
            (r"\x{D800}", NEVER_MATCH),
        ];
        for (pattern, expected) in cases {
            assert_eq!(translate(pattern).unwrap(), expected, "{pattern:?}");
        }
    }

    #[test]
    fn matching_drops_captures() {
        let (translated, captures) = translate_for_matching("(a)(?P<n>b)(?:c)(?i:d)").unwrap();
        assert_eq!(translated, "(?:a)(?:b)(?:c)(?i:d)");
        assert_eq!(captures, 2);
        assert_eq!(Regex::new("(a)(?P<n>b)").unwrap().captures_len(), 3);
        assert_eq!(Regex::new("a").unwrap().captures_len(), 1);
    }

    #[test]
    fn many_groups_match() {
        // Each group would otherwise add a slot to every state of the matcher's cache.
        let pattern = format!("{}b", "(a|aa)*".repeat(3000));
        let regex = Regex::new(&pattern).unwrap();
        assert!(regex.is_match(&"a".repeat(100).replace("aa", "ab")));
        assert!(!regex.is_match("aaa"));
    }

    #[test]
    fn stacked_wraps_stop_at_nesting_limit() {
        let deep = format!("a*{}", r"\Q\E*".repeat(MAX_NESTING + 1));
        let error = translate(&deep).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unsupported);
        let shallow = format!("a*{}", r"\Q\E*".repeat(MAX_NESTING));
        assert!(translate(&shallow).is_ok());
    }

    #[test]
    fn many_unicode_classes_are_too_large() {
        let error = translate(&r"\p{Ogham}".repeat(MAX_UNICODE_CLASSES + 1)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::TooLarge);
        let error = translate(&r"[\pN]".repeat(MAX_UNICODE_CLASSES + 1)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::TooLarge);
        assert!(translate(&r"\p{Ogham}".repeat(MAX_UNICODE_CLASSES)).is_ok());
        // A syntax error comes first, as in RE2.
        let error = translate(&format!("{}(", r"\pL".repeat(MAX_UNICODE_CLASSES + 1))).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MissingParen);
    }

    #[test]
    fn oversized_program_is_too_large() {
        // google-re2 rejects more than 446 `\pL` with its default memory budget.
        let error = Regex::new(&r"\pL".repeat(1000)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::TooLarge);
        assert_eq!(error.to_string(), "pattern too large - compile failed");
    }

    #[test]
    fn error_table() {
        use ErrorKind::*;
        let cases = [
            ("a{1001}", RepeatSize, "invalid repetition size: {1001}"),
            ("(a{10}){101}", RepeatSize, "invalid repetition size: {101}"),
            ("x{2,1}", RepeatSize, "invalid repetition size: {2,1}"),
            ("a**", RepeatOp, "bad repetition operator: **"),
            ("a*{1001}", RepeatOp, "bad repetition operator: *{1001}"),
            ("(?i){1001}", RepeatSize, "invalid repetition size: {1001}"),
            ("a{2}{3}", RepeatOp, "bad repetition operator: {2}{3}"),
            (
                "*a",
                RepeatArgument,
                "no argument for repetition operator: *",
            ),
            ("(?=a)", PerlOperator, "invalid perl operator: (?="),
            ("(?<!a)", PerlOperator, "invalid perl operator: (?<!"),
            ("(?i-)a", PerlOperator, "invalid perl operator: (?i-)"),
            ("(?x)a", PerlOperator, "invalid perl operator: (?x"),
            (
                "(?P<a-b>a)",
                NamedCapture,
                "invalid named capture group: (?P<a-b>",
            ),
            ("(?P<n", NamedCapture, "invalid named capture group: (?P<n"),
            (r"\1", InvalidEscape, r"invalid escape sequence: \1"),
            (r"\18", InvalidEscape, r"invalid escape sequence: \1"),
            (r"\Z", InvalidEscape, r"invalid escape sequence: \Z"),
            (
                r"\x{110000}",
                InvalidEscape,
                r"invalid escape sequence: \x{110000",
            ),
            (r"\é", InvalidEscape, r"invalid escape sequence: \é"),
            (r"[\b]", InvalidEscape, r"invalid escape sequence: \b"),
            (
                r"\p{greek}",
                InvalidCharRange,
                r"invalid character class range: \p{greek}",
            ),
            (
                "[[:foo:]]",
                InvalidCharRange,
                "invalid character class range: [:foo:]",
            ),
            (
                "[a-Z]",
                InvalidCharRange,
                "invalid character class range: a-Z",
            ),
            ("[a", MissingBracket, "missing ]: [a"),
            ("(", MissingParen, "missing ): ("),
            ("a)", UnexpectedParen, "unexpected ): a)"),
            ("\\", TrailingBackslash, "trailing \\"),
        ];
        for (pattern, kind, message) in cases {
            let error = translate(pattern).unwrap_err();
            assert_eq!(error.kind(), kind, "{pattern:?}");
            assert_eq!(error.to_string(), message, "{pattern:?}");
        }
    }

    #[test]
    fn repeat_limit_at_1000() {
        assert!(Regex::new("a{1000}").is_ok());
        assert!(Regex::new("a{1001}").is_err());
        assert!(Regex::new("(a{10}){100}").is_ok());
        assert!(Regex::new("(a{10}){101}").is_err());
    }

    #[test]
    fn perl_classes_are_ascii() {
        assert!(!is_match(r"\d", "\u{663}"));
        assert!(!is_match(r"\w", "é"));
        assert!(!is_match(r"\s", "\u{b}"));
        assert!(is_match(r"[[:space:]]", "\u{b}"));
        assert!(!is_match(r"\bé", "é"));
    }

    #[test]
    fn case_folding_is_unicode() {
        assert!(is_match(r"(?i)\w", "\u{212a}"));
        assert!(!is_match(r"(?i)\W", "\u{212a}"));
        assert!(is_match("(?i)é", "É"));
    }

    #[test]
    fn other_category_excludes_unassigned() {
        assert!(!is_match(r"\pC", "\u{378}"));
        assert!(is_match(r"\pC", "\u{1}"));
    }

    #[test]
    fn braces_that_are_not_repetitions_are_literal() {
        assert!(is_match("a{,5}", "a{,5}"));
        assert!(is_match("a{01}", "a{01}"));
        assert!(!is_match("a{01}", "a"));
    }

    #[test]
    fn quoted_text_is_literal() {
        assert!(is_match(r"\Q(?i)\Ea", "(?i)a"));
        assert!(!is_match(r"\Q(?i)\Ea", "(?i)A"));
    }

    #[test]
    fn literals_that_are_syntax_elsewhere() {
        assert!(is_match("[a&&b]", "&"));
        assert!(is_match("a#b", "a#b"));
        assert!(is_match("a b", "a b"));
    }

    #[test]
    fn surrogate_escape_never_matches() {
        assert!(!is_match(r"\x{D800}", "a"));
        assert!(is_match(r"[^\x{D800}-\x{DFFF}]", "a"));
    }

    #[test]
    fn non_boundary_inside_character() {
        assert!(is_match(r"\B", "aéb"));
        assert!(!is_match(r"\B", "a b"));
        assert!(!is_match(r"a\B", "aé"));
    }

    #[test]
    fn nesting_limit_at_250() {
        let nested = |depth: usize| format!("{}a{}", "(".repeat(depth), ")".repeat(depth));
        assert!(Regex::new(&nested(250)).is_ok());
        assert_eq!(
            Regex::new(&nested(251)).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
    }

    #[test]
    fn compile_reports_re2_text() {
        assert_eq!(compile("(").unwrap_err(), "missing ): (");
    }
}
