//! `parallel:` and `parallel:matrix`: validation, and the expansion of parallel jobs into their
//! instances (GitLab's normalization step).

use crate::hash::HashMap;

use indexmap::IndexMap;

use crate::diagnostic::Diagnostic;
use crate::inputs::ruby;
use crate::source::Span;
use crate::yaml::{Key, Node, Value};

use super::check::{Ctx, describe};
use super::model::{Dependency, Instance, Job, JobKind, JobNeed, Need, Parallel, Variable};

/// Parses a non-null `parallel:` value at GitLab's entry path `path`. `owner` is the kind of
/// job it belongs to, or `None` inside `needs`, where the `needs` level rejects numbers.
pub(crate) fn parse(
    path: &str,
    node: &Node,
    owner: Option<JobKind>,
    cx: &mut Ctx,
) -> Option<Parallel> {
    match &node.value {
        Value::Int(n) => number(path, node, *n, owner, cx),
        // A Bignum passes GitLab's integer check and fails its range check.
        Value::BigInt(digits) => {
            let saturated = if digits.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            };
            number(path, node, saturated, owner, cx)
        }
        Value::Float(_) => {
            error(cx, format!("{path} config must be an integer"), node, None);
            None
        }
        Value::Map(map) => {
            let mut valid = cx.check_keys(path, map, &["matrix"]);
            let Some(matrix_node) = map.get("matrix") else {
                error(
                    cx,
                    format!("{path} config missing required keys: matrix"),
                    node,
                    None,
                );
                return None;
            };
            let matrix = parse_matrix(&format!("{path}:matrix"), matrix_node, cx);
            valid &= matrix.is_some();
            valid.then_some(Parallel::Matrix { matrix: matrix? })
        }
        _ => {
            let help = format!("found {}", describe(node));
            error(
                cx,
                format!("{path} should be an integer or a hash"),
                node,
                Some(help),
            );
            None
        }
    }
}

fn number(
    path: &str,
    node: &Node,
    n: i64,
    owner: Option<JobKind>,
    cx: &mut Ctx,
) -> Option<Parallel> {
    let max = cx.limits.max_parallel;
    let mut valid = true;
    if owner == Some(JobKind::Bridge) {
        let message = format!("{path} config cannot use \"parallel: <number>\".");
        let help = "trigger jobs can only use `parallel: {matrix: [...]}`".to_owned();
        error(cx, message, node, Some(help));
        valid = false;
    }
    if n < 1 {
        error(
            cx,
            format!("{path} config must be greater than or equal to 1"),
            node,
            None,
        );
        valid = false;
    } else if n as u64 > max as u64 {
        error(
            cx,
            format!("{path} config must be less than or equal to {max}"),
            node,
            None,
        );
        valid = false;
    }
    valid.then_some(Parallel::Number(n as u32))
}

/// Parses `matrix:`: an array of hashes from identifier to a value or a list of values.
fn parse_matrix(
    path: &str,
    node: &Node,
    cx: &mut Ctx,
) -> Option<Vec<IndexMap<String, Vec<String>>>> {
    let Some(items) = node
        .as_seq()
        .filter(|items| items.iter().all(|i| i.as_map().is_some()))
    else {
        let help = if matches!(node.value, Value::Seq(_)) {
            "every entry must be a hash; a `!reference` here yields a nested array, which \
             `parallel:matrix` does not accept"
                .to_owned()
        } else {
            format!("found {}", describe(node))
        };
        error(
            cx,
            format!("{path} config should be an array of hashes"),
            node,
            Some(help),
        );
        return None;
    };

    let entry_path = format!("{path}:variables");
    let mut matrix = Vec::with_capacity(items.len());
    let mut valid = true;
    for item in items {
        match parse_matrix_entry(&entry_path, item, cx) {
            Some(entry) => matrix.push(entry),
            None => valid = false,
        }
    }
    if !valid {
        return None;
    }

    let limit = cx.limits.max_matrix_jobs;
    let total = count_instances(&matrix);
    if total > limit {
        let message = format!("{path} config generates too many jobs (maximum is {limit})");
        let help = format!("this matrix generates {total} jobs");
        error(cx, message, node, Some(help));
        return None;
    }
    Some(matrix)
}

/// Parses one matrix hash. GitLab accepts string and integer identifiers and values (with
/// one level of lists), rejects null values, and stringifies integers.
fn parse_matrix_entry(
    path: &str,
    node: &Node,
    cx: &mut Ctx,
) -> Option<IndexMap<String, Vec<String>>> {
    let map = node.as_map()?;
    if map.is_empty() {
        error(
            cx,
            format!("{path} config requires at least 1 items"),
            node,
            None,
        );
        return None;
    }
    let mut entry = IndexMap::with_capacity(map.len());
    for (key, value) in map.iter() {
        let name = match key {
            Key::String(s) => s.clone(),
            Key::Int(i) => i.to_string(),
            _ => return invalid_entry(path, node, cx),
        };
        let values = match &value.value {
            // GitLab's newest validator only rejects null values, so an empty list passes and
            // this entry's cartesian product is empty: it generates no job, and a job whose
            // every entry is like this disappears from the pipeline. Older GitLab versions
            // required every value to be present and rejected the list with the
            // `should be a hash of key value pairs` error. glplan follows the newest version
            // and warns, because dropping jobs is rarely what the author meant.
            Value::Seq(items) if items.is_empty() => {
                cx.diags.push(empty_values(path, &name, value));
                Vec::new()
            }
            Value::Seq(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    let Some(text) = matrix_value(item) else {
                        return invalid_entry(path, item, cx);
                    };
                    values.push(text);
                }
                values
            }
            _ => match matrix_value(value) {
                Some(text) => vec![text],
                None => return invalid_entry(path, value, cx),
            },
        };
        entry.insert(name, values);
    }
    Some(entry)
}

fn matrix_value(node: &Node) -> Option<String> {
    match &node.value {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::BigInt(digits) => Some(digits.clone()),
        _ => None,
    }
}

fn invalid_entry<T>(path: &str, node: &Node, cx: &mut Ctx) -> Option<T> {
    let message =
        format!("{path} config should be a hash of key value pairs, value can be an array");
    let help = format!(
        "identifiers and values must be strings or integers; found {}",
        describe(node)
    );
    error(cx, message, node, Some(help));
    None
}

fn empty_values(path: &str, name: &str, node: &Node) -> Diagnostic {
    Diagnostic::warning(
        "matrix-empty-values",
        format!("{path} `{name}` lists no values, so this matrix entry generates no jobs"),
    )
    .with_span(node.span)
    .with_help(format!(
        "give `{name}` at least one value, or remove the entry; older GitLab versions \
         reject the empty list"
    ))
}

fn count_instances(matrix: &[IndexMap<String, Vec<String>>]) -> usize {
    matrix
        .iter()
        .map(|entry| {
            entry
                .values()
                .fold(1usize, |acc, values| acc.saturating_mul(values.len()))
        })
        .fold(0usize, usize::saturating_add)
}

/// One generated instance before it becomes a job.
struct Spec {
    name: String,
    matrix: IndexMap<String, String>,
}

/// Lists the names and values of every instance of a `parallel:` job named `base`, in
/// GitLab's order. `parallel: N` gives `base 1/N` to `base N/N`. A matrix gives, for each hash
/// in turn, the cartesian product of its value lists in key order, the first key varying
/// slowest.
fn instances(base: &str, parallel: &Parallel) -> Vec<Spec> {
    match parallel {
        Parallel::Number(total) => (1..=*total)
            .map(|i| Spec {
                name: format!("{base} {i}/{total}"),
                matrix: IndexMap::new(),
            })
            .collect(),
        Parallel::Matrix { matrix } => {
            let mut out = Vec::new();
            for entry in matrix {
                for combination in cartesian(entry) {
                    // `base: [value, value]`, written in one buffer of its final size.
                    let length = base.len()
                        + 3
                        + combination
                            .values()
                            .map(|value| value.len() + 2)
                            .sum::<usize>();
                    let mut name = String::with_capacity(length);
                    name.push_str(base);
                    name.push_str(": [");
                    for (index, value) in combination.values().enumerate() {
                        if index > 0 {
                            name.push_str(", ");
                        }
                        name.push_str(value);
                    }
                    name.push(']');
                    out.push(Spec {
                        name,
                        matrix: combination,
                    });
                }
            }
            out
        }
    }
}

fn cartesian(entry: &IndexMap<String, Vec<String>>) -> Vec<IndexMap<String, String>> {
    let total = entry
        .values()
        .fold(1usize, |acc, values| acc.saturating_mul(values.len()));
    // Combination `number` takes value `(number / stride) % len` of each key, where a key's
    // stride is the product of the value counts of the keys after it, so the first key varies
    // slowest. Each combination is built once at its final size, without partial copies.
    let mut strides = vec![1usize; entry.len()];
    let mut stride = 1usize;
    for (slot, values) in strides.iter_mut().zip(entry.values()).rev() {
        *slot = stride;
        stride = stride.saturating_mul(values.len());
    }
    (0..total)
        .map(|number| {
            let mut combination = IndexMap::with_capacity(entry.len());
            for ((key, values), stride) in entry.iter().zip(&strides) {
                if let Some(value) = values.get(number / stride % values.len()) {
                    combination.insert(key.clone(), value.clone());
                }
            }
            combination
        })
        .collect()
}

/// The jobs after normalization.
pub(crate) struct Expanded {
    /// Every job, with parallel jobs replaced by their instances.
    pub jobs: IndexMap<String, Job>,
    /// Whether a matrix expression named an unknown identifier. GitLab then reports only
    /// those errors and skips the logical validation of the jobs.
    pub failed: bool,
}

/// Replaces every parallel job, at its position, by its instances, resolves matrix
/// expressions in `needs`, and rewrites `needs` and `dependencies` entries that name a
/// parallel job to name its instances.
///
/// As in GitLab, an instance whose generated name equals an existing job name replaces that job
/// and keeps its position. `rules:needs` entries are not rewritten, so naming a parallel job
/// there fails validation as an undefined need, as it does in GitLab.
pub(crate) fn expand(jobs: Vec<Job>, cx: &mut Ctx) -> Expanded {
    let mut specs: HashMap<String, Vec<Spec>> = jobs
        .iter()
        .filter_map(|job| {
            Some((
                job.name.clone(),
                instances(&job.name, job.parallel.as_ref()?),
            ))
        })
        .collect();
    // GitLab's normalizer returns the jobs untouched, matrix expressions included, when no
    // job is parallel.
    if specs.is_empty() {
        let jobs = jobs
            .into_iter()
            .map(|job| (job.name.clone(), job))
            .collect();
        return Expanded {
            jobs,
            failed: false,
        };
    }
    let expanded: HashMap<String, Vec<String>> = specs
        .iter()
        .map(|(name, specs)| (name.clone(), specs.iter().map(|s| s.name.clone()).collect()))
        .collect();

    let added: usize = expanded
        .values()
        .map(|names| names.len().saturating_sub(1))
        .sum();
    let mut out: IndexMap<String, Job> = IndexMap::with_capacity(jobs.len() + added);
    let mut unknown = UnknownIdentifiers::default();
    for mut job in jobs {
        let specs = match job.parallel {
            Some(_) => specs.remove(&job.name),
            None => None,
        };
        let Some(specs) = specs else {
            resolve_matrix_expressions(&job.name, &mut job.needs, &IndexMap::new(), &mut unknown);
            let span = job.span;
            if let Some(replaced) = out.insert(job.name.clone(), job) {
                cx.diags.push(replaced_warning(&replaced, None, span));
            }
            continue;
        };
        let total = specs.len() as u32;
        let base_name = job.name.clone();
        let mut job = Some(job);
        let mut specs = specs.into_iter().enumerate().peekable();
        while let Some((index, spec)) = specs.next() {
            let Some(base) = job.as_ref() else { break };
            check_name_length(&spec.name, base, cx);
            // The last instance takes the job itself instead of a copy.
            let mut instance = if specs.peek().is_some() {
                base.clone()
            } else {
                let Some(base) = job.take() else { break };
                base
            };
            let shadowed = spec
                .matrix
                .keys()
                .filter(|key| instance.variables.contains_key(key.as_str()))
                .cloned()
                .collect();
            for (key, value) in &spec.matrix {
                instance
                    .variables
                    .insert(key.clone(), Variable::plain(value.clone(), instance.span));
            }
            instance.name = spec.name.clone();
            resolve_matrix_expressions(&base_name, &mut instance.needs, &spec.matrix, &mut unknown);
            instance.instance = Some(Instance {
                base_name: base_name.clone(),
                node_index: index as u32 + 1,
                node_total: total,
                matrix: spec.matrix,
                shadowed,
            });
            let span = instance.span;
            if let Some(replaced) = out.insert(spec.name, instance) {
                cx.diags
                    .push(replaced_warning(&replaced, Some(&base_name), span));
            }
        }
    }

    let failed = !unknown.messages.is_empty();
    for (message, span) in unknown.messages {
        cx.diags.push(
            Diagnostic::error("unknown-matrix-identifier", message)
                .with_span(span)
                .with_help(
                    "every instance of the job's `parallel:matrix` must define each identifier \
                     that its matrix expressions name, and a job without `parallel:matrix` \
                     defines none",
                ),
        );
    }

    for job in out.values_mut() {
        rewrite_needs(job, &expanded);
        rewrite_dependencies(job, &expanded);
    }
    Expanded { jobs: out, failed }
}

/// The unknown-identifier errors found so far, each once, in the order GitLab reports them.
#[derive(Default)]
struct UnknownIdentifiers {
    messages: IndexMap<String, Span>,
}

/// Replaces each matrix expression `$[[ matrix.NAME ]]` in the strings of the `needs` of job
/// `base` (the name it was written with) by
/// the value `matrix` gives `NAME` (GitLab 18.6, `MatrixInterpolator`). GitLab applies it to
/// every job of a configuration that has a parallel job, once the job is expanded. Every
/// string value is resolved (job names, `parallel:matrix` values, projects, refs,
/// pipelines), but not the `parallel:matrix` identifiers, which are keys.
///
/// A job without `parallel:matrix` has no identifiers, so each expression in its `needs` is
/// an unknown identifier, reported as `<job> job: 'NAME' does not exist in matrix
/// configuration`.
///
/// NOTE: this is the path GitLab's normalizer takes with its `ci_refactor_normalizer` feature
/// flag on. With the flag off, only `parallel:matrix` instances are interpolated, so an
/// expression in another job's `needs` stays literal and names a job that does not exist.
///
/// NOTE: GitLab looks names up in the job's variables merged with the matrix values, so an
/// identifier that only a `variables:` entry defines resolves there to the text of GitLab's
/// internal variable hash. glplan reports it as unknown instead.
fn resolve_matrix_expressions(
    base: &str,
    needs: &mut Option<Vec<Need>>,
    matrix: &IndexMap<String, String>,
    unknown: &mut UnknownIdentifiers,
) {
    for need in needs.iter_mut().flatten() {
        let span = need.span();
        let mut resolve = |text: &mut String| {
            for name in interpolate_matrix(text, matrix) {
                let message =
                    format!("{base} job: '{name}' does not exist in matrix configuration");
                unknown.messages.entry(message).or_insert(span);
            }
        };
        match need {
            Need::Job(need) => {
                resolve(&mut need.job);
                let selections = need.parallel.iter_mut().flat_map(|p| p.matrix.iter_mut());
                for value in selections.flat_map(|entry| entry.values_mut()).flatten() {
                    resolve(value);
                }
            }
            Need::Project(need) => {
                resolve(&mut need.project);
                resolve(&mut need.job);
                resolve(&mut need.git_ref);
            }
            Need::Pipeline(need) => {
                resolve(&mut need.pipeline);
                resolve(&mut need.job);
            }
            Need::Upstream(need) => resolve(&mut need.pipeline),
        }
    }
}

/// Replaces the matrix expressions in `text` and returns the identifiers `matrix` lacks, whose
/// expressions stay as written.
///
/// GitLab matches `\$\[\[\s*matrix\.([a-zA-Z0-9_-]+)\s*\]\]` (RE2, where `\s` is space, tab,
/// line feed, form feed or carriage return). It then takes the matches in order and replaces
/// every occurrence of each matched text in the current result with Ruby's `String#gsub`. That
/// call also reads backslash sequences such as `\0` in the value.
fn interpolate_matrix(text: &mut String, matrix: &IndexMap<String, String>) -> Vec<String> {
    let matches = find_matrix_expressions(text);
    let mut unknown = Vec::new();
    for (expression, name) in matches {
        match matrix.get(&name) {
            Some(value) => *text = ruby::gsub_literal(text, &expression, value),
            None => unknown.push(name),
        }
    }
    unknown
}

/// Lists each matrix expression in `text` with its identifier, left to right.
fn find_matrix_expressions(text: &str) -> Vec<(String, String)> {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0c | b'\r');
    let is_identifier = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut start = 0;
    while let Some(offset) = text.get(start..).and_then(|rest| rest.find("$[[")) {
        let begin = start + offset;
        let mut i = begin + 3;
        while bytes.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        let matched = bytes
            .get(i..)
            .is_some_and(|rest| rest.starts_with(b"matrix."));
        if matched {
            let name_start = i + "matrix.".len();
            let mut end = name_start;
            while bytes.get(end).copied().is_some_and(is_identifier) {
                end += 1;
            }
            let mut close = end;
            while bytes.get(close).copied().is_some_and(is_space) {
                close += 1;
            }
            let closed = bytes
                .get(close..)
                .is_some_and(|rest| rest.starts_with(b"]]"));
            if end > name_start && closed {
                let expression = text.get(begin..close + 2).unwrap_or_default();
                let name = text.get(name_start..end).unwrap_or_default();
                found.push((expression.to_owned(), name.to_owned()));
                start = close + 2;
                continue;
            }
        }
        start = begin + 1;
    }
    found
}

fn check_name_length(name: &str, job: &Job, cx: &mut Ctx) {
    let max = cx.limits.max_job_name_length;
    if name.chars().count() > max {
        cx.diags.push(
            Diagnostic::error(
                "job-name-too-long",
                format!(
                    "jobs:{} generates the job name `{name}`, which is too long (maximum is \
                     {max} characters)",
                    job.name
                ),
            )
            .with_span(job.span),
        );
    }
}

fn rewrite_needs(job: &mut Job, expanded: &HashMap<String, Vec<String>>) {
    let touched = job.job_needs().any(|need| expanded.contains_key(&need.job));
    if !touched {
        return;
    }
    let Some(needs) = job.needs.take() else {
        return;
    };
    let mut rewritten = Vec::with_capacity(needs.len());
    for need in needs {
        let Need::Job(need) = need else {
            rewritten.push(need);
            continue;
        };
        let Some(all) = expanded.get(&need.job) else {
            rewritten.push(Need::Job(need));
            continue;
        };
        // `needs:parallel:matrix` names the instances to wait for; GitLab builds their names
        // from the need's own matrix, so a selection that matches no instance is reported
        // later as an undefined need.
        let names: Vec<String> = match &need.parallel {
            Some(selection) => {
                let selection = Parallel::Matrix {
                    matrix: selection.matrix.clone(),
                };
                instances(&need.job, &selection)
                    .into_iter()
                    .map(|s| s.name)
                    .collect()
            }
            None => all.clone(),
        };
        for name in names {
            rewritten.push(Need::Job(JobNeed {
                job: name,
                parallel: None,
                ..need.clone()
            }));
        }
    }
    job.needs = Some(rewritten);
}

fn rewrite_dependencies(job: &mut Job, expanded: &HashMap<String, Vec<String>>) {
    let touched = job
        .dependencies
        .iter()
        .flatten()
        .any(|dependency| expanded.contains_key(&dependency.job));
    if !touched {
        return;
    }
    let Some(dependencies) = job.dependencies.take() else {
        return;
    };
    let mut rewritten = Vec::with_capacity(dependencies.len());
    for dependency in dependencies {
        match expanded.get(&dependency.job) {
            Some(all) => rewritten.extend(all.iter().map(|name| Dependency {
                job: name.clone(),
                span: dependency.span,
            })),
            None => rewritten.push(dependency),
        }
    }
    job.dependencies = Some(rewritten);
}

/// Builds the warning that a job replaced the earlier job `replaced` of the same name. `base`
/// names the parallel job that generated the new job, if any, and `span` is where that job is
/// defined. GitLab gives no message: its normalizer writes the jobs into one hash by name, so
/// the last job of a name stays, at the place of the first.
fn replaced_warning(replaced: &Job, base: Option<&str>, span: Span) -> Diagnostic {
    const RENAME_HELP: &str = "rename one of the two jobs, because GitLab keeps only the last job \
                               of a name";
    let name = &replaced.name;
    let replaced_base = replaced.instance.as_ref().map(|i| i.base_name.as_str());
    let (message, help) = match (base, replaced_base) {
        // Combinations with other identifiers but the same values get the same name too.
        (Some(base), Some(replaced_base)) if base == replaced_base => (
            format!(
                "`parallel:matrix` of `{base}` generates the job `{name}` from more than one \
                 combination, so GitLab creates it once, with the values and `CI_NODE_INDEX` \
                 of the last one"
            ),
            "an instance's name lists only the values of its combination, so give each \
             combination different values; `CI_NODE_TOTAL` still counts every combination",
        ),
        (Some(base), Some(replaced_base)) => (
            format!(
                "`parallel` of `{base}` generates the job `{name}`, which replaces the job of \
                 that name that `parallel` of `{replaced_base}` generated before it"
            ),
            RENAME_HELP,
        ),
        (Some(base), None) => (
            format!(
                "`parallel` of `{base}` generates the job `{name}`, which replaces the job of \
                 that name defined before it"
            ),
            RENAME_HELP,
        ),
        (None, _) => (
            format!(
                "the job `{name}` replaces the job of that name that `parallel` generated before it"
            ),
            RENAME_HELP,
        ),
    };
    let diagnostic = Diagnostic::warning("job-name-replaced", message)
        .with_span(span)
        .with_help(help);
    // Instances of one job share its span, which the warning already points at.
    if replaced.span == span {
        diagnostic
    } else {
        let label = match replaced_base {
            Some(replaced_base) => format!("`{name}` generated by `{replaced_base}` first"),
            None => format!("`{name}` defined first"),
        };
        diagnostic.with_label(replaced.span, label)
    }
}

fn error(cx: &mut Ctx, message: String, node: &Node, help: Option<String>) {
    let mut diagnostic = Diagnostic::error("invalid-parallel", message).with_span(node.span);
    if let Some(help) = help {
        diagnostic = diagnostic.with_help(help);
    }
    cx.diags.push(diagnostic);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::super::testing::{build, build_yaml, valid, valid_yaml};
    use super::*;

    fn names(built: &super::super::testing::Built) -> Vec<&str> {
        built.config.jobs.keys().map(String::as_str).collect()
    }

    #[test]
    fn matrix_order() {
        // T5.9
        let built = valid_yaml(
            "deploystacks:\n  script: x\n  parallel:\n    matrix:\n      \
             - PROVIDER: aws\n        STACK: [monitoring, app1]\n      \
             - PROVIDER: [gcp, vultr]\n        STACK: [data, processing]\n",
        );
        assert_eq!(
            names(&built),
            [
                "deploystacks: [aws, monitoring]",
                "deploystacks: [aws, app1]",
                "deploystacks: [gcp, data]",
                "deploystacks: [gcp, processing]",
                "deploystacks: [vultr, data]",
                "deploystacks: [vultr, processing]",
            ]
        );
        for (i, job) in built.config.jobs.values().enumerate() {
            let instance = job.instance.as_ref().unwrap();
            assert_eq!(instance.node_total, 6);
            assert_eq!(instance.node_index as usize, i + 1);
            assert_eq!(instance.base_name, "deploystacks");
        }
        let third = built.job("deploystacks: [gcp, data]");
        assert_eq!(third.variables["PROVIDER"].value, "gcp");
        assert_eq!(third.variables["STACK"].value, "data");
    }

    #[test]
    fn number_and_matrix_with_needs() {
        // T5.10
        let built = valid_yaml(
            "test: {script: x, parallel: 3}\n\
             report: {script: x, needs: [test]}\n\
             one: {script: x, parallel: {matrix: [{V: [\"1\", 2]}]}, variables: {V: \"0\"}}\n",
        );
        assert_eq!(
            names(&built),
            [
                "test 1/3", "test 2/3", "test 3/3", "report", "one: [1]", "one: [2]"
            ]
        );
        let needed: Vec<&str> = built
            .job("report")
            .job_needs()
            .map(|n| n.job.as_str())
            .collect();
        assert_eq!(needed, ["test 1/3", "test 2/3", "test 3/3"]);
        assert_eq!(built.job("one: [1]").variables["V"].value, "1");
        assert_eq!(built.job("one: [2]").variables["V"].value, "2");
        let second = built.job("test 2/3").instance.clone().unwrap();
        assert_eq!((second.node_index, second.node_total), (2, 3));
        assert!(second.matrix.is_empty());
    }

    #[test]
    fn parallel_one() {
        let built = valid(json!({"a": {"script": "x", "parallel": 1}}));
        assert_eq!(names(&built), ["a 1/1"]);
    }

    #[test]
    fn instances_share_keywords() {
        let built = valid(json!({"a": {
            "script": "x",
            "rules": [{"if": "$A", "when": "manual"}],
            "cache": {"key": "k", "paths": ["p/"]},
            "parallel": {"matrix": [{"N": ["1", "2"]}]},
        }}));
        let first = built.job("a: [1]");
        let second = built.job("a: [2]");
        assert!(Arc::ptr_eq(
            first.rules.as_ref().unwrap(),
            second.rules.as_ref().unwrap()
        ));
        assert!(Arc::ptr_eq(
            first.script.as_ref().unwrap(),
            second.script.as_ref().unwrap()
        ));
        assert!(Arc::ptr_eq(
            first.cache.as_ref().unwrap(),
            second.cache.as_ref().unwrap()
        ));
        assert!(Arc::ptr_eq(
            first.parallel.as_ref().unwrap(),
            second.parallel.as_ref().unwrap()
        ));
    }

    #[test]
    fn number_bounds() {
        valid(json!({"a": {"script": "x", "parallel": 200}}));
        let cases = [
            (
                json!(0),
                "jobs:a:parallel config must be greater than or equal to 1",
            ),
            (
                json!(201),
                "jobs:a:parallel config must be less than or equal to 200",
            ),
            (json!(2.5), "jobs:a:parallel config must be an integer"),
            (json!("2"), "jobs:a:parallel should be an integer or a hash"),
            (
                json!({"number": 2}),
                "jobs:a:parallel config contains unknown keys: number",
            ),
        ];
        for (parallel, message) in cases {
            let built = build(json!({"a": {"script": "x", "parallel": parallel.clone()}}));
            assert_eq!(built.errors()[0], message, "parallel {parallel}");
        }
    }

    #[test]
    fn bignum_bounds() {
        let cases = [
            (
                "100000000000000000000",
                "jobs:a:parallel config must be less than or equal to 200",
            ),
            (
                "-0x10000000000000000",
                "jobs:a:parallel config must be greater than or equal to 1",
            ),
        ];
        for (parallel, message) in cases {
            let built = build_yaml(&format!("a:\n  script: x\n  parallel: {parallel}\n"));
            assert_eq!(built.errors(), [message], "parallel {parallel}");
        }
    }

    #[test]
    fn bignum_matrix_value() {
        let built = valid_yaml(
            "a:\n  script: x\n  parallel:\n    matrix:\n      - N: [123456789012345678901234567890]\n",
        );
        assert_eq!(names(&built), ["a: [123456789012345678901234567890]"]);
    }

    #[test]
    fn bridge_needs_matrix() {
        let built = build(json!({"t": {"trigger": "p", "parallel": 2}}));
        assert_eq!(
            built.errors(),
            ["jobs:t:parallel config cannot use \"parallel: <number>\"."]
        );
        let built =
            valid(json!({"t": {"trigger": "p", "parallel": {"matrix": [{"E": ["a", "b"]}]}}}));
        assert_eq!(names(&built), ["t: [a]", "t: [b]"]);
    }

    #[test]
    fn matrix_empty_values_warn() {
        let text = "one: {script: x, parallel: {matrix: [{V: []}]}}\nother: {script: x}\n";
        let built = build_yaml(text);
        assert_eq!(built.errors(), Vec::<&str>::new());
        assert_eq!(
            built.warnings(),
            [
                "jobs:one:parallel:matrix:variables `V` lists no values, so this matrix entry generates no jobs"
            ]
        );
        let span = built.diagnostics[0].span.unwrap();
        assert_eq!(&text[span.range()], "[]");
        assert!(built.diagnostics[0].help.is_some());
    }

    #[test]
    fn matrix_empty_values_drop_entry() {
        let text = "one: {script: x, parallel: {matrix: [{V: [], W: [a]}, {V: [b]}]}}\n";
        let built = build_yaml(text);
        assert_eq!(names(&built), ["one: [b]"]);
    }

    #[test]
    fn matrix_empty_values_drop_job() {
        let text = "one: {script: x, parallel: {matrix: [{V: []}]}}\n\
                    two: {script: x, needs: [one]}\n";
        let built = build_yaml(text);
        assert_eq!(names(&built), ["two"]);
        assert_eq!(built.errors(), Vec::<&str>::new());
    }

    #[test]
    fn matrix_bad_value_points_at_element() {
        let cases = [
            ("[a, 1.5]", "1.5"),
            ("[true]", "true"),
            ("[a, null]", "null"),
            ("[[a]]", "[a]"),
        ];
        for (values, element) in cases {
            let text = format!("one: {{script: x, parallel: {{matrix: [{{V: {values}}}]}}}}\n");
            let built = build_yaml(&text);
            assert_eq!(built.diagnostics.len(), 1, "{values}");
            let span = built.diagnostics[0].span.unwrap();
            assert_eq!(&text[span.range()], element, "{values}");
        }
    }

    #[test]
    fn matrix_limit() {
        let values = |n: usize| -> Vec<String> { (0..n).map(|i| format!("v{i}")).collect() };
        let ok = json!({"matrix": [{"A": values(20), "B": values(10)}]});
        assert_eq!(
            names(&valid(json!({"a": {"script": "x", "parallel": ok}}))).len(),
            200
        );

        let big = json!({"matrix": [{"A": values(20), "B": values(10)}, {"C": "one"}]});
        let built = build(json!({"a": {"script": "x", "parallel": big}}));
        assert_eq!(
            built.errors(),
            ["jobs:a:parallel:matrix config generates too many jobs (maximum is 200)"]
        );
    }

    #[test]
    fn matrix_invalid() {
        let entry = "jobs:a:parallel:matrix:variables config should be a hash of key value pairs, value can be an array";
        let cases = [
            (
                json!({}),
                "jobs:a:parallel config missing required keys: matrix",
            ),
            (
                json!({"matrix": {"A": "x"}}),
                "jobs:a:parallel:matrix config should be an array of hashes",
            ),
            (
                json!({"matrix": [[{"A": "x"}]]}),
                "jobs:a:parallel:matrix config should be an array of hashes",
            ),
            (
                json!({"matrix": [{}]}),
                "jobs:a:parallel:matrix:variables config requires at least 1 items",
            ),
            (json!({"matrix": [{"A": null}]}), entry),
            (json!({"matrix": [{"A": 1.5}]}), entry),
            (json!({"matrix": [{"A": [["x"]]}]}), entry),
            (json!({"matrix": [{"A": {"x": 1}}]}), entry),
        ];
        for (parallel, message) in cases {
            let built = build(json!({"a": {"script": "x", "parallel": parallel.clone()}}));
            assert_eq!(built.errors(), [message], "parallel {parallel}");
        }
    }

    #[test]
    fn matrix_integers_stringified() {
        let built = valid(json!({"a": {"script": "x", "parallel": {"matrix": [{"N": [1, 2]}]}}}));
        assert_eq!(names(&built), ["a: [1]", "a: [2]"]);
    }

    #[test]
    fn need_selects_instances() {
        let built = valid(json!({
            "build": {"stage": "build", "script": "x", "parallel": {"matrix": [{"OS": ["linux", "mac"], "ARCH": ["x64", "arm"]}]}},
            "test": {"script": "x", "needs": [{"job": "build", "parallel": {"matrix": [{"OS": "mac", "ARCH": "arm"}]}}]},
        }));
        let needs: Vec<&JobNeed> = built.job("test").job_needs().collect();
        assert_eq!(needs.len(), 1);
        assert_eq!(needs[0].job, "build: [mac, arm]");
        assert_eq!(needs[0].parallel, None);
    }

    #[test]
    fn need_selection_without_match() {
        let built = build(json!({
            "build": {"stage": "build", "script": "x", "parallel": {"matrix": [{"OS": ["linux"]}]}},
            "test": {"script": "x", "needs": [{"job": "build", "parallel": {"matrix": [{"OS": "bsd"}]}}]},
        }));
        assert_eq!(built.errors(), ["test job: undefined need: build: [bsd]"]);
    }

    #[test]
    fn dependencies_expanded() {
        let built = valid(json!({
            "build": {"stage": "build", "script": "x", "parallel": 2},
            "test": {"script": "x", "dependencies": ["build"]},
        }));
        let dependencies = built.job("test").dependencies.clone().unwrap();
        let names: Vec<&str> = dependencies.iter().map(|d| d.job.as_str()).collect();
        assert_eq!(names, ["build 1/2", "build 2/2"]);
        assert_eq!(
            dependencies[1].span,
            built.at(&["test", "dependencies", "0"]).span
        );
    }

    #[test]
    fn instances_keep_their_needs_rewritten() {
        let built = valid(json!({
            "build": {"stage": "build", "script": "x", "parallel": 2},
            "test": {"script": "x", "parallel": 2, "needs": ["build"]},
        }));
        let needed: Vec<&str> = built
            .job("test 2/2")
            .job_needs()
            .map(|n| n.job.as_str())
            .collect();
        assert_eq!(needed, ["build 1/2", "build 2/2"]);
    }

    #[test]
    fn same_name_overwrites_in_place() {
        let built = valid(json!({
            "a: [x]": {"script": "literal"},
            "b": {"script": "x"},
            "a": {"script": "generated", "parallel": {"matrix": [{"V": ["x", "y"]}]}},
        }));
        assert_eq!(names(&built), ["a: [x]", "b", "a: [y]"]);
        assert_eq!(
            built.job("a: [x]").script.as_deref(),
            Some(&vec!["generated".to_owned()])
        );
    }

    #[test]
    fn duplicate_combinations_collapse() {
        let built =
            valid(json!({"a": {"script": "x", "parallel": {"matrix": [{"V": "1"}, {"V": "1"}]}}}));
        assert_eq!(names(&built), ["a: [1]"]);
        let instance = built.job("a: [1]").instance.clone().unwrap();
        assert_eq!((instance.node_index, instance.node_total), (2, 2));
        let warnings = replaced_warnings(&built);
        assert_eq!(
            warnings,
            [
                "`parallel:matrix` of `a` generates the job `a: [1]` from more than one \
                 combination, so GitLab creates it once, with the values and `CI_NODE_INDEX` of \
                 the last one"
            ]
        );
    }

    #[test]
    fn replaced_jobs_warn_in_both_orders() {
        let built = valid(json!({
            "a: [x]": {"script": "literal"},
            "a": {"script": "generated", "parallel": {"matrix": [{"V": ["x", "y"]}]}},
            "a: [y]": {"script": "literal again"},
        }));
        assert_eq!(names(&built), ["a: [x]", "a: [y]"]);
        assert_eq!(
            replaced_warnings(&built),
            [
                "`parallel` of `a` generates the job `a: [x]`, which replaces the job of that \
                 name defined before it",
                "the job `a: [y]` replaces the job of that name that `parallel` generated \
                 before it",
            ]
        );
        let labels: Vec<&str> = built
            .diagnostics
            .iter()
            .filter(|d| d.code == "job-name-replaced")
            .flat_map(|d| d.labels.iter().map(|label| label.message.as_str()))
            .collect();
        assert_eq!(
            labels,
            ["`a: [x]` defined first", "`a: [y]` generated by `a` first"]
        );
    }

    #[test]
    fn different_combinations_of_one_name_warn() {
        let built = valid(json!({
            "a": {"script": "x", "parallel": {"matrix": [{"V": "1"}, {"W": "1"}]}},
        }));
        assert_eq!(names(&built), ["a: [1]"]);
        let warning = built
            .diagnostics
            .iter()
            .find(|d| d.code == "job-name-replaced")
            .expect("a job-name-replaced warning");
        assert_eq!(
            warning.message,
            "`parallel:matrix` of `a` generates the job `a: [1]` from more than one combination, \
             so GitLab creates it once, with the values and `CI_NODE_INDEX` of the last one"
        );
        let help = warning.help.as_deref().unwrap_or_default();
        assert!(!help.contains("repeated combination"), "{help}");
        assert!(help.contains("only the values"), "{help}");
    }

    #[test]
    fn instance_replacing_other_instance_warns() {
        let built = valid(json!({
            "b: [x]": {"script": "first", "parallel": {"matrix": [{"V": "y"}]}},
            "b": {"script": "second", "parallel": {"matrix": [{"W": "x]: [y"}]}},
        }));
        assert_eq!(names(&built), ["b: [x]: [y]"]);
        assert_eq!(
            replaced_warnings(&built),
            [
                "`parallel` of `b` generates the job `b: [x]: [y]`, which replaces the job of that \
              name that `parallel` of `b: [x]` generated before it"
            ]
        );
    }

    #[test]
    fn distinct_instances_do_not_warn() {
        let built = valid(json!({
            "a": {"script": "x", "parallel": {"matrix": [{"V": ["1", "2"]}, {"W": "3"}]}},
            "b": {"script": "x", "parallel": 2},
        }));
        assert_eq!(replaced_warnings(&built), Vec::<&str>::new());
    }

    fn replaced_warnings(built: &super::super::testing::Built) -> Vec<&str> {
        built
            .diagnostics
            .iter()
            .filter(|d| d.code == "job-name-replaced")
            .map(|d| d.message.as_str())
            .collect()
    }

    #[test]
    fn generated_name_too_long() {
        let value = "v".repeat(260);
        let built =
            build(json!({"a": {"script": "x", "parallel": {"matrix": [{"V": value.clone()}]}}}));
        assert_eq!(
            built.errors(),
            [format!(
                "jobs:a generates the job name `a: [{value}]`, which is too long (maximum is 255 characters)"
            )]
        );
    }
    fn needed(built: &super::super::testing::Built, job: &str) -> Vec<String> {
        built.job(job).job_needs().map(|n| n.job.clone()).collect()
    }

    #[test]
    fn matrix_expressions_map_one_to_one() {
        let built = valid(json!({
            "build": {"stage": "build", "script": "x", "parallel": {"matrix": [{"OS": ["linux", "mac"], "ARCH": ["x64", "arm"]}]}},
            "test": {"script": "x", "parallel": {"matrix": [{"OS": ["linux", "mac"], "ARCH": ["x64", "arm"]}]},
                "needs": [{"job": "build", "parallel": {"matrix": [{"OS": "$[[ matrix.OS ]]", "ARCH": ["$[[matrix.ARCH]]"]}]}}]},
        }));
        assert_eq!(
            needed(&built, "test: [linux, x64]"),
            ["build: [linux, x64]"]
        );
        assert_eq!(needed(&built, "test: [mac, arm]"), ["build: [mac, arm]"]);
    }

    #[test]
    fn matrix_expressions_in_job_names() {
        let built = valid(json!({
            "build": {"stage": "build", "script": "x", "parallel": {"matrix": [{"OS": ["linux", "mac"]}]}},
            "lint-linux": {"stage": "build", "script": "x"},
            "lint-mac": {"stage": "build", "script": "x"},
            "test": {"script": "x", "parallel": {"matrix": [{"OS": ["linux", "mac"]}]},
                "needs": ["build: [$[[ matrix.OS ]]]", {"job": "lint-$[[ matrix.OS ]]"}]},
        }));
        assert_eq!(needed(&built, "test: [mac]"), ["build: [mac]", "lint-mac"]);
    }

    #[test]
    fn matrix_expression_unknown_identifier() {
        let built = build(json!({
            "build": {"stage": "build", "script": "x", "parallel": {"matrix": [{"OS": ["linux", "mac"]}]}},
            "test": {"script": "x", "parallel": {"matrix": [{"OS": ["linux", "mac"]}]},
                "needs": [{"job": "build", "parallel": {"matrix": [{"OS": "$[[ matrix.NOPE ]]-$[[ matrix.NOPE ]]"}]}}]},
        }));
        // Reported once for the job, and the undefined need it leaves is not reported.
        assert_eq!(
            built.errors(),
            ["test job: 'NOPE' does not exist in matrix configuration"]
        );
    }

    #[test]
    fn matrix_expression_identifier_of_other_hash() {
        let built = build(json!({
            "build": {"stage": "build", "script": "x", "parallel": {"matrix": [{"OS": ["a", "b"]}]}},
            "test": {"script": "x", "parallel": {"matrix": [{"OS": ["a"]}, {"ARCH": ["x"]}]},
                "needs": [{"job": "build", "parallel": {"matrix": [{"OS": "$[[ matrix.OS ]]"}]}}]},
        }));
        let message = "test job: 'OS' does not exist in matrix configuration";
        assert_eq!(built.errors(), [message]);
        let help = built
            .diagnostic(message)
            .help
            .as_deref()
            .unwrap_or_default();
        assert!(help.starts_with("every instance"), "{help}");
    }

    #[test]
    fn matrix_expression_in_job_without_matrix() {
        let parallel = build(json!({
            "build": {"stage": "build", "script": "x", "parallel": 2},
            "test": {"script": "x", "needs": ["build-$[[ matrix.OS ]]"]},
        }));
        assert_eq!(
            parallel.errors(),
            ["test job: 'OS' does not exist in matrix configuration"]
        );
        let numbered = build(json!({
            "build": {"stage": "build", "script": "x"},
            "test": {"script": "x", "parallel": 2, "needs": ["build-$[[ matrix.OS ]]"]},
        }));
        assert_eq!(
            numbered.errors(),
            ["test job: 'OS' does not exist in matrix configuration"]
        );
    }

    #[test]
    fn matrix_expression_kept_without_parallel_jobs() {
        let built = build(json!({
            "build": {"stage": "build", "script": "x"},
            "test": {"script": "x", "needs": ["build-$[[ matrix.OS ]]"]},
        }));
        assert_eq!(
            built.errors(),
            ["test job: undefined need: build-$[[ matrix.OS ]]"]
        );
    }

    #[test]
    fn matrix_expression_in_cross_project_need() {
        let built = valid(json!({
            "build": {"stage": "build", "script": "x", "parallel": {"matrix": [{"OS": ["linux"]}]}},
            "test": {"script": "x", "parallel": {"matrix": [{"OS": ["linux"]}]},
                "needs": [{"project": "group/$[[ matrix.OS ]]", "job": "pack-$[[ matrix.OS ]]", "ref": "$[[ matrix.OS ]]"}]},
        }));
        let needs = built.job("test: [linux]").needs.clone().unwrap();
        let Need::Project(need) = &needs[0] else {
            panic!("expected a project need, found {needs:?}");
        };
        assert_eq!(need.project, "group/linux");
        assert_eq!(need.job, "pack-linux");
        assert_eq!(need.git_ref, "linux");
    }

    #[test]
    fn find_matrix_expressions_table() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("$[[ matrix.OS ]]", &[("$[[ matrix.OS ]]", "OS")]),
            ("$[[matrix.OS]]", &[("$[[matrix.OS]]", "OS")]),
            (
                "$[[\tmatrix.MY-VAR_1  ]]",
                &[("$[[\tmatrix.MY-VAR_1  ]]", "MY-VAR_1")],
            ),
            (
                "b-$[[ matrix.A ]]-$[[ matrix.B ]]",
                &[("$[[ matrix.A ]]", "A"), ("$[[ matrix.B ]]", "B")],
            ),
            ("$$[[ matrix.A ]]", &[("$[[ matrix.A ]]", "A")]),
            ("$[[ matrix. ]]", &[]),
            ("$[[ matrix.A ]", &[]),
            ("$[[ matrix.A.B ]]", &[]),
            ("$[[ inputs.A ]]", &[]),
            ("$[[ MATRIX.A ]]", &[]),
            ("$[[ matrix.A \u{b} ]]", &[]),
            ("$MATRIX", &[]),
        ];
        for (text, expected) in cases {
            let found = find_matrix_expressions(text);
            let found: Vec<(&str, &str)> = found
                .iter()
                .map(|(e, n)| (e.as_str(), n.as_str()))
                .collect();
            assert_eq!(found, *expected, "{text:?}");
        }
    }

    #[test]
    fn interpolate_matrix_replaces_every_occurrence() {
        let matrix: IndexMap<String, String> = [("A", "x"), ("B", "y")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut text = "$[[ matrix.A ]]/$[[ matrix.A ]]/$[[matrix.B]]/$[[ matrix.C ]]".to_owned();
        let unknown = interpolate_matrix(&mut text, &matrix);
        assert_eq!(text, "x/x/y/$[[ matrix.C ]]");
        assert_eq!(unknown, ["C"]);
    }

    #[test]
    fn interpolate_matrix_reads_backslash_codes() {
        let matrix: IndexMap<String, String> = [("A".to_owned(), "a\\\\b\\0".to_owned())]
            .into_iter()
            .collect();
        let mut text = "<$[[ matrix.A ]]>".to_owned();
        interpolate_matrix(&mut text, &matrix);
        assert_eq!(text, "<a\\b$[[ matrix.A ]]>");
    }
}
