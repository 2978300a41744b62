//! Variable expansion: GitLab's single-pass `ExpandVariables`, GitLab's nested expansion of a
//! whole variable collection, and the runner's `os.Expand`.
//!
//! | Function | GitLab or runner code | Used for |
//! |---|---|---|
//! | [`expand`], [`expand_existing`] | `ExpandVariables.expand`, `.expand_existing` | `include`, `rules:changes`, `rules:exists`, `tags`, environment names, `workflow:name` |
//! | [`sort_and_expand_all`] | `Variables::Collection#sort_and_expand_all` | nested `variables:` values, the job payload |
//! | [`runner_expand`], [`runner_expand_all`] | gitlab-runner `Variables.ExpandValue`, `.Expand` | `image`, `services`, `cache:key`, `artifacts`, the job's variables |

use crate::hash::HashMap;
use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::expand::{Unknown, expand_with};
use crate::inputs::ruby::inspect_str;

use super::list::{ResolvedVariable, VariableList};

/// Expands `$NAME`, `${NAME}` and `%NAME%` in one pass; an undefined variable becomes the empty
/// string and a file variable gives its content. There is no `$$` escape: `$$A` gives `$`
/// followed by the value of `A`.
pub fn expand(value: &str, variables: &VariableList) -> String {
    expand_with(value, |name| variables.value(name), Unknown::Empty)
}

/// Like [`expand`], but keeps a reference to an undefined variable as written (GitLab's
/// `ExpandVariables.expand_existing`, used for `tags`).
pub fn expand_existing(value: &str, variables: &VariableList) -> String {
    expand_with(value, |name| variables.value(name), Unknown::Keep)
}

/// Like [`expand`], but keeps references to file variables as written, so that the receiver
/// resolves them to a file path (GitLab's `expand_file_refs: false`).
pub(crate) fn expand_keeping_files(value: &str, variables: &VariableList) -> String {
    // `expand_with` keeps a reference when the lookup returns `None`. So the lookup returns an
    // empty value for an undefined name and `None` for a file variable.
    let lookup = |name: &str| match variables.get(name) {
        Some(variable) if variable.file => None,
        Some(variable) => Some(variable.value.as_str()),
        None => Some(""),
    };
    expand_with(value, lookup, Unknown::Keep)
}

/// Treatment of references in [`sort_and_expand_all`]: GitLab's three keyword arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpandOptions {
    /// Keep references to undefined variables as written (for the runner to resolve); when
    /// `false` they become empty.
    pub keep_undefined: bool,
    /// Replace a reference to a file variable with the file's content. When `false`, the
    /// reference is kept and the runner replaces it with the file's path.
    pub expand_file_refs: bool,
    /// Replace a reference to a raw variable with its value. When `false`, the reference is
    /// kept, so the runner, which has the variable's raw flag, does not expand the value again.
    pub expand_raw_refs: bool,
    /// How many bytes nested expansion may add to the collection in total
    /// ([`Limits::max_variable_expansion_bytes`](crate::limits::Limits)). GitLab has no such
    /// limit; without it a few lines that each reference the previous variable four times grow
    /// exponentially.
    pub max_added_bytes: usize,
}

/// The default of [`ExpandOptions::max_added_bytes`] and of
/// `Limits::max_variable_expansion_bytes`: 1 MiB.
pub const DEFAULT_MAX_VARIABLE_EXPANSION_BYTES: usize = 1024 * 1024;

impl ExpandOptions {
    /// GitLab's defaults, used when GitLab itself needs the values (environment names,
    /// `workflow:name`): undefined references become empty, file and raw references are
    /// replaced.
    pub const GITLAB: ExpandOptions = ExpandOptions {
        keep_undefined: false,
        expand_file_refs: true,
        expand_raw_refs: true,
        max_added_bytes: DEFAULT_MAX_VARIABLE_EXPANSION_BYTES,
    };

    /// The options GitLab uses for the variables it sends to the runner: undefined, file and
    /// raw references are all kept for the runner.
    pub const RUNNER_PAYLOAD: ExpandOptions = ExpandOptions {
        keep_undefined: true,
        expand_file_refs: false,
        expand_raw_refs: false,
        max_added_bytes: DEFAULT_MAX_VARIABLE_EXPANSION_BYTES,
    };
}

impl Default for ExpandOptions {
    fn default() -> Self {
        ExpandOptions::GITLAB
    }
}

/// The outcome of [`sort_and_expand_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// The expanded variables in dependency order; when a cycle was found, the input
    /// unchanged, as GitLab returns it.
    pub variables: VariableList,
    /// The variable names of each reference cycle, in GitLab's order; empty when there is none.
    pub cycles: Vec<Vec<String>>,
    /// The variable whose expansion passed [`ExpandOptions::max_added_bytes`]; expansion stopped
    /// there and `variables` is the input unchanged.
    pub too_large: Option<String>,
}

impl Expansion {
    /// Formats GitLab's error for the cycles: `circular variable reference detected: ["A", "B"]`,
    /// with one list per cycle joined by `, `.
    pub fn cycle_message(&self) -> Option<String> {
        if self.cycles.is_empty() {
            return None;
        }
        let lists: Vec<String> = self
            .cycles
            .iter()
            .map(|names| {
                let quoted: Vec<String> = names.iter().map(|name| inspect_str(name)).collect();
                format!("[{}]", quoted.join(", "))
            })
            .collect();
        Some(format!(
            "circular variable reference detected: {}",
            lists.join(", ")
        ))
    }

    /// Builds the error for job `job` when nested expansion of its variables passed
    /// [`ExpandOptions::max_added_bytes`], naming the variable where it stopped.
    pub fn too_large_diagnostic(&self, job: &str, limit: usize) -> Option<Diagnostic> {
        let name = self.too_large.as_deref()?;
        let mut diagnostic = Diagnostic::error(
            "variable-expansion-too-large",
            format!(
                "{job}: expanding variable `{name}` adds more than {limit} bytes to the job's \
                 variables"
            ),
        )
        .with_help(
            "variables that reference other variables several times grow with every level; \
             reference the long value fewer times",
        );
        if let Some(span) = self.variables.all(name).find_map(|variable| variable.span) {
            diagnostic = diagnostic.with_span(span);
        }
        Some(diagnostic)
    }

    /// Builds the pipeline creation error GitLab reports for job `job` when its variables
    /// reference each other in a cycle: `<job>: circular variable reference detected: ["A", "B"]`.
    pub fn cycle_diagnostic(&self, job: &str) -> Option<Diagnostic> {
        let message = self.cycle_message()?;
        let mut diagnostic =
            Diagnostic::error("circular-variable-reference", format!("{job}: {message}"))
                .with_help(
                    "break the cycle: one of the variables must not refer back to the others",
                );

        // With a cycle `variables` is the input list, whose YAML definitions carry spans: the
        // first one found becomes the primary span, the others labels.
        let located = self.cycles.iter().flatten().filter_map(|name| {
            let span = self
                .variables
                .all(name)
                .find_map(|variable| variable.span)?;
            Some((name, span))
        });
        for (name, span) in located {
            if diagnostic.span.is_none() {
                diagnostic = diagnostic.with_span(span);
            } else {
                diagnostic = diagnostic.with_label(span, format!("`{name}` is part of the cycle"));
            }
        }
        Some(diagnostic)
    }
}

/// Expands every variable's references to the others, GitLab's
/// `Collection#sort_and_expand_all`.
///
/// The variables are sorted so that each comes after the ones it references (Tarjan's
/// algorithm over the definitions, as Ruby's `TSort` runs it), then expanded in that order, so
/// nested references resolve fully. Raw variables are left as written. `$$` and `%%` are left
/// as written for the runner, which turns `$$` into `$`. When definitions reference each other
/// in a cycle, nothing is expanded and [`Expansion::cycles`] lists the cycles. A variable that
/// references only itself is not a cycle.
pub fn sort_and_expand_all(variables: &VariableList, options: ExpandOptions) -> Expansion {
    let entries: Vec<&ResolvedVariable> = variables.iter().collect();
    sort_and_expand_definitions(&entries, options)
}

/// Runs [`sort_and_expand_all`] on borrowed definitions, so that a caller that picks some
/// definitions out of a longer list does not copy them first.
pub(crate) fn sort_and_expand_definitions(
    entries: &[&ResolvedVariable],
    options: ExpandOptions,
) -> Expansion {
    let unexpanded =
        || -> VariableList { entries.iter().map(|&variable| variable.clone()).collect() };
    let (references, components) = sort_definitions(entries);

    let cycles: Vec<Vec<String>> = components
        .bounds
        .iter()
        .filter_map(|bounds| components.order.get(bounds.clone()))
        .filter(|component| component.len() > 1)
        .map(|component| {
            component
                .iter()
                .filter_map(|&index| entries.get(index))
                .map(|variable| variable.name.as_str().to_owned())
                .collect()
        })
        .collect();
    if !cycles.is_empty() {
        return Expansion {
            variables: unexpanded(),
            cycles,
            too_large: None,
        };
    }

    match expand_in_order(entries, &references, &components.order, options) {
        Ok(expanded) => Expansion {
            variables: expanded
                .into_iter()
                .filter_map(|(index, value)| {
                    let variable = *entries.get(index)?;
                    Some(match value {
                        Some(value) => ResolvedVariable {
                            value,
                            ..variable.clone()
                        },
                        None => variable.clone(),
                    })
                })
                .collect(),
            cycles: Vec::new(),
            too_large: None,
        },
        Err(name) => Expansion {
            variables: unexpanded(),
            cycles: Vec::new(),
            too_large: Some(name),
        },
    }
}

/// Sorts and expands `entries` as [`sort_and_expand_definitions`] does, without copying
/// them. Returns each definition's index in `entries`, in GitLab's expansion order, with its
/// expanded value when GitLab looks at its value. Returns `None` when the definitions
/// reference each other in a cycle or the expansion grows past
/// [`ExpandOptions::max_added_bytes`]; [`sort_and_expand_definitions`] gives the details.
pub(crate) fn sort_and_expand_indexed(
    entries: &[&ResolvedVariable],
    options: ExpandOptions,
) -> Option<Vec<(usize, Option<String>)>> {
    let (references, components) = sort_definitions(entries);
    let cyclic = components.bounds.iter().any(|bounds| bounds.len() > 1);
    if cyclic {
        return None;
    }
    expand_in_order(entries, &references, &components.order, options).ok()
}

/// Finds the names each definition references and sorts the definitions so that each comes
/// after the ones it references, grouping those that reference each other in a cycle.
fn sort_definitions<'e>(
    entries: &[&'e ResolvedVariable],
) -> (Vec<Option<Vec<&'e str>>>, Components) {
    let references: Vec<Option<Vec<&str>>> = entries
        .iter()
        .map(|&variable| references_of(variable))
        .collect();
    let children = dependency_edges(entries, &references);
    let components = strongly_connected_components(&children);
    (references, components)
}

/// Expands the definitions in `order`, each with the definitions expanded before it. Returns
/// the name of the definition whose expansion went past the budget.
fn expand_in_order(
    entries: &[&ResolvedVariable],
    references: &[Option<Vec<&str>>],
    order: &[usize],
    options: ExpandOptions,
) -> Result<Vec<(usize, Option<String>)>, String> {
    let mut expanded: Vec<(usize, Option<String>)> = Vec::with_capacity(order.len());
    // The last definition of each name expanded so far, for long lists.
    let mut last: Option<HashMap<&str, usize>> =
        (order.len() > SHORT_EDGE_SEARCH).then(HashMap::default);
    let mut budget = options.max_added_bytes;
    for &index in order {
        let (Some(&variable), Some(references)) = (entries.get(index), references.get(index))
        else {
            continue;
        };
        let value = match references {
            None => None,
            Some(_) => {
                let lookup = |name: &str| -> Option<(&ResolvedVariable, &str)> {
                    let slot = match &last {
                        Some(last) => *last.get(name)?,
                        None => expanded
                            .iter()
                            .rposition(|(i, _)| entries.get(*i).is_some_and(|v| v.name == name))?,
                    };
                    let (i, value) = expanded.get(slot)?;
                    let definition = *entries.get(*i)?;
                    Some((definition, value.as_deref().unwrap_or(&definition.value)))
                };
                let Some(value) =
                    expand_collection_value(&variable.value, lookup, options, &mut budget)
                else {
                    return Err(variable.name.as_str().to_owned());
                };
                Some(value)
            }
        };
        if let Some(last) = &mut last {
            last.insert(variable.name.as_str(), expanded.len());
        }
        expanded.push((index, value));
    }
    Ok(expanded)
}

/// Lists the names a definition references. Returns `None` when GitLab does not look at its
/// value: the variable is raw or its value contains neither `$` nor `%`.
fn references_of(variable: &ResolvedVariable) -> Option<Vec<&str>> {
    if variable.raw || !variable.value.contains(['$', '%']) {
        return None;
    }
    Some(reference_names(&variable.value))
}

/// Lists the names `value` references with `$NAME`, `${NAME}` or `%NAME%`, in order, as
/// GitLab's `Item#depends_on` finds them (`$$` and `%%` are escapes, not references).
pub(crate) fn reference_names(value: &str) -> Vec<&str> {
    CollectionTokens::new(value)
        .filter_map(|token| match token {
            CollectionToken::Reference { name, .. } => Some(name),
            _ => None,
        })
        .collect()
}

/// For each definition, the definitions it depends on: every definition of every name it
/// references, in reference order and then list order, as GitLab's `Sort#tsort_each_child`
/// yields them.
fn dependency_edges(
    entries: &[&ResolvedVariable],
    references: &[Option<Vec<&str>>],
) -> Vec<Vec<usize>> {
    // Short lists, such as the definitions one job's expansion reaches, are searched
    // instead of indexed. Both ways list each name's definitions in list order.
    if entries.len() <= SHORT_EDGE_SEARCH {
        return references
            .iter()
            .map(|names| {
                let mut edges = Vec::new();
                for name in names.iter().flatten() {
                    let definitions = entries.iter().enumerate();
                    edges.extend(
                        definitions
                            .filter(|(_, variable)| variable.name == *name)
                            .map(|(index, _)| index),
                    );
                }
                edges
            })
            .collect();
    }
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::default();
    for (index, variable) in entries.iter().enumerate() {
        by_name
            .entry(variable.name.as_str())
            .or_default()
            .push(index);
    }
    references
        .iter()
        .map(|names| {
            names
                .iter()
                .flatten()
                .filter_map(|name| by_name.get(name))
                .flatten()
                .copied()
                .collect()
        })
        .collect()
}

/// Strongly connected components, stored one after the other.
struct Components {
    /// The nodes of every component, component by component.
    order: Vec<usize>,
    /// The range of [`Components::order`] that each component takes.
    bounds: Vec<Range<usize>>,
}

/// [`dependency_edges`] searches lists up to this length instead of indexing the names.
const SHORT_EDGE_SEARCH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    /// Visited, on the stack, with its visit number.
    Open(usize),
    /// Assigned to a component.
    Done,
}

struct Frame {
    node: usize,
    id: usize,
    minimum: usize,
    next_child: usize,
    stack_length: usize,
}

/// Finds the strongly connected components of the graph, in the order Ruby's
/// `TSort.each_strongly_connected_component` yields them: each component after the components
/// it depends on, its nodes in visit order. The search is iterative, so a long reference chain
/// cannot overflow the call stack.
fn strongly_connected_components(children: &[Vec<usize>]) -> Components {
    let mut visits = vec![Visit::New; children.len()];
    let mut next_id = 0;
    let mut stack: Vec<usize> = Vec::new();
    let mut components = Components {
        order: Vec::with_capacity(children.len()),
        bounds: Vec::with_capacity(children.len()),
    };

    for root in 0..children.len() {
        if visits.get(root) != Some(&Visit::New) {
            continue;
        }
        let mut frames = vec![enter(root, &mut visits, &mut next_id, &mut stack)];
        while let Some(frame) = frames.last_mut() {
            let child = children
                .get(frame.node)
                .and_then(|edges| edges.get(frame.next_child))
                .copied();
            if let Some(child) = child {
                frame.next_child += 1;
                match visits.get(child).copied() {
                    Some(Visit::Open(child_id)) => frame.minimum = frame.minimum.min(child_id),
                    Some(Visit::New) => {
                        frames.push(enter(child, &mut visits, &mut next_id, &mut stack));
                    }
                    Some(Visit::Done) | None => {}
                }
                continue;
            }

            let Some(finished) = frames.pop() else {
                break;
            };
            if finished.id == finished.minimum {
                let start = components.order.len();
                for node in stack.drain(finished.stack_length..) {
                    if let Some(visit) = visits.get_mut(node) {
                        *visit = Visit::Done;
                    }
                    components.order.push(node);
                }
                components.bounds.push(start..components.order.len());
            }
            if let Some(parent) = frames.last_mut() {
                parent.minimum = parent.minimum.min(finished.minimum);
            }
        }
    }
    components
}

fn enter(node: usize, visits: &mut [Visit], next_id: &mut usize, stack: &mut Vec<usize>) -> Frame {
    let id = *next_id;
    *next_id += 1;
    if let Some(visit) = visits.get_mut(node) {
        *visit = Visit::Open(id);
    }
    let frame = Frame {
        node,
        id,
        minimum: id,
        next_child: 0,
        stack_length: stack.len(),
    };
    stack.push(node);
    frame
}

/// Expands one value against the variables expanded so far (GitLab's
/// `Collection#expand_value`). `budget` is what the collection may still grow by; returns
/// `None`, before the text is built, when this value would grow past it.
pub(crate) fn expand_collection_value<'v>(
    value: &str,
    lookup: impl Fn(&str) -> Option<(&'v ResolvedVariable, &'v str)>,
    options: ExpandOptions,
    budget: &mut usize,
) -> Option<String> {
    // Room for the references to grow the value a little without reallocating.
    let mut out = String::with_capacity(value.len() + 64);
    for token in CollectionTokens::new(value) {
        match token {
            CollectionToken::Text(text) | CollectionToken::Verbatim(text) => out.push_str(text),
            // GitLab tests for a file variable before a raw one, so a raw file variable
            // follows `expand_file_refs`.
            CollectionToken::Reference { name, written } => {
                let replacement = match lookup(name) {
                    Some((variable, value)) if variable.file => {
                        let keep = !options.expand_file_refs;
                        if keep { written } else { value }
                    }
                    Some((variable, _)) if variable.raw && !options.expand_raw_refs => written,
                    Some((_, value)) => value,
                    None if options.keep_undefined => written,
                    None => "",
                };
                let added = replacement.len().saturating_sub(written.len());
                *budget = budget.checked_sub(added)?;
                out.push_str(replacement);
            }
        }
    }
    Some(out)
}

/// A piece of a variable value as GitLab's collection expansion reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CollectionToken<'a> {
    /// Plain text.
    Text(&'a str),
    /// `$$`, `%%` or `${}`: matched by GitLab's pattern but never expanded.
    Verbatim(&'a str),
    /// `$NAME`, `${NAME}` or `%NAME%`.
    Reference { name: &'a str, written: &'a str },
}

/// Splits a value with GitLab's `Collection::Item::VARIABLES_REGEXP`:
/// `\$\$|%%|\$(?<key>[a-zA-Z_][a-zA-Z0-9_]*)|\${\g<key>?}|%\g<key>%`, alternatives tried in
/// that order at each position.
struct CollectionTokens<'a> {
    rest: &'a str,
}

impl<'a> CollectionTokens<'a> {
    fn new(value: &'a str) -> Self {
        CollectionTokens { rest: value }
    }

    /// Matches GitLab's pattern at the start of `text` and returns the token and its length.
    fn match_at(text: &'a str) -> Option<(CollectionToken<'a>, usize)> {
        if text.starts_with("$$") || text.starts_with("%%") {
            return Some((CollectionToken::Verbatim(text.get(..2)?), 2));
        }
        if let Some(after) = text.strip_prefix('$') {
            if let Some(name) = name_prefix(after) {
                let length = 1 + name.len();
                let written = text.get(..length)?;
                return Some((CollectionToken::Reference { name, written }, length));
            }
            let inner = after.strip_prefix('{')?;
            let name = name_prefix(inner).unwrap_or_default();
            inner.get(name.len()..)?.strip_prefix('}')?;
            let length = 2 + name.len() + 1;
            let written = text.get(..length)?;
            if name.is_empty() {
                return Some((CollectionToken::Verbatim(written), length));
            }
            return Some((CollectionToken::Reference { name, written }, length));
        }
        let inner = text.strip_prefix('%')?;
        let name = name_prefix(inner)?;
        inner.get(name.len()..)?.strip_prefix('%')?;
        let length = 1 + name.len() + 1;
        let written = text.get(..length)?;
        Some((CollectionToken::Reference { name, written }, length))
    }
}

impl<'a> Iterator for CollectionTokens<'a> {
    type Item = CollectionToken<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let mut search_from = 0;
        loop {
            let Some(offset) = self.rest.get(search_from..)?.find(['$', '%']) else {
                let text = self.rest;
                self.rest = "";
                return Some(CollectionToken::Text(text));
            };
            let position = search_from + offset;
            let at = self.rest.get(position..)?;
            match CollectionTokens::match_at(at) {
                Some(_) if position > 0 => {
                    let text = self.rest.get(..position)?;
                    self.rest = at;
                    return Some(CollectionToken::Text(text));
                }
                Some((token, length)) => {
                    self.rest = at.get(length..)?;
                    return Some(token);
                }
                // Not a match here: the sigil is plain text.
                None => search_from = position + 1,
            }
        }
    }
}

/// Returns the longest prefix of `text` that is a variable name, `[A-Za-z_][A-Za-z0-9_]*`.
fn name_prefix(text: &str) -> Option<&str> {
    let first = text.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '_') {
        return None;
    }
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    text.get(..end)
}

/// Expands `value` the way the runner does, with Go's `os.Expand`. `$NAME` and `${NAME}` are
/// replaced in one pass, and the last definition of a name wins. An undefined name and the
/// shell's special names `* # @ ! ?` and `0`-`9` give the empty string, and `$$` gives `$`. A
/// file variable gives the path of its file (`$RUNNER_TEMP_PROJECT_DIR/NAME`). `%NAME%` is not
/// a reference for the runner.
pub fn runner_expand(value: &str, variables: &VariableList) -> String {
    runner_expand_with(value, |name| {
        variables.get(name).map(|variable| RunnerValue {
            value: &variable.value,
            file: variable.file,
        })
    })
}

/// A variable's value as the runner's expansion reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunnerValue<'v> {
    pub(crate) value: &'v str,
    /// Whether it is a file variable, which expands to the path of its file.
    pub(crate) file: bool,
}

/// Expands `value` as [`runner_expand`] does, with the variables that `lookup` returns: the
/// winning definition of each name.
pub(crate) fn runner_expand_with<'v>(
    value: &str,
    lookup: impl Fn(&str) -> Option<RunnerValue<'v>>,
) -> String {
    let bytes = value.as_bytes();
    let mut out = String::with_capacity(value.len());
    let mut copied_to = 0;
    let mut index = 0;
    while index < bytes.len() {
        let is_sigil = bytes.get(index) == Some(&b'$') && index + 1 < bytes.len();
        if !is_sigil {
            index += 1;
            continue;
        }
        out.push_str(value.get(copied_to..index).unwrap_or_default());
        let after = value.get(index + 1..).unwrap_or_default();
        let (name, width) = shell_name(after);
        if name.is_empty() && width == 0 {
            // `$` not followed by a name stays as it is.
            out.push('$');
        } else if !name.is_empty() {
            push_runner_value(&mut out, name, &lookup);
        }
        index += 1 + width;
        copied_to = index;
    }
    out.push_str(value.get(copied_to..).unwrap_or_default());
    out
}

/// Expands every non-raw variable against the whole list, in one pass, as the runner does
/// before a job starts (`Variables.Expand`).
pub fn runner_expand_all(variables: &VariableList) -> VariableList {
    variables
        .iter()
        .map(|variable| {
            let mut variable = variable.clone();
            if !variable.raw {
                variable.value = runner_expand(&variable.value, variables);
            }
            variable
        })
        .collect()
}

/// Go's `getShellName`: the name at the start of `text` (which follows a `$`) and the number of
/// bytes it takes. An empty name with a non-zero width is bad syntax, which Go drops.
fn shell_name(text: &str) -> (&str, usize) {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return ("", 0);
    };
    if first == b'{' {
        if bytes.len() > 2
            && bytes.get(1).is_some_and(|&c| is_shell_special(c))
            && bytes.get(2) == Some(&b'}')
        {
            return (text.get(1..2).unwrap_or_default(), 3);
        }
        return match text.find('}') {
            Some(1) => ("", 2),
            Some(close) => (text.get(1..close).unwrap_or_default(), close + 1),
            None => ("", 1),
        };
    }
    if is_shell_special(first) {
        return (text.get(..1).unwrap_or_default(), 1);
    }
    let end = bytes
        .iter()
        .position(|&c| !(c == b'_' || c.is_ascii_alphanumeric()))
        .unwrap_or(bytes.len());
    (text.get(..end).unwrap_or_default(), end)
}

fn is_shell_special(c: u8) -> bool {
    matches!(
        c,
        b'*' | b'#' | b'$' | b'@' | b'!' | b'?' | b'-' | b'0'..=b'9'
    )
}

/// Appends the value of `name` as the runner's `Variables.Get` looks it up.
fn push_runner_value<'v>(
    out: &mut String,
    name: &str,
    lookup: &impl Fn(&str) -> Option<RunnerValue<'v>>,
) {
    match name {
        "$" => return out.push('$'),
        "*" | "#" | "@" | "!" | "?" => return,
        _ if name.len() == 1 && name.as_bytes().first().is_some_and(u8::is_ascii_digit) => {
            return;
        }
        _ => {}
    }
    match lookup(name) {
        Some(variable) if variable.file => {
            let directory = lookup(RUNNER_TEMP_PROJECT_DIR).map_or("", |d| d.value);
            out.push_str(&go_path_join(directory, name));
        }
        Some(variable) => out.push_str(variable.value),
        None => {}
    }
}

/// The runner variable holding the directory where file variables are written.
pub const RUNNER_TEMP_PROJECT_DIR: &str = "RUNNER_TEMP_PROJECT_DIR";

/// Go's `path.Join(directory, name)`: joins with `/` and cleans the result.
fn go_path_join(directory: &str, name: &str) -> String {
    let joined = match (directory.is_empty(), name.is_empty()) {
        (true, true) => return String::new(),
        (true, false) => name.to_owned(),
        (false, true) => directory.to_owned(),
        (false, false) => format!("{directory}/{name}"),
    };
    go_path_clean(&joined)
}

/// Go's `path.Clean`: removes empty and `.` elements and resolves `..` lexically.
fn go_path_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::super::list::VariableSource;
    use super::*;
    use crate::source::{FileId, Span};

    fn yaml(pairs: &[(&str, &str)]) -> VariableList {
        pairs
            .iter()
            .map(|(name, value)| ResolvedVariable::new(*name, *value, VariableSource::GlobalYaml))
            .collect()
    }

    fn values(list: &VariableList) -> Vec<(String, String)> {
        list.to_pairs()
    }

    fn expanded_value(list: &VariableList, options: ExpandOptions, name: &str) -> String {
        let expansion = sort_and_expand_all(list, options);
        expansion
            .variables
            .value(name)
            .unwrap_or("<undefined>")
            .to_owned()
    }

    #[test]
    fn tokens_follow_gitlab_pattern() {
        let cases: &[(&str, &[CollectionToken<'_>])] = &[
            ("plain", &[CollectionToken::Text("plain")]),
            (
                "$$A",
                &[CollectionToken::Verbatim("$$"), CollectionToken::Text("A")],
            ),
            (
                "%%A%",
                &[CollectionToken::Verbatim("%%"), CollectionToken::Text("A%")],
            ),
            (
                "x${}y",
                &[
                    CollectionToken::Text("x"),
                    CollectionToken::Verbatim("${}"),
                    CollectionToken::Text("y"),
                ],
            ),
            (
                "$A-${B}-%C%",
                &[
                    CollectionToken::Reference {
                        name: "A",
                        written: "$A",
                    },
                    CollectionToken::Text("-"),
                    CollectionToken::Reference {
                        name: "B",
                        written: "${B}",
                    },
                    CollectionToken::Text("-"),
                    CollectionToken::Reference {
                        name: "C",
                        written: "%C%",
                    },
                ],
            ),
            ("${A", &[CollectionToken::Text("${A")]),
            ("100% $1", &[CollectionToken::Text("100% $1")]),
            (
                "$$$A",
                &[
                    CollectionToken::Verbatim("$$"),
                    CollectionToken::Reference {
                        name: "A",
                        written: "$A",
                    },
                ],
            ),
        ];
        for (value, expected) in cases {
            let tokens: Vec<_> = CollectionTokens::new(value).collect();
            assert_eq!(&tokens, expected, "value {value:?}");
        }
    }

    #[test]
    fn nested_references_resolve() {
        let list = yaml(&[("C", "$B/c"), ("B", "${A}/b"), ("A", "a")]);
        let expansion = sort_and_expand_all(&list, ExpandOptions::GITLAB);
        assert_eq!(expansion.variables.value("C"), Some("a/b/c"));
        assert!(expansion.cycles.is_empty());
    }

    #[test]
    fn dependency_order_puts_references_first() {
        let list = yaml(&[("C", "$B"), ("B", "$A"), ("A", "a")]);
        let expansion = sort_and_expand_all(&list, ExpandOptions::GITLAB);
        let names: Vec<&str> = expansion
            .variables
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(names, ["A", "B", "C"]);
    }

    fn bomb(levels: usize) -> VariableList {
        let mut pairs = vec![("V0".to_owned(), "xxxxxxxxxx".to_owned())];
        for level in 1..=levels {
            let previous = format!("$V{}", level - 1);
            pairs.push((format!("V{level}"), previous.repeat(4)));
        }
        pairs
            .iter()
            .map(|(name, value)| {
                ResolvedVariable::new(name.as_str(), value.as_str(), VariableSource::GlobalYaml)
            })
            .collect()
    }

    #[test]
    fn growth_limit_stops_at_variable() {
        let expansion = sort_and_expand_all(&bomb(15), ExpandOptions::GITLAB);
        assert_eq!(expansion.too_large.as_deref(), Some("V9"));
    }

    #[test]
    fn growth_limit_keeps_input() {
        let input = bomb(15);
        let expansion = sort_and_expand_all(&input, ExpandOptions::GITLAB);
        assert_eq!(expansion.variables, input);
    }

    #[test]
    fn growth_within_limit_expands() {
        let expansion = sort_and_expand_all(&bomb(3), ExpandOptions::GITLAB);
        assert_eq!(expansion.too_large, None);
        assert_eq!(expansion.variables.value("V3").map(str::len), Some(640));
    }

    #[test]
    fn growth_limit_configurable() {
        let options = ExpandOptions {
            max_added_bytes: 100,
            ..ExpandOptions::GITLAB
        };
        let expansion = sort_and_expand_all(&bomb(2), options);
        assert_eq!(expansion.too_large.as_deref(), Some("V2"));
    }

    #[test]
    fn growth_limit_message() {
        let diagnostic = sort_and_expand_all(&bomb(15), ExpandOptions::GITLAB)
            .too_large_diagnostic("job", 1024)
            .unwrap();
        assert_eq!(
            diagnostic.message,
            "job: expanding variable `V9` adds more than 1024 bytes to the job's variables"
        );
    }

    #[test]
    fn undefined_kept_or_removed() {
        let list = yaml(&[("A", "x${MISSING}y")]);
        assert_eq!(expanded_value(&list, ExpandOptions::GITLAB, "A"), "xy");
        assert_eq!(
            expanded_value(&list, ExpandOptions::RUNNER_PAYLOAD, "A"),
            "x${MISSING}y"
        );
    }

    #[test]
    fn escapes_left_for_runner() {
        let list = yaml(&[("A", "a"), ("B", "$$A %%A% $A")]);
        assert_eq!(
            expanded_value(&list, ExpandOptions::GITLAB, "B"),
            "$$A %%A% a"
        );
    }

    #[test]
    fn raw_variable_untouched() {
        let mut list = yaml(&[("A", "a")]);
        list.push(ResolvedVariable {
            raw: true,
            ..ResolvedVariable::new("R", "$A", VariableSource::JobYaml)
        });
        list.push_value("B", "<$R>", VariableSource::JobYaml);
        assert_eq!(expanded_value(&list, ExpandOptions::GITLAB, "R"), "$A");
        assert_eq!(expanded_value(&list, ExpandOptions::GITLAB, "B"), "<$A>");
        assert_eq!(
            expanded_value(&list, ExpandOptions::RUNNER_PAYLOAD, "B"),
            "<$R>"
        );
    }

    #[test]
    fn file_reference_kept_for_runner() {
        let mut list = VariableList::new();
        list.push(ResolvedVariable {
            file: true,
            ..ResolvedVariable::new("CERT", "-----BEGIN-----", VariableSource::Project)
        });
        list.push_value("OPTS", "--cert $CERT", VariableSource::JobYaml);
        assert_eq!(
            expanded_value(&list, ExpandOptions::GITLAB, "OPTS"),
            "--cert -----BEGIN-----"
        );
        assert_eq!(
            expanded_value(&list, ExpandOptions::RUNNER_PAYLOAD, "OPTS"),
            "--cert $CERT"
        );
    }

    #[test]
    fn raw_file_variable_follows_file_option() {
        let mut list = VariableList::new();
        list.push(ResolvedVariable {
            raw: true,
            file: true,
            ..ResolvedVariable::new("F", "content", VariableSource::Project)
        });
        list.push_value("A", "<$F>", VariableSource::JobYaml);
        let options = ExpandOptions {
            keep_undefined: false,
            expand_file_refs: true,
            expand_raw_refs: false,
            ..ExpandOptions::GITLAB
        };
        assert_eq!(expanded_value(&list, options, "A"), "<content>");
    }

    #[test]
    fn cycles_reported_as_gitlab_does() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("A", "$B"), ("B", "$A")],
                r#"circular variable reference detected: ["A", "B"]"#,
            ),
            (
                &[("A", "$B"), ("B", "$C"), ("C", "$A")],
                r#"circular variable reference detected: ["A", "B", "C"]"#,
            ),
            (
                &[
                    ("A", "$B"),
                    ("B", "$A"),
                    ("C", "$D"),
                    ("D", "$C"),
                    ("E", "e"),
                ],
                r#"circular variable reference detected: ["A", "B"], ["C", "D"]"#,
            ),
            (
                &[("X", "$A"), ("A", "$B"), ("B", "${X}")],
                r#"circular variable reference detected: ["X", "A", "B"]"#,
            ),
        ];
        for (pairs, message) in cases {
            let expansion = sort_and_expand_all(&yaml(pairs), ExpandOptions::GITLAB);
            assert_eq!(
                expansion.cycle_message().as_deref(),
                Some(*message),
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn cycle_leaves_values_unexpanded() {
        let list = yaml(&[("A", "$B"), ("B", "$A"), ("C", "$D"), ("D", "d")]);
        let expansion = sort_and_expand_all(&list, ExpandOptions::GITLAB);
        assert_eq!(values(&expansion.variables), values(&list));
    }

    #[test]
    fn self_reference_not_a_cycle() {
        let list = yaml(&[("A", "x$A")]);
        let expansion = sort_and_expand_all(&list, ExpandOptions::GITLAB);
        assert!(expansion.cycles.is_empty());
        assert_eq!(expansion.variables.value("A"), Some("x"));
    }

    #[test]
    fn self_reference_sees_earlier_definition() {
        let mut list = VariableList::new();
        list.push_value("PATH", "/usr/bin", VariableSource::Predefined);
        list.push_value("PATH", "/opt/bin:$PATH", VariableSource::JobYaml);
        let expansion = sort_and_expand_all(&list, ExpandOptions::GITLAB);
        assert_eq!(expansion.variables.value("PATH"), Some("/opt/bin:/usr/bin"));
    }

    #[test]
    fn cycle_diagnostic_names_job() {
        let expansion =
            sort_and_expand_all(&yaml(&[("A", "$B"), ("B", "$A")]), ExpandOptions::GITLAB);
        let diagnostic = expansion.cycle_diagnostic("build").unwrap();
        assert_eq!(
            diagnostic.message,
            r#"build: circular variable reference detected: ["A", "B"]"#
        );
        assert_eq!(diagnostic.code, "circular-variable-reference");
        assert_eq!(diagnostic.span, None);
    }

    #[test]
    fn cycle_diagnostic_points_at_definitions() {
        let span = |start| Span::new(FileId::default(), start, start + 2);
        let list: VariableList = [("A", "$B", 10), ("B", "$A", 20)]
            .into_iter()
            .map(|(name, value, start)| ResolvedVariable {
                span: Some(span(start)),
                ..ResolvedVariable::new(name, value, VariableSource::JobYaml)
            })
            .collect();
        let diagnostic = sort_and_expand_all(&list, ExpandOptions::GITLAB)
            .cycle_diagnostic("build")
            .unwrap();
        assert_eq!(diagnostic.span, Some(span(10)));
        let labels: Vec<(Span, &str)> = diagnostic
            .labels
            .iter()
            .map(|label| (label.span, label.message.as_str()))
            .collect();
        assert_eq!(labels, [(span(20), "`B` is part of the cycle")]);
    }

    #[test]
    fn long_chain_does_not_overflow() {
        let mut list = VariableList::new();
        list.push_value("V0", "end", VariableSource::GlobalYaml);
        for index in 1..20_000 {
            list.push_value(
                format!("V{index}"),
                format!("$V{}", index - 1),
                VariableSource::GlobalYaml,
            );
        }
        let expansion = sort_and_expand_all(&list, ExpandOptions::GITLAB);
        assert_eq!(expansion.variables.value("V19999"), Some("end"));
    }

    #[test]
    fn gitlab_expand_forms() {
        let list = yaml(&[("A", "a"), ("B", "$A")]);
        let cases = [
            ("$A/${A}/%A%", "a/a/a"),
            ("$$A", "$a"),
            ("$B", "$A"),
            ("x$MISSING", "x"),
        ];
        for (value, expected) in cases {
            assert_eq!(expand(value, &list), expected, "value {value:?}");
        }
        assert_eq!(expand_existing("x$MISSING/$A", &list), "x$MISSING/a");
    }

    #[test]
    fn expand_keeping_files_keeps_file_reference() {
        let mut list = yaml(&[("A", "a")]);
        list.push(ResolvedVariable {
            file: true,
            ..ResolvedVariable::new("F", "content", VariableSource::Project)
        });
        assert_eq!(
            expand_keeping_files("$A ${F} %F% $NONE.", &list),
            "a ${F} %F% ."
        );
    }

    #[test]
    fn runner_expand_cases() {
        let mut list = yaml(&[
            ("A", "a"),
            ("A", "later"),
            ("B", "$A"),
            ("RUNNER_TEMP_PROJECT_DIR", "/builds/p.tmp"),
        ]);
        list.push(ResolvedVariable {
            file: true,
            ..ResolvedVariable::new("F", "content", VariableSource::Project)
        });
        let cases = [
            ("$A", "later"),
            ("${A}", "later"),
            ("%A%", "%A%"),
            ("$$A", "$A"),
            ("cost $$5", "cost $5"),
            ("$B", "$A"),
            ("x$MISSING.y", "x.y"),
            ("$1A", "A"),
            ("${1}", ""),
            ("$* $# $@ $! $?", "    "),
            ("$", "$"),
            ("a$", "a$"),
            ("$/x", "$/x"),
            ("${}x", "x"),
            ("${Ax", "Ax"),
            ("${A B}", ""),
            ("$F", "/builds/p.tmp/F"),
            ("é$Aé", "élateré"),
        ];
        for (value, expected) in cases {
            assert_eq!(runner_expand(value, &list), expected, "value {value:?}");
        }
    }

    #[test]
    fn runner_expand_all_skips_raw() {
        let mut list = yaml(&[("A", "a"), ("B", "$A")]);
        list.push(ResolvedVariable {
            raw: true,
            ..ResolvedVariable::new("R", "$A", VariableSource::JobYaml)
        });
        let expanded = runner_expand_all(&list);
        assert_eq!(expanded.value("B"), Some("a"));
        assert_eq!(expanded.value("R"), Some("$A"));
    }

    #[test]
    fn go_path_clean_cases() {
        let cases = [
            ("", "."),
            ("a/b", "a/b"),
            ("/a//b/./c/..", "/a/b"),
            ("../a", "../a"),
            ("/../a", "/a"),
            ("a/../..", ".."),
        ];
        for (path, expected) in cases {
            assert_eq!(go_path_clean(path), expected, "path {path:?}");
        }
    }
}
