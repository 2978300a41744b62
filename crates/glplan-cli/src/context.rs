//! Building the [`PipelineContext`] of `plan` and `explain` from the context options, and the
//! one-line description of it that heads their output.

use std::collections::HashSet;
use std::path::Path;

use glplan::context::{
    ContextError, ContextOptions, ContextWarning, GroupVariablesOption, PipelineContext,
    PipelineSource, Project, SettingsVariable, is_variable_name, set_variable,
};
use glplan::diagnostic::code_span;
use glplan::pipeline::Masker;

use crate::args::{ContextArgs, invalid_server_host};
use crate::text_file::read_text;

/// Builds the pipeline context the options describe. `cli_vars` are the `--var` pairs, which
/// override the variables of `--var-file`. Errors are usage or file errors, shown as
/// `error: <message>` with exit status 2.
pub fn build(args: &ContextArgs, cli_vars: &[(String, String)]) -> Result<PipelineContext, String> {
    let mut variables = match &args.var_file {
        Some(path) => read_var_file(path)?,
        None => Vec::new(),
    };
    variables.extend(
        cli_vars
            .iter()
            .map(|(key, value)| SettingsVariable::new(key, value)),
    );
    check_flagged_names(args, &variables)?;
    let variables = variables
        .into_iter()
        .map(|variable| with_flags(args, variable, false))
        .collect();
    let options = ContextOptions {
        source: args.source,
        ref_name: args.ref_name.clone(),
        tag: args.tag,
        default_branch: args.default_branch.clone(),
        protected_ref: args.protected_ref,
        project_path: args.project_path.clone(),
        mr_source: args.mr_source.clone(),
        mr_target: args.mr_target.clone(),
        mr_labels: args.mr_labels.clone(),
        mr_event_type: args.mr_event_type,
        mr_title: args.mr_title.clone(),
        variables,
        instance_variables: instance_variables(args),
        group_variables: group_variables(args),
        project_variables: project_variables(args),
        masked: args.masked.clone(),
        changed: changed_files(args)?,
        title: args.title.clone(),
        server_host: args.server_host.clone(),
    };
    let context = options.build().map_err(error_message)?;
    // NOTE: newer GitLab releases can protect a merge request pipeline whose source and
    // target branches are both protected (the project setting
    // `protect_merge_request_pipelines`). glplan keeps the older rule, under which no merge
    // request pipeline is protected.
    if args.protected_ref == Some(true) && context.merge_request_pipeline().is_some() {
        return Err(
            "--protected-ref true: a merge request pipeline runs on the merge request's own \
             ref, which glplan treats as unprotected, so protected variables never reach it; drop \
             --protected-ref, or plan a branch pipeline without --source merge_request_event and the --mr-* options"
                .to_owned(),
        );
    }
    Ok(context)
}

/// Checks that every name of `--protect`, `--raw` and `--file-var` is set at a level the
/// option applies to. `pipeline_variables` are those of `--var-file` and `--var`, which
/// GitLab cannot protect.
fn check_flagged_names(
    args: &ContextArgs,
    pipeline_variables: &[SettingsVariable],
) -> Result<(), String> {
    let settings_keys: HashSet<&str> = args
        .instance_vars
        .iter()
        .map(|(key, _)| key.as_str())
        .chain(args.group_vars.iter().map(|arg| arg.key.as_str()))
        .chain(args.project_vars.iter().map(|arg| arg.key.as_str()))
        .collect();
    let is_pipeline_variable = |name: &str| {
        pipeline_variables
            .iter()
            .any(|variable| variable.key == name)
    };

    for name in &args.protected {
        if settings_keys.contains(name.as_str()) {
            continue;
        }
        if is_pipeline_variable(name) {
            return Err(format!(
                "--protect {name}: `{name}` is set only by --var or --var-file, and GitLab's \
                 pipeline variables cannot be protected; set it with --instance-var, \
                 --group-var or --project-var to protect it"
            ));
        }
        return Err(format!(
            "--protect {name}: no variable `{name}` is set by --instance-var, --group-var or \
             --project-var"
        ));
    }
    for (option, names) in [("--raw", &args.raw), ("--file-var", &args.file_vars)] {
        let unset = names
            .iter()
            .find(|name| !settings_keys.contains(name.as_str()) && !is_pipeline_variable(name));
        if let Some(name) = unset {
            return Err(format!(
                "{option} {name}: no variable `{name}` is set by --instance-var, --group-var, \
                 --project-var, --var or --var-file"
            ));
        }
    }
    Ok(())
}

/// Applies `--raw` and `--file-var` to `variable`, and `--protect` too when it is a settings
/// variable (instance, group or project).
fn with_flags(
    args: &ContextArgs,
    mut variable: SettingsVariable,
    settings_level: bool,
) -> SettingsVariable {
    let named = |names: &[String]| names.contains(&variable.key);
    variable.protected |= settings_level && named(&args.protected);
    variable.raw |= named(&args.raw);
    variable.file |= named(&args.file_vars);
    variable
}

/// Returns the warnings about likely mistakes in the context options, worded with the names of
/// the options: branches and tags given as full Git ref names such as `refs/heads/main`. The
/// values of `context`'s masked variables are hidden in them, as in the header of the output.
pub fn warnings(args: &ContextArgs, context: &PipelineContext) -> Vec<String> {
    let options = ContextOptions {
        ref_name: args.ref_name.clone(),
        default_branch: args.default_branch.clone(),
        mr_source: args.mr_source.clone(),
        mr_target: args.mr_target.clone(),
        ..ContextOptions::default()
    };
    let masker = Masker::new(context);
    options
        .warnings()
        .iter()
        .map(|warning| masker.mask(&warning_message(warning)).into_owned())
        .collect()
}

fn warning_message(warning: &ContextWarning) -> String {
    match warning {
        ContextWarning::FullRefName {
            field,
            name,
            prefix,
        } => {
            let option = option_name(field);
            let mut message = format!(
                "{option} {name}: GitLab names branches and tags without the `{prefix}` prefix, \
                 so this plans a pipeline for a ref named `{name}`"
            );
            if let Some(short) = warning.short_name() {
                message.push_str(&format!("; for `{short}`, pass {option} {short}"));
            }
            message
        }
    }
}

fn instance_variables(args: &ContextArgs) -> Vec<SettingsVariable> {
    args.instance_vars
        .iter()
        .map(|(key, value)| with_flags(args, SettingsVariable::new(key, value), true))
        .collect()
}

fn project_variables(args: &ContextArgs) -> Vec<SettingsVariable> {
    args.project_vars
        .iter()
        .map(|arg| {
            let variable = SettingsVariable {
                environment_scope: arg.environment_scope.clone(),
                ..SettingsVariable::new(&arg.key, &arg.value)
            };
            with_flags(args, variable, true)
        })
        .collect()
}

/// Gives each `--group-var` its own entry; the core merges the entries of a group.
fn group_variables(args: &ContextArgs) -> Vec<GroupVariablesOption> {
    args.group_vars
        .iter()
        .map(|arg| {
            let variable = SettingsVariable {
                environment_scope: arg.environment_scope.clone(),
                ..SettingsVariable::new(&arg.key, &arg.value)
            };
            GroupVariablesOption {
                path: arg.group.clone(),
                variables: vec![with_flags(args, variable, true)],
            }
        })
        .collect()
}

/// Words a [`ContextError`] with the names of the options.
fn error_message(error: ContextError) -> String {
    match error {
        ContextError::SourceNotMergeRequest { source } => format!(
            "--source {} cannot be combined with the --mr-* options, which describe a \
             merge_request_event pipeline or, with --source parent_pipeline, its child",
            source.as_str()
        ),
        ContextError::SameMergeRequestBranches {
            branch,
            source_field,
            target_given,
        } => {
            let (source, fix) = match source_field {
                Some("ref_name") => ("--ref", "--ref"),
                Some(_) => ("--mr-source", "--mr-source"),
                None => (
                    "the default branch, as neither --mr-source nor --ref is given",
                    "--mr-source",
                ),
            };
            let target = if target_given {
                "--mr-target"
            } else {
                "the default branch, as --mr-target is not given"
            };
            format!(
                "the merge request's source branch ({source}) and target branch ({target}) are \
                 both `{branch}`, and GitLab rejects a merge request from a branch into itself; \
                 pass another branch with {fix} or --mr-target"
            )
        }
        ContextError::InvalidRefName {
            field,
            name,
            reason,
        } => {
            let kind = if field == "ref_name" {
                "branch or tag"
            } else {
                "branch"
            };
            format!(
                "{} `{name}` is not a valid Git {kind} name, because {reason} (see `git help \
                 check-ref-format`)",
                option_name(field)
            )
        }
        ContextError::RefNotMergeRequestSource {
            ref_name,
            mr_source,
        } => format!(
            "--ref {ref_name} and --mr-source {mr_source} differ; a merge request pipeline \
             runs for the merge request's source branch, so pass only --mr-source"
        ),
        ContextError::MaskedVariableNotSet { name } => format!(
            "--mask {name}: no variable `{name}` is set by --instance-var, --group-var, \
             --project-var, --var or --var-file"
        ),
        // The index counts the option's values in the order given. For --changed, the
        // --changed values come before the lines of --changed-from.
        ContextError::EmptyValue {
            field,
            index: Some(index),
        } => format!(
            "{} #{}: the value must not be empty",
            option_name(field),
            index + 1
        ),
        ContextError::EmptyValue { field, index: None } => {
            format!("{}: the value must not be empty", option_name(field))
        }
        ContextError::InvalidProjectPath { path } => format!(
            "--project-path {path}: expected the project's full path, NAMESPACE/NAME such as \
             `my-group/my-project`, with letters, digits, `_`, `-` and `.` between the `/`"
        ),
        ContextError::InvalidServerHost { host } => {
            format!("--server-host: {}", invalid_server_host(&host))
        }
        ContextError::GroupNotAncestor {
            group,
            project_path,
        } => format!(
            "--group-var: group `{group}` does not contain project \
             `{project_path}`; name the project's namespace or one of its ancestors, and pass \
             the project's full path with --project-path"
        ),
        ContextError::UnmaskableValue {
            field,
            group,
            key,
            masked_by_name,
            reason,
        } => {
            let variable = match (field, &group) {
                (_, Some(group)) => format!("--group-var variable `{key}` of group `{group}`"),
                ("variables", None) => format!("--var or --var-file variable `{key}`"),
                (field, None) => format!("{} variable `{key}`", option_name(field)),
            };
            let mut fixes = vec!["change the value".to_owned()];
            if reason.raw_accepts {
                fixes.push(format!("make it raw with --raw {key}"));
            }
            if masked_by_name {
                fixes.push(format!("drop --mask {key}"));
            } else {
                fixes.push("set `\"masked\": false` in the --var-file".to_owned());
            }
            format!(
                "{variable} cannot be masked: {reason}. GitLab rejects such a masked variable; \
                 {}",
                join_alternatives(&fixes)
            )
        }
    }
}

/// Joins the fixes of a message as "a, b or c".
fn join_alternatives(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Returns the option that sets a field of [`ContextOptions`].
fn option_name(field: &str) -> &str {
    match field {
        "ref_name" => "--ref",
        "mr_labels" => "--mr-label",
        "masked" => "--mask",
        "project_path" => "--project-path",
        "instance_variables" => "--instance-var",
        "group_variables" => "--group-var",
        "project_variables" => "--project-var",
        "variables" => "--var",
        "changed" => "--changed",
        "default_branch" => "--default-branch",
        "mr_source" => "--mr-source",
        "mr_title" => "--mr-title",
        "mr_target" => "--mr-target",
        other => other,
    }
}

fn changed_files(args: &ContextArgs) -> Result<Option<Vec<String>>, String> {
    if args.changed.is_empty() && args.changed_from.is_none() {
        return Ok(None);
    }
    let mut files = args.changed.clone();
    if let Some(path) = &args.changed_from {
        let text = read_text(path, "--changed-from")?;
        files.extend(
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned),
        );
    }
    Ok(Some(files))
}

/// Reads a `--var-file`: a JSON object when its first non-blank character is `{`, `KEY=VALUE`
/// lines otherwise. Other JSON, such as an array, is an error rather than a line to read as
/// `KEY=VALUE`.
fn read_var_file(path: &Path) -> Result<Vec<SettingsVariable>, String> {
    let text = read_text(path, "--var-file")?;
    let shown = path.display().to_string();
    let result = if text.trim_start().starts_with('{') {
        parse_json_variables(&text)
    } else if let Some(found) = json_other_than_object(&text) {
        Err(format!(
            "a JSON var file must be an object of variables, such as {{\"KEY\": \"value\"}}, \
             but the file contains {found}"
        ))
    } else {
        parse_dotenv(&text)
    };
    result.map_err(|message| format!("--var-file `{shown}`: {message}"))
}

/// Returns the kind of JSON value `text` is, such as `an array`, when it is JSON but not an
/// object. Text that starts with `[` counts as an array even when it is not valid JSON, because
/// a variable name cannot contain `[`.
fn json_other_than_object(text: &str) -> Option<&'static str> {
    if text.trim_start().starts_with('[') {
        return Some("an array");
    }
    match serde_json::from_str::<serde_json::Value>(text).ok()? {
        serde_json::Value::Object(_) => None,
        serde_json::Value::Array(_) => Some("an array"),
        serde_json::Value::String(_) => Some("a string"),
        serde_json::Value::Number(_) => Some("a number"),
        serde_json::Value::Bool(_) => Some("a boolean"),
        serde_json::Value::Null => Some("null"),
    }
}

/// Parses `KEY=VALUE` lines. A value wrapped in one pair of matching single or double quotes
/// loses them; nothing else is unescaped.
pub fn parse_dotenv(text: &str) -> Result<Vec<SettingsVariable>, String> {
    let mut variables = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!(
                "line {}: expected KEY=VALUE, found `{line}`",
                index + 1
            ));
        };
        let key = key.trim();
        if !is_variable_name(key) {
            return Err(format!(
                "line {}: {} is not a valid variable name (letters, digits and `_` only)",
                index + 1,
                code_span(key)
            ));
        }
        set_variable(
            &mut variables,
            SettingsVariable::new(key, unquote(value.trim())),
        );
    }
    Ok(variables)
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

/// Parses a JSON object of variables. A value is a string, or an object with a string `value`
/// and the optional boolean flags `masked`, `raw` and `file`. Values must be strings, as
/// `value` is in GitLab's API for pipeline variables, so a number or boolean is rejected in
/// both forms rather than converted. A key that appears twice is an error, because JSON
/// parsers disagree on which value wins. Every error names its line and column.
pub fn parse_json_variables(text: &str) -> Result<Vec<SettingsVariable>, String> {
    serde_json::from_str::<VarFile>(text)
        .map(|file| file.0)
        .map_err(|error| {
            let error = error.to_string();
            let error = glplan::diagnostic::quote_serde_unknown_name(&error);
            format!("invalid variables: {error}")
        })
}

/// The variables of a `--var-file` JSON object, in file order.
struct VarFile(Vec<SettingsVariable>);

/// The object form of a variable.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct VarFileObject {
    value: String,
    #[serde(default)]
    masked: bool,
    #[serde(default)]
    raw: bool,
    #[serde(default)]
    file: bool,
}

/// One variable's value in either form. Deserializing it inside [`VarFile`] lets
/// `serde_json` add the line and column to every error.
struct VarFileValue(VarFileObject);

impl<'de> serde::Deserialize<'de> for VarFile {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(VarFileVisitor)
    }
}

struct VarFileVisitor;

impl<'de> serde::de::Visitor<'de> for VarFileVisitor {
    type Value = VarFile;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON object of variables")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<VarFile, A::Error> {
        let mut variables = Vec::new();
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !is_variable_name(&key) {
                return Err(serde::de::Error::custom(format!(
                    "{} is not a valid variable name (letters, digits and `_` only)",
                    code_span(&key)
                )));
            }
            if !keys.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "duplicate variable `{key}`"
                )));
            }
            let VarFileValue(object) = map.next_value()?;
            variables.push(SettingsVariable {
                masked: object.masked,
                raw: object.raw,
                file: object.file,
                ..SettingsVariable::new(&key, object.value)
            });
        }
        Ok(VarFile(variables))
    }
}

impl<'de> serde::Deserialize<'de> for VarFileValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(VarFileValueVisitor)
    }
}

struct VarFileValueVisitor;

impl<'de> serde::de::Visitor<'de> for VarFileValueVisitor {
    type Value = VarFileValue;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .write_str("a string or an object with a string `value` (quote numbers and booleans)")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<VarFileValue, E> {
        Ok(VarFileValue(VarFileObject {
            value: text.to_owned(),
            masked: false,
            raw: false,
            file: false,
        }))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<VarFileValue, A::Error> {
        let deserializer = serde::de::value::MapAccessDeserializer::new(map);
        serde::Deserialize::deserialize(deserializer).map(VarFileValue)
    }
}

/// Describes the pipeline in the header lines of `plan` and `explain`: `pipeline:` with the
/// source and ref, `project:` when the project path is not the default one, `variables:` with
/// the number of CI/CD variables of each level when there are any, then `changes:` with the
/// diff `changes` clauses compare with.
pub fn describe(context: &PipelineContext, defaulted: bool) -> String {
    let source = context.source.as_str();
    let mut pipeline = match context.merge_request_pipeline() {
        Some(merge_request) => {
            let mut text = format!(
                "{source}, {} merge request from {} into {}",
                merge_request.event_type.as_str(),
                merge_request.source_branch,
                merge_request.target_branch,
            );
            if !merge_request.labels.is_empty() {
                text.push_str(&format!(" with labels {}", merge_request.labels.join(", ")));
            }
            text
        }
        None if context.tag => format!("{source} of tag {}", context.ref_name),
        None if context.source == PipelineSource::Push => {
            format!("push to branch {}", context.ref_name)
        }
        None => format!("{source} for branch {}", context.ref_name),
    };
    let default_branch = context.branch() == Some(context.default_branch.as_str());
    // Without --protected-ref, only the default branch is protected, and a merge request
    // pipeline never is.
    let protection =
        if context.merge_request_pipeline().is_some() || context.ref_protected == default_branch {
            None
        } else if context.ref_protected {
            Some("protected by --protected-ref")
        } else {
            Some("unprotected by --protected-ref")
        };
    match (default_branch, protection, defaulted) {
        (true, None, true) => pipeline.push_str(" (the default branch; no context options given)"),
        (true, None, false) => pipeline.push_str(" (the default branch)"),
        (true, Some(protection), _) => {
            pipeline.push_str(&format!(" (the default branch, {protection})"));
        }
        (false, Some(protection), _) => pipeline.push_str(&format!(" ({protection})")),
        (false, None, _) => {}
    }
    // GitLab compares `changes` only in branch push, merge request and external pull request
    // pipelines. Elsewhere the changed files given are not used, and the header says so.
    let changes = match (context.diff(), &context.changed_files) {
        (Some([_]), _) => "1 changed file".to_owned(),
        (Some(files), _) => format!("{} changed files", files.len()),
        (None, None) => "no diff, so every `changes` clause holds".to_owned(),
        (None, Some(_)) => "this pipeline has no diff, so every `changes` clause holds and the \
                            changed files given are not compared"
            .to_owned(),
    };
    let mut header = format!("pipeline: {pipeline}\n");
    if context.project.path != Project::default().path {
        header.push_str(&format!("project: {}\n", context.project.path));
    }
    if let Some(variables) = describe_variables(context) {
        header.push_str(&format!("variables: {variables}\n"));
    }
    header.push_str(&format!("changes: {changes}\n"));
    // The ref, the merge request's branches and labels and the project path can contain a
    // masked value.
    Masker::new(context).mask(&header).into_owned()
}

/// Counts the CI/CD variables of each level, lowest precedence first, and names the masked
/// ones, such as `1 instance, 3 group (2 groups), 2 schedule; masked: TOKEN`.
fn describe_variables(context: &PipelineContext) -> Option<String> {
    let group_count: usize = context
        .group_variables
        .iter()
        .map(|group| group.variables.len())
        .sum();
    let groups = match context.group_variables.len() {
        0 | 1 => "group".to_owned(),
        count => format!("group ({count} groups)"),
    };
    let levels = [
        (context.instance_variables.len(), "instance".to_owned()),
        (group_count, groups),
        (context.project_variables.len(), "project".to_owned()),
        (context.pipeline_variables.len(), "pipeline".to_owned()),
        (context.schedule_variables.len(), "schedule".to_owned()),
    ];
    let counts: Vec<String> = levels
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, level)| format!("{count} {level}"))
        .collect();
    if counts.is_empty() {
        return None;
    }
    let mut masked: Vec<&str> = context
        .instance_variables
        .iter()
        .chain(context.group_variables.iter().flat_map(|g| &g.variables))
        .chain(&context.project_variables)
        .chain(&context.pipeline_variables)
        .chain(&context.schedule_variables)
        .filter(|variable| variable.masked)
        .map(|variable| variable.key.as_str())
        .collect();
    masked.sort_unstable();
    masked.dedup();
    let mut protected: Vec<&str> = context
        .instance_variables
        .iter()
        .chain(context.group_variables.iter().flat_map(|g| &g.variables))
        .chain(&context.project_variables)
        .filter(|variable| variable.protected)
        .map(|variable| variable.key.as_str())
        .collect();
    protected.sort_unstable();
    protected.dedup();
    let mut text = counts.join(", ");
    if !masked.is_empty() {
        text.push_str(&format!("; masked: {}", masked.join(", ")));
    }
    if !protected.is_empty() {
        text.push_str(&format!("; protected: {}", protected.join(", ")));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::args::{GroupVariableArg, ScopedVariableArg};

    fn args() -> ContextArgs {
        ContextArgs::default()
    }

    fn project_var(key: &str, value: &str) -> ScopedVariableArg {
        ScopedVariableArg {
            key: key.to_owned(),
            environment_scope: "*".to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn default_is_push_to_default_branch() {
        let context = build(&args(), &[]).unwrap();
        assert_eq!(context.source, PipelineSource::Push);
        assert_eq!(context.branch(), Some("main"));
        assert!(context.protected_ref());
        assert_eq!(context.changed_files, None);
    }

    #[test]
    fn default_branch_option_moves_default_ref() {
        let mut args = args();
        args.default_branch = Some("trunk".to_owned());
        let context = build(&args, &[]).unwrap();
        assert_eq!(context.branch(), Some("trunk"));
        assert_eq!(context.default_branch, "trunk");
        assert!(context.protected_ref());
    }

    #[test]
    fn server_host_sets_fqdn() {
        let mut args = args();
        args.server_host = Some("gitlab.internal:8443".to_owned());
        let context = build(&args, &[]).unwrap();
        assert_eq!(context.server.fqdn(), "gitlab.internal:8443");
        assert_eq!(context.server.host(), "gitlab.internal");
        let default = build(&self::args(), &[]).unwrap();
        assert_eq!(default.server.fqdn(), "gitlab.example.com");
    }

    #[test]
    fn other_branch_is_unprotected() {
        let mut args = args();
        args.ref_name = Some("feat".to_owned());
        let context = build(&args, &[]).unwrap();
        assert!(!context.protected_ref());
    }

    #[test]
    fn tag_sets_tag_name() {
        let mut args = args();
        args.ref_name = Some("v1.0".to_owned());
        args.tag = true;
        let context = build(&args, &[]).unwrap();
        assert_eq!(context.tag_name(), Some("v1.0"));
        assert_eq!(context.branch(), None);
    }

    #[test]
    fn empty_list_value_named_by_position() {
        let mut args = args();
        args.mr_source = Some("feat".to_owned());
        args.mr_labels = vec!["backend".to_owned(), String::new()];
        assert_eq!(
            build(&args, &[]).unwrap_err(),
            "--mr-label #2: the value must not be empty"
        );
        let mut args = self::args();
        args.ref_name = Some(String::new());
        assert_eq!(
            build(&args, &[]).unwrap_err(),
            "--ref: the value must not be empty"
        );
    }

    #[test]
    fn mr_option_implies_merge_request_event() {
        let mut args = args();
        args.mr_source = Some("feat".to_owned());
        args.mr_labels = vec!["backend".to_owned()];
        let context = build(&args, &[]).unwrap();
        assert_eq!(context.source, PipelineSource::MergeRequestEvent);
        let merge_request = context.merge_request_pipeline().unwrap();
        assert_eq!(merge_request.source_branch, "feat");
        assert_eq!(merge_request.target_branch, "main");
        assert_eq!(merge_request.labels, ["backend"]);
    }

    #[test]
    fn mr_option_with_parent_pipeline_source() {
        let mut args = args();
        args.mr_source = Some("feat".to_owned());
        args.source = Some(PipelineSource::ParentPipeline);
        let context = build(&args, &[]).unwrap();
        assert_eq!(context.source, PipelineSource::ParentPipeline);
        let merge_request = context.merge_request_pipeline().unwrap();
        assert_eq!(merge_request.source_branch, "feat");
        assert_eq!(context.branch(), None);
    }

    #[test]
    fn mr_source_defaults_to_ref() {
        let mut args = args();
        args.source = Some(PipelineSource::MergeRequestEvent);
        args.ref_name = Some("feat".to_owned());
        let context = build(&args, &[]).unwrap();
        assert_eq!(context.commit_ref_name(), "feat");
    }

    #[test]
    fn mr_source_defaults_to_default_branch() {
        let mut args = args();
        args.mr_target = Some("release".to_owned());
        let context = build(&args, &[]).unwrap();
        let merge_request = context.merge_request_pipeline().unwrap();
        assert_eq!(merge_request.source_branch, "main");
        assert_eq!(merge_request.target_branch, "release");
    }

    #[test]
    fn mr_same_branches_rejected() {
        let cases = [
            (
                Some("main"),
                None,
                Some("main"),
                "the merge request's source branch (--mr-source) and target branch \
                 (--mr-target) are both `main`, and GitLab rejects a merge request from a branch \
                 into itself; pass another branch with --mr-source or --mr-target",
            ),
            (
                None,
                Some("main"),
                None,
                "the merge request's source branch (--ref) and target branch (the default \
                 branch, as --mr-target is not given) are both `main`, and GitLab rejects a \
                 merge request from a branch into itself; pass another branch with --ref or \
                 --mr-target",
            ),
            (
                None,
                None,
                None,
                "the merge request's source branch (the default branch, as neither --mr-source \
                 nor --ref is given) and target branch (the default branch, as --mr-target is \
                 not given) are both `main`, and GitLab rejects a merge request from a branch \
                 into itself; pass another branch with --mr-source or --mr-target",
            ),
        ];
        for (source, ref_name, target, expected) in cases {
            let mut args = args();
            args.mr_source = source.map(str::to_owned);
            args.ref_name = ref_name.map(str::to_owned);
            args.mr_target = target.map(str::to_owned);
            args.mr_labels = vec!["backend".to_owned()];
            assert_eq!(build(&args, &[]).unwrap_err(), expected);
        }
    }

    #[test]
    fn invalid_ref_names_rejected() {
        let mut args = args();
        args.ref_name = Some("a..b".to_owned());
        assert_eq!(
            build(&args, &[]).unwrap_err(),
            "--ref `a..b` is not a valid Git branch or tag name, because it contains `..` (see \
             `git help check-ref-format`)"
        );
        let mut args = self::args();
        args.mr_target = Some("rel ease".to_owned());
        assert_eq!(
            build(&args, &[]).unwrap_err(),
            "--mr-target `rel ease` is not a valid Git branch name, because it contains a space \
             (see `git help check-ref-format`)"
        );
    }

    #[test]
    fn full_ref_names_warned() {
        let mut args = args();
        args.ref_name = Some("refs/heads/main".to_owned());
        args.mr_target = Some("refs/pull/1".to_owned());
        let context = build(&args, &[]).unwrap();
        assert_eq!(
            warnings(&args, &context),
            [
                "--ref refs/heads/main: GitLab names branches and tags without the `refs/heads/` \
                 prefix, so this plans a pipeline for a ref named `refs/heads/main`; for `main`, \
                 pass --ref main",
                "--mr-target refs/pull/1: GitLab names branches and tags without the `refs/` \
                 prefix, so this plans a pipeline for a ref named `refs/pull/1`",
            ]
        );
        let plain = self::args();
        assert!(warnings(&plain, &build(&plain, &[]).unwrap()).is_empty());
    }

    #[test]
    fn full_ref_name_warning_masks_values() {
        let mut args = args();
        args.ref_name = Some("refs/heads/feat-Abcdefgh12".to_owned());
        args.project_vars = vec![project_var("TICKET", "Abcdefgh12")];
        args.masked = vec!["TICKET".to_owned()];
        let context = build(&args, &[]).unwrap();
        let warnings = warnings(&args, &context);
        assert_eq!(warnings.len(), 1);
        assert!(!warnings[0].contains("Abcdefgh12"), "{}", warnings[0]);
        assert!(
            warnings[0].contains("refs/heads/feat-[MASKED]"),
            "{}",
            warnings[0]
        );
    }

    #[test]
    fn mr_with_other_source_rejected() {
        let mut args = args();
        args.mr_source = Some("feat".to_owned());
        args.source = Some(PipelineSource::Push);
        assert!(build(&args, &[]).unwrap_err().contains("--source push"));
    }

    #[test]
    fn mr_ref_mismatch_rejected() {
        let mut args = args();
        args.mr_source = Some("feat".to_owned());
        args.ref_name = Some("other".to_owned());
        assert!(build(&args, &[]).is_err());
    }

    #[test]
    fn group_path_case_ignored() {
        let mut args = args();
        args.project_path = Some("Acme/app".to_owned());
        args.group_vars = vec![GroupVariableArg {
            group: Some("acme".to_owned()),
            key: "A".to_owned(),
            environment_scope: "*".to_owned(),
            value: "1".to_owned(),
        }];
        let context = build(&args, &[]).unwrap();
        assert_eq!(context.group_variables.len(), 1);
        assert_eq!(context.group_variables[0].path, "acme");
    }

    #[test]
    fn schedule_has_description() {
        let mut args = args();
        args.source = Some(PipelineSource::Schedule);
        let context = build(&args, &[]).unwrap();
        assert!(context.pipeline.schedule_description.is_some());
    }

    #[test]
    fn cli_var_overrides_var_file_value() {
        let dir = std::env::temp_dir().join(format!("glplan-varfile-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("vars.env");
        fs::write(&file, "A=file\nB=file\n").unwrap();
        let mut args = args();
        args.var_file = Some(file);
        let context = build(&args, &[("B".to_owned(), "cli".to_owned())]).unwrap();
        let _ = fs::remove_dir_all(&dir);
        let values: Vec<(&str, &str)> = context
            .pipeline_variables
            .iter()
            .map(|v| (v.key.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(values, [("A", "file"), ("B", "cli")]);
    }

    #[test]
    fn mask_marks_variable() {
        let mut args = args();
        args.project_vars = vec![project_var("TOKEN", "s3cret-value")];
        args.masked = vec!["TOKEN".to_owned()];
        let context = build(&args, &[]).unwrap();
        assert!(context.project_variables[0].masked);
    }

    #[test]
    fn unmaskable_values_rejected() {
        let mut args = args();
        args.project_path = Some("top/app".to_owned());
        args.instance_vars = vec![("I".to_owned(), "main".to_owned())];
        args.group_vars = vec![GroupVariableArg {
            group: Some("top".to_owned()),
            key: "G".to_owned(),
            environment_scope: "*".to_owned(),
            value: "has space".to_owned(),
        }];
        args.project_vars = vec![project_var("P", "short")];
        let cases = [
            (
                "I",
                Vec::new(),
                "--instance-var variable `I` cannot be masked: a masked variable that is \
                 expanded needs a value of at least 8 characters from `a-z A-Z 0-9 _ + = / @ : . \
                 ~ -`, but the value has 4 characters. GitLab rejects such a masked variable; \
                 change the value or drop --mask I",
            ),
            (
                "G",
                Vec::new(),
                "--group-var variable `G` of group `top` cannot be masked: a masked variable \
                 that is expanded needs a value of at least 8 characters from `a-z A-Z 0-9 _ + \
                 = / @ : . ~ -`, but the value contains a space. GitLab rejects such a masked \
                 variable; change the value or drop --mask G",
            ),
            (
                "P",
                Vec::new(),
                "--project-var variable `P` cannot be masked: a masked variable that is \
                 expanded needs a value of at least 8 characters from `a-z A-Z 0-9 _ + = / @ : . \
                 ~ -`, but the value has 5 characters. GitLab rejects such a masked variable; \
                 change the value or drop --mask P",
            ),
            (
                "V",
                vec![("V".to_owned(), "bang!bang!".to_owned())],
                "--var or --var-file variable `V` cannot be masked: a masked variable that is \
                 expanded needs a value of at least 8 characters from `a-z A-Z 0-9 _ + = / @ : . \
                 ~ -`, but the value contains `!`. GitLab rejects such a masked variable; change \
                 the value, make it raw with --raw V or drop --mask V",
            ),
        ];
        for (name, cli_vars, expected) in cases {
            let mut args = args.clone();
            args.masked = vec![name.to_owned()];
            assert_eq!(build(&args, &cli_vars).unwrap_err(), expected, "{name}");
        }
    }

    #[test]
    fn protect_marks_settings_levels_only() {
        let mut args = args();
        args.instance_vars = vec![("TOKEN".to_owned(), "instance".to_owned())];
        args.group_vars = vec![GroupVariableArg {
            group: None,
            key: "TOKEN".to_owned(),
            environment_scope: "*".to_owned(),
            value: "group".to_owned(),
        }];
        args.project_vars = vec![project_var("TOKEN", "project"), project_var("OTHER", "x")];
        args.protected = vec!["TOKEN".to_owned()];
        let context = build(&args, &[("TOKEN".to_owned(), "pipeline".to_owned())]).unwrap();
        assert!(context.instance_variables[0].protected);
        assert!(context.group_variables[0].variables[0].protected);
        assert!(context.project_variables[0].protected);
        assert!(!context.project_variables[1].protected);
        assert!(!context.pipeline_variables[0].protected);
    }

    #[test]
    fn protect_of_pipeline_variable_rejected() {
        let mut args = args();
        args.protected = vec!["TOKEN".to_owned()];
        assert_eq!(
            build(&args, &[("TOKEN".to_owned(), "x".to_owned())]).unwrap_err(),
            "--protect TOKEN: `TOKEN` is set only by --var or --var-file, and GitLab's pipeline \
             variables cannot be protected; set it with --instance-var, --group-var or \
             --project-var to protect it"
        );
    }

    #[test]
    fn flag_of_unset_name_rejected() {
        let cases = [
            (
                "--protect",
                "--protect NOPE: no variable `NOPE` is set by --instance-var, --group-var or \
                 --project-var",
            ),
            (
                "--raw",
                "--raw NOPE: no variable `NOPE` is set by --instance-var, --group-var, \
                 --project-var, --var or --var-file",
            ),
            (
                "--file-var",
                "--file-var NOPE: no variable `NOPE` is set by --instance-var, --group-var, \
                 --project-var, --var or --var-file",
            ),
        ];
        for (option, expected) in cases {
            let mut args = args();
            args.project_vars = vec![project_var("A", "1")];
            let names = vec!["NOPE".to_owned()];
            match option {
                "--protect" => args.protected = names,
                "--raw" => args.raw = names,
                _ => args.file_vars = names,
            }
            assert_eq!(build(&args, &[]).unwrap_err(), expected, "{option}");
        }
    }

    #[test]
    fn raw_and_file_mark_every_level() {
        let mut args = args();
        args.instance_vars = vec![("R".to_owned(), "$X".to_owned())];
        args.group_vars = vec![GroupVariableArg {
            group: None,
            key: "R".to_owned(),
            environment_scope: "*".to_owned(),
            value: "$X".to_owned(),
        }];
        args.project_vars = vec![project_var("F", "content"), project_var("PLAIN", "$X")];
        args.raw = vec!["R".to_owned()];
        args.file_vars = vec!["F".to_owned(), "V".to_owned()];
        let cli_vars = [
            ("R".to_owned(), "$X".to_owned()),
            ("V".to_owned(), "content".to_owned()),
        ];
        let context = build(&args, &cli_vars).unwrap();
        assert!(context.instance_variables[0].raw);
        assert!(context.group_variables[0].variables[0].raw);
        assert!(context.project_variables[0].file);
        assert!(!context.project_variables[0].raw);
        assert!(!context.project_variables[1].raw);
        assert!(!context.project_variables[1].file);
        assert!(context.pipeline_variables[0].raw);
        assert!(context.pipeline_variables[1].file);
        assert!(!context.pipeline_variables[1].protected);
    }

    #[test]
    fn raw_flag_reaches_var_file_variable() {
        let dir = std::env::temp_dir().join(format!("glplan-raw-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("vars.env");
        fs::write(&file, "A=$B\n").unwrap();
        let mut args = args();
        args.var_file = Some(file);
        args.raw = vec!["A".to_owned()];
        let context = build(&args, &[]);
        let _ = fs::remove_dir_all(&dir);
        assert!(context.unwrap().pipeline_variables[0].raw);
    }

    #[test]
    fn raw_flag_selects_raw_mask_rule() {
        let mut args = args();
        args.project_vars = vec![project_var("TOKEN", "p@ss!word%")];
        args.masked = vec!["TOKEN".to_owned()];
        assert_eq!(
            build(&args, &[]).unwrap_err(),
            "--project-var variable `TOKEN` cannot be masked: a masked variable that is \
             expanded needs a value of at least 8 characters from `a-z A-Z 0-9 _ + = / @ : . ~ \
             -`, but the value contains `!`. GitLab rejects such a masked variable; change the \
             value, make it raw with --raw TOKEN or drop --mask TOKEN"
        );
        args.raw = vec!["TOKEN".to_owned()];
        let context = build(&args, &[]).unwrap();
        assert!(context.project_variables[0].masked);
        assert!(context.project_variables[0].raw);
    }

    #[test]
    fn scoped_variables_keep_each_scope() {
        let scoped = |key: &str, scope: &str, value: &str| ScopedVariableArg {
            environment_scope: scope.to_owned(),
            ..project_var(key, value)
        };
        let mut args = args();
        args.project_path = Some("top/app".to_owned());
        args.project_vars = vec![
            scoped("URL", "*", "default"),
            scoped("URL", "production", "first"),
            scoped("URL", "review/*", "review"),
            scoped("URL", "production", "last"),
        ];
        args.group_vars = vec![
            GroupVariableArg {
                group: Some("top".to_owned()),
                key: "URL".to_owned(),
                environment_scope: "staging".to_owned(),
                value: "group".to_owned(),
            },
            GroupVariableArg {
                group: Some("top".to_owned()),
                key: "URL".to_owned(),
                environment_scope: "*".to_owned(),
                value: "group-default".to_owned(),
            },
        ];
        let context = build(&args, &[]).unwrap();
        let scopes = |variables: &[SettingsVariable]| -> Vec<(String, String)> {
            variables
                .iter()
                .map(|v| (v.environment_scope.clone(), v.value.clone()))
                .collect()
        };
        let owned = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(scope, value)| ((*scope).to_owned(), (*value).to_owned()))
                .collect()
        };
        assert_eq!(
            scopes(&context.project_variables),
            owned(&[
                ("*", "default"),
                ("production", "last"),
                ("review/*", "review")
            ])
        );
        assert_eq!(
            scopes(&context.group_variables[0].variables),
            owned(&[("staging", "group"), ("*", "group-default")])
        );
    }

    #[test]
    fn protected_ref_option_sets_protection() {
        let cases = [
            (None, None, true),
            (None, Some(false), false),
            (Some("release/1"), None, false),
            (Some("release/1"), Some(true), true),
        ];
        for (ref_name, protected_ref, expected) in cases {
            let mut args = args();
            args.ref_name = ref_name.map(str::to_owned);
            args.protected_ref = protected_ref;
            let context = build(&args, &[]).unwrap();
            assert_eq!(
                context.protected_ref(),
                expected,
                "{ref_name:?} {protected_ref:?}"
            );
        }
    }

    #[test]
    fn protected_ref_true_rejected_for_merge_request() {
        let mut args = args();
        args.mr_source = Some("feat".to_owned());
        args.protected_ref = Some(true);
        assert_eq!(
            build(&args, &[]).unwrap_err(),
            "--protected-ref true: a merge request pipeline runs on the merge request's own \
             ref, which glplan treats as unprotected, so protected variables never reach it; drop \
             --protected-ref, or plan a branch pipeline without --source merge_request_event and the --mr-* options"
        );
        args.protected_ref = Some(false);
        assert!(!build(&args, &[]).unwrap().protected_ref());
    }

    #[test]
    fn describe_protected_ref_override() {
        let mut unprotected_main = PipelineContext::push("main");
        unprotected_main.ref_protected = false;
        let mut protected_branch = PipelineContext::push("release/1");
        protected_branch.ref_protected = true;
        let mut protected_tag = PipelineContext::tag("v1");
        protected_tag.ref_protected = true;
        let cases = [
            (
                unprotected_main,
                "pipeline: push to branch main (the default branch, unprotected by \
                 --protected-ref)\n",
            ),
            (
                protected_branch,
                "pipeline: push to branch release/1 (protected by --protected-ref)\n",
            ),
            (
                protected_tag,
                "pipeline: push of tag v1 (protected by --protected-ref)\n",
            ),
        ];
        for (context, expected) in cases {
            let header = describe(&context, false);
            assert!(header.starts_with(expected), "{header}");
        }
    }

    #[test]
    fn describe_names_protected_variables() {
        let mut context = PipelineContext::push("main");
        context.project_variables = vec![
            SettingsVariable {
                protected: true,
                ..SettingsVariable::new("DEPLOY_KEY", "x")
            },
            SettingsVariable::new("PLAIN", "x"),
        ];
        assert_eq!(
            describe(&context, false),
            "pipeline: push to branch main (the default branch)\n\
             variables: 2 project; protected: DEPLOY_KEY\n\
             changes: no diff, so every `changes` clause holds\n"
        );
    }

    #[test]
    fn files_with_bom_read_as_text() {
        let dir = std::env::temp_dir().join(format!("glplan-bom-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let changed = dir.join("changed.txt");
        fs::write(&changed, "\u{feff}docs/index.md\nsrc/main.rs\n").unwrap();
        let json = dir.join("vars.json");
        fs::write(&json, "\u{feff}{\"A\": \"json\"}").unwrap();
        let dotenv = dir.join("vars.env");
        fs::write(&dotenv, "\u{feff}B=dotenv\n").unwrap();

        let mut args = args();
        args.changed_from = Some(changed);
        args.var_file = Some(json);
        let from_json = build(&args, &[]);
        args.var_file = Some(dotenv);
        let from_dotenv = build(&args, &[]);
        let _ = fs::remove_dir_all(&dir);

        let from_json = from_json.unwrap();
        let changed_files = from_json.changed_files.as_deref().unwrap();
        assert_eq!(changed_files, ["docs/index.md", "src/main.rs"]);
        let variable = &from_json.pipeline_variables[0];
        assert_eq!(
            (variable.key.as_str(), variable.value.as_str()),
            ("A", "json")
        );
        let from_dotenv = from_dotenv.unwrap();
        let variable = &from_dotenv.pipeline_variables[0];
        assert_eq!(
            (variable.key.as_str(), variable.value.as_str()),
            ("B", "dotenv")
        );
    }

    #[test]
    fn var_file_masked_flag_checked() {
        let dir = std::env::temp_dir().join(format!("glplan-masked-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("vars.json");
        fs::write(
            &file,
            r#"{"TOKEN": {"value": "two words", "masked": true, "raw": true}}"#,
        )
        .unwrap();
        let mut args = args();
        args.var_file = Some(file);
        let error = build(&args, &[]).unwrap_err();
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(
            error,
            "--var or --var-file variable `TOKEN` cannot be masked: a masked raw variable needs \
             a value of at least 8 characters without whitespace, but the value contains a \
             space. GitLab rejects such a masked variable; change the value or set \
             `\"masked\": false` in the --var-file"
        );
    }

    #[test]
    fn group_variables_follow_project_path() {
        let mut args = args();
        args.project_path = Some("top/sub/app".to_owned());
        args.group_vars = vec![
            GroupVariableArg {
                group: None,
                key: "A".to_owned(),
                environment_scope: "*".to_owned(),
                value: "sub".to_owned(),
            },
            GroupVariableArg {
                group: Some("top".to_owned()),
                key: "A".to_owned(),
                environment_scope: "*".to_owned(),
                value: "top".to_owned(),
            },
        ];
        let context = build(&args, &[]).unwrap();
        let paths: Vec<&str> = context
            .group_variables
            .iter()
            .map(|group| group.path.as_str())
            .collect();
        assert_eq!(paths, ["top", "top/sub"]);
        assert_eq!(context.project.path, "top/sub/app");
    }

    #[test]
    fn group_outside_project_rejected() {
        let mut args = args();
        args.group_vars = vec![GroupVariableArg {
            group: Some("acme".to_owned()),
            key: "A".to_owned(),
            environment_scope: "*".to_owned(),
            value: "1".to_owned(),
        }];
        assert_eq!(
            build(&args, &[]).unwrap_err(),
            "--group-var: group `acme` does not contain project `group/project`; name \
             the project's namespace or one of its ancestors, and pass the project's full path \
             with --project-path"
        );
    }

    #[test]
    fn invalid_project_path_rejected() {
        let mut args = args();
        args.project_path = Some("app".to_owned());
        assert!(
            build(&args, &[])
                .unwrap_err()
                .starts_with("--project-path app: expected the project's full path")
        );
    }

    #[test]
    fn schedule_source_moves_cli_vars() {
        let mut args = args();
        args.source = Some(PipelineSource::Schedule);
        let context = build(&args, &[("A".to_owned(), "1".to_owned())]).unwrap();
        assert_eq!(context.schedule_variables[0].key, "A");
        assert!(context.pipeline_variables.is_empty());
    }

    #[test]
    fn mask_unknown_name_rejected() {
        let mut args = args();
        args.masked = vec!["NOPE".to_owned()];
        assert!(build(&args, &[]).unwrap_err().contains("--mask NOPE"));
    }

    #[test]
    fn changed_files_cases() {
        let mut args = args();
        args.changed = vec!["src/a.rs".to_owned()];
        let context = build(&args, &[]).unwrap();
        assert_eq!(context.changed_files, Some(vec!["src/a.rs".to_owned()]));
    }

    #[test]
    fn dotenv_cases() {
        let text = "# comment\n\nA=1\nexport B = \"two words\"\nC='x=y'\nD=\nA=3\n";
        let variables = parse_dotenv(text).unwrap();
        let pairs: Vec<(&str, &str)> = variables
            .iter()
            .map(|v| (v.key.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [("A", "3"), ("B", "two words"), ("C", "x=y"), ("D", "")]
        );
    }

    #[test]
    fn dotenv_errors_name_line() {
        assert_eq!(
            parse_dotenv("A=1\nnonsense\n").unwrap_err(),
            "line 2: expected KEY=VALUE, found `nonsense`"
        );
        assert!(parse_dotenv("A-B=1\n").unwrap_err().contains("`A-B`"));
        assert_eq!(
            parse_dotenv("A=1\n =2\n").unwrap_err(),
            "line 2: `\"\"` (empty) is not a valid variable name (letters, digits and `_` only)"
        );
        assert!(
            parse_json_variables(r#"{"": "x"}"#)
                .unwrap_err()
                .contains("`\"\"` (empty) is not a valid variable name"),
        );
    }

    #[test]
    fn json_variable_forms() {
        let text = r#"{"A": "x", "S": {"value": "v", "masked": true}}"#;
        let variables = parse_json_variables(text).unwrap();
        assert_eq!(variables.len(), 2);
        assert_eq!(variables[0].key, "A");
        assert_eq!(variables[0].value, "x");
        assert_eq!(variables[1].value, "v");
        assert!(variables[1].masked);
    }

    #[test]
    fn json_duplicate_key_rejected() {
        let cases = [
            r#"{"A": "x", "A": "y"}"#,
            "{\"A\": \"x\",\n \"B\": \"y\",\n \"A\": {\"value\": \"z\"}}",
        ];
        for text in cases {
            let error = parse_json_variables(text).unwrap_err();
            assert!(
                error.contains("duplicate variable `A` at line"),
                "{text}: {error}"
            );
        }
        let error = parse_json_variables(cases[1]).unwrap_err();
        assert!(error.contains("line 3"), "{error}");
    }

    #[test]
    fn var_file_json_other_than_object_rejected() {
        let dir = std::env::temp_dir().join(format!("glplan-varjson-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let cases = [
            ("array.json", "[1]\n", "an array"),
            ("empty-array.json", "  [ ]", "an array"),
            ("broken-array.json", "[\"A=1\"", "an array"),
            ("string.json", "\"A=1\"\n", "a string"),
            ("number.json", "12\n", "a number"),
            ("null.json", "null", "null"),
        ];
        let mut errors = Vec::new();
        for (name, text, _) in cases {
            let file = dir.join(name);
            fs::write(&file, text).unwrap();
            let mut args = args();
            args.var_file = Some(file);
            errors.push(build(&args, &[]).unwrap_err());
        }
        let _ = fs::remove_dir_all(&dir);
        for ((name, _, found), error) in cases.iter().zip(&errors) {
            let path = dir.join(name);
            assert_eq!(
                error,
                &format!(
                    "--var-file `{}`: a JSON var file must be an object of variables, such as \
                     {{\"KEY\": \"value\"}}, but the file contains {found}",
                    path.display()
                )
            );
        }
    }

    #[test]
    fn var_file_empty_is_dotenv() {
        assert_eq!(json_other_than_object(""), None);
        assert_eq!(json_other_than_object("A=1\n"), None);
        assert_eq!(json_other_than_object("{\"A\": \"1\"}"), None);
    }

    #[test]
    fn json_variable_errors() {
        assert!(parse_json_variables("[1]").is_err());
        assert!(parse_json_variables(r#"{"A": null}"#).is_err());
        assert!(parse_json_variables(r#"{"A": {"value": "x", "colour": 1}}"#).is_err());
    }

    #[test]
    fn json_variable_errors_have_positions() {
        let cases = [
            (
                "{\"A\": \"x\",\n \"B\": {\"value\": \"y\",\n  \"maskd\": true}}",
                "unknown field `maskd`",
                "line 3 column 9",
            ),
            (
                "{\n \"B\": 1}",
                "invalid type: integer `1`",
                "line 2 column 7",
            ),
            (
                "{\n \"B\": true}",
                "invalid type: boolean `true`",
                "line 2 column 10",
            ),
            (
                "{\n \"B\": {\"value\": 1}}",
                "invalid type: integer `1`",
                "line 2 column 17",
            ),
            (
                "{\n \"A-B\": \"x\"}",
                "`A-B` is not a valid variable name",
                "line 2",
            ),
            (
                "{\"A\": \"x\",\n \"B\": [1]}",
                "invalid type: sequence",
                "line 2 column 7",
            ),
        ];
        for (text, message, position) in cases {
            let error = parse_json_variables(text).unwrap_err();
            assert!(error.contains(message), "{text}: {error}");
            assert!(error.contains(position), "{text}: {error}");
        }
    }

    #[test]
    fn json_non_string_values_rejected_in_both_forms() {
        for text in [r#"{"B": 1}"#, r#"{"B": {"value": 1}}"#] {
            let error = parse_json_variables(text).unwrap_err();
            assert!(error.contains("expected a string"), "{text}: {error}");
        }
        let error = parse_json_variables(r#"{"B": false}"#).unwrap_err();
        assert!(error.contains("quote numbers and booleans"), "{error}");
    }

    #[test]
    fn describe_cases() {
        let mut schedule = PipelineContext::schedule("nightly");
        schedule.changed_files = Some(vec!["a".to_owned(), "b".to_owned()]);
        let mut tag = PipelineContext::tag("v2");
        tag.changed_files = Some(vec!["a".to_owned()]);
        let mut pushed = PipelineContext::push("feat");
        pushed.changed_files = Some(vec!["a".to_owned()]);
        let mut labelled = PipelineContext::merge_request("feat", "main");
        if let Some(merge_request) = &mut labelled.merge_request {
            merge_request.labels = vec!["backend".to_owned()];
        }
        let cases = [
            (
                PipelineContext::push("main"),
                true,
                "pipeline: push to branch main (the default branch; no context options given)\n\
                 changes: no diff, so every `changes` clause holds\n",
            ),
            (
                PipelineContext::push("feat"),
                false,
                "pipeline: push to branch feat\nchanges: no diff, so every `changes` clause \
                 holds\n",
            ),
            (
                PipelineContext::tag("v1"),
                false,
                "pipeline: push of tag v1\nchanges: no diff, so every `changes` clause holds\n",
            ),
            (
                schedule,
                false,
                "pipeline: schedule for branch nightly\nchanges: this pipeline has no diff, so \
                 every `changes` clause holds and the changed files given are not compared\n",
            ),
            (
                tag,
                false,
                "pipeline: push of tag v2\nchanges: this pipeline has no diff, so every \
                 `changes` clause holds and the changed files given are not compared\n",
            ),
            (
                pushed,
                false,
                "pipeline: push to branch feat\nchanges: 1 changed file\n",
            ),
            (
                labelled,
                false,
                "pipeline: merge_request_event, detached merge request from feat into main \
                 with labels backend\nchanges: no diff, so every `changes` clause holds\n",
            ),
        ];
        for (context, defaulted, expected) in cases {
            assert_eq!(describe(&context, defaulted), expected);
        }
    }

    #[test]
    fn describe_project_and_variables() {
        let mut context = PipelineContext::schedule("main");
        context.project.path = "top/sub/app".to_owned();
        context.instance_variables = vec![SettingsVariable::new("I", "1")];
        context.group_variables = vec![
            glplan::context::GroupVariables {
                path: "top".to_owned(),
                variables: vec![SettingsVariable::new("A", "1")],
            },
            glplan::context::GroupVariables {
                path: "top/sub".to_owned(),
                variables: vec![
                    SettingsVariable::new("A", "2"),
                    SettingsVariable {
                        masked: true,
                        ..SettingsVariable::new("TOKEN", "s3cret-value")
                    },
                ],
            },
        ];
        context.schedule_variables = vec![SettingsVariable {
            masked: true,
            ..SettingsVariable::new("KEY", "s3cret-value")
        }];
        assert_eq!(
            describe(&context, false),
            "pipeline: schedule for branch main (the default branch)\n\
             project: top/sub/app\n\
             variables: 1 instance, 3 group (2 groups), 1 schedule; masked: KEY, TOKEN\n\
             changes: no diff, so every `changes` clause holds\n"
        );

        let mut pushed = PipelineContext::push("main");
        pushed.project_variables = vec![SettingsVariable::new("P", "1")];
        pushed.pipeline_variables = vec![SettingsVariable::new("V", "1")];
        assert_eq!(
            describe(&pushed, false),
            "pipeline: push to branch main (the default branch)\n\
             variables: 1 project, 1 pipeline\n\
             changes: no diff, so every `changes` clause holds\n"
        );
    }

    #[test]
    fn describe_masks_values() {
        let mut context = PipelineContext::merge_request("feat-Abcdefgh12", "main");
        context.project.path = "team-Abcdefgh12/app".to_owned();
        context.pipeline_variables = vec![SettingsVariable {
            masked: true,
            ..SettingsVariable::new("TICKET", "Abcdefgh12")
        }];
        let header = describe(&context, false);
        assert!(!header.contains("Abcdefgh12"), "{header}");
        assert!(
            header.starts_with(
                "pipeline: merge_request_event, detached merge request from feat-[MASKED] into main"
            ),
            "{header}"
        );
        assert!(header.contains("project: team-[MASKED]/app\n"), "{header}");
    }
}
