//! The variables a trigger job passes to the downstream pipeline it creates (`trigger:forward`).

use serde::{Deserialize, Serialize};

use crate::context::SettingsVariable;

use super::expand::{expand_keeping_files, reference_names};
use super::list::{ResolvedVariable, VariableList, VariableSource};

/// `trigger:forward`: which variables a trigger job passes downstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Forward {
    /// Pass the trigger job's YAML variables (top-level, workflow rule, job and rule
    /// variables). Default `true`.
    pub yaml_variables: bool,
    /// Pass the upstream pipeline's pipeline, schedule and `dotenv` variables. Default `false`.
    pub pipeline_variables: bool,
}

impl Default for Forward {
    fn default() -> Self {
        Forward {
            yaml_variables: true,
            pipeline_variables: false,
        }
    }
}

/// The variables a trigger job with `forward` passes downstream, where they become pipeline
/// variables (the highest precedence) of the downstream pipeline's context.
///
/// `bridge` is the trigger job's variable list ([`super::job_variables`] with
/// `JobSpec::bridge`). As GitLab's `Downstream::Generator` does, the YAML variables come first,
/// then the `dotenv`, pipeline and schedule variables when `forward.pipeline_variables` is set.
/// A later definition of a name replaces an earlier one. A raw variable is passed as written
/// and stays raw. Any other value is expanded once against the trigger job's variables, with
/// undefined references empty and references to file variables kept; each referenced file
/// variable is passed along as a file variable, so the downstream jobs resolve the reference.
/// Variables passed this way are not passed further by the downstream pipeline's own trigger
/// jobs unless those set `forward:pipeline_variables`.
pub fn downstream_variables(bridge: &VariableList, forward: Forward) -> Vec<SettingsVariable> {
    let mut passed: Vec<SettingsVariable> = Vec::new();
    if forward.yaml_variables {
        let yaml = bridge.iter().filter(|variable| variable.source.is_yaml());
        for variable in yaml {
            passed.extend(generate(variable, bridge));
        }
    }
    if forward.pipeline_variables {
        let groups = [
            VariableSource::Dotenv,
            VariableSource::Pipeline,
            VariableSource::Schedule,
        ];
        for source in groups {
            for variable in bridge.iter().filter(|variable| variable.source == source) {
                passed.extend(generate(variable, bridge));
            }
        }
    }
    keep_last_of_each_name(passed)
}

/// Converts one upstream variable into what goes downstream: the variable and the file
/// variables it references.
fn generate(variable: &ResolvedVariable, bridge: &VariableList) -> Vec<SettingsVariable> {
    if variable.raw {
        return vec![SettingsVariable {
            raw: true,
            ..SettingsVariable::new(variable.name.as_str(), &variable.value)
        }];
    }
    let mut out = vec![SettingsVariable::new(
        variable.name.as_str(),
        expand_keeping_files(&variable.value, bridge),
    )];
    for name in reference_names(&variable.value) {
        if let Some(file) = bridge.get(name).filter(|referenced| referenced.file) {
            out.push(SettingsVariable {
                file: true,
                ..SettingsVariable::new(file.name.as_str(), &file.value)
            });
        }
    }
    out
}

/// GitLab's `reverse.uniq { key }.reverse`: the last definition of each name, in the order of
/// those last definitions.
fn keep_last_of_each_name(variables: Vec<SettingsVariable>) -> Vec<SettingsVariable> {
    let mut kept: Vec<SettingsVariable> = Vec::with_capacity(variables.len());
    for variable in variables.into_iter().rev() {
        if !kept.iter().any(|existing| existing.key == variable.key) {
            kept.push(variable);
        }
    }
    kept.reverse();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bridge() -> VariableList {
        let mut list = VariableList::new();
        list.push_value("CI_COMMIT_REF_NAME", "main", VariableSource::Predefined);
        list.push_value("G", "global", VariableSource::GlobalYaml);
        list.push_value(
            "J",
            "ref=$CI_COMMIT_REF_NAME $$ %%",
            VariableSource::JobYaml,
        );
        list.push(ResolvedVariable {
            raw: true,
            ..ResolvedVariable::new("RAW", "$G", VariableSource::JobYaml)
        });
        list.push_value("P", "pipeline", VariableSource::Pipeline);
        list.push_value("S", "schedule", VariableSource::Schedule);
        list.push_value("D", "dotenv", VariableSource::Dotenv);
        list.push_value("PRJ", "project", VariableSource::Project);
        list
    }

    fn keys(variables: &[SettingsVariable]) -> Vec<&str> {
        variables.iter().map(|v| v.key.as_str()).collect()
    }

    #[test]
    fn default_forwards_yaml_only() {
        let passed = downstream_variables(&bridge(), Forward::default());
        assert_eq!(keys(&passed), ["G", "J", "RAW"]);
        let j = passed.iter().find(|v| v.key == "J").unwrap();
        assert_eq!(j.value, "ref=main $$ %%");
        let raw = passed.iter().find(|v| v.key == "RAW").unwrap();
        assert_eq!(raw.value, "$G");
        assert!(raw.raw);
    }

    #[test]
    fn pipeline_variables_forwarded_on_request() {
        let forward = Forward {
            yaml_variables: false,
            pipeline_variables: true,
        };
        let passed = downstream_variables(&bridge(), forward);
        assert_eq!(keys(&passed), ["D", "P", "S"]);
    }

    #[test]
    fn later_group_wins() {
        let mut list = bridge();
        list.push_value("G", "from pipeline", VariableSource::Pipeline);
        let forward = Forward {
            yaml_variables: true,
            pipeline_variables: true,
        };
        let passed = downstream_variables(&list, forward);
        let g: Vec<&str> = passed
            .iter()
            .filter(|v| v.key == "G")
            .map(|v| v.value.as_str())
            .collect();
        assert_eq!(g, ["from pipeline"]);
    }

    #[test]
    fn file_reference_passed_as_file() {
        let mut list = VariableList::new();
        list.push(ResolvedVariable {
            file: true,
            ..ResolvedVariable::new("CERT", "pem", VariableSource::Project)
        });
        list.push_value("OPTS", "--cert=$CERT", VariableSource::JobYaml);
        let passed = downstream_variables(&list, Forward::default());
        assert_eq!(keys(&passed), ["OPTS", "CERT"]);
        assert_eq!(
            passed.first().map(|v| v.value.as_str()),
            Some("--cert=$CERT")
        );
        assert!(passed.get(1).is_some_and(|v| v.file && v.value == "pem"));
    }
}
