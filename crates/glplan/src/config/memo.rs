//! Reuse of a keyword's parsed value across jobs whose value for it is the same tree.
//!
//! `extends` gives every job its own copy of what the job inherits, so thousands of jobs can
//! carry equal copies of a template's `rules` or `cache`, with the template's spans. Parsing
//! each copy gives the same value and, when the copy is valid, no diagnostic, so a valid copy
//! is parsed once and later equal copies get a clone of the result. A copy whose parse reports
//! anything is parsed again for each job, because the messages name the job.

use std::sync::Arc;

use crate::hash::HashMap;

use super::check::Ctx;
use super::leaf::{Cache, Duration, Image, OnlyExcept, Retry, Rules, Services};
use crate::source::Span;
use crate::yaml::{Node, Value};

/// The signature every leaf keyword parser shares: entry path, value, context.
pub(crate) type KeywordParser<T> = fn(&str, &Node, &mut Ctx) -> Option<T>;

/// Parsed values of one keyword, keyed by the span of the value they were parsed from.
#[derive(Debug)]
pub(crate) struct KeywordMemo<'t, T> {
    /// The tree parsed at each span and the position of its value in `values`. The map's type
    /// does not depend on `T`, so every keyword's memo shares one copy of the map's code.
    trees: Trees<'t>,
    /// The parsed values in parse order. A value whose tree was replaced at its span stays
    /// here, unused, until the memo is dropped.
    values: Vec<Option<T>>,
}

type Trees<'t> = HashMap<Span, (&'t Node, usize)>;

impl<'t, T: Clone> KeywordMemo<'t, T> {
    pub(crate) fn new() -> Self {
        KeywordMemo {
            trees: HashMap::default(),
            values: Vec::new(),
        }
    }

    /// Parses `node` with `parse`, or clones the value parsed earlier from an identical tree.
    pub(crate) fn parse(
        &mut self,
        path: &str,
        node: &'t Node,
        cx: &mut Ctx,
        parse: impl Fn(&str, &Node, &mut Ctx) -> Option<T>,
    ) -> Option<T> {
        if let Some(value) =
            find_earlier(&self.trees, node).and_then(|position| self.values.get(position))
        {
            return value.clone();
        }

        // Parse against an empty collection first: whether anything was reported must not
        // depend on which diagnostics the collection would drop as consequences of others.
        let diagnostics = std::mem::take(cx.diags);
        let value = parse(path, node, cx);
        let reported = std::mem::replace(cx.diags, diagnostics);
        if !reported.is_empty() {
            return parse(path, node, cx);
        }
        remember(&mut self.trees, node, self.values.len());
        self.values.push(value.clone());
        value
    }
}

/// Returns the position of the value parsed earlier from a tree identical to `node`. Not
/// inlined, so that the memos of all keywords share one copy of the lookup.
#[inline(never)]
fn find_earlier(trees: &Trees<'_>, node: &Node) -> Option<usize> {
    let (tree, position) = trees.get(&node.span)?;
    same_tree(tree, node).then_some(*position)
}

/// Records that the value parsed from `node` is at `position`, in place of a different tree
/// parsed earlier at the same span.
#[inline(never)]
fn remember<'t>(trees: &mut Trees<'t>, node: &'t Node, position: usize) {
    trees.insert(node.span, (node, position));
}

impl<'t, T> KeywordMemo<'t, Arc<T>> {
    /// Parses `node` with `parse` into a shared value, or shares the value parsed earlier from
    /// an identical tree.
    pub(crate) fn parse_shared(
        &mut self,
        path: &str,
        node: &'t Node,
        cx: &mut Ctx,
        parse: KeywordParser<T>,
    ) -> Option<Arc<T>> {
        self.parse(path, node, cx, |path, node, cx| {
            parse(path, node, cx).map(Arc::new)
        })
    }
}

/// The memos of the keywords that jobs usually inherit unchanged from templates through `extends`.
#[derive(Debug)]
pub(crate) struct JobMemos<'t> {
    pub rules: KeywordMemo<'t, Arc<Rules>>,
    pub cache: KeywordMemo<'t, Arc<Cache>>,
    pub image: KeywordMemo<'t, Arc<Image>>,
    pub services: KeywordMemo<'t, Arc<Services>>,
    pub before_script: KeywordMemo<'t, Arc<Vec<String>>>,
    pub after_script: KeywordMemo<'t, Arc<Vec<String>>>,
    pub tags: KeywordMemo<'t, Arc<Vec<String>>>,
    pub retry: KeywordMemo<'t, Arc<Retry>>,
    pub timeout: KeywordMemo<'t, Duration>,
    pub only: KeywordMemo<'t, OnlyExcept>,
    pub except: KeywordMemo<'t, OnlyExcept>,
}

impl JobMemos<'_> {
    pub(crate) fn new() -> Self {
        JobMemos {
            rules: KeywordMemo::new(),
            cache: KeywordMemo::new(),
            image: KeywordMemo::new(),
            services: KeywordMemo::new(),
            before_script: KeywordMemo::new(),
            after_script: KeywordMemo::new(),
            tags: KeywordMemo::new(),
            retry: KeywordMemo::new(),
            timeout: KeywordMemo::new(),
            only: KeywordMemo::new(),
            except: KeywordMemo::new(),
        }
    }
}

/// Returns whether two trees are the same: equal values and spans everywhere, and mapping
/// entries in the same order with the same key spans. `Node`'s `==` ignores mapping order, as
/// Ruby hashes do, but the order of a rule's clauses and of a cache's keys is kept in the
/// parsed value.
pub(crate) fn same_tree(left: &Node, right: &Node) -> bool {
    if left.span != right.span {
        return false;
    }
    match (&left.value, &right.value) {
        (Value::Map(left), Value::Map(right)) => {
            left.len() == right.len()
                && left.entries().zip(right.entries()).all(|(l, r)| {
                    l.0 == r.0 && l.1.key_span == r.1.key_span && same_tree(&l.1.value, &r.1.value)
                })
        }
        (Value::Seq(left), Value::Seq(right)) => {
            left.len() == right.len() && left.iter().zip(right.iter()).all(|(l, r)| same_tree(l, r))
        }
        (Value::Reference(left), Value::Reference(right)) => same_tree(left, right),
        // `0.0 == -0.0`, but the two print differently.
        (Value::Float(left), Value::Float(right)) => left.to_bits() == right.to_bits(),
        (left, right) => left == right,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::Mapping;

    fn span(start: u32) -> Span {
        Span {
            file: FileId(0),
            start,
            end: start + 1,
        }
    }

    fn map(entries: &[(&str, u32, i64)]) -> Node {
        let mut map = Mapping::new();
        for &(key, at, value) in entries {
            map.insert(key, span(at), Node::new(Value::Int(value), span(at + 1)));
        }
        Node::new(Value::Map(map), span(0))
    }

    #[test]
    fn same_tree_equal_copies() {
        let tree = map(&[("a", 1, 1), ("b", 3, 2)]);
        assert!(same_tree(&tree, &tree.clone()));
    }

    #[test]
    fn same_tree_mapping_order_matters() {
        let left = map(&[("a", 1, 1), ("b", 3, 2)]);
        let right = map(&[("b", 3, 2), ("a", 1, 1)]);
        assert_eq!(left, right);
        assert!(!same_tree(&left, &right));
    }

    #[test]
    fn same_tree_key_span_matters() {
        let left = map(&[("a", 1, 1)]);
        let right = map(&[("a", 5, 1)]);
        assert!(!same_tree(&left, &right));
    }

    #[test]
    fn same_tree_value_matters() {
        let left = map(&[("a", 1, 1)]);
        let right = map(&[("a", 1, 2)]);
        assert!(!same_tree(&left, &right));
    }

    #[test]
    fn same_tree_float_sign_matters() {
        let left = Node::new(Value::Float(0.0), span(0));
        let right = Node::new(Value::Float(-0.0), span(0));
        assert!(!same_tree(&left, &right));
    }
}
