//! The pipeline to plan as a user describes it: the context options of `glplan plan` and
//! `glplan explain`, and the `context` object of the wasm package.
//!
//! [`ContextOptions::build`] turns the few facts a user gives (source, ref, merge request
//! branches, variables, changed files) into a full [`PipelineContext`], with the defaults that
//! go together for each kind of pipeline. The callers read files and word errors in their own
//! terms: the CLI names its flags, the wasm package its object fields.

use serde::Deserialize;

use super::{
    MergeRequest, MergeRequestEventType, PipelineContext, PipelineSource, SettingsVariable,
};

/// The user's description of the pipeline to plan. Every field is optional; with none, the
/// pipeline is a push to the default branch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContextOptions {
    /// `CI_PIPELINE_SOURCE`. Default `push`, or `merge_request_event` when a merge request
    /// field is set.
    pub source: Option<PipelineSource>,
    /// The branch or tag (`CI_COMMIT_REF_NAME`). Default: the default branch.
    pub ref_name: Option<String>,
    /// Whether [`ContextOptions::ref_name`] is a tag.
    pub tag: bool,
    /// `CI_DEFAULT_BRANCH`. Default `main`. A push to it counts as a push to a protected
    /// branch.
    pub default_branch: Option<String>,
    /// The merge request's source branch. Default: [`ContextOptions::ref_name`].
    pub mr_source: Option<String>,
    /// The merge request's target branch. Default: the default branch.
    pub mr_target: Option<String>,
    /// The merge request's labels (`CI_MERGE_REQUEST_LABELS`).
    pub mr_labels: Vec<String>,
    /// `CI_MERGE_REQUEST_EVENT_TYPE`. Default `detached`.
    pub mr_event_type: Option<MergeRequestEventType>,
    /// Pipeline variables, as **Run pipeline** or the API would set them. A later entry with
    /// the same key replaces an earlier one.
    pub variables: Vec<SettingsVariable>,
    /// Project CI/CD variables, below pipeline variables in precedence. A later entry with the
    /// same key replaces an earlier one.
    pub project_variables: Vec<SettingsVariable>,
    /// Names of pipeline or project variables whose values are shown as `[MASKED]`.
    pub masked: Vec<String>,
    /// The files the push or merge request changed. `None` means there is no diff, so every
    /// `changes` clause holds, as in GitLab's pipelines for a new branch, a tag, a schedule or
    /// a manual run.
    pub changed: Option<Vec<String>>,
    /// The commit message, whose first line is `CI_COMMIT_TITLE`.
    pub title: Option<String>,
}

/// Why [`ContextOptions::build`] rejected the options. Callers word the message with their
/// own names for the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextError {
    /// A merge request field was set together with a source other than
    /// `merge_request_event` or `parent_pipeline`.
    SourceNotMergeRequest {
        /// The source that was given.
        source: PipelineSource,
    },
    /// A merge request pipeline was asked for without its source branch.
    MissingMergeRequestSource,
    /// The ref and the merge request's source branch were both given and differ.
    RefNotMergeRequestSource {
        /// The ref that was given.
        ref_name: String,
        /// The merge request source branch that was given.
        mr_source: String,
    },
    /// A variable to mask is neither a pipeline nor a project variable.
    MaskedVariableNotSet {
        /// The name to mask.
        name: String,
    },
    /// A ref, branch, label, changed path or masked name is the empty string, which no
    /// GitLab pipeline has.
    EmptyValue {
        /// The [`ContextOptions`] field: `ref_name`, `default_branch`, `mr_source`,
        /// `mr_target`, `mr_labels`, `changed` or `masked`.
        field: &'static str,
    },
}

impl ContextOptions {
    /// Returns whether a merge request field was set.
    pub fn is_merge_request(&self) -> bool {
        self.mr_source.is_some()
            || self.mr_target.is_some()
            || !self.mr_labels.is_empty()
            || self.mr_event_type.is_some()
    }

    fn default_branch(&self) -> &str {
        self.default_branch
            .as_deref()
            .unwrap_or(super::DEFAULT_BRANCH)
    }

    /// Builds the pipeline context the options describe.
    pub fn build(&self) -> Result<PipelineContext, ContextError> {
        if let Some(field) = self.empty_field() {
            return Err(ContextError::EmptyValue { field });
        }
        let merge_request =
            self.is_merge_request() || self.source == Some(PipelineSource::MergeRequestEvent);
        // `parent_pipeline` with a merge request is the child of a merge request pipeline,
        // which keeps its parent's merge request.
        if let Some(source) = self.source
            && merge_request
            && !matches!(
                source,
                PipelineSource::MergeRequestEvent | PipelineSource::ParentPipeline
            )
        {
            return Err(ContextError::SourceNotMergeRequest { source });
        }

        let mut context = if merge_request {
            let mut context = self.merge_request_context()?;
            if self.source == Some(PipelineSource::ParentPipeline) {
                context.source = PipelineSource::ParentPipeline;
            }
            context
        } else {
            self.ref_context()
        };

        if let Some(message) = &self.title {
            context.commit.message = message.clone();
        }
        context.changed_files = self.changed.as_ref().map(|files| {
            files
                .iter()
                .map(|path| super::normalize_changed_path(path))
                .collect()
        });

        let mut pipeline_variables = Vec::new();
        for variable in &self.variables {
            set_variable(&mut pipeline_variables, variable.clone());
        }
        let mut project_variables = Vec::new();
        for variable in &self.project_variables {
            set_variable(&mut project_variables, variable.clone());
        }
        for name in &self.masked {
            let mut found = false;
            for variable in pipeline_variables.iter_mut().chain(&mut project_variables) {
                if &variable.key == name {
                    variable.masked = true;
                    found = true;
                }
            }
            if !found {
                return Err(ContextError::MaskedVariableNotSet { name: name.clone() });
            }
        }
        context.pipeline_variables = pipeline_variables;
        context.project_variables = project_variables;
        Ok(context)
    }

    /// Returns the first field that is an empty string or contains one.
    fn empty_field(&self) -> Option<&'static str> {
        let single = [
            ("ref_name", &self.ref_name),
            ("default_branch", &self.default_branch),
            ("mr_source", &self.mr_source),
            ("mr_target", &self.mr_target),
        ];
        if let Some((field, _)) = single
            .into_iter()
            .find(|(_, value)| value.as_deref() == Some(""))
        {
            return Some(field);
        }
        let lists = [
            ("mr_labels", self.mr_labels.as_slice()),
            ("changed", self.changed.as_deref().unwrap_or_default()),
            ("masked", self.masked.as_slice()),
        ];
        lists
            .into_iter()
            .find(|(_, values)| values.iter().any(String::is_empty))
            .map(|(field, _)| field)
    }

    /// A branch or tag pipeline of any source other than `merge_request_event`.
    fn ref_context(&self) -> PipelineContext {
        let default_branch = self.default_branch();
        let ref_name = self
            .ref_name
            .clone()
            .unwrap_or_else(|| default_branch.to_owned());
        let mut context = if self.tag {
            PipelineContext::tag(ref_name)
        } else {
            let protected = ref_name == default_branch;
            PipelineContext {
                ref_protected: protected,
                ..PipelineContext::push(ref_name)
            }
        };
        context.default_branch = default_branch.to_owned();
        context.source = self.source.unwrap_or(PipelineSource::Push);
        if context.source == PipelineSource::Schedule {
            // GitLab defines `CI_PIPELINE_SCHEDULE_DESCRIPTION` in every scheduled pipeline.
            context.pipeline.schedule_description = Some("Scheduled pipeline".to_owned());
        }
        context
    }

    fn merge_request_context(&self) -> Result<PipelineContext, ContextError> {
        let source_branch = match (&self.mr_source, &self.ref_name) {
            (Some(source), Some(ref_name)) if source != ref_name => {
                return Err(ContextError::RefNotMergeRequestSource {
                    ref_name: ref_name.clone(),
                    mr_source: source.clone(),
                });
            }
            (Some(source), _) | (None, Some(source)) => source.clone(),
            (None, None) => return Err(ContextError::MissingMergeRequestSource),
        };
        let default_branch = self.default_branch();
        let target_branch = self
            .mr_target
            .clone()
            .unwrap_or_else(|| default_branch.to_owned());
        let mut context = PipelineContext::merge_request(&source_branch, &target_branch);
        context.default_branch = default_branch.to_owned();
        if let Some(merge_request) = &mut context.merge_request {
            merge_request.labels = self.mr_labels.clone();
            merge_request.event_type = self.mr_event_type.unwrap_or_default();
            merge_request.target_branch_protected = target_branch == default_branch;
            if merge_request.event_type != MergeRequestEventType::Detached {
                set_merged_result_shas(merge_request);
            }
        }
        Ok(context)
    }
}

/// GitLab sets the head commits of both branches only in merged results and merge train
/// pipelines.
fn set_merged_result_shas(merge_request: &mut MergeRequest) {
    merge_request.source_branch_sha = Some("6c1b2a3d4e5f60718293a4b5c6d7e8f901234567".to_owned());
    merge_request.target_branch_sha = Some("7d2c3b4a5f6e70819203b4c5d6e7f8a012345678".to_owned());
}

/// Replaces the variable of the same name, or appends a new one.
pub fn set_variable(variables: &mut Vec<SettingsVariable>, variable: SettingsVariable) {
    match variables.iter_mut().find(|v| v.key == variable.key) {
        Some(existing) => *existing = variable,
        None => variables.push(variable),
    }
}

/// GitLab accepts variable keys of letters, digits and underscores only.
pub fn is_variable_name(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The object form of a variable in a JSON object of variables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonVariable {
    value: String,
    #[serde(default)]
    masked: bool,
    #[serde(default)]
    raw: bool,
    #[serde(default)]
    file: bool,
}

/// Reads variables from a JSON object. A value is a string, a number or a boolean (used as
/// written), or an object with `value` and the optional flags `masked`, `raw` and `file`.
pub fn variables_from_json(
    object: serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<SettingsVariable>, String> {
    let mut variables = Vec::new();
    for (key, value) in object {
        if !is_variable_name(&key) {
            return Err(format!(
                "`{key}` is not a valid variable name (letters, digits and `_` only)"
            ));
        }
        let variable = match value {
            serde_json::Value::String(text) => SettingsVariable::new(&key, text),
            serde_json::Value::Number(number) => SettingsVariable::new(&key, number.to_string()),
            serde_json::Value::Bool(flag) => SettingsVariable::new(&key, flag.to_string()),
            serde_json::Value::Object(_) => {
                let parsed: JsonVariable = serde_json::from_value(value)
                    .map_err(|error| format!("variable `{key}`: {error}"))?;
                SettingsVariable {
                    masked: parsed.masked,
                    raw: parsed.raw,
                    file: parsed.file,
                    ..SettingsVariable::new(&key, parsed.value)
                }
            }
            serde_json::Value::Null | serde_json::Value::Array(_) => {
                return Err(format!(
                    "variable `{key}`: expected a string or an object with `value`"
                ));
            }
        };
        variables.push(variable);
    }
    Ok(variables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_push_to_main() {
        let context = ContextOptions::default().build().unwrap();
        assert_eq!(context.source, PipelineSource::Push);
        assert_eq!(context.branch(), Some("main"));
        assert!(context.protected_ref());
    }

    #[test]
    fn changed_paths_relative_to_root() {
        let options = ContextOptions {
            changed: Some(vec!["./src/a.rs".to_owned(), "/b.rs".to_owned()]),
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert_eq!(
            context.changed_files,
            Some(vec!["src/a.rs".to_owned(), "b.rs".to_owned()])
        );
    }

    #[test]
    fn empty_values_rejected() {
        let cases = [
            (
                ContextOptions {
                    ref_name: Some(String::new()),
                    ..ContextOptions::default()
                },
                "ref_name",
            ),
            (
                ContextOptions {
                    default_branch: Some(String::new()),
                    ..ContextOptions::default()
                },
                "default_branch",
            ),
            (
                ContextOptions {
                    mr_source: Some(String::new()),
                    ..ContextOptions::default()
                },
                "mr_source",
            ),
            (
                ContextOptions {
                    mr_source: Some("feature".to_owned()),
                    mr_target: Some(String::new()),
                    ..ContextOptions::default()
                },
                "mr_target",
            ),
            (
                ContextOptions {
                    mr_source: Some("feature".to_owned()),
                    mr_labels: vec!["backend".to_owned(), String::new()],
                    ..ContextOptions::default()
                },
                "mr_labels",
            ),
            (
                ContextOptions {
                    changed: Some(vec![String::new()]),
                    ..ContextOptions::default()
                },
                "changed",
            ),
            (
                ContextOptions {
                    masked: vec![String::new()],
                    ..ContextOptions::default()
                },
                "masked",
            ),
        ];
        for (options, field) in cases {
            assert_eq!(options.build(), Err(ContextError::EmptyValue { field }));
        }
    }

    #[test]
    fn merge_request_needs_source_branch() {
        let options = ContextOptions {
            mr_target: Some("main".to_owned()),
            ..ContextOptions::default()
        };
        assert_eq!(
            options.build(),
            Err(ContextError::MissingMergeRequestSource)
        );
    }

    #[test]
    fn merge_request_child_context() {
        let options = ContextOptions {
            source: Some(PipelineSource::ParentPipeline),
            mr_source: Some("feature".to_owned()),
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert_eq!(context.source, PipelineSource::ParentPipeline);
        assert!(context.merge_request_pipeline().is_some());
        assert_eq!(context.ref_name, "feature");
    }

    #[test]
    fn merge_request_rejects_other_source() {
        let options = ContextOptions {
            source: Some(PipelineSource::Web),
            mr_source: Some("feature".to_owned()),
            ..ContextOptions::default()
        };
        assert_eq!(
            options.build(),
            Err(ContextError::SourceNotMergeRequest {
                source: PipelineSource::Web
            })
        );
    }

    #[test]
    fn later_variable_wins() {
        let options = ContextOptions {
            variables: vec![
                SettingsVariable::new("A", "1"),
                SettingsVariable::new("A", "2"),
            ],
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert_eq!(
            context.pipeline_variables,
            [SettingsVariable::new("A", "2")]
        );
    }

    #[test]
    fn json_variable_object_form() {
        let object = serde_json::json!({"A": {"value": "x", "masked": true}, "B": 3});
        let variables = variables_from_json(object.as_object().unwrap().clone()).unwrap();
        assert!(variables[0].masked);
        assert_eq!(variables[1].value, "3");
    }

    #[test]
    fn json_variable_rejects_bad_name() {
        let object = serde_json::json!({"A-B": "x"});
        assert!(variables_from_json(object.as_object().unwrap().clone()).is_err());
    }
}
