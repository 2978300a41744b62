//! Keywords that accept nested arrays and flatten them: `script`, `before_script`,
//! `after_script` (strings), `stages` (strings) and `rules` (mappings).
//!
//! Nested arrays come from `!reference` tags and sequence aliases. GitLab accepts them up to
//! `max_nested_array_depth` levels, the outer array counting as the first level.

use crate::yaml::{Node, Value};

use super::check::{Ctx, describe};

/// Collects the leaves of a nested array in order, or returns the first node that is neither a
/// leaf nor an array within the depth limit.
pub(crate) fn flatten<'n>(
    node: &'n Node,
    max_depth: usize,
    is_leaf: &dyn Fn(&Node) -> bool,
) -> Result<Vec<&'n Node>, &'n Node> {
    let mut out = Vec::new();
    collect(node, max_depth, is_leaf, &mut out)?;
    Ok(out)
}

fn collect<'n>(
    node: &'n Node,
    levels_left: usize,
    is_leaf: &dyn Fn(&Node) -> bool,
    out: &mut Vec<&'n Node>,
) -> Result<(), &'n Node> {
    let Value::Seq(items) = &node.value else {
        return Err(node);
    };
    if levels_left == 0 {
        return Err(node);
    }
    for item in items {
        if is_leaf(item) {
            out.push(item);
        } else {
            collect(item, levels_left - 1, is_leaf, out)?;
        }
    }
    Ok(())
}

/// Parses a script keyword: a string, or strings in arrays nested up to the limit, flattened.
/// Reports `<path> config should be a string or a nested array of strings up to 10 levels
/// deep` at the offending node.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Vec<String>> {
    if let Value::String(s) = &node.value {
        return Some(vec![s.clone()]);
    }
    let max = cx.limits.max_nested_array_depth;
    let is_string = |n: &Node| matches!(n.value, Value::String(_));
    match flatten(node, max, &is_string) {
        Ok(lines) => Some(
            lines
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect(),
        ),
        Err(bad) => {
            let message = format!(
                "{path} config should be a string or a nested array of strings up to {max} \
                 levels deep"
            );
            report_nested(cx, message, node, bad);
            None
        }
    }
}

/// Reports a nested-array shape error at the offending element, explaining why it failed.
pub(crate) fn report_nested(cx: &mut Ctx, message: String, whole: &Node, bad: &Node) {
    let max = cx.limits.max_nested_array_depth;
    let help = if matches!(bad.value, Value::Seq(_)) {
        format!("this array is nested more than {max} levels deep")
    } else if matches!(bad.value, Value::Map(_)) && std::ptr::eq(whole, bad) {
        format!("found {} here", describe(bad))
    } else if matches!(bad.value, Value::Map(_)) {
        "found a hash here; YAML reads an unquoted list item such as `- echo key: value` as a \
         hash, so quote it"
            .to_owned()
    } else {
        format!("found {} here", describe(bad))
    };
    cx.diags.push(
        crate::diagnostic::Diagnostic::error("invalid-type", message)
            .with_span(bad.span)
            .with_help(help),
    );
}
