//! The functions of the package on Rust values, so that they can be tested natively. The
//! exported JavaScript functions in the crate root convert their argument and result.

use glplan::context::PipelineContext;
use glplan::fleet::MatchContext;
use glplan::pipeline::{Pipeline, PlanOptions};
use glplan::report::MatchedFleet;
use glplan::report::children::{Children, NOT_CREATED_BY_RULES};
use glplan::schedule::{
    Choice, Durations, RunnerPool, ScheduleOptions, created_failed_jobs, ignored_trigger_durations,
    name_collisions, not_manual_play_warnings, simulate, unknown_jobs, unreached_choice_warnings,
    unused_durations,
};
use glplan::{Diagnostics, Limits, Resolution, SourceMap};
use serde_json::value::RawValue;

use crate::input::Input;
use crate::js_value::{escape_hidden, quote};
use crate::output::{
    ConfigResult, Diagnostic, ExplainResult, PlanResult, ScheduleReport, ScheduleResult,
};

/// Returns the configuration's diagnostics, then those of the child configurations of the
/// trigger jobs that the input's pipeline creates, as `glplan lint --format json` lists them.
pub fn lint(mut input: Input) -> Result<Vec<Diagnostic>, String> {
    let (resolution, pipeline) = evaluate(&mut input, PlanOptions::default())?;
    let mut diagnostics = located(&resolution);
    let children = Children::collect(&resolution.sources, pipeline.as_ref());
    for child in &children.configuration {
        let mut diagnostic = Diagnostic::from(child.diagnostic.locate(&children.sources));
        diagnostic.trigger_jobs = child.trigger_jobs.clone();
        diagnostics.push(diagnostic);
    }
    Ok(diagnostics)
}

/// Returns the merged configuration and its diagnostics.
pub fn resolve_config(mut input: Input) -> Result<ConfigResult, String> {
    let resolution = resolve(&mut input)?;
    // JSON text rather than a `serde_json::Value`: the configuration can have thousands of
    // jobs, and JavaScript parses the text once.
    let config = glplan::report::configuration_report(&resolution)
        .map(|report| raw_json(&report))
        .transpose()
        .map_err(|error| format!("cannot convert the configuration to JSON: {error}"))?;
    Ok(ConfigResult {
        config,
        diagnostics: located(&resolution),
    })
}

/// Returns the pipeline GitLab would create for the input's context, and every diagnostic.
/// With runner files, each job gets the runners that can take it and the pipeline the fleet,
/// as with `glplan plan --runners`.
pub fn plan(mut input: Input) -> Result<PlanResult, String> {
    let context = input.pipeline_context()?;
    let options = PlanOptions {
        rule_traces: input.rule_traces,
        ..PlanOptions::default()
    };
    let (mut resolution, pipeline) = evaluate(&mut input, options)?;
    let mut diagnostics = all_diagnostics(&resolution, pipeline.as_ref());
    let Some(pipeline) = &pipeline else {
        return Ok(PlanResult {
            pipeline: None,
            diagnostics,
        });
    };
    let fleet = match_fleet(&input, pipeline, &context, &mut resolution.sources);
    let mut report = glplan::report::PipelineReport::new(pipeline, &resolution);
    if let Some(fleet) = &fleet {
        report = report.with_fleet(fleet);
        // The runner files' diagnostics follow the pipeline's, in both lists, as the CLI's
        // JSON has them.
        for diagnostic in &fleet.diagnostics {
            diagnostics.push(Diagnostic::from(diagnostic.locate(&resolution.sources)));
        }
    }
    let pipeline = raw_json(&report)
        .map_err(|error| format!("cannot convert the pipeline to JSON: {error}"))?;
    Ok(PlanResult {
        pipeline: Some(pipeline),
        diagnostics,
    })
}

/// The job that `explain` is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobSelector {
    /// A name as `glplan explain` takes it, where a child pipeline's job follows the names of
    /// its trigger jobs and `/`, as in `deploy/rspec`. A job of the top pipeline comes first
    /// when a name fits both.
    Name(String),
    /// The names of the trigger jobs that lead to the job's pipeline, outermost first, then the
    /// job's name. Each item is one whole job name, even when it contains `/`.
    Path(Vec<String>),
}

impl From<&str> for JobSelector {
    fn from(name: &str) -> Self {
        JobSelector::Name(name.to_owned())
    }
}

/// Returns the trace of job `job`, and every diagnostic. A name that is not a job of the
/// configuration is an error whose message suggests the closest name.
pub fn explain(mut input: Input, job: impl Into<JobSelector>) -> Result<ExplainResult, String> {
    let job = job.into();
    let options = PlanOptions {
        predefined_variables: input.predefined,
        rule_traces: true,
        ..PlanOptions::default()
    };
    let (resolution, pipeline) = evaluate(&mut input, options)?;
    let diagnostics = all_diagnostics(&resolution, pipeline.as_ref());
    let Some(pipeline) = &pipeline else {
        return Ok(ExplainResult {
            explanation: None,
            diagnostics,
        });
    };
    let found = match &job {
        JobSelector::Name(name) => glplan::report::find_nested(pipeline, name)
            .ok_or_else(|| glplan::report::job_not_found(pipeline, name)),
        JobSelector::Path(names) => {
            let path: Vec<&str> = names.iter().map(String::as_str).collect();
            glplan::report::find_path(pipeline, &path)
                .ok_or_else(|| glplan::report::path_not_found(pipeline, &path))
        }
    };
    // The core's messages quote job names as they are.
    let found = found.map_err(|message| escape_hidden(&message).into_owned())?;
    let explanation = glplan::report::Explanation::of_found(&found);
    let explanation = raw_json(&explanation)
        .map_err(|error| format!("cannot convert the job to JSON: {error}"))?;
    Ok(ExplainResult {
        explanation: Some(explanation),
        diagnostics,
    })
}

/// Returns the simulated run of the pipeline on the input's runners, with its durations file.
/// A job in `play` or `fail` that is not in the pipeline is an error, and so is a job in `play`
/// that GitLab creates as failed.
pub fn schedule(mut input: Input) -> Result<ScheduleResult, String> {
    let context = input.pipeline_context()?;
    let (mut resolution, pipeline) = evaluate(&mut input, PlanOptions::default())?;
    let mut diagnostics = all_diagnostics(&resolution, pipeline.as_ref());
    let Some(pipeline) = pipeline.filter(|pipeline| pipeline.created) else {
        return Ok(ScheduleResult {
            schedule: None,
            diagnostics,
        });
    };
    for (field, names) in [("play", &input.play), ("fail", &input.fail)] {
        if let Some(name) = unknown_jobs(&pipeline, names).first() {
            return Err(format!(
                "invalid argument `{field}`: job {} is not in the pipeline",
                quote(&name.to_string())
            ));
        }
    }
    if let Some((name, reason)) = created_failed_jobs(&pipeline, &input.play).first() {
        return Err(format!(
            "invalid argument `play`: job {} cannot be played, because GitLab creates it \
             as failed (`{reason}`)",
            quote(&name.to_string())
        ));
    }

    // The runner and durations files join the source map, so their diagnostics have
    // positions.
    let sources = &mut resolution.sources;
    let mut found = Diagnostics::new();
    let pool = match match_fleet(&input, &pipeline, &context, sources) {
        Some(fleet) => {
            found.extend(fleet.diagnostics.iter().cloned());
            RunnerPool::from_fleet(&fleet.fleet, &fleet.matching)
        }
        None => RunnerPool::unlimited(&pipeline),
    };
    found.extend(name_collisions(&pipeline));
    found.extend(not_manual_play_warnings(&pipeline, &input.play, "`play`"));
    let durations = match &input.durations {
        Some(text) => {
            let file = sources.add("durations", text.clone());
            Durations::parse(file, text, &Limits::default(), &mut found)
        }
        None => Durations::default(),
    };
    found.extend(ignored_trigger_durations(&pipeline, &durations));
    found.extend(unused_durations(&pipeline, &durations));

    let options = ScheduleOptions {
        play: input.play.clone(),
        fail: input.fail.clone(),
    };
    let schedule = simulate(&pipeline, &pool, &durations, &options);
    for (names, choice, field) in [
        (&input.play, Choice::Play, "`play`"),
        (&input.fail, Choice::Fail, "`fail`"),
    ] {
        found.extend(unreached_choice_warnings(
            &pipeline, &schedule, names, choice, field,
        ));
    }
    for diagnostic in &found {
        diagnostics.push(Diagnostic::from(diagnostic.locate(&resolution.sources)));
    }
    let schedule = plan_form_diagnostics(&resolution, &pipeline, &found)
        .and_then(|diagnostics| {
            let report = ScheduleReport {
                schedule: &schedule,
                diagnostics,
            };
            raw_json(&report)
        })
        .map_err(|error| format!("cannot convert the schedule to JSON: {error}"))?;
    Ok(ScheduleResult {
        schedule: Some(schedule),
        diagnostics,
    })
}

/// Returns the diagnostics in the form of the pipeline's `diagnostics` entries, in the order
/// `glplan schedule --format json` lists them: the configuration's, the pipeline's, its child
/// pipelines' (with `trigger_jobs`), then `files`, which are the diagnostics of the runner and
/// durations files.
fn plan_form_diagnostics(
    resolution: &Resolution,
    pipeline: &Pipeline,
    files: &Diagnostics,
) -> serde_json::Result<Vec<serde_json::Value>> {
    let sources = &resolution.sources;
    let mut entries = glplan::report::plan_diagnostics(&resolution.diagnostics, sources);
    for diagnostic in &pipeline.diagnostics {
        entries.push(serde_json::to_value(diagnostic)?);
    }
    entries.extend(Children::collect(sources, Some(pipeline)).plan_entries());
    entries.extend(glplan::report::plan_diagnostics(files, sources));
    Ok(entries)
}

/// Resolves the configuration with the options `plan` uses for the input's context, as the CLI's
/// `lint` and `config` do, so that `include:rules`, masking and the predefined variables in
/// include paths agree with a plan.
fn resolve(input: &mut Input) -> Result<Resolution, String> {
    let entry = input.entry()?;
    let context = input.pipeline_context()?;
    let options = PlanOptions {
        inputs: input.pipeline_inputs(),
        ..PlanOptions::default()
    };
    let files = input.take_files();
    let options = glplan::pipeline::resolve_options(&context, &options);
    Ok(glplan::resolve(&entry, &files, &options))
}

/// Adds the child configurations' files and the input's runner files to `sources`, and
/// matches the pipeline's jobs to their runners; `None` without runner files.
fn match_fleet(
    input: &Input,
    pipeline: &Pipeline,
    context: &PipelineContext,
    sources: &mut SourceMap,
) -> Option<MatchedFleet> {
    if input.runners.is_empty() {
        return None;
    }
    glplan::fleet::add_child_sources(pipeline, sources);
    let ids: Vec<_> = input
        .runners
        .iter()
        .map(|(name, text)| sources.add(name.clone(), text.clone()))
        .collect();
    let files: Vec<_> = ids
        .iter()
        .zip(input.runners.values())
        .map(|(id, text)| (*id, text.as_str()))
        .collect();
    let match_context = MatchContext {
        server_host: input.context.server_host.clone(),
        ..MatchContext::from(context)
    };
    Some(MatchedFleet::new(&files, pipeline, &match_context, sources))
}

/// Plans the input's pipeline with the input's `inputs` on top of `options`, which set what
/// the pipeline keeps beyond what every function reads: the predefined variables, which only
/// `explain` lists (as `glplan explain --predefined` does), and the rule traces, always in
/// `explain` and in `plan` on request.
fn evaluate(
    input: &mut Input,
    options: PlanOptions,
) -> Result<(Resolution, Option<Pipeline>), String> {
    let entry = input.entry()?;
    let context = input.pipeline_context()?;
    let options = PlanOptions {
        inputs: input.pipeline_inputs(),
        ..options
    };
    let files = input.take_files();
    Ok(glplan::pipeline::plan(&entry, &files, &context, &options))
}

/// Serializes `value` to JSON text that the result carries unparsed. Unlike
/// `RawValue::from_string`, this does not parse the text again to check it.
fn raw_json(value: &impl serde::Serialize) -> serde_json::Result<Box<RawValue>> {
    serde_json::value::to_raw_value(value)
}

fn located(resolution: &Resolution) -> Vec<Diagnostic> {
    glplan::report::diagnostics(resolution)
        .into_iter()
        .map(Diagnostic::from)
        .collect()
}

/// Returns the configuration's diagnostics, the pipeline's, then those of its child
/// pipelines: the diagnostics the CLI's `plan` and `explain` write to standard error. As
/// there, a child pipeline that its rules did not create has no diagnostic, because the
/// trigger job's `downstream` shows that outcome.
fn all_diagnostics(resolution: &Resolution, pipeline: Option<&Pipeline>) -> Vec<Diagnostic> {
    let mut diagnostics = located(resolution);
    for diagnostic in pipeline.into_iter().flat_map(|p| &p.diagnostics) {
        diagnostics.push(Diagnostic::from_plan(diagnostic, &resolution.sources));
    }
    let children = Children::collect(&resolution.sources, pipeline);
    for child in &children.configuration {
        let mut diagnostic = Diagnostic::from(child.diagnostic.locate(&children.sources));
        diagnostic.trigger_jobs = child.trigger_jobs.clone();
        diagnostics.push(diagnostic);
    }
    for child in &children.planning {
        if NOT_CREATED_BY_RULES.contains(&child.diagnostic.code.as_str()) {
            continue;
        }
        let mut diagnostic = Diagnostic::from_plan(&child.diagnostic, &children.sources);
        diagnostic.trigger_jobs = child.trigger_jobs.clone();
        diagnostics.push(diagnostic);
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: serde_json::Value) -> Input {
        Input::from_json(json).unwrap()
    }

    fn parse(text: Option<Box<RawValue>>) -> serde_json::Value {
        serde_json::from_str(text.unwrap().get()).unwrap()
    }

    /// Returns the JSON text of a result without the `column_utf16` and `offset` members of
    /// its source locations, which the comparisons leave out on both sides.
    fn cli_form(text: &str) -> String {
        let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut pending = vec![&mut value];
        while let Some(value) = pending.pop() {
            match value {
                serde_json::Value::Object(object) => {
                    if object.contains_key("file") && object.contains_key("column_utf16") {
                        object.shift_remove("column_utf16");
                        object.shift_remove("offset");
                    }
                    pending.extend(object.values_mut());
                }
                serde_json::Value::Array(items) => pending.extend(items.iter_mut()),
                _ => {}
            }
        }
        serde_json::to_string(&value).unwrap()
    }

    const PIPELINE: &str = "stages: [build, test]\n\
        build: {stage: build, script: make}\n\
        test: {stage: test, script: make test, needs: [build]}\n\
        release: {stage: test, script: x, rules: [{if: $CI_COMMIT_TAG}]}\n";

    #[test]
    fn lint_reports_unknown_stage() {
        let files = serde_json::json!({".gitlab-ci.yml": "a:\n  stage: biuld\n  script: x\n"});
        let diagnostics = lint(input(serde_json::json!({"files": files}))).unwrap();
        assert_eq!(diagnostics[0].code, "unknown-stage");
    }

    #[test]
    fn lint_counts_utf16_after_non_ascii() {
        // Before `nope`: `é` (2 bytes, 1 UTF-16 unit) on line 1, and on line 2 an emoji
        // (4 bytes, 2 UTF-16 units) and `é` among 33 characters.
        let yaml = "# é\nj: {variables: {A: \"😀é\"}, stage: nope, script: x}\n";
        let files = serde_json::json!({".gitlab-ci.yml": yaml});
        let diagnostics = lint(input(serde_json::json!({"files": files}))).unwrap();
        assert_eq!(diagnostics[0].code, "unknown-stage");
        let location = diagnostics[0].location.as_ref().unwrap();
        let (start, end) = (location.start, location.end);
        assert_eq!(start.line, 2);
        assert_eq!(start.column, 34);
        assert_eq!(start.column_utf16, 35);
        assert_eq!(start.offset, 42);
        assert_eq!(&yaml[start.offset as usize..end.offset as usize], "nope");
        assert_eq!(end.column, 38);
        assert_eq!(end.column_utf16, 39);
    }

    #[test]
    fn lint_same_json_as_located() {
        let files = serde_json::json!({".gitlab-ci.yml": "a: {stage: x, script: 1}\n"});
        let input = input(serde_json::json!({"files": files}));
        let mut files = glplan::MemoryFiles::new();
        files.repository = input.files.clone();
        let resolution =
            glplan::resolve(".gitlab-ci.yml", &files, &glplan::ResolveOptions::default());
        let expected = serde_json::to_value(glplan::report::diagnostics(&resolution)).unwrap();
        let actual = serde_json::to_value(lint(input).unwrap()).unwrap();
        assert_eq!(actual, expected);
    }

    #[test]
    fn lint_missing_entry_is_error() {
        let error = lint(input(serde_json::json!({"files": {}}))).unwrap_err();
        assert_eq!(
            error,
            "entry file `.gitlab-ci.yml` is not in `files`; `files` is empty"
        );
    }

    #[test]
    fn lint_resolves_local_include() {
        let files = serde_json::json!({
            ".gitlab-ci.yml": "include: ci/jobs.yml\n",
            "ci/jobs.yml": "a: {script: x, stage: nope}\n",
        });
        let diagnostics = lint(input(serde_json::json!({"files": files}))).unwrap();
        let location = diagnostics[0].location.as_ref().unwrap();
        assert_eq!(location.file, "ci/jobs.yml");
    }

    #[test]
    fn lint_reports_missing_template_field() {
        let files =
            serde_json::json!({".gitlab-ci.yml": "include: {template: Jobs/SAST.gitlab-ci.yml}\n"});
        let diagnostics = lint(input(serde_json::json!({"files": files}))).unwrap();
        assert!(
            diagnostics[0].message.contains("`templates`"),
            "{diagnostics:?}"
        );
    }

    #[test]
    fn resolve_config_reads_project_include() {
        let files = serde_json::json!({
            ".gitlab-ci.yml": "include: {project: g/ci, file: jobs.yml}\n",
        });
        let projects = serde_json::json!({"g/ci": {"jobs.yml": "b: {script: x}\n"}});
        let result = resolve_config(input(
            serde_json::json!({"files": files, "projects": projects}),
        ))
        .unwrap();
        assert!(result.diagnostics.is_empty(), "{:?}", result.diagnostics);
        let config: serde_json::Value = serde_json::from_str(result.config.unwrap().get()).unwrap();
        assert!(config["jobs"].get("b").is_some(), "{config:?}");
    }

    #[test]
    fn plan_tag_creates_release() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let context = serde_json::json!({"ref": "v1.0", "tag": true});
        let result = plan(input(
            serde_json::json!({"files": files, "context": context}),
        ))
        .unwrap();
        let pipeline = parse(result.pipeline);
        let names: Vec<&str> = pipeline["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|job| job["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["build", "test", "release"]);
    }

    #[test]
    fn plan_scoped_protected_project_variables() {
        let files = serde_json::json!({".gitlab-ci.yml": "\
deploy: {script: x, environment: production}
review: {script: x, environment: review/app}
test: {script: x}
"});
        let variables = serde_json::json!({
            "URL": [
                {"value": "https://example.com"},
                {"value": "https://prod.example.com", "environment_scope": "production", "protected": true},
                {"value": "https://review.example.com", "environment_scope": "review/*"}
            ]
        });
        let planned = |ref_name: &str| {
            let context = serde_json::json!({"ref": ref_name, "project_variables": variables});
            let result = plan(input(
                serde_json::json!({"files": files, "context": context}),
            ))
            .unwrap();
            parse(result.pipeline)
        };
        let job = |pipeline: &serde_json::Value, name: &str| -> serde_json::Value {
            let jobs = pipeline["jobs"].as_array().unwrap();
            jobs.iter().find(|job| job["name"] == name).unwrap().clone()
        };
        let url = |pipeline: &serde_json::Value, name: &str| -> (String, bool) {
            let job = job(pipeline, name);
            let variables = job["variables"].as_array().unwrap();
            let variable = variables.iter().find(|v| v["name"] == "URL").unwrap();
            let protected = variable["protected"].as_bool().unwrap_or(false);
            (variable["value"].as_str().unwrap().to_owned(), protected)
        };

        // The default branch is protected, so the production job gets its protected value.
        let pipeline = planned("main");
        let expected = [
            ("deploy", "https://prod.example.com", true),
            ("review", "https://review.example.com", false),
            ("test", "https://example.com", false),
        ];
        for (name, value, protected) in expected {
            assert_eq!(
                url(&pipeline, name),
                (value.to_owned(), protected),
                "{name}"
            );
        }

        // An unprotected branch does not get it: the production job falls back to `*`.
        let pipeline = planned("feature");
        assert_eq!(
            url(&pipeline, "deploy"),
            ("https://example.com".to_owned(), false)
        );
        let deploy = job(&pipeline, "deploy");
        assert_eq!(
            deploy["withheld_variables"],
            serde_json::json!([{"name": "URL", "sources": ["project"], "scopes": ["production"]}])
        );
    }

    #[test]
    fn plan_equals_report_json() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let result = plan(input(serde_json::json!({"files": files.clone()}))).unwrap();
        let mut memory = glplan::MemoryFiles::new();
        memory.repository = input(serde_json::json!({"files": files})).files;
        let context = PipelineContext {
            ref_protected: true,
            ..PipelineContext::push("main")
        };
        let (resolution, pipeline) =
            glplan::pipeline::plan(".gitlab-ci.yml", &memory, &context, &PlanOptions::default());
        let expected = glplan::report::pipeline(&pipeline.unwrap(), &resolution).unwrap();
        let expected = serde_json::to_string(&expected).unwrap();
        assert_eq!(
            cli_form(result.pipeline.unwrap().get()),
            cli_form(&expected)
        );
    }

    const RUNNERS: &str = "concurrent = 2\n\
        [[runners]]\nname = \"docker\"\nexecutor = \"docker\"\ntags = [\"docker\"]\n";

    #[test]
    fn plan_without_runners_has_no_fleet() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let pipeline = parse(
            plan(input(serde_json::json!({"files": files})))
                .unwrap()
                .pipeline,
        );
        assert!(pipeline.get("fleet").is_none());
        assert!(pipeline["jobs"][0].get("runners").is_none());
    }

    #[test]
    fn plan_compares_runner_url_with_server_host() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let runners = serde_json::json!({"config.toml": "[[runners]]\nname = \"saas\"\n\
            url = \"https://gitlab.com/\"\nexecutor = \"shell\"\n"});
        let named = parse(
            plan(input(serde_json::json!({
                "files": files.clone(),
                "runners": runners.clone(),
                "context": {"server_host": "gitlab.internal.test"},
            })))
            .unwrap()
            .pipeline,
        );
        let unnamed = parse(
            plan(input(
                serde_json::json!({"files": files, "runners": runners}),
            ))
            .unwrap()
            .pipeline,
        );
        let rejected = &named["jobs"][0]["runners"]["rejected"][0];
        assert_eq!(rejected["reason"], "other_server");
        assert_eq!(rejected["server_host"], "gitlab.internal.test");
        assert_eq!(unnamed["jobs"][0]["runners"]["eligible"][0], "saas");
    }

    #[test]
    fn plan_with_runners_equals_report_json() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let runners = serde_json::json!({"config.toml": RUNNERS});
        let result = plan(input(
            serde_json::json!({"files": files.clone(), "runners": runners}),
        ))
        .unwrap();

        let mut memory = glplan::MemoryFiles::new();
        memory.repository = input(serde_json::json!({"files": files})).files;
        let context = input(serde_json::json!({})).pipeline_context().unwrap();
        let (mut resolution, pipeline) =
            glplan::pipeline::plan(".gitlab-ci.yml", &memory, &context, &PlanOptions::default());
        let pipeline = pipeline.unwrap();
        let file = resolution.sources.add("config.toml", RUNNERS);
        let fleet = MatchedFleet::new(
            &[(file, RUNNERS)],
            &pipeline,
            &MatchContext::from(&context),
            &resolution.sources,
        );
        let mut expected = glplan::report::pipeline(&pipeline, &resolution).unwrap();
        glplan::report::add_runners(&mut expected, &fleet).unwrap();
        let file_diagnostics =
            glplan::report::plan_diagnostics(&fleet.diagnostics, &resolution.sources);
        expected["diagnostics"]
            .as_array_mut()
            .unwrap()
            .extend(file_diagnostics);

        let expected = serde_json::to_string(&expected).unwrap();
        assert_eq!(
            cli_form(result.pipeline.unwrap().get()),
            cli_form(&expected)
        );
    }

    #[test]
    fn plan_with_runners_reports_stuck_job() {
        let yaml = "build: {script: x, tags: [docker]}\ndeploy: {script: x, tags: [shell]}\n";
        let files = serde_json::json!({".gitlab-ci.yml": yaml});
        let runners = serde_json::json!({"config.toml": RUNNERS});
        let result = plan(input(
            serde_json::json!({"files": files, "runners": runners}),
        ))
        .unwrap();
        let pipeline = parse(result.pipeline);
        assert_eq!(pipeline["jobs"][0]["runners"]["eligible"][0], "docker");
        assert_eq!(pipeline["jobs"][1]["runners"]["stuck"], true);
        assert_eq!(pipeline["fleet"]["runners"][0]["name"], "docker");
        let stuck = result
            .diagnostics
            .iter()
            .find(|d| d.code == "fleet-stuck-job")
            .unwrap();
        assert_eq!(stuck.location.as_ref().unwrap().file, ".gitlab-ci.yml");
        let in_pipeline = pipeline["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "fleet-stuck-job")
            .count();
        assert_eq!(in_pipeline, 1);
    }

    const CHILD_PARENT: &str = "build: {script: x, tags: [docker]}\n\
        deploy:\n  trigger:\n    include: child.yml\n";
    const CHILD: &str = "unit: {script: x, tags: [docker]}\ngpu: {script: x, tags: [gpu]}\n";

    /// Returns the `fleet-stuck-job` entries of `diagnostics` as (message, file, line).
    fn stuck_jobs(diagnostics: &[Diagnostic]) -> Vec<(String, String, u32)> {
        diagnostics
            .iter()
            .filter(|d| d.code == "fleet-stuck-job")
            .map(|d| {
                let location = d.location.as_ref().unwrap();
                (
                    d.message.clone(),
                    location.file.clone(),
                    location.start.line,
                )
            })
            .collect()
    }

    /// Returns the input of a parent pipeline whose child job needs a tag that no runner has.
    fn child_input() -> Input {
        let files = serde_json::json!({".gitlab-ci.yml": CHILD_PARENT, "child.yml": CHILD});
        let runners = serde_json::json!({"config.toml": RUNNERS});
        input(serde_json::json!({"files": files, "runners": runners}))
    }

    /// Asserts that the one stuck job is the child's `gpu`, located in `child.yml`.
    fn assert_stuck_child_job(diagnostics: &[Diagnostic]) {
        let stuck = stuck_jobs(diagnostics);
        assert_eq!(stuck.len(), 1, "{stuck:?}");
        let (message, file, line) = &stuck[0];
        assert!(
            message.starts_with("job `deploy/gpu` is stuck"),
            "{message}"
        );
        assert_eq!(file, "child.yml");
        assert_eq!(*line, 2);
    }

    #[test]
    fn plan_reports_stuck_child_job() {
        let result = plan(child_input()).unwrap();
        assert_stuck_child_job(&result.diagnostics);
    }

    #[test]
    fn schedule_reports_stuck_child_job() {
        let result = schedule(child_input()).unwrap();
        assert_stuck_child_job(&result.diagnostics);
        let report = parse(result.schedule);
        assert_eq!(report["stuck"][0]["job"], "deploy/gpu");
    }

    #[test]
    fn plan_pipeline_error_has_position() {
        let yaml = "a: {script: x, needs: [b]}\nb: {script: x, rules: [{when: never}]}\n";
        let files = serde_json::json!({".gitlab-ci.yml": yaml});
        let result = plan(input(serde_json::json!({"files": files}))).unwrap();
        let diagnostic = result
            .diagnostics
            .iter()
            .find(|d| d.severity == glplan::Severity::Error)
            .unwrap();
        assert_eq!(diagnostic.job.as_deref(), Some("a"));
        assert_eq!(diagnostic.location.as_ref().unwrap().start.line, 1);
    }

    #[test]
    fn plan_invalid_config_has_no_pipeline() {
        let files = serde_json::json!({".gitlab-ci.yml": "a: [\n"});
        let result = plan(input(serde_json::json!({"files": files}))).unwrap();
        assert!(result.pipeline.is_none());
        assert_eq!(result.diagnostics[0].severity, glplan::Severity::Error);
    }

    /// Builds the JSON that `glplan schedule --format json` prints for `yaml` the way the CLI
    /// does: the schedule's members, then the pipeline report's `diagnostics` followed by those
    /// of the runner and durations files.
    fn cli_schedule_json(yaml: &str, runners: Option<&str>, durations: Option<&str>) -> String {
        let mut memory = glplan::MemoryFiles::new();
        memory.repository = input(serde_json::json!({"files": {".gitlab-ci.yml": yaml}})).files;
        let context = input(serde_json::json!({})).pipeline_context().unwrap();
        let (mut resolution, pipeline) =
            glplan::pipeline::plan(".gitlab-ci.yml", &memory, &context, &PlanOptions::default());
        let pipeline = pipeline.unwrap();

        let mut files = Diagnostics::new();
        let pool = match runners {
            Some(text) => {
                let file = resolution.sources.add("config.toml", text);
                let fleet = MatchedFleet::new(
                    &[(file, text)],
                    &pipeline,
                    &MatchContext::from(&context),
                    &resolution.sources,
                );
                files.extend(fleet.diagnostics.iter().cloned());
                RunnerPool::from_fleet(&fleet.fleet, &fleet.matching)
            }
            None => RunnerPool::unlimited(&pipeline),
        };
        let durations = match durations {
            Some(text) => {
                let file = resolution.sources.add("durations", text);
                Durations::parse(file, text, &Limits::default(), &mut files)
            }
            None => Durations::default(),
        };
        let simulated = simulate(&pipeline, &pool, &durations, &ScheduleOptions::default());

        let mut expected = serde_json::to_value(&simulated).unwrap();
        let mut report = glplan::report::pipeline(&pipeline, &resolution).unwrap();
        let mut diagnostics = report["diagnostics"].take();
        diagnostics
            .as_array_mut()
            .unwrap()
            .extend(glplan::report::plan_diagnostics(
                &files,
                &resolution.sources,
            ));
        expected
            .as_object_mut()
            .unwrap()
            .insert("diagnostics".to_owned(), diagnostics);
        serde_json::to_string(&expected).unwrap()
    }

    #[test]
    fn schedule_without_runners_equals_cli_json() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let result = schedule(input(serde_json::json!({"files": files}))).unwrap();
        let expected = cli_schedule_json(PIPELINE, None, None);
        assert_eq!(
            cli_form(result.schedule.unwrap().get()),
            cli_form(&expected)
        );
    }

    #[test]
    fn schedule_diagnostics_equal_cli_json() {
        // A duplicate key (configuration), a dependency that is not in the pipeline (pipeline),
        // a job no runner takes (runner file) and an invalid duration (durations file).
        let yaml = "build: {stage: build, script: x, tags: [docker]}\n\
            test: {stage: test, script: x, tags: [docker], dependencies: [release]}\n\
            release: {stage: test, script: x, rules: [{if: $CI_COMMIT_TAG}]}\n\
            deploy: {stage: deploy, script: x, tags: [shell]}\n\
            build: {stage: build, script: y, tags: [docker]}\n";
        let durations = "jobs:\n  test: soon\n";
        let files = serde_json::json!({".gitlab-ci.yml": yaml});
        let runners = serde_json::json!({"config.toml": RUNNERS});
        let result = schedule(input(serde_json::json!({
            "files": files,
            "runners": runners,
            "durations": durations,
        })))
        .unwrap();
        let text = result.schedule.unwrap();

        let expected = cli_schedule_json(yaml, Some(RUNNERS), Some(durations));
        assert_eq!(cli_form(text.get()), cli_form(&expected));

        let value: serde_json::Value = serde_json::from_str(text.get()).unwrap();
        let files: Vec<&str> = value["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["location"]["file"].as_str().unwrap_or("-"))
            .collect();
        assert_eq!(
            files,
            [
                ".gitlab-ci.yml",
                ".gitlab-ci.yml",
                ".gitlab-ci.yml",
                "durations"
            ],
            "{value}"
        );
        let codes: Vec<&str> = value["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes[0], "duplicate-key", "{codes:?}");
        assert_eq!(codes[1], "dependency-not-in-pipeline", "{codes:?}");
        assert_eq!(codes[2], "fleet-stuck-job", "{codes:?}");
        assert_eq!(codes[3], "invalid-duration", "{codes:?}");
        assert_eq!(result.diagnostics.len(), codes.len());
    }

    #[test]
    fn schedule_reports_runner_file_errors() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let runners = serde_json::json!({"config.toml": "concurrent = \"x\"\n[[runners]]\nname = \"a\"\nexecutor = \"shell\"\n"});
        let result = schedule(input(
            serde_json::json!({"files": files, "runners": runners}),
        ))
        .unwrap();
        let diagnostic = result
            .diagnostics
            .iter()
            .find(|d| d.severity == glplan::Severity::Error)
            .unwrap();
        assert_eq!(diagnostic.location.as_ref().unwrap().file, "config.toml");
    }

    #[test]
    fn schedule_unknown_play_job_is_error() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let error =
            schedule(input(serde_json::json!({"files": files, "play": ["nope"]}))).unwrap_err();
        assert_eq!(
            error,
            "invalid argument `play`: job `nope` is not in the pipeline"
        );
    }

    /// Returns files where parent job `a/b` and job `b` of the child pipeline of `a` share the
    /// name `a/b`.
    fn namesake_files() -> serde_json::Value {
        serde_json::json!({
            ".gitlab-ci.yml": "a: {trigger: {include: child.yml, strategy: depend}}\n\
                               a/b: {script: x}\n",
            "child.yml": "b: {script: x}\n",
        })
    }

    #[test]
    fn schedule_job_path_selects_one_namesake() {
        let json = serde_json::json!({
            "files": namesake_files(),
            "fail": [["a", "b"]],
            "durations": "default: 10\njobs:\n  ['a/b']: 20\n",
        });
        let result = schedule(input(json)).unwrap();
        let report = parse(result.schedule);
        let jobs: Vec<(String, String, u64)> = report["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|job| {
                (
                    job["name"].as_str().unwrap().to_owned(),
                    job["status"].as_str().unwrap().to_owned(),
                    job["finished_at"].as_u64().unwrap(),
                )
            })
            .collect();
        let expected = [
            ("a", "failed", 10),
            ("a/b", "success", 20),
            ("a/b", "failed", 10),
        ]
        .map(|(name, status, at)| (name.to_owned(), status.to_owned(), at));
        assert_eq!(jobs, expected);
    }

    #[test]
    fn schedule_unknown_job_path_is_error() {
        let json = serde_json::json!({"files": namesake_files(), "play": [["b"]]});
        assert_eq!(
            schedule(input(json)).unwrap_err(),
            "invalid argument `play`: job `[\"b\"]` is not in the pipeline"
        );
    }

    #[test]
    fn schedule_job_path_items_checked() {
        let cases = [
            (
                serde_json::json!([["a", 1]]),
                "invalid argument `fail[0][1]`: invalid type: number `1`, expected a string",
            ),
            (
                serde_json::json!([[]]),
                "invalid argument `fail[0]`: the array is empty; give at least the job's name",
            ),
            (
                serde_json::json!([{"job": "a"}]),
                "invalid argument `fail[0]`: invalid type: object, expected the name of a job as \
                 a string, or an array of the names of the trigger jobs and the job",
            ),
        ];
        for (fail, expected) in cases {
            let json = serde_json::json!({"files": namesake_files(), "fail": fail});
            let error = Input::from_json(json).unwrap_err();
            assert_eq!(error, expected, "{fail}");
        }
    }

    #[test]
    fn empty_job_name_readable_in_errors() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let error = schedule(input(serde_json::json!({"files": files, "play": [""]}))).unwrap_err();
        assert_eq!(
            error,
            "invalid argument `play`: job `\"\"` (empty) is not in the pipeline"
        );
        let error = explain(input(serde_json::json!({"files": files})), "").unwrap_err();
        assert_eq!(
            error,
            "job `\"\"` (empty) not found; the jobs are build, test, release"
        );
    }

    #[test]
    fn invalid_variable_name_before_value() {
        let cases = [
            serde_json::json!({"variables": {"": 5}}),
            serde_json::json!({"variables": {"": {"value": true}}}),
            serde_json::json!({"context": {"project_variables": {"": 5}}}),
        ];
        for mut json in cases {
            json["files"] = serde_json::json!({".gitlab-ci.yml": PIPELINE});
            let error = plan(input(json.clone())).unwrap_err();
            assert!(
                error.contains("`\"\"` (empty) is not a valid variable name"),
                "{json}: {error}"
            );
        }
    }

    #[test]
    fn variable_unknown_fields_quoted() {
        let cases = [
            (
                serde_json::json!({"variables": {"A": {"value": "x", "": true}}}),
                "variable `A`: unknown field `\"\"` (empty), expected one of",
            ),
            (
                serde_json::json!({"context": {"project_variables": {"A": {"value": "x", "": 1}}}}),
                "unknown field `\"\"` (empty), expected one of",
            ),
            (
                serde_json::json!({"context": {"group_variables": [{"": 1, "variables": {}}]}}),
                "unknown field `\"\"` (empty), expected `path` or `variables`",
            ),
        ];
        for (mut json, expected) in cases {
            json["files"] = serde_json::json!({".gitlab-ci.yml": PIPELINE});
            let error = plan(input(json.clone())).unwrap_err();
            assert!(error.contains(expected), "{json}: {error}");
        }
    }

    #[test]
    fn schedule_unknown_job_escapes_controls() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let json = serde_json::json!({"files": files, "fail": ["x\u{1b}[2J\u{200b}"]});
        assert_eq!(
            schedule(input(json)).unwrap_err(),
            "invalid argument `fail`: job `x\\u001b[2J\\u200b` is not in the pipeline"
        );
    }

    #[test]
    fn explain_unknown_job_escapes_controls() {
        let files = serde_json::json!({".gitlab-ci.yml": "\"a\\nb\": {script: x}\n"});
        let error = explain(input(serde_json::json!({"files": files})), "a\nc").unwrap_err();
        assert_eq!(error, "job `a\\nc` not found; did you mean `a\\nb`?");
    }

    #[test]
    fn schedule_unknown_fail_job_quotes_backtick() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let error = schedule(input(
            serde_json::json!({"files": files, "fail": ["t`ick"]}),
        ))
        .unwrap_err();
        assert_eq!(
            error,
            "invalid argument `fail`: job ``t`ick`` is not in the pipeline"
        );
    }

    #[test]
    fn schedule_created_failed_play_job_is_error() {
        let yaml = "variables: {BRANCH: 'a:b'}\n\
            deploy: {script: x, when: manual, environment: review/$BRANCH}\n";
        let files = serde_json::json!({".gitlab-ci.yml": yaml});
        let error = schedule(input(
            serde_json::json!({"files": files, "play": ["deploy"]}),
        ))
        .unwrap_err();
        assert_eq!(
            error,
            "invalid argument `play`: job `deploy` cannot be played, because GitLab creates it \
             as failed (`environment_creation_failure`)"
        );
    }

    #[test]
    fn schedule_warns_about_unused_durations_entry() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let durations = "jobs:\n  biuld: 1m\n  release: 2m\n";
        let result = schedule(input(
            serde_json::json!({"files": files, "durations": durations}),
        ))
        .unwrap();
        let found: Vec<_> = result
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.code.starts_with("duration-entry"))
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, "duration-entry-unknown");
        assert_eq!(found[0].help.as_deref(), Some("did you mean `build`?"));
        let location = found[0].location.as_ref().unwrap();
        assert_eq!(
            (
                location.file.as_str(),
                location.start.line,
                location.start.column
            ),
            ("durations", 2, 3)
        );
    }

    #[test]
    fn schedule_not_manual_play_job_warns() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let result = schedule(input(
            serde_json::json!({"files": files, "play": ["build"]}),
        ))
        .unwrap();
        let warnings: Vec<&str> = result
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.code == "play-not-manual")
            .map(|diagnostic| diagnostic.message.as_str())
            .collect();
        assert_eq!(
            warnings,
            [
                "`play` names job `build`, whose `when` is `on_success`, not `manual`, so playing \
              it changes nothing"
            ]
        );
    }

    #[test]
    fn schedule_unstarted_fail_warns() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let result = schedule(input(
            serde_json::json!({"files": files, "fail": ["build", "test"]}),
        ))
        .unwrap();
        let warnings: Vec<&str> = result
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.code == "fail-not-reached")
            .map(|diagnostic| diagnostic.message.as_str())
            .collect();
        assert_eq!(
            warnings,
            [
                "`fail` names job `test`, which the simulated run never reaches: it ends as \
                 `skipped` (the jobs it waits for ended `failed` and it runs `when: \
                 on_success`), so failing it changes nothing"
            ]
        );
    }

    #[test]
    fn schedule_not_manual_play_warning_quotes_backtick() {
        let files = serde_json::json!({".gitlab-ci.yml": "t`ick: {script: x}\n"});
        let result = schedule(input(
            serde_json::json!({"files": files, "play": ["t`ick"]}),
        ))
        .unwrap();
        let warning = result
            .diagnostics
            .iter()
            .find(|diagnostic| diagnostic.code == "play-not-manual")
            .map(|diagnostic| diagnostic.message.as_str());
        assert_eq!(
            warning,
            Some(
                "`play` names job ``t`ick``, whose `when` is `on_success`, not `manual`, so \
                 playing it changes nothing"
            )
        );
    }

    #[test]
    fn schedule_unreached_fail_warning_quotes_backtick() {
        let yaml =
            "a: {script: x, when: manual, allow_failure: false}\nt`ick: {script: x, needs: [a]}\n";
        let files = serde_json::json!({".gitlab-ci.yml": yaml});
        let result = schedule(input(
            serde_json::json!({"files": files, "fail": ["t`ick"]}),
        ))
        .unwrap();
        let warning = result
            .diagnostics
            .iter()
            .find(|diagnostic| diagnostic.code == "fail-not-reached")
            .map(|diagnostic| diagnostic.message.as_str())
            .unwrap_or_default();
        assert!(
            warning.starts_with("`fail` names job ``t`ick``, which"),
            "{warning}"
        );
    }

    #[test]
    fn explain_absent_job() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let result = explain(input(serde_json::json!({"files": files})), "release").unwrap();
        let explanation = parse(result.explanation);
        assert_eq!(explanation["absent"]["name"], "release");
    }

    #[test]
    fn explain_equals_report_json() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let result = explain(input(serde_json::json!({"files": files.clone()})), "test").unwrap();
        let mut memory = glplan::MemoryFiles::new();
        memory.repository = input(serde_json::json!({"files": files})).files;
        let context = input(serde_json::json!({})).pipeline_context().unwrap();
        let options = PlanOptions {
            rule_traces: true,
            ..PlanOptions::default()
        };
        let (_, pipeline) = glplan::pipeline::plan(".gitlab-ci.yml", &memory, &context, &options);
        let pipeline = pipeline.unwrap();
        let subject = glplan::report::find(&pipeline, "test").unwrap();
        let expected = glplan::report::explanation(&pipeline, &subject).unwrap();
        let expected = serde_json::to_string(&expected).unwrap();
        assert_eq!(
            cli_form(result.explanation.unwrap().get()),
            cli_form(&expected)
        );
    }

    #[test]
    fn explain_names_withheld_groups_and_scopes() {
        let yaml = "deploy: {script: x, environment: production, \
                    rules: [{if: $A}, {when: manual}]}\n";
        let files = serde_json::json!({".gitlab-ci.yml": yaml});
        let context = serde_json::json!({
            "ref": "feature",
            "project_path": "top/sub/app",
            "group_variables": [
                {"path": "top", "variables": {"A": {"value": "1", "protected": true}}},
                {"variables": {"A": [
                    {"value": "2", "protected": true},
                    {"value": "3", "environment_scope": "production", "protected": true}
                ]}}
            ]
        });
        let result = explain(
            input(serde_json::json!({"files": files, "context": context})),
            "deploy",
        )
        .unwrap();
        let explanation = parse(result.explanation);
        let job = &explanation["job"];
        assert_eq!(
            job["withheld_variables"],
            serde_json::json!([{
                "name": "A",
                "sources": ["group", "group"],
                "scopes": [null, "production"],
                "groups": ["top", "top/sub"],
            }])
        );
        assert_eq!(
            job["rule"]["rules"][0]["clauses"][0]["reads"][0],
            serde_json::json!({
                "name": "A",
                "value": null,
                "withheld": ["group", "group"],
                "withheld_scopes": [null, "production"],
                "withheld_groups": ["top", "top/sub"],
            })
        );
    }

    #[test]
    fn explain_unknown_job_suggests_name() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let error = explain(input(serde_json::json!({"files": files})), "tset").unwrap_err();
        assert_eq!(error, "job `tset` not found; did you mean `test`?");
    }

    #[test]
    fn explain_finds_child_pipeline_job() {
        let result = explain(
            input(serde_json::json!({"files": trigger_files()})),
            "trig/c2",
        )
        .unwrap();
        let value: serde_json::Value =
            serde_json::from_str(result.explanation.unwrap().get()).unwrap();
        assert_eq!(value["trigger"], "trig");
        assert_eq!(value["job"]["name"], "c2");
        let error = explain(
            input(serde_json::json!({"files": trigger_files()})),
            "trig/c22",
        )
        .unwrap_err();
        assert_eq!(error, "job `trig/c22` not found; did you mean `trig/c2`?");
    }

    #[test]
    fn explain_path_reaches_shadowed_job() {
        let files = serde_json::json!({
            ".gitlab-ci.yml": "trig/c2: {script: top}\nbuild: {script: make}\ntrig:\n  trigger:\n    include: child.yml\n",
            "child.yml": "c2: {script: y}\n",
        });
        let job = JobSelector::Path(vec!["trig".to_owned(), "c2".to_owned()]);
        let result = explain(input(serde_json::json!({"files": files.clone()})), job).unwrap();
        let value: serde_json::Value =
            serde_json::from_str(result.explanation.unwrap().get()).unwrap();
        assert_eq!(value["trigger"], "trig");
        assert_eq!(value["job"]["location"]["file"], "child.yml");

        let result = explain(input(serde_json::json!({"files": files})), "trig/c2").unwrap();
        let value: serde_json::Value =
            serde_json::from_str(result.explanation.unwrap().get()).unwrap();
        assert_eq!(value["trigger"], serde_json::Value::Null);
        assert_eq!(value["job"]["location"]["file"], ".gitlab-ci.yml");
    }

    const TRIGGER_PARENT: &str =
        "build: {script: make}\ntrig:\n  trigger:\n    include: child.yml\n    strategy: depend\n";

    fn trigger_files() -> serde_json::Value {
        serde_json::json!({
            ".gitlab-ci.yml": TRIGGER_PARENT,
            "child.yml": "c1: {script: x, stage: nope}\nc2: {script: y}\n",
        })
    }

    #[test]
    fn lint_reports_child_pipeline_error() {
        let diagnostics = lint(input(serde_json::json!({"files": trigger_files()}))).unwrap();
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0].code, "unknown-stage");
        assert_eq!(diagnostics[0].trigger_jobs, ["trig"]);
        let location = diagnostics[0].location.as_ref().unwrap();
        assert_eq!(location.file, "child.yml");
        assert_eq!(location.start.line, 1);
    }

    #[test]
    fn lint_child_equals_cli_children() {
        let diagnostics = lint(input(serde_json::json!({"files": trigger_files()}))).unwrap();
        let mut memory = glplan::MemoryFiles::new();
        memory.repository = input(serde_json::json!({"files": trigger_files()})).files;
        let context = input(serde_json::json!({})).pipeline_context().unwrap();
        let (resolution, pipeline) =
            glplan::pipeline::plan(".gitlab-ci.yml", &memory, &context, &PlanOptions::default());
        let children = Children::collect(&resolution.sources, pipeline.as_ref());
        let child = &children.configuration[0];
        let mut expected =
            serde_json::to_value(child.diagnostic.locate(&children.sources)).unwrap();
        expected["trigger_jobs"] = serde_json::json!(["trig"]);
        assert_eq!(serde_json::to_value(&diagnostics[0]).unwrap(), expected);
    }

    #[test]
    fn schedule_diagnostics_have_child_error() {
        let result = schedule(input(serde_json::json!({"files": trigger_files()}))).unwrap();
        let value: serde_json::Value =
            serde_json::from_str(result.schedule.unwrap().get()).unwrap();
        let listed: Vec<(&str, &serde_json::Value, &str)> = value["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let file = d["location"]["file"].as_str().unwrap_or("-");
                (d["code"].as_str().unwrap(), &d["trigger_jobs"], file)
            })
            .collect();
        let trig = serde_json::json!(["trig"]);
        assert_eq!(listed, [("unknown-stage", &trig, "child.yml")]);
        let top_level: Vec<&str> = result.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(top_level, ["unknown-stage"]);
    }

    #[test]
    fn plan_and_explain_report_child_error() {
        let files = trigger_files();
        let planned = plan(input(serde_json::json!({"files": files.clone()}))).unwrap();
        let codes: Vec<(&str, &[String])> = planned
            .diagnostics
            .iter()
            .map(|d| (d.code.as_str(), d.trigger_jobs.as_slice()))
            .collect();
        assert!(
            codes.contains(&("unknown-stage", &["trig".to_owned()][..])),
            "{codes:?}"
        );
        let explained = explain(input(serde_json::json!({"files": files})), "trig").unwrap();
        assert!(
            explained
                .diagnostics
                .iter()
                .any(|d| d.code == "unknown-stage" && d.trigger_jobs == ["trig"]),
            "{:?}",
            explained.diagnostics
        );
    }

    #[test]
    fn predefined_leaves_plan_unchanged() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let without = plan(input(serde_json::json!({"files": files.clone()}))).unwrap();
        let with = plan(input(
            serde_json::json!({"files": files, "predefined": true}),
        ))
        .unwrap();
        assert_eq!(
            with.pipeline.unwrap().get(),
            without.pipeline.unwrap().get()
        );
    }

    #[test]
    fn rule_traces_on_request() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let lean = plan(input(serde_json::json!({"files": files.clone()}))).unwrap();
        let traced = plan(input(
            serde_json::json!({"files": files, "rule_traces": true}),
        ))
        .unwrap();
        let lean = parse(lean.pipeline);
        let traced = parse(traced.pipeline);
        let (lean, traced) = (&lean["absent"][0]["rule"], &traced["absent"][0]["rule"]);
        assert!(lean.get("rules").is_none(), "{lean}");
        assert_eq!(lean["summary"], traced["summary"]);
        assert_eq!(
            traced["rules"][0]["clauses"][0]["expression"],
            "$CI_COMMIT_TAG"
        );
    }

    #[test]
    fn explain_keeps_rule_traces() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let result = explain(input(serde_json::json!({"files": files})), "release").unwrap();
        let explanation = parse(result.explanation);
        let rule = &explanation["absent"]["rule"];
        assert_eq!(rule["rules"][0]["clauses"][0]["holds"], false, "{rule}");
    }

    #[test]
    fn predefined_adds_variables_to_explain() {
        let files = serde_json::json!({".gitlab-ci.yml": PIPELINE});
        let result = explain(
            input(serde_json::json!({"files": files, "predefined": true})),
            "build",
        )
        .unwrap();
        let text = result.explanation.unwrap().get().to_owned();
        assert!(text.contains("CI_PIPELINE_ID"), "{text}");
    }

    #[test]
    fn explain_locations_have_utf16_columns() {
        let yaml = "deploy: {script: x, variables: {E: \"🚀🚀\"}, rules: [{if: $DEPLOY}, {when: never}]}\n";
        let files = serde_json::json!({".gitlab-ci.yml": yaml});
        let variables = serde_json::json!({"DEPLOY": "1"});
        let result = explain(
            input(serde_json::json!({"files": files, "variables": variables})),
            "deploy",
        )
        .unwrap();
        let explanation = parse(result.explanation);
        let location = &explanation["job"]["rule"]["rules"][0]["clauses"][0]["location"];
        let offset = location["offset"].as_u64().unwrap() as usize;
        assert!(yaml[offset..].starts_with("$DEPLOY"), "{location}");
        let column = location["column"].as_u64().unwrap();
        assert_eq!(location["column_utf16"].as_u64().unwrap(), column + 2);
    }
}
