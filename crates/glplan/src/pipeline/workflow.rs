//! `workflow:`: whether the pipeline is created, the variables the matched rule adds to every
//! job, the pipeline name and the auto-cancel settings.

use compact_str::CompactString;

use crate::config::Config;
use crate::config::keywords::workflow::{
    AutoCancel as AutoCancelKeyword, OnJobFailure, OnNewCommit,
};
use crate::context::PipelineContext;
use crate::limits::Limits;
use crate::rules::{self, PipelineFacts};
use crate::variables::{GlobalVariables, YamlVariable, pipeline_name, workflow_variables};

use super::output::{AutoCancel, NameValue, WorkflowResult};
use super::trace::{TraceContext, mark_withheld_reads, withheld_variables};

/// The outcome of `workflow:` and the YAML variables every job starts from.
#[derive(Debug)]
pub(super) struct Workflow {
    pub(super) result: WorkflowResult,
    /// Top-level `variables:` and the matched workflow rule's `variables:`.
    pub(super) globals: GlobalVariables,
    /// The pipeline name (`CI_PIPELINE_NAME`), unmasked.
    pub(super) name: Option<String>,
}

/// Evaluates `workflow:rules`, then names the pipeline from `workflow:name`.
pub(super) fn evaluate(
    config: &Config,
    context: &PipelineContext,
    facts: &PipelineFacts<'_>,
    limits: &Limits,
    traces: TraceContext<'_>,
) -> Workflow {
    let workflow = config.workflow.as_ref();
    let global = YamlVariable::from_config_map(&config.variables);

    // `workflow:rules:if` sees the predefined, settings and pipeline variables and the
    // top-level YAML variables.
    let variables = workflow_variables(context, &global);
    let rules = workflow.and_then(|workflow| workflow.rules.as_deref());
    let decision = rules::evaluate_workflow(rules, facts, &variables, limits);

    let rule_variables = decision
        .variables
        .as_ref()
        .map(YamlVariable::from_plain_map)
        .unwrap_or_default();
    let globals = GlobalVariables {
        variables: global,
        workflow_rules: rule_variables,
    };

    // `workflow:name` is expanded with the same variables plus the matched rule's.
    let name = match workflow.and_then(|workflow| workflow.name.as_deref()) {
        Some(template) if decision.created => pipeline_name(context, &globals, template),
        _ => None,
    };

    let written = workflow.and_then(|workflow| workflow.auto_cancel.as_ref());
    let auto_cancel = auto_cancel(written, decision.auto_cancel.as_ref());

    // `workflow:rules` see only the settings variables of environment scope `*`.
    let mut rules = traces.rules(&decision.trace);
    mark_withheld_reads(&mut rules, [], &withheld_variables(context, None));
    let result = WorkflowResult {
        created: decision.created,
        reason: traces.masker.mask_owned(decision.to_string()),
        name: name.as_deref().map(|name| traces.masker.mask_compact(name)),
        rule: decision.rule,
        rules,
        variables: globals
            .workflow_rules
            .iter()
            .map(|variable| NameValue {
                name: CompactString::from(&variable.name),
                value: traces.masker.mask_compact(&variable.value),
            })
            .collect(),
        auto_cancel,
    };
    Workflow {
        result,
        globals,
        name,
    }
}

/// `workflow:auto_cancel`, each setting overridden by the matched rule's when it sets one.
fn auto_cancel(
    written: Option<&AutoCancelKeyword>,
    rule: Option<&AutoCancelKeyword>,
) -> AutoCancel {
    let on_new_commit = rule
        .and_then(|a| a.on_new_commit)
        .or_else(|| written.and_then(|a| a.on_new_commit))
        .unwrap_or(OnNewCommit::Conservative);
    let on_job_failure = rule
        .and_then(|a| a.on_job_failure)
        .or_else(|| written.and_then(|a| a.on_job_failure))
        .unwrap_or(OnJobFailure::None);
    AutoCancel {
        on_new_commit: CompactString::const_new(match on_new_commit {
            OnNewCommit::Conservative => "conservative",
            OnNewCommit::Interruptible => "interruptible",
            OnNewCommit::None => "none",
        }),
        on_job_failure: CompactString::const_new(match on_job_failure {
            OnJobFailure::None => "none",
            OnJobFailure::All => "all",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyword(
        on_new_commit: Option<OnNewCommit>,
        on_job_failure: Option<OnJobFailure>,
    ) -> AutoCancelKeyword {
        AutoCancelKeyword {
            on_new_commit,
            on_job_failure,
        }
    }

    #[test]
    fn auto_cancel_defaults() {
        let settings = auto_cancel(None, None);
        assert_eq!(settings.on_new_commit, "conservative");
        assert_eq!(settings.on_job_failure, "none");
    }

    #[test]
    fn auto_cancel_rule_overrides() {
        let written = keyword(Some(OnNewCommit::Interruptible), Some(OnJobFailure::All));
        let rule = keyword(Some(OnNewCommit::None), None);
        let settings = auto_cancel(Some(&written), Some(&rule));
        assert_eq!(settings.on_new_commit, "none");
        assert_eq!(settings.on_job_failure, "all");
    }
}
