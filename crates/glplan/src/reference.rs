//! `!reference [key, ...]`: replaces each tag with the value it points at.
//!
//! GitLab resolves references once, over the configuration after `include` and `extends`, so a
//! reference can point into an included file and at keys a template gained through `extends`.
//! Each element of the tag's sequence is a key name, looked up in hashes only. The value found
//! is resolved in turn (it may contain references itself) and then replaces the tag node as it
//! is: a hash in a mapping value becomes the whole value, and a sequence in a sequence becomes
//! one nested element, which the keywords that accept nesting (`script`, `rules`, `stages`,
//! `needs`) flatten later.
//!
//! Lookups always go through the tree as written, before any reference is replaced, as GitLab
//! digs through its unresolved copy: a path that passes through another `!reference` is not
//! found.
//!
//! Spans: the root of a replacement takes the span of the `!reference` tag it replaces, and
//! everything below it keeps the spans of the referenced text. An error about the shape of the
//! resolved value (a nested array where `tags` expects strings) then points at the reference
//! site, and an error inside the value points at the text that holds the bad element.
//!
//! NOTE: GitLab up to 18.9, with its `ci_deep_resolve_reference_array_and_hash` flag off,
//! resolves only the direct elements of a referenced array: a reference nested deeper inside it
//! (in a rule's `variables`, for example) stays an unresolved tag and later fails validation.
//! glplan resolves every reference at any depth, as GitLab does with the flag on.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use crate::diagnostic::{Diagnostic, Diagnostics, code_span, did_you_mean};
use crate::inputs::ruby::{self, KeyStyle};
use crate::limits::Limits;
use crate::source::Span;
use crate::yaml::{Entry, Key, Mapping, Node, Value};

/// Resolves every `!reference` in the merged and extended configuration, in place.
///
/// A reference that cannot be resolved is reported and replaced by null, so later phases never
/// see a tag. So is a reference whose target contains such a reference; only the first error of
/// a chain is reported, as GitLab stops at it. Each such null is marked as a failed value, so
/// later phases do not report it again as a blank or mistyped keyword.
pub(crate) fn resolve(config: &mut Mapping, limits: &Limits, diags: &mut Diagnostics) {
    let values = {
        let index = SiteIndex::build(config);
        if index.sites.is_empty() {
            return;
        }
        let mut resolver = Resolver::new(config, &index, limits);
        for site in 0..index.sites.len() {
            resolver.resolve_site(site, diags);
        }
        resolver.into_values()
    };

    let mut values = values.into_iter();
    for (_, node) in config.iter_mut() {
        replace_sites(node, &mut values, diags);
    }
}

/// Every `!reference` node of the configuration, in document order.
#[derive(Debug)]
struct SiteIndex<'a> {
    sites: Vec<&'a Node>,
    /// For every node that is or contains a reference (keyed by its address): the indexes of the
    /// references inside it. They are consecutive because sites are listed in document order.
    ranges: HashMap<usize, Range<usize>, BuildHasherDefault<AddressHasher>>,
}

/// A hasher for node addresses. Every node that contains a reference gets an entry, and
/// hashing them with the standard SipHash took about a sixth of this phase's instructions on a
/// 3,000-job configuration. The configuration's author cannot choose addresses, so a plain
/// multiplication spreads them well enough.
#[derive(Debug, Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_usize(&mut self, value: usize) {
        // Nodes are at least 8-byte aligned, so the low bits carry no information.
        self.0 = ((value as u64) >> 3).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        // The standard `HashMap` takes the top 7 bits as a tag and the low bits as the bucket
        // index, so the well-mixed high bits are folded into the low ones.
        self.0 ^ (self.0 >> 32)
    }
}

impl<'a> SiteIndex<'a> {
    fn build(config: &'a Mapping) -> Self {
        let mut index = SiteIndex {
            sites: Vec::new(),
            ranges: HashMap::default(),
        };
        for (_, node) in config.iter() {
            index.walk(node);
        }
        index
    }

    fn walk(&mut self, node: &'a Node) {
        let start = self.sites.len();
        match &node.value {
            // The tagged node itself is data, not configuration: a reference inside it makes
            // the outer reference invalid rather than being resolved.
            Value::Reference(_) => self.sites.push(node),
            Value::Seq(items) => items.iter().for_each(|item| self.walk(item)),
            Value::Map(map) => map.iter().for_each(|(_, value)| self.walk(value)),
            _ => return,
        }
        let end = self.sites.len();
        if end > start {
            self.ranges.insert(address(node), start..end);
        }
    }

    /// Returns the indexes of the references inside `node` (the node itself when it is one).
    fn sites_in(&self, node: &Node) -> Range<usize> {
        self.ranges.get(&address(node)).cloned().unwrap_or(0..0)
    }
}

/// Identifies a node of the tree being resolved, which stays borrowed and unchanged meanwhile.
fn address(node: &Node) -> usize {
    std::ptr::from_ref(node).addr()
}

/// The resolution state of one reference.
#[derive(Debug)]
enum State {
    Pending,
    /// On the resolution stack: meeting it again means a cycle.
    Active,
    Done {
        value: Node,
        /// Nodes in `value`.
        size: usize,
        /// Nesting depth of `value`, 1 for a scalar.
        depth: usize,
    },
    /// Reported (or depends on one that was); replaced by null.
    Failed,
}

/// A reference whose target's own references are being resolved.
#[derive(Debug)]
struct Frame<'a> {
    site: usize,
    path: Vec<&'a str>,
    target: &'a Node,
    /// References inside the target that are not resolved yet, in document order.
    pending: Range<usize>,
}

#[derive(Debug)]
struct Resolver<'a, 'i> {
    config: &'a Mapping,
    index: &'i SiteIndex<'a>,
    states: Vec<State>,
    /// Nodes copied so far, against `max_reference_expansion_nodes`.
    copied: usize,
    budget_reported: bool,
    max_nodes: usize,
    max_depth: usize,
}

impl<'a, 'i> Resolver<'a, 'i> {
    fn new(config: &'a Mapping, index: &'i SiteIndex<'a>, limits: &Limits) -> Self {
        Resolver {
            config,
            index,
            states: index.sites.iter().map(|_| State::Pending).collect(),
            copied: 0,
            budget_reported: false,
            max_nodes: limits.max_reference_expansion_nodes,
            max_depth: limits.max_yaml_depth,
        }
    }

    fn state(&self, site: usize) -> Option<&State> {
        self.states.get(site)
    }

    fn set_state(&mut self, site: usize, state: State) {
        if let Some(slot) = self.states.get_mut(site) {
            *slot = state;
        }
    }

    fn site_span(&self, site: usize) -> Span {
        self.index
            .sites
            .get(site)
            .map(|node| node.span)
            .unwrap_or_default()
    }

    /// Resolves one reference and, first, every reference its target depends on. The work is
    /// kept on an explicit stack, so a long chain of references cannot overflow the call stack.
    fn resolve_site(&mut self, root: usize, diags: &mut Diagnostics) {
        if !matches!(self.state(root), Some(State::Pending)) {
            return;
        }
        let mut stack: Vec<Frame<'a>> = Vec::new();
        if let Some(frame) = self.start(root, diags) {
            stack.push(frame);
        }

        while let Some(frame) = stack.last_mut() {
            let Some(dependency) = frame.pending.clone().next() else {
                if let Some(frame) = stack.pop() {
                    self.finish(frame, diags);
                }
                continue;
            };
            match self.state(dependency) {
                Some(State::Done { .. }) => frame.pending.start += 1,
                Some(State::Pending) => {
                    // Resolve the dependency first; this frame looks at it again afterwards.
                    match self.start(dependency, diags) {
                        Some(next) => stack.push(next),
                        None => self.fail_top(&mut stack),
                    }
                }
                Some(State::Active) => {
                    self.report_cycle(dependency, &stack, diags);
                    self.fail_top(&mut stack);
                }
                Some(State::Failed) | None => self.fail_top(&mut stack),
            }
        }
    }

    /// Gives up the reference on top of the stack; the error was already reported.
    fn fail_top(&mut self, stack: &mut Vec<Frame<'a>>) {
        if let Some(frame) = stack.pop() {
            self.set_state(frame.site, State::Failed);
        }
    }

    /// Validates a reference and looks up its target, or reports why it has none.
    fn start(&mut self, site: usize, diags: &mut Diagnostics) -> Option<Frame<'a>> {
        let node: &'a Node = self.index.sites.get(site)?;
        let Value::Reference(inner) = &node.value else {
            return None;
        };
        let Some(path) = key_path(inner) else {
            diags.push(invalid_error(inner, node.span));
            self.set_state(site, State::Failed);
            return None;
        };
        match dig(self.config, &path) {
            Ok(target) => {
                self.set_state(site, State::Active);
                Some(Frame {
                    site,
                    pending: self.index.sites_in(target),
                    path,
                    target,
                })
            }
            Err(miss) => {
                diags.push(not_found_error(&path, node.span, &miss));
                self.set_state(site, State::Failed);
                None
            }
        }
    }

    /// Builds the value of a reference whose target's references are all resolved.
    fn finish(&mut self, frame: Frame<'a>, diags: &mut Diagnostics) {
        let span = self.site_span(frame.site);
        let target = frame.target;

        // GitLab raises whenever the resolved value is falsy.
        if matches!(target.value, Value::Null | Value::Bool(false)) {
            diags.push(falsy_error(&frame.path, span, target));
            self.set_state(frame.site, State::Failed);
            return;
        }

        let (size, depth) = self.measure(target);
        if depth > self.max_depth {
            diags.push(
                Diagnostic::error(
                    "reference-too-deep",
                    format!(
                        "`!reference {}` resolves to a value nested more than {} levels deep",
                        inspect_path(&frame.path),
                        self.max_depth
                    ),
                )
                .with_span(span)
                .with_help(
                    "a chain of references builds one level of nesting per step; shorten it",
                ),
            );
            self.set_state(frame.site, State::Failed);
            return;
        }
        if self.copied.saturating_add(size) > self.max_nodes {
            // One error is enough: every later copy that does not fit fails the same way.
            if !self.budget_reported {
                self.budget_reported = true;
                diags.push(
                    Diagnostic::error(
                        "reference-too-large",
                        format!(
                            "resolving `!reference {}` copies more than {} nodes in total",
                            inspect_path(&frame.path),
                            self.max_nodes
                        ),
                    )
                    .with_span(span)
                    .with_help(
                        "references that repeat large values multiply the configuration; reference \
                     smaller parts or share them with `extends`",
                    ),
                );
            }
            self.set_state(frame.site, State::Failed);
            return;
        }
        self.copied += size;

        let value = self.materialize(target);
        self.set_state(frame.site, State::Done { value, size, depth });
    }

    /// Size and depth of `node` once its references are replaced. Every reference inside it
    /// is resolved.
    fn measure(&self, node: &Node) -> (usize, usize) {
        match &node.value {
            Value::Reference(_) => self
                .resolved(node)
                .map_or((1, 1), |(_, size, depth)| (size, depth)),
            Value::Seq(items) => items.iter().fold((1, 1), |(size, depth), item| {
                let (s, d) = self.measure(item);
                (size.saturating_add(s), depth.max(d + 1))
            }),
            Value::Map(map) => map.iter().fold((1, 1), |(size, depth), (_, value)| {
                let (s, d) = self.measure(value);
                (size.saturating_add(s), depth.max(d + 1))
            }),
            _ => (1, 1),
        }
    }

    /// Copies `node` with every reference inside it replaced by its value.
    fn materialize(&self, node: &Node) -> Node {
        match &node.value {
            Value::Reference(_) => match self.resolved(node) {
                Some((value, _, _)) => Node::new(value.value.clone(), node.span),
                None => Node::null(node.span),
            },
            Value::Seq(items) => Node::new(
                Value::Seq(items.iter().map(|item| self.materialize(item)).collect()),
                node.span,
            ),
            Value::Map(map) => Node::new(
                Value::Map(
                    map.entries()
                        .map(|(key, entry)| {
                            let entry = Entry {
                                key_span: entry.key_span,
                                value: self.materialize(&entry.value),
                            };
                            (key.clone(), entry)
                        })
                        .collect(),
                ),
                node.span,
            ),
            _ => node.clone(),
        }
    }

    /// Looks up the resolved value of the reference node `node`, with its size and depth.
    fn resolved(&self, node: &Node) -> Option<(&Node, usize, usize)> {
        let site = self.index.ranges.get(&address(node))?.start;
        match self.state(site)? {
            State::Done { value, size, depth } => Some((value, *size, *depth)),
            _ => None,
        }
    }

    /// Reports that reference `site`, still being resolved, was reached again from `stack`.
    fn report_cycle(&self, site: usize, stack: &[Frame<'a>], diags: &mut Diagnostics) {
        let Some(position) = stack.iter().position(|frame| frame.site == site) else {
            return;
        };
        let Some(frame) = stack.get(position) else {
            return;
        };
        let mut diagnostic = Diagnostic::error(
            "reference-cycle",
            format!(
                "!reference {} is part of a circular chain",
                inspect_path(&frame.path)
            ),
        )
        .with_span(self.site_span(site));
        for other in stack.iter().skip(position + 1) {
            diagnostic = diagnostic.with_label(
                self.site_span(other.site),
                format!(
                    "`!reference {}` is part of the chain",
                    inspect_path(&other.path)
                ),
            );
        }
        diags.push(diagnostic.with_help(
            "a reference cannot point at a value that contains it; point it at a value \
             without references back",
        ));
    }

    fn into_values(self) -> Vec<Option<Node>> {
        self.states
            .into_iter()
            .map(|state| match state {
                State::Done { value, .. } => Some(value),
                _ => None,
            })
            .collect()
    }
}

/// Replaces every reference below `node` by the next value in document order, giving each
/// replacement the span of the tag it replaces. A reference that failed becomes null and is
/// marked as a failed value.
fn replace_sites(
    node: &mut Node,
    values: &mut impl Iterator<Item = Option<Node>>,
    diags: &mut Diagnostics,
) {
    match &mut node.value {
        Value::Reference(_) => match values.next().flatten() {
            Some(value) => node.value = value.value,
            None => {
                node.value = Value::Null;
                diags.mark_failed_value(node.span);
            }
        },
        Value::Seq(items) => {
            for item in items {
                replace_sites(item, values, diags);
            }
        }
        Value::Map(map) => {
            for (_, value) in map.iter_mut() {
                replace_sites(value, values, diags);
            }
        }
        _ => {}
    }
}

/// Returns the key names of a valid reference (a non-empty sequence of strings), or `None`.
fn key_path(inner: &Node) -> Option<Vec<&str>> {
    let items = inner.as_seq()?;
    if items.is_empty() {
        return None;
    }
    items.iter().map(Node::as_str).collect()
}

/// The reason a lookup found nothing.
#[derive(Debug)]
enum Miss<'a> {
    /// Key `path[segment]` is not in `mapping` (the whole configuration for segment 0).
    Absent {
        segment: usize,
        mapping: &'a Mapping,
    },
    /// The value reached before `path[segment]` is `node`, which is not a hash.
    NotAHash { segment: usize, node: &'a Node },
}

/// Looks `path` up as Ruby's `Hash#dig` does with symbol keys: through hashes only.
fn dig<'a>(config: &'a Mapping, path: &[&str]) -> Result<&'a Node, Miss<'a>> {
    let mut mapping = config;
    let mut found: Option<&'a Node> = None;
    for (segment, key) in path.iter().enumerate() {
        if let Some(node) = found {
            match &node.value {
                Value::Map(map) => mapping = map,
                _ => return Err(Miss::NotAHash { segment, node }),
            }
        }
        match mapping.get(key) {
            Some(node) => found = Some(node),
            None => return Err(Miss::Absent { segment, mapping }),
        }
    }
    found.ok_or(Miss::Absent {
        segment: 0,
        mapping: config,
    })
}

fn invalid_error(inner: &Node, span: Span) -> Diagnostic {
    Diagnostic::error(
        "reference-invalid",
        format!("!reference {} is not valid", inspect_tag_value(inner)),
    )
    .with_span(span)
    .with_help("`!reference` takes a non-empty sequence of key names, such as `!reference [.setup, script]`")
}

fn not_found_error(path: &[&str], span: Span, miss: &Miss<'_>) -> Diagnostic {
    let mut diagnostic = Diagnostic::error(
        "reference-not-found",
        format!("!reference {} could not be found", inspect_path(path)),
    )
    .with_span(span)
    .missing_definition();
    match *miss {
        Miss::Absent { segment, mapping } => {
            let key = path.get(segment).copied().unwrap_or_default();
            let candidates = mapping.keys().filter_map(Key::as_str);
            let help = match did_you_mean(key, candidates) {
                Some(suggestion) => format!("did you mean {}?", code_span(suggestion)),
                None if segment == 0 => format!("`{key}` is not a top-level key"),
                None => format!(
                    "`{}` has no key `{key}`",
                    path.get(..segment).unwrap_or_default().join(".")
                ),
            };
            diagnostic = diagnostic.with_help(help);
        }
        Miss::NotAHash { segment, node } => {
            let key = path.get(segment).copied().unwrap_or_default();
            diagnostic = diagnostic
                .with_label(
                    node.span,
                    format!(
                        "this is {}, so `{key}` cannot be looked up in it",
                        a_type(node)
                    ),
                )
                .with_help(not_a_hash_help(node));
        }
    }
    diagnostic
}

fn not_a_hash_help(node: &Node) -> &'static str {
    match node.value {
        Value::Seq(_) => "`!reference` looks up keys of hashes only; it cannot index arrays",
        Value::Reference(_) => {
            "GitLab looks the path up before it resolves the `!reference` on the way, so point \
             at that reference's target instead"
        }
        _ => "`!reference` looks up keys of hashes only",
    }
}

fn falsy_error(path: &[&str], span: Span, target: &Node) -> Diagnostic {
    Diagnostic::error(
        "reference-not-found",
        format!("!reference {} could not be found", inspect_path(path)),
    )
    .with_span(span)
    .with_label(target.span, format!("the value here is {}", a_type(target)))
    .with_help("GitLab treats a reference to `null` or `false` as missing")
}

fn a_type(node: &Node) -> &'static str {
    match node.value {
        Value::Null => "null",
        Value::Bool(false) => "`false`",
        Value::Bool(true) => "`true`",
        Value::Int(_) | Value::BigInt(_) => "an integer",
        Value::Float(_) => "a float",
        Value::String(_) => "a string",
        Value::Seq(_) => "an array",
        Value::Map(_) => "a hash",
        Value::Reference(_) => "a `!reference`",
    }
}

/// Renders a key path as Ruby's `inspect` of the string array: `[".a", "script"]`.
fn inspect_path(path: &[&str]) -> String {
    let keys: Vec<String> = path.iter().map(|key| ruby::inspect_str(key)).collect();
    format!("[{}]", keys.join(", "))
}

/// Renders the tagged value of an invalid reference as GitLab's message does: the scalar when it
/// is not blank, else the mapping when it is not empty, else the sequence (`[]` when the tag has
/// no sequence). Psych hands the tag its scalar as raw text, which the loader keeps as a string,
/// so `!reference 12` shows `"12"` and `!reference ~` shows `"~"`. A typed scalar (only in a
/// tree built without the loader) is shown through its text.
fn inspect_tag_value(inner: &Node) -> String {
    match &inner.value {
        Value::Seq(_) => ruby::inspect_with(inner, KeyStyle::String),
        Value::Map(map) if !map.is_empty() => ruby::inspect_with(inner, KeyStyle::String),
        Value::Map(_) | Value::Null => "[]".to_owned(),
        Value::String(s) if s.trim().is_empty() => "[]".to_owned(),
        Value::Reference(_) => ruby::inspect_with(inner, KeyStyle::String),
        scalar => ruby::inspect_str(&scalar.scalar_to_string().unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::test_tree::{json, tree, tree_in};
    use super::*;
    use crate::source::FileId;

    fn run(config: &mut Mapping, limits: &Limits) -> Vec<Diagnostic> {
        let mut diags = Diagnostics::new();
        resolve(config, limits, &mut diags);
        diags.into_vec()
    }

    fn resolved(input: serde_json::Value) -> (serde_json::Value, Vec<Diagnostic>) {
        let mut config = tree(input);
        let diags = run(&mut config, &Limits::default());
        (json(&config), diags)
    }

    fn messages(diags: &[Diagnostic]) -> Vec<&str> {
        diags.iter().map(|d| d.message.as_str()).collect()
    }

    fn reference(path: &[&str]) -> serde_json::Value {
        json!({ "!reference": path })
    }

    #[test]
    fn nested_references_in_script() {
        // A reference whose target holds a reference; each becomes one nested element, which
        // `script` flattens later to ["echo 1", "echo 2", "echo 3"].
        let (config, diags) = resolved(json!({
            ".snip": {
                "one": ["echo 1"],
                "two": [reference(&[".snip", "one"]), "echo 2"]
            },
            "job": {"script": [reference(&[".snip", "two"]), "echo 3"]}
        }));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            config["job"]["script"],
            json!([[["echo 1"], "echo 2"], "echo 3"])
        );
        assert_eq!(config[".snip"]["two"], json!([["echo 1"], "echo 2"]));
    }

    #[test]
    fn sees_extends_results() {
        let mut config = tree(json!({
            ".base": {"script": ["base"]},
            ".mid": {"extends": ".base", "variables": {"A": "1"}},
            "job": {
                "script": [reference(&[".mid", "script"]), "own"],
                "variables": reference(&[".mid", "variables"])
            }
        }));
        let mut diags = Diagnostics::new();
        crate::extends::resolve(&mut config, &Limits::default(), &mut diags);
        resolve(&mut config, &Limits::default(), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        let config = json(&config);
        assert_eq!(config["job"]["script"], json!([["base"], "own"]));
        assert_eq!(config["job"]["variables"], json!({"A": "1"}));
    }

    #[test]
    fn missing_target() {
        let (config, diags) = resolved(json!({
            "a": {"script": [reference(&[".missing", "script"])]}
        }));
        assert_eq!(
            messages(&diags),
            ["!reference [\".missing\", \"script\"] could not be found"]
        );
        assert_eq!(diags[0].code, "reference-not-found");
        assert_eq!(config["a"]["script"], json!([null]));
    }

    #[test]
    fn missing_key_suggests_close_name() {
        let (_, diags) = resolved(json!({
            ".setup": {"script": ["x"]},
            "a": {"script": reference(&[".setup", "scirpt"])}
        }));
        assert_eq!(diags[0].help.as_deref(), Some("did you mean `script`?"));
    }

    #[test]
    fn circular_chain() {
        let (config, diags) = resolved(json!({
            ".x": {"script": reference(&[".y", "script"])},
            ".y": {"script": reference(&[".x", "script"])},
            "j": {"script": reference(&[".x", "script"])}
        }));
        // The walk starts at `.x`'s reference and meets it again through `.y`'s.
        assert_eq!(
            messages(&diags),
            ["!reference [\".y\", \"script\"] is part of a circular chain"]
        );
        assert_eq!(diags[0].code, "reference-cycle");
        assert_eq!(config["j"]["script"], json!(null));
    }

    #[test]
    fn circular_chain_labels_other_references() {
        let config = tree(json!({
            ".x": {"script": reference(&[".y", "script"])},
            ".y": {"script": reference(&[".x", "script"])}
        }));
        let x_site = config.get(".x").unwrap().get("script").unwrap().span;
        let y_site = config.get(".y").unwrap().get("script").unwrap().span;
        let mut config = config;
        let diags = run(&mut config, &Limits::default());
        assert_eq!(diags[0].span, Some(x_site));
        assert_eq!(diags[0].labels.len(), 1);
        assert_eq!(diags[0].labels[0].span, y_site);
    }

    #[test]
    fn self_reference() {
        let (_, diags) = resolved(json!({".a": reference(&[".a"])}));
        assert_eq!(
            messages(&diags),
            ["!reference [\".a\"] is part of a circular chain"]
        );
    }

    #[test]
    fn reference_inside_its_target() {
        let (_, diags) = resolved(json!({".a": {"b": [reference(&[".a"])]}}));
        assert_eq!(
            messages(&diags),
            ["!reference [\".a\"] is part of a circular chain"]
        );
    }

    #[test]
    fn mutual_references_to_different_keys() {
        // `.a.x` needs `.b.y`, `.b.z` needs `.a.w`: no cycle, whatever the order.
        let (config, diags) = resolved(json!({
            ".a": {"x": reference(&[".b", "y"]), "w": "a-w"},
            ".b": {"y": "b-y", "z": reference(&[".a", "w"])}
        }));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(config[".a"]["x"], json!("b-y"));
        assert_eq!(config[".b"]["z"], json!("a-w"));
    }

    #[test]
    fn invalid_tag_values() {
        // Ruby's `inspect` of the scalar, else the mapping, else the sequence.
        let cases = [
            (json!("a"), "!reference \"a\" is not valid"),
            (json!(""), "!reference [] is not valid"),
            (json!(null), "!reference [] is not valid"),
            (json!(12), "!reference \"12\" is not valid"),
            (json!([]), "!reference [] is not valid"),
            (json!([1]), "!reference [1] is not valid"),
            (
                json!(["a", 1.5, true, null]),
                "!reference [\"a\", 1.5, true, nil] is not valid",
            ),
            (
                json!(["a", ["b"]]),
                "!reference [\"a\", [\"b\"]] is not valid",
            ),
            (json!({"a": 1}), "!reference {\"a\"=>1} is not valid"),
            (json!({}), "!reference [] is not valid"),
        ];
        for (inner, expected) in cases {
            let (config, diags) = resolved(json!({"j": {"script": {"!reference": inner.clone()}}}));
            assert_eq!(messages(&diags), [expected], "tag value {inner}");
            assert_eq!(diags[0].code, "reference-invalid");
            assert_eq!(config["j"]["script"], json!(null), "tag value {inner}");
        }
    }

    #[test]
    fn sequence_index_not_found() {
        let (_, diags) = resolved(json!({
            ".a": {"script": ["one", "two"]},
            "j": {"script": reference(&[".a", "script", "0"])}
        }));
        assert_eq!(
            messages(&diags),
            ["!reference [\".a\", \"script\", \"0\"] could not be found"]
        );
    }

    #[test]
    fn sequence_index_labels_sequence() {
        let config = tree(json!({
            ".a": {"script": ["one"]},
            "j": {"script": reference(&[".a", "script", "0"])}
        }));
        let sequence = config.get(".a").unwrap().get("script").unwrap().span;
        let mut config = config;
        let diags = run(&mut config, &Limits::default());
        assert_eq!(diags[0].labels[0].span, sequence);
    }

    #[test]
    fn falsy_targets_not_found() {
        for value in [json!(false), json!(null)] {
            let (_, diags) = resolved(json!({
                ".tmpl": {"interruptible": value.clone()},
                "j": {"interruptible": reference(&[".tmpl", "interruptible"])}
            }));
            assert_eq!(
                messages(&diags),
                ["!reference [\".tmpl\", \"interruptible\"] could not be found"],
                "target {value}"
            );
        }
    }

    #[test]
    fn truthy_targets_found() {
        // Only `nil` and `false` are falsy in Ruby: `0`, `""`, `[]` and `{}` are found.
        for value in [json!(0), json!(""), json!([]), json!({}), json!(true)] {
            let (config, diags) = resolved(json!({
                ".t": {"v": value.clone()},
                "j": {"v": reference(&[".t", "v"])}
            }));
            assert!(diags.is_empty(), "target {value}: {diags:?}");
            assert_eq!(config["j"]["v"], value);
        }
    }

    #[test]
    fn path_through_non_hash_help() {
        let cases = [
            (json!(["one"]), "it cannot index arrays"),
            (json!("alpine"), "`!reference` looks up keys of hashes only"),
            (
                reference(&[".c"]),
                "point at that reference's target instead",
            ),
        ];
        for (value, expected) in cases {
            let (_, diags) = resolved(json!({
                ".c": {"name": "x"},
                ".a": {"image": value.clone()},
                "j": {"image": reference(&[".a", "image", "name"])}
            }));
            let help = diags[0].help.as_deref().unwrap_or_default();
            assert!(help.ends_with(expected), "value {value}: {help}");
        }
    }

    #[test]
    fn path_through_scalar_not_found() {
        let (_, diags) = resolved(json!({
            ".a": {"image": "alpine"},
            "j": {"image": reference(&[".a", "image", "name"])}
        }));
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "reference-not-found");
    }

    #[test]
    fn path_through_reference_not_found() {
        // GitLab digs through the unresolved tree, where `.b` is still a tag.
        let (config, diags) = resolved(json!({
            ".a": {"vars": {"A": "1"}},
            ".b": reference(&[".a"]),
            "j": {"variables": reference(&[".b", "vars"])}
        }));
        assert_eq!(
            messages(&diags),
            ["!reference [\".b\", \"vars\"] could not be found"]
        );
        assert_eq!(config[".b"], json!({"vars": {"A": "1"}}));
    }

    #[test]
    fn target_that_is_a_reference() {
        let (config, diags) = resolved(json!({
            ".a": {"script": ["a"]},
            ".b": {"script": reference(&[".a", "script"])},
            "j": {"script": reference(&[".b", "script"])}
        }));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(config["j"]["script"], json!(["a"]));
    }

    #[test]
    fn hash_replaces_whole_value() {
        let (config, _) = resolved(json!({
            ".vars": {"variables": {"A": "1", "B": "2"}},
            "j": {"variables": reference(&[".vars", "variables"])}
        }));
        assert_eq!(config["j"]["variables"], json!({"A": "1", "B": "2"}));
    }

    #[test]
    fn sequence_becomes_one_element() {
        let (config, _) = resolved(json!({
            ".r": {"rules": [{"if": "$A"}, {"when": "never"}]},
            "j": {"rules": [reference(&[".r", "rules"]), {"when": "always"}]}
        }));
        assert_eq!(
            config["j"]["rules"],
            json!([[{"if": "$A"}, {"when": "never"}], {"when": "always"}])
        );
    }

    #[test]
    fn references_at_any_depth_resolved() {
        // A reference inside a hash inside a referenced array.
        let (config, diags) = resolved(json!({
            ".vars": {"variables": {"A": "1"}},
            ".rules": {"rules": [{"if": "$X", "variables": reference(&[".vars", "variables"])}]},
            "j": {"rules": reference(&[".rules", "rules"])}
        }));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            config["j"]["rules"],
            json!([{"if": "$X", "variables": {"A": "1"}}])
        );
    }

    #[test]
    fn failure_in_target_reported_once() {
        let (config, diags) = resolved(json!({
            ".a": {"script": [reference(&[".nope"])]},
            "j": {"script": reference(&[".a", "script"])},
            "k": {"script": reference(&[".a", "script"])}
        }));
        assert_eq!(
            messages(&diags),
            ["!reference [\".nope\"] could not be found"]
        );
        assert_eq!(config["j"]["script"], json!(null));
        assert_eq!(config["k"]["script"], json!(null));
    }

    #[test]
    fn replacement_root_takes_site_span() {
        let config = tree(json!({
            ".a": {"script": ["one"]},
            "j": {"script": reference(&[".a", "script"])}
        }));
        let target = config.get(".a").unwrap().get("script").unwrap();
        let element_span = target.as_seq().unwrap()[0].span;
        let site_span = config.get("j").unwrap().get("script").unwrap().span;
        let mut config = config;
        run(&mut config, &Limits::default());
        let script = config.get("j").unwrap().get("script").unwrap();
        assert_eq!(script.span, site_span);
        assert_eq!(script.as_seq().unwrap()[0].span, element_span);
    }

    #[test]
    fn nested_replacement_takes_its_site_span() {
        let config = tree(json!({
            ".a": {"one": ["x"], "two": [reference(&[".a", "one"])]},
            "j": {"script": reference(&[".a", "two"])}
        }));
        let inner_site = config
            .get(".a")
            .unwrap()
            .get("two")
            .unwrap()
            .as_seq()
            .unwrap()[0]
            .span;
        let mut config = config;
        run(&mut config, &Limits::default());
        let script = config.get("j").unwrap().get("script").unwrap();
        assert_eq!(script.as_seq().unwrap()[0].span, inner_site);
    }

    #[test]
    fn failed_site_becomes_null_at_site_span() {
        let config = tree(json!({"j": {"script": reference(&[".nope"])}}));
        let site_span = config.get("j").unwrap().get("script").unwrap().span;
        let mut config = config;
        run(&mut config, &Limits::default());
        let script = config.get("j").unwrap().get("script").unwrap();
        assert!(script.is_null());
        assert_eq!(script.span, site_span);
    }

    #[test]
    fn included_content_keeps_its_file() {
        // After `include`, nodes of one mapping come from several files.
        let mut config = tree_in(FileId(1), json!({".tmpl": {"script": ["from include"]}}));
        let main = tree_in(
            FileId(0),
            json!({"j": {"script": [reference(&[".tmpl", "script"]), "own"]}}),
        );
        config.deep_merge(main);
        let diags = run(&mut config, &Limits::default());
        assert!(diags.is_empty(), "{diags:?}");
        let script = config
            .get("j")
            .unwrap()
            .get("script")
            .unwrap()
            .as_seq()
            .unwrap();
        assert_eq!(script[0].span.file, FileId(0));
        assert_eq!(script[0].as_seq().unwrap()[0].span.file, FileId(1));
        assert_eq!(
            script[0].as_seq().unwrap()[0].as_str(),
            Some("from include")
        );
    }

    #[test]
    fn shared_target_resolved_once() {
        // 2,000 references to one target holding 200 references of its own.
        let mut object = serde_json::Map::new();
        object.insert(".leaf".into(), json!({"v": "x"}));
        let big: Vec<serde_json::Value> = (0..200).map(|_| reference(&[".leaf", "v"])).collect();
        object.insert(".big".into(), json!({"script": big}));
        for i in 0..2_000 {
            object.insert(
                format!("job{i}"),
                json!({"script": reference(&[".big", "script"])}),
            );
        }
        let (config, diags) = resolved(object.into());
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(config["job1999"]["script"][199], json!("x"));
    }

    #[test]
    fn doubling_chain_hits_budget() {
        // Each level references the previous one twice: 2^40 nodes unless stopped.
        let mut object = serde_json::Map::new();
        object.insert(".l0".into(), json!(["x"]));
        for level in 1..=40 {
            let previous = format!(".l{}", level - 1);
            object.insert(
                format!(".l{level}"),
                json!([reference(&[&previous]), reference(&[&previous])]),
            );
        }
        // A small budget keeps the test fast; the default stops the same growth later.
        let limits = Limits {
            max_reference_expansion_nodes: 10_000,
            ..Limits::default()
        };
        let mut config = tree(object.into());
        let diags = run(&mut config, &limits);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].code, "reference-too-large");
    }

    #[test]
    fn budget_from_limits() {
        let limits = Limits {
            max_reference_expansion_nodes: 3,
            ..Limits::default()
        };
        let input = json!({".a": ["x", "y"], "j": reference(&[".a"]), "k": reference(&[".a"])});
        let mut config = tree(input);
        let diags = run(&mut config, &limits);
        // `j` copies 3 nodes, `k` another 3.
        assert_eq!(
            messages(&diags),
            ["resolving `!reference [\".a\"]` copies more than 3 nodes in total"]
        );
        assert_eq!(json(&config)["j"], json!(["x", "y"]));
    }

    #[test]
    fn long_chain_resolved_without_recursion() {
        // `.a100000` → `.a99999` → … → `.a0`, listed from the far end so that the first
        // reference resolved needs all the others.
        let mut object = serde_json::Map::new();
        for i in (1..=100_000).rev() {
            object.insert(format!(".a{i}"), reference(&[&format!(".a{}", i - 1)]));
        }
        object.insert(".a0".into(), json!("end"));
        let (config, diags) = resolved(object.into());
        assert!(diags.is_empty());
        assert_eq!(config[".a100000"], json!("end"));
    }

    #[test]
    fn deep_chain_hits_depth_limit() {
        let limits = Limits {
            max_yaml_depth: 5,
            ..Limits::default()
        };
        let mut object = serde_json::Map::new();
        object.insert(".a0".into(), json!("x"));
        for i in 1..=10 {
            object.insert(
                format!(".a{i}"),
                json!([reference(&[&format!(".a{}", i - 1)])]),
            );
        }
        let mut config = tree(object.into());
        let diags = run(&mut config, &limits);
        assert_eq!(
            messages(&diags),
            ["`!reference [\".a5\"]` resolves to a value nested more than 5 levels deep"]
        );
    }

    #[test]
    fn no_references_unchanged() {
        let input = json!({"j": {"script": ["a"], "variables": {"A": "1"}}});
        let (config, diags) = resolved(input.clone());
        assert!(diags.is_empty());
        assert_eq!(config, input);
    }

    /// Loads YAML text as the body of file 0.
    fn load(text: &str) -> Mapping {
        let mut diags = Diagnostics::new();
        let document = crate::yaml::load(FileId(0), text, &Limits::default(), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        document.unwrap().body.as_map().unwrap().clone()
    }

    /// Loads and resolves YAML text, returning the tree as JSON and the diagnostics.
    fn resolved_yaml(text: &str) -> (serde_json::Value, Vec<Diagnostic>) {
        let mut config = load(text);
        let diags = run(&mut config, &Limits::default());
        (json(&config), diags)
    }

    #[test]
    fn yaml_nested_references_in_script() {
        let (config, diags) = resolved_yaml(
            ".snip:\n  one: [\"echo 1\"]\n  two:\n    - !reference [.snip, one]\n    - echo 2\n\
             job:\n  script:\n    - !reference [.snip, two]\n    - echo 3\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            config["job"]["script"],
            json!([[["echo 1"], "echo 2"], "echo 3"])
        );
    }

    #[test]
    fn yaml_errors() {
        let cases = [
            (
                "a: {script: [!reference [.missing, script]]}\n",
                "!reference [\".missing\", \"script\"] could not be found",
            ),
            (
                ".x: {script: !reference [.y, script]}\n.y: {script: !reference [.x, script]}\n\
                 j: {script: !reference [.x, script]}\n",
                "!reference [\".y\", \"script\"] is part of a circular chain",
            ),
        ];
        for (text, expected) in cases {
            let (_, diags) = resolved_yaml(text);
            assert_eq!(messages(&diags), [expected], "{text}");
        }
    }

    #[test]
    fn yaml_invalid_tag_values() {
        // Each message as Ruby 3.1 with Psych 4.0.3 printed it for GitLab's tag class.
        let cases = [
            ("!reference a", "!reference \"a\" is not valid"),
            ("!reference 12", "!reference \"12\" is not valid"),
            ("!reference yes", "!reference \"yes\" is not valid"),
            ("!reference ~", "!reference \"~\" is not valid"),
            ("!reference", "!reference [] is not valid"),
            ("!reference \"\"", "!reference [] is not valid"),
            ("!reference []", "!reference [] is not valid"),
            ("!reference [1]", "!reference [1] is not valid"),
            ("!reference {a: 1}", "!reference {\"a\"=>1} is not valid"),
            ("!reference {}", "!reference [] is not valid"),
            (
                "!reference [a, 1.5, true, null, [b], {c: d}]",
                "!reference [\"a\", 1.5, true, nil, [\"b\"], {\"c\"=>\"d\"}] is not valid",
            ),
            (
                "!reference [1e20, 08, 0x1f, 1.0e+20, 'a b']",
                "!reference [\"1e20\", \"08\", 31, 1.0e+20, \"a b\"] is not valid",
            ),
        ];
        for (tag, expected) in cases {
            let (_, diags) = resolved_yaml(&format!("j:\n  script: {tag}\n"));
            assert_eq!(messages(&diags), [expected], "{tag}");
        }
    }

    #[test]
    fn yaml_error_span_is_tag() {
        let text = "j:\n  script: !reference [.nope, script]\n";
        let (_, diags) = resolved_yaml(text);
        let span = diags[0].span.unwrap();
        assert_eq!(&text[span.range()], "!reference [.nope, script]");
    }

    #[test]
    fn yaml_replacement_spans() {
        let text = ".a:\n  script: [one]\nj:\n  script: !reference [.a, script]\n";
        let mut config = load(text);
        run(&mut config, &Limits::default());
        let script = config.get("j").unwrap().get("script").unwrap();
        assert_eq!(&text[script.span.range()], "!reference [.a, script]");
        assert_eq!(&text[script.as_seq().unwrap()[0].span.range()], "one");
    }

    /// Loads YAML text, resolves its references with `limits`, builds the configuration, and
    /// returns every message of both phases.
    fn through_config(text: &str, limits: &Limits) -> Vec<String> {
        let mut config = load(text);
        let mut diags = Diagnostics::new();
        resolve(&mut config, limits, &mut diags);
        crate::config::build(&config, &Limits::default(), &mut diags);
        diags.iter().map(|d| d.message.clone()).collect()
    }

    #[test]
    fn failed_reference_has_no_follow_on_errors() {
        let cases = [
            (
                "a: {script: !reference [.missing, script]}\n",
                r#"!reference [".missing", "script"] could not be found"#,
            ),
            (
                ".t: {x: [a]}\nb: {script: [!reference [.t, nope]]}\n",
                r#"!reference [".t", "nope"] could not be found"#,
            ),
            (
                "a: !reference [.m, a]\n",
                r#"!reference [".m", "a"] could not be found"#,
            ),
            (
                "a: !reference [.m, a]\nc: {script: x, needs: [a], dependencies: [a]}\n",
                r#"!reference [".m", "a"] could not be found"#,
            ),
            (
                "c: {script: x, stage: !reference [.s, stage], tags: !reference [.s, tags]}\n\
                 d: {script: x, needs: [!reference [.s, needs]]}\n",
                r#"!reference [".s", "stage"] could not be found"#,
            ),
            (
                "c: {script: x, environment: {name: e, on_stop: !reference [.s, stop]}}\n",
                r#"!reference [".s", "stop"] could not be found"#,
            ),
        ];
        for (text, first) in cases {
            let messages = through_config(text, &Limits::default());
            assert_eq!(messages.first().map(String::as_str), Some(first), "{text}");
            let follow_on: Vec<&String> = messages
                .iter()
                .filter(|m| !m.starts_with("!reference"))
                .collect();
            assert_eq!(follow_on, Vec::<&String>::new(), "{text}");
        }
    }

    #[test]
    fn failed_reference_keeps_independent_errors() {
        let text = "a: {script: !reference [.missing, script]}\nb: {script: x, when: sometimes}\n";
        let messages = through_config(text, &Limits::default());
        assert_eq!(
            messages,
            [
                r#"!reference [".missing", "script"] could not be found"#,
                "jobs:b when should be one of: on_success, on_failure, always, manual, delayed",
            ]
        );
    }

    #[test]
    fn too_deep_reference_has_no_follow_on_errors() {
        let limits = Limits {
            max_yaml_depth: 3,
            ..Limits::default()
        };
        let text = ".a0: [x]\n.a1: [!reference [.a0]]\n.a2: [!reference [.a1]]\n\
                    .a3: [!reference [.a2]]\njob: {script: !reference [.a3]}\n";
        let messages = through_config(text, &limits);
        assert_eq!(
            messages,
            ["`!reference [\".a2\"]` resolves to a value nested more than 3 levels deep"]
        );
    }
}

/// Builds configuration trees for the unit tests of this module and of `extends`.
#[cfg(test)]
pub(crate) mod test_tree {
    use serde_json::Value as Json;

    use crate::source::{FileId, Span};
    use crate::yaml::{Key, Mapping, Node, Value};

    /// Converts JSON to a mapping. An object with the single key `"!reference"` becomes a
    /// `!reference` tag on its value. Every node and key gets its own one-byte span in file 0,
    /// numbered in document order, so tests can tell where a node came from.
    pub(crate) fn tree(json: Json) -> Mapping {
        tree_in(FileId(0), json)
    }

    /// Like [`tree`], with the spans in `file`.
    pub(crate) fn tree_in(file: FileId, json: Json) -> Mapping {
        let mut next = 0;
        match node(file, &json, &mut next).value {
            Value::Map(map) => map,
            _ => Mapping::new(),
        }
    }

    fn node(file: FileId, json: &Json, next: &mut u32) -> Node {
        let span = Span::new(file, *next, *next + 1);
        *next += 1;
        let value = match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or_default()),
            },
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => {
                Value::Seq(items.iter().map(|item| node(file, item, next)).collect())
            }
            Json::Object(object) if object.len() == 1 && object.contains_key("!reference") => {
                Value::Reference(Box::new(node(file, &object["!reference"], next)))
            }
            Json::Object(object) => {
                let mut map = Mapping::new();
                for (key, value) in object {
                    let key_span = Span::new(file, *next, *next + 1);
                    *next += 1;
                    map.insert(Key::from(key.as_str()), key_span, node(file, value, next));
                }
                Value::Map(map)
            }
        };
        Node::new(value, span)
    }

    /// Converts the mapping to JSON, for comparisons.
    pub(crate) fn json(map: &Mapping) -> Json {
        Node::new(Value::Map(map.clone()), Span::default()).to_json()
    }
}
