//! Job selectors of [`ScheduleOptions`](super::ScheduleOptions) and the durations file: the
//! simulation's name for a job, or the path of whole names that leads to it.

use std::fmt;

use crate::diagnostic::Diagnostics;
use crate::limits::Limits;
use crate::source::FileId;
use crate::yaml::{self, Value};

/// A job that `play`, `fail` or a durations key names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobSelector {
    /// A job name, or a parallel job's base name for all its instances. A child pipeline's job
    /// has the names of the trigger jobs that lead to it in front, each followed by `/`, as in
    /// `deploy/rspec`. Job names may contain `/` themselves, so such a name can select jobs of
    /// several pipelines.
    Name(String),
    /// The names of the trigger jobs from the top pipeline down to the job's pipeline, then the
    /// job's name, as in `["deploy", "rspec"]`. Each item is one whole job name, or a parallel
    /// job's base name for all its instances.
    Path(Vec<String>),
}

impl JobSelector {
    /// Reads a command-line value: a path when it starts with `[`, written as a YAML flow
    /// sequence of job names such as `[deploy, rspec]` or `["deploy", "rspec"]`, else a name.
    /// Returns an error message for a `[` value that is not a non-empty sequence of strings.
    pub fn parse(text: &str) -> Result<JobSelector, String> {
        if !text.starts_with('[') {
            return Ok(JobSelector::Name(text.to_owned()));
        }
        let mut diagnostics = Diagnostics::new();
        let node = yaml::load_data(FileId(0), text, &Limits::default(), &mut diagnostics);
        let first_error = diagnostics.iter().next().map(|d| d.message.clone());
        let items = match (&node.map(|node| node.value), first_error) {
            (_, Some(error)) => {
                return Err(format!(
                    "a value that starts with `[` is a job path: {error}"
                ));
            }
            (Some(Value::Seq(items)), None) => items.clone(),
            _ => {
                return Err(
                    "a value that starts with `[` is a job path, a YAML flow sequence such as \
                     `[deploy, rspec]`, with nothing after its `]`"
                        .to_owned(),
                );
            }
        };
        let mut names = Vec::with_capacity(items.len());
        // Messages count the items from 1, as a reader of the command line does.
        for (number, item) in (1..).zip(items.iter()) {
            match &item.value {
                Value::String(name) => names.push(name.clone()),
                _ => {
                    return Err(format!(
                        "item {number} of the job path is {}, not a job name; quote a name \
                         that YAML reads as another type, as in `[deploy, '1']`",
                        item.type_name()
                    ));
                }
            }
        }
        if names.is_empty() {
            return Err("the job path is empty; name at least the job".to_owned());
        }
        Ok(JobSelector::Path(names))
    }

    /// Returns the selector as a message shows it: the name, or the path as a JSON array.
    pub fn quoted(&self) -> String {
        crate::diagnostic::code_span(&self.to_string())
    }
}

impl fmt::Display for JobSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobSelector::Name(name) => f.write_str(name),
            JobSelector::Path(names) => {
                let items: Vec<String> = names
                    .iter()
                    .map(|name| serde_json::to_string(name).unwrap_or_else(|_| name.clone()))
                    .collect();
                write!(f, "[{}]", items.join(", "))
            }
        }
    }
}

impl From<&str> for JobSelector {
    fn from(name: &str) -> Self {
        JobSelector::Name(name.to_owned())
    }
}

impl From<String> for JobSelector {
    fn from(name: String) -> Self {
        JobSelector::Name(name)
    }
}

/// One level of a job's path: the name of a trigger job above the job, or of the job itself,
/// and its parallel base name when it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PathLevel<'p> {
    pub(crate) name: &'p str,
    pub(crate) base: Option<&'p str>,
}

impl PathLevel<'_> {
    /// Returns whether `name` is the level's name or parallel base name.
    pub(super) fn is_named(&self, name: &str) -> bool {
        self.name == name || self.base == Some(name)
    }
}

/// Returns whether `names`, a path, selects the job whose path is `levels`.
pub(crate) fn path_selects(names: &[String], levels: &[PathLevel<'_>]) -> bool {
    names.len() == levels.len()
        && names
            .iter()
            .zip(levels)
            .all(|(name, level)| level.is_named(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(names: &[&str]) -> JobSelector {
        JobSelector::Path(names.iter().map(|name| (*name).to_owned()).collect())
    }

    #[test]
    fn parse_forms() {
        let cases = [
            ("deploy/rspec", JobSelector::from("deploy/rspec")),
            ("a[1]", JobSelector::from("a[1]")),
            ("[deploy, rspec]", path(&["deploy", "rspec"])),
            ("[\"deploy\",\"rspec\"]", path(&["deploy", "rspec"])),
            ("['a/b', c]", path(&["a/b", "c"])),
            ("[build]", path(&["build"])),
            ("['1', 'true']", path(&["1", "true"])),
        ];
        for (text, expected) in cases {
            assert_eq!(JobSelector::parse(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn parse_rejects_bad_paths() {
        let cases = [
            ("[]", "empty"),
            ("[deploy, 1]", "item 2 of the job path is integer"),
            ("[deploy, [a]]", "item 2 of the job path is array"),
            ("[1, deploy]", "item 1 of the job path is integer"),
            ("[deploy", "job path"),
            ("[a]: b", "job path"),
        ];
        for (text, expected) in cases {
            let error = JobSelector::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn display_quotes_path_items() {
        assert_eq!(path(&["a/b", "c"]).to_string(), "[\"a/b\", \"c\"]");
        assert_eq!(JobSelector::from("a/b").to_string(), "a/b");
    }

    #[test]
    fn path_matches_names_and_bases() {
        let levels = [
            PathLevel {
                name: "deploy: [eu]",
                base: Some("deploy"),
            },
            PathLevel {
                name: "rspec 1/2",
                base: Some("rspec"),
            },
        ];
        let names = |items: &[&str]| -> Vec<String> {
            items.iter().map(|item| (*item).to_owned()).collect()
        };
        assert!(path_selects(&names(&["deploy", "rspec"]), &levels));
        assert!(path_selects(
            &names(&["deploy: [eu]", "rspec 1/2"]),
            &levels
        ));
        assert!(!path_selects(&names(&["deploy: [us]", "rspec"]), &levels));
        assert!(!path_selects(&names(&["rspec"]), &levels));
        assert!(!path_selects(&names(&["deploy/rspec"]), &levels));
    }
}
