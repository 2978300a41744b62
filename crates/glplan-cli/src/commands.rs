//! The commands: load the configuration through the directory provider, then print
//! diagnostics, the merged configuration or the plan.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::children::{Children, NOT_CREATED_BY_RULES};
use glplan::context::PipelineContext;
use glplan::diagnostic::code_span;
use glplan::pipeline::{Pipeline, PlanDiagnostic, PlanOptions};
use glplan::yaml::{Mapping, Node};
use glplan::{Diagnostics, FileId, Limits, Resolution, Severity, Span};

use crate::args::{
    Cli, ColorChoice, Command, CommonArgs, ConfigArgs, ConfigFormat, ContextArgs, ExplainArgs,
    ExplainFormat, LintArgs, LintFormat, PlanArgs, PlanFormat, ScheduleArgs, ScheduleFormat,
    check_unique_projects,
};
use crate::files::{DirFiles, split_entry};
use crate::{context, explain, graph, render, runners, schedule_out, table, terminal, yaml_out};
use glplan::fleet::MatchContext;
use glplan::report::MatchedFleet;
use glplan::schedule::{
    Choice, Durations, RunnerPool, ScheduleOptions, created_failed_jobs, ignored_trigger_durations,
    name_collisions, not_manual_play_warnings, simulate, unknown_jobs, unreached_choice_warnings,
    unused_durations,
};

/// The process exit status of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No error diagnostic (warnings allowed).
    Clean = 0,
    /// At least one error diagnostic.
    Invalid = 1,
    /// The command could not run: invalid arguments, or a file or folder that cannot be read.
    Failure = 2,
}

/// A failure of the command itself rather than of the configuration.
#[derive(Debug)]
pub enum CliError {
    /// Printed as `error: <message>`; exits with [`Status::Failure`].
    Message(String),
    /// The reader of the output went away (`glplan config | head`). That is the reader's
    /// choice, so the command stops writing and exits with the status of the configuration.
    BrokenPipe,
}

impl From<io::Error> for CliError {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::BrokenPipe {
            CliError::BrokenPipe
        } else {
            CliError::Message(format!("cannot write output: {error}"))
        }
    }
}

/// Runs a parsed command line and returns its exit status. Writes the command's output to
/// standard output, and its own errors and the diagnostics of `config`, `plan` and `explain` to standard
/// error.
pub fn run(cli: Cli) -> Status {
    let result = match cli.command {
        Command::Lint(args) => lint(&args),
        Command::Config(args) => config(&args),
        Command::Plan(args) => plan(&args),
        Command::Explain(args) => explain(&args),
        Command::Schedule(args) => schedule(&args),
    };
    match result {
        Ok(status) => status,
        Err(CliError::BrokenPipe) => Status::Failure,
        Err(CliError::Message(message)) => {
            // Messages quote job names, option values and file names.
            let _ = writeln!(io::stderr(), "error: {}", terminal::escape(&message));
            Status::Failure
        }
    }
}

/// A resolved configuration and how to show its file names.
struct Loaded {
    resolution: Resolution,
    /// The folder the user named as the repository root (or the entry file's folder), as typed.
    root: PathBuf,
    /// The entry file's path inside the repository.
    entry: String,
}

impl Loaded {
    /// Shows a repository file's name as a path the user can open from the current directory;
    /// other names (other projects, templates, remote files) are shown as the resolver named
    /// them.
    fn display_name(&self, name: &str) -> String {
        if self.root == Path::new(".") || !self.root.join(name).is_file() {
            return name.to_owned();
        }
        self.root.join(name).display().to_string()
    }

    fn status(&self) -> Status {
        if self.resolution.diagnostics.has_errors() {
            Status::Invalid
        } else {
            Status::Clean
        }
    }
}

/// Resolves the configuration as `plan` would for the pipeline the context options describe,
/// without evaluating it.
fn load(common: &CommonArgs, context_args: &ContextArgs) -> Result<Loaded, CliError> {
    let (root, entry, files) = open_files(common)?;
    let (context, options) = plan_inputs(common, context_args, PlanOptions::default())?;
    let resolve_options = glplan::pipeline::resolve_options(&context, &options);
    let resolution = glplan::resolve(&entry, &files, &resolve_options);
    Ok(Loaded {
        resolution,
        root,
        entry,
    })
}

/// Splits PATH into the repository root and the entry file's path inside it, and opens the
/// file provider with the folders the options name.
fn open_files(args: &CommonArgs) -> Result<(PathBuf, String, DirFiles), CliError> {
    let (root, entry) = split_entry(&args.path, args.repo.as_deref()).map_err(CliError::Message)?;

    let mut files = DirFiles::new(&root);
    if let Some(dir) = &args.templates {
        files = files.with_templates(existing_dir(dir, "--templates")?);
    }
    check_unique_projects(&args.projects).map_err(CliError::Message)?;
    for (project, dir) in &args.projects {
        files = files.with_project(project, existing_dir(dir, "--project")?);
    }
    if let Some(dir) = &args.remote_cache {
        files = files.with_remote_cache(existing_dir(dir, "--remote-cache")?);
    }
    Ok((root, entry, files))
}

fn existing_dir(dir: &Path, option: &str) -> Result<PathBuf, CliError> {
    if dir.is_dir() {
        Ok(dir.to_path_buf())
    } else {
        Err(CliError::Message(format!(
            "{option}: `{}` is not a folder",
            dir.display()
        )))
    }
}

/// Keeps the last value of each name, in the order names first appear.
fn last_wins(pairs: &[(String, String)]) -> Vec<(String, String)> {
    let mut values: BTreeMap<&str, &str> = BTreeMap::new();
    let mut order = Vec::new();
    for (key, value) in pairs {
        if values.insert(key, value).is_none() {
            order.push(key.as_str());
        }
    }
    order
        .into_iter()
        .map(|key| {
            (
                key.to_owned(),
                values.get(key).copied().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The file id given to `--input` values. No source file has it, so a diagnostic about an input
/// value is shown without a source snippet.
const INPUT_FILE: FileId = FileId(u32::MAX);

fn pipeline_inputs(pairs: &[(String, String)]) -> Result<Option<Mapping>, CliError> {
    if pairs.is_empty() {
        return Ok(None);
    }
    let mut inputs = Mapping::new();
    for (name, text) in last_wins(pairs) {
        let value = input_value(&name, &text)?;
        inputs.insert(name, Span::new(INPUT_FILE, 0, 0), value);
    }
    Ok(Some(inputs))
}

/// Reads an `--input` value as a YAML document, so that it gets the same types a value written
/// in `include:inputs` would get.
fn input_value(name: &str, text: &str) -> Result<Node, CliError> {
    let span = Span::new(INPUT_FILE, 0, 0);
    if text.is_empty() {
        return Ok(Node::string("", span));
    }
    let mut diagnostics = Diagnostics::new();
    // `load_data` keeps a blank document such as `false`, `[]` or `' '`, which `load` drops.
    let value = glplan::yaml::load_data(INPUT_FILE, text, &Limits::default(), &mut diagnostics);
    let problem = diagnostics.iter().find(|d| d.is_error());
    match (value, problem) {
        (Some(value), None) => Ok(value),
        (_, Some(problem)) => Err(CliError::Message(format!(
            "--input {name}: `{text}` is not valid YAML: {}",
            problem.message
        ))),
        (None, None) => Err(CliError::Message(format!(
            "--input {name}: `{text}` is not valid YAML; quote it to pass a string, as in \
             --input '{name}=\"...\"'"
        ))),
    }
}

fn use_color(choice: ColorChoice, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            terminal
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|v| v != "dumb")
        }
    }
}

/// Lints the configuration, and the child configurations of the trigger jobs that the
/// pipeline of the context options creates.
fn lint(args: &LintArgs) -> Result<Status, CliError> {
    let planned = evaluate(&args.common, &args.context, PlanOptions::default())?;
    let status = if planned.children.has_configuration_errors() {
        Status::Invalid
    } else {
        planned.loaded.status()
    };
    finish(write_lint(args, &planned), status)
}

/// Maps a closed output pipe to the configuration's own status.
fn finish(written: Result<(), CliError>, status: Status) -> Result<Status, CliError> {
    match written {
        Ok(()) | Err(CliError::BrokenPipe) => Ok(status),
        Err(error) => Err(error),
    }
}

fn write_lint(args: &LintArgs, planned: &Planned) -> Result<(), CliError> {
    let loaded = &planned.loaded;
    let resolution = &loaded.resolution;
    let children = &planned.children;
    let display = |name: &str| loaded.display_name(name);
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match args.format {
        LintFormat::Human => {
            let color = use_color(args.common.color, stdout.is_terminal());
            let sources = &children.sources;
            let child_diagnostics = render::child_diagnostics(&children.configuration);
            render::write_human(&mut out, &resolution.diagnostics, sources, &display, color)?;
            render::write_human(&mut out, &child_diagnostics, sources, &display, color)?;
            let count = |severity: Severity| {
                let parent = resolution.diagnostics.iter();
                parent
                    .chain(child_diagnostics.iter())
                    .filter(|d| d.severity == severity)
                    .count()
            };
            let entry = display(&loaded.entry);
            render::write_counts(
                &mut out,
                &entry,
                count(Severity::Error),
                count(Severity::Warning),
            )?;
        }
        LintFormat::Json => {
            let located = render::to_json(&resolution.diagnostics, &resolution.sources, &display);
            let mut values = Vec::with_capacity(located.len());
            for diagnostic in located {
                values.push(to_value(&diagnostic)?);
            }
            for child in &children.configuration {
                let located = render::to_located(&child.diagnostic, &children.sources, &display);
                let mut value = to_value(&located)?;
                if let serde_json::Value::Object(object) = &mut value {
                    object.insert("trigger_jobs".to_owned(), child.trigger_jobs.clone().into());
                }
                values.push(value);
            }
            write_json(&mut out, &values)?;
        }
    }
    out.flush()?;
    Ok(())
}

fn to_value(value: &impl serde::Serialize) -> Result<serde_json::Value, CliError> {
    serde_json::to_value(value)
        .map_err(|e| CliError::Message(format!("cannot convert the diagnostics to JSON: {e}")))
}

/// Writes diagnostics to standard error for `config` and `plan`, whose standard output is the
/// result.
fn report_to_stderr(loaded: &Loaded, color: ColorChoice) -> Result<(), CliError> {
    let summary = loaded.display_name(&loaded.entry);
    write_to_stderr(loaded, &loaded.resolution.diagnostics, &summary, color)
}

/// Writes `diagnostics` to standard error, closed by a count line that starts with `summary`,
/// or nothing when there are none.
fn write_to_stderr(
    loaded: &Loaded,
    diagnostics: &Diagnostics,
    summary: &str,
    color: ColorChoice,
) -> Result<(), CliError> {
    if diagnostics.is_empty() {
        return Ok(());
    }
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let display = |name: &str| loaded.display_name(name);
    let color = use_color(color, stderr.is_terminal());
    render::write_human(
        &mut err,
        diagnostics,
        &loaded.resolution.sources,
        &display,
        color,
    )?;
    render::write_summary(&mut err, summary, diagnostics)?;
    Ok(())
}

fn config(args: &ConfigArgs) -> Result<Status, CliError> {
    let loaded = load(&args.common, &args.context)?;
    let Some(value) = configuration_json(&loaded.resolution)? else {
        finish(
            report_to_stderr(&loaded, args.common.color),
            Status::Invalid,
        )?;
        return Ok(Status::Invalid);
    };
    let written = report_to_stderr(&loaded, args.common.color).and_then(|()| {
        let mut out = io::stdout().lock();
        match args.format {
            ConfigFormat::Yaml => out.write_all(yaml_out::to_yaml(&value).as_bytes())?,
            ConfigFormat::Json => write_json(&mut out, &value)?,
        }
        out.flush()?;
        Ok(())
    });
    finish(written, loaded.status())
}

/// The typed configuration as JSON, or the merged tree when the typed model could not be built.
fn configuration_json(resolution: &Resolution) -> Result<Option<serde_json::Value>, CliError> {
    glplan::report::configuration(resolution)
        .map_err(|e| CliError::Message(format!("cannot convert the configuration to JSON: {e}")))
}

/// A configuration evaluated for one pipeline context.
struct Planned {
    loaded: Loaded,
    context: PipelineContext,
    /// Whether no context option was given, so the context is the default push.
    defaulted: bool,
    /// The host of `--server-host`, when given. Only then are runner URLs compared with it.
    server_host: Option<String>,
    /// `None` when no configuration could be built.
    pipeline: Option<Pipeline>,
    /// The diagnostics of the child pipelines that `pipeline` plans.
    children: Children,
}

impl Planned {
    fn status(&self) -> Status {
        if self.loaded.resolution.diagnostics.has_errors() {
            return Status::Invalid;
        }
        let Some(pipeline) = &self.pipeline else {
            return Status::Invalid;
        };
        let failed = pipeline
            .error_diagnostics()
            .any(|diagnostic| !NOT_CREATED_BY_RULES.contains(&diagnostic.code.as_str()));
        let not_created = !pipeline.created && pipeline.error_diagnostics().next().is_none();
        // A child pipeline that GitLab cannot create fails its trigger job, so its errors
        // count as the parent's do.
        if failed || not_created || self.children.has_errors() {
            Status::Invalid
        } else {
            Status::Clean
        }
    }

    fn header(&self) -> String {
        context::describe(&self.context, self.defaulted)
    }
}

/// Returns the pipeline context and the planning options the command line describes, on top
/// of `options`, which set what the command's pipeline keeps. Every command resolves with
/// them, so `include` gets the same variables, masks and diff in each. Writes the warnings
/// about the context options to standard error.
fn plan_inputs(
    common: &CommonArgs,
    context_args: &ContextArgs,
    options: PlanOptions,
) -> Result<(PipelineContext, PlanOptions), CliError> {
    let context =
        context::build(context_args, &last_wins(&common.vars)).map_err(CliError::Message)?;
    for warning in context::warnings(context_args, &context) {
        // Warnings quote option values, as error messages do.
        writeln!(io::stderr(), "warning: {}", terminal::escape(&warning))?;
    }
    let options = PlanOptions {
        inputs: pipeline_inputs(&common.inputs)?,
        ..options
    };
    Ok((context, options))
}

/// Plans the pipeline of the command line; `options` set what the pipeline keeps beyond what
/// every command reads (the predefined variables, the rule traces).
fn evaluate(
    common: &CommonArgs,
    context_args: &ContextArgs,
    options: PlanOptions,
) -> Result<Planned, CliError> {
    let (root, entry, files) = open_files(common)?;
    let (context, options) = plan_inputs(common, context_args, options)?;
    let (resolution, pipeline) = glplan::pipeline::plan(&entry, &files, &context, &options);
    let children = Children::collect(&resolution.sources, pipeline.as_ref());
    Ok(Planned {
        loaded: Loaded {
            resolution,
            root,
            entry,
        },
        context,
        defaulted: context_args.is_default() && common.vars.is_empty(),
        server_host: context_args.server_host.clone(),
        pipeline,
        children,
    })
}

/// Writes the configuration's diagnostics and the pipeline's to standard error, then those of
/// the child pipelines. The diagnostics of a pipeline that rules did not create are left out,
/// because the output shows that outcome.
fn report_plan_to_stderr(planned: &Planned, color: ColorChoice) -> Result<(), CliError> {
    let loaded = &planned.loaded;
    let children = &planned.children;
    let resolved = &loaded.resolution.diagnostics;
    let child_resolved = render::child_diagnostics(&children.configuration);
    let child_planning = render::child_plan_diagnostics(&children.planning);
    let planning: Vec<&PlanDiagnostic> = planned
        .pipeline
        .iter()
        .flat_map(|pipeline| &pipeline.diagnostics)
        .chain(&child_planning)
        .filter(|diagnostic| !NOT_CREATED_BY_RULES.contains(&diagnostic.code.as_str()))
        .collect();
    if resolved.is_empty() && child_resolved.is_empty() && planning.is_empty() {
        return Ok(());
    }
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let display = |name: &str| loaded.display_name(name);
    let color = use_color(color, stderr.is_terminal());
    let sources = &children.sources;
    render::write_human(&mut err, resolved, sources, &display, color)?;
    render::write_human(&mut err, &child_resolved, sources, &display, color)?;
    render::write_plan_human(&mut err, &planning, sources, &display, color)?;
    let count = |severity: Severity| {
        resolved.iter().filter(|d| d.severity == severity).count()
            + child_resolved
                .iter()
                .filter(|d| d.severity == severity)
                .count()
            + planning.iter().filter(|d| d.severity == severity).count()
    };
    render::write_counts(
        &mut err,
        &display(&loaded.entry),
        count(Severity::Error),
        count(Severity::Warning),
    )?;
    Ok(())
}

/// Reads the runner files of `--runners` for the planned pipeline, adding them to the
/// configuration's source map so that their diagnostics show source lines.
fn load_fleet(planned: &mut Planned, paths: &[PathBuf]) -> Result<Option<MatchedFleet>, CliError> {
    let Some(pipeline) = &planned.pipeline else {
        return Ok(None);
    };
    if paths.is_empty() {
        return Ok(None);
    }
    let match_context = MatchContext {
        server_host: planned.server_host.clone(),
        ..MatchContext::from(&planned.context)
    };
    let sources = &mut planned.loaded.resolution.sources;
    runners::load_fleet(paths, pipeline, &match_context, sources)
        .map(Some)
        .map_err(CliError::Message)
}

/// Writes the diagnostics of the runner and durations files, and of `--play`, to standard
/// error, with a count line for `label` when there is any.
fn report_files_to_stderr(
    loaded: &Loaded,
    diagnostics: &Diagnostics,
    label: &str,
    color: ColorChoice,
) -> Result<(), CliError> {
    write_to_stderr(loaded, diagnostics, label, color)
}

fn plan(args: &PlanArgs) -> Result<Status, CliError> {
    if args.rule_traces && args.format != PlanFormat::Json {
        return Err(CliError::Message(
            "--rule-traces: only `--format json` shows rule traces; `glplan explain JOB` \
             shows them for one job"
                .to_owned(),
        ));
    }
    let options = PlanOptions {
        rule_traces: args.rule_traces,
        ..PlanOptions::default()
    };
    let mut planned = evaluate(&args.common, &args.context, options)?;
    let fleet = load_fleet(&mut planned, &args.runners)?;
    let mut status = planned.status();
    if fleet.as_ref().is_some_and(|f| f.diagnostics.has_errors()) {
        status = Status::Invalid;
    }
    let written = report_plan_to_stderr(&planned, args.common.color).and_then(|()| {
        if let Some(fleet) = &fleet {
            report_files_to_stderr(
                &planned.loaded,
                &fleet.diagnostics,
                "runner and durations files",
                args.common.color,
            )?;
        }
        let Some(pipeline) = &planned.pipeline else {
            return Ok(());
        };
        let display = |name: &str| planned.loaded.display_name(name);
        let mut out = io::stdout().lock();
        match args.format {
            PlanFormat::Table => {
                let cell = |job: &glplan::pipeline::PlannedJob| {
                    fleet
                        .as_ref()
                        .map(|f| runners::runners_cell(job, f))
                        .unwrap_or_default()
                };
                let cell: Option<table::RunnersCell<'_>> = fleet.as_ref().map(|_| &cell as _);
                let text =
                    table::pipeline_table_with_runners(pipeline, &planned.header(), &display, cell);
                out.write_all(text.as_bytes())?;
            }
            PlanFormat::Json => {
                let mut value = pipeline_json(pipeline, &planned.loaded)?;
                if let Some(fleet) = &fleet {
                    glplan::report::add_runners(&mut value, fleet).map_err(|e| {
                        CliError::Message(format!("cannot convert the runners to JSON: {e}"))
                    })?;
                    add_file_diagnostics(&mut value, &planned.loaded, &fleet.diagnostics);
                }
                write_json(&mut out, &value)?;
            }
            PlanFormat::Dot => out.write_all(graph::dot(pipeline).as_bytes())?,
            PlanFormat::Mermaid => out.write_all(graph::mermaid(pipeline).as_bytes())?,
        }
        out.flush()?;
        Ok(())
    });
    finish(written, status)
}

/// The pipeline as JSON, with the configuration's diagnostics added to the pipeline's and
/// every file name as the user can open it from the current directory.
fn pipeline_json(pipeline: &Pipeline, loaded: &Loaded) -> Result<serde_json::Value, CliError> {
    let mut value = glplan::report::pipeline(pipeline, &loaded.resolution)
        .map_err(|e| CliError::Message(format!("cannot convert the pipeline to JSON: {e}")))?;
    rename_files(&mut value, &|name| loaded.display_name(name));
    Ok(value)
}

/// Rewrites the `file` of every source location (an object with `file`, `line` and
/// `column`) with `display`.
fn rename_files(value: &mut serde_json::Value, display: &dyn Fn(&str) -> String) {
    match value {
        serde_json::Value::Object(object) => {
            let is_location = object.contains_key("line") && object.contains_key("column");
            if is_location && let Some(serde_json::Value::String(file)) = object.get_mut("file") {
                *file = display(file);
            }
            for child in object.values_mut() {
                rename_files(child, display);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                rename_files(item, display);
            }
        }
        _ => {}
    }
}

fn explain(args: &ExplainArgs) -> Result<Status, CliError> {
    if args.rule_traces {
        return Err(CliError::Message(
            "--rule-traces: `glplan explain` always shows the rule traces; the option is for \
             `glplan plan --format json`"
                .to_owned(),
        ));
    }
    let options = PlanOptions {
        predefined_variables: args.predefined,
        rule_traces: true,
        ..PlanOptions::default()
    };
    let planned = evaluate(&args.common, &args.context, options)?;
    if let Err(error) = report_plan_to_stderr(&planned, args.common.color) {
        return finish(Err(error), planned.status());
    }
    let Some(pipeline) = &planned.pipeline else {
        return Ok(Status::Invalid);
    };
    let display = |name: &str| planned.loaded.display_name(name);
    let path: Vec<&str> = args
        .triggers
        .iter()
        .map(String::as_str)
        .chain([args.job.as_str()])
        .collect();
    let found = if args.triggers.is_empty() {
        explain::find_nested(pipeline, &args.job)
    } else {
        glplan::report::find_path(pipeline, &path)
    };
    let Some(found) = found else {
        let message = if args.triggers.is_empty() {
            glplan::report::job_not_found(pipeline, &args.job)
        } else {
            glplan::report::path_not_found(pipeline, &path)
        };
        let _ = writeln!(io::stderr(), "error: {}", terminal::escape(&message));
        return Ok(Status::Invalid);
    };
    let namesakes = glplan::report::nested_job_names(pipeline)
        .iter()
        .filter(|name| **name == args.job)
        .count();
    if args.triggers.is_empty() && namesakes > 1 {
        let chosen = match found.trigger() {
            Some(trigger) => format!("the child pipeline of trigger job `{trigger}`"),
            None => "the top pipeline".to_owned(),
        };
        let message = format!(
            "warning: {namesakes} jobs are named `{}`, because job names may contain `/`; \
             this is the one of {chosen}. Name the trigger jobs with `--in` to explain the \
             others",
            args.job
        );
        let _ = writeln!(io::stderr(), "{}", terminal::escape(&message));
    }
    let status = planned.status();
    let written = (|| -> Result<(), CliError> {
        let mut out = io::stdout().lock();
        match args.format {
            ExplainFormat::Text => {
                let mut header = planned.header();
                if let Some(trigger) = found.trigger() {
                    let line = if !found.pipeline.created {
                        format!("child pipeline: of trigger job `{trigger}`, not created\n")
                    } else if found.manual_triggers.is_empty() {
                        format!("child pipeline: created by trigger job `{trigger}`\n")
                    } else if found.manual_triggers == [trigger.as_str()] {
                        format!(
                            "child pipeline: created by manual trigger job `{trigger}` once it \
                             is played\n"
                        )
                    } else {
                        format!(
                            "child pipeline: created by trigger job `{trigger}` once {} played\n",
                            manual_list(&found.manual_triggers)
                        )
                    };
                    header.push_str(&line);
                }
                let text = explain::text(&found, &header, &display);
                out.write_all(text.as_bytes())?;
            }
            ExplainFormat::Json => {
                let mut value = explain::json(&found).map_err(|e| {
                    CliError::Message(format!("cannot convert the job to JSON: {e}"))
                })?;
                rename_files(&mut value, &display);
                write_json(&mut out, &value)?;
            }
        }
        out.flush()?;
        Ok(())
    })();
    finish(written, status)
}

/// Lists the manual trigger jobs of a child pipeline's path for the `explain` header, as in
/// "manual trigger job `deploy` is" or "manual trigger jobs `a` and `a/b` are".
fn manual_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => format!("manual trigger job {last} is"),
        Some((last, rest)) => format!("manual trigger jobs {} and {last} are", rest.join(", ")),
        None => String::new(),
    }
}

fn schedule(args: &ScheduleArgs) -> Result<Status, CliError> {
    let mut planned = evaluate(&args.common, &args.context, PlanOptions::default())?;
    let mut status = planned.status();
    if let Err(error) = report_plan_to_stderr(&planned, args.common.color) {
        return finish(Err(error), status);
    }
    let Some(pipeline) = planned.pipeline.clone().filter(|pipeline| pipeline.created) else {
        match planned.pipeline.as_ref().map(|pipeline| &pipeline.skipped) {
            Some(Some(marker)) => {
                let _ = writeln!(
                    io::stderr(),
                    "error: GitLab skips this pipeline, because the commit message contains {}, \
                     so there is nothing to simulate",
                    code_span(marker)
                );
            }
            Some(None) => {
                let _ = writeln!(
                    io::stderr(),
                    "error: GitLab would not create this pipeline, so there is nothing to \
                     simulate"
                );
            }
            None => {}
        }
        if args.format == ScheduleFormat::Json {
            let value = not_created_json(&planned)?;
            let written = write_json(&mut io::stdout().lock(), &value);
            return finish(written, Status::Invalid);
        }
        return Ok(Status::Invalid);
    };
    for (option, names) in [("--play", &args.play), ("--fail", &args.fail)] {
        if let Some(name) = unknown_jobs(&pipeline, names).first() {
            return Err(CliError::Message(format!(
                "{option}: job {} is not in the pipeline",
                name.quoted()
            )));
        }
    }
    if let Some((name, reason)) = created_failed_jobs(&pipeline, &args.play).first() {
        return Err(CliError::Message(format!(
            "--play: job {} cannot be played, because GitLab creates it as failed \
             (`{reason}`)",
            name.quoted()
        )));
    }

    let fleet = load_fleet(&mut planned, &args.runners)?;
    let mut diagnostics = Diagnostics::new();
    if let Some(fleet) = &fleet {
        diagnostics.extend(fleet.diagnostics.iter().cloned());
    }
    diagnostics.extend(name_collisions(&pipeline));
    diagnostics.extend(not_manual_play_warnings(&pipeline, &args.play, "--play"));
    let durations = match &args.durations {
        Some(path) => {
            let sources = &mut planned.loaded.resolution.sources;
            runners::load_durations(path, sources, &mut diagnostics).map_err(CliError::Message)?
        }
        None => Durations::default(),
    };
    diagnostics.extend(ignored_trigger_durations(&pipeline, &durations));
    diagnostics.extend(unused_durations(&pipeline, &durations));

    let pool = match &fleet {
        Some(fleet) => RunnerPool::from_fleet(&fleet.fleet, &fleet.matching),
        None => RunnerPool::unlimited(&pipeline),
    };
    let options = ScheduleOptions {
        play: args.play.clone(),
        fail: args.fail.clone(),
    };
    let schedule = simulate(&pipeline, &pool, &durations, &options);
    for (names, choice, option) in [
        (&args.play, Choice::Play, "--play"),
        (&args.fail, Choice::Fail, "--fail"),
    ] {
        diagnostics.extend(unreached_choice_warnings(
            &pipeline, &schedule, names, choice, option,
        ));
    }
    if diagnostics.has_errors() {
        status = Status::Invalid;
    }
    if let Err(error) = report_files_to_stderr(
        &planned.loaded,
        &diagnostics,
        "runner and durations files, --play and --fail",
        args.common.color,
    ) {
        return finish(Err(error), status);
    }
    let written = (|| -> Result<(), CliError> {
        let mut out = io::stdout().lock();
        match args.format {
            ScheduleFormat::Table => {
                let text = schedule_out::schedule_table(&schedule, &planned.header());
                out.write_all(text.as_bytes())?;
            }
            ScheduleFormat::Json => {
                let value = schedule_json(&schedule, &pipeline, &planned.loaded, &diagnostics)?;
                write_json(&mut out, &value)?;
            }
            ScheduleFormat::Mermaid => out.write_all(schedule_out::gantt(&schedule).as_bytes())?,
        }
        out.flush()?;
        Ok(())
    })();
    finish(written, status)
}

/// Returns the schedule as JSON, with a `diagnostics` array in the form `plan --format json` uses:
/// the configuration's, the pipeline's, its child pipelines' (with `trigger_jobs`), then those
/// of the runner and durations files.
fn schedule_json(
    schedule: &glplan::schedule::Schedule,
    pipeline: &Pipeline,
    loaded: &Loaded,
    files: &Diagnostics,
) -> Result<serde_json::Value, CliError> {
    let convert = |e: serde_json::Error| {
        CliError::Message(format!("cannot convert the schedule to JSON: {e}"))
    };
    let mut value = serde_json::to_value(schedule).map_err(convert)?;
    let mut planned = pipeline_json(pipeline, loaded)?;
    let mut diagnostics = planned
        .get_mut("diagnostics")
        .map(serde_json::Value::take)
        .unwrap_or_else(|| serde_json::Value::Array(Vec::new()));
    // `plan` keeps a child pipeline's diagnostics in its trigger job, which the schedule does
    // not show, so they follow the pipeline's here, each with its `trigger_jobs`.
    let children = Children::collect(&loaded.resolution.sources, Some(pipeline));
    if let serde_json::Value::Array(entries) = &mut diagnostics {
        for mut entry in children.plan_entries() {
            rename_files(&mut entry, &|name| loaded.display_name(name));
            entries.push(entry);
        }
    }
    if let Some(object) = value.as_object_mut() {
        object.insert("diagnostics".into(), diagnostics);
    }
    add_file_diagnostics(&mut value, loaded, files);
    Ok(value)
}

/// Returns the JSON output of `schedule` for a pipeline that GitLab would not create:
/// `{"schedule": null, "diagnostics": [...]}`, with the diagnostics `plan --format json`
/// gives (the configuration's, then the pipeline's).
fn not_created_json(planned: &Planned) -> Result<serde_json::Value, CliError> {
    let diagnostics = match &planned.pipeline {
        Some(pipeline) => pipeline_json(pipeline, &planned.loaded)?
            .get_mut("diagnostics")
            .map(serde_json::Value::take)
            .unwrap_or_else(|| serde_json::Value::Array(Vec::new())),
        None => {
            let resolution = &planned.loaded.resolution;
            let mut entries =
                glplan::report::plan_diagnostics(&resolution.diagnostics, &resolution.sources);
            for entry in &mut entries {
                rename_files(entry, &|name| planned.loaded.display_name(name));
            }
            serde_json::Value::Array(entries)
        }
    };
    Ok(serde_json::json!({"schedule": null, "diagnostics": diagnostics}))
}

/// Appends the diagnostics of the runner and durations files to the `diagnostics` array of
/// a JSON output, with file names as the user can open them.
fn add_file_diagnostics(value: &mut serde_json::Value, loaded: &Loaded, files: &Diagnostics) {
    let mut added = glplan::report::plan_diagnostics(files, &loaded.resolution.sources);
    for entry in &mut added {
        rename_files(entry, &|name| loaded.display_name(name));
    }
    if let Some(serde_json::Value::Array(diagnostics)) = value.get_mut("diagnostics") {
        diagnostics.extend(added);
    }
}

fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), CliError> {
    // Standard output flushes at every line break, and pretty JSON puts each member on a line
    // of its own. Unbuffered, a large pipeline took one system call per member.
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| {
        if e.io_error_kind() == Some(io::ErrorKind::BrokenPipe) {
            CliError::BrokenPipe
        } else {
            CliError::Message(format!("cannot write output: {e}"))
        }
    })?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_list_names_each_job() {
        let names =
            |list: &[&str]| manual_list(&list.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>());
        assert_eq!(names(&["a"]), "manual trigger job `a` is");
        assert_eq!(
            names(&["a", "a/b"]),
            "manual trigger jobs `a` and `a/b` are"
        );
        assert_eq!(
            names(&["a", "a/b", "a/b/c"]),
            "manual trigger jobs `a`, `a/b` and `a/b/c` are"
        );
    }

    #[test]
    fn last_wins_keeps_first_order() {
        let pairs = [
            ("B".to_owned(), "1".to_owned()),
            ("A".to_owned(), "2".to_owned()),
            ("B".to_owned(), "3".to_owned()),
        ];
        assert_eq!(
            last_wins(&pairs),
            [
                ("B".to_owned(), "3".to_owned()),
                ("A".to_owned(), "2".to_owned())
            ]
        );
    }

    #[test]
    fn color_choice() {
        assert!(use_color(ColorChoice::Always, false));
        assert!(!use_color(ColorChoice::Never, true));
        assert!(!use_color(ColorChoice::Auto, false));
    }

    #[test]
    fn empty_input_is_empty_string() {
        assert_eq!(input_value("n", "").unwrap().as_str(), Some(""));
    }

    #[test]
    fn blank_input_values_keep_their_value() {
        assert_eq!(
            input_value("n", "false").unwrap().value,
            glplan::yaml::Value::Bool(false)
        );
        assert_eq!(input_value("n", "' '").unwrap().as_str(), Some(" "));
        assert!(
            input_value("n", "[]")
                .unwrap()
                .as_seq()
                .is_some_and(|s| s.is_empty())
        );
        assert!(input_value("n", "~").unwrap().is_null());
    }
}
