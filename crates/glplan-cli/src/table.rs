//! The `plan` command's table: the pipeline's header lines, one row per job grouped by stage
//! in pipeline order, and the jobs GitLab leaves out with the reason.
//!
//! Names and values from the configuration are escaped as [`crate::terminal`] describes, and
//! columns are padded to equal terminal widths.

use glplan::config::{AllowFailure, JobKind, When};
use glplan::diagnostic::code_span;
use glplan::pipeline::{
    AbsentJob, AbsentReason, NeedEdge, Pipeline, PlanTrigger, PlannedJob, TriggerKind,
};

use crate::render::DisplayName;
use crate::terminal::{self, escape, escape_lines};

const HEADER: [&str; 7] = [
    "STAGE",
    "JOB",
    "WHEN",
    "ALLOW FAILURE",
    "NEEDS",
    "IMAGE",
    "TAGS",
];

/// Renders the pipeline for reading: the `description` lines, the outcome of `workflow:` and
/// the pipeline name, then the jobs as an aligned table followed by a count
/// line, then the absent jobs with a one-line reason each.
///
/// In the table the stage name appears on the first row of each stage. `NEEDS` is `earlier
/// stages` for stage-scheduled jobs and `none` for `needs: []`; optional needs are marked
/// `(optional)`.
pub fn pipeline_table(pipeline: &Pipeline, description: &str, display: DisplayName<'_>) -> String {
    pipeline_table_with_runners(pipeline, description, display, None)
}

/// The cell of one job in the `RUNNERS` column.
pub type RunnersCell<'a> = &'a dyn Fn(&PlannedJob) -> String;

/// Renders the pipeline like [`pipeline_table`], with a `RUNNERS` column filled by `runners`
/// when it is given. A `DOWNSTREAM` column names the downstream pipeline of each trigger job
/// when the pipeline has one.
pub fn pipeline_table_with_runners(
    pipeline: &Pipeline,
    description: &str,
    display: DisplayName<'_>,
    runners: Option<RunnersCell<'_>>,
) -> String {
    let mut out = escape_lines(description).into_owned();
    out.push_str(&format!(
        "workflow: {}\n",
        escape(&pipeline.workflow.reason)
    ));
    if let Some(name) = &pipeline.workflow.name {
        out.push_str(&format!("name: {}\n", escape(name)));
    }
    if let Some(marker) = &pipeline.skipped {
        out.push_str(&format!(
            "skipped: the commit message contains {}\n",
            escape(&code_span(marker))
        ));
    }
    if !pipeline.created {
        for error in &pipeline.errors {
            out.push_str(&format!("not created: {}\n", escape(error)));
        }
    }
    out.push('\n');

    if !pipeline.jobs.is_empty() {
        out.push_str(&job_rows(pipeline, runners));
    }
    out.push_str(&format!(
        "{} in {}",
        count(pipeline.jobs.len(), "job"),
        count(pipeline.stages.len(), "stage")
    ));
    if !pipeline.absent.is_empty() {
        out.push_str(&format!(", {} absent", count(pipeline.absent.len(), "job")));
    }
    out.push('\n');
    if !pipeline.created && !pipeline.jobs.is_empty() {
        // The rows show the jobs as planned despite the errors above, which helps to fix
        // them. GitLab creates no pipeline, so none of these jobs.
        out.push_str("GitLab creates none of these jobs, because the pipeline is not created\n");
    }
    if pipeline.absent.is_empty() {
        return out;
    }
    out.push_str("\nABSENT\n");
    out.push_str(&absent_rows(&pipeline.absent, display));
    out
}

fn job_rows(pipeline: &Pipeline, runners: Option<RunnersCell<'_>>) -> String {
    let triggers = pipeline.jobs.iter().any(|job| job.kind == JobKind::Bridge);
    let mut header = HEADER.map(str::to_owned).to_vec();
    if triggers {
        header.push("DOWNSTREAM".to_owned());
    }
    if runners.is_some() {
        header.push("RUNNERS".to_owned());
    }
    let mut rows: Vec<Vec<String>> = vec![header];
    for stage in &pipeline.stages {
        let jobs = stage.jobs.iter().filter_map(|name| pipeline.job(name));
        for (i, job) in jobs.enumerate() {
            let stage_cell = if i == 0 {
                stage.name.to_string()
            } else {
                String::new()
            };
            let mut row = vec![
                stage_cell,
                job.name.to_string(),
                when_cell(job),
                allow_failure_cell(&job.allow_failure),
                needs_cell(job),
                image_cell(job),
                tags_cell(job),
            ];
            if triggers {
                row.push(downstream_cell(job));
            }
            if let Some(runners) = runners {
                row.push(runners(job));
            }
            rows.push(row);
        }
    }
    align(&rows)
}

fn absent_rows(absent: &[AbsentJob], display: DisplayName<'_>) -> String {
    let rows: Vec<Vec<String>> = absent
        .iter()
        .map(|job| {
            let place = job
                .location
                .as_ref()
                .map(|l| format!("{}:{}:{}", display(&l.file), l.line, l.column))
                .unwrap_or_default();
            vec![job.name.to_string(), place, absent_reason(job)]
        })
        .collect();
    align(&rows)
}

/// Returns the one-line reason a job is absent.
pub fn absent_reason(job: &AbsentJob) -> String {
    match (&job.rule, job.reason) {
        (_, AbsentReason::WorkflowFiltered) => {
            "workflow:rules filtered the pipeline out".to_owned()
        }
        (_, AbsentReason::SkipCi) => "the commit message skips the pipeline".to_owned(),
        (Some(rule), _) if !rule.summary.is_empty() => {
            // The summary of a job left out by `rules` starts with "absent because ", and that
            // of a job left out by `only` or `except` with "absent: ".
            let summary = rule.summary.as_str();
            summary
                .strip_prefix("absent because ")
                .or_else(|| summary.strip_prefix("absent: "))
                .unwrap_or(summary)
                .to_owned()
        }
        (_, AbsentReason::NoRuleMatched) => "no rule matched".to_owned(),
        (_, AbsentReason::WhenNever) => "the matching rule has `when: never`".to_owned(),
        (_, AbsentReason::OnlyExcept) => "`only` did not hold, or `except` did".to_owned(),
        (_, AbsentReason::RuleError) => "evaluating its rules raised an error".to_owned(),
    }
}

/// Escapes every cell and pads every column but the last to its widest cell in terminal
/// columns, two spaces apart.
pub fn align(rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<_>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| escape(cell)).collect())
        .collect();
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(terminal::width(cell));
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (column, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if column > 0 {
                line.push_str("  ");
            }
            terminal::push_padded(&mut line, cell, *width);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Returns `when`, with the delay of a delayed job, and `created failed` after it for a job
/// GitLab creates as failed.
pub fn when_cell(job: &PlannedJob) -> String {
    let when = match (&job.when, &job.start_in) {
        (When::Delayed, Some(delay)) => format!("delayed ({})", delay.text),
        (when, _) => when.as_str().to_owned(),
    };
    // GitLab creates the job with the status `failed`, whatever its `when`.
    match job.creation_failure() {
        Some(_) => format!("{when}, created failed"),
        None => when,
    }
}

/// Returns `allow_failure` as `yes`, `no` or the exit codes it allows.
pub fn allow_failure_cell(allow: &AllowFailure) -> String {
    match allow {
        AllowFailure::Bool(true) => "yes".to_owned(),
        AllowFailure::Bool(false) => "no".to_owned(),
        AllowFailure::ExitCodes { exit_codes } => {
            let codes: Vec<String> = exit_codes.iter().map(ToString::to_string).collect();
            format!("exit codes {}", codes.join(", "))
        }
    }
}

fn needs_cell(job: &PlannedJob) -> String {
    let Some(needs) = &job.needs else {
        return "earlier stages".to_owned();
    };
    if needs.is_empty() {
        return "none".to_owned();
    }
    let parts: Vec<String> = needs.iter().map(need_text).collect();
    parts.join(", ")
}

/// Returns a need's job name, marked when the need is optional.
pub fn need_text(need: &NeedEdge) -> String {
    if need.optional {
        format!("{} (optional)", need.job)
    } else {
        need.job.to_string()
    }
}

/// Returns the image the job runs in, as the runner would expand it. A job without an image
/// and a trigger job, which runs in GitLab itself, get `-`.
pub fn image_cell(job: &PlannedJob) -> String {
    if job.kind == JobKind::Bridge {
        return "-".to_owned();
    }
    match &job.image {
        Some(image) => image.expanded.as_ref().unwrap_or(&image.name).to_string(),
        None => "-".to_owned(),
    }
}

/// Returns the downstream pipeline of a trigger job, or `-` for another job. The downstream
/// pipeline of a manual trigger job is marked as created only when the job is played, and a
/// child pipeline left unplanned at the hierarchy size limit as not planned.
pub fn downstream_cell(job: &PlannedJob) -> String {
    if job.kind != JobKind::Bridge {
        return "-".to_owned();
    }
    match &job.trigger {
        Some(trigger) if trigger.downstream_created_when_played => {
            format!("{} (created when played)", trigger_text(trigger))
        }
        Some(trigger) => trigger_text(trigger),
        None => "trigger".to_owned(),
    }
}

fn trigger_text(trigger: &PlanTrigger) -> String {
    match trigger.kind {
        TriggerKind::Child => {
            let files = trigger.include.join(", ");
            match &trigger.downstream {
                Some(child) if !child.created => format!("trigger child {files} (not created)"),
                // GitLab may still create this child, so the mark states only that the plan
                // stopped. `explain` prints the full note.
                None if trigger.failure_reason == Some("reached_max_pipeline_hierarchy_size") => {
                    format!("trigger child {files} (not planned: hierarchy size limit)")
                }
                _ => format!("trigger child {files}"),
            }
        }
        TriggerKind::MultiProject => {
            let project = trigger.project.as_deref().unwrap_or("?");
            match &trigger.branch {
                Some(branch) => format!("trigger {project}@{branch}"),
                None => format!("trigger {project}"),
            }
        }
    }
}

/// Returns the runner tags, comma-separated, or `-`.
pub fn tags_cell(job: &PlannedJob) -> String {
    if job.tags.is_empty() {
        "-".to_owned()
    } else {
        job.tags.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glplan::config::ExitCode;
    use glplan::pipeline::{PlanDuration, PlanImage};

    fn plan_pipeline(text: &str) -> Pipeline {
        let files = glplan::MemoryFiles::new().with_file(".gitlab-ci.yml", text);
        let context = glplan::context::PipelineContext::push("main");
        let (_, pipeline) = glplan::pipeline::plan(
            ".gitlab-ci.yml",
            &files,
            &context,
            &glplan::pipeline::PlanOptions::default(),
        );
        pipeline.unwrap()
    }

    fn pipeline() -> Pipeline {
        plan_pipeline(
            "stages: [build, deploy]\n\
             compile: {stage: build, image: rust:1.89, tags: [docker, linux], script: make}\n\
             lint: {stage: build, needs: [], when: manual, script: make lint}\n\
             deploy: {stage: deploy, trigger: ops/deploy}\n\
             release: {stage: deploy, script: x, rules: [{if: $CI_COMMIT_TAG}]}\n",
        )
    }

    fn plan_text(text: &str) -> String {
        pipeline_table(&plan_pipeline(text), "", &|name| name.to_owned())
    }

    #[test]
    fn invalid_workflow_rules_not_evaluated() {
        let text = plan_text("workflow: {rules: {if: $X}}\njob: {script: x}\n");
        assert!(
            text.starts_with(
                "workflow: not evaluated, because the configuration is invalid\n\
                 not created: workflow:rules config should be a array\n"
            ),
            "{text}"
        );
        assert!(!text.contains("there are no workflow:rules"), "{text}");
    }

    #[test]
    fn missing_need_keeps_workflow_outcome() {
        let text = plan_text("a: {script: x, rules: [{if: $X}]}\nb: {script: x, needs: [a]}\n");
        assert!(
            text.starts_with("workflow: created: there are no workflow:rules\n"),
            "{text}"
        );
        assert!(
            text.contains("not created: 'b' job needs 'a' job"),
            "{text}"
        );
        assert!(
            text.contains(
                "1 job in 1 stage, 1 job absent\n\
                 GitLab creates none of these jobs, because the pipeline is not created\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn created_pipeline_omits_note() {
        let text = plan_text("a: {script: x}\n");
        assert!(text.ends_with("1 job in 1 stage\n"), "{text}");
        assert!(!text.contains("GitLab creates none"), "{text}");
    }

    #[test]
    fn table_layout() {
        let text = pipeline_table(&pipeline(), "push", &|name| name.to_owned());
        let rows: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("STAGE"))
            .collect();
        assert_eq!(
            rows[..4],
            [
                "STAGE   JOB      WHEN        ALLOW FAILURE  NEEDS           IMAGE      TAGS           DOWNSTREAM",
                "build   compile  on_success  no             earlier stages  rust:1.89  docker, linux  -",
                "        lint     manual      yes            none            -          -              -",
                "deploy  deploy   on_success  no             earlier stages  -          -              trigger ops/deploy",
            ]
        );
    }

    #[test]
    fn table_counts_absent_jobs() {
        let text = pipeline_table(&pipeline(), "push", &|name| name.to_owned());
        assert!(
            text.contains("3 jobs in 2 stages, 1 job absent\n"),
            "{text}"
        );
    }

    #[test]
    fn table_lists_absent_with_place() {
        let text = pipeline_table(&pipeline(), "push", &|name| format!("repo/{name}"));
        let absent = text.lines().skip_while(|l| *l != "ABSENT").nth(1).unwrap();
        assert!(
            absent.starts_with("release  repo/.gitlab-ci.yml:5:1  "),
            "{text}"
        );
        assert!(absent.ends_with("(CI_COMMIT_TAG = null)"), "{text}");
    }

    #[test]
    fn table_header_names_pipeline() {
        let description = "pipeline: push to branch main\n";
        let text = pipeline_table(&pipeline(), description, &|name| name.to_owned());
        assert!(
            text.starts_with("pipeline: push to branch main\nworkflow: "),
            "{text}"
        );
    }

    #[test]
    fn delayed_shows_start_in() {
        let mut job = pipeline().jobs[0].clone();
        job.when = When::Delayed;
        job.start_in = Some(PlanDuration {
            text: "30 minutes".into(),
            seconds: 1800,
        });
        assert_eq!(when_cell(&job), "delayed (30 minutes)");
    }

    #[test]
    fn when_cell_marks_job_created_as_failed() {
        let files = glplan::MemoryFiles::new().with_file(
            ".gitlab-ci.yml",
            "variables: {BRANCH: 'a:b'}\ndeploy: {script: x, environment: review/$BRANCH}\n",
        );
        let (_, pipeline) = glplan::pipeline::plan(
            ".gitlab-ci.yml",
            &files,
            &glplan::context::PipelineContext::push("main"),
            &glplan::pipeline::PlanOptions::default(),
        );
        let pipeline = pipeline.unwrap();
        let job = pipeline.job("deploy").unwrap();
        assert_eq!(when_cell(job), "on_success, created failed");
    }

    #[test]
    fn expanded_image_shown() {
        let mut job = pipeline().jobs[0].clone();
        job.image = Some(PlanImage {
            name: "rust:$V".into(),
            expanded: Some("rust:1.89".into()),
            entrypoint: None,
            pull_policy: Vec::new(),
        });
        assert_eq!(image_cell(&job), "rust:1.89");
    }

    #[test]
    fn runners_column() {
        let cell = |job: &PlannedJob| format!("r-{}", job.name);
        let text =
            pipeline_table_with_runners(&pipeline(), "push", &|name| name.to_owned(), Some(&cell));
        let header = text.lines().find(|l| l.starts_with("STAGE")).unwrap();
        assert!(header.ends_with("DOWNSTREAM          RUNNERS"), "{text}");
        let compile = text.lines().find(|l| l.starts_with("build")).unwrap();
        assert!(compile.ends_with("r-compile"), "{text}");
    }

    #[test]
    fn manual_trigger_created_when_played() {
        let text = plan_text(
            "deploy: {when: manual, trigger: ops/deploy}\n\
             release: {trigger: ops/release}\n",
        );
        let deploy = text.lines().find(|l| l.contains("deploy")).unwrap();
        assert!(
            deploy.ends_with("trigger ops/deploy (created when played)"),
            "{text}"
        );
        let release = text.lines().find(|l| l.contains("release")).unwrap();
        assert!(release.ends_with("trigger ops/release"), "{text}");
    }

    #[test]
    fn manual_trigger_uncreated_child_unmarked() {
        let files = glplan::MemoryFiles::new()
            .with_file(
                ".gitlab-ci.yml",
                "deploy: {when: manual, trigger: {include: c.yml}}\n",
            )
            .with_file(
                "c.yml",
                "workflow: {rules: [{if: $NOPE}]}\nc: {script: x}\n",
            );
        let context = glplan::context::PipelineContext::push("main");
        let (_, pipeline) = glplan::pipeline::plan(
            ".gitlab-ci.yml",
            &files,
            &context,
            &glplan::pipeline::PlanOptions::default(),
        );
        let text = pipeline_table(&pipeline.unwrap(), "", &|name| name.to_owned());
        let deploy = text.lines().find(|l| l.contains("deploy")).unwrap();
        assert!(
            deploy.ends_with("trigger child c.yml (not created)"),
            "{text}"
        );
    }

    #[test]
    fn trigger_past_hierarchy_limit_marked() {
        let files = glplan::MemoryFiles::new()
            .with_file(
                ".gitlab-ci.yml",
                "a: {trigger: {include: c.yml}}\nb: {trigger: {include: c.yml}}\n",
            )
            .with_file("c.yml", "c: {script: x}\n");
        let context = glplan::context::PipelineContext::push("main");
        let mut options = glplan::pipeline::PlanOptions::default();
        // The parent and the child of `a` fill a hierarchy of 2 pipelines.
        options.limits.max_pipeline_hierarchy_size = 2;
        let (_, pipeline) = glplan::pipeline::plan(".gitlab-ci.yml", &files, &context, &options);
        let text = pipeline_table(&pipeline.unwrap(), "", &|name| name.to_owned());
        let a = text.lines().find(|l| l.starts_with("test   a")).unwrap();
        assert!(a.ends_with("trigger child c.yml"), "{text}");
        let b = text.lines().find(|l| l.contains(" b ")).unwrap();
        assert!(
            b.ends_with("trigger child c.yml (not planned: hierarchy size limit)"),
            "{text}"
        );
    }

    #[test]
    fn downstream_column_absent_without_triggers() {
        let files = glplan::MemoryFiles::new().with_file(".gitlab-ci.yml", "a: {script: x}\n");
        let context = glplan::context::PipelineContext::push("main");
        let (_, pipeline) = glplan::pipeline::plan(
            ".gitlab-ci.yml",
            &files,
            &context,
            &glplan::pipeline::PlanOptions::default(),
        );
        let text = pipeline_table(&pipeline.unwrap(), "push", &|name| name.to_owned());
        assert!(!text.contains("DOWNSTREAM"), "{text}");
    }

    #[test]
    fn align_pads_by_display_width() {
        let rows: Vec<Vec<String>> = [
            ["JOB", "STAGE", "END"],
            ["ビルド", "e\u{301}", "x"],
            ["a\u{1b}[2J", "🦀", "y"],
        ]
        .iter()
        .map(|row| row.map(str::to_owned).to_vec())
        .collect();
        assert_eq!(
            align(&rows),
            "JOB         STAGE  END\n\
             ビルド      e\u{301}      x\n\
             a\\u{1b}[2J  🦀     y\n"
        );
    }

    #[test]
    fn align_keeps_line_feed_in_row() {
        let rows = vec![
            vec!["a\nb".to_owned(), "c\r".to_owned()],
            vec!["d".to_owned(), "e".to_owned()],
        ];
        assert_eq!(align(&rows), "a\\nb  c\\r\nd     e\n");
    }

    #[test]
    fn header_lines_escaped() {
        let text = plan_text("workflow: {name: \"n\\e[1m\\rx\"}\njob: {script: x}\n");
        assert!(text.starts_with("workflow: "), "{text}");
        assert!(text.contains("\nname: n\\u{1b}[1m\\rx\n"), "{text}");
        let description = "pipeline: push to branch a\u{1b}b\nchanges: none\n";
        let text = pipeline_table(&pipeline(), description, &|name| name.to_owned());
        assert!(
            text.starts_with("pipeline: push to branch a\\u{1b}b\nchanges: none\n"),
            "{text}"
        );
    }

    #[test]
    fn exit_codes_cell() {
        let allow = AllowFailure::ExitCodes {
            exit_codes: vec![ExitCode::from(1), ExitCode::from(137)],
        };
        assert_eq!(allow_failure_cell(&allow), "exit codes 1, 137");
    }
}
