//! The ordered variable list GitLab builds for a pipeline or a job, and its entries.

use crate::hash::HashMap;
use std::fmt;

use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};

use compact_str::CompactString;

use crate::expr;
use crate::source::Span;

/// Origin of a variable definition.
///
/// The variants are listed from the lowest to the highest precedence that GitLab documents.
/// Which definition wins is decided by its position in a [`VariableList`] (later wins), and the
/// list follows GitLab's code order. The two orders differ in one place: `GITLAB_USER_*`
/// ([`VariableSource::Predefined`]) come after the YAML variables in the code, so YAML cannot
/// override them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariableSource {
    /// A predefined variable (`CI_*`, `GITLAB_*`, `CHAT_*`, ...).
    Predefined,
    /// A variable of a deployment integration, such as a Kubernetes cluster's `KUBECONFIG`.
    Deployment,
    /// Top-level YAML `variables:`.
    GlobalYaml,
    /// `variables:` of the matched `workflow:rules` entry, merged over the top-level ones.
    WorkflowRules,
    /// The job's YAML `variables:`.
    JobYaml,
    /// A `parallel:matrix` value of this job instance.
    Matrix,
    /// `variables:` of the job's matched `rules` entry.
    Rules,
    /// A `dotenv` report of a job this job depends on.
    Dotenv,
    /// An instance-level CI/CD variable.
    Instance,
    /// A group-level CI/CD variable.
    Group,
    /// A project-level CI/CD variable.
    Project,
    /// A pipeline variable: from **Run pipeline**, the API, a trigger token, or an upstream
    /// `trigger` job.
    Pipeline,
    /// A variable of the pipeline schedule.
    Schedule,
    /// A variable entered when a manual job was run.
    ManualJob,
}

impl VariableSource {
    /// Returns whether the variable comes from the configuration files.
    pub fn is_yaml(self) -> bool {
        matches!(
            self,
            VariableSource::GlobalYaml
                | VariableSource::WorkflowRules
                | VariableSource::JobYaml
                | VariableSource::Matrix
                | VariableSource::Rules
        )
    }
}

/// One variable definition in a [`VariableList`].
///
/// `Debug` and `Serialize` print a masked value as `[MASKED]`, so a masked value never reaches
/// output through them; read [`ResolvedVariable::value`] to use it.
#[derive(Clone, PartialEq, Eq)]
pub struct ResolvedVariable {
    /// Variable name. A predefined variable's name refers to a static string, so copies of it
    /// allocate nothing.
    pub name: CompactString,
    /// Value. For a file variable this is the file's content: the runner writes it to a file
    /// and gives the job the file's path instead.
    pub value: String,
    /// Origin of the definition.
    pub source: VariableSource,
    /// Whether the value is masked in job logs.
    pub masked: bool,
    /// Whether the value is raw: used as written, never expanded (`expand: false`).
    pub raw: bool,
    /// Whether the variable is of type file.
    pub file: bool,
    /// Whether the definition is a protected CI/CD variable, which GitLab passes only to
    /// pipelines of protected refs.
    pub protected: bool,
    /// Location of a YAML definition in the configuration.
    pub span: Option<Span>,
    /// Environment scope of a project, group or deployment variable, when it is not `*`
    /// (every environment).
    pub environment_scope: Option<CompactString>,
    /// Full path of the group that defines a group variable, such as `top/sub`.
    pub group: Option<CompactString>,
}

/// Placeholder that [`ResolvedVariable::display_value`] shows in place of a masked value.
pub const MASKED: &str = "[MASKED]";

impl ResolvedVariable {
    /// Creates a plain variable: not masked, not raw, not a file, not protected.
    pub fn new(
        name: impl Into<CompactString>,
        value: impl Into<String>,
        source: VariableSource,
    ) -> Self {
        ResolvedVariable {
            name: name.into(),
            value: value.into(),
            source,
            masked: false,
            raw: false,
            file: false,
            protected: false,
            span: None,
            environment_scope: None,
            group: None,
        }
    }

    /// Returns the value to show: `[MASKED]` for a masked variable, the value otherwise.
    pub fn display_value(&self) -> &str {
        if self.masked { MASKED } else { &self.value }
    }
}

impl fmt::Debug for ResolvedVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedVariable")
            .field("name", &self.name)
            .field("value", &self.display_value())
            .field("source", &self.source)
            .field("masked", &self.masked)
            .field("raw", &self.raw)
            .field("file", &self.file)
            .field("protected", &self.protected)
            .finish()
    }
}

impl Serialize for ResolvedVariable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("ResolvedVariable", 6)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("value", self.display_value())?;
        out.serialize_field("source", &self.source)?;
        out.serialize_field("masked", &self.masked)?;
        out.serialize_field("raw", &self.raw)?;
        out.serialize_field("file", &self.file)?;
        out.end()
    }
}

/// An ordered list of variable definitions, as GitLab's `Variables::Collection` keeps them.
///
/// A name may be defined more than once; the last definition wins, both for lookups here and
/// for the runner, which receives the whole list. Lookups by name take constant time in a
/// long list. A short list, such as the few definitions a job's expansion works on, is
/// searched from the end, because copying every name into an index costs more.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct VariableList {
    entries: Vec<ResolvedVariable>,
    /// Position of the last definition of each name, once the list is longer than
    /// [`SHORT_LIST`]; empty before.
    last: HashMap<CompactString, usize>,
}

/// Lists up to this length have no name index.
const SHORT_LIST: usize = 16;

impl VariableList {
    /// Creates an empty list.
    pub fn new() -> Self {
        VariableList::default()
    }

    /// Appends a definition; it overrides earlier definitions of the same name.
    pub fn push(&mut self, variable: ResolvedVariable) {
        let position = self.entries.len();
        if position == SHORT_LIST {
            self.last = self
                .entries
                .iter()
                .enumerate()
                .map(|(position, variable)| (variable.name.clone(), position))
                .collect();
        }
        if position >= SHORT_LIST {
            self.last.insert(variable.name.clone(), position);
        }
        self.entries.push(variable);
    }

    /// Appends a plain definition.
    pub fn push_value(
        &mut self,
        name: impl Into<CompactString>,
        value: impl Into<String>,
        source: VariableSource,
    ) {
        self.push(ResolvedVariable::new(name, value, source));
    }

    /// Returns the winning (last) definition of `name`.
    pub fn get(&self, name: &str) -> Option<&ResolvedVariable> {
        if self.entries.len() > SHORT_LIST {
            return self
                .last
                .get(name)
                .and_then(|&index| self.entries.get(index));
        }
        self.entries
            .iter()
            .rev()
            .find(|variable| variable.name == name)
    }

    /// Returns the winning value of `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(|variable| variable.value.as_str())
    }

    /// Returns whether `name` is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Iterates over every definition of `name`, first to last.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ResolvedVariable> + 'a {
        self.entries
            .iter()
            .filter(move |variable| variable.name == name)
    }

    /// Iterates over every definition in order.
    pub fn iter(&self) -> std::slice::Iter<'_, ResolvedVariable> {
        self.entries.iter()
    }

    /// Returns the definitions as a slice.
    pub fn as_slice(&self) -> &[ResolvedVariable] {
        &self.entries
    }

    /// Returns the number of definitions, overridden ones included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Returns whether the list has no definition.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Returns the winning definition of each name, in the order the names first appear.
    pub fn effective(&self) -> Vec<&ResolvedVariable> {
        let mut seen = HashMap::with_capacity_and_hasher(
            self.entries.len(),
            foldhash::fast::RandomState::default(),
        );
        self.entries
            .iter()
            .filter(|variable| seen.insert(variable.name.as_str(), ()).is_none())
            .filter_map(|variable| self.get(&variable.name))
            .collect()
    }

    /// Copies the definitions into `(name, value)` pairs in order, the form the include phase
    /// takes.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        self.entries
            .iter()
            .map(|variable| (variable.name.as_str().to_owned(), variable.value.clone()))
            .collect()
    }

    /// Names whose winning definition is masked, once each, in list order: what the include
    /// phase needs besides [`VariableList::to_pairs`].
    pub fn masked_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for variable in &self.entries {
            let masked = self.get(&variable.name).is_some_and(|winner| winner.masked);
            if masked && !names.iter().any(|name| *name == variable.name) {
                names.push(variable.name.as_str().to_owned());
            }
        }
        names
    }

    /// Returns whether each definition is raw, in the order [`VariableList::to_pairs`] lists
    /// the definitions.
    pub fn raw_flags(&self) -> Vec<bool> {
        self.entries.iter().map(|variable| variable.raw).collect()
    }

    /// Keeps the definitions for which `keep` returns `true`.
    pub fn retain(&mut self, mut keep: impl FnMut(&ResolvedVariable) -> bool) {
        let entries = std::mem::take(&mut self.entries);
        self.last.clear();
        for variable in entries {
            if keep(&variable) {
                self.push(variable);
            }
        }
    }
}

impl fmt::Debug for VariableList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.entries).finish()
    }
}

impl Serialize for VariableList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_seq(Some(self.entries.len()))?;
        for variable in &self.entries {
            out.serialize_element(variable)?;
        }
        out.end()
    }
}

impl FromIterator<ResolvedVariable> for VariableList {
    fn from_iter<I: IntoIterator<Item = ResolvedVariable>>(iter: I) -> Self {
        let mut list = VariableList::new();
        list.extend(iter);
        list
    }
}

impl Extend<ResolvedVariable> for VariableList {
    fn extend<I: IntoIterator<Item = ResolvedVariable>>(&mut self, iter: I) {
        for variable in iter {
            self.push(variable);
        }
    }
}

impl IntoIterator for VariableList {
    type Item = ResolvedVariable;
    type IntoIter = std::vec::IntoIter<ResolvedVariable>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a VariableList {
    type Item = &'a ResolvedVariable;
    type IntoIter = std::slice::Iter<'a, ResolvedVariable>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

/// Expressions read the winning value of each name, as GitLab's rules do.
impl expr::Variables for VariableList {
    fn get(&self, name: &str) -> Option<&str> {
        self.value(name)
    }

    fn get_expanded(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        let value = self.value(name)?;
        if !value.contains(['$', '%']) {
            return Some(std::borrow::Cow::Borrowed(value));
        }
        let expanded = super::sort_and_expand_all(self, super::ExpandOptions::GITLAB);
        let value = expanded.variables.value(name).map(str::to_owned);
        value.map(std::borrow::Cow::Owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> VariableList {
        let mut list = VariableList::new();
        list.push_value("A", "1", VariableSource::Predefined);
        list.push_value("B", "2", VariableSource::GlobalYaml);
        list.push_value("A", "3", VariableSource::Project);
        list
    }

    #[test]
    fn get_expanded_resolves_nested_references() {
        let mut list = list();
        list.push_value("DIR", "$A/$NOPE/${B}", VariableSource::GlobalYaml);
        let expanded = |name| expr::Variables::get_expanded(&list, name).map(|v| v.into_owned());
        assert_eq!(expanded("DIR").as_deref(), Some("3//2"));
        assert_eq!(expanded("A").as_deref(), Some("3"));
        assert_eq!(expanded("NOPE"), None);
        assert_eq!(expr::Variables::get(&list, "DIR"), Some("$A/$NOPE/${B}"));
    }

    #[test]
    fn raw_flags_follow_each_definition() {
        let mut list = VariableList::new();
        let mut raw = ResolvedVariable::new("A", "$B", VariableSource::Project);
        raw.raw = true;
        list.push(raw.clone());
        list.push_value("A", "$B", VariableSource::Pipeline);
        raw.name = "C".into();
        list.push(raw);
        assert_eq!(list.raw_flags(), [true, false, true]);
    }

    #[test]
    fn long_list_last_definition_wins() {
        let mut list = VariableList::new();
        for index in 0..40 {
            list.push_value(
                format!("V{}", index % 20),
                index.to_string(),
                VariableSource::Project,
            );
            let expected = index.to_string();
            assert_eq!(
                list.value(&format!("V{}", index % 20)),
                Some(expected.as_str()),
                "{index}"
            );
        }
        assert_eq!(list.value("V3"), Some("23"));
        assert!(!list.contains("V20"));
        list.retain(|variable| variable.value != "23");
        assert_eq!(list.value("V3"), Some("3"));
    }

    #[test]
    fn list_last_definition_wins() {
        let list = list();
        assert_eq!(list.value("A"), Some("3"));
        assert_eq!(
            list.get("A").map(|v| v.source),
            Some(VariableSource::Project)
        );
        assert_eq!(list.value("C"), None);
        assert_eq!(list.all("A").count(), 2);
    }

    #[test]
    fn list_effective_keeps_first_position() {
        let list = list();
        let effective: Vec<(&str, &str)> = list
            .effective()
            .into_iter()
            .map(|v| (v.name.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(effective, [("A", "3"), ("B", "2")]);
    }

    #[test]
    fn list_retain_reindexes() {
        let mut list = list();
        list.retain(|v| v.source != VariableSource::Project);
        assert_eq!(list.value("A"), Some("1"));
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn list_feeds_expressions() {
        let rule = expr::parse("$A == \"3\" && $B").unwrap();
        assert!(rule.truthy(&list()));
    }

    #[test]
    fn masked_value_hidden() {
        let variable = ResolvedVariable {
            masked: true,
            ..ResolvedVariable::new("TOKEN", "s3cr3t-value", VariableSource::Project)
        };
        assert_eq!(variable.display_value(), "[MASKED]");
        let debug = format!("{variable:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        let json = serde_json::to_string(&variable).unwrap();
        assert!(!json.contains("s3cr3t"), "{json}");
        assert!(json.contains("\"value\":\"[MASKED]\""), "{json}");
    }

    #[test]
    fn unmasked_value_shown() {
        let variable = ResolvedVariable::new("A", "plain", VariableSource::GlobalYaml);
        assert_eq!(variable.display_value(), "plain");
        let json = serde_json::to_string(&variable).unwrap();
        assert_eq!(
            json,
            r#"{"name":"A","value":"plain","source":"global_yaml","masked":false,"raw":false,"file":false}"#
        );
    }
}
