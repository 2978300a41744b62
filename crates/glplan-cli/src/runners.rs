//! The runner fleet and the durations file on the command line: reading the files, and the
//! runner column of the plan table. The core composes the runner information of the JSON
//! output ([`glplan::report::add_runners`]).

use std::path::Path;

use glplan::fleet::MatchContext;
use glplan::pipeline::{Pipeline, PlannedJob};
use glplan::report::MatchedFleet;
use glplan::schedule::Durations;
use glplan::{Diagnostics, Limits, SourceMap};

use crate::text_file::read_source_text;

/// Reads the runner files into `sources` (so diagnostics can show their lines), parses them
/// as one fleet, matches the pipeline's jobs and runs the executor checks. The child
/// configurations' files join `sources` first, so that the checks can point at child jobs.
pub fn load_fleet(
    paths: &[std::path::PathBuf],
    pipeline: &Pipeline,
    match_context: &MatchContext,
    sources: &mut SourceMap,
) -> Result<MatchedFleet, String> {
    let mut texts = Vec::with_capacity(paths.len());
    for path in paths {
        texts.push((
            path.display().to_string(),
            read_source_text(path, "--runners")?,
        ));
    }
    glplan::fleet::add_child_sources(pipeline, sources);
    let ids: Vec<_> = texts
        .iter()
        .map(|(name, text)| sources.add(name.clone(), text.clone()))
        .collect();
    let files: Vec<_> = ids
        .iter()
        .zip(&texts)
        .map(|(id, (_, text))| (*id, text.as_str()))
        .collect();
    Ok(MatchedFleet::new(&files, pipeline, match_context, sources))
}

/// Reads and parses the durations file into `sources`, reporting problems to `diagnostics`.
pub fn load_durations(
    path: &Path,
    sources: &mut SourceMap,
    diagnostics: &mut Diagnostics,
) -> Result<Durations, String> {
    let text = read_source_text(path, "--durations")?;
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
pub fn runners_cell(job: &PlannedJob, loaded: &MatchedFleet) -> String {
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
