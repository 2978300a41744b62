//! The leaf keyword types and parsers the job model uses, gathered in one place so that the
//! model builder reads as a list of keywords.
//!
//! Each function validates one keyword at GitLab's entry path (`jobs:build:image`) and returns
//! its typed value, or `None` after reporting a diagnostic.

use crate::yaml::Node;

use super::check::Ctx;
use super::keywords;

pub use keywords::allow_failure::AllowFailure;
pub use keywords::artifacts::Artifacts;
pub use keywords::cache::Cache;
pub use keywords::dast_configuration::DastConfiguration;
pub use keywords::dependencies::Dependency;
pub use keywords::duration::Duration;
pub use keywords::environment::{Environment, EnvironmentAction};
pub use keywords::hooks::Hooks;
pub use keywords::id_tokens::IdTokens;
pub use keywords::image::Image;
pub use keywords::inherit::Inherit;
pub use keywords::only_except::OnlyExcept;
pub use keywords::pages::Pages;
pub use keywords::release::Release;
pub use keywords::retry::Retry;
pub use keywords::rules::{Rule, Rules};
pub use keywords::run::Run;
pub use keywords::secrets::Secrets;
pub use keywords::services::Services;
pub use keywords::trigger::Trigger;
pub use keywords::when::When;
pub use keywords::workflow::Workflow;

pub(crate) use keywords::allow_failure::parse as allow_failure;
pub(crate) use keywords::artifacts::parse as artifacts;
pub(crate) use keywords::cache::parse as cache;
pub(crate) use keywords::coverage::parse as coverage;
pub(crate) use keywords::dast_configuration::parse as dast_configuration;
pub(crate) use keywords::dependencies::parse as dependencies;
pub(crate) use keywords::duration::parse_start_in as start_in;
pub(crate) use keywords::duration::parse_timeout as timeout;
pub(crate) use keywords::environment::parse as environment;
pub(crate) use keywords::hooks::parse as hooks;
pub(crate) use keywords::id_tokens::parse as id_tokens;
pub(crate) use keywords::identity::parse as identity;
pub(crate) use keywords::image::parse as image;
pub(crate) use keywords::inherit::parse as inherit;
pub(crate) use keywords::interruptible::parse as interruptible;
pub(crate) use keywords::manual_confirmation::parse as manual_confirmation;
pub(crate) use keywords::only_except::parse_except as except;
pub(crate) use keywords::only_except::parse_only as only;
pub(crate) use keywords::pages::parse as pages;
pub(crate) use keywords::publish::parse as publish;
pub(crate) use keywords::release::parse as release;
pub(crate) use keywords::resource_group::parse as resource_group;
pub(crate) use keywords::retry::parse as retry;
pub(crate) use keywords::rules::parse as rules;
pub(crate) use keywords::run::parse as run;
pub(crate) use keywords::secrets::parse as secrets;
pub(crate) use keywords::services::parse as services;
pub(crate) use keywords::tags::parse as tags;
pub(crate) use keywords::trigger::parse as trigger;
pub(crate) use keywords::workflow::parse as workflow;

/// Parses a job's `when:`; trigger jobs accept fewer values.
pub(crate) fn when(path: &str, node: &Node, bridge: bool, cx: &mut Ctx) -> Option<When> {
    if bridge {
        keywords::when::parse_bridge(path, node, cx)
    } else {
        keywords::when::parse_job(path, node, cx)
    }
}

/// Returns the `only:` GitLab gives a job that has no `only` and no `rules` in a
/// configuration without `workflow:rules`.
pub(crate) fn default_only() -> OnlyExcept {
    OnlyExcept {
        refs: Some(
            keywords::only_except::DEFAULT_ONLY_REFS
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
        ),
        variables: None,
        changes: None,
        kubernetes: None,
    }
}

/// Returns whether `inherit:default` lets a job take the default keyword `key`.
pub(crate) fn inherits_default(inherit: Option<&Inherit>, key: &str) -> bool {
    inherit.is_none_or(|i| i.inherits_default(key))
}

/// Returns whether `inherit:variables` lets a job take the global variable `name`.
pub(crate) fn inherits_variable(inherit: Option<&Inherit>, name: &str) -> bool {
    inherit.is_none_or(|i| i.inherits_variable(name))
}
