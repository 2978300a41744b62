//! Parsers for the leaf keywords of a job, `default:` and `workflow:`: one module per keyword,
//! each with a public type that serializes with GitLab's key names and a
//! `parse(path, node, cx)` function that validates the YAML node the way GitLab's entry
//! classes do.
//!
//! Conventions shared by every parser:
//! - `path` is the keyword's full entry path, such as `jobs:build:image`; messages start with
//!   it (`jobs:build:image config should be a hash or a string`). Keywords that GitLab
//!   validates as attributes of the job (`when`, `start_in`, `dependencies`, `resource_group`,
//!   `manual_confirmation`, `run`) take the same kind of path and report
//!   `jobs:build when ...`.
//! - The caller skips keys whose value is null: GitLab treats `image: ~` as not written.
//! - A parser returns `None` when it reported an error, and the value otherwise.
//!
//! Checks that need the whole configuration (needs targets, `on_stop` jobs, `rules` combined
//! with `only`, `start_in` without `when: delayed`, `publish` outside a Pages job) belong to the
//! model builder, not to these parsers.

// TODO: remove once the model builder calls every parser; until then the unused ones would
// fail `clippy -D warnings`.
#![allow(
    dead_code,
    reason = "parsers are called by the model builder as it lands"
)]

/// `allow_failure:`: `true`, `false` or `{exit_codes}`.
pub mod allow_failure;
/// `artifacts:`, with `reports` and `expire_in`.
pub mod artifacts;
/// `cache:`: one cache or up to four, with computed keys.
pub mod cache;
/// `coverage:`: a `/regex/` literal.
pub mod coverage;
/// `dast_configuration:` (EE): site and scanner profiles, shape only.
pub mod dast_configuration;
/// `dependencies:`: job names with their spans.
pub mod dependencies;
/// Natural-language durations: `timeout`, `start_in`, `expire_in`, `auto_stop_in`.
pub mod duration;
/// `environment:`: name or hash, with `action`, `deployment_tier` and `kubernetes`.
pub mod environment;
/// Script exit codes of `allow_failure:exit_codes` and `retry:exit_codes`.
pub mod exit_code;
/// `hooks:`: `pre_get_sources_script`.
pub mod hooks;
/// `id_tokens:`: tokens and their audiences.
pub mod id_tokens;
/// `identity:` (EE): `google_cloud`.
pub mod identity;
/// `image:`, plus the pull policy, executor options and ports that services share.
pub mod image;
/// `inherit:`: which `default:` keywords and global variables a job takes.
pub mod inherit;
/// `interruptible:`: a boolean.
pub mod interruptible;
/// `manual_confirmation:`: a string.
pub mod manual_confirmation;
/// `needs:` entry shapes and the `parallel:matrix` shape.
pub mod needs;
/// `only:` and `except:`.
pub mod only_except;
/// `pages:`: `true`, `false` or `{path_prefix, expire_in, publish}`.
pub mod pages;
/// `publish:`: a string.
pub mod publish;
/// `release:`, with asset links.
pub mod release;
/// `resource_group:`: a key with environment-name characters.
pub mod resource_group;
/// `retry:`: `0..=2` or `{max, when, exit_codes}`.
pub mod retry;
/// `rules:` of jobs, `workflow:rules` and `include:rules`, with `changes` and `exists`.
pub mod rules;
/// `run:` (CI/CD steps).
pub mod run;
/// `secrets:` (EE): Vault, Azure, Google Cloud, AWS, Akeyless and GitLab providers.
pub mod secrets;
/// `services:`, and the runner's default service host names.
pub mod services;
/// Validation helpers shared by the parsers.
pub(crate) mod shape;
/// `tags:`: fewer than 50 strings.
pub mod tags;
/// `trigger:`: multi-project and child pipelines.
pub mod trigger;
/// Plain `variables:` maps of rules, workflow rules and services.
pub mod variables;
/// `when:` of jobs, trigger jobs and rules.
pub mod when;
/// `workflow:` and the `auto_cancel` hash.
pub mod workflow;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod yaml_tests;
