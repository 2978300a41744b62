//! The YAML tree every phase works on: Psych's data model with a span on every node.

use std::hash::{Hash, Hasher};

use indexmap::{Equivalent, IndexMap};

use crate::source::Span;

/// A loaded YAML value with the span of the text it came from.
///
/// Nodes copied by an alias keep the span of the anchored original. Nodes that a phase creates
/// (interpolation, parallel expansion) take the span of the node they were made from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it was written.
    pub span: Span,
}

/// A value after YAML 1.1 scalar resolution, as Ruby's Psych would produce it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null`, or an empty value.
    Null,
    /// `true`/`false`/`yes`/`no`/`on`/`off`, in any case.
    Bool(bool),
    /// An integer (decimal, leading-zero octal, `0x`, `0b`, sexagesimal).
    Int(i64),
    /// An integer outside `i64`, which Ruby keeps exactly as a Bignum: its decimal digits,
    /// with a leading `-` when negative, as Ruby's `Integer#to_s` prints it.
    BigInt(String),
    /// A float (needs a `.`; `.inf`, `.nan`).
    Float(f64),
    /// A string, including Ruby symbols (`:name`), which GitLab treats like their names.
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping.
    Map(Mapping),
    /// A `!reference` tag, kept unresolved until the `!reference` phase. The inner node is what
    /// was tagged; it is validated (non-empty sequence of strings) when it is resolved.
    Reference(Box<Node>),
}

impl Node {
    /// Creates a node.
    pub fn new(value: Value, span: Span) -> Self {
        Node { value, span }
    }

    /// A null node at `span`.
    pub fn null(span: Span) -> Self {
        Node::new(Value::Null, span)
    }

    /// A string node at `span`.
    pub fn string(s: impl Into<String>, span: Span) -> Self {
        Node::new(Value::String(s.into()), span)
    }

    /// The string, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping, when this is a mapping.
    pub fn as_map(&self) -> Option<&Mapping> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The mapping, mutably, when this is a mapping.
    pub fn as_map_mut(&mut self) -> Option<&mut Mapping> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The elements, when this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, when this is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The integer, when this is an integer.
    pub fn as_int(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Looks up `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key)
    }

    /// Whether Ruby on Rails would call this value blank: null, `false`, an empty or
    /// whitespace-only string, an empty mapping or an empty sequence.
    pub fn is_blank(&self) -> bool {
        match &self.value {
            Value::Null | Value::Bool(false) => true,
            Value::String(s) => s.trim().is_empty(),
            Value::Seq(s) => s.is_empty(),
            Value::Map(m) => m.is_empty(),
            _ => false,
        }
    }

    /// Name of the value's type for messages: `string`, `integer`, `mapping` and so on.
    pub fn type_name(&self) -> &'static str {
        self.value.type_name()
    }

    /// Converts the node to JSON, as GitLab's merged-configuration view shows it. A
    /// `!reference` that was never resolved appears as `{"!reference": [...]}`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::BigInt(digits) => big_int_json(digits),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or_else(|| J::String(format_float(*f))),
            Value::String(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(m) => J::Object(
                m.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
            Value::Reference(inner) => {
                let mut obj = serde_json::Map::new();
                obj.insert("!reference".to_owned(), inner.to_json());
                J::Object(obj)
            }
        }
    }
}

/// Converts a Bignum to JSON: exactly up to `u64::MAX`, which `serde_json` stores.
///
/// NOTE: `serde_json::Value` stores integers of at most 64 bits, so a larger Bignum becomes the
/// nearest float, or a string of its digits past the float range. Ruby's `JSON.generate`
/// prints every digit.
fn big_int_json(digits: &str) -> serde_json::Value {
    use serde_json::Value as J;
    if let Ok(n) = digits.parse::<u64>() {
        return J::from(n);
    }
    digits
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or_else(|| J::String(digits.to_owned()), J::Number)
}

impl Value {
    /// Name of the value's type for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::BigInt(_) => "integer",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Seq(_) => "array",
            Value::Map(_) => "hash",
            Value::Reference(_) => "!reference",
        }
    }

    /// The scalar as Ruby's `to_s` prints it (`true`, `12`, `1.5`, `""` for null), or `None`
    /// for sequences, mappings and references.
    pub fn scalar_to_string(&self) -> Option<String> {
        match self {
            Value::Null => Some(String::new()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::BigInt(digits) => Some(digits.clone()),
            Value::Float(f) => Some(format_float(*f)),
            Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }
}

/// Formats a float as Ruby's `Float#to_s` does: the shortest digits that read back as the same
/// float, in fixed notation when the decimal point falls at most 15 digits right of the first
/// digit or at most 3 zeros left of it (`100000000000000.0`, `0.0001`), otherwise in scientific
/// notation with a signed exponent of at least two digits (`1.0e+15`, `1.0e-05`). Also
/// `Infinity`, `-Infinity`, `NaN` and `-0.0`.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as Ruby does: `d.ddde[-]x`.
    let scientific = format!("{:e}", f.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    // Ruby's `decpt`: the position of the decimal point relative to the first digit.
    let decpt = exponent + 1;
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let length = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let body = if (1..=15).contains(&decpt) {
        if length <= decpt {
            format!("{digits}{}.0", "0".repeat(decpt.abs_diff(length) as usize))
        } else {
            let (whole, fraction) = digits.split_at(decpt.unsigned_abs() as usize);
            format!("{whole}.{fraction}")
        }
    } else if (-3..=0).contains(&decpt) {
        format!("0.{}{digits}", "0".repeat(decpt.unsigned_abs() as usize))
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let rest = if rest.is_empty() { "0" } else { rest };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!("{first}.{rest}e{exponent_sign}{:02}", exponent.abs())
    };
    format!("{sign}{body}")
}

/// A mapping key. GitLab symbolizes string keys; other scalars (`123:`, `true:`) stay what they
/// are and fail validation where a name is expected.
#[derive(Debug, Clone)]
pub enum Key {
    /// A string (or symbol) key.
    String(String),
    /// An integer key.
    Int(i64),
    /// A boolean key.
    Bool(bool),
    /// A null key (`~:` or `? `).
    Null,
    /// A float key, compared by its bits.
    Float(f64),
    /// A sequence or mapping used as a key, kept as its JSON text, or an integer outside
    /// `i64`, kept as its decimal digits.
    Complex(String),
}

impl Key {
    /// The key as a string when it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Key::String(s) => Some(s),
            _ => None,
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Key::String(a), Key::String(b)) => a == b,
            (Key::Int(a), Key::Int(b)) => a == b,
            (Key::Bool(a), Key::Bool(b)) => a == b,
            (Key::Null, Key::Null) => true,
            (Key::Float(a), Key::Float(b)) => a.to_bits() == b.to_bits(),
            (Key::Complex(a), Key::Complex(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // A string key hashes exactly like `str`, so that `Mapping::get(&str)` can look it up
        // without allocating (see the `Equivalent` impl below).
        match self {
            Key::String(s) => s.as_str().hash(state),
            Key::Int(i) => (1u8, i).hash(state),
            Key::Bool(b) => (2u8, b).hash(state),
            Key::Null => 3u8.hash(state),
            Key::Float(f) => (4u8, f.to_bits()).hash(state),
            Key::Complex(s) => (5u8, s).hash(state),
        }
    }
}

impl Equivalent<Key> for str {
    fn equivalent(&self, key: &Key) -> bool {
        matches!(key, Key::String(s) if s == self)
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::String(s) => f.write_str(s),
            Key::Int(i) => write!(f, "{i}"),
            Key::Bool(b) => write!(f, "{b}"),
            Key::Null => Ok(()),
            Key::Float(x) => f.write_str(&format_float(*x)),
            Key::Complex(s) => f.write_str(s),
        }
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Self {
        Key::String(s.to_owned())
    }
}

impl From<String> for Key {
    fn from(s: String) -> Self {
        Key::String(s)
    }
}

/// One mapping entry: the value and where its key was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Span of the key.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

/// An insertion-ordered mapping, like a Ruby `Hash`: assigning an existing key keeps its
/// position and replaces its value.
///
/// Most mappings in a CI/CD configuration have a handful of keys, so a mapping of up to
/// `SMALL_MAPPING_MAX` (16) entries is a plain vector searched linearly: one allocation, no
/// hashing, and a cheap clone for the copies that `extends` makes. A larger mapping (the
/// top level, long `variables:` blocks) switches to a hash index so that lookups stay
/// constant-time. Equality ignores order, as for Ruby hashes.
#[derive(Clone, Default)]
pub struct Mapping {
    repr: Repr,
}

/// Maximum number of entries a [`Mapping`] stores without a hash index.
const SMALL_MAPPING_MAX: usize = 16;

#[derive(Clone)]
enum Repr {
    Small(Vec<(Key, Entry)>),
    Large(Box<IndexMap<Key, Entry>>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Small(Vec::new())
    }
}

/// Checks whether `key` is the string key `name`.
fn is_string_key(key: &Key, name: &str) -> bool {
    matches!(key, Key::String(s) if s == name)
}

impl Mapping {
    /// Creates an empty mapping.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Small(entries) => entries.len(),
            Repr::Large(map) => map.len(),
        }
    }

    /// Whether the mapping is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of a string key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The value of a string key, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.repr {
            Repr::Small(entries) => entries
                .iter_mut()
                .find(|(k, _)| is_string_key(k, key))
                .map(|(_, e)| &mut e.value),
            Repr::Large(map) => map.get_mut(key).map(|e| &mut e.value),
        }
    }

    /// The entry (value and key span) of a string key.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.repr {
            Repr::Small(entries) => entries
                .iter()
                .find(|(k, _)| is_string_key(k, key))
                .map(|(_, e)| e),
            Repr::Large(map) => map.get(key),
        }
    }

    /// Finds the entry of any key.
    fn entry_of_key(&self, key: &Key) -> Option<&Entry> {
        match &self.repr {
            Repr::Small(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, e)| e),
            Repr::Large(map) => map.get(key),
        }
    }

    /// Finds the entry of any key, mutably.
    fn entry_of_key_mut(&mut self, key: &Key) -> Option<&mut Entry> {
        match &mut self.repr {
            Repr::Small(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, e)| e),
            Repr::Large(map) => map.get_mut(key),
        }
    }

    /// The value of any key.
    pub fn get_key(&self, key: &Key) -> Option<&Node> {
        self.entry_of_key(key).map(|e| &e.value)
    }

    /// Whether a string key is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entry(key).is_some()
    }

    /// Sets `key` to `value`, as Ruby's `Hash#[]=` does: an existing key keeps its position.
    /// When the key exists, its key span is replaced too.
    pub fn insert(&mut self, key: impl Into<Key>, key_span: Span, value: Node) {
        self.insert_entry(key.into(), Entry { key_span, value });
    }

    /// Sets `key` to `entry` as [`Mapping::insert`] does, with one search for the key.
    /// When the key was present, returns it with the entry it replaced.
    pub(crate) fn insert_entry(&mut self, key: Key, entry: Entry) -> Option<(Key, Entry)> {
        match &mut self.repr {
            Repr::Small(entries) => {
                if let Some((_, slot)) = entries.iter_mut().find(|(k, _)| *k == key) {
                    return Some((key, std::mem::replace(slot, entry)));
                }
                if entries.len() < SMALL_MAPPING_MAX {
                    entries.push((key, entry));
                } else {
                    let mut map = IndexMap::with_capacity(entries.len() * 2);
                    map.extend(entries.drain(..));
                    map.insert(key, entry);
                    self.repr = Repr::Large(Box::new(map));
                }
                None
            }
            Repr::Large(map) => match map.entry(key) {
                indexmap::map::Entry::Occupied(mut slot) => {
                    let key = slot.key().clone();
                    Some((key, slot.insert(entry)))
                }
                indexmap::map::Entry::Vacant(slot) => {
                    slot.insert(entry);
                    None
                }
            },
        }
    }

    /// Removes a string key, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Entry> {
        match &mut self.repr {
            Repr::Small(entries) => {
                let index = entries.iter().position(|(k, _)| is_string_key(k, key))?;
                Some(entries.remove(index).1)
            }
            Repr::Large(map) => map.shift_remove(key),
        }
    }

    /// Entries in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Key, &Node)> + ExactSizeIterator {
        self.entries().map(|(k, e)| (k, &e.value))
    }

    /// Entries in order, with key spans.
    pub fn entries(&self) -> MappingEntries<'_> {
        match &self.repr {
            Repr::Small(entries) => MappingEntries(MappingEntriesRepr::Small(entries.iter())),
            Repr::Large(map) => MappingEntries(MappingEntriesRepr::Large(map.iter())),
        }
    }

    /// Entries in order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Key, &mut Node)> {
        let (small, large) = match &mut self.repr {
            Repr::Small(entries) => (Some(entries.iter_mut()), None),
            Repr::Large(map) => (None, Some(map.iter_mut())),
        };
        let small = small
            .into_iter()
            .flatten()
            .map(|(k, e)| (&*k, &mut e.value));
        let large = large.into_iter().flatten().map(|(k, e)| (k, &mut e.value));
        small.chain(large)
    }

    /// Keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Key> + ExactSizeIterator {
        self.entries().map(|(k, _)| k)
    }

    /// Merges `other` into `self` as ActiveSupport's `Hash#deep_merge!` does: when both sides
    /// hold a mapping under the same key, they merge recursively; otherwise the value from
    /// `other` replaces the one in `self` (arrays are never concatenated, and a null from
    /// `other` replaces too). New keys are appended in `other`'s order.
    pub fn deep_merge(&mut self, other: Mapping) {
        for (key, incoming) in other {
            match self.entry_of_key_mut(&key) {
                Some(existing) => match (&mut existing.value.value, incoming.value.value) {
                    (Value::Map(left), Value::Map(right)) => {
                        left.deep_merge(right);
                        existing.value.span = incoming.value.span;
                    }
                    (_, value) => {
                        existing.value = Node::new(value, incoming.value.span);
                        existing.key_span = incoming.key_span;
                    }
                },
                None => {
                    self.insert_entry(key, incoming);
                }
            }
        }
    }

    /// Merges `other` into `self` shallowly, as Ruby's `Hash#merge!` does (used for YAML merge
    /// keys): every key of `other` replaces the one in `self`.
    pub fn shallow_merge(&mut self, other: Mapping) {
        for (key, entry) in other {
            self.insert_entry(key, entry);
        }
    }
}

impl std::fmt::Debug for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.entries()).finish()
    }
}

impl PartialEq for Mapping {
    /// Compares as Ruby compares hashes: the same keys with equal entries, in any order.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .entries()
                .all(|(key, entry)| other.entry_of_key(key) == Some(entry))
    }
}

impl FromIterator<(Key, Entry)> for Mapping {
    fn from_iter<T: IntoIterator<Item = (Key, Entry)>>(iter: T) -> Self {
        let mut map = Mapping::new();
        for (key, entry) in iter {
            map.insert_entry(key, entry);
        }
        map
    }
}

impl IntoIterator for Mapping {
    type Item = (Key, Entry);
    type IntoIter = MappingIntoIter;

    fn into_iter(self) -> Self::IntoIter {
        match self.repr {
            Repr::Small(entries) => {
                MappingIntoIter(MappingIntoIterRepr::Small(entries.into_iter()))
            }
            Repr::Large(map) => MappingIntoIter(MappingIntoIterRepr::Large(map.into_iter())),
        }
    }
}

/// An iterator over a [`Mapping`]'s keys and entries, in order.
#[derive(Debug, Clone)]
pub struct MappingEntries<'a>(MappingEntriesRepr<'a>);

#[derive(Debug, Clone)]
enum MappingEntriesRepr<'a> {
    Small(std::slice::Iter<'a, (Key, Entry)>),
    Large(indexmap::map::Iter<'a, Key, Entry>),
}

impl<'a> Iterator for MappingEntries<'a> {
    type Item = (&'a Key, &'a Entry);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            MappingEntriesRepr::Small(iter) => iter.next().map(|(k, e)| (k, e)),
            MappingEntriesRepr::Large(iter) => iter.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            MappingEntriesRepr::Small(iter) => iter.size_hint(),
            MappingEntriesRepr::Large(iter) => iter.size_hint(),
        }
    }
}

impl DoubleEndedIterator for MappingEntries<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            MappingEntriesRepr::Small(iter) => iter.next_back().map(|(k, e)| (k, e)),
            MappingEntriesRepr::Large(iter) => iter.next_back(),
        }
    }
}

impl ExactSizeIterator for MappingEntries<'_> {}

/// An owning iterator over a [`Mapping`]'s keys and entries, in order.
#[derive(Debug)]
pub struct MappingIntoIter(MappingIntoIterRepr);

#[derive(Debug)]
enum MappingIntoIterRepr {
    Small(std::vec::IntoIter<(Key, Entry)>),
    Large(indexmap::map::IntoIter<Key, Entry>),
}

impl Iterator for MappingIntoIter {
    type Item = (Key, Entry);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            MappingIntoIterRepr::Small(iter) => iter.next(),
            MappingIntoIterRepr::Large(iter) => iter.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            MappingIntoIterRepr::Small(iter) => iter.size_hint(),
            MappingIntoIterRepr::Large(iter) => iter.size_hint(),
        }
    }
}

impl DoubleEndedIterator for MappingIntoIter {
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            MappingIntoIterRepr::Small(iter) => iter.next_back(),
            MappingIntoIterRepr::Large(iter) => iter.next_back(),
        }
    }
}

impl ExactSizeIterator for MappingIntoIter {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected strings checked with Ruby 3.1 (`p x.to_s`).
    #[test]
    fn float_like_ruby() {
        let cases: &[(f64, &str)] = &[
            (1e20, "1.0e+20"),
            (0.00001, "1.0e-05"),
            (1e16, "1.0e+16"),
            (1e15, "1.0e+15"),
            (1e14, "100000000000000.0"),
            (123456789012345.0, "123456789012345.0"),
            (1234567890123456.0, "1.234567890123456e+15"),
            (1.5e15, "1.5e+15"),
            (9999999999999999.0, "1.0e+16"),
            (9007199254740993.0, "9.007199254740992e+15"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (0.001, "0.001"),
            (3.0e-5, "3.0e-05"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (1.5, "1.5"),
            (1.0e3, "1000.0"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (123456789.123, "123456789.123"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5.0e-324"),
            (-2.5e-10, "-2.5e-10"),
            (1e100, "1.0e+100"),
            (1.2345e16, "1.2345e+16"),
            (1.152921504606847e18, "1.152921504606847e+18"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ];
        for &(value, expected) in cases {
            assert_eq!(format_float(value), expected, "{value:e}");
        }
    }

    fn s(v: &str) -> Node {
        Node::string(v, Span::default())
    }

    fn map(pairs: Vec<(&str, Node)>) -> Mapping {
        let mut m = Mapping::new();
        for (k, v) in pairs {
            m.insert(k, Span::default(), v);
        }
        m
    }

    #[test]
    fn deep_merge_merges_hashes_and_replaces_arrays() {
        let mut left = map(vec![
            (
                "job",
                Node::new(
                    Value::Map(map(vec![
                        (
                            "script",
                            Node::new(Value::Seq(vec![s("a")]), Span::default()),
                        ),
                        ("image", s("alpine")),
                    ])),
                    Span::default(),
                ),
            ),
            ("x", s("1")),
        ]);
        let right = map(vec![(
            "job",
            Node::new(
                Value::Map(map(vec![(
                    "script",
                    Node::new(Value::Seq(vec![s("b")]), Span::default()),
                )])),
                Span::default(),
            ),
        )]);
        left.deep_merge(right);
        let job = left.get("job").unwrap();
        assert_eq!(job.get("image").unwrap().as_str(), Some("alpine"));
        assert_eq!(job.get("script").unwrap().as_seq().unwrap().len(), 1);
        assert_eq!(
            job.get("script").unwrap().as_seq().unwrap()[0].as_str(),
            Some("b")
        );
    }

    #[test]
    fn deep_merge_null_replaces() {
        let mut left = map(vec![(
            "v",
            Node::new(Value::Map(map(vec![("A", s("1"))])), Span::default()),
        )]);
        left.deep_merge(map(vec![("v", Node::null(Span::default()))]));
        assert!(left.get("v").unwrap().is_null());
    }

    #[test]
    fn insert_keeps_position() {
        let mut m = map(vec![("a", s("1")), ("b", s("2"))]);
        m.insert("a", Span::default(), s("3"));
        let keys: Vec<String> = m.keys().map(|k| k.to_string()).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(m.get("a").unwrap().as_str(), Some("3"));
    }

    /// Builds a mapping with keys `k0`, `k1`, ... containing their index as a string.
    fn numbered(count: usize) -> Mapping {
        let mut m = Mapping::new();
        for i in 0..count {
            m.insert(format!("k{i}"), Span::default(), s(&i.to_string()));
        }
        m
    }

    fn key_names(m: &Mapping) -> Vec<String> {
        m.keys().map(Key::to_string).collect()
    }

    #[test]
    fn mapping_sizes_keep_order() {
        for count in [
            0,
            1,
            SMALL_MAPPING_MAX,
            SMALL_MAPPING_MAX + 1,
            3 * SMALL_MAPPING_MAX,
        ] {
            let m = numbered(count);
            let expected: Vec<String> = (0..count).map(|i| format!("k{i}")).collect();
            assert_eq!(m.len(), count, "{count}");
            assert_eq!(key_names(&m), expected, "{count}");
            let owned: Vec<String> = m.into_iter().map(|(k, _)| k.to_string()).collect();
            assert_eq!(owned, expected, "{count} into_iter");
        }
    }

    #[test]
    fn mapping_sizes_insert_existing() {
        for count in [SMALL_MAPPING_MAX, 3 * SMALL_MAPPING_MAX] {
            let mut m = numbered(count);
            m.insert("k1", Span::default(), s("new"));
            assert_eq!(m.len(), count, "{count}");
            assert_eq!(m.get("k1").unwrap().as_str(), Some("new"), "{count}");
            assert_eq!(key_names(&m)[1], "k1", "{count}");
        }
    }

    #[test]
    fn mapping_sizes_remove() {
        for count in [SMALL_MAPPING_MAX, 3 * SMALL_MAPPING_MAX] {
            let mut m = numbered(count);
            assert_eq!(m.remove("k1").unwrap().value.as_str(), Some("1"), "{count}");
            assert!(m.remove("k1").is_none(), "{count}");
            assert_eq!(key_names(&m)[1], "k2", "{count}");
            assert_eq!(m.len(), count - 1, "{count}");
        }
    }

    #[test]
    fn mapping_sizes_get_mut() {
        for count in [SMALL_MAPPING_MAX, 3 * SMALL_MAPPING_MAX] {
            let mut m = numbered(count);
            *m.get_mut("k3").unwrap() = s("changed");
            assert_eq!(m.get("k3").unwrap().as_str(), Some("changed"), "{count}");
            assert!(m.get_mut("missing").is_none(), "{count}");
        }
    }

    #[test]
    fn insert_entry_returns_replaced() {
        for count in [1, 3 * SMALL_MAPPING_MAX] {
            let mut m = numbered(count);
            let entry = Entry {
                key_span: Span::new(crate::FileId(0), 5, 6),
                value: s("x"),
            };
            let (key, previous) = m.insert_entry(Key::from("k0"), entry).unwrap();
            assert_eq!(key.as_str(), Some("k0"), "{count}");
            assert_eq!(previous.value.as_str(), Some("0"), "{count}");
            assert_eq!(m.entry("k0").unwrap().key_span.start, 5, "{count}");
        }
    }

    #[test]
    fn mapping_equality_ignores_order() {
        let forward = map(vec![("a", s("1")), ("b", s("2"))]);
        let backward = map(vec![("b", s("2")), ("a", s("1"))]);
        assert_eq!(forward, backward);
        assert_ne!(forward, map(vec![("a", s("1")), ("b", s("3"))]));
        assert_ne!(forward, map(vec![("a", s("1"))]));
    }

    #[test]
    fn mapping_equality_across_sizes() {
        let mut grown = numbered(SMALL_MAPPING_MAX + 1);
        grown.remove(&format!("k{SMALL_MAPPING_MAX}"));
        assert_eq!(grown, numbered(SMALL_MAPPING_MAX));
    }

    #[test]
    fn deep_merge_large_mappings() {
        let mut left = numbered(3 * SMALL_MAPPING_MAX);
        let mut right = numbered(2);
        right.insert("extra", Span::default(), s("e"));
        right.insert("k0", Span::default(), s("replaced"));
        left.deep_merge(right);
        assert_eq!(left.get("k0").unwrap().as_str(), Some("replaced"));
        assert_eq!(key_names(&left).last().map(String::as_str), Some("extra"));
        assert_eq!(left.len(), 3 * SMALL_MAPPING_MAX + 1);
    }

    #[test]
    fn from_iter_keeps_first_position() {
        let entry = |v: &str| Entry {
            key_span: Span::default(),
            value: s(v),
        };
        let m: Mapping = [
            (Key::from("a"), entry("1")),
            (Key::from("b"), entry("2")),
            (Key::from("a"), entry("3")),
        ]
        .into_iter()
        .collect();
        assert_eq!(key_names(&m), ["a", "b"]);
        assert_eq!(m.get("a").unwrap().as_str(), Some("3"));
    }

    #[test]
    fn key_lookup_by_str_ignores_other_kinds() {
        let mut m = Mapping::new();
        m.insert(Key::Int(1), Span::default(), s("int"));
        assert!(m.get("1").is_none());
        assert!(m.get_key(&Key::Int(1)).is_some());
    }
}
