//! Conversions from the configuration model's types to the inputs of the variable collections.

use indexmap::IndexMap;
use serde::Serialize;

use crate::config::Variable;
use crate::config::keywords::environment::Environment;
use crate::config::keywords::inherit::{Inherit, Inheritance};

use super::input::{InheritVariables, JobEnvironment, YamlVariable};

impl YamlVariable {
    /// Converts the definition of `name` in a global or job `variables:` block. It is raw when
    /// it has `expand: false`.
    pub fn from_config(name: &str, variable: &Variable) -> Self {
        YamlVariable {
            name: name.to_owned(),
            value: variable.value.clone(),
            raw: variable.expand == Some(false),
            span: Some(variable.span),
        }
    }

    /// Converts every definition of a global or job `variables:` block, in order.
    pub fn from_config_map(variables: &IndexMap<String, Variable>) -> Vec<Self> {
        variables
            .iter()
            .map(|(name, variable)| YamlVariable::from_config(name, variable))
            .collect()
    }

    /// Converts every definition of a plain `variables:` map (of `rules`, `workflow:rules` or a
    /// matrix instance), in order. These are never raw.
    pub fn from_plain_map(variables: &IndexMap<String, String>) -> Vec<Self> {
        variables
            .iter()
            .map(|(name, value)| YamlVariable::new(name, value))
            .collect()
    }
}

impl From<&Inheritance> for InheritVariables {
    fn from(inheritance: &Inheritance) -> Self {
        match inheritance {
            Inheritance::All(true) => InheritVariables::All,
            Inheritance::All(false) => InheritVariables::None,
            Inheritance::Only(names) => InheritVariables::Only(names.clone()),
        }
    }
}

impl From<&Inherit> for InheritVariables {
    /// `inherit:variables`; all variables when the job's `inherit:` does not set it.
    fn from(inherit: &Inherit) -> Self {
        inherit
            .variables
            .as_ref()
            .map_or(InheritVariables::All, InheritVariables::from)
    }
}

impl From<&Environment> for JobEnvironment {
    fn from(environment: &Environment) -> Self {
        JobEnvironment {
            name: environment.name.clone(),
            action: keyword_name(&environment.action()).unwrap_or_else(|| "start".to_owned()),
            url: environment.url.clone(),
            deployment_tier: environment.deployment_tier.as_ref().and_then(keyword_name),
        }
    }
}

/// Returns the keyword an enum serializes to (`production`, `stop`).
fn keyword_name(value: &impl Serialize) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Some(name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keywords::environment::{DeploymentTier, EnvironmentAction};
    use crate::source::Span;

    #[test]
    fn config_variable_raw_flag() {
        let mut variables = IndexMap::new();
        variables.insert("A".to_owned(), Variable::plain("1", Span::default()));
        let mut raw = Variable::plain("$A", Span::default());
        raw.expand = Some(false);
        variables.insert("R".to_owned(), raw);
        let converted = YamlVariable::from_config_map(&variables);
        let flags: Vec<(&str, bool)> = converted.iter().map(|v| (v.name.as_str(), v.raw)).collect();
        assert_eq!(flags, [("A", false), ("R", true)]);
    }

    #[test]
    fn inheritance_forms() {
        let cases = [
            (Inheritance::All(true), InheritVariables::All),
            (Inheritance::All(false), InheritVariables::None),
            (
                Inheritance::Only(vec!["A".to_owned()]),
                InheritVariables::Only(vec!["A".to_owned()]),
            ),
        ];
        for (inheritance, expected) in cases {
            assert_eq!(InheritVariables::from(&inheritance), expected);
        }
        assert_eq!(
            InheritVariables::from(&Inherit::default()),
            InheritVariables::All
        );
    }

    #[test]
    fn environment_keywords() {
        let environment = Environment {
            name: "production".to_owned(),
            url: Some("https://example.com".to_owned()),
            on_stop: None,
            action: Some(EnvironmentAction::Stop),
            auto_stop_in: None,
            kubernetes: None,
            deployment_tier: Some(DeploymentTier::Staging),
        };
        let converted = JobEnvironment::from(&environment);
        assert_eq!(converted.action, "stop");
        assert_eq!(converted.deployment_tier.as_deref(), Some("staging"));
        assert_eq!(converted.url.as_deref(), Some("https://example.com"));
    }
}
