//! The `explain` command's output: one job's trace through pipeline creation.

use std::fmt::Write as _;

use glplan::pipeline::{
    AbsentJob, ClauseEvaluation, JobRule, Pipeline, PlanTrigger, PlannedJob, PolicyEvaluation,
    RuleEvaluation, SourceLocation,
};
use serde::Serialize;

use crate::render::DisplayName;
use crate::table;

pub use glplan::report::{Neighbours, Subject, find, instances, job_names, neighbours};

/// Returns the JSON form: the pipeline's source, ref and outcome, the job's object from the
/// pipeline (`job`, or `absent` for a job left out), and its graph neighbours.
pub fn json(pipeline: &Pipeline, subject: &Subject<'_>) -> serde_json::Result<serde_json::Value> {
    glplan::report::explanation(pipeline, subject)
}

/// Renders the explanation as labelled lines, after the `description` lines.
pub fn text(
    pipeline: &Pipeline,
    subject: &Subject<'_>,
    description: &str,
    display: DisplayName<'_>,
) -> String {
    let mut out = String::new();
    out.push_str(description);
    match subject {
        Subject::Created(job) => created_text(&mut out, pipeline, job, display),
        Subject::Absent(job) => absent_text(&mut out, pipeline, job, display),
    }
    out
}

fn created_text(out: &mut String, pipeline: &Pipeline, job: &PlannedJob, display: DisplayName<'_>) {
    let _ = writeln!(out, "job: {}", job.name);
    if pipeline.created {
        let _ = writeln!(out, "status: created");
    } else {
        let _ = writeln!(
            out,
            "status: planned, but the pipeline is not created: {}",
            pipeline.errors.join("; ")
        );
    }
    let _ = writeln!(out, "stage: {}", job.stage);
    if let Some(location) = &job.location {
        let _ = writeln!(out, "defined at: {}", place(location, display));
    }
    rule_text(out, &job.rule, display);

    let _ = writeln!(out, "when: {}", job.when.as_str());
    let _ = writeln!(
        out,
        "allow_failure: {}",
        table::allow_failure_cell(&job.allow_failure)
    );
    let start_in = job.start_in.as_ref().map_or("-", |d| d.text.as_str());
    let _ = writeln!(out, "start_in: {start_in}");
    let _ = writeln!(out, "tags: {}", table::tags_cell(job));
    let _ = writeln!(out, "image: {}", image_text(job));
    if let Some(trigger) = &job.trigger {
        downstream_text(out, trigger);
    }

    let neighbours = neighbours(pipeline, &job.name);
    match &job.needs {
        None => {
            let _ = writeln!(
                out,
                "needs: none written; waits for the earlier stages: {}",
                list(&neighbours.waits_for)
            );
        }
        Some(needs) if needs.is_empty() => {
            let _ = writeln!(out, "needs: [] (starts when the pipeline does)");
        }
        Some(needs) => {
            let names: Vec<String> = needs
                .iter()
                .map(|need| {
                    let mut text = table::need_text(need);
                    if !need.artifacts {
                        text.push_str(" (no artifacts)");
                    }
                    text
                })
                .collect();
            let _ = writeln!(out, "needs: {}", names.join(", "));
        }
    }
    let _ = writeln!(out, "needed by: {}", list(&neighbours.needed_by));
    let _ = writeln!(out, "waited for by: {}", list(&neighbours.waited_for_by));
    variables_text(out, job);
}

fn absent_text(out: &mut String, pipeline: &Pipeline, job: &AbsentJob, display: DisplayName<'_>) {
    let _ = writeln!(out, "job: {}", job.name);
    let _ = writeln!(out, "status: absent: {}", table::absent_reason(job));
    let _ = writeln!(out, "stage: {}", job.stage);
    if let Some(location) = &job.location {
        let _ = writeln!(out, "defined at: {}", place(location, display));
    }
    match &job.rule {
        Some(rule) => rule_text(out, rule, display),
        None => {
            let _ = writeln!(out, "decided by: workflow: {}", pipeline.workflow.reason);
            for rule in &pipeline.workflow.rules {
                evaluation_text(out, rule, display);
            }
        }
    }
}

fn rule_text(out: &mut String, rule: &JobRule, display: DisplayName<'_>) {
    let by = serde_json::to_value(rule.by)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default();
    let _ = writeln!(out, "decided by: {by}: {}", rule.summary);
    for evaluation in &rule.rules {
        evaluation_text(out, evaluation, display);
    }
    if let Some(only) = &rule.only {
        let kind = if rule.implicit_only {
            "only (implicit: [branches, tags])"
        } else {
            "only"
        };
        policy_text(out, kind, only, display);
    }
    if let Some(except) = &rule.except {
        policy_text(out, "except", except, display);
    }
    for note in &rule.notes {
        let _ = writeln!(out, "  note: {note}");
    }
}

fn evaluation_text(out: &mut String, rule: &RuleEvaluation, display: DisplayName<'_>) {
    let outcome = if rule.matched {
        "matched"
    } else {
        "did not match"
    };
    let at = rule
        .location
        .as_ref()
        .map(|location| format!(" at {}", place(location, display)))
        .unwrap_or_default();
    let _ = writeln!(out, "  rule {}{at}: {outcome}", rule.index + 1);
    if rule.clauses.is_empty() {
        let _ = writeln!(out, "    no if, changes or exists: always matches");
    }
    for clause in &rule.clauses {
        clause_text(out, clause, display);
    }
}

fn policy_text(out: &mut String, kind: &str, policy: &PolicyEvaluation, display: DisplayName<'_>) {
    let outcome = if policy.satisfied {
        "holds"
    } else {
        "does not hold"
    };
    let _ = writeln!(out, "  {kind}: {outcome}");
    for key in &policy.keys {
        clause_text(out, key, display);
    }
}

fn clause_text(out: &mut String, clause: &ClauseEvaluation, display: DisplayName<'_>) {
    let kind = serde_json::to_value(clause.clause)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default();
    // The evaluator's detail usually starts with the clause's keyword (`if ... is true`).
    if clause.detail.starts_with(&kind) {
        let _ = writeln!(out, "    {}", clause.detail);
    } else {
        let outcome = if clause.holds { "holds" } else { "fails" };
        let _ = writeln!(out, "    {kind} {outcome}: {}", clause.detail);
    }
    if let Some(expression) = &clause.expression {
        let at = clause
            .location
            .as_ref()
            .map(|location| format!(" at {}", place(location, display)))
            .unwrap_or_default();
        let _ = writeln!(out, "      expression{at}: {expression}");
    }
    if !clause.reads.is_empty() {
        let reads: Vec<String> = clause
            .reads
            .iter()
            .map(|read| match &read.value {
                Some(value) => format!("{} = {value:?}", read.name),
                None => format!("{} = null", read.name),
            })
            .collect();
        let _ = writeln!(out, "      values: {}", reads.join(", "));
    }
    if let Some(note) = &clause.note {
        let _ = writeln!(out, "      note: {note}");
    }
}

fn variables_text(out: &mut String, job: &PlannedJob) {
    if job.variables.is_empty() {
        let _ = writeln!(out, "variables: none");
        return;
    }
    let _ = writeln!(out, "variables:");
    let name_width = job
        .variables
        .iter()
        .map(|variable| variable.name.chars().count())
        .max()
        .unwrap_or(0);
    let values: Vec<String> = job
        .variables
        .iter()
        .map(|variable| format!("{:?}", variable.value))
        .collect();
    let value_width = values.iter().map(|v| v.chars().count()).max().unwrap_or(0);
    for (variable, value) in job.variables.iter().zip(&values) {
        let source = source_name(&variable.source);
        let mut flags = Vec::new();
        if variable.raw {
            flags.push("raw".to_owned());
        }
        if variable.file {
            flags.push("file".to_owned());
        }
        if !variable.overrides.is_empty() {
            let overridden: Vec<String> = variable.overrides.iter().map(source_name).collect();
            flags.push(format!("overrides {}", overridden.join(", ")));
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!("; {}", flags.join("; "))
        };
        let _ = writeln!(
            out,
            "  {:name_width$}  {value:value_width$}  ({source}{flags})",
            variable.name
        );
    }
}

/// Returns a variable source's JSON name, such as `job_yaml` or `project`.
fn source_name(source: &impl Serialize) -> String {
    serde_json::to_value(source)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn image_text(job: &PlannedJob) -> String {
    match &job.image {
        Some(image) => match &image.expanded {
            Some(expanded) => format!("{expanded} (written {})", image.name),
            None => image.name.clone(),
        },
        // A trigger job runs no image; its line names the downstream pipeline instead.
        None => match table::downstream_cell(job).as_str() {
            "-" => table::image_cell(job),
            _ => table::downstream_cell(job),
        },
    }
}

/// Writes the outcome of a trigger job's downstream pipeline. The errors of a child pipeline
/// are GitLab's messages; the diagnostics on standard error locate them.
fn downstream_text(out: &mut String, trigger: &PlanTrigger) {
    match &trigger.downstream {
        Some(child) if child.created => {
            let _ = writeln!(out, "downstream: child pipeline created");
        }
        Some(child) => {
            let _ = writeln!(
                out,
                "downstream: child pipeline not created: {}",
                child.errors.join("; ")
            );
        }
        None => {}
    }
    if let Some(note) = &trigger.note {
        let _ = writeln!(out, "downstream note: {note}");
    }
}

fn place(location: &SourceLocation, display: DisplayName<'_>) -> String {
    format!(
        "{}:{}:{}",
        display(&location.file),
        location.line,
        location.column
    )
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline(yaml: &str) -> Pipeline {
        let files = glplan::MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
        let context = glplan::context::PipelineContext::push("main");
        let (_, pipeline) = glplan::pipeline::plan(
            ".gitlab-ci.yml",
            &files,
            &context,
            &glplan::pipeline::PlanOptions::default(),
        );
        pipeline.unwrap()
    }

    const YAML: &str = "stages: [build, test, deploy]\n\
        build: {stage: build, script: x}\n\
        test: {stage: test, script: x, needs: [build]}\n\
        deploy: {stage: deploy, script: x}\n\
        release: {stage: deploy, script: x, rules: [{if: $CI_COMMIT_TAG}]}\n";

    #[test]
    fn text_of_absent_job_shows_rule() {
        let pipeline = pipeline(YAML);
        let subject = find(&pipeline, "release").unwrap();
        let text = text(&pipeline, &subject, "push", &|name| name.to_owned());
        assert!(text.contains("status: absent: "), "{text}");
        assert!(text.contains("  rule 1 at .gitlab-ci.yml:5:"), "{text}");
        assert!(text.contains("      expression"), "{text}");
        assert!(text.contains("CI_COMMIT_TAG = null"), "{text}");
    }

    #[test]
    fn json_of_created_job() {
        let pipeline = pipeline(YAML);
        let subject = find(&pipeline, "build").unwrap();
        let value = json(&pipeline, &subject).unwrap();
        assert_eq!(value["job"]["name"], "build");
        assert_eq!(value["needed_by"][0], "test");
        assert!(value.get("absent").is_none());
    }
}
