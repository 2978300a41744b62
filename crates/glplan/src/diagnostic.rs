//! Diagnostics: positioned messages about the user's configuration.
//!
//! Mistakes in the configuration are collected as [`Diagnostic`]s, many per run; the core never
//! panics on them. Each one has a stable kebab-case `code`, a severity, GitLab's message where
//! GitLab has one, a primary span, optional labelled secondary spans and an optional `help`.

use serde::Serialize;

use crate::source::{Position, SourceMap, Span};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Extra information, for example which rule matched.
    Info,
    /// GitLab accepts the configuration, but it probably does not do what the author meant.
    Warning,
    /// GitLab rejects the configuration (or, for include fetch errors, glplan could not load
    /// something GitLab would have loaded).
    Error,
}

/// A secondary location with its own short message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where the label points.
    pub span: Span,
    /// What the label says about that place.
    pub message: String,
}

/// One message about the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable kebab-case identifier, for example `unknown-stage`.
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// The message; GitLab's own wording where GitLab reports the same problem.
    pub message: String,
    /// Primary location, when the problem has one.
    pub span: Option<Span>,
    /// Secondary locations.
    pub labels: Vec<Label>,
    /// How to fix the problem.
    pub help: Option<String>,
    /// Whether the diagnostic reports something the configuration does not define, which an
    /// included file that failed to load may have defined. See [`Diagnostic::missing_definition`].
    pub(crate) missing_definition: bool,
}

// The constructors are `#[cold]`, so LLVM treats the blocks that build a diagnostic as rarely
// run. It inlines into them only callees under its limit for cold call sites
// (`-inline-cold-callsite-threshold`, 45 by default) instead of 200 in the wasm build. That
// keeps the error paths small.
impl Diagnostic {
    /// Creates an error diagnostic.
    #[cold]
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    /// Creates a warning diagnostic.
    #[cold]
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    /// Creates an informational diagnostic.
    #[cold]
    pub fn info(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, code, message)
    }

    fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            span: None,
            labels: Vec::new(),
            help: None,
            missing_definition: false,
        }
    }

    /// Sets the primary span.
    #[must_use]
    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Adds a secondary label.
    #[must_use]
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets the help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Marks a diagnostic that reports a name or key that no loaded file defines: an unknown
    /// `extends` parent, a `!reference` target that is not there, an undefined needed job or
    /// stage, a configuration without jobs. When an included file failed to load, that file may
    /// have defined it, so [`Diagnostics`] drops such diagnostics after
    /// [`Diagnostics::mark_incomplete`]. GitLab stops at the failed include and reports nothing
    /// else.
    #[must_use]
    pub fn missing_definition(mut self) -> Self {
        self.missing_definition = true;
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Converts the diagnostic to its serializable form with file names and positions.
    pub fn locate(&self, sources: &SourceMap) -> LocatedDiagnostic {
        LocatedDiagnostic {
            code: self.code,
            severity: self.severity,
            message: self.message.clone(),
            location: self.span.and_then(|s| Location::new(sources, s)),
            labels: self
                .labels
                .iter()
                .filter_map(|l| {
                    Some(LocatedLabel {
                        message: l.message.clone(),
                        location: Location::new(sources, l.span)?,
                    })
                })
                .collect(),
            help: self.help.clone(),
        }
    }
}

/// A span turned into a file name and start and end positions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Location {
    /// File name. A file of the repository being planned has its path from the repository root, and
    /// a file of another project (from `include:project` or a component) is `PROJECT:REF:PATH`,
    /// with the component's version as REF. An `include:remote` file has its URL, and an
    /// `include:template` file is `template:NAME`. Runner and durations files keep the name they
    /// were given.
    pub file: String,
    /// First character.
    pub start: Position,
    /// One past the last character.
    pub end: Position,
}

impl Location {
    /// Resolves a span; `None` when the span's file is not in `sources`.
    pub fn new(sources: &SourceMap, span: Span) -> Option<Self> {
        let (file, start, end) = sources.resolve(span)?;
        Some(Location {
            file: file.name.clone(),
            start,
            end,
        })
    }
}

/// A label with its location resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LocatedLabel {
    /// The label's message.
    pub message: String,
    /// Where it points.
    pub location: Location,
}

/// The serializable form of a [`Diagnostic`], as the CLI's JSON output and the wasm package
/// return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LocatedDiagnostic {
    /// Stable kebab-case identifier.
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// The message.
    pub message: String,
    /// Primary location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Secondary locations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<LocatedLabel>,
    /// How to fix the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// Collected diagnostics of one run, in the order the phases produced them.
///
/// GitLab stops at the first error of `include`, `extends` and `!reference`. glplan reports
/// each such error and keeps going, but drops the errors that are only their consequences.
/// A phase that replaces a value it could not produce records the replacement's span with
/// [`Diagnostics::mark_failed_value`], and a failed include calls
/// [`Diagnostics::mark_incomplete`]. After that, [`Diagnostics::push`] drops:
///
/// - a diagnostic whose primary span lies inside a failed value (a `!reference` that became
///   null, a job whose `extends` failed), and
/// - after a failed include, a diagnostic marked [`Diagnostic::missing_definition`].
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    /// Spans of values that stand in for something a reported error could not produce.
    failed_values: Vec<Span>,
    /// Whether part of the configuration could not be loaded.
    incomplete: bool,
}

impl Diagnostics {
    /// Creates an empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one diagnostic, unless it is a consequence of an error already reported (see
    /// [`Diagnostics`]).
    pub fn push(&mut self, diagnostic: Diagnostic) {
        if !self.is_consequence(&diagnostic) {
            self.items.push(diagnostic);
        }
    }

    /// Adds several diagnostics, each as [`Diagnostics::push`] does.
    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        for diagnostic in diagnostics {
            self.push(diagnostic);
        }
    }

    /// Records that the value at `span` replaced something that a reported error could not
    /// produce. Diagnostics pushed later whose primary span lies inside `span` are dropped. An
    /// empty span is ignored.
    pub fn mark_failed_value(&mut self, span: Span) {
        if span.start < span.end && !self.failed_values.contains(&span) {
            self.failed_values.push(span);
        }
    }

    /// Records that part of the configuration could not be loaded and that the error saying so
    /// was reported. Diagnostics marked [`Diagnostic::missing_definition`] pushed later are
    /// dropped.
    pub fn mark_incomplete(&mut self) {
        self.incomplete = true;
    }

    /// Whether [`Diagnostics::mark_incomplete`] was called.
    pub fn is_incomplete(&self) -> bool {
        self.incomplete
    }

    /// Whether `span` lies inside a value marked with [`Diagnostics::mark_failed_value`]. A
    /// check that reports a problem of a value at another place (a job's value at its name)
    /// asks this about the value before reporting.
    pub fn is_failed_value(&self, span: Span) -> bool {
        self.failed_values.iter().any(|failed| {
            failed.file == span.file && failed.start <= span.start && span.end <= failed.end
        })
    }

    fn is_consequence(&self, diagnostic: &Diagnostic) -> bool {
        if diagnostic.missing_definition && self.incomplete {
            return true;
        }
        diagnostic
            .span
            .is_some_and(|span| self.is_failed_value(span))
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// Number of error diagnostics.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    /// All diagnostics.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// Number of diagnostics.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Returns the diagnostics from index `start` on, for a phase that rewrites the ones it
    /// pushed.
    pub(crate) fn since_mut(&mut self, start: usize) -> &mut [Diagnostic] {
        self.items.get_mut(start..).unwrap_or_default()
    }

    /// Consumes the collection.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// Returns the candidate closest to `name` when it is close enough to be a likely typo, for
/// "did you mean" help lines. Of equally close candidates, the first one wins, so the help
/// names the job, keyword or entry that comes first in the file.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        // `min_by` keeps the first of equal elements, where `max_by` keeps the last.
        .min_by(|a, b| b.0.total_cmp(&a.0))
        .map(|(_, c)| c)
}

/// Returns whether `ch` changes or hides the text around it when a message shows it raw, so
/// that a name quoted in a message must show it as an escape. Such characters are the control
/// characters (Unicode category Cc), where ESC starts a terminal command, CR moves the cursor
/// back and LF starts a new line, and the bidirectional controls (U+061C, U+200E, U+200F,
/// U+202A to U+202E, U+2066 to U+2069). So are the line and paragraph separators U+2028 and
/// U+2029, and the invisible format characters that make two names look alike (U+00AD soft
/// hyphen, U+180E, U+200B zero-width space, U+2060 to U+2064, U+FEFF). The zero-width joiner
/// and non-joiner are not, because emoji sequences and several scripts need them.
pub fn is_hidden_character(ch: char) -> bool {
    ch.is_control()
        || matches!(
            ch,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Formats `text` as a Markdown code span, the form messages use to quote names. The fence is
/// one backtick longer than the longest run of backticks in `text`, so a name such as ``t`ick``
/// stays one span. A space pads a `text` that starts or ends with a backtick, and a `text` that
/// starts and ends with a space, because CommonMark strips one space from each end. An empty
/// `text` becomes a span of `""` followed by the word "(empty)", because two backticks alone do
/// not read as a name. The word outside the span distinguishes it from a name of two quotation
/// marks. The characters of `text` stay as they are, so a caller that shows the message escapes
/// those that [`is_hidden_character`] accepts, in its own form.
pub fn code_span(text: &str) -> String {
    if text.is_empty() {
        return "`\"\"` (empty)".to_owned();
    }
    let mut longest_run = 0;
    let mut run = 0;
    for ch in text.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest_run = longest_run.max(run);
    }
    let fence = "`".repeat(longest_run + 1);
    let spaced = text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty();
    let pad = if text.starts_with('`') || text.ends_with('`') || spaced {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Quotes the name in serde's `unknown field` and `unknown variant` messages with
/// [`code_span`]. serde writes the name between single backticks as it is, so an empty name
/// reads as two backticks, and a name with a backtick breaks the span. Other messages are
/// returned unchanged.
pub fn quote_serde_unknown_name(message: &str) -> std::borrow::Cow<'_, str> {
    for prefix in ["unknown field `", "unknown variant `"] {
        let Some(start) = message.find(prefix) else {
            continue;
        };
        let name_start = start + prefix.len();
        let rest = message.get(name_start..).unwrap_or_default();
        // The names that serde lists after the name never contain "`, expected " or
        // "`, there are no ", so the last match ends the name, even when the name contains one.
        let Some(name_length) = ["`, expected ", "`, there are no "]
            .iter()
            .filter_map(|suffix| rest.rfind(suffix))
            .max()
        else {
            continue;
        };
        let name = rest.get(..name_length).unwrap_or_default();
        let after = rest.get(name_length + 1..).unwrap_or_default();
        let label = prefix.trim_end_matches('`');
        let before = message.get(..start).unwrap_or_default();
        return std::borrow::Cow::Owned(format!("{before}{label}{}{after}", code_span(name)));
    }
    std::borrow::Cow::Borrowed(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_unknown_names_quoted() {
        let cases = [
            (
                "unknown field ``, expected one of `a`, `b`",
                "unknown field `\"\"` (empty), expected one of `a`, `b`",
            ),
            (
                "unknown field `x`y`, expected `a`",
                "unknown field ``x`y``, expected `a`",
            ),
            (
                "variable `A`: unknown variant ``, expected `push`",
                "variable `A`: unknown variant `\"\"` (empty), expected `push`",
            ),
            (
                "unknown field ``, there are no fields",
                "unknown field `\"\"` (empty), there are no fields",
            ),
            ("missing field `value`", "missing field `value`"),
            ("unknown field `broken", "unknown field `broken"),
        ];
        for (message, expected) in cases {
            assert_eq!(quote_serde_unknown_name(message), expected, "{message}");
        }
    }

    #[test]
    fn code_span_plain_name() {
        assert_eq!(code_span("build"), "`build`");
    }

    #[test]
    fn code_span_empty_name_readable() {
        assert_eq!(code_span(""), "`\"\"` (empty)");
        assert_eq!(code_span("\"\""), "`\"\"`");
    }

    #[test]
    fn code_span_name_with_backticks() {
        assert_eq!(code_span("t`ick"), "``t`ick``");
        assert_eq!(code_span("a``b`c"), "```a``b`c```");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert_eq!(code_span("x`"), "`` x` ``");
    }

    #[test]
    fn hidden_characters() {
        for ch in [
            '\n', '\t', '\0', '\u{1b}', '\u{7f}', '\u{85}', '\u{202e}', '\u{2028}', '\u{feff}',
        ] {
            assert!(is_hidden_character(ch), "{ch:?}");
        }
        for ch in ['a', ' ', 'é', '\\', '\u{200d}', '漢'] {
            assert!(!is_hidden_character(ch), "{ch:?}");
        }
    }

    #[test]
    fn code_span_keeps_outer_spaces() {
        assert_eq!(code_span(" a "), "`  a  `");
        assert_eq!(code_span(" a"), "` a`");
        assert_eq!(code_span("  "), "`  `");
    }

    fn at(start: u32, end: u32) -> Span {
        Span::new(crate::source::FileId(0), start, end)
    }

    fn error_at(span: Span) -> Diagnostic {
        Diagnostic::error("test", "message").with_span(span)
    }

    #[test]
    fn failed_value_drops_inner_diagnostics() {
        let mut diags = Diagnostics::new();
        diags.mark_failed_value(at(10, 20));
        diags.push(error_at(at(10, 20)));
        diags.push(error_at(at(12, 15)));
        assert!(diags.is_empty());
    }

    #[test]
    fn failed_value_keeps_outer_diagnostics() {
        let mut diags = Diagnostics::new();
        diags.mark_failed_value(at(10, 20));
        diags.push(error_at(at(5, 20)));
        diags.push(error_at(at(15, 25)));
        diags.push(error_at(Span::new(crate::source::FileId(1), 12, 15)));
        diags.push(Diagnostic::error("test", "no span"));
        assert_eq!(diags.len(), 4);
    }

    #[test]
    fn failed_value_ignores_empty_span() {
        let mut diags = Diagnostics::new();
        diags.mark_failed_value(at(10, 10));
        diags.push(error_at(at(10, 10)));
        assert_eq!(diags.len(), 1);
    }

    #[test]
    fn failed_value_applies_to_extend() {
        let mut diags = Diagnostics::new();
        diags.mark_failed_value(at(10, 20));
        diags.extend([error_at(at(11, 12)), error_at(at(30, 40))]);
        assert_eq!(diags.len(), 1);
    }

    #[test]
    fn incomplete_drops_missing_definitions() {
        let mut diags = Diagnostics::new();
        diags.mark_incomplete();
        diags.push(Diagnostic::error("undefined", "x").missing_definition());
        diags.push(Diagnostic::error("other", "y"));
        assert_eq!(diags.len(), 1);
    }

    #[test]
    fn complete_keeps_missing_definitions() {
        let mut diags = Diagnostics::new();
        diags.push(Diagnostic::error("undefined", "x").missing_definition());
        assert_eq!(diags.len(), 1);
    }

    /// Returns the start and end (line, column) of each diagnostic of resolving `text`.
    fn positions(text: &str) -> Vec<((u32, u32), (u32, u32))> {
        let files = crate::files::MemoryFiles::new().with_file(".gitlab-ci.yml", text);
        let options = crate::resolve::ResolveOptions::default();
        let resolution = crate::resolve::resolve(".gitlab-ci.yml", &files, &options);
        resolution
            .diagnostics
            .iter()
            .filter_map(|d| d.locate(&resolution.sources).location)
            .map(|l| ((l.start.line, l.start.column), (l.end.line, l.end.column)))
            .collect()
    }

    #[test]
    fn locate_counts_each_line_break() {
        let lines = ["a:", "  script: x", "  tags: [1]", "  image: {name: 5}", ""];
        let expected = [((3, 10), (3, 11)), ((4, 17), (4, 18))];
        for line_break in ["\n", "\r", "\r\n"] {
            assert_eq!(
                positions(&lines.join(line_break)),
                expected,
                "{line_break:?}"
            );
        }
        let mixed = "a:\r  script: x\r\n  tags: [1]\n  image: {name: 5}\r";
        assert_eq!(positions(mixed), expected);
    }

    #[test]
    fn locate_syntax_error_after_cr() {
        let lf = positions("a:\n  script: x\n  tags: [1\n");
        assert_eq!(lf.len(), 1);
        assert_eq!(positions("a:\r  script: x\r  tags: [1\r"), lf);
        assert_eq!(positions("a:\r\n  script: x\r\n  tags: [1\r\n"), lf);
        assert_eq!(positions("a:\r  script: x\r\n  tags: [1\n"), lf);
    }

    #[test]
    fn did_you_mean_finds_typo() {
        assert_eq!(did_you_mean("scirpt", ["script", "stage"]), Some("script"));
    }

    #[test]
    fn did_you_mean_rejects_unrelated() {
        assert_eq!(did_you_mean("zzz", ["script", "stage"]), None);
    }

    #[test]
    fn did_you_mean_first_of_ties() {
        let candidates = ["deploy: [eu]", "deploy: [us]"];
        assert_eq!(
            did_you_mean("deploy: [xx]", candidates),
            Some("deploy: [eu]")
        );
        let reversed = ["deploy: [us]", "deploy: [eu]"];
        assert_eq!(did_you_mean("deploy: [xx]", reversed), Some("deploy: [us]"));
    }
}
