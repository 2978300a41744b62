//! Read-only views of the job keywords planning reads beyond the fields it copies:
//! `environment` (for the variables engine), `inherit:variables`, `cache`, `artifacts` and
//! `trigger`, with GitLab's defaults filled in.

use compact_str::CompactString;
use serde_json::{Map, Value};

use crate::config::keywords::artifacts::{ArtifactsWhen, Report};
use crate::config::keywords::cache::{CacheKey, CacheWhen};
use crate::config::keywords::duration::ExpireIn;
use crate::config::keywords::trigger::{
    ChildInclude, ChildIncludeItem, InputSpan, Strategy, Trigger,
};
use crate::config::{Environment, Job};
use crate::source::Span;
use crate::variables::{InheritVariables, JobEnvironment};

use super::output::{PlanArtifacts, PlanCache};

/// `environment:` with the parts the variables engine reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EnvironmentView {
    pub(super) name: String,
    pub(super) url: Option<String>,
    pub(super) action: String,
    pub(super) deployment_tier: Option<String>,
    pub(super) on_stop: Option<String>,
    pub(super) auto_stop_in: Option<String>,
}

impl EnvironmentView {
    /// The parts the variables engine needs.
    pub(super) fn to_job_environment(&self) -> JobEnvironment {
        JobEnvironment {
            name: self.name.clone(),
            action: self.action.clone(),
            url: self.url.clone(),
            deployment_tier: self.deployment_tier.clone(),
        }
    }
}

pub(super) fn environment(job: &Job) -> Option<EnvironmentView> {
    let environment: &Environment = job.environment.as_ref()?;
    let converted = JobEnvironment::from(environment);
    Some(EnvironmentView {
        name: converted.name,
        url: converted.url,
        action: converted.action,
        deployment_tier: converted.deployment_tier,
        on_stop: environment.on_stop.clone(),
        auto_stop_in: environment.auto_stop_in.clone(),
    })
}

/// `inherit:variables`: all top-level variables unless the job says otherwise.
pub(super) fn inherit_variables(job: &Job) -> InheritVariables {
    job.inherit
        .as_ref()
        .map_or(InheritVariables::All, InheritVariables::from)
}

/// Copies an optional list of texts into compact strings, or returns an empty list when it is
/// absent.
pub(super) fn compact_all(items: Option<&[String]>) -> Vec<CompactString> {
    items
        .unwrap_or_default()
        .iter()
        .map(CompactString::from)
        .collect()
}

/// `cache:` entries, with the keys as written.
pub(super) fn cache(job: &Job) -> Vec<PlanCache> {
    let entries = job.cache.iter().flat_map(|cache| cache.iter());
    entries
        .map(|entry| {
            let mut plan = PlanCache {
                key: None,
                key_expanded: None,
                key_files: Vec::new(),
                key_prefix: None,
                paths: compact_all(entry.paths.as_deref()),
                policy: CompactString::from(entry.policy()),
                when: CompactString::const_new(match entry.when() {
                    CacheWhen::OnSuccess => "on_success",
                    CacheWhen::OnFailure => "on_failure",
                    CacheWhen::Always => "always",
                }),
                untracked: entry.untracked.unwrap_or(false),
                unprotect: entry.unprotect.unwrap_or(false),
                fallback_keys: compact_all(entry.fallback_keys.as_deref()),
            };
            match &entry.key {
                None => plan.key = Some(CompactString::const_new("default")),
                Some(CacheKey::Text(key)) => plan.key = Some(CompactString::from(key)),
                Some(CacheKey::Files {
                    files,
                    files_commits,
                    prefix,
                }) => {
                    plan.key_files = compact_all(files.as_deref().or(files_commits.as_deref()));
                    plan.key_prefix = prefix.as_deref().map(CompactString::from);
                }
            }
            plan
        })
        .collect()
}

/// `artifacts:`.
pub(super) fn artifacts(job: &Job) -> Option<PlanArtifacts> {
    let artifacts = job.artifacts.as_ref()?;
    let reports = artifacts.reports.as_ref();
    Some(PlanArtifacts {
        paths: compact_all(artifacts.paths.as_deref()),
        exclude: compact_all(artifacts.exclude.as_deref()),
        name: artifacts.name.as_deref().map(CompactString::from),
        when: CompactString::const_new(match artifacts.when.unwrap_or(ArtifactsWhen::OnSuccess) {
            ArtifactsWhen::OnSuccess => "on_success",
            ArtifactsWhen::OnFailure => "on_failure",
            ArtifactsWhen::Always => "always",
        }),
        expire_in: artifacts
            .expire_in
            .as_ref()
            .map(|expire_in| match expire_in {
                ExpireIn::Never(text) => CompactString::from(text),
                ExpireIn::After(duration) => CompactString::from(&duration.text),
            }),
        untracked: artifacts.untracked.unwrap_or(false),
        reports: reports
            .map(|reports| reports.keys().map(CompactString::from).collect())
            .unwrap_or_default(),
        dotenv: reports
            .and_then(|reports| reports.get("dotenv"))
            .map(Report::paths)
            .unwrap_or_default()
            .into_iter()
            .map(CompactString::from)
            .collect(),
    })
}

/// `trigger:forward`, with GitLab's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ForwardView {
    pub(super) yaml_variables: bool,
    pub(super) pipeline_variables: bool,
}

impl Default for ForwardView {
    fn default() -> Self {
        ForwardView {
            yaml_variables: true,
            pipeline_variables: false,
        }
    }
}

/// One file of a child pipeline's configuration.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ChildIncludeView {
    /// The `include:` item in GitLab's hash form, `inputs` included.
    pub(super) item: Map<String, Value>,
    /// A one-line description: the path, template name, `project:file` or artifact.
    pub(super) description: String,
    /// The job of an `artifact:` include, whose artifacts exist only at run time.
    pub(super) artifact_job: Option<String>,
    /// The item in the parent configuration.
    pub(super) span: Span,
    /// The spans of the item's `inputs` entries in the parent configuration.
    pub(super) input_spans: Vec<InputSpan>,
}

/// `trigger:`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum TriggerView {
    /// `trigger: project` or `trigger: {project, branch}`.
    Project {
        project: String,
        branch: Option<String>,
        strategy: Option<String>,
        forward: ForwardView,
    },
    /// `trigger: {include}`.
    Child {
        include: Vec<ChildIncludeView>,
        strategy: Option<String>,
        forward: ForwardView,
    },
}

pub(super) fn trigger(job: &Job) -> Option<TriggerView> {
    let trigger = job.trigger.as_ref()?;
    let strategy = trigger.strategy().map(|strategy| {
        match strategy {
            Strategy::Depend => "depend",
            Strategy::Mirror => "mirror",
        }
        .to_owned()
    });
    let forward = trigger
        .forward()
        .map_or_else(ForwardView::default, |forward| ForwardView {
            yaml_variables: forward.forwards_yaml_variables(),
            pipeline_variables: forward.forwards_pipeline_variables(),
        });
    Some(match trigger {
        Trigger::Project(project) => TriggerView::Project {
            project: project.project.clone(),
            branch: project.branch.clone(),
            strategy,
            forward,
        },
        Trigger::Child(child) => TriggerView::Child {
            include: child.include.iter().map(child_include).collect(),
            strategy,
            forward,
        },
    })
}

fn child_include(item: &ChildIncludeItem) -> ChildIncludeView {
    let item_span = item.span;
    let input_spans = item.input_spans.clone();
    let (description, artifact_job) = match &item.location {
        ChildInclude::Local { local } => (local.clone(), None),
        ChildInclude::Template { template } => (template.clone(), None),
        ChildInclude::Artifact { artifact, job } => (artifact.clone(), Some(job.clone())),
        ChildInclude::Project { project, file, .. } => {
            (format!("{project}:{}", file.join(", ")), None)
        }
        ChildInclude::Component { component } => (component.clone(), None),
        ChildInclude::Remote { remote } => (remote.clone(), None),
    };
    // The serialized item has GitLab's keys (`local`, `project`, `file`, `ref`, `inputs`).
    let item = match serde_json::to_value(item) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    ChildIncludeView {
        item,
        description,
        artifact_job,
        span: item_span,
        input_spans,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::MemoryFiles;
    use crate::resolve::{ResolveOptions, resolve};

    /// Resolves a configuration with one job `j` whose keywords are `body` (YAML flow mapping
    /// entries) and returns the job.
    fn job(body: &str) -> Job {
        let yaml = format!("j: {{script: x, {body}}}\n");
        let files = MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
        let resolution = resolve(".gitlab-ci.yml", &files, &ResolveOptions::default());
        let config = resolution.config.unwrap();
        config.jobs.get("j").cloned().unwrap()
    }

    #[test]
    fn environment_short_form() {
        let view = environment(&job("environment: production")).unwrap();
        assert_eq!(view.name, "production");
        assert_eq!(view.action, "start");
    }

    #[test]
    fn environment_long_form() {
        let view = environment(&job(
            "environment: {name: review/$CI_COMMIT_REF_SLUG, url: 'https://$CI_COMMIT_REF_SLUG.example.com', \
             action: stop}",
        ))
        .unwrap();
        assert_eq!(view.name, "review/$CI_COMMIT_REF_SLUG");
        assert_eq!(view.action, "stop");
        assert_eq!(
            view.url.as_deref(),
            Some("https://$CI_COMMIT_REF_SLUG.example.com")
        );
    }

    #[test]
    fn environment_absent() {
        assert_eq!(environment(&job("stage: test")), None);
    }

    #[test]
    fn inherit_variables_forms() {
        let cases = [
            ("inherit: {variables: false}", InheritVariables::None),
            ("inherit: {variables: true}", InheritVariables::All),
            (
                "inherit: {variables: [G1]}",
                InheritVariables::Only(vec!["G1".into()]),
            ),
            ("inherit: {default: false}", InheritVariables::All),
            ("stage: test", InheritVariables::All),
        ];
        for (body, expected) in cases {
            assert_eq!(inherit_variables(&job(body)), expected, "{body}");
        }
    }

    #[test]
    fn cache_single_hash() {
        let entries = cache(&job(
            "cache: {key: deps-$CI_COMMIT_REF_SLUG, paths: [vendor/]}",
        ));
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].key.as_deref(), Some("deps-$CI_COMMIT_REF_SLUG"));
        assert_eq!(entries[0].paths, ["vendor/"]);
        assert_eq!(entries[0].policy, "pull-push");
        assert_eq!(entries[0].when, "on_success");
    }

    #[test]
    fn cache_list_with_file_key() {
        let entries = cache(&job(
            "cache: [{paths: [a]}, {key: {files: [Gemfile.lock], prefix: gems}, paths: [b], policy: pull}]",
        ));
        assert_eq!(entries[0].key.as_deref(), Some("default"));
        assert_eq!(entries[1].key, None);
        assert_eq!(entries[1].key_files, ["Gemfile.lock"]);
        assert_eq!(entries[1].key_prefix.as_deref(), Some("gems"));
        assert_eq!(entries[1].policy, "pull");
    }

    #[test]
    fn artifacts_reports() {
        let view = artifacts(&job(
            "artifacts: {paths: [dist/], expire_in: 1 week, reports: {dotenv: build.env, junit: [a.xml]}}",
        ))
        .unwrap();
        assert_eq!(view.paths, ["dist/"]);
        assert_eq!(view.expire_in.as_deref(), Some("1 week"));
        assert_eq!(view.reports, ["dotenv", "junit"]);
        assert_eq!(view.dotenv, ["build.env"]);
        assert_eq!(view.when, "on_success");
    }

    fn bridge(body: &str) -> Job {
        let yaml = format!("t: {{{body}}}\n");
        let files = MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
        let resolution = resolve(".gitlab-ci.yml", &files, &ResolveOptions::default());
        resolution.config.unwrap().jobs.get("t").cloned().unwrap()
    }

    #[test]
    fn trigger_project_string() {
        assert_eq!(
            trigger(&bridge("trigger: group/other")),
            Some(TriggerView::Project {
                project: "group/other".into(),
                branch: None,
                strategy: None,
                forward: ForwardView::default(),
            })
        );
    }

    #[test]
    fn trigger_project_hash() {
        let view = trigger(&bridge(
            "trigger: {project: group/other, branch: stable, forward: {pipeline_variables: true}}",
        ));
        let Some(TriggerView::Project {
            branch, forward, ..
        }) = view
        else {
            panic!("expected a project trigger, got {view:?}");
        };
        assert_eq!(branch.as_deref(), Some("stable"));
        assert!(forward.yaml_variables);
        assert!(forward.pipeline_variables);
    }

    #[test]
    fn trigger_child_includes() {
        let view = trigger(&bridge(
            "trigger: {include: [{local: ci/a.yml}, {template: Jobs/Build.gitlab-ci.yml}, \
             {artifact: gen.yml, job: generate}], strategy: depend}",
        ));
        let Some(TriggerView::Child {
            include, strategy, ..
        }) = view
        else {
            panic!("expected a child trigger, got {view:?}");
        };
        let described: Vec<&str> = include.iter().map(|i| i.description.as_str()).collect();
        assert_eq!(
            described,
            ["ci/a.yml", "Jobs/Build.gitlab-ci.yml", "gen.yml"]
        );
        assert_eq!(include[2].artifact_job.as_deref(), Some("generate"));
        assert_eq!(strategy.as_deref(), Some("depend"));
    }

    #[test]
    fn trigger_child_string() {
        let view = trigger(&bridge("trigger: {include: ci/child.yml}"));
        let Some(TriggerView::Child { include, .. }) = view else {
            panic!("expected a child trigger, got {view:?}");
        };
        assert_eq!(include.len(), 1);
        assert_eq!(include[0].description, "ci/child.yml");
    }
}
