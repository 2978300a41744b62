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

impl Value {
    /// Name of the value's type for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
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
    /// A sequence or mapping used as a key, kept as its JSON text.
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mapping {
    entries: IndexMap<Key, Entry>,
}

impl Mapping {
    /// Creates an empty mapping.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the mapping is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of a string key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries.get(key).map(|e| &e.value)
    }

    /// The value of a string key, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries.get_mut(key).map(|e| &mut e.value)
    }

    /// The entry (value and key span) of a string key.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// The value of any key.
    pub fn get_key(&self, key: &Key) -> Option<&Node> {
        self.entries.get(key).map(|e| &e.value)
    }

    /// Whether a string key is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Sets `key` to `value`, as Ruby's `Hash#[]=` does: an existing key keeps its position.
    /// When the key exists, its key span is replaced too.
    pub fn insert(&mut self, key: impl Into<Key>, key_span: Span, value: Node) {
        self.entries.insert(key.into(), Entry { key_span, value });
    }

    /// Removes a string key, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Entry> {
        self.entries.shift_remove(key)
    }

    /// Entries in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Key, &Node)> + ExactSizeIterator {
        self.entries.iter().map(|(k, e)| (k, &e.value))
    }

    /// Entries in order, with key spans.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = (&Key, &Entry)> + ExactSizeIterator {
        self.entries.iter()
    }

    /// Entries in order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Key, &mut Node)> {
        self.entries.iter_mut().map(|(k, e)| (k, &mut e.value))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.entries.keys()
    }

    /// Merges `other` into `self` as ActiveSupport's `Hash#deep_merge!` does: when both sides
    /// hold a mapping under the same key, they merge recursively; otherwise the value from
    /// `other` replaces the one in `self` (arrays are never concatenated, and a null from
    /// `other` replaces too). New keys are appended in `other`'s order.
    pub fn deep_merge(&mut self, other: Mapping) {
        for (key, incoming) in other.entries {
            match self.entries.get_mut(&key) {
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
                    self.entries.insert(key, incoming);
                }
            }
        }
    }

    /// Merges `other` into `self` shallowly, as Ruby's `Hash#merge!` does (used for YAML merge
    /// keys): every key of `other` replaces the one in `self`.
    pub fn shallow_merge(&mut self, other: Mapping) {
        for (key, entry) in other.entries {
            self.entries.insert(key, entry);
        }
    }
}

impl FromIterator<(Key, Entry)> for Mapping {
    fn from_iter<T: IntoIterator<Item = (Key, Entry)>>(iter: T) -> Self {
        Mapping {
            entries: iter.into_iter().collect(),
        }
    }
}

impl IntoIterator for Mapping {
    type Item = (Key, Entry);
    type IntoIter = indexmap::map::IntoIter<Key, Entry>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

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

    #[test]
    fn key_lookup_by_str_ignores_other_kinds() {
        let mut m = Mapping::new();
        m.insert(Key::Int(1), Span::default(), s("int"));
        assert!(m.get("1").is_none());
        assert!(m.get_key(&Key::Int(1)).is_some());
    }
}
