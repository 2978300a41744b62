//! The `plan` command's table: one row per job, grouped by stage in pipeline order.

use glplan::config::{AllowFailure, JobKind, Need, When};
use glplan::plan::{Downstream, JobPlan, Plan};

const HEADER: [&str; 7] = [
    "STAGE",
    "JOB",
    "WHEN",
    "ALLOW FAILURE",
    "NEEDS",
    "IMAGE",
    "TAGS",
];

/// Renders the plan as an aligned text table followed by a count line. The stage name appears
/// on the first row of each stage. `NEEDS` is `earlier stages` for stage-scheduled jobs and
/// `none` for `needs: []`; optional needs are marked `(optional)`.
pub fn plan_table(plan: &Plan) -> String {
    let mut rows: Vec<[String; 7]> = vec![HEADER.map(str::to_owned)];
    for stage in &plan.stages {
        for (i, job) in stage.jobs.iter().enumerate() {
            let stage_cell = if i == 0 {
                stage.name.clone()
            } else {
                String::new()
            };
            rows.push([
                stage_cell,
                job.name.clone(),
                when_cell(job),
                allow_failure_cell(&job.allow_failure),
                needs_cell(job),
                image_cell(job),
                tags_cell(job),
            ]);
        }
    }

    let mut widths = [0usize; 7];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }

    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
            if column > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let jobs = plan.jobs().count();
    out.push_str(&format!(
        "{} in {}\n",
        count(jobs, "job"),
        count(plan.stages.len(), "stage")
    ));
    out
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn when_cell(job: &JobPlan) -> String {
    match (&job.when, &job.start_in) {
        (When::Delayed, Some(delay)) => format!("delayed ({delay})"),
        (when, _) => when.as_str().to_owned(),
    }
}

fn allow_failure_cell(allow: &AllowFailure) -> String {
    match allow {
        AllowFailure::Bool(true) => "yes".to_owned(),
        AllowFailure::Bool(false) => "no".to_owned(),
        AllowFailure::ExitCodes { exit_codes } => {
            let codes: Vec<String> = exit_codes.iter().map(i64::to_string).collect();
            format!("exit codes {}", codes.join(", "))
        }
    }
}

fn needs_cell(job: &JobPlan) -> String {
    let Some(needs) = &job.needs else {
        return "earlier stages".to_owned();
    };
    if needs.is_empty() {
        return "none".to_owned();
    }
    let parts: Vec<String> = needs.iter().map(need_text).collect();
    parts.join(", ")
}

fn need_text(need: &Need) -> String {
    match need {
        Need::Job(need) if need.optional => format!("{} (optional)", need.job),
        Need::Job(need) => need.job.clone(),
        Need::Project(need) => format!("{}@{}: {}", need.project, need.git_ref, need.job),
        Need::Pipeline(need) => format!("pipeline {}: {}", need.pipeline, need.job),
        Need::Upstream(need) => format!("upstream {}", need.pipeline),
    }
}

fn image_cell(job: &JobPlan) -> String {
    if job.kind == JobKind::Bridge {
        return match &job.trigger {
            Some(Downstream::MultiProject { project, branch }) => match branch {
                Some(branch) => format!("trigger {project}@{branch}"),
                None => format!("trigger {project}"),
            },
            Some(Downstream::Child { include }) => {
                format!("trigger child {}", include.join(", "))
            }
            None => "trigger".to_owned(),
        };
    }
    job.image.clone().unwrap_or_else(|| "-".to_owned())
}

fn tags_cell(job: &JobPlan) -> String {
    if job.tags.is_empty() {
        "-".to_owned()
    } else {
        job.tags.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glplan::config::SchedulingType;
    use glplan::plan::{PLAN_VERSION, StagePlan};

    fn job(name: &str) -> JobPlan {
        JobPlan {
            name: name.to_owned(),
            kind: JobKind::Job,
            when: When::OnSuccess,
            start_in: None,
            allow_failure: AllowFailure::Bool(false),
            scheduling_type: SchedulingType::Stage,
            needs: None,
            image: None,
            tags: Vec::new(),
            trigger: None,
        }
    }

    #[test]
    fn table_layout() {
        let mut lint = job("lint");
        lint.when = When::Manual;
        lint.allow_failure = AllowFailure::Bool(true);
        lint.scheduling_type = SchedulingType::Dag;
        lint.needs = Some(Vec::new());
        let mut compile = job("compile");
        compile.image = Some("rust:1.89".into());
        compile.tags = vec!["docker".into(), "linux".into()];
        let mut deploy = job("deploy");
        deploy.kind = JobKind::Bridge;
        deploy.trigger = Some(Downstream::MultiProject {
            project: "ops/deploy".into(),
            branch: None,
        });
        let plan = Plan {
            version: PLAN_VERSION,
            stages: vec![
                StagePlan {
                    name: "build".into(),
                    jobs: vec![compile, lint],
                },
                StagePlan {
                    name: "deploy".into(),
                    jobs: vec![deploy],
                },
            ],
        };
        let expected = "\
STAGE   JOB      WHEN        ALLOW FAILURE  NEEDS           IMAGE               TAGS
build   compile  on_success  no             earlier stages  rust:1.89           docker, linux
        lint     manual      yes            none            -                   -
deploy  deploy   on_success  no             earlier stages  trigger ops/deploy  -
3 jobs in 2 stages
";
        assert_eq!(plan_table(&plan), expected);
    }

    #[test]
    fn delayed_shows_start_in() {
        let mut delayed = job("later");
        delayed.when = When::Delayed;
        delayed.start_in = Some("30 minutes".into());
        assert_eq!(when_cell(&delayed), "delayed (30 minutes)");
    }

    #[test]
    fn exit_codes_cell() {
        let allow = AllowFailure::ExitCodes {
            exit_codes: vec![1, 137],
        };
        assert_eq!(allow_failure_cell(&allow), "exit codes 1, 137");
    }
}
