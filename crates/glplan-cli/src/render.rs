//! Rendering diagnostics: rustc-style text through `codespan-reporting`, or JSON.

use std::io::{self, Write};

use codespan_reporting::diagnostic::{
    Diagnostic as Report, Label as ReportLabel, LabelStyle, Severity as ReportSeverity,
};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, GeneralWriteResult, WriteStyle};
use glplan::diagnostic::LocatedDiagnostic;
use glplan::pipeline::PlanDiagnostic;
use glplan::{Diagnostic, Diagnostics, Severity, SourceMap, Span};

use crate::children::Child;

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
    let mut files = SimpleFiles::new();
    for (_, file) in sources.files() {
        files.add(display(&file.name), file.text.as_str());
    }
    let reports: Vec<Report<usize>> = diagnostics
        .iter()
        .map(|diagnostic| to_report(diagnostic, sources))
        .collect();
    emit(out, &files, &reports, color)
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
    let mut files = SimpleFiles::new();
    for (_, file) in sources.files() {
        files.add(display(&file.name), file.text.as_str());
    }
    let reports: Vec<Report<usize>> = diagnostics
        .iter()
        .map(|diagnostic| plan_report(diagnostic, sources))
        .collect();
    emit(out, &files, &reports, color)
}

fn emit(
    out: &mut dyn Write,
    files: &SimpleFiles<String, &str>,
    reports: &[Report<usize>],
    color: bool,
) -> io::Result<()> {
    let config = term::Config::default();
    for report in reports {
        let result = if color {
            term::emit_to_write_style(&mut AnsiWriter(&mut *out), &config, files, report)
        } else {
            term::emit_to_io_write(&mut *out, &config, files, report)
        };
        if let Err(error) = result {
            // Spans are clamped before reports are built, so this is an I/O failure on `out`.
            return Err(io::Error::other(error.to_string()));
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
        "{entry}: {}, {}",
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
        .map(|help| format!("help: {help}"))
        .collect();
    Report::new(report_severity(diagnostic.severity))
        .with_code(diagnostic.code.clone())
        .with_message(message)
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
            labels.push(ReportLabel::secondary(file, range).with_message(&label.message));
        }
    }
    let notes = diagnostic
        .help
        .iter()
        .map(|help| format!("help: {help}"))
        .collect();
    Report::new(severity)
        .with_code(diagnostic.code)
        .with_message(&diagnostic.message)
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
