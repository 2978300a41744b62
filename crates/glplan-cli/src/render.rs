//! Rendering diagnostics: rustc-style text through `codespan-reporting`, or JSON.
//!
//! Messages, labels, help lines, file names and source lines quote the configuration, so the
//! text renderer escapes their control characters as [`crate::terminal`] describes.

mod excerpt;

use std::io::{self, Write};

use codespan_reporting::diagnostic::{
    Diagnostic as Report, Label as ReportLabel, LabelStyle, Severity as ReportSeverity,
};
use codespan_reporting::term::{self, GeneralWriteResult, WriteStyle};
use glplan::diagnostic::LocatedDiagnostic;
use glplan::pipeline::PlanDiagnostic;
use glplan::{Diagnostic, Diagnostics, Severity, SourceMap, Span};

use crate::children::Child;
use crate::terminal::escape;

/// Turns the names that the resolver gives files (repository paths) into the names shown to
/// the user (paths relative to the current directory).
pub type DisplayName<'a> = &'a dyn Fn(&str) -> String;

/// Writes every diagnostic as rustc-style text: the header with severity, code and message,
/// `file:line:col`, the source lines with the primary and secondary labels, then the help line.
/// Writes ANSI colors when `color` is true.
pub fn write_human(
    out: &mut dyn Write,
    diagnostics: &Diagnostics,
    sources: &SourceMap,
    display: DisplayName<'_>,
    color: bool,
) -> io::Result<()> {
    let reports = diagnostics
        .iter()
        .map(|diagnostic| to_report(diagnostic, sources));
    emit(out, sources, display, reports, color)
}

/// Writes the diagnostics of pipeline planning like [`write_human`] does, with the job a
/// diagnostic is about added to its message.
pub fn write_plan_human(
    out: &mut dyn Write,
    diagnostics: &[&PlanDiagnostic],
    sources: &SourceMap,
    display: DisplayName<'_>,
    color: bool,
) -> io::Result<()> {
    let reports = diagnostics
        .iter()
        .map(|diagnostic| plan_report(diagnostic, sources));
    emit(out, sources, display, reports, color)
}

/// Writes each report, with long source lines cut to a window around their labels.
fn emit(
    out: &mut dyn Write,
    sources: &SourceMap,
    display: DisplayName<'_>,
    reports: impl Iterator<Item = Report<usize>>,
    color: bool,
) -> io::Result<()> {
    let config = term::Config::default();
    let names: Vec<String> = sources
        .files()
        .map(|(_, file)| escape(&display(&file.name)).into_owned())
        .collect();
    let lines = excerpt::LineStarts::new(sources);
    for report in reports {
        let (files, report) = excerpt::excerpt(report, &lines, &names);
        let result = if color {
            term::emit_to_write_style(&mut AnsiWriter(&mut *out), &config, &files, &report)
        } else {
            term::emit_to_io_write(&mut *out, &config, &files, &report)
        };
        match result {
            Ok(()) => {}
            // Keeping the kind lets a closed pipe end the output quietly.
            Err(codespan_reporting::files::Error::Io(error)) => return Err(error),
            // Spans are clamped before reports are built, so this does not happen.
            Err(error) => return Err(io::Error::other(error.to_string())),
        }
    }
    Ok(())
}

/// Returns the diagnostics of child configurations for [`write_human`], each message
/// followed by the child pipeline it comes from.
pub fn child_diagnostics(children: &[Child<Diagnostic>]) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    for child in children {
        let mut diagnostic = child.diagnostic.clone();
        diagnostic.message = format!("{} ({})", diagnostic.message, child.origin());
        diagnostics.push(diagnostic);
    }
    diagnostics
}

/// Returns the diagnostics of child pipelines for [`write_plan_human`], each message followed
/// by the child pipeline it comes from.
pub fn child_plan_diagnostics(children: &[Child<PlanDiagnostic>]) -> Vec<PlanDiagnostic> {
    children
        .iter()
        .map(|child| {
            let mut diagnostic = child.diagnostic.clone();
            let origin = match diagnostic.job.take() {
                Some(job) if !diagnostic.message.contains(job.as_str()) => {
                    format!("job `{job}` {}", child.origin())
                }
                _ => child.origin(),
            };
            diagnostic.message = format!("{} ({origin})", diagnostic.message);
            diagnostic
        })
        .collect()
}

/// Converts diagnostics to their JSON form, with file names as `display` shows them.
pub fn to_json(
    diagnostics: &Diagnostics,
    sources: &SourceMap,
    display: DisplayName<'_>,
) -> Vec<LocatedDiagnostic> {
    diagnostics
        .iter()
        .map(|d| to_located(d, sources, display))
        .collect()
}

/// Converts one diagnostic to its JSON form, with file names as `display` shows them.
pub fn to_located(
    diagnostic: &Diagnostic,
    sources: &SourceMap,
    display: DisplayName<'_>,
) -> LocatedDiagnostic {
    let mut located = diagnostic.locate(sources);
    if let Some(location) = &mut located.location {
        location.file = display(&location.file);
    }
    for label in &mut located.labels {
        label.location.file = display(&label.location.file);
    }
    located
}

/// Writes the closing line of a human-readable report, such as
/// `.gitlab-ci.yml: 2 errors, 1 warning`.
pub fn write_summary(
    out: &mut dyn Write,
    entry: &str,
    diagnostics: &Diagnostics,
) -> io::Result<()> {
    let errors = diagnostics.error_count();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    write_counts(out, entry, errors, warnings)
}

/// Writes the closing line of a human-readable report from counts, for output that joins the
/// configuration's diagnostics with the pipeline's.
pub fn write_counts(
    out: &mut dyn Write,
    entry: &str,
    errors: usize,
    warnings: usize,
) -> io::Result<()> {
    writeln!(
        out,
        "{}: {}, {}",
        escape(entry),
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn report_severity(severity: Severity) -> ReportSeverity {
    match severity {
        Severity::Error => ReportSeverity::Error,
        Severity::Warning => ReportSeverity::Warning,
        Severity::Info => ReportSeverity::Note,
    }
}

fn plan_report(diagnostic: &PlanDiagnostic, sources: &SourceMap) -> Report<usize> {
    let mut labels = Vec::new();
    if let Some((file, range)) = diagnostic.span.and_then(|s| clamp(s, sources)) {
        labels.push(ReportLabel::primary(file, range));
    }
    let message = match &diagnostic.job {
        Some(job) if !diagnostic.message.contains(job.as_str()) => {
            format!("{} (job `{job}`)", diagnostic.message)
        }
        _ => diagnostic.message.clone(),
    };
    let notes = diagnostic
        .help
        .iter()
        .map(|help| format!("help: {}", escape(help)))
        .collect();
    Report::new(report_severity(diagnostic.severity))
        .with_code(escape(&diagnostic.code))
        .with_message(escape(&message))
        .with_labels(labels)
        .with_notes(notes)
}

fn to_report(diagnostic: &Diagnostic, sources: &SourceMap) -> Report<usize> {
    let severity = report_severity(diagnostic.severity);
    let mut labels = Vec::new();
    if let Some((file, range)) = diagnostic.span.and_then(|s| clamp(s, sources)) {
        labels.push(ReportLabel::primary(file, range));
    }
    for label in &diagnostic.labels {
        if let Some((file, range)) = clamp(label.span, sources) {
            let message = escape(&label.message);
            labels.push(ReportLabel::secondary(file, range).with_message(message));
        }
    }
    let notes = diagnostic
        .help
        .iter()
        .map(|help| format!("help: {}", escape(help)))
        .collect();
    Report::new(severity)
        .with_code(diagnostic.code)
        .with_message(escape(&diagnostic.message))
        .with_labels(labels)
        .with_notes(notes)
}

/// Returns the span's file index and byte range, moved onto character boundaries and inside the
/// file, or `None` when the span names no loaded file (for example a `--input` value).
fn clamp(span: Span, sources: &SourceMap) -> Option<(usize, std::ops::Range<usize>)> {
    let text = &sources.get(span.file)?.text;
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(span.start as usize);
    let end = floor(span.end as usize).max(start);
    Some((span.file.0 as usize, start..end))
}

/// Colors diagnostics with ANSI escape sequences, in the palette rustc uses.
struct AnsiWriter<'a>(&'a mut dyn Write);

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const BOLD_BLUE: &str = "\x1b[1;34m";
const BLUE: &str = "\x1b[34m";

fn severity_color(severity: ReportSeverity, bold: bool) -> &'static str {
    match (severity, bold) {
        (ReportSeverity::Bug | ReportSeverity::Error, true) => "\x1b[1;31m",
        (ReportSeverity::Bug | ReportSeverity::Error, false) => "\x1b[31m",
        (ReportSeverity::Warning, true) => "\x1b[1;33m",
        (ReportSeverity::Warning, false) => "\x1b[33m",
        (ReportSeverity::Note, true) => "\x1b[1;32m",
        (ReportSeverity::Note, false) => "\x1b[32m",
        (ReportSeverity::Help, true) => "\x1b[1;36m",
        (ReportSeverity::Help, false) => "\x1b[36m",
    }
}

impl Write for AnsiWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl WriteStyle for AnsiWriter<'_> {
    fn set_header(&mut self, severity: ReportSeverity) -> GeneralWriteResult {
        self.0.write_all(severity_color(severity, true).as_bytes())
    }

    fn set_header_message(&mut self) -> GeneralWriteResult {
        self.0.write_all(BOLD.as_bytes())
    }

    fn set_line_number(&mut self) -> GeneralWriteResult {
        self.0.write_all(BOLD_BLUE.as_bytes())
    }

    fn set_note_bullet(&mut self) -> GeneralWriteResult {
        self.0.write_all(BOLD_BLUE.as_bytes())
    }

    fn set_source_border(&mut self) -> GeneralWriteResult {
        self.0.write_all(BOLD_BLUE.as_bytes())
    }

    fn set_label(&mut self, severity: ReportSeverity, style: LabelStyle) -> GeneralWriteResult {
        let color = match style {
            LabelStyle::Primary => severity_color(severity, true),
            LabelStyle::Secondary => BLUE,
        };
        self.0.write_all(color.as_bytes())
    }

    fn reset(&mut self) -> GeneralWriteResult {
        self.0.write_all(RESET.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use std::ops::Range;

    use super::*;
    use glplan::FileId;

    fn sample() -> (SourceMap, Diagnostics) {
        let mut sources = SourceMap::new();
        let file = sources.add(".gitlab-ci.yml", "stages: [build]\njob:\n  stage: tset\n");
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(
            Diagnostic::error("unknown-stage", "job job: chosen stage tset does not exist")
                .with_span(Span::new(file, 30, 34))
                .with_label(Span::new(file, 8, 15), "stages are defined here")
                .with_help("did you mean `test`?"),
        );
        (sources, diagnostics)
    }

    fn render(color: bool) -> String {
        let (sources, diagnostics) = sample();
        let mut out = Vec::new();
        write_human(&mut out, &diagnostics, &sources, &|n| n.to_owned(), color).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn human_has_header_with_code() {
        assert!(render(false).starts_with("error[unknown-stage]: job job: chosen stage tset"));
    }

    #[test]
    fn human_has_file_line_column() {
        let text = render(false);
        assert!(text.contains(".gitlab-ci.yml:3:10"), "{text}");
    }

    #[test]
    fn human_has_snippet_and_label() {
        let text = render(false);
        assert!(text.contains("  stage: tset"), "{text}");
        assert!(text.contains("stages are defined here"), "{text}");
    }

    #[test]
    fn human_has_help() {
        assert!(render(false).contains("= help: did you mean `test`?"));
    }

    #[test]
    fn human_plain_has_no_escapes() {
        assert!(!render(false).contains('\x1b'));
    }

    #[test]
    fn human_color_has_escapes() {
        assert!(render(true).contains("\x1b[1;31merror"));
    }

    #[test]
    fn human_span_outside_file_is_clamped() {
        let mut sources = SourceMap::new();
        let file = sources.add("a.yml", "é: 1\n");
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(Diagnostic::error("x", "bad").with_span(Span::new(file, 1, 99)));
        let mut out = Vec::new();
        write_human(&mut out, &diagnostics, &sources, &|n| n.to_owned(), false).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("a.yml:1:1"));
    }

    #[test]
    fn human_span_of_unknown_file_has_no_snippet() {
        let sources = SourceMap::new();
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(Diagnostic::error("x", "bad input").with_span(Span::new(
            FileId(u32::MAX),
            0,
            1,
        )));
        let mut out = Vec::new();
        write_human(&mut out, &diagnostics, &sources, &|n| n.to_owned(), false).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "error[x]: bad input\n\n");
    }

    /// Renders one diagnostic with a primary span and optional secondary spans on `text`.
    fn render_spans(text: &str, primary: Range<usize>, secondary: &[Range<usize>]) -> String {
        let mut sources = SourceMap::new();
        let file = sources.add("a.json", text);
        let span = |range: &Range<usize>| Span::new(file, range.start as u32, range.end as u32);
        let mut diagnostic = Diagnostic::error("x", "bad").with_span(span(&primary));
        for range in secondary {
            diagnostic = diagnostic.with_label(span(range), "other");
        }
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(diagnostic);
        let mut out = Vec::new();
        write_human(&mut out, &diagnostics, &sources, &|n| n.to_owned(), false).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Terminal width of `text` as codespan measures it for these tests: tabs were already
    /// expanded, CJK ideographs take two columns.
    fn columns(text: &str) -> usize {
        text.chars()
            .map(|ch| {
                if ('\u{4E00}'..='\u{9FFF}').contains(&ch) {
                    2
                } else {
                    1
                }
            })
            .sum()
    }

    /// Returns the source line numbered `line` and the caret line under it, from rendered
    /// output.
    fn source_and_carets(output: &str, line: usize) -> (&str, &str) {
        let prefix = format!("{line} │ ");
        let mut lines = output.lines();
        let source = lines
            .by_ref()
            .find(|l| l.trim_start().starts_with(&prefix))
            .unwrap_or_else(|| panic!("no line {line} in:\n{output}"));
        (source, lines.next().unwrap_or_default())
    }

    /// Asserts that the first caret sits under the first character of `marker` in the source
    /// line, and returns the number of carets.
    fn assert_caret_under(output: &str, line: usize, marker: &str) -> usize {
        let (source, carets) = source_and_carets(output, line);
        let at = source
            .find(marker)
            .unwrap_or_else(|| panic!("no {marker}:\n{output}"));
        let caret = carets
            .find('^')
            .unwrap_or_else(|| panic!("no caret:\n{output}"));
        assert_eq!(
            columns(&source[..at]),
            columns(&carets[..caret]),
            "{output}"
        );
        carets.matches('^').count()
    }

    fn long_line(before: usize, marker: &str, after: usize) -> String {
        format!("{}{marker}{}", "x".repeat(before), "y".repeat(after))
    }

    #[test]
    fn long_line_output_is_bounded() {
        let text = long_line(400_000, "BAD", 400_000);
        let output = render_spans(&text, 400_000..400_003, &[]);
        assert!(output.len() < 1_000, "{} bytes", output.len());
        for line in output.lines() {
            assert!(
                line.chars().count() <= excerpt::MAX_LINE_WIDTH + 8,
                "{line}"
            );
        }
    }

    #[test]
    fn long_line_keeps_exact_header() {
        let text = long_line(400_000, "BAD", 400_000);
        let output = render_spans(&text, 400_000..400_003, &[]);
        assert!(output.contains("a.json:1:400001"), "{output}");
    }

    #[test]
    fn long_line_caret_under_span() {
        let text = long_line(400_000, "BAD", 400_000);
        let output = render_spans(&text, 400_000..400_003, &[]);
        assert_eq!(assert_caret_under(&output, 1, "BAD"), 3);
        let (source, _) = source_and_carets(&output, 1);
        assert!(source.ends_with(excerpt::ELLIPSIS), "{source}");
        assert!(
            source.contains(&format!("│ {}x", excerpt::ELLIPSIS)),
            "{source}"
        );
    }

    #[test]
    fn long_line_span_near_start() {
        let text = long_line(4, "BAD", 10_000);
        let output = render_spans(&text, 4..7, &[]);
        assert!(output.contains("a.json:1:5"), "{output}");
        assert_eq!(assert_caret_under(&output, 1, "BAD"), 3);
        let (source, _) = source_and_carets(&output, 1);
        assert!(source.contains("│ xxxxBAD"), "{source}");
        assert!(source.ends_with(excerpt::ELLIPSIS), "{source}");
    }

    #[test]
    fn long_line_span_near_end() {
        let text = long_line(10_000, "BAD", 2);
        let output = render_spans(&text, 10_000..10_003, &[]);
        assert!(output.contains("a.json:1:10001"), "{output}");
        assert_eq!(assert_caret_under(&output, 1, "BAD"), 3);
        let (source, _) = source_and_carets(&output, 1);
        assert!(source.ends_with("BADyy"), "{source}");
        let shown = source.split_once("│ ").unwrap().1;
        assert_eq!(shown.chars().count(), excerpt::MAX_LINE_WIDTH, "{source}");
    }

    #[test]
    fn long_span_underline_is_bounded() {
        let text = long_line(0, "", 500_000);
        let output = render_spans(&text, 0..500_000, &[]);
        assert!(output.contains("a.json:1:1"), "{output}");
        let (_, carets) = source_and_carets(&output, 1);
        let count = carets.matches('^').count();
        assert!(
            (100..=excerpt::MAX_LINE_WIDTH).contains(&count),
            "{count} carets"
        );
    }

    #[test]
    fn long_line_with_tabs_and_wide_characters() {
        let prefix = "\t漢字\té".repeat(2_000);
        let text = format!("{prefix}BAD{}", "\t字".repeat(2_000));
        let start = prefix.len();
        let output = render_spans(&text, start..start + 3, &[]);
        let column = prefix.chars().count() + 1;
        assert!(output.contains(&format!("a.json:1:{column}")), "{output}");
        assert_eq!(assert_caret_under(&output, 1, "BAD"), 3);
        let (source, _) = source_and_carets(&output, 1);
        assert!(columns(source) <= excerpt::MAX_LINE_WIDTH * 2, "{source}");
    }

    #[test]
    fn multi_line_span_over_long_lines() {
        let first = long_line(50_000, "FROM", 50_000);
        let middle = "m".repeat(50_000);
        let last = long_line(70_000, "TO", 30_000);
        let text = format!("{first}\n{middle}\n{last}\n");
        let start = 50_000;
        let end = first.len() + 1 + middle.len() + 1 + 70_002;
        let output = render_spans(&text, start..end, &[]);
        assert!(output.len() < 2_000, "{} bytes:\n{output}", output.len());
        assert!(output.contains("a.json:1:50001"), "{output}");
        let (source, top) = source_and_carets(&output, 1);
        let at = source.find("FROM").unwrap();
        assert_eq!(
            columns(&source[..at]),
            columns(&top[..top.find('^').unwrap()])
        );
        let (source, _) = source_and_carets(&output, 3);
        assert!(source.contains("TO"), "{source}");
        let bottom = output
            .lines()
            .find(|line| line.contains('╰'))
            .unwrap_or_else(|| panic!("no bottom marker:\n{output}"));
        let at = source.find("TO").unwrap() + "TO".len();
        assert_eq!(
            columns(&source[..at]) - 1,
            columns(&bottom[..bottom.find('^').unwrap()])
        );
    }

    #[test]
    fn secondary_label_far_away_on_long_line() {
        let text = long_line(100_000, "BAD", 100_000);
        let output = render_spans(&text, 100_000..100_003, &[10..12, 190_000..190_005]);
        assert!(output.len() < 2_000, "{} bytes", output.len());
        assert!(output.contains("a.json:1:100001"), "{output}");
        assert_eq!(output.matches("other").count(), 2, "{output}");
        assert_caret_under(&output, 1, "BAD");
    }

    #[test]
    fn short_lines_are_shown_whole() {
        let text = format!("{}\n", long_line(50, "BAD", 50));
        let output = render_spans(&text, 50..53, &[]);
        assert!(
            output.contains(&format!("│ {}", text.trim_end())),
            "{output}"
        );
        assert!(!output.contains(excerpt::ELLIPSIS), "{output}");
    }

    #[test]
    fn cr_line_breaks_shown_as_lines() {
        let cases = [
            ("CR", "a:\r  script: x\r  tags: [1]\r"),
            ("CR LF", "a:\r\n  script: x\r\n  tags: [1]\r\n"),
            ("mixed", "a:\r  script: x\r\n  tags: [1]\n"),
        ];
        for (name, text) in cases {
            let digit = text.find('1').unwrap();
            let up_to_digit = 0..digit;
            let output = render_spans(text, digit..digit + 1, std::slice::from_ref(&up_to_digit));
            assert!(!output.contains('\r'), "{name}: {output:?}");
            assert!(output.contains("a.json:3:10"), "{name}:\n{output}");
            assert_eq!(assert_caret_under(&output, 3, "1"), 1, "{name}");
            let (source, _) = source_and_carets(&output, 2);
            assert!(source.ends_with("│ │   script: x"), "{name}: {source:?}");
        }
    }

    /// Returns the control characters in `output` other than line feeds.
    fn raw_controls(output: &str) -> Vec<char> {
        output
            .chars()
            .filter(|&ch| crate::terminal::needs_escape(ch) && ch != '\n')
            .collect()
    }

    #[test]
    fn control_characters_in_snippet_escaped() {
        let text = "a: \u{1b}[2J BAD \u{7}\u{9b}\u{7f}\u{202e}\n";
        let at = text.find("BAD").unwrap();
        let output = render_spans(text, at..at + 3, &[]);
        assert_eq!(raw_controls(&output), [], "{output:?}");
        let (source, _) = source_and_carets(&output, 1);
        assert!(
            source.ends_with("│ a: \\u{1b}[2J BAD \\u{7}\\u{9b}\\u{7f}\\u{202e}"),
            "{source}"
        );
        assert_eq!(assert_caret_under(&output, 1, "BAD"), 3);
    }

    #[test]
    fn control_character_header_keeps_column() {
        let text = "\u{1b}\u{1b}\u{9b}BAD\n";
        let at = text.find("BAD").unwrap();
        let output = render_spans(text, at..at + 3, &[]);
        assert!(output.contains("a.json:1:4"), "{output}");
        assert_eq!(assert_caret_under(&output, 1, "BAD"), 3);
    }

    #[test]
    fn span_over_control_character_underlines_escape() {
        let text = "key: a\u{1b}b\n";
        let at = text.find('\u{1b}').unwrap();
        let output = render_spans(text, at..at + 1, &[]);
        assert_eq!(raw_controls(&output), [], "{output:?}");
        let carets = assert_caret_under(&output, 1, "\\u{1b}");
        assert_eq!(carets, "\\u{1b}".len(), "{output}");
    }

    #[test]
    fn tab_in_snippet_expanded_not_escaped() {
        let text = "a:\tBAD\n";
        let output = render_spans(text, 3..6, &[]);
        assert!(!output.contains('\t'), "{output:?}");
        assert!(!output.contains("\\t"), "{output:?}");
        assert_eq!(assert_caret_under(&output, 1, "BAD"), 3);
    }

    #[test]
    fn secondary_label_after_control_characters() {
        let text = "\u{7}\u{7}first \u{1b}\u{1b} BAD\n";
        let first = text.find("first").unwrap();
        let at = text.find("BAD").unwrap();
        let label = first..first + 5;
        let output = render_spans(text, at..at + 3, std::slice::from_ref(&label));
        assert_eq!(raw_controls(&output), [], "{output:?}");
        assert_caret_under(&output, 1, "BAD");
        let (source, carets) = source_and_carets(&output, 1);
        let dash = carets.find('-').unwrap_or_else(|| panic!("{output}"));
        let first = source.find("first").unwrap();
        assert_eq!(
            columns(&source[..first]),
            columns(&carets[..dash]),
            "{output}"
        );
    }

    #[test]
    fn long_line_of_control_characters_is_bounded() {
        let filler = "\u{1b}x".repeat(50_000);
        let text = format!("{filler}BAD{filler}");
        let start = filler.len();
        let output = render_spans(&text, start..start + 3, &[]);
        assert_eq!(raw_controls(&output), [], "{output:?}");
        let column = filler.chars().count() + 1;
        assert!(output.contains(&format!("a.json:1:{column}")), "{output}");
        assert_eq!(assert_caret_under(&output, 1, "BAD"), 3);
        for line in output.lines() {
            assert!(
                line.chars().count() <= excerpt::MAX_LINE_WIDTH + 8,
                "{line}"
            );
        }
    }

    /// Generates lines of up to 300 characters, long enough to be cut, made of plain, wide, tab
    /// and escaped characters.
    fn line_with_controls() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let pieces = prop::sample::select(vec![
            "a", "é", "漢", "\t", "\u{0}", "\u{7}", "\u{1b}", "\u{7f}", "\u{9b}", "\u{202e}",
        ]);
        prop::collection::vec(pieces, 0..300).prop_map(|pieces| pieces.concat())
    }

    proptest::proptest! {
        #[test]
        fn carets_under_marker_among_controls(
            before in line_with_controls(),
            after in line_with_controls(),
        ) {
            let text = format!("{before}BAD{after}\n");
            let at = before.len();
            let output = render_spans(&text, at..at + 3, &[]);
            proptest::prop_assert_eq!(raw_controls(&output), Vec::<char>::new());
            let column = before.chars().count() + 1;
            proptest::prop_assert!(output.contains(&format!("a.json:1:{column}")), "{}", output);
            proptest::prop_assert_eq!(assert_caret_under(&output, 1, "BAD"), 3);
        }
    }

    #[test]
    fn messages_and_file_names_escaped() {
        let mut sources = SourceMap::new();
        let file = sources.add("evil\u{1b}[2J.yml", "stages: [a]\njob: {stage: b}\n");
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(
            Diagnostic::error("x", "job `a\u{1b}[2Jb`: bad\nline\r")
                .with_span(Span::new(file, 25, 26))
                .with_label(Span::new(file, 8, 11), "defined\u{7} here")
                .with_help("rename \u{9b}it"),
        );
        let mut out = Vec::new();
        write_human(&mut out, &diagnostics, &sources, &|n| n.to_owned(), false).unwrap();
        write_summary(&mut out, "entry\u{1b}.yml", &diagnostics).unwrap();
        let output = String::from_utf8(out).unwrap();
        assert_eq!(raw_controls(&output), [], "{output:?}");
        assert!(
            output.starts_with("error[x]: job `a\\u{1b}[2Jb`: bad\\nline\\r\n"),
            "{output}"
        );
        assert!(output.contains("evil\\u{1b}[2J.yml:2:14"), "{output}");
        assert!(output.contains("defined\\u{7} here"), "{output}");
        assert!(output.contains("= help: rename \\u{9b}it"), "{output}");
        assert!(
            output.ends_with("entry\\u{1b}.yml: 1 error, 0 warnings\n"),
            "{output}"
        );
    }

    #[test]
    fn plan_message_and_job_escaped() {
        let sources = SourceMap::new();
        let diagnostic = PlanDiagnostic {
            code: "missing-need".to_owned(),
            severity: Severity::Error,
            message: "needs `x\ny`".to_owned(),
            job: Some("j\u{1b}ob".to_owned()),
            location: None,
            help: Some("remove \u{7}it".to_owned()),
            span: None,
        };
        let mut out = Vec::new();
        write_plan_human(&mut out, &[&diagnostic], &sources, &|n| n.to_owned(), false).unwrap();
        let output = String::from_utf8(out).unwrap();
        assert_eq!(raw_controls(&output), [], "{output:?}");
        assert!(
            output.contains("needs `x\\ny` (job `j\\u{1b}ob`)"),
            "{output}"
        );
        assert!(output.contains("= help: remove \\u{7}it"), "{output}");
    }

    #[test]
    fn json_renames_files() {
        let (sources, diagnostics) = sample();
        let json = to_json(&diagnostics, &sources, &|n| format!("repo/{n}"));
        let location = json[0].location.as_ref().unwrap();
        assert_eq!(location.file, "repo/.gitlab-ci.yml");
        assert_eq!(json[0].labels[0].location.file, "repo/.gitlab-ci.yml");
    }

    #[test]
    fn summary_counts() {
        let (_, diagnostics) = sample();
        let mut out = Vec::new();
        write_summary(&mut out, ".gitlab-ci.yml", &diagnostics).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            ".gitlab-ci.yml: 1 error, 0 warnings\n"
        );
    }
}
