//! `default:`, the deprecated top-level keywords that behave as if written under it, and the
//! copying of defaults into jobs.

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::yaml::{Mapping, Node};

use super::check::Ctx;
use super::model::{Defaults, Job, JobKind};
use super::{commands, leaf};

/// Keywords allowed under `default:`, including GitLab EE's `identity`.
pub(crate) const DEFAULT_KEYS: [&str; 13] = [
    "after_script",
    "artifacts",
    "before_script",
    "cache",
    "hooks",
    "id_tokens",
    "identity",
    "image",
    "interruptible",
    "retry",
    "services",
    "tags",
    "timeout",
];

/// Deprecated top-level keywords that GitLab reads as if they were under `default:`.
pub(crate) const TOP_LEVEL_DEFAULTS: [&str; 5] = [
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
];

/// Builds the defaults from `default:` (when it is not itself a job) and the deprecated
/// top-level keywords.
pub(crate) fn parse(root: &Mapping, default: Option<&Node>, cx: &mut Ctx) -> Defaults {
    let mut defaults = Defaults::default();
    let default_map = match default.filter(|n| !n.is_null()) {
        Some(node) => cx.mapping("default", node),
        None => None,
    };

    if let Some(map) = default_map {
        cx.check_keys("default", map, &DEFAULT_KEYS);
        for (key, entry) in map.entries() {
            let Some(key) = key.as_str() else { continue };
            if entry.value.is_null() {
                continue;
            }
            set(
                &mut defaults,
                key,
                &format!("default:{key}"),
                &entry.value,
                cx,
            );
        }
    }

    for key in TOP_LEVEL_DEFAULTS {
        let Some(entry) = root.entry(key).filter(|e| !e.value.is_null()) else {
            continue;
        };
        let in_default = default_map
            .and_then(|m| m.entry(key))
            .filter(|e| !e.value.is_null());
        if let Some(in_default) = in_default {
            cx.diags.push(
                Diagnostic::error(
                    "default-conflict",
                    format!("{key} is defined in top-level and `default:` entry"),
                )
                .with_span(entry.key_span)
                .with_label(in_default.key_span, "also defined here")
                .with_help(format!(
                    "top-level `{key}:` is a deprecated spelling of `default:{key}`; keep only \
                     the one under `default:`"
                )),
            );
            continue;
        }
        set(&mut defaults, key, key, &entry.value, cx);
    }
    defaults
}

fn set(defaults: &mut Defaults, key: &str, path: &str, node: &Node, cx: &mut Ctx) {
    match key {
        "after_script" => defaults.after_script = commands::parse(path, node, cx).map(Arc::new),
        "artifacts" => defaults.artifacts = leaf::artifacts(path, node, cx).map(Arc::new),
        "before_script" => defaults.before_script = commands::parse(path, node, cx).map(Arc::new),
        "cache" => defaults.cache = leaf::cache(path, node, cx).map(Arc::new),
        "hooks" => defaults.hooks = leaf::hooks(path, node, cx),
        "id_tokens" => defaults.id_tokens = leaf::id_tokens(path, node, cx),
        "identity" => defaults.identity = leaf::identity(path, node, cx),
        "image" => defaults.image = leaf::image(path, node, cx).map(Arc::new),
        "interruptible" => defaults.interruptible = leaf::interruptible(path, node, cx),
        "retry" => defaults.retry = leaf::retry(path, node, cx).map(Arc::new),
        "services" => defaults.services = leaf::services(path, node, cx).map(Arc::new),
        "tags" => defaults.tags = leaf::tags(path, node, cx).map(Arc::new),
        "timeout" => defaults.timeout = leaf::timeout(path, node, cx),
        _ => {}
    }
}

/// Copies every default the job does not set and `inherit:default` allows. There is no
/// merging: a job's own `tags` or `cache` replaces the default entirely. Trigger jobs take only
/// `interruptible`, the one default keyword they accept.
pub(crate) fn apply(defaults: &Defaults, job: &mut Job) {
    let inherit = job.inherit.clone();
    let allows = |key: &str| leaf::inherits_default(inherit.as_ref(), key);

    fill(
        &mut job.interruptible,
        &defaults.interruptible,
        allows("interruptible"),
    );
    if job.kind == JobKind::Bridge {
        return;
    }
    fill(
        &mut job.after_script,
        &defaults.after_script,
        allows("after_script"),
    );
    fill(&mut job.artifacts, &defaults.artifacts, allows("artifacts"));
    fill(
        &mut job.before_script,
        &defaults.before_script,
        allows("before_script"),
    );
    fill(&mut job.cache, &defaults.cache, allows("cache"));
    fill(&mut job.hooks, &defaults.hooks, allows("hooks"));
    fill(&mut job.id_tokens, &defaults.id_tokens, allows("id_tokens"));
    fill(&mut job.identity, &defaults.identity, allows("identity"));
    fill(&mut job.image, &defaults.image, allows("image"));
    fill(&mut job.retry, &defaults.retry, allows("retry"));
    fill(&mut job.services, &defaults.services, allows("services"));
    fill(&mut job.tags, &defaults.tags, allows("tags"));
    fill(&mut job.timeout, &defaults.timeout, allows("timeout"));
}

fn fill<T: Clone>(field: &mut Option<T>, default: &Option<T>, allowed: bool) {
    if field.is_none() && allowed {
        field.clone_from(default);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, build_yaml, valid, valid_yaml};

    #[test]
    fn inherit_controls_defaults_and_variables() {
        // T4.1
        let built = valid_yaml(
            "default:\n  image: ruby:3.0\n  retry: 2\n  tags: [docker]\n  interruptible: true\n\
             variables: {V1: \"1\", V2: \"2\", V3: \"3\"}\n\
             j1: {script: x, inherit: {default: false, variables: false}}\n\
             j2: {script: x, inherit: {default: [retry, image], variables: [V1, V2]}}\n\
             j3: {script: x, image: ruby:2.7, tags: [arm]}\n",
        );
        let config = &built.config;

        let j1 = built.job("j1");
        assert_eq!(j1.image, None);
        assert_eq!(j1.retry, None);
        assert_eq!(j1.tags, None);
        assert_eq!(j1.interruptible, None);
        assert!(config.yaml_variables(j1).is_empty());

        let j2 = built.job("j2");
        assert_eq!(j2.image.as_ref().map(|i| i.name.as_str()), Some("ruby:3.0"));
        assert_eq!(j2.retry.as_ref().and_then(|r| r.max), Some(2));
        assert_eq!(j2.tags, None);
        assert_eq!(j2.interruptible, None);
        assert_eq!(
            config.yaml_variables(j2).keys().collect::<Vec<_>>(),
            ["V1", "V2"]
        );

        let j3 = built.job("j3");
        assert_eq!(j3.image.as_ref().map(|i| i.name.as_str()), Some("ruby:2.7"));
        assert_eq!(j3.retry.as_ref().and_then(|r| r.max), Some(2));
        assert_eq!(j3.tags.as_deref(), Some(&vec!["arm".to_owned()]));
        assert_eq!(j3.interruptible, Some(true));
        assert_eq!(config.yaml_variables(j3).len(), 3);
    }

    #[test]
    fn top_level_and_default_conflict() {
        // T4.2
        let built = build_yaml("image: a\ndefault: {image: b}\njob: {script: x}\n");
        let message = "image is defined in top-level and `default:` entry";
        assert_eq!(built.errors(), [message]);
        assert_eq!(
            built.diagnostic(message).span,
            Some(built.key_span("image"))
        );
    }

    #[test]
    fn job_value_beats_default() {
        // T4.3, after `extends` merged `.tmpl` into `j`: the job's own image wins.
        let built = valid_yaml(
            "default: {image: ruby}\n\
             .tmpl: {image: alpine}\n\
             j: {extends: .tmpl, image: alpine, script: x}\n",
        );
        assert_eq!(
            built.job("j").image.as_ref().map(|i| i.name.as_str()),
            Some("alpine")
        );
    }

    #[test]
    fn deprecated_globals_are_defaults() {
        let built = valid(json!({
            "image": "ruby",
            "before_script": ["setup"],
            "job": {"script": "x"},
        }));
        assert_eq!(
            built.config.default.before_script.as_deref(),
            Some(&vec!["setup".to_owned()])
        );
        let job = built.job("job");
        assert_eq!(job.image.as_ref().map(|i| i.name.as_str()), Some("ruby"));
        assert_eq!(
            job.before_script.as_deref(),
            Some(&vec!["setup".to_owned()])
        );
    }

    #[test]
    fn default_unknown_key() {
        let built = build(json!({"default": {"stage": "build"}, "job": {"script": "x"}}));
        assert_eq!(
            built.errors(),
            ["default config contains unknown keys: stage"]
        );
    }

    #[test]
    fn default_not_hash() {
        let built = build(json!({"default": "ruby", "job": {"script": "x"}}));
        assert_eq!(built.errors(), ["default config should be a hash"]);
    }

    #[test]
    fn default_values_validated() {
        let built = build(json!({"default": {"interruptible": "yes"}, "job": {"script": "x"}}));
        assert_eq!(
            built.errors(),
            ["default:interruptible config should be a boolean value"]
        );
    }

    #[test]
    fn bridge_takes_only_interruptible() {
        let built = valid(json!({
            "default": {"image": "ruby", "interruptible": true, "tags": ["docker"]},
            "t": {"trigger": "group/project"},
        }));
        let bridge = built.job("t");
        assert_eq!(bridge.interruptible, Some(true));
        assert_eq!(bridge.image, None);
        assert_eq!(bridge.tags, None);
    }

    #[test]
    fn null_keyword_takes_default() {
        let built =
            valid(json!({"default": {"image": "ruby"}, "j": {"script": "x", "image": null}}));
        assert_eq!(
            built.job("j").image.as_ref().map(|i| i.name.as_str()),
            Some("ruby")
        );
    }

    #[test]
    fn no_merging_with_default() {
        let built = valid(json!({
            "default": {"before_script": ["a"], "tags": ["docker"]},
            "j": {"script": "x", "before_script": ["b"], "tags": ["arm"]},
        }));
        assert_eq!(
            built.job("j").before_script.as_deref(),
            Some(&vec!["b".to_owned()])
        );
        assert_eq!(
            built.job("j").tags.as_deref(),
            Some(&vec!["arm".to_owned()])
        );
    }
}
