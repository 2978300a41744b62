//! `extends`: reverse deep merge of parent keys into the keys that extend them.
//!
//! GitLab runs this once on the merged configuration, after `include` and before `!reference`,
//! over every top-level key in document order: jobs, hidden keys and globals alike. A key whose
//! value is a hash with an `extends` entry gets its parents deep-merged underneath its own
//! values. Parents merge in the listed order, so a later parent overrides an earlier one, and the
//! key's own values override them all. The `extends` entry stays in the result. A `!reference`
//! is still an unresolved tag here, so deep merge treats it as a leaf that replaces.
//!
//! Each parent is rewritten in place when it is first extended. GitLab nevertheless validates
//! every path from each top-level key again, because the depth limit and cycle detection depend
//! on the path. This module keeps that outcome without re-walking shared ancestors: a finished
//! key remembers the length of its longest `extends` chain, which decides the depth check for
//! any later path through it.

use crate::hash::{HashMap, HashSet};

use crate::diagnostic::{Diagnostic, Diagnostics, code_span, did_you_mean};
use crate::inputs::ruby;
use crate::limits::Limits;
use crate::source::Span;
use crate::yaml::{Key, Mapping, Node, Value};

/// Resolves `extends` over every top-level key of the merged configuration, in place.
///
/// GitLab stops at the first error, so only the first error met in document order is reported,
/// with GitLab's message. The key whose walk failed and every key on the failing path keep
/// their written values. The other keys are still extended, and their own errors are dropped.
/// A key that failed lacks what its parents would have given it, so its name and value are
/// marked as failed values: a missing `script` or an unknown stage there is a consequence of
/// the `extends` error.
pub(crate) fn resolve(config: &mut Mapping, limits: &Limits, diags: &mut Diagnostics) {
    let mut extender = Extender::new(config, limits.max_extends_depth);
    // Errors met after the first one: GitLab stops before it reaches them.
    let mut dropped = Diagnostics::new();
    let mut failed = false;
    for index in 0..extender.keys.len() {
        let mut ancestors = Vec::new();
        let sink = if failed { &mut dropped } else { &mut *diags };
        // The failure was reported where it was found; the key simply stays as written.
        failed |= extender.visit(config, index, &mut ancestors, sink).is_err();
    }

    for (index, state) in extender.state.iter().enumerate() {
        if matches!(state, State::Done { .. }) {
            continue;
        }
        diags.mark_failed_value(extender.key_span(index));
        if let Some(value) = extender.value(config, index) {
            diags.mark_failed_value(value.span);
        }
    }
}

/// Progress of one top-level key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not extended yet (or its last walk failed on the depth limit, which depends on the path).
    Unvisited,
    /// Extended and rewritten in place. `height` is the length of the longest `extends` chain
    /// below the key, counted to the last key that still has an `extends` entry: `None` when the
    /// key has no `extends` at all, `Some(0)` when none of its parents extends anything.
    Done { height: Option<usize> },
    /// An unknown or non-hash parent, or a cycle, is reachable from this key, so every walk
    /// through it fails, whatever the path above it.
    Broken,
}

/// The reason a walk stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The path became too long: the same keys may succeed from a shorter path.
    TooDeep,
    /// An unknown key, a non-hash parent or a cycle: fails from any path.
    Invalid,
}

/// One entry of an `extends` list, converted to the key name GitLab looks up.
#[derive(Debug, Clone)]
struct Parent {
    name: String,
    /// The list element, or the whole `extends` value when it is not a list.
    span: Span,
    /// Index of the top-level key with this name.
    index: Option<usize>,
}

/// The `extends` entry of one key.
#[derive(Debug, Clone)]
struct Extends {
    /// Span of the `extends` value, where errors point.
    span: Span,
    parents: Vec<Parent>,
}

#[derive(Debug)]
struct Extender {
    keys: Vec<Key>,
    key_spans: Vec<Span>,
    index: HashMap<String, usize>,
    state: Vec<State>,
    max_depth: usize,
    /// `(key index, diagnostic code)` of every error reported, so that a key reached from
    /// several top-level keys is reported once.
    reported: HashSet<(usize, &'static str)>,
    /// The keys of every cycle reported, sorted, so that a cycle found again from another of
    /// its keys is not reported twice.
    reported_cycles: HashSet<Vec<usize>>,
}

impl Extender {
    fn new(config: &Mapping, max_depth: usize) -> Self {
        let keys: Vec<Key> = config.keys().cloned().collect();
        let key_spans = config.entries().map(|(_, entry)| entry.key_span).collect();
        // `extends` names are converted to symbols, so they only ever match string keys.
        let index = keys
            .iter()
            .enumerate()
            .filter_map(|(i, key)| Some((key.as_str()?.to_owned(), i)))
            .collect();
        Extender {
            state: vec![State::Unvisited; keys.len()],
            keys,
            key_spans,
            index,
            max_depth,
            reported: HashSet::default(),
            reported_cycles: HashSet::default(),
        }
    }

    /// Extends key `node`, reached through `ancestors`, and returns the height of its chain.
    fn visit(
        &mut self,
        config: &mut Mapping,
        node: usize,
        ancestors: &mut Vec<usize>,
        diags: &mut Diagnostics,
    ) -> Result<Option<usize>, Failure> {
        match self.state.get(node).copied() {
            Some(State::Done { height }) => {
                if self.too_deep(ancestors.len(), height) {
                    self.report_first_too_deep(config, node, ancestors, diags);
                    return Err(Failure::TooDeep);
                }
                return Ok(height);
            }
            Some(State::Broken) => return Err(Failure::Invalid),
            Some(State::Unvisited) => {}
            None => return Ok(None),
        }

        let Some(extends) = self.extends_of(config, node) else {
            self.set_state(node, State::Done { height: None });
            return Ok(None);
        };

        // GitLab's checks, in GitLab's order.
        self.check_unknown(config, node, &extends, diags)?;
        self.check_bases(config, node, &extends, diags)?;
        if ancestors.len() > self.max_depth {
            self.report_too_deep(config, node, ancestors, diags);
            return Err(Failure::TooDeep);
        }
        if let Some(position) = ancestors.iter().position(|&a| a == node) {
            let cycle = ancestors.get(position..).unwrap_or_default().to_vec();
            self.report_cycle(config, node, &cycle, diags);
            return Err(Failure::Invalid);
        }

        // Extend the parents first, each reached through one more ancestor.
        ancestors.push(node);
        let mut height = 0;
        for parent in &extends.parents {
            let Some(index) = parent.index else { continue };
            match self.visit(config, index, ancestors, diags) {
                Ok(parent_height) => {
                    height = height.max(parent_height.map_or(0, |h| h + 1));
                }
                Err(failure) => {
                    ancestors.pop();
                    if failure == Failure::Invalid {
                        self.set_state(node, State::Broken);
                    }
                    return Err(failure);
                }
            }
        }
        ancestors.pop();

        self.merge(config, node, &extends);
        self.set_state(
            node,
            State::Done {
                height: Some(height),
            },
        );
        Ok(Some(height))
    }

    /// Returns whether a key whose chain has `height` fails when reached through `ancestors`
    /// keys, because a key of its chain that still has `extends` would get too many ancestors.
    fn too_deep(&self, ancestors: usize, height: Option<usize>) -> bool {
        height.is_some_and(|h| ancestors + h > self.max_depth)
    }

    fn set_state(&mut self, node: usize, state: State) {
        if let Some(slot) = self.state.get_mut(node) {
            *slot = state;
        }
    }

    fn value<'c>(&self, config: &'c Mapping, node: usize) -> Option<&'c Node> {
        config.get_key(self.keys.get(node)?)
    }

    fn name(&self, node: usize) -> String {
        self.keys.get(node).map(Key::to_string).unwrap_or_default()
    }

    fn key_span(&self, node: usize) -> Span {
        self.key_spans.get(node).copied().unwrap_or_default()
    }

    /// Returns the parents of a key, or `None` when it is not a hash with an `extends` entry.
    fn extends_of(&self, config: &Mapping, node: usize) -> Option<Extends> {
        let value = self.value(config, node)?.as_map()?.get("extends")?;
        let parents = parent_names(value)
            .into_iter()
            .map(|(name, span)| Parent {
                index: self.index.get(&name).copied(),
                name,
                span,
            })
            .collect();
        Some(Extends {
            span: value.span,
            parents,
        })
    }

    fn check_unknown(
        &mut self,
        config: &Mapping,
        node: usize,
        extends: &Extends,
        diags: &mut Diagnostics,
    ) -> Result<(), Failure> {
        let unknown: Vec<&Parent> = extends
            .parents
            .iter()
            .filter(|p| p.index.is_none())
            .collect();
        let Some(first) = unknown.first() else {
            return Ok(());
        };
        self.set_state(node, State::Broken);
        if !self.reported.insert((node, "extends-unknown-key")) {
            return Err(Failure::Invalid);
        }

        let names: Vec<&str> = unknown.iter().map(|p| p.name.as_str()).collect();
        let mut diagnostic = Diagnostic::error(
            "extends-unknown-key",
            format!(
                "{}: unknown keys in `extends` ({})",
                self.name(node),
                names.join(", ")
            ),
        )
        .with_span(extends.span)
        .missing_definition();
        if extends.parents.len() > 1 {
            for parent in &unknown {
                diagnostic = diagnostic.with_label(parent.span, "not a top-level key");
            }
        }
        let candidates = config.keys().filter_map(Key::as_str);
        let help = match did_you_mean(&first.name, candidates) {
            Some(suggestion) => format!("did you mean {}?", code_span(suggestion)),
            None => "`extends` takes the names of top-level keys, defined in this file or in \
                     an included one"
                .to_owned(),
        };
        diags.push(diagnostic.with_help(help));
        Err(Failure::Invalid)
    }

    fn check_bases(
        &mut self,
        config: &Mapping,
        node: usize,
        extends: &Extends,
        diags: &mut Diagnostics,
    ) -> Result<(), Failure> {
        let invalid: Vec<(&Parent, &Node)> = extends
            .parents
            .iter()
            .filter_map(|p| Some((p, self.value(config, p.index?)?)))
            .filter(|(_, value)| value.as_map().is_none())
            .collect();
        if invalid.is_empty() {
            return Ok(());
        }
        self.set_state(node, State::Broken);
        if !self.reported.insert((node, "extends-invalid-base")) {
            return Err(Failure::Invalid);
        }

        let names: Vec<&str> = invalid.iter().map(|(p, _)| p.name.as_str()).collect();
        let mut diagnostic = Diagnostic::error(
            "extends-invalid-base",
            format!(
                "{}: invalid base hashes in `extends` ({})",
                self.name(node),
                names.join(", ")
            ),
        )
        .with_span(extends.span);
        for (parent, value) in &invalid {
            let span = parent.index.map_or(value.span, |i| self.key_span(i));
            diagnostic = diagnostic.with_label(
                span,
                format!("`{}` is {}, not a hash", parent.name, a_type(value)),
            );
        }
        diags.push(diagnostic.with_help("a key named in `extends` must be a hash of keywords"));
        Err(Failure::Invalid)
    }

    /// Reports the depth error that GitLab's walk meets first below `node`, a finished key
    /// whose chain is too long for the path it was reached through.
    fn report_first_too_deep(
        &mut self,
        config: &Mapping,
        node: usize,
        ancestors: &mut Vec<usize>,
        diags: &mut Diagnostics,
    ) {
        if ancestors.len() > self.max_depth {
            self.report_too_deep(config, node, ancestors, diags);
            return;
        }
        let Some(extends) = self.extends_of(config, node) else {
            return;
        };
        ancestors.push(node);
        for parent in &extends.parents {
            let Some(index) = parent.index else { continue };
            let Some(State::Done { height }) = self.state.get(index).copied() else {
                continue;
            };
            if self.too_deep(ancestors.len(), height) {
                self.report_first_too_deep(config, index, ancestors, diags);
                break;
            }
        }
        ancestors.pop();
    }

    fn report_too_deep(
        &mut self,
        config: &Mapping,
        node: usize,
        ancestors: &[usize],
        diags: &mut Diagnostics,
    ) {
        if !self.reported.insert((node, "extends-too-deep")) {
            return;
        }
        let span = self.extends_span(config, node);
        let mut diagnostic = Diagnostic::error(
            "extends-too-deep",
            format!("{}: nesting too deep in `extends`", self.name(node)),
        )
        .with_span(span);
        if let Some(&start) = ancestors.first() {
            diagnostic = diagnostic.with_label(
                self.key_span(start),
                format!("the `extends` chain starts at `{}`", self.name(start)),
            );
        }
        let start = ancestors
            .first()
            .map_or_else(|| self.name(node), |&a| self.name(a));
        let help = format!(
            "`{}` is {} `extends` steps below `{start}`, and a key more than {} steps down may \
             not use `extends`; shorten the chain by merging some of its templates into one",
            self.name(node),
            ancestors.len(),
            self.max_depth
        );
        diags.push(diagnostic.with_help(help));
    }

    fn report_cycle(
        &mut self,
        config: &Mapping,
        node: usize,
        cycle: &[usize],
        diags: &mut Diagnostics,
    ) {
        let mut members = cycle.to_vec();
        members.sort_unstable();
        if !self.reported_cycles.insert(members) {
            return;
        }
        let mut diagnostic = Diagnostic::error(
            "extends-cycle",
            format!(
                "{}: circular dependency detected in `extends`",
                self.name(node)
            ),
        )
        .with_span(self.extends_span(config, node));
        // Label every other step of the cycle: each key of the cycle extends the next one.
        for (position, &member) in cycle.iter().enumerate().skip(1) {
            let next = cycle.get(position + 1).copied().unwrap_or(node);
            diagnostic = diagnostic.with_label(
                self.extends_span(config, member),
                format!("`{}` extends `{}`", self.name(member), self.name(next)),
            );
        }
        diags.push(diagnostic.with_help("remove one `extends` entry of the cycle"));
    }

    fn extends_span(&self, config: &Mapping, node: usize) -> Span {
        self.value(config, node)
            .and_then(|value| value.get("extends"))
            .map_or_else(|| self.key_span(node), |extends| extends.span)
    }

    /// Rewrites key `node` as its parents' deep merge, with its own values merged last.
    fn merge(&self, config: &mut Mapping, node: usize, extends: &Extends) {
        let mut merged = Mapping::new();
        for parent in &extends.parents {
            let base = parent.index.and_then(|i| self.value(config, i));
            if let Some(Node {
                value: Value::Map(base),
                ..
            }) = base
            {
                // Merging into nothing gives a copy in the same order; cloning the map copies
                // its hash table instead of inserting every key again.
                if merged.is_empty() {
                    merged = base.clone();
                } else {
                    merged.deep_merge(base.clone());
                }
            }
        }
        let Some(key) = self.keys.get(node) else {
            return;
        };
        if let Some(Node {
            value: Value::Map(own),
            ..
        }) = value_mut(config, key)
        {
            merged.deep_merge(std::mem::take(own));
            *own = merged;
        }
    }
}

/// Returns the value of any top-level key, mutably.
fn value_mut<'c>(config: &'c mut Mapping, key: &Key) -> Option<&'c mut Node> {
    match key {
        Key::String(name) => config.get_mut(name),
        other => config
            .iter_mut()
            .find(|(k, _)| *k == other)
            .map(|(_, value)| value),
    }
}

/// Converts an `extends` value to key names as GitLab does: `Array(value)`, then `to_s` on each
/// element. A list gives its elements, `null` gives none, a hash gives its `[key, value]` pairs,
/// and any other value is a one-element list. A non-string element becomes Ruby's text for it
/// (`1`, `true`, `["a"]`), which is then looked up as a key name and normally not found.
fn parent_names(value: &Node) -> Vec<(String, Span)> {
    match &value.value {
        Value::Null => Vec::new(),
        Value::Seq(items) => items
            .iter()
            .map(|item| (ruby::to_s(item), item.span))
            .collect(),
        Value::Map(map) => map
            .iter()
            .map(|(key, item)| {
                let pair = format!("[{}, {}]", ruby::inspect_key(key), ruby::inspect(item));
                (pair, value.span)
            })
            .collect(),
        _ => vec![(ruby::to_s(value), value.span)],
    }
}

/// Returns the type of a value with its article, for labels: `a string`, `an array`, `null`.
fn a_type(node: &Node) -> &'static str {
    match node.value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::BigInt(_) => "an integer",
        Value::Float(_) => "a float",
        Value::String(_) => "a string",
        Value::Seq(_) => "an array",
        Value::Map(_) => "a hash",
        Value::Reference(_) => "a `!reference`",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::reference::test_tree::{json, tree};

    fn extend(input: serde_json::Value) -> (Mapping, Vec<Diagnostic>) {
        extend_with(input, &Limits::default())
    }

    fn extend_with(input: serde_json::Value, limits: &Limits) -> (Mapping, Vec<Diagnostic>) {
        let mut config = tree(input);
        let mut diags = Diagnostics::new();
        resolve(&mut config, limits, &mut diags);
        (config, diags.into_vec())
    }

    fn messages(diags: &[Diagnostic]) -> Vec<&str> {
        diags.iter().map(|d| d.message.as_str()).collect()
    }

    fn keys(node: &Node) -> Vec<String> {
        node.as_map().unwrap().keys().map(Key::to_string).collect()
    }

    #[test]
    fn multi_parent_precedence() {
        // The multi-parent example of GitLab's documentation.
        let (config, diags) = extend(json!({
            ".only-important": {
                "variables": {"URL": "http://my-url.internal", "IMPORTANT_VAR": "the details"},
                "rules": [{"if": "$CI_COMMIT_BRANCH == \"stable\""}],
                "tags": ["production"],
                "script": ["echo \"Hello world!\""]
            },
            ".in-docker": {
                "variables": {"URL": "http://docker-url.internal"},
                "tags": ["docker"],
                "image": "alpine"
            },
            "rspec": {
                "variables": {"GITLAB": "is-awesome"},
                "extends": [".only-important", ".in-docker"],
                "script": ["rake rspec"]
            }
        }));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            json(&config)["rspec"],
            json!({
                "variables": {
                    "URL": "http://docker-url.internal",
                    "IMPORTANT_VAR": "the details",
                    "GITLAB": "is-awesome"
                },
                "rules": [{"if": "$CI_COMMIT_BRANCH == \"stable\""}],
                "tags": ["docker"],
                "script": ["rake rspec"],
                "image": "alpine",
                "extends": [".only-important", ".in-docker"]
            })
        );
    }

    #[test]
    fn merged_key_order() {
        // Parents' keys first, in merge order; the key's own new keys after them.
        let (config, _) = extend(json!({
            ".a": {"image": "a", "tags": ["a"]},
            ".b": {"script": ["b"], "image": "b"},
            "job": {"stage": "test", "extends": [".a", ".b"], "tags": ["own"]}
        }));
        let job = config.get("job").unwrap();
        assert_eq!(keys(job), ["image", "tags", "script", "stage", "extends"]);
    }

    #[test]
    fn variables_empty_hash_keeps_parent() {
        let (config, _) = extend(json!({
            ".base": {"script": "test", "variables": {"VAR1": "base"}},
            "t1": {"extends": ".base", "variables": {}},
            "t2": {"extends": ".base", "variables": null}
        }));
        assert_eq!(json(&config)["t1"]["variables"], json!({"VAR1": "base"}));
    }

    #[test]
    fn variables_null_removes_parent() {
        let (config, _) = extend(json!({
            ".base": {"script": "test", "variables": {"VAR1": "base"}},
            "t2": {"extends": ".base", "variables": null}
        }));
        let t2 = config.get("t2").unwrap();
        assert!(t2.get("variables").unwrap().is_null());
        assert_eq!(t2.get("script").unwrap().as_str(), Some("test"));
    }

    #[test]
    fn arrays_replaced_not_concatenated() {
        let (config, _) = extend(json!({
            ".base": {"script": ["a", "b"], "rules": [{"when": "always"}]},
            "job": {"extends": ".base", "script": ["c"]}
        }));
        assert_eq!(json(&config)["job"]["script"], json!(["c"]));
        assert_eq!(json(&config)["job"]["rules"], json!([{"when": "always"}]));
    }

    #[test]
    fn nested_hashes_merge_deeply() {
        let (config, _) = extend(json!({
            ".base": {"artifacts": {"paths": ["a"], "expire_in": "1 day"}},
            "job": {"extends": ".base", "artifacts": {"when": "always", "paths": ["b"]}}
        }));
        assert_eq!(
            json(&config)["job"]["artifacts"],
            json!({"paths": ["b"], "expire_in": "1 day", "when": "always"})
        );
    }

    #[test]
    fn chain_of_parents_merges_transitively() {
        // `.b` comes after `a` in the document, so it is extended on the way and rewritten.
        let (config, diags) = extend(json!({
            "a": {"extends": ".b", "script": ["a"]},
            ".b": {"extends": ".c", "image": "b"},
            ".c": {"image": "c", "tags": ["c"]}
        }));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(json(&config)["a"]["tags"], json!(["c"]));
        assert_eq!(json(&config)["a"]["image"], json!("b"));
        assert_eq!(json(&config)[".b"]["tags"], json!(["c"]));
    }

    #[test]
    fn extends_key_stays() {
        let (config, _) = extend(json!({
            ".b": {"extends": ".c"},
            ".c": {"image": "c"},
            "a": {"extends": ".b", "script": "x"}
        }));
        assert_eq!(json(&config)["a"]["extends"], json!(".b"));
    }

    #[test]
    fn all_top_level_keys_are_extended() {
        // `default` and hidden keys too, not only jobs.
        let (config, _) = extend(json!({
            ".tmpl": {"image": "ruby"},
            "default": {"extends": ".tmpl"},
            ".hidden": {"extends": ".tmpl"}
        }));
        assert_eq!(json(&config)["default"]["image"], json!("ruby"));
        assert_eq!(json(&config)[".hidden"]["image"], json!("ruby"));
    }

    #[test]
    fn regular_job_as_parent() {
        let (config, _) = extend(json!({
            "build": {"script": ["make"], "stage": "build"},
            "build2": {"extends": "build", "variables": {"A": "1"}}
        }));
        assert_eq!(json(&config)["build2"]["script"], json!(["make"]));
        assert_eq!(
            json(&config)["build"],
            json!({"script": ["make"], "stage": "build"})
        );
    }

    #[test]
    fn reference_is_opaque_leaf() {
        let (config, _) = extend(json!({
            ".base": {"script": ["a"], "variables": {"A": "1"}},
            "job": {
                "extends": ".base",
                "variables": {"!reference": [".vars", "variables"]}
            }
        }));
        assert_eq!(
            json(&config)["job"]["variables"],
            json!({"!reference": [".vars", "variables"]})
        );
    }

    #[test]
    fn parent_reference_replaced_by_child_hash() {
        let (config, _) = extend(json!({
            ".base": {"variables": {"!reference": [".vars", "variables"]}},
            "job": {"extends": ".base", "variables": {"B": "2"}}
        }));
        assert_eq!(json(&config)["job"]["variables"], json!({"B": "2"}));
    }

    #[test]
    fn null_and_empty_extends_change_nothing() {
        let input = json!({
            ".b": {"image": "b"},
            "a": {"extends": null, "script": "x"},
            "c": {"extends": [], "script": "y"}
        });
        let (config, diags) = extend(input.clone());
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(json(&config), input);
    }

    #[test]
    fn non_hash_key_ignored() {
        let input = json!({"stages": ["build"], "x": "extends"});
        let (config, diags) = extend(input.clone());
        assert!(diags.is_empty());
        assert_eq!(json(&config), input);
    }

    #[test]
    fn unknown_key_error() {
        let (_, diags) = extend(json!({"a": {"extends": ".nope", "script": "x"}}));
        assert_eq!(messages(&diags), ["a: unknown keys in `extends` (.nope)"]);
        assert_eq!(diags[0].code, "extends-unknown-key");
    }

    #[test]
    fn unknown_keys_listed_in_order() {
        let (_, diags) = extend(json!({
            ".ok": {"image": "x"},
            "a": {"extends": [".x", ".ok", ".y", ".x"], "script": "x"}
        }));
        assert_eq!(
            messages(&diags),
            ["a: unknown keys in `extends` (.x, .y, .x)"]
        );
    }

    #[test]
    fn unknown_key_suggests_close_name() {
        let (_, diags) = extend(json!({
            ".base": {"image": "x"},
            "a": {"extends": ".bsae", "script": "x"}
        }));
        assert_eq!(diags[0].help.as_deref(), Some("did you mean `.base`?"));
    }

    #[test]
    fn unknown_key_span_is_extends_value() {
        let config = tree(json!({"a": {"extends": ".nope", "script": "x"}}));
        let expected = config.get("a").unwrap().get("extends").unwrap().span;
        let mut config = config;
        let mut diags = Diagnostics::new();
        resolve(&mut config, &Limits::default(), &mut diags);
        assert_eq!(diags.iter().next().unwrap().span, Some(expected));
    }

    #[test]
    fn invalid_base_error() {
        let (_, diags) = extend(json!({
            ".s": "str",
            "a": {"extends": ".s", "script": "x"}
        }));
        assert_eq!(
            messages(&diags),
            ["a: invalid base hashes in `extends` (.s)"]
        );
        assert_eq!(diags[0].code, "extends-invalid-base");
    }

    #[test]
    fn invalid_base_labels_parent_key() {
        let config = tree(json!({".s": null, "a": {"extends": ".s"}}));
        let parent_key = config.entry(".s").unwrap().key_span;
        let mut config = config;
        let mut diags = Diagnostics::new();
        resolve(&mut config, &Limits::default(), &mut diags);
        let diagnostic = diags.iter().next().unwrap();
        assert_eq!(diagnostic.labels[0].span, parent_key);
        assert_eq!(diagnostic.labels[0].message, "`.s` is null, not a hash");
    }

    #[test]
    fn empty_hash_is_valid_base() {
        let (_, diags) = extend(json!({".e": {}, "a": {"extends": ".e", "script": "x"}}));
        assert!(diags.is_empty());
    }

    #[test]
    fn cycle_error() {
        let (config, diags) = extend(json!({
            ".a": {"extends": ".b"},
            ".b": {"extends": ".a"},
            "j": {"extends": ".a", "script": "x"}
        }));
        // GitLab walks `.a` first and meets `.a` again through `.b`.
        assert_eq!(
            messages(&diags),
            [".a: circular dependency detected in `extends`"]
        );
        assert_eq!(diags[0].code, "extends-cycle");
        assert_eq!(json(&config)["j"], json!({"extends": ".a", "script": "x"}));
    }

    #[test]
    fn cycle_labels_other_steps() {
        let (_, diags) = extend(json!({
            ".a": {"extends": ".b"},
            ".b": {"extends": ".c"},
            ".c": {"extends": ".a"}
        }));
        let labels: Vec<&str> = diags[0].labels.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(labels, ["`.b` extends `.c`", "`.c` extends `.a`"]);
    }

    #[test]
    fn self_extension_is_cycle() {
        let (_, diags) = extend(json!({"a": {"extends": "a", "script": "x"}}));
        assert_eq!(
            messages(&diags),
            ["a: circular dependency detected in `extends`"]
        );
    }

    /// Keys `.l1` to `.l<n>`, each extending the next, and a job `j` extending `.l1`.
    fn chain(levels: usize) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        for n in 1..=levels {
            let mut level = serde_json::Map::new();
            if n < levels {
                level.insert("extends".into(), json!(format!(".l{}", n + 1)));
            }
            level.insert(format!("v{n}"), json!(n));
            object.insert(format!(".l{n}"), level.into());
        }
        object.insert("j".into(), json!({"extends": ".l1", "script": "x"}));
        object.into()
    }

    #[test]
    fn depth_eleven_levels_ok() {
        // `j` → `.l1` → … → `.l11`: `.l10` is the deepest key with `extends`, with 10 ancestors.
        let (config, diags) = extend(chain(11));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(json(&config)["j"]["v11"], json!(11));
    }

    #[test]
    fn depth_twelve_levels_fails() {
        let (config, diags) = extend(chain(12));
        assert_eq!(messages(&diags), [".l11: nesting too deep in `extends`"]);
        assert_eq!(diags[0].code, "extends-too-deep");
        assert_eq!(json(&config)["j"], json!({"extends": ".l1", "script": "x"}));
    }

    #[test]
    fn depth_failure_keeps_shorter_chains() {
        // From `.l1` the chain is short enough, so `.l1` is extended; only `j` fails.
        let (config, _) = extend(chain(12));
        assert_eq!(json(&config)[".l1"]["v12"], json!(12));
    }

    #[test]
    fn depth_limit_from_limits() {
        let limits = Limits {
            max_extends_depth: 2,
            ..Limits::default()
        };
        let (_, ok) = extend_with(chain(3), &limits);
        let (_, too_deep) = extend_with(chain(4), &limits);
        assert!(ok.is_empty(), "{ok:?}");
        assert_eq!(messages(&too_deep), [".l3: nesting too deep in `extends`"]);
    }

    #[test]
    fn depth_error_when_job_comes_first() {
        // The job is walked before its parents are extended on their own.
        let mut input = serde_json::Map::new();
        input.insert("j".into(), json!({"extends": ".l1", "script": "x"}));
        if let serde_json::Value::Object(levels) = chain(12) {
            for (key, value) in levels.into_iter().filter(|(k, _)| k != "j") {
                input.insert(key, value);
            }
        }
        let (_, diags) = extend(input.into());
        assert_eq!(messages(&diags), [".l11: nesting too deep in `extends`"]);
    }

    #[test]
    fn depth_error_once_long_chain() {
        // The walk from `.l1` comes first and fails at `.l12`, which has 11 ancestors. The
        // walks from `.l2` (failing at `.l13`) and from `j` (at `.l11`) are never reported.
        let (_, diags) = extend(chain(14));
        assert_eq!(messages(&diags), [".l12: nesting too deep in `extends`"]);
    }

    #[test]
    fn depth_error_once_job_first() {
        let mut input = serde_json::Map::new();
        input.insert("j".into(), json!({"extends": ".l1", "script": "x"}));
        if let serde_json::Value::Object(levels) = chain(14) {
            for (key, value) in levels.into_iter().filter(|(k, _)| k != "j") {
                input.insert(key, value);
            }
        }
        let (_, diags) = extend(input.into());
        assert_eq!(messages(&diags), [".l11: nesting too deep in `extends`"]);
    }

    #[test]
    fn only_first_error_reported() {
        let (config, diags) = extend(json!({
            "a": {"extends": ".nope", "script": "x"},
            "b": {"extends": ".gone", "script": "y"},
            ".base": {"image": "alpine"},
            "c": {"extends": ".base", "script": "z"}
        }));
        assert_eq!(messages(&diags), ["a: unknown keys in `extends` (.nope)"]);
        assert_eq!(json(&config)["c"]["image"], json!("alpine"));
    }

    #[test]
    fn error_order_unknown_before_invalid() {
        let (_, diags) = extend(json!({".s": "x", "a": {"extends": [".s", ".nope"]}}));
        assert_eq!(messages(&diags), ["a: unknown keys in `extends` (.nope)"]);
    }

    #[test]
    fn error_order_invalid_before_depth() {
        let mut input = chain(12);
        input[".s"] = json!("x");
        input[".l11"]["extends"] = json!([".l12", ".s"]);
        let (_, diags) = extend(input);
        assert_eq!(
            messages(&diags),
            [".l11: invalid base hashes in `extends` (.s)"]
        );
    }

    #[test]
    fn error_order_depth_before_cycle() {
        // A cycle of 13 keys: the walk from `.l1` passes 11 ancestors before it closes.
        let mut input = chain(13);
        input[".l13"]["extends"] = json!(".l1");
        let (_, diags) = extend(input);
        assert_eq!(messages(&diags)[0], ".l12: nesting too deep in `extends`");
    }

    #[test]
    fn error_keeps_key_and_continues() {
        let (config, diags) = extend(json!({
            ".base": {"image": "alpine"},
            "bad": {"extends": ".nope", "script": "x"},
            "good": {"extends": ".base", "script": "y"}
        }));
        assert_eq!(diags.len(), 1);
        assert_eq!(
            json(&config)["bad"],
            json!({"extends": ".nope", "script": "x"})
        );
        assert_eq!(json(&config)["good"]["image"], json!("alpine"));
    }

    #[test]
    fn shared_broken_parent_reported_once() {
        let (config, diags) = extend(json!({
            ".mid": {"extends": ".nope"},
            "a": {"extends": ".mid", "script": "x"},
            "b": {"extends": ".mid", "script": "y"}
        }));
        assert_eq!(
            messages(&diags),
            [".mid: unknown keys in `extends` (.nope)"]
        );
        assert_eq!(
            json(&config)["b"],
            json!({"extends": ".mid", "script": "y"})
        );
    }

    #[test]
    fn invalid_base_first_key_only() {
        // GitLab stops at `a`, so it never checks `b`.
        let (_, diags) = extend(json!({
            ".s": 1,
            "a": {"extends": ".s"},
            "b": {"extends": ".s"}
        }));
        assert_eq!(
            messages(&diags),
            ["a: invalid base hashes in `extends` (.s)"]
        );
    }

    #[test]
    fn non_string_parent_names() {
        // `Array(extends).map(&:to_s)`, then looked up as symbols.
        let cases = [
            (json!(1), "j: unknown keys in `extends` (1)"),
            (json!(1.5), "j: unknown keys in `extends` (1.5)"),
            (json!(true), "j: unknown keys in `extends` (true)"),
            (
                json!([null, false]),
                "j: unknown keys in `extends` (, false)",
            ),
            (
                json!([[".a", 1]]),
                "j: unknown keys in `extends` ([\".a\", 1])",
            ),
            (
                json!([{"a": "b"}]),
                "j: unknown keys in `extends` ({:a=>\"b\"})",
            ),
            (json!({"a": 1}), "j: unknown keys in `extends` ([:a, 1])"),
            (
                json!({".x y": [1]}),
                "j: unknown keys in `extends` ([:\".x y\", [1]])",
            ),
        ];
        for (extends, expected) in cases {
            let (_, diags) = extend(json!({"j": {"extends": extends.clone(), "script": "x"}}));
            assert_eq!(messages(&diags), [expected], "extends: {extends}");
        }
    }

    #[test]
    fn integer_parent_name_matches_string_key() {
        // `1` converts to the name "1", which a quoted `"1":` key has.
        let (config, diags) = extend(json!({"1": {"image": "one"}, "j": {"extends": [1]}}));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(json(&config)["j"]["image"], json!("one"));
    }

    #[test]
    fn integer_key_never_a_parent() {
        let mut config = tree(json!({"j": {"extends": "1"}}));
        config.insert(
            Key::Int(1),
            Span::default(),
            Node::new(Value::Map(Mapping::new()), Span::default()),
        );
        let mut diags = Diagnostics::new();
        resolve(&mut config, &Limits::default(), &mut diags);
        assert_eq!(
            diags.iter().next().unwrap().message,
            "j: unknown keys in `extends` (1)"
        );
    }

    #[test]
    fn integer_key_extended() {
        let mut config = tree(json!({".b": {"image": "b"}}));
        let own = tree(json!({"extends": ".b"}));
        config.insert(
            Key::Int(7),
            Span::default(),
            Node::new(Value::Map(own), Span::default()),
        );
        let mut diags = Diagnostics::new();
        resolve(&mut config, &Limits::default(), &mut diags);
        let value = config.get_key(&Key::Int(7)).unwrap();
        assert_eq!(value.get("image").unwrap().as_str(), Some("b"));
    }

    #[test]
    fn reference_as_extends_is_unknown() {
        let (_, diags) = extend(json!({
            "j": {"extends": {"!reference": [".x", "extends"]}, "script": "x"}
        }));
        assert_eq!(
            messages(&diags),
            ["j: unknown keys in `extends` (#<Gitlab::Ci::Config::Yaml::Tags::Reference>)"]
        );
    }

    #[test]
    fn inherited_spans_point_at_parent() {
        let config = tree(json!({".base": {"image": "alpine"}, "j": {"extends": ".base"}}));
        let parent_span = config.get(".base").unwrap().get("image").unwrap().span;
        let own_span = config.get("j").unwrap().span;
        let mut config = config;
        resolve(&mut config, &Limits::default(), &mut Diagnostics::new());
        let job = config.get("j").unwrap();
        assert_eq!(job.get("image").unwrap().span, parent_span);
        assert_eq!(job.span, own_span);
    }

    /// Loads YAML text as the body of file 0.
    fn load(text: &str) -> Mapping {
        let mut diags = Diagnostics::new();
        let document = crate::yaml::load(
            crate::source::FileId(0),
            text,
            &Limits::default(),
            &mut diags,
        );
        assert!(diags.is_empty(), "{diags:?}");
        document.unwrap().body.as_map().unwrap().clone()
    }

    fn extend_yaml(text: &str) -> (Mapping, Vec<Diagnostic>) {
        let mut config = load(text);
        let mut diags = Diagnostics::new();
        resolve(&mut config, &Limits::default(), &mut diags);
        (config, diags.into_vec())
    }

    /// Loads YAML text, resolves `extends`, builds the configuration, and returns every
    /// message of both phases.
    fn through_config(text: &str) -> Vec<String> {
        let mut config = load(text);
        let mut diags = Diagnostics::new();
        resolve(&mut config, &Limits::default(), &mut diags);
        crate::config::build(&config, &Limits::default(), &mut diags);
        diags.iter().map(|d| d.message.clone()).collect()
    }

    #[test]
    fn failed_extends_has_no_follow_on_errors() {
        let cases = [
            (
                "b: {extends: .nope}\n",
                "b: unknown keys in `extends` (.nope)",
            ),
            (
                "b:\n  extends: .nope\n  script: x\n  stage: deploy2\nc: {script: x, needs: [b]}\n",
                "b: unknown keys in `extends` (.nope)",
            ),
            (
                ".s: str\nb: {extends: .s}\nc: {script: x, needs: [b]}\n",
                "b: invalid base hashes in `extends` (.s)",
            ),
            (
                ".a: {extends: .b}\n.b: {extends: .a}\nj:\n  extends: .a\n  stage: zz\n",
                ".a: circular dependency detected in `extends`",
            ),
        ];
        for (text, error) in cases {
            assert_eq!(through_config(text), [error], "{text}");
        }
    }

    #[test]
    fn failed_extends_keeps_other_keys_errors() {
        let text = "b: {extends: .nope}\nc: {script: x, when: sometimes}\n";
        assert_eq!(
            through_config(text),
            [
                "b: unknown keys in `extends` (.nope)",
                "jobs:c when should be one of: on_success, on_failure, always, manual, delayed",
            ]
        );
    }

    #[test]
    fn yaml_multi_parent_precedence() {
        let (config, diags) = extend_yaml(
            ".only-important:\n\
             \x20 variables: {URL: \"http://my-url.internal\", IMPORTANT_VAR: \"the details\"}\n\
             \x20 tags: [production]\n\
             .in-docker:\n\
             \x20 variables: {URL: \"http://docker-url.internal\"}\n\
             \x20 tags: [docker]\n\
             rspec:\n\
             \x20 variables: {GITLAB: \"is-awesome\"}\n\
             \x20 extends: [.only-important, .in-docker]\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let rspec = &json(&config)["rspec"];
        assert_eq!(
            rspec["variables"],
            json!({
                "URL": "http://docker-url.internal",
                "IMPORTANT_VAR": "the details",
                "GITLAB": "is-awesome"
            })
        );
        assert_eq!(rspec["tags"], json!(["docker"]));
    }

    #[test]
    fn yaml_errors() {
        let cases = [
            (
                "a: {extends: .nope, script: x}\n",
                "a: unknown keys in `extends` (.nope)",
            ),
            (
                ".s: \"str\"\na: {extends: .s, script: x}\n",
                "a: invalid base hashes in `extends` (.s)",
            ),
            (
                ".a: {extends: .b}\n.b: {extends: .a}\nj: {extends: .a, script: x}\n",
                ".a: circular dependency detected in `extends`",
            ),
        ];
        for (text, expected) in cases {
            let (_, diags) = extend_yaml(text);
            assert_eq!(messages(&diags), [expected], "{text}");
        }
    }

    #[test]
    fn yaml_error_span_is_extends_value() {
        let text = "a:\n  extends: [.base, .nope]\n  script: x\n.base: {}\n";
        let (_, diags) = extend_yaml(text);
        let span = diags[0].span.unwrap();
        assert_eq!(&text[span.range()], "[.base, .nope]");
        assert_eq!(&text[diags[0].labels[0].span.range()], ".nope");
    }

    #[test]
    fn yaml_depth_limit() {
        let mut text = String::new();
        for n in 1..=12 {
            if n < 12 {
                text.push_str(&format!(".l{n}: {{extends: .l{}}}\n", n + 1));
            } else {
                text.push_str(".l12: {image: x}\n");
            }
        }
        text.push_str("j: {extends: .l1, script: x}\n");
        let (_, diags) = extend_yaml(&text);
        assert_eq!(messages(&diags), [".l11: nesting too deep in `extends`"]);
        assert_eq!(
            diags[0].help.as_deref(),
            Some(
                "`.l11` is 11 `extends` steps below `j`, and a key more than 10 steps down may \
                 not use `extends`; shorten the chain by merging some of its templates into one"
            )
        );
    }

    #[test]
    fn wide_diamonds_stay_linear() {
        // 10 levels of 20 keys, each extending all 20 keys of the next level: 20^10 paths,
        // which a walk without memoization would never finish.
        let mut object = serde_json::Map::new();
        for level in 0..10 {
            for k in 0..20 {
                let parents: Vec<String> =
                    (0..20).map(|p| format!(".k{}_{p}", level + 1)).collect();
                object.insert(
                    format!(".k{level}_{k}"),
                    json!({"extends": parents, "v": level}),
                );
            }
        }
        for k in 0..20 {
            object.insert(format!(".k10_{k}"), json!({"leaf": k}));
        }
        let (config, diags) = extend(object.into());
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(json(&config)[".k0_0"]["leaf"], json!(19));
    }
}
