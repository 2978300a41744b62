//! Rule selection for jobs and for `workflow:rules`, as GitLab's `Build::Rules` does it: the
//! first rule whose clauses all hold decides, and when none does the result is `never`.

use std::fmt;

use serde::Serialize;

use super::PipelineFacts;
use super::clause::{self, ChangesTrace, ClauseTrace};
use super::policy::{self, PolicyTrace};
use crate::config::keywords::duration::Duration;
use crate::config::keywords::needs::Need;
use crate::config::keywords::only_except::OnlyExcept;
use crate::config::keywords::rules::{Rule, RuleClause};
use crate::config::keywords::variables::Variables as RuleVariables;
use crate::config::keywords::when::When;
use crate::config::keywords::workflow::AutoCancel;
use crate::expr::Variables;
use crate::limits::Limits;
use crate::source::Span;

/// GitLab's error when `workflow:rules` drop the pipeline.
pub const FILTERED_OUT_MESSAGE: &str = "Pipeline filtered out by workflow rules.";

/// The evaluation of one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleTrace {
    /// Position of the rule in the flattened list, from 0.
    pub index: usize,
    /// Location of the rule in the configuration.
    #[serde(skip)]
    pub span: Span,
    /// Whether every clause held, so that the rule matched.
    pub matched: bool,
    /// The clauses evaluated, in the order they are written, which is the order GitLab
    /// evaluates them in. Like GitLab, evaluation stops at the first clause that does not
    /// hold, so later clauses are missing. A rule without clauses has none and always matches.
    pub clauses: Vec<ClauseTrace>,
}

impl fmt::Display for RuleTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_with(f, 0, &mut |f, _, clause| clause.fmt(f))
    }
}

/// A writer of one clause's text for [`JobDecision::fmt_with`]. It receives the position of
/// the clause's rule in [`RulesTrace::rules`], the clause's position in that rule, and the
/// clause.
pub(crate) type ClauseWriter<'w> =
    dyn FnMut(&mut fmt::Formatter<'_>, (usize, usize), &ClauseTrace) -> fmt::Result + 'w;

impl RuleTrace {
    /// Writes the rule's text, with `clause` writing each clause. `position` is the rule's
    /// position in its [`RulesTrace`].
    fn fmt_with(
        &self,
        f: &mut fmt::Formatter<'_>,
        position: usize,
        clause: &mut ClauseWriter<'_>,
    ) -> fmt::Result {
        f.write_str("rule ")?;
        fmt::Display::fmt(&(self.index + 1), f)?;
        if self.clauses.is_empty() {
            return f.write_str(": no clause, so it always matches");
        }
        f.write_str(": ")?;
        for (index, item) in self.clauses.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            clause(f, (position, index), item)?;
        }
        Ok(())
    }
}

/// The evaluation of a list of rules.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct RulesTrace {
    /// The rules evaluated, in order, up to the one that matched.
    pub rules: Vec<RuleTrace>,
}

impl RulesTrace {
    /// Returns the rule that matched.
    pub fn matched(&self) -> Option<&RuleTrace> {
        self.rules.iter().find(|rule| rule.matched)
    }

    /// Lists the notes of clauses whose result was assumed because a fact is not available
    /// offline.
    pub fn notes(&self) -> Vec<String> {
        self.rules
            .iter()
            .flat_map(|rule| rule.clauses.iter().filter_map(ClauseTrace::note))
            .collect()
    }

    /// Returns the error that stopped the evaluation, such as `rules:changes:compare_to is not
    /// a valid ref`. GitLab then takes the result as `when: never`.
    pub fn error(&self) -> Option<&'static str> {
        self.failed_changes().and_then(ChangesTrace::error)
    }

    /// Returns the `changes` clause whose error stopped the evaluation. It is the last clause
    /// evaluated, because an error ends the evaluation of the whole rule list.
    pub fn failed_changes(&self) -> Option<&ChangesTrace> {
        match self.rules.last()?.clauses.last()? {
            ClauseTrace::Changes(changes) if changes.error().is_some() => Some(changes),
            ClauseTrace::Changes(_) | ClauseTrace::If(_) | ClauseTrace::Exists(_) => None,
        }
    }
}

impl fmt::Display for RulesTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_joined(f, &self.rules)
    }
}

/// Writes `items` separated by `; `.
pub(super) fn write_joined(f: &mut fmt::Formatter<'_>, items: &[impl fmt::Display]) -> fmt::Result {
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            f.write_str("; ")?;
        }
        item.fmt(f)?;
    }
    Ok(())
}

/// Whether a job is created, with what its matched rule sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobDecision {
    /// The job's effective `when`: the matched rule's, else the job's, else `on_success`.
    /// `never` means the job is not created.
    pub when: When,
    /// Index of the rule that matched, from 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    /// The matched rule's `start_in`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_in: Option<Duration>,
    /// The matched rule's `allow_failure`, which overrides the job's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_failure: Option<bool>,
    /// The matched rule's `variables`, merged over the job's YAML variables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<RuleVariables>,
    /// The matched rule's `needs`, which replace the job's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs: Option<Vec<Need>>,
    /// The matched rule's `interruptible`, which overrides the job's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interruptible: Option<bool>,
    /// The evaluation behind the decision.
    pub trace: JobTrace,
}

/// The keywords that decided whether a job is created.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum JobTrace {
    /// The job's `rules`.
    Rules(RulesTrace),
    /// The job's `only`/`except`, or the implicit `only: [branches, tags]`.
    OnlyExcept(PolicyTrace),
    /// Nothing: the job has no `rules`, `only` or `except`, and the configuration has
    /// `workflow:rules`, so it is always created.
    Unconditional,
}

impl JobDecision {
    /// Returns whether the job is created.
    pub fn is_created(&self) -> bool {
        self.when != When::Never
    }

    /// Returns the error that evaluating the job's `rules` raised. GitLab does not create the
    /// job and fails pipeline creation with `Failed to parse rule for JOB: ERROR`.
    pub fn error(&self) -> Option<&'static str> {
        match &self.trace {
            JobTrace::Rules(trace) => trace.error(),
            JobTrace::OnlyExcept(_) | JobTrace::Unconditional => None,
        }
    }

    /// Lists the notes of clauses whose result was assumed because a fact is not available
    /// offline.
    pub fn notes(&self) -> Vec<String> {
        match &self.trace {
            JobTrace::Rules(trace) => trace.notes(),
            JobTrace::OnlyExcept(trace) => trace.notes(),
            JobTrace::Unconditional => Vec::new(),
        }
    }

    /// Creates a decision that no rule attributes apply to.
    fn without_rule(when: When, trace: JobTrace) -> Self {
        JobDecision {
            when,
            rule: None,
            start_in: None,
            allow_failure: None,
            variables: None,
            needs: None,
            interruptible: None,
            trace,
        }
    }
}

/// Explains the decision in one line, such as `absent because no rule matched: rule 1: if
/// `$X == "y"` is false (X = null)`.
impl fmt::Display for JobDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_with(f, &mut |f, _, clause| clause.fmt(f))
    }
}

impl JobDecision {
    /// Writes the line of [`fmt::Display`], with `clause` writing the text of each clause
    /// shown, so that a caller that has formatted the clauses already can reuse the texts.
    pub(crate) fn fmt_with(
        &self,
        f: &mut fmt::Formatter<'_>,
        clause: &mut ClauseWriter<'_>,
    ) -> fmt::Result {
        match &self.trace {
            JobTrace::Rules(trace) => {
                let matched = trace
                    .rules
                    .iter()
                    .enumerate()
                    .find(|(_, rule)| rule.matched);
                match matched {
                    None => {
                        let reason = if trace.error().is_some() {
                            "evaluating its rules raised an error"
                        } else {
                            "no rule matched"
                        };
                        f.write_str("absent because ")?;
                        f.write_str(reason)?;
                        f.write_str(": ")?;
                        for (position, rule) in trace.rules.iter().enumerate() {
                            if position > 0 {
                                f.write_str("; ")?;
                            }
                            rule.fmt_with(f, position, clause)?;
                        }
                        Ok(())
                    }
                    Some((position, rule)) if self.when == When::Never => {
                        f.write_str("absent because ")?;
                        rule.fmt_with(f, position, clause)?;
                        f.write_str(" and it has `when: never`")
                    }
                    Some((position, rule)) => {
                        f.write_str("created with `when: ")?;
                        f.write_str(self.when.as_str())?;
                        f.write_str("` by ")?;
                        rule.fmt_with(f, position, clause)
                    }
                }
            }
            JobTrace::OnlyExcept(trace) if self.is_created() => write!(f, "created: {trace}"),
            JobTrace::OnlyExcept(trace) => write!(f, "absent: {trace}"),
            JobTrace::Unconditional => f.write_str("created: the job has no rules, only or except"),
        }
    }
}

/// Whether the pipeline is created, with what the matched workflow rule sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowDecision {
    /// Whether the pipeline is created.
    pub created: bool,
    /// Index of the rule that matched, from 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    /// The matched rule's `variables`, merged over the global YAML variables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<RuleVariables>,
    /// The matched rule's `auto_cancel`, which overrides `workflow:auto_cancel`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_cancel: Option<AutoCancel>,
    /// The rules evaluated; empty without `workflow:rules`.
    pub trace: RulesTrace,
}

impl WorkflowDecision {
    /// Returns GitLab's error when the pipeline is not created.
    pub fn error(&self) -> Option<&'static str> {
        (!self.created).then_some(FILTERED_OUT_MESSAGE)
    }
}

impl fmt::Display for WorkflowDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.created, self.trace.matched()) {
            (true, None) => f.write_str("created: there are no workflow:rules"),
            (true, Some(rule)) => write!(f, "created by workflow {rule}"),
            (false, None) if self.trace.error().is_some() => write!(
                f,
                "{FILTERED_OUT_MESSAGE} Evaluating the workflow rules raised an error, which \
                 GitLab takes as `when: never`: {}",
                self.trace
            ),
            (false, None) => write!(
                f,
                "{FILTERED_OUT_MESSAGE} No workflow rule matched: {}",
                self.trace
            ),
            (false, Some(rule)) => write!(
                f,
                "{FILTERED_OUT_MESSAGE} Workflow {rule} and it has `when: never`"
            ),
        }
    }
}

/// Evaluates a job's `rules`. `job_when` is the job-level `when`, which a matched rule without
/// `when` takes (`on_success` when the job has none either).
pub fn evaluate_rules(
    rules: &[Rule],
    job_when: Option<When>,
    facts: &PipelineFacts<'_>,
    variables: &dyn Variables,
    limits: &Limits,
) -> JobDecision {
    let default_when = job_when.unwrap_or(When::OnSuccess);
    let (matched, trace) = select(rules, facts, variables, limits);
    let Some((index, rule)) = matched else {
        return JobDecision::without_rule(When::Never, JobTrace::Rules(trace));
    };
    JobDecision {
        when: rule.when.unwrap_or(default_when),
        rule: Some(index),
        start_in: rule.start_in.clone(),
        allow_failure: rule.allow_failure,
        variables: rule.variables.clone(),
        needs: rule.needs.clone(),
        interruptible: rule.interruptible,
        trace: JobTrace::Rules(trace),
    }
}

/// Evaluates `workflow:rules` (`None` when the configuration has none, which creates the
/// pipeline). `variables` are the ones workflow rules see: predefined, settings and pipeline
/// variables, and the global YAML variables.
pub fn evaluate_workflow(
    rules: Option<&[Rule]>,
    facts: &PipelineFacts<'_>,
    variables: &dyn Variables,
    limits: &Limits,
) -> WorkflowDecision {
    let Some(rules) = rules else {
        return WorkflowDecision {
            created: true,
            rule: None,
            variables: None,
            auto_cancel: None,
            trace: RulesTrace::default(),
        };
    };
    let (matched, trace) = select(rules, facts, variables, limits);
    match matched {
        Some((index, rule)) => WorkflowDecision {
            // `when` defaults to `always` here.
            created: rule.when != Some(When::Never),
            rule: Some(index),
            variables: rule.variables.clone(),
            auto_cancel: rule.auto_cancel.clone(),
            trace,
        },
        None => WorkflowDecision {
            created: false,
            rule: None,
            variables: None,
            auto_cancel: None,
            trace,
        },
    }
}

/// The keywords of a job that decide whether it is created.
#[derive(Debug, Clone, Copy, Default)]
pub struct JobRules<'a> {
    /// `rules:`, flattened.
    pub rules: Option<&'a [Rule]>,
    /// `only:` as written (or with the implicit default already applied).
    pub only: Option<&'a OnlyExcept>,
    /// `except:`.
    pub except: Option<&'a OnlyExcept>,
    /// The job-level `when:`; `None` means `on_success`.
    pub when: Option<When>,
}

/// Decides whether a job is created: by its `rules` when it has them, otherwise by `only` and
/// `except`. A job with neither `rules` nor `only` gets the implicit `only: [branches, tags]`
/// unless `workflow_has_rules`, as in GitLab's job entry. An `except` alone does not prevent
/// that default.
pub fn evaluate_job(
    job: &JobRules<'_>,
    workflow_has_rules: bool,
    facts: &PipelineFacts<'_>,
    variables: &dyn Variables,
    limits: &Limits,
) -> JobDecision {
    if let Some(rules) = job.rules {
        return evaluate_rules(rules, job.when, facts, variables, limits);
    }

    let implicit = (job.only.is_none() && !workflow_has_rules).then(policy::implicit_only);
    let only = job.only.or(implicit.as_ref());
    if only.is_none() && job.except.is_none() {
        let when = job.when.unwrap_or(When::OnSuccess);
        return JobDecision::without_rule(when, JobTrace::Unconditional);
    }
    let mut trace = policy::evaluate_only_except(only, job.except, facts, variables, limits);
    trace.implicit_only = implicit.is_some();
    let when = if trace.included {
        job.when.unwrap_or(When::OnSuccess)
    } else {
        When::Never
    };
    JobDecision::without_rule(when, JobTrace::OnlyExcept(trace))
}

/// Finds the first rule whose clauses all hold, recording every rule evaluated.
fn select<'r>(
    rules: &'r [Rule],
    facts: &PipelineFacts<'_>,
    variables: &dyn Variables,
    limits: &Limits,
) -> (Option<(usize, &'r Rule)>, RulesTrace) {
    let mut trace = RulesTrace::default();
    for (index, rule) in rules.iter().enumerate() {
        let rule_trace = evaluate_rule(index, rule, facts, variables, limits);
        let matched = rule_trace.matched;
        trace.rules.push(rule_trace);
        if matched {
            return (Some((index, rule)), trace);
        }
        // GitLab's `Build::Rules#evaluate` rescues the error of a clause and returns
        // `when: never` without looking at the later rules.
        if trace.error().is_some() {
            break;
        }
    }
    (None, trace)
}

/// Evaluates a rule's clauses in the order they are written, stopping at the first one that
/// does not hold, as GitLab's `Build::Rules::Rule#matches?` does with the rule hash's keys.
fn evaluate_rule(
    index: usize,
    rule: &Rule,
    facts: &PipelineFacts<'_>,
    variables: &dyn Variables,
    limits: &Limits,
) -> RuleTrace {
    let mut trace = RuleTrace {
        index,
        span: rule.span,
        matched: false,
        clauses: Vec::new(),
    };
    for clause in clause_order(rule) {
        let evaluated = match clause {
            RuleClause::If => rule.if_expr.as_ref().map(|expression| {
                ClauseTrace::If(facts.evaluate_if(expression, variables, limits))
            }),
            RuleClause::Changes => rule.changes.as_ref().map(|changes| {
                ClauseTrace::Changes(clause::trace_changes_cached(
                    changes,
                    variables,
                    facts.changed_files,
                    limits,
                    facts.expressions,
                ))
            }),
            RuleClause::Exists => rule.exists.as_ref().map(|exists| {
                let source = facts.exists_source();
                ClauseTrace::Exists(clause::trace_exists(exists, variables, &source, limits))
            }),
        };
        if let Some(evaluated) = evaluated
            && !trace.record(evaluated)
        {
            return trace;
        }
    }
    trace.matched = true;
    trace
}

/// Returns the clauses of `rule` in evaluation order: the written order, then any present
/// clause the written order lacks (a rule built in code has none) in the order `if`,
/// `changes`, `exists`.
fn clause_order(rule: &Rule) -> impl Iterator<Item = RuleClause> + '_ {
    let present = [
        (RuleClause::If, rule.if_expr.is_some()),
        (RuleClause::Changes, rule.changes.is_some()),
        (RuleClause::Exists, rule.exists.is_some()),
    ];
    let missing = present
        .into_iter()
        .filter(|(clause, is_present)| *is_present && !rule.clause_order.contains(clause))
        .map(|(clause, _)| clause);
    rule.clause_order.iter().copied().chain(missing)
}

impl RuleTrace {
    /// Adds an evaluated clause and returns whether it holds.
    fn record(&mut self, clause: ClauseTrace) -> bool {
        let holds = clause.holds();
        self.clauses.push(clause);
        holds
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::ok;
    use crate::config::keywords::{only_except, rules};

    /// A job's deciding keywords, parsed from JSON written like the YAML.
    #[derive(Default)]
    struct TestJob {
        rules: Option<Vec<Rule>>,
        only: Option<OnlyExcept>,
        except: Option<OnlyExcept>,
        when: Option<When>,
        variables: Vec<(String, String)>,
    }

    impl TestJob {
        fn rules(json: serde_json::Value) -> Self {
            TestJob {
                rules: Some(ok(rules::parse, "jobs:job:rules", json)),
                ..TestJob::default()
            }
        }

        fn only(mut self, json: serde_json::Value) -> Self {
            self.only = Some(ok(only_except::parse_only, "jobs:job:only", json));
            self
        }

        fn except(mut self, json: serde_json::Value) -> Self {
            self.except = Some(ok(only_except::parse_except, "jobs:job:except", json));
            self
        }

        fn when(mut self, when: When) -> Self {
            self.when = Some(when);
            self
        }

        fn variable(mut self, name: &str, value: &str) -> Self {
            self.variables.push((name.to_owned(), value.to_owned()));
            self
        }
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// A pipeline's facts and predefined variables, as the context and variables engines
    /// would provide them.
    struct Pipeline {
        facts: PipelineFacts<'static>,
        variables: Vec<(String, String)>,
        /// The changed files, set as `facts.changed_files` when deciding.
        changed: Option<Vec<String>>,
        /// The repository files, set as `facts.repository_files` when deciding.
        repository: Option<Vec<String>>,
    }

    fn push(branch: &'static str) -> Pipeline {
        Pipeline {
            facts: PipelineFacts {
                source: "push",
                ref_name: branch,
                is_branch: true,
                project_path: "group/project",
                ..PipelineFacts::default()
            },
            variables: vars(&[
                ("CI_PIPELINE_SOURCE", "push"),
                ("CI_COMMIT_BRANCH", branch),
                ("CI_COMMIT_REF_NAME", branch),
                ("CI_DEFAULT_BRANCH", "main"),
            ]),
            changed: None,
            repository: None,
        }
    }

    fn schedule(branch: &'static str) -> Pipeline {
        let mut pipeline = push(branch);
        pipeline.facts.source = "schedule";
        pipeline
            .variables
            .push(("CI_PIPELINE_SOURCE".to_owned(), "schedule".to_owned()));
        pipeline
    }

    fn tag(name: &'static str) -> Pipeline {
        Pipeline {
            facts: PipelineFacts {
                source: "push",
                ref_name: name,
                is_tag: true,
                project_path: "group/project",
                ..PipelineFacts::default()
            },
            variables: vars(&[
                ("CI_PIPELINE_SOURCE", "push"),
                ("CI_COMMIT_TAG", name),
                ("CI_COMMIT_REF_NAME", name),
                ("CI_DEFAULT_BRANCH", "main"),
            ]),
            changed: None,
            repository: None,
        }
    }

    fn merge_request() -> Pipeline {
        Pipeline {
            facts: PipelineFacts {
                source: "merge_request_event",
                ref_name: "feature",
                is_merge_request: true,
                project_path: "group/project",
                ..PipelineFacts::default()
            },
            variables: vars(&[
                ("CI_PIPELINE_SOURCE", "merge_request_event"),
                ("CI_COMMIT_REF_NAME", "feature"),
                ("CI_DEFAULT_BRANCH", "main"),
            ]),
            changed: None,
            repository: None,
        }
    }

    fn decide_with(job: &TestJob, workflow_has_rules: bool, pipeline: &Pipeline) -> JobDecision {
        let mut facts = pipeline.facts;
        facts.changed_files = pipeline.changed.as_deref();
        facts.repository_files = pipeline.repository.as_deref();
        let mut variables = pipeline.variables.clone();
        variables.extend(job.variables.iter().cloned());
        let keywords = JobRules {
            rules: job.rules.as_deref(),
            only: job.only.as_ref(),
            except: job.except.as_ref(),
            when: job.when,
        };
        evaluate_job(
            &keywords,
            workflow_has_rules,
            &facts,
            &variables,
            &Limits::default(),
        )
    }

    fn decide(job: &TestJob, pipeline: &Pipeline) -> JobDecision {
        decide_with(job, false, pipeline)
    }

    /// T5.5: `job` with `variables: {DEPLOY: default}` and three rules.
    fn t5_5() -> TestJob {
        TestJob::rules(json!([
            {
                "if": "$CI_PIPELINE_SOURCE == \"merge_request_event\"",
                "when": "manual",
                "allow_failure": true
            },
            {
                "if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
                "variables": {"DEPLOY": "prod"}
            },
            {
                "if": "$CI_COMMIT_BRANCH =~ /^feature/",
                "when": "delayed",
                "start_in": "10 minutes"
            }
        ]))
        .variable("DEPLOY", "default")
    }

    #[test]
    fn worked_example_merge_request() {
        let decision = decide(&t5_5(), &merge_request());
        assert_eq!(decision.when, When::Manual);
        assert_eq!(decision.rule, Some(0));
        assert_eq!(decision.allow_failure, Some(true));
        assert_eq!(decision.variables, None);
    }

    #[test]
    fn worked_example_default_branch() {
        let decision = decide(&t5_5(), &push("main"));
        assert_eq!(decision.when, When::OnSuccess);
        assert_eq!(decision.rule, Some(1));
        let deploy = decision.variables.as_ref().and_then(|v| v.get("DEPLOY"));
        assert_eq!(deploy.map(String::as_str), Some("prod"));
    }

    #[test]
    fn worked_example_feature_branch() {
        let decision = decide(&t5_5(), &push("feature-x"));
        assert_eq!(decision.when, When::Delayed);
        assert_eq!(decision.rule, Some(2));
        assert_eq!(decision.start_in.map(|d| d.seconds), Some(600));
    }

    #[test]
    fn worked_example_tag() {
        let decision = decide(&t5_5(), &tag("v1.0"));
        assert_eq!(decision.when, When::Never);
        assert!(!decision.is_created());
        assert_eq!(decision.rule, None);
        let JobTrace::Rules(trace) = &decision.trace else {
            panic!("expected a rules trace");
        };
        assert_eq!(trace.rules.len(), 3);
    }

    /// T5.6: `changes` is true whenever there is nothing to diff against.
    #[test]
    fn worked_example_changes() {
        let docs = TestJob::rules(json!([{"changes": ["docs/**/*"]}]));
        assert!(decide(&docs, &tag("v1")).is_created());
        assert!(decide(&docs, &schedule("main")).is_created());

        let mut branch_push = push("feature");
        branch_push.changed = Some(vec!["src/a.rs".to_owned()]);
        assert!(!decide(&docs, &branch_push).is_created());
        branch_push.changed = Some(vec!["docs/index.md".to_owned()]);
        assert!(decide(&docs, &branch_push).is_created());

        // The push that creates a branch has no "before" commit to diff against.
        assert!(decide(&docs, &push("new-branch")).is_created());
    }

    /// T5.7: `a` has nothing, `b` has `only`, `c` has `except`.
    fn t5_7() -> [TestJob; 3] {
        [
            TestJob::default(),
            TestJob::default().only(json!(["main", "/^release-.*$/", "merge_requests"])),
            TestJob::default().except(json!({
                "refs": ["schedules"],
                "variables": ["$SKIP == \"1\""]
            })),
        ]
    }

    fn created(jobs: &[TestJob; 3], pipeline: &Pipeline) -> [bool; 3] {
        jobs.each_ref()
            .map(|job| decide(job, pipeline).is_created())
    }

    #[test]
    fn worked_example_only_except_schedule() {
        let pipeline = schedule("main");
        assert_eq!(created(&t5_7(), &pipeline), [true, true, false]);
    }

    #[test]
    fn worked_example_only_except_merge_request() {
        let pipeline = merge_request();
        assert_eq!(created(&t5_7(), &pipeline), [false, true, false]);
    }

    #[test]
    fn worked_example_only_except_release() {
        let mut pipeline = push("release-1");
        pipeline.variables.push(("SKIP".to_owned(), "1".to_owned()));
        assert_eq!(created(&t5_7(), &pipeline), [true, true, false]);
    }

    /// A job with only `except` still gets the implicit `only: [branches, tags]`.
    #[test]
    fn implicit_only_with_except() {
        let [_, _, c] = t5_7();
        let decision = decide(&c, &merge_request());
        let JobTrace::OnlyExcept(trace) = &decision.trace else {
            panic!("expected an only/except trace");
        };
        assert!(trace.implicit_only);
        assert!(!decision.is_created());
    }

    #[test]
    fn workflow_rules_drop_implicit_only() {
        let decision = decide_with(&TestJob::default(), true, &merge_request());
        assert_eq!(decision.trace, JobTrace::Unconditional);
        assert!(decision.is_created());
    }

    #[test]
    fn only_keeps_job_when() {
        let job = TestJob::default()
            .only(json!(["branches"]))
            .when(When::Manual);
        assert_eq!(decide(&job, &push("main")).when, When::Manual);
        assert_eq!(decide(&job, &tag("v1")).when, When::Never);
    }

    /// T5.8: three workflow rules over the global `DEPLOY: default`.
    fn t5_8() -> Vec<Rule> {
        ok(
            rules::parse_workflow,
            "workflow:rules",
            json!([
                {"if": "$CI_COMMIT_TITLE =~ /-draft$/", "when": "never"},
                {
                    "if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
                    "variables": {"DEPLOY": "prod"}
                },
                {"if": "$CI_PIPELINE_SOURCE == \"merge_request_event\""}
            ]),
        )
    }

    fn workflow(rules: &[Rule], pipeline: &Pipeline) -> WorkflowDecision {
        let mut variables = pipeline.variables.clone();
        variables.push(("DEPLOY".to_owned(), "default".to_owned()));
        evaluate_workflow(Some(rules), &pipeline.facts, &variables, &Limits::default())
    }

    #[test]
    fn worked_example_workflow_default_branch() {
        let decision = workflow(&t5_8(), &push("main"));
        assert!(decision.created);
        assert_eq!(decision.rule, Some(1));
        let deploy = decision.variables.as_ref().and_then(|v| v.get("DEPLOY"));
        assert_eq!(deploy.map(String::as_str), Some("prod"));
        assert_eq!(decision.error(), None);
    }

    #[test]
    fn worked_example_workflow_merge_request() {
        let decision = workflow(&t5_8(), &merge_request());
        assert!(decision.created);
        assert_eq!(decision.rule, Some(2));
    }

    #[test]
    fn worked_example_workflow_feature_branch() {
        let decision = workflow(&t5_8(), &push("feat"));
        assert!(!decision.created);
        assert_eq!(decision.rule, None);
        assert_eq!(
            decision.error(),
            Some("Pipeline filtered out by workflow rules.")
        );
    }

    #[test]
    fn worked_example_workflow_draft() {
        let mut pipeline = push("main");
        pipeline
            .variables
            .push(("CI_COMMIT_TITLE".to_owned(), "wip-draft".to_owned()));
        let decision = workflow(&t5_8(), &pipeline);
        assert!(!decision.created);
        assert_eq!(decision.rule, Some(0));
        assert_eq!(
            decision.to_string(),
            "Pipeline filtered out by workflow rules. Workflow rule 1: if \
             `$CI_COMMIT_TITLE =~ /-draft$/` is true (CI_COMMIT_TITLE = \"wip-draft\") and it \
             has `when: never`"
        );
    }

    #[test]
    fn workflow_without_rules_creates() {
        let decision = evaluate_workflow(
            None,
            &push("main").facts,
            &Vec::<(String, String)>::new(),
            &Limits::default(),
        );
        assert!(decision.created);
        assert!(decision.trace.rules.is_empty());
    }

    #[test]
    fn workflow_rule_auto_cancel() {
        let rules = ok(
            rules::parse_workflow,
            "workflow:rules",
            json!([{"when": "always", "auto_cancel": {"on_new_commit": "none"}}]),
        );
        let decision = workflow(&rules, &push("main"));
        assert!(decision.auto_cancel.is_some());
    }

    #[test]
    fn clauseless_rule_always_matches() {
        let job = TestJob::rules(json!([
            {"if": "$NEVER"},
            {"variables": {"X": "no"}}
        ]));
        let decision = decide(&job, &push("main"));
        assert_eq!(decision.rule, Some(1));
        assert_eq!(decision.when, When::OnSuccess);
    }

    #[test]
    fn rule_when_falls_back_to_job_when() {
        let job = TestJob::rules(json!([
            {"if": "$CI_COMMIT_BRANCH"},
            {"when": "always"}
        ]))
        .when(When::Manual);
        assert_eq!(decide(&job, &push("main")).when, When::Manual);
        assert_eq!(decide(&job, &tag("v1")).when, When::Always);
    }

    #[test]
    fn rule_never_excludes() {
        let job = TestJob::rules(json!([
            {"if": "$CI_COMMIT_TAG", "when": "never"},
            {"when": "on_success"}
        ]));
        let decision = decide(&job, &tag("v1"));
        assert!(!decision.is_created());
        assert_eq!(decision.rule, Some(0));
        assert_eq!(
            decision.to_string(),
            "absent because rule 1: if `$CI_COMMIT_TAG` is true (CI_COMMIT_TAG = \"v1\") \
             and it has `when: never`"
        );
    }

    #[test]
    fn rule_attributes_are_carried() {
        let job = TestJob::rules(json!([{
            "needs": ["build"],
            "interruptible": true,
            "allow_failure": false
        }]));
        let decision = decide(&job, &push("main"));
        assert_eq!(decision.needs.as_ref().map(Vec::len), Some(1));
        assert_eq!(decision.interruptible, Some(true));
        assert_eq!(decision.allow_failure, Some(false));
    }

    #[test]
    fn explanation_of_absence() {
        let job = TestJob::rules(json!([{"if": "$X == \"y\""}]));
        let decision = decide(&job, &push("main"));
        assert_eq!(
            decision.to_string(),
            r#"absent because no rule matched: rule 1: if `$X == "y"` is false (X = null)"#
        );
    }

    #[test]
    fn explanation_of_creation() {
        let job = TestJob::rules(json!([{"exists": ["Dockerfile"]}]));
        let mut pipeline = push("main");
        pipeline.repository = Some(vec!["Dockerfile".to_owned()]);
        let decision = decide(&job, &pipeline);
        assert_eq!(
            decision.to_string(),
            "created with `when: on_success` by rule 1: exists is true: `Dockerfile` matches \
             `Dockerfile`"
        );
    }

    #[test]
    fn clauses_stop_at_first_false() {
        let job = TestJob::rules(json!([{"if": "$MISSING", "changes": ["a"]}]));
        let decision = decide(&job, &push("main"));
        let JobTrace::Rules(trace) = &decision.trace else {
            panic!("expected a rules trace");
        };
        assert_eq!(trace.rules.first().map(|r| r.clauses.len()), Some(1));
    }

    /// Lists the kinds of the clauses in the first rule's trace.
    fn clause_kinds(decision: &JobDecision) -> Vec<&'static str> {
        let JobTrace::Rules(trace) = &decision.trace else {
            panic!("expected a rules trace");
        };
        let clauses = trace.rules.first().map(|r| r.clauses.as_slice());
        clauses
            .unwrap_or_default()
            .iter()
            .map(|clause| match clause {
                ClauseTrace::If(_) => "if",
                ClauseTrace::Changes(_) => "changes",
                ClauseTrace::Exists(_) => "exists",
            })
            .collect()
    }

    #[test]
    fn clauses_in_written_order() {
        let cases = [
            (
                json!({"if": "$A", "changes": ["a"], "exists": ["x"]}),
                ["if", "changes", "exists"],
            ),
            (
                json!({"exists": ["x"], "changes": ["a"], "if": "$A"}),
                ["exists", "changes", "if"],
            ),
            (
                json!({"changes": ["a"], "if": "$A", "exists": ["x"]}),
                ["changes", "if", "exists"],
            ),
        ];
        for (rule, expected) in cases {
            let job = TestJob::rules(json!([rule.clone()])).variable("A", "1");
            let mut pipeline = push("main");
            pipeline.changed = Some(vec!["a".to_owned()]);
            pipeline.repository = Some(vec!["x".to_owned()]);
            let decision = decide(&job, &pipeline);
            assert!(decision.is_created(), "{rule}");
            assert_eq!(clause_kinds(&decision), expected, "{rule}");
        }
    }

    #[test]
    fn written_order_decides_first_failure() {
        let job = TestJob::rules(json!([{"changes": ["b"], "if": "$MISSING"}]));
        let mut pipeline = push("main");
        pipeline.changed = Some(vec!["a".to_owned()]);
        let decision = decide(&job, &pipeline);
        assert!(!decision.is_created());
        assert_eq!(clause_kinds(&decision), ["changes"]);
    }

    #[test]
    fn if_trace_keeps_values_read() {
        let job = TestJob::rules(json!([{"exists": ["x"], "if": "$A == \"1\" && $B"}]))
            .variable("A", "1");
        let mut pipeline = push("main");
        pipeline.repository = Some(vec!["x".to_owned()]);
        let decision = decide(&job, &pipeline);
        let JobTrace::Rules(trace) = &decision.trace else {
            panic!("expected a rules trace");
        };
        let clauses = trace.rules.first().map(|r| r.clauses.as_slice());
        let Some([ClauseTrace::Exists(_), ClauseTrace::If(expression)]) = clauses else {
            panic!("expected `exists` then `if`, found {clauses:?}");
        };
        let reads: Vec<(&str, Option<&str>)> = expression
            .reads
            .iter()
            .map(|read| (read.name.as_str(), read.value.as_deref()))
            .collect();
        assert_eq!(reads, [("A", Some("1")), ("B", None)]);
    }

    #[test]
    fn code_built_rule_uses_default_order() {
        let mut rule = ok(
            rules::parse,
            "jobs:job:rules",
            json!([{"exists": ["x"], "if": "$A"}]),
        )
        .remove(0);
        rule.clause_order.clear();
        let job = TestJob {
            rules: Some(vec![rule]),
            ..TestJob::default()
        }
        .variable("A", "1");
        let mut pipeline = push("main");
        pipeline.repository = Some(vec!["x".to_owned()]);
        assert_eq!(clause_kinds(&decide(&job, &pipeline)), ["if", "exists"]);
    }

    #[test]
    fn compare_to_note_reaches_decision() {
        let job = TestJob::rules(json!([{
            "changes": {"paths": ["a"], "compare_to": "refs/heads/main"}
        }]));
        let decision = decide(&job, &push("feature"));
        assert!(decision.is_created());
        assert_eq!(decision.notes().len(), 1);
        assert_eq!(decision.error(), None);
    }

    /// Builds a job whose first rule compares to the merge request's target branch and whose
    /// second rule matches always.
    fn target_branch_rules() -> TestJob {
        TestJob::rules(json!([
            {"changes": {"paths": ["a"], "compare_to": "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"}},
            {"when": "manual"}
        ]))
    }

    #[test]
    fn compare_to_error_stops_rule_list() {
        let decision = decide(&target_branch_rules(), &push("feature"));
        assert!(!decision.is_created());
        assert_eq!(decision.when, When::Never);
        assert_eq!(decision.rule, None);
        assert_eq!(decision.error(), Some(clause::COMPARE_TO_NOT_FOUND_MESSAGE));
        assert!(decision.notes().is_empty());
        let JobTrace::Rules(trace) = &decision.trace else {
            panic!("expected a rules trace");
        };
        // The catch-all rule is never evaluated.
        assert_eq!(trace.rules.len(), 1);
        let text = decision.to_string();
        assert!(
            text.starts_with("absent because evaluating its rules raised an error: rule 1: "),
            "{text}"
        );
        assert!(
            text.contains("`CI_MERGE_REQUEST_TARGET_BRANCH_NAME`"),
            "{text}"
        );
    }

    #[test]
    fn compare_to_error_without_diff() {
        for pipeline in [tag("v1"), schedule("main")] {
            let decision = decide(&target_branch_rules(), &pipeline);
            assert_eq!(decision.error(), Some(clause::COMPARE_TO_NOT_FOUND_MESSAGE));
        }
    }

    #[test]
    fn compare_to_defined_in_merge_request() {
        let mut pipeline = merge_request();
        pipeline.variables.push((
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME".to_owned(),
            "main".to_owned(),
        ));
        let decision = decide(&target_branch_rules(), &pipeline);
        assert!(decision.is_created());
        assert_eq!(decision.error(), None);
    }

    #[test]
    fn compare_to_not_reached() {
        let cases = [
            // An earlier `if:` of the rule is false.
            json!([{
                "if": "$CI_MERGE_REQUEST_IID",
                "changes": {"paths": ["a"], "compare_to": "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"}
            }]),
            // An earlier rule matches.
            json!([
                {"if": "$CI_COMMIT_BRANCH"},
                {"changes": {"paths": ["a"], "compare_to": "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"}}
            ]),
            // An earlier `exists:` of the rule is false.
            json!([{
                "exists": ["missing"],
                "changes": {"paths": ["a"], "compare_to": ""}
            }]),
        ];
        let mut pipeline = push("feature");
        pipeline.repository = Some(vec!["present".to_owned()]);
        for rules in cases {
            let decision = decide(&TestJob::rules(rules.clone()), &pipeline);
            assert_eq!(decision.error(), None, "{rules}");
        }
    }

    /// GitLab evaluates the clauses in the order they are written, so an `if:` written after
    /// `changes:` does not guard it.
    #[test]
    fn compare_to_before_if_raises() {
        let job = TestJob::rules(json!([{
            "changes": {"paths": ["a"], "compare_to": "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"},
            "if": "$CI_MERGE_REQUEST_IID"
        }]));
        let decision = decide(&job, &push("feature"));
        assert_eq!(decision.error(), Some(clause::COMPARE_TO_NOT_FOUND_MESSAGE));
        assert_eq!(clause_kinds(&decision), ["changes"]);
    }

    #[test]
    fn workflow_compare_to_error_filters_out() {
        let rules = ok(
            rules::parse,
            "workflow:rules",
            json!([
                {"changes": {"paths": ["a"], "compare_to": "${MISSING}"}},
                {"when": "always"}
            ]),
        );
        let decision = workflow(&rules, &push("main"));
        assert!(!decision.created);
        assert_eq!(decision.rule, None);
        assert_eq!(decision.trace.rules.len(), 1);
        assert_eq!(decision.error(), Some(FILTERED_OUT_MESSAGE));
        assert_eq!(
            decision.trace.error(),
            Some(clause::COMPARE_TO_NOT_FOUND_MESSAGE)
        );
        let text = decision.to_string();
        assert!(
            text.starts_with(
                "Pipeline filtered out by workflow rules. Evaluating the workflow rules raised an \
                 error, which GitLab takes as `when: never`: rule 1: changes raises"
            ),
            "{text}"
        );
    }
}
