//! The `schedule` command's output: a table for reading and a Mermaid Gantt chart. Names and
//! reasons from the configuration and the runner files are escaped in both, as
//! [`crate::terminal`] describes.

use glplan::schedule::{Attempt, ChildPipeline, JobStatus, PipelineStatus, Schedule, ScheduledJob};

use crate::table::align;
use crate::terminal::{escape, escape_lines};

/// Renders the schedule for reading: the `description` lines and the pipeline's outcome, one
/// row per job (per attempt for a retried job), one row per child pipeline, one row per
/// runner, then the critical path, the longest waits and the stuck jobs. A child pipeline's
/// jobs are named after their trigger job, as in `deploy/rspec`. Times are `m:ss` (or
/// `h:mm:ss`) after the pipeline's creation.
pub fn schedule_table(schedule: &Schedule, description: &str) -> String {
    let mut out = escape_lines(description).into_owned();
    let child_unfinished = schedule.pipelines.iter().any(|child| !child.finished);
    let note = match schedule.finished_at {
        _ if !schedule.finished => " (the pipeline does not finish)".to_owned(),
        Some(end) if child_unfinished => format!(
            " (its own jobs end at {}, a child pipeline does not finish)",
            clock(end)
        ),
        Some(end) if end < schedule.duration => {
            format!(
                " (its own jobs end at {}, its child pipelines later)",
                clock(end)
            )
        }
        _ => String::new(),
    };
    out.push_str(&format!(
        "status: {}, duration {}{note}\n\n",
        status_name(schedule.status),
        clock(schedule.duration),
    ));

    let mut rows = vec![
        [
            "JOB", "STAGE", "STATUS", "RUNNER", "SLOT", "QUEUED", "START", "END", "WAIT", "NOTE",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for job in &schedule.jobs {
        rows.extend(job_rows(job));
    }
    out.push_str(&align(&rows));

    if !schedule.pipelines.is_empty() {
        out.push('\n');
        out.push_str(&align(&pipeline_rows(&schedule.pipelines)));
    }

    if !schedule.runners.is_empty() {
        out.push('\n');
        let mut rows = vec![
            ["RUNNER", "HOST", "JOBS", "BUSY", "PEAK", "UTILISATION"]
                .map(str::to_owned)
                .to_vec(),
        ];
        for runner in &schedule.runners {
            rows.push(vec![
                runner.name.clone(),
                runner.host.clone(),
                runner.jobs.to_string(),
                clock(runner.busy),
                runner.peak.to_string(),
                format!("{:.0}%", runner.utilisation * 100.0),
            ]);
        }
        out.push_str(&align(&rows));
    }

    out.push('\n');
    let path: Vec<&str> = schedule
        .critical_path
        .iter()
        .map(|step| step.job.as_str())
        .collect();
    if !path.is_empty() {
        let path = path.join(" -> ");
        out.push_str(&format!("critical path: {}\n", escape(&path)));
    }
    for wait in &schedule.longest_waits {
        out.push_str(&format!(
            "waited: `{}` waited {} for runner `{}`\n",
            escape(&wait.job),
            clock(wait.wait),
            escape(&wait.runner)
        ));
    }
    for stuck in &schedule.stuck {
        out.push_str(&format!(
            "stuck: `{}`: {}\n",
            escape(&stuck.job),
            escape(&stuck.reason)
        ));
    }
    out
}

/// Builds the rows of one job. A job that ran once or not at all has one row. A retried job has one
/// row per attempt, each with that attempt's runner, slot and times, so that every slot the
/// job used appears in the table. An earlier row notes its attempt's failure reason and, for an
/// attempt that GitLab dropped while it was pending, why no runner took it. The last row
/// carries the job's final status and notes, and shows `-` for the times of a retry that never
/// started.
fn job_rows(job: &ScheduledJob) -> Vec<Vec<String>> {
    let count = job.attempts.len();
    if count < 2 {
        return vec![job_row(job)];
    }
    let mut rows = Vec::with_capacity(count);
    for (index, attempt) in job.attempts.iter().enumerate() {
        let last = index + 1 == count;
        let mut note = vec![format!("attempt {} of {count}", index + 1)];
        if last {
            note.extend(job_notes(job));
        } else {
            note.extend(attempt.failure_reason.clone());
            note.extend(attempt.reason.clone());
        }
        let status = if last { job.status } else { attempt.status };
        rows.push(vec![
            job.name.clone(),
            job.stage.clone(),
            status.as_str().to_owned(),
            attempt.runner.clone().unwrap_or_else(|| "-".to_owned()),
            slot_cell(attempt.slot),
            time_cell(attempt.queued_at),
            time_cell(attempt.started_at),
            time_cell(attempt.finished_at),
            time_cell(attempt_wait(attempt)),
            note.join("; "),
        ]);
    }
    rows
}

/// Builds the row of a job that ran at most once.
fn job_row(job: &ScheduledJob) -> Vec<String> {
    let time = time_cell;
    let wait: u64 = job.attempts.iter().filter_map(attempt_wait).sum();
    vec![
        job.name.clone(),
        job.stage.clone(),
        job.status.as_str().to_owned(),
        job.runner.clone().unwrap_or_else(|| "-".to_owned()),
        slot_cell(job.slot),
        time(job.queued_at),
        time(job.started_at),
        time(job.finished_at),
        if job.attempts.is_empty() {
            "-".to_owned()
        } else {
            clock(wait)
        },
        job_notes(job).join("; "),
    ]
}

/// Lists the failure reason, `allowed to fail` and the reason the job did not run or finish.
fn job_notes(job: &ScheduledJob) -> Vec<String> {
    let mut note = Vec::new();
    if let Some(reason) = &job.failure_reason {
        note.push(reason.clone());
    }
    if job.allowed_failure {
        note.push("allowed to fail".to_owned());
    }
    if let Some(reason) = &job.reason {
        note.push(reason.clone());
    }
    note
}

/// Builds the rows of the child pipelines: the trigger job that created each one, its
/// strategy, its status, and when it was created and finished.
fn pipeline_rows(pipelines: &[ChildPipeline]) -> Vec<Vec<String>> {
    let mut rows = vec![
        ["CHILD PIPELINE OF", "STRATEGY", "STATUS", "CREATED", "END"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for pipeline in pipelines {
        rows.push(vec![
            pipeline.trigger.clone(),
            pipeline.strategy.clone().unwrap_or_else(|| "-".to_owned()),
            status_name(pipeline.status),
            clock(pipeline.created_at),
            pipeline
                .finished_at
                .map_or_else(|| "does not finish".to_owned(), clock),
        ]);
    }
    rows
}

fn slot_cell(slot: Option<u32>) -> String {
    slot.map_or_else(|| "-".to_owned(), |slot| slot.to_string())
}

fn time_cell(seconds: Option<u64>) -> String {
    seconds.map_or_else(|| "-".to_owned(), clock)
}

/// Returns the seconds between the attempt becoming pending and starting, or `None` for an
/// attempt that never started.
/// Returns how long the attempt waited for a runner: until it started, or until GitLab dropped
/// it while it was pending.
fn attempt_wait(attempt: &Attempt) -> Option<u64> {
    let end = attempt.started_at.or(attempt.finished_at)?;
    Some(end.saturating_sub(attempt.queued_at?))
}

/// Renders the schedule as a Mermaid Gantt chart: one section per runner (and one for trigger
/// jobs), one bar per attempt, failed attempts marked `crit` and the critical path `active`.
/// Jobs that never ran, and retried jobs whose last attempt never started, are listed in
/// comments, and so is each attempt that its runner failed, with the failure reason and why.
pub fn gantt(schedule: &Schedule) -> String {
    let mut out = String::from("gantt\n");
    out.push_str(&format!(
        "    title Pipeline {} after {}\n",
        status_name(schedule.status),
        clock(schedule.duration)
    ));
    out.push_str("    dateFormat X\n    axisFormat %H:%M:%S\n");

    let mut sections: Vec<Option<&str>> = schedule
        .runners
        .iter()
        .map(|runner| Some(runner.name.as_str()))
        .collect();
    sections.push(None);
    let mut task = 0usize;
    for section in sections {
        let mut bars = Vec::new();
        for job in &schedule.jobs {
            for attempt in &job.attempts {
                let (Some(started_at), Some(finished_at)) =
                    (attempt.started_at, attempt.finished_at)
                else {
                    continue;
                };
                if attempt.runner.as_deref() != section {
                    continue;
                }
                let mut tags = Vec::new();
                if attempt.status != JobStatus::Success {
                    tags.push("crit");
                }
                if schedule
                    .critical_path
                    .iter()
                    .any(|step| step.job == job.name)
                {
                    tags.push("active");
                }
                if finished_at == started_at {
                    tags.push("milestone");
                }
                tags.push("");
                bars.push(format!(
                    "    {} :{}j{task}, {}, {}\n",
                    task_name(&job.name),
                    tags.join(", "),
                    started_at,
                    finished_at
                ));
                task += 1;
            }
        }
        if bars.is_empty() {
            continue;
        }
        let title = section.unwrap_or("trigger jobs (no runner)");
        out.push_str(&format!("    section {}\n", task_name(title)));
        for bar in bars {
            out.push_str(&bar);
        }
    }
    let not_started = |job: &&ScheduledJob| {
        job.attempts
            .last()
            .is_none_or(|attempt| attempt.started_at.is_none())
    };
    for job in schedule.jobs.iter().filter(not_started) {
        out.push_str(&format!(
            "    %% {}: {}\n",
            task_name(&job.name),
            job.status.as_str()
        ));
    }
    for job in &schedule.jobs {
        for attempt in job.attempts.iter().filter(|a| a.started_at.is_some()) {
            let (Some(failure), Some(reason)) = (&attempt.failure_reason, &attempt.reason) else {
                continue;
            };
            out.push_str(&format!(
                "    %% {}: {failure}: {}\n",
                task_name(&job.name),
                escape(reason)
            ));
        }
    }
    out
}

/// Mermaid ends a task name at `:` and a statement at a line break, `;` or `#`, so line
/// breaks and other control characters are escaped and the rest replaced with look-alike
/// characters. A name that starts like a Gantt statement (`section ...`, `title ...`, a `%%`
/// comment) gets a zero-width space in front, so that Mermaid reads it as a task name.
fn task_name(name: &str) -> String {
    let text = escape(name)
        .replace(':', "\u{a789}")
        .replace(';', "\u{37e}")
        .replace('#', "\u{266f}");
    let start = text.trim_start().to_ascii_lowercase();
    let statement = start.starts_with("%%")
        || GANTT_KEYWORDS
            .iter()
            .any(|keyword| start.starts_with(keyword));
    if statement {
        format!("\u{200b}{}", text.trim_start())
    } else {
        text
    }
}

/// The words that start a statement in the grammar of Mermaid's Gantt charts, compared in
/// lower case because Mermaid's lexer ignores case.
const GANTT_KEYWORDS: [&str; 16] = [
    "gantt",
    "title",
    "section",
    "dateformat",
    "axisformat",
    "tickinterval",
    "inclusiveenddates",
    "topaxis",
    "excludes",
    "includes",
    "todaymarker",
    "weekday",
    "weekend",
    "acctitle",
    "accdescr",
    "click",
];

/// Formats seconds as `m:ss`, or `h:mm:ss` from one hour.
pub fn clock(seconds: u64) -> String {
    let (hours, rest) = (seconds / 3600, seconds % 3600);
    let (minutes, seconds) = (rest / 60, rest % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}

fn status_name(status: PipelineStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_cases() {
        let cases = [
            (0, "0:00"),
            (59, "0:59"),
            (61, "1:01"),
            (3600, "1:00:00"),
            (3725, "1:02:05"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(clock(seconds), expected, "{seconds}");
        }
    }

    #[test]
    fn task_name_replaces_separators() {
        assert_eq!(task_name("build: [amd64]"), "build\u{a789} [amd64]");
        assert_eq!(task_name("a;b#c"), "a\u{37e}b\u{266f}c");
    }

    #[test]
    fn task_name_not_read_as_statement() {
        let cases = [
            ("section deploy", "\u{200b}section deploy"),
            ("Title", "\u{200b}Title"),
            ("%%hidden", "\u{200b}%%hidden"),
            ("  click me", "\u{200b}click me"),
            ("deploy section", "deploy section"),
        ];
        for (name, expected) in cases {
            assert_eq!(task_name(name), expected, "{name}");
        }
    }

    #[test]
    fn task_name_escapes_line_breaks() {
        assert_eq!(task_name("a\nb\r\u{1b}"), "a\\nb\\r\\u{1b}");
    }
}
