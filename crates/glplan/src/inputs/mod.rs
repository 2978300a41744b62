//! `spec:inputs` and `$[[ inputs.x ]]` interpolation, as GitLab applies them to each file when
//! it loads it.
//!
//! A file is interpolated only when it has a header document (`spec:` followed by `---`).
//! GitLab then validates the header, checks the given inputs against it, and replaces every
//! `$[[ ... ]]` block in the body's strings, mapping keys included. A file without a header
//! keeps `$[[ ... ]]` as literal text, and passing inputs to it is an error. GitLab reports at
//! most three problems of one file, joined with `, `. An input's `rules`, which choose its
//! options and default from the other inputs, are described in [`rules`].

mod coerce;
mod functions;
pub(crate) mod ruby;
mod rules;
mod spec;
mod template;
mod values;

use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::source::Span;
use crate::yaml::{Document, Mapping, Node};

/// One problem found while interpolating, with GitLab's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// GitLab's message.
    pub message: String,
    /// Location of the problem, when known.
    pub span: Option<Span>,
}

/// Failure to interpolate a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InterpolationError {
    /// Stable diagnostic code for the kind of failure.
    pub code: &'static str,
    /// Every problem, in GitLab's order.
    pub problems: Vec<Problem>,
    /// How to fix the first problem, when glplan has more to say than GitLab's message.
    pub help: Option<String>,
}

/// The origin of a file's input arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArgumentSource {
    /// The `include:inputs` of the include that loads the file, written in the including file.
    Include,
    /// The pipeline inputs of the entry file, which come from no file.
    Pipeline,
}

/// The options that set pipeline inputs, named in help lines about them.
const PIPELINE_INPUTS_ORIGIN: &str = "`--input` on the command line, `inputs` in the wasm package";

/// How many problems GitLab joins into one interpolation error.
const MAX_REPORTED_PROBLEMS: usize = 3;

impl InterpolationError {
    fn new(code: &'static str, problems: Vec<Problem>) -> Self {
        InterpolationError {
            code,
            problems,
            help: None,
        }
    }

    fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// Converts the error into one diagnostic at the first problem's location.
    pub(crate) fn into_diagnostic(self) -> Diagnostic {
        let mut diagnostic = Diagnostic::error(self.code, self.message());
        if let Some(span) = self.span() {
            diagnostic = diagnostic.with_span(span);
        }
        if let Some(help) = self.help {
            diagnostic = diagnostic.with_help(help);
        }
        diagnostic
    }

    /// GitLab's message: the first three problems joined with `, `.
    pub(crate) fn message(&self) -> String {
        let messages: Vec<&str> = self
            .problems
            .iter()
            .take(MAX_REPORTED_PROBLEMS)
            .map(|problem| problem.message.as_str())
            .collect();
        messages.join(", ")
    }

    /// The location of the first problem that has one.
    pub(crate) fn span(&self) -> Option<Span> {
        self.problems.iter().find_map(|problem| problem.span)
    }
}

/// A successfully interpolated body.
#[derive(Debug, Clone)]
pub(crate) struct Interpolated {
    /// The body after interpolation (unchanged when the file has no header).
    pub body: Node,
    /// Warnings about header keys glplan does not apply.
    pub warnings: Vec<Diagnostic>,
}

/// Interpolates a loaded document with the `include:inputs` of the include that loads it.
///
/// `variables` are the variables `expand_vars` can expand, and `text` is the file's source
/// text, used to point diagnostics at the failing block.
pub(crate) fn interpolate(
    document: Document,
    arguments: Option<&Mapping>,
    variables: &[(String, String)],
    masked: &[String],
    limits: &Limits,
    text: &str,
) -> Result<Interpolated, InterpolationError> {
    let source = ArgumentSource::Include;
    interpolate_from(document, arguments, source, variables, masked, limits, text)
}

/// Interpolates the entry file with the pipeline inputs, as [`interpolate`] does for an
/// included file. The inputs come from no file, so a problem with one points at the entry
/// file's declaration of it, and the diagnostic's help names the option that set the value.
pub(crate) fn interpolate_entry(
    document: Document,
    pipeline_inputs: Option<&Mapping>,
    variables: &[(String, String)],
    masked: &[String],
    limits: &Limits,
    text: &str,
) -> Result<Interpolated, InterpolationError> {
    let source = ArgumentSource::Pipeline;
    interpolate_from(
        document,
        pipeline_inputs,
        source,
        variables,
        masked,
        limits,
        text,
    )
}

fn interpolate_from(
    document: Document,
    arguments: Option<&Mapping>,
    source: ArgumentSource,
    variables: &[(String, String)],
    masked: &[String],
    limits: &Limits,
    text: &str,
) -> Result<Interpolated, InterpolationError> {
    let has_arguments = arguments.is_some_and(|arguments| !arguments.is_empty());
    let Some(header) = document.header else {
        if has_arguments {
            return Err(inputs_without_spec(&document.body, arguments, source));
        }
        return Ok(Interpolated {
            body: document.body,
            warnings: Vec::new(),
        });
    };

    let parsed = spec::parse_header(&header, limits)
        .map_err(|problems| InterpolationError::new("invalid-spec", problems))?;
    let inputs = values::resolve(&parsed.inputs, arguments, source, parsed.inputs_span).map_err(
        |rejection| {
            InterpolationError::new("invalid-inputs", rejection.problems).with_help(rejection.help)
        },
    )?;
    let body = template::interpolate(document.body, &inputs, variables, masked, limits, text)
        .map_err(|problems| InterpolationError::new("interpolation-failed", problems))?;

    Ok(Interpolated {
        body,
        warnings: parsed.warnings,
    })
}

/// GitLab's error for arguments given to a file without a `spec:inputs` header. It points at
/// the first argument when a file contains it, and at the start of the file for pipeline
/// inputs.
fn inputs_without_spec(
    body: &Node,
    arguments: Option<&Mapping>,
    source: ArgumentSource,
) -> InterpolationError {
    let message =
        "Given inputs not defined in the `spec` section of the included configuration file";
    let (span, help) = match source {
        ArgumentSource::Include => {
            let span = arguments
                .and_then(|arguments| arguments.entries().next())
                .map(|(_, entry)| entry.key_span);
            (span, None)
        }
        ArgumentSource::Pipeline => {
            let help = format!(
                "pipeline inputs ({PIPELINE_INPUTS_ORIGIN}) need a header document at the start \
                 of the entry file that declares them under `spec:inputs`, ended by `---`"
            );
            (Some(Span::new(body.span.file, 0, 0)), Some(help))
        }
    };
    let problem = Problem {
        message: message.to_owned(),
        span,
    };
    InterpolationError::new("inputs-without-spec", vec![problem]).with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;
    use crate::yaml::Value;

    fn sp() -> Span {
        Span::default()
    }

    fn s(text: &str) -> Node {
        Node::string(text, sp())
    }

    fn map(pairs: Vec<(&str, Node)>) -> Mapping {
        let mut m = Mapping::new();
        for (k, v) in pairs {
            m.insert(k, sp(), v);
        }
        m
    }

    fn node(pairs: Vec<(&str, Node)>) -> Node {
        Node::new(Value::Map(map(pairs)), sp())
    }

    fn header(inputs: Vec<(&str, Node)>) -> Node {
        node(vec![("spec", node(vec![("inputs", node(inputs))]))])
    }

    /// An entry file declaring a number, a string with a regex and a string with options.
    const ENTRY: &str = "\
spec:
  inputs:
    num:
      type: number
      default: 1
    name:
      default: \"xy\"
      regex: ^[a-z]+$
    env:
      default: dev
      options: [dev, prod]
    needed:
---
job:
  script: echo
";

    /// Returns a span in no loaded file, as the CLI and the wasm package give pipeline inputs.
    fn outside() -> Span {
        Span::new(crate::source::FileId(u32::MAX), 0, 0)
    }

    /// Interpolates `text` as the entry file with pipeline inputs, and returns the sources
    /// and the error's diagnostic.
    fn entry_error(text: &str, given: Vec<(&str, Value)>) -> (SourceMap, Diagnostic) {
        let mut sources = SourceMap::new();
        let file = sources.add(".gitlab-ci.yml", text);
        let document = crate::yaml::load(file, text, &Limits::default(), &mut Default::default())
            .expect("entry loads");
        let mut arguments = Mapping::new();
        for (name, value) in given {
            arguments.insert(name, outside(), Node::new(value, outside()));
        }
        let limits = Limits::default();
        let result = interpolate_entry(document, Some(&arguments), &[], &[], &limits, text);
        let diagnostic = result.expect_err("interpolation fails").into_diagnostic();
        (sources, diagnostic)
    }

    /// Returns the text, line and column a diagnostic's span points at.
    fn pointed(sources: &SourceMap, diagnostic: &Diagnostic) -> (String, u32, u32) {
        let span = diagnostic.span.expect("diagnostic has a span");
        let (_, start, _) = sources.resolve(span).expect("span is in a loaded file");
        (sources.snippet(span).to_owned(), start.line, start.column)
    }

    fn text(value: &str) -> Value {
        Value::String(value.to_owned())
    }

    #[test]
    fn entry_input_errors_point_at_declaration() {
        let needed = ("needed", text("x"));
        let cases = [
            (
                ("num", text("abc")),
                "`num` input: provided value is not a number",
                ("type: number", 4, 7),
            ),
            (
                ("name", text("ABC")),
                "`name` input: provided value does not match required RegEx pattern",
                ("regex: ^[a-z]+$", 8, 7),
            ),
            (
                ("name", Value::Int(1)),
                "`name` input: provided value does not match required RegEx pattern",
                ("regex: ^[a-z]+$", 8, 7),
            ),
            (
                ("num", Value::Bool(true)),
                "`num` input: provided value is not a number",
                ("type: number", 4, 7),
            ),
            (
                ("env", text("qa")),
                "`env` input: `qa` cannot be used because it is not in the list of allowed options",
                ("options: [dev, prod]", 11, 7),
            ),
            (
                ("nosuch", Value::Int(1)),
                "unknown input arguments: nosuch",
                ("inputs", 2, 3),
            ),
        ];
        for (given, message, (snippet, line, column)) in cases {
            let (sources, diagnostic) = entry_error(ENTRY, vec![given, needed.clone()]);
            assert_eq!(diagnostic.message, message);
            assert_eq!(
                pointed(&sources, &diagnostic),
                (snippet.to_owned(), line, column),
                "{message}"
            );
            let help = diagnostic.help.unwrap_or_default();
            assert!(
                help.contains("`--input` on the command line"),
                "{message}: {help}"
            );
        }
    }

    #[test]
    fn entry_missing_input_has_help() {
        let (sources, diagnostic) = entry_error(ENTRY, vec![]);
        assert_eq!(
            diagnostic.message,
            "`needed` input: required value has not been provided"
        );
        assert_eq!(pointed(&sources, &diagnostic), ("needed".to_owned(), 12, 5));
        let help = diagnostic.help.unwrap_or_default();
        assert!(help.contains("give `needed` a value"), "{help}");
        assert!(help.contains("`--input` on the command line"), "{help}");
    }

    #[test]
    fn entry_default_error_points_at_default() {
        let text_with_bad_default = ENTRY.replace("default: 1", "default: one");
        let needed = ("needed", text("x"));
        let (sources, diagnostic) = entry_error(&text_with_bad_default, vec![needed]);
        assert_eq!(
            diagnostic.message,
            "`num` input: default value is not a number"
        );
        assert_eq!(pointed(&sources, &diagnostic), ("one".to_owned(), 5, 16));
        assert_eq!(diagnostic.help, None);
    }

    #[test]
    fn entry_unknown_input_without_inputs_key() {
        let (sources, diagnostic) = entry_error(
            "spec: {}\n---\njob: {script: x}\n",
            vec![("a", Value::Int(1))],
        );
        assert_eq!(diagnostic.message, "unknown input arguments: a");
        assert_eq!(pointed(&sources, &diagnostic), ("spec".to_owned(), 1, 1));
    }

    #[test]
    fn entry_without_spec_points_at_start() {
        let (sources, diagnostic) = entry_error("job:\n  script: x\n", vec![("a", Value::Int(1))]);
        assert_eq!(diagnostic.code, "inputs-without-spec");
        assert_eq!(
            diagnostic.message,
            "Given inputs not defined in the `spec` section of the included configuration file"
        );
        assert_eq!(pointed(&sources, &diagnostic), (String::new(), 1, 1));
        let help = diagnostic.help.unwrap_or_default();
        assert!(help.contains("`spec:inputs`"), "{help}");
        assert!(help.contains("`--input` on the command line"), "{help}");
    }

    #[test]
    fn include_input_error_points_at_argument() {
        let mut sources = SourceMap::new();
        let including = sources.add("a.yml", "include: {local: t.yml, inputs: {num: abc}}\n");
        let file = sources.add("t.yml", ENTRY);
        let document =
            crate::yaml::load(file, ENTRY, &Limits::default(), &mut Default::default()).unwrap();
        let argument = Node::string("abc", Span::new(including, 38, 41));
        let mut arguments = Mapping::new();
        arguments.insert("num", Span::new(including, 33, 36), argument);
        arguments.insert(
            "needed",
            Span::new(including, 0, 0),
            Node::string("x", sp()),
        );
        let limits = Limits::default();
        let result = interpolate(document, Some(&arguments), &[], &[], &limits, ENTRY);
        let diagnostic = result.unwrap_err().into_diagnostic();
        assert_eq!(pointed(&sources, &diagnostic), ("abc".to_owned(), 1, 39));
        assert_eq!(diagnostic.help, None);
    }

    #[test]
    fn no_header_keeps_blocks() {
        let document = Document {
            header: None,
            body: node(vec![("job", s("$[[ inputs.x ]]"))]),
        };
        let result = interpolate(document, None, &[], &[], &Limits::default(), "").unwrap();
        assert_eq!(
            result.body.get("job").unwrap().as_str(),
            Some("$[[ inputs.x ]]")
        );
    }

    #[test]
    fn no_header_with_empty_arguments_passes() {
        let document = Document {
            header: None,
            body: node(vec![]),
        };
        let empty = Mapping::new();
        assert!(interpolate(document, Some(&empty), &[], &[], &Limits::default(), "").is_ok());
    }

    #[test]
    fn no_header_with_arguments_fails() {
        let document = Document {
            header: None,
            body: node(vec![]),
        };
        let arguments = map(vec![("x", s("1"))]);
        let error =
            interpolate(document, Some(&arguments), &[], &[], &Limits::default(), "").unwrap_err();
        assert_eq!(
            error.message(),
            "Given inputs not defined in the `spec` section of the included configuration file"
        );
    }

    #[test]
    fn header_interpolates_with_defaults() {
        let document = Document {
            header: Some(header(vec![("stage", node(vec![("default", s("test"))]))])),
            body: node(vec![(
                "job",
                node(vec![("stage", s("$[[ inputs.stage ]]"))]),
            )]),
        };
        let result = interpolate(document, None, &[], &[], &Limits::default(), "").unwrap();
        let stage = result.body.get("job").unwrap().get("stage").unwrap();
        assert_eq!(stage.as_str(), Some("test"));
    }

    #[test]
    fn message_joins_first_three() {
        let document = Document {
            header: Some(header(vec![
                ("a", Node::null(sp())),
                ("b", Node::null(sp())),
                ("c", Node::null(sp())),
                ("d", Node::null(sp())),
            ])),
            body: node(vec![]),
        };
        let error = interpolate(document, None, &[], &[], &Limits::default(), "").unwrap_err();
        assert_eq!(
            error.message(),
            "`a` input: required value has not been provided, \
             `b` input: required value has not been provided, \
             `c` input: required value has not been provided"
        );
    }

    #[test]
    fn unknown_arguments_come_first() {
        let document = Document {
            header: Some(header(vec![("a", Node::null(sp()))])),
            body: node(vec![]),
        };
        let arguments = map(vec![("zzz", s("1"))]);
        let error =
            interpolate(document, Some(&arguments), &[], &[], &Limits::default(), "").unwrap_err();
        assert_eq!(
            error.message(),
            "unknown input arguments: zzz, `a` input: required value has not been provided"
        );
    }
}
