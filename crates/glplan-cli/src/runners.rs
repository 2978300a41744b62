//! The runner fleet and the durations file on the command line: reading the files, matching
//! the planned jobs to runners, and the runner information `plan` adds to its output.

use std::path::Path;

use glplan::fleet::{Fleet, MatchContext, Matching, check, match_jobs};
use glplan::pipeline::{Pipeline, PlannedJob};
use glplan::schedule::Durations;
use glplan::{Diagnostics, Limits, SourceMap};

/// A fleet read from the files of `--runners`, with its matching against one pipeline.
#[derive(Debug)]
pub struct LoadedFleet {
    /// The hosts and runners.
    pub fleet: Fleet,
    /// Each job's eligible runners.
    pub matching: Matching,
    /// Diagnostics of the files and of the executor checks.
    pub diagnostics: Diagnostics,
}

/// Reads a file as text, with the option that named it in the error.
fn read(path: &Path, option: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|error| format!("{option}: cannot read `{}`: {error}", path.display()))
}

/// Reads the runner files into `sources` (so diagnostics can show their lines), parses them
/// as one fleet, matches the pipeline's jobs and runs the executor checks.
pub fn load_fleet(
    paths: &[std::path::PathBuf],
    pipeline: &Pipeline,
    match_context: &MatchContext,
    sources: &mut SourceMap,
) -> Result<LoadedFleet, String> {
    let mut texts = Vec::with_capacity(paths.len());
    for path in paths {
        texts.push((path.display().to_string(), read(path, "--runners")?));
    }
    let ids: Vec<_> = texts
        .iter()
        .map(|(name, text)| sources.add(name.clone(), text.clone()))
        .collect();
    let files: Vec<_> = ids
        .iter()
        .zip(&texts)
        .map(|(id, (_, text))| (*id, text.as_str()))
        .collect();
    let (fleet, parsed) = Fleet::parse(&files, sources);
    let matching = match_jobs(pipeline, &fleet, match_context);
    let checked = check(pipeline, &fleet, &matching, sources);
    let mut diagnostics = Diagnostics::new();
    diagnostics.extend(parsed);
    diagnostics.extend(checked);
    Ok(LoadedFleet {
        fleet,
        matching,
        diagnostics,
    })
}

/// Reads and parses the durations file into `sources`, reporting problems to `diagnostics`.
pub fn load_durations(
    path: &Path,
    sources: &mut SourceMap,
    diagnostics: &mut Diagnostics,
) -> Result<Durations, String> {
    let text = read(path, "--durations")?;
    let file = sources.add(path.display().to_string(), text.clone());
    Ok(Durations::parse(
        file,
        &text,
        &Limits::default(),
        diagnostics,
    ))
}

/// Returns the `RUNNERS` cell of a job in the plan table: its eligible runners, `stuck`, or
/// `-` for a trigger job, which runs in GitLab itself.
pub fn runners_cell(job: &PlannedJob, loaded: &LoadedFleet) -> String {
    let Some(found) = loaded.matching.job(&job.name) else {
        return "-".to_owned();
    };
    if !found.needs_runner {
        return "-".to_owned();
    }
    if found.stuck {
        return "stuck".to_owned();
    }
    let names: Vec<&str> = found
        .eligible
        .iter()
        .filter_map(|&index| loaded.fleet.runners.get(index))
        .map(|runner| runner.name.as_str())
        .collect();
    names.join(", ")
}

/// Adds the fleet and each job's runners to the pipeline's JSON: a top-level `fleet` with the
/// hosts and runners, and in each job a `runners` object with the eligible runners' names,
/// whether the job is stuck, and each rejected runner with the reason.
pub fn add_to_json(value: &mut serde_json::Value, loaded: &LoadedFleet) {
    let name = |index: usize| {
        loaded
            .fleet
            .runners
            .get(index)
            .map(|runner| runner.name.clone())
            .unwrap_or_default()
    };
    if let Some(jobs) = value.get_mut("jobs").and_then(|jobs| jobs.as_array_mut()) {
        for job in jobs {
            let Some(job_name) = job.get("name").and_then(|n| n.as_str()) else {
                continue;
            };
            let Some(found) = loaded.matching.job(job_name) else {
                continue;
            };
            let eligible: Vec<String> = found.eligible.iter().map(|&i| name(i)).collect();
            let rejected: Vec<serde_json::Value> = found
                .rejected
                .iter()
                .map(|rejection| {
                    let mut entry = serde_json::to_value(rejection).unwrap_or_default();
                    if let Some(object) = entry.as_object_mut() {
                        object.insert("runner".into(), name(rejection.runner).into());
                    }
                    entry
                })
                .collect();
            let runners = serde_json::json!({
                "needs_runner": found.needs_runner,
                "eligible": eligible,
                "stuck": found.stuck,
                "rejected": rejected,
            });
            if let Some(object) = job.as_object_mut() {
                object.insert("runners".into(), runners);
            }
        }
    }
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "fleet".into(),
            serde_json::to_value(&loaded.fleet).unwrap_or_default(),
        );
    }
}
