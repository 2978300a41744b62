//! Turning the rule evaluator's traces into the plan's output form: source locations instead of
//! spans, and masked values hidden.

use std::borrow::Cow;
use std::fmt::{Display, Write as _};

use compact_str::CompactString;

use crate::context::PipelineContext;
use crate::diagnostic::Diagnostic;
use crate::rules::{
    self, ClauseTrace, IfTrace, JobDecision, JobTrace, KeyTrace, PolicyTrace, RulesTrace, SpecTrace,
};
use crate::source::{SourceMap, Span};
use crate::variables::{MASKED, slug_characters, slugify, withheld_protected_variables};

use super::attributes::empty_if_all_none;
use super::output::{
    ClauseEvaluation, ClauseKind, DecidedBy, JobRule, PlanDiagnostic, PolicyEvaluation,
    RuleEvaluation, SourceLocation, VariableRead, WithheldVariable,
};

/// Replaces the values of masked CI/CD variables with `[MASKED]` in text shown to the user,
/// as the runner does in job logs. Every masked variable of the context counts, whatever its
/// protection or environment scope, so a value never leaks through a job it does not apply to.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Masker {
    /// The masked values, longest first so that a value containing another is replaced whole.
    values: Vec<String>,
    /// The first bytes of the values as a 256-bit set, so that [`Masker::hides`] looks for a
    /// value only where one can start.
    first_bytes: [u64; 4],
    /// The distinct first bytes in order, which `memchr` searches for when there are at most
    /// three.
    starters: Vec<u8>,
}

/// Shows only how many values are masked, so that printing a pipeline never shows them.
impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Masker")
            .field("values", &self.values.len())
            .finish()
    }
}

impl Masker {
    /// Creates the masker of the masked variables of `context`, with the forms their values
    /// take in derived text.
    pub fn new(context: &PipelineContext) -> Self {
        let groups = context.group_variables.iter().flat_map(|g| &g.variables);
        let all = context
            .instance_variables
            .iter()
            .chain(groups)
            .chain(&context.project_variables)
            .chain(&context.pipeline_variables)
            .chain(&context.schedule_variables)
            .chain(&context.deployment_variables);
        let mut values: Vec<String> = Vec::new();
        for variable in all.filter(|variable| variable.masked && !variable.value.is_empty()) {
            values.extend(shown_forms(&variable.value));
        }
        // `CI_COMMIT_REF_SLUG` is derived from the ref name, so it shows a masked value in
        // another form, cut to 63 characters. A slug too short to be distinctive cannot hold
        // a whole value of 8 characters or more, and hiding it would hide that short text
        // wherever it appears.
        let ref_name = context.commit_ref_name();
        let ref_slug = slugify(ref_name);
        if distinctive(&ref_slug) && values.iter().any(|value| ref_name.contains(value.as_str())) {
            values.push(ref_slug);
        }
        Masker::from_values(values)
    }

    /// Creates the masker of a downstream pipeline: its own masked values and the upstream
    /// pipeline's. A trigger job passes variables downstream as plain pipeline variables, with
    /// masked values already expanded into them, so only the upstream values keep those hidden.
    pub(super) fn downstream(context: &PipelineContext, upstream: &Masker) -> Self {
        let mut values = Masker::new(context).values;
        values.extend(upstream.values.iter().cloned());
        Masker::from_values(values)
    }

    /// Returns this masker with `extra` masked too: text derived from a masked value, such as
    /// the slug of an environment name that contains one.
    pub(super) fn with_values(&self, extra: impl IntoIterator<Item = String>) -> Self {
        let mut values = self.values.clone();
        values.extend(extra.into_iter().filter(|value| distinctive(value)));
        Masker::from_values(values)
    }

    /// Returns whether masking changes `text`.
    pub fn hides(&self, text: &str) -> bool {
        // Most texts are short and contain no value; a scan for the values' first bytes
        // settles those without building a substring searcher per value.
        let bytes = text.as_bytes();
        let Some(shortest) = self.values.last().map(String::len) else {
            return false;
        };
        // The positions where the shortest value still fits.
        let starts = bytes.len().saturating_sub(shortest - 1);
        let candidates = bytes.get(..starts).unwrap_or_default();
        let value_at = |start: usize| {
            let rest = bytes.get(start..).unwrap_or_default();
            self.values
                .iter()
                .any(|value| rest.starts_with(value.as_bytes()))
        };
        match *self.starters.as_slice() {
            [a] => memchr::memchr_iter(a, candidates).any(value_at),
            [a, b] => memchr::memchr2_iter(a, b, candidates).any(value_at),
            [a, b, c] => memchr::memchr3_iter(a, b, c, candidates).any(value_at),
            _ => candidates
                .iter()
                .enumerate()
                .any(|(start, &byte)| self.may_start_value(byte) && value_at(start)),
        }
    }

    /// Returns whether a masked value starts with `byte`.
    fn may_start_value(&self, byte: u8) -> bool {
        let (word, bit) = byte_set_position(byte);
        self.first_bytes.get(word).is_some_and(|set| set & bit != 0)
    }

    fn from_values(mut values: Vec<String>) -> Self {
        values.retain(|value| !value.is_empty());
        crate::sort::sort_by(&mut values, |a, b| {
            b.len().cmp(&a.len()).then_with(|| a.cmp(b))
        });
        values.dedup();
        let mut first_bytes = [0u64; 4];
        for byte in values.iter().filter_map(|v| v.bytes().next()) {
            let (word, bit) = byte_set_position(byte);
            if let Some(set) = first_bytes.get_mut(word) {
                *set |= bit;
            }
        }
        // The set's bytes in ascending order, without a sort.
        let starters: Vec<u8> = (0..=u8::MAX)
            .filter(|&byte| {
                let (word, bit) = byte_set_position(byte);
                first_bytes.get(word).is_some_and(|set| set & bit != 0)
            })
            .collect();
        Masker {
            values,
            first_bytes,
            starters,
        }
    }

    /// Returns `text` with every masked value replaced. Occurrences that overlap, of one value
    /// or of several, are replaced by one `[MASKED]`, so no part of either stays visible.
    pub fn mask<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if !self.hides(text) {
            return Cow::Borrowed(text);
        }
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for value in &self.values {
            let mut from = 0;
            while let Some(found) = text.get(from..).and_then(|rest| rest.find(value.as_str())) {
                let start = from + found;
                ranges.push((start, start + value.len()));
                // The next search starts one character later, to find overlapping occurrences.
                from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            }
        }
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if start < last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for (start, end) in merged {
            out.push_str(&text[copied..start]);
            out.push_str(MASKED);
            copied = end;
        }
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }

    pub(crate) fn mask_owned(&self, text: String) -> String {
        match self.mask(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(masked) => masked,
        }
    }

    /// Masks a borrowed text into a [`CompactString`], which keeps a short text inline.
    pub(crate) fn mask_compact(&self, text: &str) -> CompactString {
        CompactString::from(self.mask(text))
    }

    /// Masks an owned text into a [`CompactString`], reusing its buffer when it is long and
    /// nothing is masked.
    pub(crate) fn mask_into_compact(&self, text: String) -> CompactString {
        CompactString::from(self.mask_owned(text))
    }

    /// Masks the message, help and label texts of a configuration diagnostic.
    pub(crate) fn mask_diagnostic(&self, diagnostic: &mut Diagnostic) {
        diagnostic.message = self.mask_owned(std::mem::take(&mut diagnostic.message));
        diagnostic.help = diagnostic.help.take().map(|help| self.mask_owned(help));
        for label in &mut diagnostic.labels {
            label.message = self.mask_owned(std::mem::take(&mut label.message));
        }
    }
}

/// Returns `value` and the forms it takes in text derived from it. Rule traces quote values
/// that contain `"` or `\` with escapes, `CI_REGISTRY_IMAGE` lowercases them, and the `*_SLUG`
/// variables (`CI_PROJECT_PATH_SLUG`, `CI_JOB_NAME_SLUG`, ...) also turn other characters into
/// `-`. A derived form is kept only when it still has 8 characters and a letter or digit, so
/// that masking it cannot hide ordinary text such as a run of `-`.
fn shown_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned()];
    let quoted = format!("{value:?}");
    let escaped = &quoted[1..quoted.len() - 1];
    for form in [
        escaped.to_owned(),
        value.to_lowercase(),
        slug_characters(value),
    ] {
        if distinctive(&form) && !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}

/// Returns the word and the bit of `byte` in a 256-bit set of four `u64` words.
fn byte_set_position(byte: u8) -> (usize, u64) {
    (usize::from(byte >> 6), 1 << (byte & 63))
}

/// Returns whether a form derived from a masked value is hidden: it keeps 8 characters and a
/// letter or digit. A shorter or punctuation-only text would be hidden wherever it appears.
fn distinctive(form: &str) -> bool {
    form.chars().count() >= 8 && form.chars().any(char::is_alphanumeric)
}

/// Turns spans into file names and line numbers, when the source files are known.
#[derive(Debug, Clone, Copy)]
pub(super) struct Locator<'a> {
    pub(super) sources: Option<&'a SourceMap>,
}

impl Locator<'_> {
    pub(super) fn locate(&self, span: Span) -> Option<SourceLocation> {
        // Only the start is shown, so the end's position is not computed.
        let file = self.sources?.get(span.file)?;
        Some(SourceLocation::at(file, span.start))
    }

    /// Converts a diagnostic of the planning phase, naming the job it is about.
    pub(super) fn diagnostic(&self, diagnostic: Diagnostic, job: Option<&str>) -> PlanDiagnostic {
        PlanDiagnostic {
            code: diagnostic.code.to_owned(),
            severity: diagnostic.severity,
            message: diagnostic.message,
            job: job.map(str::to_owned),
            location: diagnostic.span.and_then(|span| self.locate(span)),
            help: diagnostic.help,
            span: diagnostic.span,
        }
    }
}

/// Everything a trace conversion needs.
#[derive(Debug, Clone, Copy)]
pub(super) struct TraceContext<'a> {
    pub(super) masker: &'a Masker,
    pub(super) locator: Locator<'a>,
    /// Whether a job's decision keeps the evaluation of each rule, `only` and `except`.
    pub(super) rule_traces: bool,
}

impl TraceContext<'_> {
    /// Converts a job's decision into its output form.
    pub(super) fn job_rule(&self, decision: &JobDecision) -> JobRule {
        let notes = decision
            .notes()
            .into_iter()
            .map(|note| self.masker.mask_owned(note))
            .collect();
        let mut rule = JobRule {
            by: DecidedBy::Unconditional,
            summary: String::new(),
            matched: decision.rule,
            rules: Vec::new(),
            only: None,
            except: None,
            implicit_only: false,
            notes,
        };
        match &decision.trace {
            JobTrace::Rules(_) if !self.rule_traces => {
                rule.by = DecidedBy::Rules;
                let summary = Summary {
                    decision,
                    rules: &[],
                };
                rule.summary = self.masker.mask_owned(display(&summary));
                return rule;
            }
            JobTrace::Rules(trace) => {
                rule.by = DecidedBy::Rules;
                // The summary repeats the texts of the clauses it names, so they are formatted
                // once, and masked after the summary is written from them.
                rule.rules = self.unmasked_rules(trace);
                let summary = Summary {
                    decision,
                    rules: &rule.rules,
                };
                rule.summary = self.masker.mask_owned(display(&summary));
                self.mask_details(&mut rule.rules);
                return rule;
            }
            JobTrace::OnlyExcept(trace) => {
                rule.by = DecidedBy::OnlyExcept;
                self.policy(trace, &mut rule);
            }
            JobTrace::Unconditional => {}
        }
        rule.summary = self.masker.mask_owned(display(decision));
        rule
    }

    /// Converts the evaluation of a rule list.
    pub(super) fn rules(&self, trace: &RulesTrace) -> Vec<RuleEvaluation> {
        let mut rules = self.unmasked_rules(trace);
        self.mask_details(&mut rules);
        rules
    }

    /// Converts the evaluation of a rule list, with the clauses' `detail` texts not masked yet.
    fn unmasked_rules(&self, trace: &RulesTrace) -> Vec<RuleEvaluation> {
        trace
            .rules
            .iter()
            .map(|rule| RuleEvaluation {
                index: rule.index,
                matched: rule.matched,
                clauses: rule.clauses.iter().map(|c| self.clause(c)).collect(),
                location: self.locator.locate(rule.span),
            })
            .collect()
    }

    /// Masks the `detail` texts of the clauses of `rules`.
    fn mask_details(&self, rules: &mut [RuleEvaluation]) {
        for clause in rules.iter_mut().flat_map(|rule| &mut rule.clauses) {
            clause.detail = self.masker.mask_owned(std::mem::take(&mut clause.detail));
        }
    }

    fn policy(&self, trace: &PolicyTrace, rule: &mut JobRule) {
        rule.implicit_only = trace.implicit_only;
        if !self.rule_traces {
            return;
        }
        rule.only = trace.only.as_ref().map(|spec| self.spec(spec));
        rule.except = trace.except.as_ref().map(|spec| self.spec(spec));
    }

    fn spec(&self, spec: &SpecTrace) -> PolicyEvaluation {
        PolicyEvaluation {
            satisfied: spec.satisfied,
            keys: spec.keys.iter().map(|key| self.key(key)).collect(),
        }
    }

    fn key(&self, key: &KeyTrace) -> ClauseEvaluation {
        let (clause, reads, note) = match key {
            KeyTrace::Refs(_) => (ClauseKind::Refs, Vec::new(), None),
            KeyTrace::Variables { expressions, .. } => {
                let reads = expressions.iter().flat_map(|e| self.reads(e)).collect();
                (ClauseKind::Variables, reads, None)
            }
            KeyTrace::Changes(trace) => (
                ClauseKind::Changes,
                Vec::new(),
                trace.note().map(|note| self.masker.mask_owned(note)),
            ),
            KeyTrace::Kubernetes { .. } => (ClauseKind::Kubernetes, Vec::new(), None),
        };
        ClauseEvaluation {
            clause,
            holds: key.holds(),
            detail: self.masker.mask_owned(display(key)),
            expression: None,
            reads,
            note,
            error: None,
            location: None,
        }
    }

    /// Converts the evaluation of a clause, with its `detail` text not masked yet.
    fn clause(&self, clause: &ClauseTrace) -> ClauseEvaluation {
        let mut evaluation = ClauseEvaluation {
            clause: ClauseKind::If,
            holds: clause.holds(),
            detail: display(clause),
            expression: None,
            reads: Vec::new(),
            note: clause.note().map(|note| self.masker.mask_owned(note)),
            error: clause.error().map(str::to_owned),
            location: None,
        };
        match clause {
            ClauseTrace::If(trace) => {
                evaluation.expression = Some(self.masker.mask_compact(&trace.expression));
                evaluation.reads = self.reads(trace);
                evaluation.location = self.locator.locate(trace.span);
            }
            ClauseTrace::Changes(trace) => {
                evaluation.clause = ClauseKind::Changes;
                if trace.error().is_some() {
                    evaluation.location = self.locator.locate(trace.compare_to_span);
                }
            }
            ClauseTrace::Exists(_) => evaluation.clause = ClauseKind::Exists,
        }
        evaluation
    }

    fn reads(&self, trace: &IfTrace) -> Vec<VariableRead> {
        trace
            .reads
            .iter()
            .map(|read: &rules::VariableRead| VariableRead {
                name: read.name.clone(),
                value: read
                    .value
                    .as_deref()
                    .map(|value| self.masker.mask_compact(value)),
                withheld: Vec::new(),
                withheld_scopes: Vec::new(),
                withheld_groups: Vec::new(),
            })
            .collect()
    }
}

/// The summary line of a job's decision, with the clause texts of its converted rules.
struct Summary<'a> {
    decision: &'a JobDecision,
    /// The rules converted from the decision's trace, with their clauses' texts not masked.
    rules: &'a [RuleEvaluation],
}

impl Display for Summary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rules = self.rules;
        self.decision.fmt_with(f, &mut |f, (rule, clause), trace| {
            let detail = rules
                .get(rule)
                .and_then(|rule| rule.clauses.get(clause))
                .map(|evaluation| evaluation.detail.as_str());
            match detail {
                Some(detail) => f.write_str(detail),
                None => trace.fmt(f),
            }
        })
    }
}

/// Adds to each variable read of `rules` and `policies` the levels, scopes and groups at which
/// GitLab withheld a protected variable of that name, from `withheld`.
pub(super) fn mark_withheld_reads<'r>(
    rules: impl IntoIterator<Item = &'r mut RuleEvaluation>,
    policies: impl IntoIterator<Item = &'r mut PolicyEvaluation>,
    withheld: &[WithheldVariable],
) {
    if withheld.is_empty() {
        return;
    }
    let rule_clauses = rules.into_iter().flat_map(|rule| rule.clauses.iter_mut());
    let policy_keys = policies
        .into_iter()
        .flat_map(|policy| policy.keys.iter_mut());
    for clause in rule_clauses.chain(policy_keys) {
        for read in &mut clause.reads {
            let found = withheld.iter().find(|variable| variable.name == read.name);
            if let Some(variable) = found {
                read.withheld.clone_from(&variable.sources);
                read.withheld_scopes.clone_from(&variable.scopes);
                read.withheld_groups.clone_from(&variable.groups);
            }
        }
    }
}

/// Marks the variable reads of a job's rules or `only`/`except`, as
/// [`mark_withheld_reads`] does.
pub(super) fn mark_withheld_in_rule(rule: &mut JobRule, withheld: &[WithheldVariable]) {
    let policies = rule.only.iter_mut().chain(rule.except.iter_mut());
    mark_withheld_reads(rule.rules.iter_mut(), policies, withheld);
}

/// Returns the protected settings variables GitLab leaves out of a job in `environment`, in
/// their output form (see [`withheld_protected_variables`]).
pub(super) fn withheld_variables(
    context: &PipelineContext,
    environment: Option<&str>,
) -> Vec<WithheldVariable> {
    withheld_protected_variables(context, environment)
        .into_iter()
        .map(|(name, definitions)| {
            let mut sources = Vec::with_capacity(definitions.len());
            let mut scopes = Vec::with_capacity(definitions.len());
            let mut groups = Vec::with_capacity(definitions.len());
            for definition in definitions {
                sources.push(definition.source);
                scopes.push(definition.scope.map(CompactString::from));
                groups.push(definition.group.map(CompactString::from));
            }
            WithheldVariable {
                name: CompactString::from(name),
                sources,
                scopes: empty_if_all_none(scopes),
                groups: empty_if_all_none(groups),
            }
        })
        .collect()
}

/// Formats a trace text into a string sized for a typical sentence, where `to_string` would
/// grow it from 8 bytes through several reallocations.
fn display(value: &impl Display) -> String {
    let mut text = String::with_capacity(128);
    // Writing into a `String` cannot fail.
    let _ = write!(text, "{value}");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::SettingsVariable;

    fn masker(values: &[&str]) -> Masker {
        let context = PipelineContext {
            project_variables: values
                .iter()
                .map(|value| SettingsVariable {
                    masked: true,
                    ..SettingsVariable::new("SECRET", *value)
                })
                .collect(),
            ..PipelineContext::default()
        };
        Masker::new(&context)
    }

    #[test]
    fn masker_replaces_values() {
        let masker = masker(&["s3cr3t-value"]);
        assert_eq!(
            masker.mask("https://s3cr3t-value@host/s3cr3t-value"),
            "https://[MASKED]@host/[MASKED]"
        );
    }

    /// With one to four distinct first bytes, which the scan searches for in different ways.
    #[test]
    fn masker_hides_texts_containing_values() {
        let all = [
            "s3cr3t-value",
            "ünïcødé-secret",
            "tail-1234",
            "zz-4321-secret",
        ];
        let texts = [
            "",
            "s",
            "s3cr3t-valu",
            "s3cr3t-value",
            "xs3cr3t-value",
            "s3cr3t-values",
            "s3cr3t-v s3cr3t-value",
            "ünïcødé-secre",
            "prefix ünïcødé-secret",
            "ü",
            "ends with tail-1234",
            "ends with tail-123",
            "tail-12 tail-1234",
            "ttail-1234",
            "zz-4321-secre",
            "tail-1234 zz-4321-secret",
        ];
        for count in 1..=all.len() {
            let values = all.get(..count).unwrap_or_default();
            let masker = Masker::from_values(values.iter().map(|v| (*v).to_owned()).collect());
            assert_eq!(masker.starters.len(), count);
            for text in texts {
                let expected = values.iter().any(|value| text.contains(value));
                assert_eq!(masker.hides(text), expected, "{count} values: {text:?}");
            }
        }
        assert!(!Masker::default().hides("s3cr3t-value"));
    }

    #[test]
    fn masker_keeps_plain_text() {
        let masker = masker(&["s3cr3t-value"]);
        assert!(matches!(masker.mask("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn masker_longest_value_first() {
        let masker = masker(&["abcdefgh", "abcdefgh-longer"]);
        assert_eq!(masker.mask("x abcdefgh-longer y"), "x [MASKED] y");
    }

    #[test]
    fn masker_overlapping_values_hidden_whole() {
        let overlapping = masker(&["abcdefgh", "efghijkl"]);
        assert_eq!(overlapping.mask("x abcdefghijkl y"), "x [MASKED] y");
        assert_eq!(overlapping.mask("abcdefgh efghijkl"), "[MASKED] [MASKED]");
        let repeated = masker(&["aaaaaaaa"]);
        assert_eq!(repeated.mask("aaaaaaaaaa-aaaaaaaa"), "[MASKED]-[MASKED]");
    }

    #[test]
    fn masker_hides_quoted_form() {
        let masker = masker(&["s3cr\"t\\Pa55"]);
        let shown = format!("TOKEN = {:?}", "s3cr\"t\\Pa55");
        assert_eq!(masker.mask(&shown), "TOKEN = \"[MASKED]\"");
    }

    #[test]
    fn masker_hides_lowercase_and_slug_forms() {
        let masker = masker(&["Team.Abcdefgh12"]);
        assert_eq!(
            masker.mask("registry/team.abcdefgh12/app"),
            "registry/[MASKED]/app"
        );
        assert_eq!(
            masker.mask("group-team-abcdefgh12-app"),
            "group-[MASKED]-app"
        );
    }

    #[test]
    fn masker_skips_forms_without_letters() {
        let masker = masker(&["__...___"]);
        assert_eq!(masker.mask("a -------- b"), "a -------- b");
        assert_eq!(masker.mask("x__...___y"), "x[MASKED]y");
    }

    /// Returns the masker of a push to `ref_name` with one masked pipeline variable.
    fn ref_masker(value: &str, ref_name: &str) -> Masker {
        let context = PipelineContext {
            pipeline_variables: vec![SettingsVariable {
                masked: true,
                ..SettingsVariable::new("MARK", value)
            }],
            ..PipelineContext::push(ref_name)
        };
        Masker::new(&context)
    }

    #[test]
    fn masker_ignores_empty_ref_slug() {
        let masker = ref_masker("________", "________");
        assert_eq!(masker.mask("created"), "created");
        assert_eq!(masker.mask("________"), "[MASKED]");
    }

    #[test]
    fn masker_keeps_short_ref_slug_visible() {
        let masker = ref_masker("--------", "a--------");
        assert_eq!(
            masker.mask("push to branch a--------"),
            "push to branch a[MASKED]"
        );
        assert_eq!(masker.mask("variables"), "variables");
    }

    #[test]
    fn masker_hides_long_ref_slug() {
        let masker = ref_masker("Secret-Ref-1234", "feature/Secret-Ref-1234");
        assert_eq!(
            masker.mask("review/feature-secret-ref-1234"),
            "review/[MASKED]"
        );
    }

    #[test]
    fn masker_ignores_unmasked() {
        let context = PipelineContext {
            project_variables: vec![SettingsVariable::new("PLAIN", "visible-value")],
            ..PipelineContext::default()
        };
        assert_eq!(Masker::new(&context).mask("visible-value"), "visible-value");
    }

    #[test]
    fn locator_without_sources() {
        let locator = Locator { sources: None };
        assert_eq!(locator.locate(Span::default()), None);
    }

    #[test]
    fn locator_finds_line() {
        let mut sources = SourceMap::new();
        let file = sources.add(".gitlab-ci.yml", "a: 1\nb: 2\n");
        let locator = Locator {
            sources: Some(&sources),
        };
        let location = locator.locate(Span::new(file, 5, 6));
        assert_eq!(
            location,
            Some(SourceLocation {
                file: ".gitlab-ci.yml".into(),
                line: 2,
                column: 1,
                column_utf16: 1,
                offset: 5,
            })
        );
    }
}
