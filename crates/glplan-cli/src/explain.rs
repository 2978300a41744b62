//! The `explain` command's output: one job's trace through pipeline creation.

use std::ops::Deref;

use glplan::pipeline::{
    AbsentJob, ClauseEvaluation, CrossNeed, JobRule, Pipeline, PlanTrigger, PlannedJob,
    PolicyEvaluation, RuleEvaluation, SourceLocation,
};
use serde::Serialize;

use crate::render::DisplayName;
use crate::table;
use crate::terminal::{self, escape, escape_lines};

/// Appends one line to a `String` like `writeln!`, with the control characters of the
/// formatted text escaped as [`crate::terminal`] describes. The values on a line come from the
/// configuration, and a line feed in one must not start a line of its own.
macro_rules! write_line {
    ($out:expr, $($arg:tt)*) => {
        push_line($out, &format!($($arg)*))
    };
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(&escape(line));
    out.push('\n');
}

pub use glplan::report::{
    Found, Neighbours, Subject, artifact_sources, find, find_nested, instances, job_names,
    neighbours, parent_artifact_sources,
};

/// Returns the JSON form: the source, ref and outcome of the job's pipeline, the job's object
/// from that pipeline (`job`, or `absent` for a job left out) and its graph neighbours. For a
/// job of a child pipeline, `trigger` names the trigger job that creates that pipeline.
pub fn json(found: &Found<'_>) -> serde_json::Result<serde_json::Value> {
    serde_json::to_value(glplan::report::Explanation::of_found(found))
}

/// Renders the explanation as labelled lines, after the `description` lines.
pub fn text(found: &Found<'_>, description: &str, display: DisplayName<'_>) -> String {
    let mut out = String::new();
    out.push_str(&escape_lines(description));
    match found.subject {
        Subject::Created(job) => created_text(&mut out, found, job, display),
        Subject::Absent(job) => absent_text(&mut out, found.pipeline, job, display),
    }
    out
}

fn created_text(out: &mut String, found: &Found<'_>, job: &PlannedJob, display: DisplayName<'_>) {
    let pipeline = found.pipeline;
    write_line!(out, "job: {}", job.name);
    if let Some(reason) = job.creation_failure().filter(|_| pipeline.created) {
        write_line!(
            out,
            "status: created as failed (`{reason}`), because its environment name is not valid \
             after expansion; it never runs"
        );
    } else if pipeline.created {
        write_line!(out, "status: created");
    } else {
        write_line!(
            out,
            "status: planned, but the pipeline is not created: {}",
            pipeline.errors.join("; ")
        );
    }
    write_line!(out, "stage: {}", job.stage);
    if let Some(location) = &job.location {
        write_line!(out, "defined at: {}", place(location, display));
    }
    rule_text(out, &job.rule, display);

    write_line!(out, "when: {}", job.when.as_str());
    write_line!(
        out,
        "allow_failure: {}",
        table::allow_failure_cell(&job.allow_failure)
    );
    let start_in = job.start_in.as_ref().map_or("-", |d| d.text.as_str());
    write_line!(out, "start_in: {start_in}");
    write_line!(out, "tags: {}", table::tags_cell(job));
    write_line!(out, "image: {}", image_text(job));
    if let Some(trigger) = &job.trigger {
        downstream_text(out, trigger);
    }

    let neighbours = neighbours(pipeline, &job.name);
    match &job.needs {
        None => {
            write_line!(
                out,
                "needs: none written; waits for the earlier stages: {}",
                list(&neighbours.waits_for)
            );
        }
        Some(needs) if needs.is_empty() => {
            write_line!(out, "needs: [] (starts when the pipeline does)");
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
            write_line!(out, "needs: {}", names.join(", "));
        }
    }
    if !job.cross_needs.is_empty() {
        let entries: Vec<String> = job.cross_needs.iter().map(cross_need_text).collect();
        write_line!(out, "needs from other pipelines: {}", entries.join(", "));
    }
    write_line!(out, "needed by: {}", list(&neighbours.needed_by));
    write_line!(out, "waited for by: {}", list(&neighbours.waited_for_by));
    variables_text(out, job);
    dotenv_text(out, found, job);
}

fn absent_text(out: &mut String, pipeline: &Pipeline, job: &AbsentJob, display: DisplayName<'_>) {
    write_line!(out, "job: {}", job.name);
    write_line!(out, "status: absent: {}", table::absent_reason(job));
    write_line!(out, "stage: {}", job.stage);
    if let Some(location) = &job.location {
        write_line!(out, "defined at: {}", place(location, display));
    }
    match &job.rule {
        Some(rule) => rule_text(out, rule, display),
        None => {
            write_line!(out, "decided by: workflow: {}", pipeline.workflow.reason);
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
    write_line!(out, "decided by: {by}: {}", rule.summary);
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
        write_line!(out, "  note: {note}");
    }
}

fn evaluation_text(out: &mut String, rule: &RuleEvaluation, display: DisplayName<'_>) {
    let raised = rule.clauses.iter().any(|clause| clause.error.is_some());
    let outcome = if rule.matched {
        "matched"
    } else if raised {
        "raised an error, which ends the evaluation of the rules"
    } else {
        "did not match"
    };
    let at = rule
        .location
        .as_ref()
        .map(|location| format!(" at {}", place(location, display)))
        .unwrap_or_default();
    write_line!(out, "  rule {}{at}: {outcome}", rule.index + 1);
    if rule.clauses.is_empty() {
        write_line!(out, "    no if, changes or exists: always matches");
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
    write_line!(out, "  {kind}: {outcome}");
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
        write_line!(out, "    {}", clause.detail);
    } else {
        let outcome = if clause.holds { "holds" } else { "fails" };
        write_line!(out, "    {kind} {outcome}: {}", clause.detail);
    }
    if let Some(expression) = &clause.expression {
        let at = clause
            .location
            .as_ref()
            .map(|location| format!(" at {}", place(location, display)))
            .unwrap_or_default();
        write_line!(out, "      expression{at}: {expression}");
    }
    if clause.error.is_some()
        && let Some(location) = &clause.location
    {
        write_line!(out, "      compare_to at {}", place(location, display));
    }
    if !clause.reads.is_empty() {
        let reads: Vec<String> = clause
            .reads
            .iter()
            .map(|read| {
                let mut text = match &read.value {
                    Some(value) => format!("{} = {value:?}", read.name),
                    None => format!("{} = null", read.name),
                };
                if !read.withheld.is_empty() {
                    let name_groups = several_groups(read.withheld_groups.iter().flatten());
                    let levels = definition_names(
                        &read.withheld,
                        &read.withheld_scopes,
                        &read.withheld_groups,
                        name_groups,
                    );
                    let noun = if levels.len() == 1 {
                        "variable"
                    } else {
                        "variables"
                    };
                    text.push_str(" (withheld protected ");
                    text.push_str(&levels.join(", "));
                    text.push(' ');
                    text.push_str(noun);
                    text.push(')');
                }
                text
            })
            .collect();
        write_line!(out, "      values: {}", reads.join(", "));
    }
    if let Some(note) = &clause.note {
        write_line!(out, "      note: {note}");
    }
}

fn variables_text(out: &mut String, job: &PlannedJob) {
    if job.variables.is_empty() {
        write_line!(out, "variables: none");
    } else {
        variable_lines(out, job);
    }
    withheld_text(out, job);
}

fn variable_lines(out: &mut String, job: &PlannedJob) {
    write_line!(out, "variables:");
    // Names and values are escaped before they are measured, so that the columns line up.
    let names: Vec<String> = job
        .variables
        .iter()
        .map(|variable| escape(&variable.name).into_owned())
        .collect();
    let values: Vec<String> = job
        .variables
        .iter()
        .map(|variable| escape(&format!("{:?}", variable.value)).into_owned())
        .collect();
    let name_width = names.iter().map(|n| terminal::width(n)).max().unwrap_or(0);
    let value_width = values.iter().map(|v| terminal::width(v)).max().unwrap_or(0);
    for ((variable, name), value) in job.variables.iter().zip(&names).zip(&values) {
        let name_groups = several_groups(
            variable
                .group
                .iter()
                .chain(variable.override_groups.iter().flatten()),
        );
        let source = scoped_source_name(
            &variable.source,
            variable.group.as_deref().filter(|_| name_groups),
            variable.environment_scope.as_deref(),
        );
        let mut flags = Vec::new();
        if variable.protected {
            flags.push("protected".to_owned());
        }
        if variable.raw {
            flags.push("raw".to_owned());
        }
        if variable.file {
            flags.push("file".to_owned());
        }
        if !variable.overrides.is_empty() {
            let overridden = definition_names(
                &variable.overrides,
                &variable.override_scopes,
                &variable.override_groups,
                name_groups,
            );
            flags.push(format!("overrides {}", overridden.join(", ")));
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!("; {}", flags.join("; "))
        };
        let mut line = String::from("  ");
        terminal::push_padded(&mut line, name, name_width);
        line.push_str("  ");
        terminal::push_padded(&mut line, value, value_width);
        write_line!(out, "{line}  ({source}{flags})");
    }
}

/// Writes the jobs whose `dotenv` reports reach this job, from its own pipeline and, through
/// `needs:pipeline:job`, from the parent pipeline. Their variables exist only at run time, and
/// they override the YAML variables listed above. A trigger job is left out, because it runs no
/// script and glplan does not model how it passes them downstream.
fn dotenv_text(out: &mut String, found: &Found<'_>, job: &PlannedJob) {
    if job.trigger.is_some() {
        return;
    }
    let own = artifact_sources(found.pipeline, &job.name)
        .into_iter()
        .map(|source| (source.name.to_string(), source));
    // A job of the parent pipeline is named as `explain` takes it, after the trigger jobs
    // above the parent, and marked as the parent's.
    let parent_prefix: String = found
        .triggers
        .split_last()
        .map(|(_, above)| above.iter().map(|name| format!("{name}/")).collect())
        .unwrap_or_default();
    let from_parent = found
        .parent
        .map(|parent| parent_artifact_sources(parent, job))
        .unwrap_or_default()
        .into_iter()
        .map(|source| {
            let name = format!("parent pipeline job {parent_prefix}{}", source.name);
            (name, source)
        });
    let reports: Vec<String> = own
        .chain(from_parent)
        .filter_map(|(name, source)| {
            let files = &source.artifacts.as_ref()?.dotenv;
            if files.is_empty() {
                return None;
            }
            let files: Vec<String> = files.iter().map(|file| format!("`{file}`")).collect();
            Some(format!("{name} ({})", files.join(", ")))
        })
        .collect();
    if reports.is_empty() {
        return;
    }
    write_line!(
        out,
        "dotenv: at run time, the dotenv reports of {} add variables that override the YAML \
         variables above, but not the instance, group, project or pipeline variables",
        reports.join(", ")
    );
}

/// Writes the protected settings variables GitLab leaves out of the job with their levels,
/// and for a name the job still has, the level its value comes from.
fn withheld_text(out: &mut String, job: &PlannedJob) {
    if job.withheld_variables.is_empty() {
        return;
    }
    write_line!(
        out,
        "withheld: protected variables, which GitLab passes only to pipelines of protected \
         branches and tags:"
    );
    let names: Vec<String> = job
        .withheld_variables
        .iter()
        .map(|variable| escape(&variable.name).into_owned())
        .collect();
    let name_width = names.iter().map(|n| terminal::width(n)).max().unwrap_or(0);
    for (variable, name) in job.withheld_variables.iter().zip(&names) {
        let winner = job
            .variables
            .iter()
            .find(|winner| winner.name == variable.name);
        // The group of the value the job gets counts too, so that the line distinguishes a
        // withheld group from the group whose value the job gets.
        let winner_group = winner.and_then(|winner| winner.group.as_ref());
        let name_groups = several_groups(variable.groups.iter().flatten().chain(winner_group));
        let sources = definition_names(
            &variable.sources,
            &variable.scopes,
            &variable.groups,
            name_groups,
        );
        let mut text = sources.join(", ");
        if let Some(winner) = winner {
            text.push_str("; the job gets the ");
            text.push_str(&scoped_source_name(
                &winner.source,
                winner.group.as_deref().filter(|_| name_groups),
                winner.environment_scope.as_deref(),
            ));
            text.push_str(" value above");
        }
        let mut line = String::from("  ");
        terminal::push_padded(&mut line, name, name_width);
        write_line!(out, "{line}  ({text})");
    }
}

/// Returns whether `groups` contains more than one distinct group path. Group paths make a line
/// longer, so a line names them only when its definitions come from more than one group.
fn several_groups<S: AsRef<str>>(groups: impl IntoIterator<Item = S>) -> bool {
    let mut groups = groups.into_iter();
    let Some(first) = groups.next() else {
        return false;
    };
    groups.any(|group| group.as_ref() != first.as_ref())
}

/// Names each definition of a list as [`scoped_source_name`] does. `scopes` and `groups` contain
/// the scope and group path of the entry of `sources` at the same index, and may be empty when
/// no entry has one. The group paths are named only when `name_groups` is true.
fn definition_names<S: Deref<Target = str>>(
    sources: &[impl Serialize],
    scopes: &[Option<S>],
    groups: &[Option<S>],
    name_groups: bool,
) -> Vec<String> {
    sources
        .iter()
        .enumerate()
        .map(|(index, source)| {
            let scope = scopes.get(index).and_then(Option::as_deref);
            let group = groups
                .get(index)
                .and_then(Option::as_deref)
                .filter(|_| name_groups);
            scoped_source_name(source, group, scope)
        })
        .collect()
}

/// Names a variable's level, such as `group top/sub@production`. The group's path follows when
/// `group` is given, and `@SCOPE` when the definition's environment scope is not `*`, as
/// `--project-var KEY@SCOPE=VALUE` writes it.
fn scoped_source_name(source: &impl Serialize, group: Option<&str>, scope: Option<&str>) -> String {
    let mut name = source_name(source);
    if group.is_none() && scope.is_none() {
        return name;
    }
    if let Some(group) = group {
        name.push(' ');
        name.push_str(group);
    }
    if let Some(scope) = scope {
        name.push('@');
        name.push_str(scope);
    }
    escape(&name).into_owned()
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
            None => image.name.to_string(),
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
        Some(child) if child.created && trigger.downstream_created_when_played => {
            write_line!(
                out,
                "downstream: child pipeline created when the job is played"
            );
        }
        Some(child) if child.created => {
            write_line!(out, "downstream: child pipeline created");
        }
        Some(child) => {
            write_line!(
                out,
                "downstream: child pipeline not created: {}",
                child.errors.join("; ")
            );
        }
        None => {}
    }
    if let Some(note) = &trigger.note {
        write_line!(out, "downstream note: {note}");
    }
}

/// Describes a `needs:project` or `needs:pipeline` entry, which the job does not wait for,
/// with each value as GitLab expands it and, where that differs, as written.
fn cross_need_text(need: &CrossNeed) -> String {
    let value = |written: Option<&str>, expanded: Option<&str>| {
        let written = written.unwrap_or_default();
        match expanded {
            Some("") => format!("\"\" (`{written}`)"),
            Some(expanded) => format!("{expanded} (`{written}`)"),
            None if needs_runner(need, written) => {
                format!("{written} (expanded once a runner takes the job)")
            }
            None => written.to_owned(),
        }
    };
    let job = value(need.job.as_deref(), need.job_expanded.as_deref());
    let mut text = match (&need.job, &need.project, &need.pipeline) {
        (Some(_), Some(_), _) => {
            let project = value(need.project.as_deref(), need.project_expanded.as_deref());
            let git_ref = value(need.git_ref.as_deref(), need.git_ref_expanded.as_deref());
            format!("{job} of project {project} at ref {git_ref}")
        }
        (Some(_), None, Some(_)) => {
            let pipeline = value(need.pipeline.as_deref(), need.pipeline_expanded.as_deref());
            format!("{job} of pipeline {pipeline}")
        }
        (None, _, Some(project)) => format!("the pipeline status of upstream project {project}"),
        _ => "-".to_owned(),
    };
    if need.job.is_some() && !need.artifacts {
        text.push_str(" (no artifacts)");
    }
    text
}

/// Returns whether `written`, a value of `need`, references a variable that is known only
/// once a runner takes the job.
fn needs_runner(need: &CrossNeed, written: &str) -> bool {
    let plain_reference = |name: &str| {
        let reference = format!("${name}");
        written.match_indices(&reference).any(|(at, _)| {
            let after = written
                .get(at + reference.len()..)
                .and_then(|rest| rest.chars().next());
            !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    };
    need.unknown_variables.iter().any(|name| {
        plain_reference(name)
            || written.contains(&format!("${{{name}}}"))
            || written.contains(&format!("%{name}%"))
    })
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

    /// Plans `yaml` with the rule traces kept, as `glplan explain` does.
    fn pipeline(yaml: &str) -> Pipeline {
        let files = glplan::MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
        let context = glplan::context::PipelineContext::push("main");
        let options = glplan::pipeline::PlanOptions {
            rule_traces: true,
            ..glplan::pipeline::PlanOptions::default()
        };
        let (_, pipeline) = glplan::pipeline::plan(".gitlab-ci.yml", &files, &context, &options);
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
        let found = find_nested(&pipeline, "release").unwrap();
        let text = text(&found, "push", &|name| name.to_owned());
        assert!(text.contains("status: absent: "), "{text}");
        assert!(text.contains("  rule 1 at .gitlab-ci.yml:5:"), "{text}");
        assert!(text.contains("      expression"), "{text}");
        assert!(text.contains("CI_COMMIT_TAG = null"), "{text}");
    }

    #[test]
    fn text_of_job_left_out_by_only() {
        let pipeline = pipeline("build: {script: x}\nrelease: {script: x, only: [tags]}\n");
        let found = find_nested(&pipeline, "release").unwrap();
        let text = text(&found, "push", &|name| name.to_owned());
        assert!(
            text.contains("status: absent: only does not hold: "),
            "{text}"
        );
        assert!(!text.contains("absent: absent"), "{text}");
    }

    #[test]
    fn text_of_job_created_as_failed() {
        let pipeline = pipeline(
            "variables: {BRANCH: 'a:b'}\n\
             deploy: {script: x, environment: review/$BRANCH}\n\
             build: {script: x}\n",
        );
        let found = find_nested(&pipeline, "deploy").unwrap();
        let failed = text(&found, "", &|name| name.to_owned());
        assert!(
            failed.contains(
                "status: created as failed (`environment_creation_failure`), because its \
                 environment name is not valid after expansion; it never runs\n"
            ),
            "{failed}"
        );
        let found = find_nested(&pipeline, "build").unwrap();
        let created = text(&found, "", &|name| name.to_owned());
        assert!(created.contains("status: created\n"), "{created}");
    }

    #[test]
    fn text_of_manual_trigger_job() {
        let files = glplan::MemoryFiles::new()
            .with_file(
                ".gitlab-ci.yml",
                "deploy: {when: manual, trigger: {include: c.yml}}\n\
                 auto: {trigger: {include: c.yml}}\n",
            )
            .with_file("c.yml", "c: {script: x}\n");
        let context = glplan::context::PipelineContext::push("main");
        let options = glplan::pipeline::PlanOptions::default();
        let (_, pipeline) = glplan::pipeline::plan(".gitlab-ci.yml", &files, &context, &options);
        let pipeline = pipeline.unwrap();

        let found = find_nested(&pipeline, "deploy").unwrap();
        let manual = text(&found, "", &|name| name.to_owned());
        assert!(
            manual.contains("downstream: child pipeline created when the job is played\n"),
            "{manual}"
        );
        let found = find_nested(&pipeline, "auto").unwrap();
        let auto = text(&found, "", &|name| name.to_owned());
        assert!(
            auto.contains("downstream: child pipeline created\n"),
            "{auto}"
        );
    }

    #[test]
    fn text_escapes_and_aligns_variables() {
        let pipeline = pipeline(
            "variables:\n  \"漢字\": \"a\\tb\"\n  \"X\\e\": \"v\\e\"\n\
             \"j\\rb\": {script: x, tags: [\"t\\nu\"]}\n",
        );
        let found = find_nested(&pipeline, "j\rb").unwrap();
        let text = text(&found, "", &|name| name.to_owned());
        assert!(text.starts_with("job: j\\rb\n"), "{text}");
        assert!(text.contains("\ntags: t\\nu\n"), "{text}");
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.ends_with("(global_yaml)"))
            .collect();
        assert_eq!(
            rows,
            [
                "  漢字     \"a\\tb\"     (global_yaml)",
                "  X\\u{1b}  \"v\\u{1b}\"  (global_yaml)",
            ],
            "{text}"
        );
    }

    #[test]
    fn text_names_dotenv_reports() {
        let pipeline = pipeline(
            "stages: [build, test, deploy]\n\
             env: {stage: build, script: x, artifacts: {reports: {dotenv: build.env}}}\n\
             other: {stage: build, script: x, artifacts: {reports: {dotenv: [a.env, b.env]}}}\n\
             plain: {stage: build, script: x}\n\
             stage_based: {stage: test, script: x, variables: {V: yaml}}\n\
             limited: {stage: test, script: x, dependencies: [plain, other]}\n\
             no_artifacts: {stage: deploy, script: x, needs: [{job: env, artifacts: false}]}\n\
             needing: {stage: deploy, script: x, needs: [env, plain]}\n",
        );
        let line = |job: &str| {
            let found = find_nested(&pipeline, job).unwrap();
            let text = text(&found, "", &|name| name.to_owned());
            text.lines()
                .find(|line| line.starts_with("dotenv: "))
                .map(str::to_owned)
        };
        let note = "add variables that override the YAML variables above, but not the \
                    instance, group, project or pipeline variables";
        assert_eq!(
            line("stage_based").as_deref(),
            Some(
                format!(
                    "dotenv: at run time, the dotenv reports of env (`build.env`), other \
                     (`a.env`, `b.env`) {note}"
                )
                .as_str()
            )
        );
        assert_eq!(
            line("limited").as_deref(),
            Some(
                format!(
                    "dotenv: at run time, the dotenv reports of other (`a.env`, `b.env`) {note}"
                )
                .as_str()
            )
        );
        assert_eq!(
            line("needing").as_deref(),
            Some(
                format!("dotenv: at run time, the dotenv reports of env (`build.env`) {note}")
                    .as_str()
            )
        );
        assert_eq!(line("no_artifacts"), None);
        assert_eq!(line("env"), None);
    }

    #[test]
    fn text_names_parent_dotenv_reports() {
        let files = glplan::MemoryFiles::new()
            .with_file(
                ".gitlab-ci.yml",
                "stages: [build, test]\n\
                 build: {stage: build, script: x, artifacts: {reports: {dotenv: build.env}}}\n\
                 plain: {stage: build, script: x}\n\
                 child: {stage: test, trigger: {include: child.yml}, \
                 variables: {PARENT_PIPELINE_ID: $CI_PIPELINE_ID}}\n",
            )
            .with_file(
                "child.yml",
                "prepare: {stage: build, script: x, artifacts: {reports: {dotenv: prepare.env}}}\n\
                 use: {stage: test, script: x, \
                 needs: [prepare, {pipeline: $PARENT_PIPELINE_ID, job: build}]}\n\
                 no_artifacts: {stage: test, script: x, \
                 needs: [{pipeline: $PARENT_PIPELINE_ID, job: build, artifacts: false}]}\n\
                 no_dotenv: {stage: test, script: x, \
                 needs: [{pipeline: $PARENT_PIPELINE_ID, job: plain}]}\n\
                 inner: {stage: test, trigger: {include: grand.yml}, \
                 variables: {PARENT_PIPELINE_ID: $CI_PIPELINE_ID}}\n",
            )
            .with_file(
                "grand.yml",
                "deep: {script: x, needs: [{pipeline: $PARENT_PIPELINE_ID, job: prepare}]}\n",
            );
        let context = glplan::context::PipelineContext::push("main");
        let (_, pipeline) = glplan::pipeline::plan(
            ".gitlab-ci.yml",
            &files,
            &context,
            &glplan::pipeline::PlanOptions::default(),
        );
        let pipeline = pipeline.unwrap();
        let line = |job: &str| {
            let found = find_nested(&pipeline, job).unwrap();
            let text = text(&found, "", &|name| name.to_owned());
            text.lines()
                .find(|line| line.starts_with("dotenv: "))
                .map(str::to_owned)
        };
        let note = "add variables that override the YAML variables above, but not the \
                    instance, group, project or pipeline variables";
        assert_eq!(
            line("child/use").as_deref(),
            Some(
                format!(
                    "dotenv: at run time, the dotenv reports of prepare (`prepare.env`), parent \
                     pipeline job build (`build.env`) {note}"
                )
                .as_str()
            )
        );
        assert_eq!(
            line("child/inner/deep").as_deref(),
            Some(
                format!(
                    "dotenv: at run time, the dotenv reports of parent pipeline job \
                     child/prepare (`prepare.env`) {note}"
                )
                .as_str()
            )
        );
        assert_eq!(line("child/no_artifacts"), None);
        assert_eq!(line("child/no_dotenv"), None);
    }

    #[test]
    fn text_names_group_of_withheld_and_winner() {
        let group = |path: &str, protected: bool| glplan::context::GroupVariables {
            path: path.to_owned(),
            variables: vec![glplan::context::SettingsVariable {
                protected,
                ..glplan::context::SettingsVariable::new("A", path)
            }],
        };
        let files = glplan::MemoryFiles::new().with_file(".gitlab-ci.yml", "build: {script: x}\n");
        let mut context = glplan::context::PipelineContext::push("feature");
        context.group_variables = vec![group("top", false), group("top/sub", true)];
        let options = glplan::pipeline::PlanOptions::default();
        let (_, pipeline) = glplan::pipeline::plan(".gitlab-ci.yml", &files, &context, &options);
        let pipeline = pipeline.unwrap();
        let found = find_nested(&pipeline, "build").unwrap();
        let text = text(&found, "", &|name| name.to_owned());
        // Only one group defines the value the job gets, so its line names no path.
        assert!(text.contains("\n  A  \"top\"  (group)\n"), "{text}");
        assert!(
            text.ends_with("  A  (group top/sub; the job gets the group top value above)\n"),
            "{text}"
        );
    }

    #[test]
    fn text_lists_needs_from_other_pipelines() {
        let pipeline = pipeline(
            "stages: [build, test]\n\
             build: {stage: build, script: x}\n\
             test: {stage: test, script: x, needs: [\
             {project: group/other, job: pkg, ref: main}, \
             {pipeline: $PARENT_PIPELINE_ID, job: gen, artifacts: false}]}\n\
             mirror: {stage: test, trigger: {project: group/down}, needs: {pipeline: group/up}}\n",
        );
        let line = |job: &str| {
            let found = find_nested(&pipeline, job).unwrap();
            let text = text(&found, "", &|name| name.to_owned());
            text.lines()
                .find(|line| line.starts_with("needs from other pipelines: "))
                .map(str::to_owned)
        };
        assert_eq!(
            line("test").as_deref(),
            Some(
                "needs from other pipelines: pkg of project group/other at ref main, \
                 gen of pipeline \"\" (`$PARENT_PIPELINE_ID`) (no artifacts)"
            )
        );
        assert_eq!(
            line("mirror").as_deref(),
            Some("needs from other pipelines: the pipeline status of upstream project group/up")
        );
        assert_eq!(line("build"), None);
    }

    #[test]
    fn text_shows_expanded_cross_needs() {
        let pipeline = pipeline(
            "variables: {UPSTREAM: group/lib}\n\
             test: {script: x, variables: {DEP: pkg}, needs: [\
             {project: $UPSTREAM, job: $DEP, ref: main}, \
             {project: group/lib, job: 'pkg-$CI_RUNNER_TAGS', ref: main}]}\n",
        );
        let found = find_nested(&pipeline, "test").unwrap();
        let text = text(&found, "", &|name| name.to_owned());
        let line = text
            .lines()
            .find(|line| line.starts_with("needs from other pipelines: "));
        assert_eq!(
            line,
            Some(
                "needs from other pipelines: pkg (`$DEP`) of project group/lib (`$UPSTREAM`) \
                 at ref main, pkg-$CI_RUNNER_TAGS (expanded once a runner takes the job) of \
                 project group/lib at ref main"
            )
        );
    }

    #[test]
    fn json_of_created_job() {
        let pipeline = pipeline(YAML);
        let found = find_nested(&pipeline, "build").unwrap();
        let value = json(&found).unwrap();
        assert_eq!(value["job"]["name"], "build");
        assert_eq!(value["needed_by"][0], "test");
        assert!(value.get("absent").is_none());
        assert!(value.get("trigger").is_none());
    }
}
