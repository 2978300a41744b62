//! `parallel:` and `parallel:matrix`: validation, and the expansion of parallel jobs into their
//! instances (GitLab's normalization step).

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::diagnostic::Diagnostic;
use crate::yaml::{Key, Node, Value};

use super::check::{Ctx, describe};
use super::model::{Instance, Job, JobKind, JobNeed, Need, Parallel, Variable};

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

/// One matrix hash. GitLab accepts string and integer identifiers and values (one level of
/// lists), rejects null values, and stringifies integers.
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
            Value::Seq(items) => items.iter().map(matrix_value).collect::<Option<Vec<_>>>(),
            _ => matrix_value(value).map(|v| vec![v]),
        };
        let Some(values) = values else {
            return invalid_entry(path, value, cx);
        };
        entry.insert(name, values);
    }
    Some(entry)
}

fn matrix_value(node: &Node) -> Option<String> {
    match &node.value {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
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

/// Names and values of every instance of a `parallel:` job named `base`, in GitLab's order:
/// `base 1/N` to `base N/N`, or for a matrix each hash in turn, with the cartesian product of
/// its value lists in key order, first key varying slowest.
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
                    let values: Vec<&str> = combination.values().map(String::as_str).collect();
                    out.push(Spec {
                        name: format!("{base}: [{}]", values.join(", ")),
                        matrix: combination,
                    });
                }
            }
            out
        }
    }
}

fn cartesian(entry: &IndexMap<String, Vec<String>>) -> Vec<IndexMap<String, String>> {
    let mut combinations = vec![IndexMap::with_capacity(entry.len())];
    for (key, values) in entry {
        let mut next = Vec::with_capacity(combinations.len() * values.len());
        for partial in &combinations {
            for value in values {
                let mut combination: IndexMap<String, String> = partial.clone();
                combination.insert(key.clone(), value.clone());
                next.push(combination);
            }
        }
        combinations = next;
    }
    combinations
}

/// Replaces every parallel job, at its position, by its instances, and rewrites `needs` and
/// `dependencies` entries that name a parallel job to name its instances.
///
/// As in GitLab, an instance whose generated name equals an existing job name replaces that job
/// and keeps its position. `rules:needs` entries are not rewritten, so naming a parallel job
/// there fails validation as an undefined need, as it does in GitLab.
pub(crate) fn expand(jobs: IndexMap<String, Job>, cx: &mut Ctx) -> IndexMap<String, Job> {
    let expanded: HashMap<String, Vec<String>> = jobs
        .values()
        .filter_map(|job| {
            let parallel = job.parallel.as_ref()?;
            let names = instances(&job.name, parallel).into_iter().map(|s| s.name);
            Some((job.name.clone(), names.collect()))
        })
        .collect();
    if expanded.is_empty() {
        return jobs;
    }

    let mut out: IndexMap<String, Job> = IndexMap::with_capacity(jobs.len());
    for (name, job) in jobs {
        let Some(parallel) = job.parallel.clone() else {
            out.insert(name, job);
            continue;
        };
        let specs = instances(&name, &parallel);
        let total = specs.len() as u32;
        for (index, spec) in specs.into_iter().enumerate() {
            check_name_length(&spec.name, &job, cx);
            let mut instance = job.clone();
            for (key, value) in &spec.matrix {
                instance
                    .variables
                    .insert(key.clone(), Variable::plain(value.clone(), job.span));
            }
            instance.name = spec.name.clone();
            instance.instance = Some(Instance {
                base_name: name.clone(),
                node_index: index as u32 + 1,
                node_total: total,
                matrix: spec.matrix,
            });
            out.insert(spec.name, instance);
        }
    }

    for job in out.values_mut() {
        rewrite_needs(job, &expanded);
        rewrite_dependencies(job, &expanded);
    }
    out
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
            Some(selection) => instances(&need.job, selection)
                .into_iter()
                .map(|s| s.name)
                .collect(),
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
    let Some(dependencies) = job.dependencies.take() else {
        return;
    };
    let spans = std::mem::take(&mut job.meta.dependency_spans);
    let mut names = Vec::with_capacity(dependencies.len());
    let mut new_spans = Vec::with_capacity(dependencies.len());
    for (i, dependency) in dependencies.into_iter().enumerate() {
        let span = spans.get(i).copied().unwrap_or(job.span);
        match expanded.get(&dependency) {
            Some(all) => {
                names.extend(all.iter().cloned());
                new_spans.extend(std::iter::repeat_n(span, all.len()));
            }
            None => {
                names.push(dependency);
                new_spans.push(span);
            }
        }
    }
    job.dependencies = Some(names);
    job.meta.dependency_spans = new_spans;
}

fn error(cx: &mut Ctx, message: String, node: &Node, help: Option<String>) {
    let mut diagnostic = Diagnostic::error("invalid-parallel", message).with_span(node.span);
    if let Some(help) = help {
        diagnostic = diagnostic.with_help(help);
    }
    cx.diags.push(diagnostic);
}
