//! Psych's handling of explicit tags on scalars, sequences and mappings.
//!
//! GitLab loads with `YAML.safe_load(permitted_classes: [Symbol, Reference])`, so a tag that
//! makes Psych look up any other Ruby class aborts the whole file with
//! `Tried to load unspecified class: <Class>`. Tags Psych has no rule for are dropped and the
//! node loads as if untagged. The rules follow `Psych::Visitors::ToRuby` of Psych 4.0.3.

/// The full tag GitLab registers for `!reference`.
pub(crate) const REFERENCE: &str = "!reference";

/// The resolved form of `!!str`.
pub(crate) const CORE_STR: &str = "tag:yaml.org,2002:str";

/// The way a tagged scalar loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarTag<'a> {
    /// `!reference`: kept as an unresolved reference holding the raw text.
    Reference,
    /// `!!binary`: base64-decoded.
    Binary,
    /// `!!str`, `!str`, `!ruby/string`: the raw text.
    Str,
    /// `!!float`, `!float`: resolved, then converted with Ruby's `Float()`.
    Float,
    /// `!ruby/sym`, `!ruby/symbol`: a symbol named by the raw text.
    Symbol,
    /// `!ruby/class`, `!ruby/module`: the class named by the raw text (null when empty).
    Class,
    /// `!ruby/encoding`: an `Encoding` object.
    Encoding,
    /// Needs this Ruby class, which safe loading does not permit.
    Disallowed(&'a str),
    /// Any other tag (`!!int`, `!`, `!foo`): resolved as if plain, even when quoted.
    Resolve,
}

/// The way a tagged sequence loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeqTag<'a> {
    /// An array.
    Plain,
    /// `!reference [...]`.
    Reference,
    /// `!!omap`: a mapping built from one-entry mappings.
    Omap,
    /// Needs this Ruby class.
    Disallowed(&'a str),
    /// A tag with an empty class name (`!seq:`), which makes Ruby raise `NoMethodError`.
    Invalid,
}

/// The way a tagged mapping loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MapTag<'a> {
    /// A hash.
    Plain,
    /// `!reference {...}`.
    Reference,
    /// `!!str` on a mapping: the value of its `str` key.
    StrObject,
    /// `!ruby/hash-with-ivars`: the mapping under its `elements` key.
    HashWithIvars,
    /// Needs this Ruby class.
    Disallowed(&'a str),
    /// A tag with an empty class name (`!map:`), which makes Ruby raise `NoMethodError`.
    Invalid,
}

/// Returns the class named after `prefix` in tags of the form `prefix` or `prefix:Class`, or
/// `None` when the tag has another form.
fn class_suffix<'a>(tag: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = tag.strip_prefix(prefix)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix(':')
    }
}

/// Returns the class part of `!str:Class` or `!ruby/string:Class` (empty when absent), or
/// `None` when the tag is not a string tag.
fn string_class(tag: &str) -> Option<&str> {
    if tag == CORE_STR {
        return Some("");
    }
    class_suffix(tag, "!str").or_else(|| class_suffix(tag, "!ruby/string"))
}

/// Classifies the tag of a scalar.
pub(crate) fn scalar_tag(tag: &str) -> ScalarTag<'_> {
    if let Some(class) = string_class(tag) {
        return if class.is_empty() {
            ScalarTag::Str
        } else {
            ScalarTag::Disallowed(class)
        };
    }
    match tag {
        REFERENCE => ScalarTag::Reference,
        "!binary" | "tag:yaml.org,2002:binary" => ScalarTag::Binary,
        "!ruby/object:BigDecimal" => ScalarTag::Disallowed("BigDecimal"),
        "!ruby/object:DateTime" => ScalarTag::Disallowed("DateTime"),
        "!ruby/encoding" => ScalarTag::Encoding,
        "!ruby/object:Complex" => ScalarTag::Disallowed("Complex"),
        "!ruby/object:Rational" => ScalarTag::Disallowed("Rational"),
        "!ruby/class" | "!ruby/module" => ScalarTag::Class,
        "tag:yaml.org,2002:float" | "!float" => ScalarTag::Float,
        "!ruby/regexp" => ScalarTag::Disallowed("Regexp"),
        "!ruby/range" => ScalarTag::Disallowed("Range"),
        _ if tag.starts_with("!ruby/sym") => ScalarTag::Symbol,
        _ => ScalarTag::Resolve,
    }
}

/// Classifies the tag of a sequence.
pub(crate) fn seq_tag(tag: &str) -> SeqTag<'_> {
    match tag {
        REFERENCE => SeqTag::Reference,
        "!omap" | "tag:yaml.org,2002:omap" => SeqTag::Omap,
        _ => {
            let class = tag
                .strip_prefix("!seq:")
                .or_else(|| tag.strip_prefix("!ruby/array:"));
            match class {
                Some("") => SeqTag::Invalid,
                Some(class) => SeqTag::Disallowed(class),
                None => SeqTag::Plain,
            }
        }
    }
}

/// Classifies the tag of a mapping. The order of the checks is Psych's.
pub(crate) fn map_tag(tag: &str) -> MapTag<'_> {
    if tag == REFERENCE {
        return MapTag::Reference;
    }
    if let Some(name) = tag.strip_prefix("!ruby/struct") {
        return named_or(name, "Struct");
    }
    if let Some(name) = tag.strip_prefix("!ruby/object") {
        return match name.strip_prefix(':').unwrap_or(name) {
            "Hash" => MapTag::Plain,
            other => MapTag::Disallowed(if other.is_empty() { "Object" } else { other }),
        };
    }
    if let Some(class) = string_class(tag) {
        return if class.is_empty() {
            MapTag::StrObject
        } else {
            MapTag::Disallowed(class)
        };
    }
    if let Some(class) = tag.strip_prefix("!ruby/array:") {
        return if class.is_empty() {
            MapTag::Invalid
        } else {
            MapTag::Disallowed(class)
        };
    }
    if tag == "!ruby/range" {
        return MapTag::Disallowed("Range");
    }
    if let Some(name) = tag.strip_prefix("!ruby/exception") {
        return named_or(name, "Exception");
    }
    if tag == "!set" || tag == "tag:yaml.org,2002:set" {
        return MapTag::Disallowed("Psych::Set");
    }
    if let Some(class) = class_suffix(tag, "!ruby/hash-with-ivars") {
        return if class.is_empty() {
            MapTag::HashWithIvars
        } else {
            MapTag::Disallowed(class)
        };
    }
    if let Some(class) = tag
        .strip_prefix("!map:")
        .or_else(|| tag.strip_prefix("!ruby/hash:"))
    {
        return if class.is_empty() {
            MapTag::Invalid
        } else {
            MapTag::Disallowed(class)
        };
    }
    if tag == "!omap" || tag == "tag:yaml.org,2002:omap" {
        return MapTag::Disallowed("Psych::Omap");
    }
    if let Some(class) = tag.strip_prefix("!ruby/marshalable:") {
        return if class.is_empty() {
            MapTag::Invalid
        } else {
            MapTag::Disallowed(class)
        };
    }
    MapTag::Plain
}

/// `Disallowed` with the class named after an optional `:`, or `default` when none is named.
fn named_or<'a>(name: &'a str, default: &'static str) -> MapTag<'a> {
    let name = name.strip_prefix(':').unwrap_or(name);
    MapTag::Disallowed(if name.is_empty() { default } else { name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_tag_table() {
        let cases = [
            ("!reference", ScalarTag::Reference),
            ("tag:yaml.org,2002:binary", ScalarTag::Binary),
            ("!binary", ScalarTag::Binary),
            ("tag:yaml.org,2002:str", ScalarTag::Str),
            ("!str", ScalarTag::Str),
            ("!str:", ScalarTag::Str),
            ("!ruby/string", ScalarTag::Str),
            ("!str:Foo", ScalarTag::Disallowed("Foo")),
            ("!ruby/string:Foo", ScalarTag::Disallowed("Foo")),
            ("!strange", ScalarTag::Resolve),
            ("tag:yaml.org,2002:float", ScalarTag::Float),
            ("!float", ScalarTag::Float),
            ("tag:yaml.org,2002:int", ScalarTag::Resolve),
            ("tag:yaml.org,2002:timestamp", ScalarTag::Resolve),
            ("!", ScalarTag::Resolve),
            ("!foo", ScalarTag::Resolve),
            ("!ruby/object:Foo", ScalarTag::Resolve),
            (
                "!ruby/object:BigDecimal",
                ScalarTag::Disallowed("BigDecimal"),
            ),
            ("!ruby/object:DateTime", ScalarTag::Disallowed("DateTime")),
            ("!ruby/object:Complex", ScalarTag::Disallowed("Complex")),
            ("!ruby/object:Rational", ScalarTag::Disallowed("Rational")),
            ("!ruby/regexp", ScalarTag::Disallowed("Regexp")),
            ("!ruby/range", ScalarTag::Disallowed("Range")),
            ("!ruby/sym", ScalarTag::Symbol),
            ("!ruby/symbol", ScalarTag::Symbol),
            ("!ruby/class", ScalarTag::Class),
            ("!ruby/module", ScalarTag::Class),
            ("!ruby/encoding", ScalarTag::Encoding),
        ];
        for (tag, expected) in cases {
            assert_eq!(scalar_tag(tag), expected, "{tag}");
        }
    }

    #[test]
    fn seq_tag_table() {
        let cases = [
            ("!reference", SeqTag::Reference),
            ("tag:yaml.org,2002:omap", SeqTag::Omap),
            ("!omap", SeqTag::Omap),
            ("tag:yaml.org,2002:set", SeqTag::Plain),
            ("tag:yaml.org,2002:seq", SeqTag::Plain),
            ("!foo", SeqTag::Plain),
            ("!seq:Foo", SeqTag::Disallowed("Foo")),
            ("!ruby/array:Foo", SeqTag::Disallowed("Foo")),
            ("!seq:", SeqTag::Invalid),
        ];
        for (tag, expected) in cases {
            assert_eq!(seq_tag(tag), expected, "{tag}");
        }
    }

    #[test]
    fn map_tag_table() {
        let cases = [
            ("!reference", MapTag::Reference),
            ("tag:yaml.org,2002:map", MapTag::Plain),
            ("!foo", MapTag::Plain),
            ("!ruby/struct", MapTag::Disallowed("Struct")),
            ("!ruby/struct:Point", MapTag::Disallowed("Point")),
            ("!ruby/object", MapTag::Disallowed("Object")),
            ("!ruby/object:Foo", MapTag::Disallowed("Foo")),
            ("!ruby/object:Hash", MapTag::Plain),
            ("!ruby/object:Complex", MapTag::Disallowed("Complex")),
            ("tag:yaml.org,2002:str", MapTag::StrObject),
            ("!str:Foo", MapTag::Disallowed("Foo")),
            ("!ruby/array:Foo", MapTag::Disallowed("Foo")),
            ("!ruby/range", MapTag::Disallowed("Range")),
            ("!ruby/exception", MapTag::Disallowed("Exception")),
            ("!ruby/exception:Oops", MapTag::Disallowed("Oops")),
            ("tag:yaml.org,2002:set", MapTag::Disallowed("Psych::Set")),
            ("!set", MapTag::Disallowed("Psych::Set")),
            ("!ruby/hash-with-ivars", MapTag::HashWithIvars),
            ("!ruby/hash-with-ivars:Foo", MapTag::Disallowed("Foo")),
            ("!map:Foo", MapTag::Disallowed("Foo")),
            ("!ruby/hash:Foo", MapTag::Disallowed("Foo")),
            ("!map:", MapTag::Invalid),
            ("tag:yaml.org,2002:omap", MapTag::Disallowed("Psych::Omap")),
            ("!ruby/marshalable:Foo", MapTag::Disallowed("Foo")),
        ];
        for (tag, expected) in cases {
            assert_eq!(map_tag(tag), expected, "{tag}");
        }
    }
}
