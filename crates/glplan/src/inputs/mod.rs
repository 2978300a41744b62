//! `spec:inputs` and `$[[ inputs.x ]]` interpolation, as GitLab applies them to each file when
//! it loads it.
//!
//! A file is interpolated only when it has a header document (`spec:` followed by `---`).
//! GitLab then validates the header, checks the given inputs against it, and replaces every
//! `$[[ ... ]]` block in the body's strings, mapping keys included. A file without a header
//! keeps `$[[ ... ]]` as literal text, and passing inputs to it is an error. GitLab reports at
//! most three problems of one file, joined with `, `.

mod functions;
pub(crate) mod ruby;
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
}

/// How many problems GitLab joins into one interpolation error.
const MAX_REPORTED_PROBLEMS: usize = 3;

impl InterpolationError {
    fn new(code: &'static str, problems: Vec<Problem>) -> Self {
        InterpolationError { code, problems }
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

/// Interpolates a loaded document with the given input arguments.
///
/// `arguments` are the `include:inputs` of the include that loads the file, or the pipeline
/// inputs for the entry file. `variables` are the variables `expand_vars` can expand, and
/// `text` is the file's source text, used to point diagnostics at the failing block.
pub(crate) fn interpolate(
    document: Document,
    arguments: Option<&Mapping>,
    variables: &[(String, String)],
    masked: &[String],
    limits: &Limits,
    text: &str,
) -> Result<Interpolated, InterpolationError> {
    let has_arguments = arguments.is_some_and(|arguments| !arguments.is_empty());
    let Some(header) = document.header else {
        if has_arguments {
            let span = arguments
                .and_then(|arguments| arguments.entries().next())
                .map(|(_, e)| e.key_span);
            let message =
                "Given inputs not defined in the `spec` section of the included configuration file";
            return Err(InterpolationError::new(
                "inputs-without-spec",
                vec![Problem {
                    message: message.to_owned(),
                    span,
                }],
            ));
        }
        return Ok(Interpolated {
            body: document.body,
            warnings: Vec::new(),
        });
    };

    let parsed = spec::parse_header(&header, limits)
        .map_err(|problems| InterpolationError::new("invalid-spec", problems))?;
    let inputs = values::resolve(&parsed.inputs, arguments)
        .map_err(|problems| InterpolationError::new("invalid-inputs", problems))?;
    let body = template::interpolate(document.body, &inputs, variables, masked, limits, text)
        .map_err(|problems| InterpolationError::new("interpolation-failed", problems))?;

    Ok(Interpolated {
        body,
        warnings: parsed.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
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
