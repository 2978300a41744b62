//! The values of `needs:project` and `needs:pipeline:job` entries as GitLab uses them.
//!
//! GitLab saves these values as written when it creates the pipeline. It expands them when a
//! runner is assigned the job, to find the jobs whose artifacts the job downloads
//! (`Ci::BuildDependencies` and its EE extension in GitLab's source): `project`, `job` and
//! `ref` of `needs:project`, and `pipeline` and `job` of `needs:pipeline:job`. When one of
//! those jobs is missing and the entry downloads artifacts, GitLab fails the job with
//! `missing_dependency_failure` instead of running it.
//!
//! The expansion is `ExpandVariables.expand`: one pass, where an undefined variable becomes
//! empty and a file variable gives its content. The variables are the job's
//! `simple_variables_without_dependencies`. They leave out the variables GitLab stores with the
//! job (`CI_PIPELINE_ID`, `CI_JOB_ID`, ...) and the environment's: `CI_ENVIRONMENT_NAME`,
//! deployment variables, and project and group variables scoped to an environment. The
//! `dotenv` variables are left out too, and so are those given to a manual job when it is
//! played. The runner's `CI_RUNNER_ID`, `CI_RUNNER_DESCRIPTION` and `CI_RUNNER_TAGS` are in,
//! but glplan cannot know which runner takes the job. `pipeline` is read as Ruby's
//! `String#to_i` reads it.
//!
//! The project of a trigger job's `needs:pipeline` (an upstream status mirror) is never
//! expanded.

use compact_str::CompactString;

use crate::diagnostic::Diagnostic;
use crate::variables::{
    Availability, ResolvedVariable, VariableList, VariableSource, expand, predefined_availability,
};

use super::attributes::FinalVariables;
use super::layers::reference_names;
use super::output::{CrossNeed, PlannedJob};
use super::trace::Masker;

/// The variables of the runner that takes the job, which GitLab adds before it expands the
/// values.
const RUNNER_VARIABLES: [&str; 3] = ["CI_RUNNER_ID", "CI_RUNNER_DESCRIPTION", "CI_RUNNER_TAGS"];

/// The predefined variables of the job's environment, which GitLab defines only for an
/// expansion with the environment.
const ENVIRONMENT_VARIABLES: [&str; 4] = [
    "CI_ENVIRONMENT_NAME",
    "CI_ENVIRONMENT_ACTION",
    "CI_ENVIRONMENT_TIER",
    "CI_ENVIRONMENT_URL",
];

/// Sets the `*_expanded` members and `unknown_variables` of each need in `needs`, expanded with
/// the job's `variables`. Masked values in the results are hidden with `masker`.
pub(super) fn expand_cross_needs(
    needs: &mut [CrossNeed],
    variables: &FinalVariables<'_>,
    masker: &Masker,
) {
    let expands = |need: &CrossNeed| {
        need.job.is_some()
            && [&need.project, &need.git_ref, &need.pipeline, &need.job]
                .into_iter()
                .flatten()
                .any(|value| value.contains(['$', '%']))
    };
    if !needs.iter().any(expands) {
        return;
    }
    let list: VariableList = variables
        .list
        .entries()
        .filter(|variable| in_dependency_variables(variable))
        .cloned()
        .collect();
    for need in needs.iter_mut().filter(|need| expands(need)) {
        let mut unknown: Vec<CompactString> = Vec::new();
        let mut expand_one = |value: &Option<CompactString>| {
            let value = value.as_deref()?;
            let missing: Vec<&str> = reference_names(value)
                .into_iter()
                .filter(|name| RUNNER_VARIABLES.contains(name) && !list.contains(name))
                .collect();
            if !missing.is_empty() {
                for name in missing {
                    if !unknown.iter().any(|known| known == name) {
                        unknown.push(CompactString::from(name));
                    }
                }
                return None;
            }
            let expanded = expand(value, &list);
            (expanded != value).then(|| masker.mask_into_compact(expanded))
        };
        need.project_expanded = expand_one(&need.project);
        need.git_ref_expanded = expand_one(&need.git_ref);
        need.pipeline_expanded = expand_one(&need.pipeline);
        need.job_expanded = expand_one(&need.job);
        need.unknown_variables = unknown;
    }
}

/// Returns whether GitLab expands cross needs with `variable`: whether it is one of the job's
/// `simple_variables_without_dependencies`.
fn in_dependency_variables(variable: &ResolvedVariable) -> bool {
    match variable.source {
        VariableSource::Dotenv | VariableSource::ManualJob | VariableSource::Deployment => false,
        VariableSource::Group | VariableSource::Project => variable.environment_scope.is_none(),
        VariableSource::Predefined => {
            let name = variable.name.as_str();
            // The saved pipeline has its creation time, which the rules do not see.
            let stored_with_job = name != "CI_PIPELINE_CREATED_AT"
                && predefined_availability(name) == Some(Availability::JobOnly);
            !stored_with_job && !ENVIRONMENT_VARIABLES.contains(&name)
        }
        _ => true,
    }
}

/// Returns the warnings for the cross needs of `job` that GitLab cannot resolve, so that it
/// fails the job with `missing_dependency_failure` when a runner takes it. Such an entry
/// downloads artifacts, and its `project`, `ref` or `job` expands to an empty value, or its
/// `pipeline` does not expand to a pipeline ID.
pub(super) fn unresolved_cross_needs(job: &PlannedJob) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    for need in job.cross_needs.iter().filter(|need| need.artifacts) {
        let Some(written_job) = &need.job else {
            continue;
        };
        let keyword = if need.project.is_some() {
            "needs:project"
        } else {
            "needs:pipeline:job"
        };
        let values = [
            ("project", &need.project, &need.project_expanded),
            ("ref", &need.git_ref, &need.git_ref_expanded),
            ("job", &need.job, &need.job_expanded),
        ];
        let mut problems: Vec<String> = Vec::new();
        for (member, written, expanded) in values {
            let Some(written) = written else {
                continue;
            };
            let value = expanded.as_deref().unwrap_or(written);
            if value.is_empty() && !written.is_empty() {
                problems.push(format!(
                    "`{member}` (`{written}`) expands to an empty value"
                ));
            }
        }
        if let Some(written) = &need.pipeline {
            let value = need.pipeline_expanded.as_deref().unwrap_or(written);
            if !ruby_to_i_positive(value) {
                let result = if value.is_empty() {
                    "an empty value".to_owned()
                } else {
                    format!("`{value}`")
                };
                problems.push(format!(
                    "`pipeline` (`{written}`) expands to {result}, which is not a pipeline ID"
                ));
            }
        }
        let Some(first) = problems.first() else {
            continue;
        };
        let message = format!(
            "GitLab fails job `{}` with `missing_dependency_failure` when a runner takes it: \
             in the `{keyword}` entry for job `{written_job}`, {first}",
            job.name
        );
        let help = "GitLab expands these values without the job's environment, its `dotenv` \
                    variables and the variables it stores with the job, such as \
                    `CI_PIPELINE_ID`. Define the variable in `variables:`, or pass the value \
                    from the upstream pipeline as a trigger variable";
        let mut warning = Diagnostic::warning("cross-need-not-found", message).with_help(help);
        if let Some(span) = need.span {
            warning = warning.with_span(span);
        }
        warnings.push(warning);
    }
    warnings
}

/// Returns whether Ruby's `String#to_i` reads `text` as a positive integer: after leading
/// white space and an optional `+`, decimal digits with single `_` between them, and at least
/// one digit that is not `0`.
fn ruby_to_i_positive(text: &str) -> bool {
    let rest = text.trim_start_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r']);
    if rest.starts_with('-') {
        return false;
    }
    let rest = rest.strip_prefix('+').unwrap_or(rest);
    let mut previous_underscore = false;
    let mut started = false;
    for character in rest.chars() {
        match character {
            '0'..='9' => {
                if character != '0' {
                    return true;
                }
                started = true;
                previous_underscore = false;
            }
            '_' if started && !previous_underscore => previous_underscore = true,
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruby_to_i_cases() {
        let cases = [
            ("42", true),
            ("  42", true),
            ("+7", true),
            ("12abc", true),
            ("0_1", true),
            ("007", true),
            ("", false),
            ("0", false),
            ("-3", false),
            ("abc", false),
            ("_1", false),
            ("0__1", false),
            ("$PARENT_PIPELINE_ID", false),
        ];
        for (text, expected) in cases {
            assert_eq!(ruby_to_i_positive(text), expected, "{text:?}");
        }
    }
}
