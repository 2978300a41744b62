//! The diagnostics of the YAML layer, one constructor each, with GitLab's wording.

use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// The reason a document counts as too big.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TooBig {
    /// More bytes than `max_yaml_size_bytes` once aliases are expanded.
    Size(usize),
    /// Deeper than `max_yaml_depth` nested sequences and mappings.
    Depth(usize),
    /// Alias expansion would create more than `max_alias_expansion_nodes` nodes.
    AliasNodes(usize),
    /// An alias inside the node its anchor names, which makes Ruby build a cyclic structure
    /// that GitLab's size check finds infinitely deep.
    Cycle,
}

/// `The parsed YAML is too big`, GitLab's message when the loaded document exceeds
/// `max_yaml_size_bytes` or `max_yaml_depth`.
pub(crate) fn parsed_too_big(reason: TooBig, span: Span) -> Diagnostic {
    let help = match reason {
        TooBig::Size(limit) => format!(
            "the document is larger than {limit} bytes once aliases are expanded \
             (max_yaml_size_bytes); split it or use `extends` instead of large aliases"
        ),
        TooBig::Depth(limit) => format!(
            "sequences and mappings are nested more than {limit} levels deep (max_yaml_depth)"
        ),
        TooBig::AliasNodes(limit) => format!(
            "expanding the aliases creates more than {limit} nodes; \
             this looks like an alias bomb"
        ),
        TooBig::Cycle => "this alias is inside the node its anchor names, \
                          so the document would contain itself"
            .to_owned(),
    };
    Diagnostic::error("yaml-too-big", "The parsed YAML is too big")
        .with_span(span)
        .with_help(help)
}

/// `The provided YAML is too big`, GitLab's message when one document's text is larger than
/// `max_yaml_size_bytes` before parsing.
pub(crate) fn provided_too_big(limit: usize, span: Span) -> Diagnostic {
    Diagnostic::error("yaml-too-big", "The provided YAML is too big")
        .with_span(span)
        .with_help(format!(
            "GitLab rejects a YAML document larger than {limit} bytes (max_yaml_size_bytes)"
        ))
}

/// Reports a syntax error in Psych's shape `(<unknown>): <problem> at line L column C`.
/// GitLab calls Psych without a file name, so the name is always `<unknown>`, and the line
/// counts from the start of the document piece GitLab parsed.
pub(crate) fn syntax_error(problem: &str, line: usize, column: usize, span: Span) -> Diagnostic {
    Diagnostic::error(
        "yaml-syntax-error",
        format!("(<unknown>): {problem} at line {line} column {column}"),
    )
    .with_span(span)
}

/// Psych's error for a character outside YAML's printable set. libyaml raises it from its
/// reader, which has no position to report, so Psych always names line 1 column 1. The span
/// points at the character itself.
pub(crate) fn control_character(character: char, span: Span) -> Diagnostic {
    let code = u32::from(character);
    let escape = if code <= 0xFF {
        format!("\\x{code:02X}")
    } else {
        format!("\\u{code:04X}")
    };
    syntax_error("control characters are not allowed", 1, 1, span).with_help(format!(
        "remove the character U+{code:04X}, or write it as the escape `{escape}` in a \
         double-quoted string"
    ))
}

/// GitLab's message for a syntax error in a document that looks like an HTML page, typically
/// an error page served instead of a remote include.
pub(crate) fn html_instead_of_yaml(span: Span) -> Diagnostic {
    Diagnostic::error("yaml-syntax-error", "Invalid configuration format")
        .with_span(span)
        .with_help("the file looks like an HTML page, not YAML")
}

/// Psych's `Unknown alias: <name>`.
pub(crate) fn unknown_alias(name: &str, span: Span) -> Diagnostic {
    Diagnostic::error("yaml-unknown-alias", format!("Unknown alias: {name}"))
        .with_span(span)
        .with_help(format!(
            "define the anchor `&{name}` earlier in the same file; \
             an anchor on a `!reference` sequence cannot be aliased"
        ))
}

/// Psych's `Tried to load unspecified class: <Class>`, raised when a value needs a Ruby class
/// that GitLab's safe loading does not permit. `text` is the value as written.
pub(crate) fn disallowed_class(class: &str, span: Span, text: &str) -> Diagnostic {
    let diagnostic = Diagnostic::error(
        "yaml-disallowed-class",
        format!("Tried to load unspecified class: {class}"),
    )
    .with_span(span);
    match class {
        "Date" | "Time" => {
            let quoted = text.trim().replace('\'', "''");
            diagnostic.with_help(format!(
                "quote the value so that it loads as a string: `'{quoted}'`"
            ))
        }
        _ => diagnostic.with_help("remove the tag; GitLab only loads plain YAML and `!reference`"),
    }
}

/// GitLab's `Invalid YAML syntax`, reported when Ruby raises while building a value, for
/// example `Float()` on the text of a `!!float` scalar. `detail` is Ruby's own message.
pub(crate) fn invalid_value(detail: &str, span: Span) -> Diagnostic {
    Diagnostic::error("yaml-invalid-value", "Invalid YAML syntax")
        .with_span(span)
        .with_help(format!("Ruby could not load this value: {detail}"))
}

/// GitLab's `Invalid configuration format` for a document other than the body that is not a
/// mapping. GitLab checks every document, including the ones it then ignores.
pub(crate) fn document_not_mapping(span: Span) -> Diagnostic {
    Diagnostic::error(
        "invalid-configuration-format",
        "Invalid configuration format",
    )
    .with_span(span)
    .with_help("every YAML document in the file must be a mapping, even an ignored one")
}

/// Warns about a key written twice in one mapping, which GitLab accepts silently by keeping
/// the last value.
pub(crate) fn duplicate_key(key: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::warning("duplicate-key", format!("duplicate key `{key}`"))
        .with_span(span)
        .with_label(first, "first defined here")
        .with_help("GitLab keeps the last value and the first position; remove one of them")
}

/// Summarizes the duplicate keys of one YAML document that get no warning of their own.
pub(crate) fn unlisted_duplicate_keys(count: usize, span: Span) -> Diagnostic {
    Diagnostic::warning(
        "duplicate-key",
        format!("{count} more duplicate keys in this YAML document are not listed"),
    )
    .with_span(span)
    .with_help("GitLab keeps the last value of each duplicate key")
}

/// Warns about a document that starts with a byte order mark (U+FEFF).
pub(crate) fn byte_order_mark(span: Span) -> Diagnostic {
    Diagnostic::warning(
        "yaml-byte-order-mark",
        "the document starts with a byte order mark, which GitLab's YAML parser counts as a \
         column: a top-level mapping then starts at column 2, and the first key written at \
         column 1 ends the document, so GitLab ignores everything from that key on",
    )
    .with_span(span)
    .with_help("save the file as UTF-8 without a byte order mark")
}
