//! Predefined variables: what GitLab derives from the project, the pipeline, the job and the
//! user, in the order GitLab's variable builders append them.
//!
//! The builders follow GitLab 18.x (`Project#predefined_variables`,
//! `Variables::Builder::Pipeline`, `MergeRequest#predefined_variables`,
//! `Variables::Builder#predefined_variables_from_job_attr`, `Ci::Build#persisted_variables`).
//! A variable whose value GitLab would leave `nil` is left out, which is how GitLab's rules and
//! expansion treat it.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::context::{MergeRequest, MergeRequestEventType, PipelineContext, PipelineSource};

use super::input::{JobOutcome, JobRuntime, JobSpec};
use super::list::{ResolvedVariable, VariableSource};

/// When a predefined variable becomes available, as GitLab's documentation classifies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Known before the pipeline is created: usable in `include`, `workflow` and `rules`.
    PrePipeline,
    /// Known while the pipeline is created: usable in job `rules`, not in `include`.
    Pipeline,
    /// Known only to the running job: never usable in `include`, `workflow` or `rules`, and
    /// never given to trigger jobs.
    JobOnly,
}

/// A predefined variable and when it becomes available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredefinedVariable {
    /// When the variable becomes available.
    pub availability: Availability,
    /// The variable.
    #[serde(flatten)]
    pub variable: ResolvedVariable,
}

/// Maximum size of the commit message, title and description variables, in bytes. GitLab
/// reads it from the environment variable `GITLAB_CI_MAX_COMMIT_MESSAGE_SIZE_IN_BYTES`
/// (default 100,000, clamped to 0..1,000,000) and sets `CI_COMMIT_MESSAGE_IS_TRUNCATED` when
/// the message is longer.
pub const MAX_COMMIT_MESSAGE_BYTES: usize = 100_000;

/// Maximum length of `CI_MERGE_REQUEST_DESCRIPTION` in characters.
pub const MAX_MERGE_REQUEST_DESCRIPTION_CHARS: usize = 2700;

/// Maximum length of `CI_RELEASE_DESCRIPTION` in characters.
pub const MAX_RELEASE_DESCRIPTION_CHARS: usize = 1024;

/// Maximum merge requests listed in `CI_OPEN_MERGE_REQUESTS`.
pub const MAX_OPEN_MERGE_REQUESTS: usize = 4;

/// Builds the project's and the pipeline's predefined variables, in GitLab's order: the
/// server and project variables first, then the pipeline, commit, tag and merge request
/// variables.
pub fn predefined_variables(context: &PipelineContext) -> Vec<PredefinedVariable> {
    let mut out = Predefined::default();
    project_variables(context, &mut out);
    pipeline_variables(context, &mut out);
    out.0
}

/// Builds the job's own predefined variables, in GitLab's order: `CI_JOB_*`,
/// `CI_PIPELINE_TRIGGERED`, `CI_TRIGGER_SHORT_TOKEN` and `CI_NODE_*`. When `environment` (the
/// expanded environment name) is not blank, `CI_ENVIRONMENT_NAME`, `_ACTION`, `_TIER` and
/// `_URL` follow.
pub fn job_predefined_variables(
    context: &PipelineContext,
    job: &JobSpec,
    environment: Option<&str>,
    manual: bool,
) -> Vec<PredefinedVariable> {
    // At most 13: seven of the job, two of a trigger and four of an environment.
    let mut out = Predefined(Vec::with_capacity(13));
    out.pipeline("CI_JOB_NAME", &job.name);
    out.pipeline("CI_JOB_NAME_SLUG", slugify(&job.name));
    out.pipeline("CI_JOB_GROUP_NAME", job_group_name(&job.name));
    out.pipeline("CI_JOB_STAGE", &job.stage);
    if manual {
        out.pipeline("CI_JOB_MANUAL", "true");
    }
    trigger_variables(context, &mut out);
    if let Some(index) = job.node_index {
        out.pipeline("CI_NODE_INDEX", index.to_string());
    }
    out.pipeline("CI_NODE_TOTAL", job.node_total.to_string());

    let (Some(name), Some(environment)) = (environment, &job.environment) else {
        return out.0;
    };
    if is_blank(name) {
        return out.0;
    }
    out.pipeline("CI_ENVIRONMENT_NAME", name);
    out.pipeline("CI_ENVIRONMENT_ACTION", &environment.action);
    // NOTE: without `deployment_tier` GitLab uses the tier of the existing environment, which
    // is the guess below unless an earlier job set another tier.
    let tier = environment
        .deployment_tier
        .clone()
        .unwrap_or_else(|| guess_environment_tier(name).to_owned());
    out.pipeline("CI_ENVIRONMENT_TIER", tier);
    if let Some(url) = &environment.url {
        out.pipeline("CI_ENVIRONMENT_URL", url);
    }
    out.0
}

/// Builds the predefined variables of the stub job GitLab creates to evaluate
/// `workflow:rules`: the job-level ones that survive GitLab's removal of `CI_JOB_*` names.
pub fn workflow_job_variables(context: &PipelineContext) -> Vec<PredefinedVariable> {
    let mut out = Predefined::default();
    trigger_variables(context, &mut out);
    out.pipeline("CI_NODE_TOTAL", "1");
    out.0
}

/// Builds `GITLAB_USER_*` of the user who started the pipeline.
pub fn user_variables(context: &PipelineContext) -> Vec<PredefinedVariable> {
    let mut out = Predefined::default();
    if let Some(user) = &context.user {
        out.pipeline("GITLAB_USER_ID", user.id.to_string());
        out.pipeline("GITLAB_USER_EMAIL", &user.email);
        out.pipeline("GITLAB_USER_LOGIN", &user.login);
        out.pipeline("GITLAB_USER_NAME", &user.name);
    }
    out.0
}

/// Builds `CI_RELEASE_DESCRIPTION` of a tag pipeline whose tag has a release. GitLab marks it
/// raw, so it is never expanded.
pub fn release_variables(context: &PipelineContext) -> Vec<PredefinedVariable> {
    let mut out = Predefined::default();
    if let (Some(_), Some(description)) =
        (context.tag_name(), &context.pipeline.release_description)
    {
        let value = truncate_with_omission(description, MAX_RELEASE_DESCRIPTION_CHARS);
        out.push(Availability::Pipeline, "CI_RELEASE_DESCRIPTION", value);
        if let Some(last) = out.0.last_mut() {
            last.variable.raw = true;
        }
    }
    out.0
}

/// Builds the job-only variables GitLab stores with a created job and puts first in the job's
/// list: `CI_PIPELINE_ID` and `CI_PIPELINE_URL`. Jobs that run on a runner and have a
/// [`JobRuntime`] also get `CI_JOB_ID`, `CI_JOB_URL`, `CI_JOB_TOKEN`, `CI_JOB_STARTED_AT`, the
/// registry and repository credentials, and the dependency proxy credentials.
pub fn persisted_variables(
    context: &PipelineContext,
    job: &JobSpec,
    outcome: &JobOutcome,
) -> Vec<PredefinedVariable> {
    let mut out = Predefined::default();
    let project_url = context.project.web_url(&context.server);
    if let Some(id) = context.pipeline.id {
        out.job_only("CI_PIPELINE_ID", id.to_string());
        out.job_only("CI_PIPELINE_URL", format!("{project_url}/-/pipelines/{id}"));
    }
    let (false, Some(runtime)) = (job.bridge, &outcome.runtime) else {
        return out.0;
    };
    job_runtime_variables(context, runtime, &project_url, &mut out);
    out.0
}

/// Builds `CI_ENVIRONMENT_SLUG` and `CI_ENVIRONMENT_URL`, which GitLab appends last, once the
/// job's environment exists.
pub fn persisted_environment_variables(
    job: &JobSpec,
    environment: Option<&str>,
) -> Vec<PredefinedVariable> {
    let mut out = Predefined::default();
    let (Some(name), Some(environment)) = (environment, &job.environment) else {
        return out.0;
    };
    if is_blank(name) {
        return out.0;
    }
    out.job_only("CI_ENVIRONMENT_SLUG", environment_slug(name));
    if let Some(url) = &environment.url {
        out.job_only("CI_ENVIRONMENT_URL", url);
    }
    out.0
}

/// Looks up when a predefined variable becomes available, for the names GitLab documents.
/// Returns `None` for any other name.
pub fn predefined_availability(name: &str) -> Option<Availability> {
    if JOB_ONLY.contains(&name) {
        return Some(Availability::JobOnly);
    }
    if PIPELINE.contains(&name) || name.starts_with("CHAT_") {
        return Some(Availability::Pipeline);
    }
    let pre_pipeline = PRE_PIPELINE.contains(&name)
        || name.starts_with("CI_MERGE_REQUEST_")
        || name.starts_with("CI_EXTERNAL_PULL_REQUEST_")
        || name.starts_with("CI_SERVER_")
        || name.starts_with("CI_PROJECT_");
    pre_pipeline.then_some(Availability::PrePipeline)
}

/// Returns the static copy of `name` when it is a predefined variable that GitLab documents by
/// name, so that a [`CompactString`] can refer to it instead of allocating. Names known only by
/// a prefix, such as `CI_MERGE_REQUEST_*`, return `None`.
pub(crate) fn predefined_name(name: &str) -> Option<&'static str> {
    [PRE_PIPELINE, PIPELINE, JOB_ONLY]
        .into_iter()
        .flatten()
        .find(|known| **known == name)
        .copied()
}

/// Slugs a string as GitLab does for `CI_COMMIT_REF_SLUG`, `CI_PROJECT_PATH_SLUG` and the
/// other `*_SLUG` variables except the environment's. The string is lowercased, every character
/// other than `a-z` and `0-9` is replaced with `-`, the result is cut to 63 characters, and
/// leading and trailing `-` are removed.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len().min(63));
    slug.extend(slug_chars(text).take(63));
    let end = slug.trim_end_matches('-').len();
    slug.truncate(end);
    let start = slug.len() - slug.trim_start_matches('-').len();
    slug.drain(..start);
    slug
}

/// Lowercases `text` and replaces every character other than `a-z` and `0-9` with `-`: the
/// character mapping that every GitLab slug starts with, before cutting and trimming.
pub fn slug_characters(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    slug.extend(slug_chars(text));
    slug
}

/// Returns the characters of [`slug_characters`]. Lowercasing character by character gives the same
/// characters as lowercasing the whole text except for a final Greek sigma, whose two forms
/// both become `-`.
fn slug_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    // ASCII text, the usual case, skips the Unicode case tables.
    let (ascii, other) = if text.is_ascii() {
        (
            Some(
                text.bytes()
                    .map(|byte| char::from(byte.to_ascii_lowercase())),
            ),
            None,
        )
    } else {
        (None, Some(text.chars().flat_map(char::to_lowercase)))
    };
    let lowered = ascii
        .into_iter()
        .flatten()
        .chain(other.into_iter().flatten());
    lowered.map(|c| {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        }
    })
}

/// Computes the slug GitLab gives an environment (`CI_ENVIRONMENT_SLUG`): like [`slugify`] but
/// starting with a letter (`env-` is prefixed otherwise), with runs of `-` collapsed, and at
/// most 24 characters. When the slug differs from the name or is too long, GitLab keeps 17
/// characters and appends `-` and a 6-character suffix derived from the SHA-256 of the name.
pub fn environment_slug(name: &str) -> String {
    let lowered = slug_characters(name);
    let prefixed = if lowered.starts_with(|c: char| c.is_ascii_lowercase()) {
        lowered
    } else {
        format!("env-{lowered}")
    };
    let mut slug = String::with_capacity(prefixed.len());
    for c in prefixed.chars() {
        if !(c == '-' && slug.ends_with('-')) {
            slug.push(c);
        }
    }

    if slug.chars().count() > 24 || slug != name {
        let mut short: String = slug.chars().take(17).collect();
        if !short.ends_with('-') {
            short.push('-');
        }
        short.push_str(&environment_slug_suffix(name));
        short
    } else {
        slug.strip_suffix('-').unwrap_or(&slug).to_owned()
    }
}

/// Computes the last 6 base-36 digits of the SHA-256 of `name` read as a number, GitLab's
/// `Digest::SHA2.hexdigest(name).to_i(16).to_s(36).last(6)`.
fn environment_slug_suffix(name: &str) -> String {
    base36_suffix(&Sha256::digest(name.as_bytes()))
}

fn base36_suffix(digest: &[u8]) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    const MODULUS: u64 = 36 * 36 * 36 * 36 * 36 * 36;
    let mut remainder = digest
        .iter()
        .fold(0u64, |acc, &byte| (acc * 256 + u64::from(byte)) % MODULUS);
    let mut suffix = [b'0'; 6];
    for slot in suffix.iter_mut().rev() {
        let digit = usize::try_from(remainder % 36).unwrap_or(0);
        *slot = DIGITS.get(digit).copied().unwrap_or(b'0');
        remainder /= 36;
    }
    String::from_utf8_lossy(&suffix).into_owned()
}

/// Computes the group a job name belongs to in the pipeline graph (`CI_JOB_GROUP_NAME`): the
/// name without up to three trailing parallel indexes (`1/3`, `1:3`, `1 3`) or matrix values
/// (`[linux, 18]`).
pub fn job_group_name(name: &str) -> String {
    let stripped = match group_suffix_start(name) {
        Some(start) => name.get(..start).unwrap_or(name),
        None => name,
    };
    ruby_strip(stripped).to_owned()
}

/// Finds where GitLab's group-name pattern
/// `([\b\s:]+((\[.*\])|(\d+[\s:\/\\]+\d+))){1,3}\s*\z` first matches in `name`: the
/// smallest position from which the rest of the name is one to three suffix units and then
/// blanks. In the pattern `[\b]` is a backspace, and `\s`, `\d` and `.` have their ASCII Ruby
/// meanings (`.` is any character but a newline).
///
/// A unit is a run of separators followed by either a bracketed part (from `[` to any later
/// `]` on the same line) or an index pair (digits, index separators, digits). Neither `[` nor
/// a digit is a separator, so the separator run, the first digits and the index separators
/// of a unit are always whole runs, and only the unit's end varies. The search runs in linear
/// time, level by level: `reach[i]` at level `k` is whether the text from byte `i` is `k`
/// units and then blanks. Every byte the pattern names is ASCII, so the positions it finds
/// are character boundaries.
pub(crate) fn group_suffix_start(name: &str) -> Option<usize> {
    let bytes = name.as_bytes();
    let length = bytes.len();
    let is_blank = |byte: u8| matches!(byte, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ');
    let is_separator = |byte: u8| byte == 0x08 || byte == b':' || is_blank(byte);
    let is_index_separator =
        |byte: u8| byte == b'/' || byte == b'\\' || byte == b':' || is_blank(byte);
    let run_end = |from: usize, test: &dyn Fn(u8) -> bool| {
        let rest = bytes.get(from..).unwrap_or_default();
        from + rest.iter().take_while(|&&byte| test(byte)).count()
    };

    // Every suffix ends with `]` or a digit before the trailing blanks; most names end
    // otherwise and need no search.
    let last = bytes.iter().rposition(|&byte| !is_blank(byte))?;
    if !bytes
        .get(last)
        .is_some_and(|&byte| byte == b']' || byte.is_ascii_digit())
    {
        return None;
    }

    // Without a newline, and when no separator run is followed by a digit, every unit is a
    // bracketed part, and `.*` in the first one reaches the final `]`. The match then starts
    // at the first separator run that a `[` follows.
    if !bytes.contains(&b'\n') {
        let mut first_bracket = None;
        let mut digits = false;
        let mut i = 0;
        while i < length {
            if !bytes.get(i).is_some_and(|&byte| is_separator(byte)) {
                i += 1;
                continue;
            }
            let end = run_end(i, &is_separator);
            match bytes.get(end) {
                Some(b'[') => {
                    first_bracket.get_or_insert(i);
                }
                Some(byte) if byte.is_ascii_digit() => {
                    digits = true;
                    break;
                }
                _ => {}
            }
            i = end;
        }
        if !digits {
            return first_bracket.filter(|_| bytes.get(last) == Some(&b']'));
        }
    }

    // The possible ends of the unit that starts at each position: an inclusive range, and
    // whether only the ends just after a `]` count.
    let mut units: Vec<Option<(usize, usize, bool)>> = vec![None; length + 1];
    for (start, unit) in units.iter_mut().enumerate() {
        if !bytes.get(start).is_some_and(|&byte| is_separator(byte)) {
            continue;
        }
        let body = run_end(start, &is_separator);
        match bytes.get(body) {
            Some(b'[') => {
                let line_end = run_end(body + 1, &|byte| byte != b'\n');
                *unit = Some((body + 2, line_end, true));
            }
            Some(byte) if byte.is_ascii_digit() => {
                let first_digits = run_end(body, &|byte: u8| byte.is_ascii_digit());
                let separators = run_end(first_digits, &is_index_separator);
                let second_digits = run_end(separators, &|byte: u8| byte.is_ascii_digit());
                if separators > first_digits {
                    *unit = Some((separators + 1, second_digits, false));
                }
            }
            _ => {}
        }
    }

    // Level 0: only blanks follow.
    let mut reach = vec![false; length + 1];
    let blank_from = bytes
        .iter()
        .rposition(|&byte| !is_blank(byte))
        .map_or(0, |last| last + 1);
    for slot in reach.iter_mut().skip(blank_from) {
        *slot = true;
    }
    let mut found: Option<usize> = None;
    // Counts of reachable ends before each position, for range queries.
    let mut any = vec![0usize; length + 2];
    let mut after_bracket = vec![0usize; length + 2];
    for _ in 0..3 {
        for end in 0..=length {
            let reachable = reach.get(end) == Some(&true);
            let bracket = reachable && end > 0 && bytes.get(end - 1) == Some(&b']');
            let (Some(&any_before), Some(&bracket_before)) = (any.get(end), after_bracket.get(end))
            else {
                continue;
            };
            if let Some(slot) = any.get_mut(end + 1) {
                *slot = any_before + usize::from(reachable);
            }
            if let Some(slot) = after_bracket.get_mut(end + 1) {
                *slot = bracket_before + usize::from(bracket);
            }
        }
        for (slot, unit) in reach.iter_mut().zip(&units) {
            *slot = match *unit {
                Some((first, last, bracket)) if first <= last => {
                    let counts = if bracket { &after_bracket } else { &any };
                    let count = |i: usize| counts.get(i).copied().unwrap_or(0);
                    count(last + 1) > count(first)
                }
                _ => false,
            };
        }
        if let Some(start) = reach.iter().position(|&reachable| reachable) {
            found = Some(found.map_or(start, |earlier| earlier.min(start)));
        }
    }
    found
}

/// Guesses the tier GitLab gives a new environment without `deployment_tier`, from its name.
pub fn guess_environment_tier(name: &str) -> &'static str {
    let name = name.to_lowercase();
    let has = |parts: &[&str]| parts.iter().any(|part| name.contains(part));
    if has(&["dev", "review", "trunk"]) {
        "development"
    } else if has(&[
        "test", "tst", "int", "accept", "acpt", "qa", "qc", "control", "quality",
    ]) {
        "testing"
    } else if has(&["stag", "stg", "model", "modl", "pre", "demo", "non"]) {
        "staging"
    } else if has(&["prod", "prd", "live"]) {
        "production"
    } else {
        "other"
    }
}

/// Predefined variables collected in order.
#[derive(Default)]
struct Predefined(Vec<PredefinedVariable>);

impl Predefined {
    /// Appends a variable. The name is static, so the variable and its copies share it
    /// instead of allocating it.
    fn push(&mut self, availability: Availability, name: &'static str, value: impl Into<String>) {
        let name = CompactString::const_new(name);
        self.0.push(PredefinedVariable {
            availability,
            variable: ResolvedVariable::new(name, value, VariableSource::Predefined),
        });
    }

    fn pre(&mut self, name: &'static str, value: impl Into<String>) {
        self.push(Availability::PrePipeline, name, value);
    }

    fn pipeline(&mut self, name: &'static str, value: impl Into<String>) {
        self.push(Availability::Pipeline, name, value);
    }

    fn job_only(&mut self, name: &'static str, value: impl Into<String>) {
        self.push(Availability::JobOnly, name, value);
    }

    fn job_only_masked(&mut self, name: &'static str, value: impl Into<String>) {
        self.job_only(name, value);
        if let Some(last) = self.0.last_mut() {
            last.variable.masked = true;
        }
    }
}

/// `CI_PIPELINE_TRIGGERED` and `CI_TRIGGER_SHORT_TOKEN` of a pipeline started with a trigger
/// token.
fn trigger_variables(context: &PipelineContext, out: &mut Predefined) {
    if context.source != PipelineSource::Trigger {
        return;
    }
    out.pipeline("CI_PIPELINE_TRIGGERED", "true");
    if let Some(token) = &context.pipeline.trigger_short_token {
        out.pipeline("CI_TRIGGER_SHORT_TOKEN", token);
    }
}

fn project_variables(context: &PipelineContext, out: &mut Predefined) {
    server_variables(context, out);

    let project = &context.project;
    let server = &context.server;
    out.pre("GITLAB_FEATURES", project.licensed_features.join(","));
    out.pre("CI_PROJECT_ID", project.id.to_string());
    out.pre("CI_PROJECT_NAME", project.name());
    let title = project.title.as_deref().unwrap_or(project.name());
    out.pre("CI_PROJECT_TITLE", title);
    if let Some(description) = &project.description {
        out.pre("CI_PROJECT_DESCRIPTION", description);
    }
    out.pre("CI_PROJECT_PATH", &project.path);
    out.pre("CI_PROJECT_PATH_SLUG", slugify(&project.path));
    out.pre("CI_PROJECT_NAMESPACE", project.namespace());
    out.pre("CI_PROJECT_NAMESPACE_SLUG", slugify(project.namespace()));
    out.pre("CI_PROJECT_NAMESPACE_ID", project.namespace_id.to_string());
    out.pre("CI_PROJECT_ROOT_NAMESPACE", project.root_namespace());
    out.pre("CI_PROJECT_URL", project.web_url(server));
    out.pre("CI_PROJECT_VISIBILITY", project.visibility.as_str());
    let languages = project.repository_languages.join(",").to_lowercase();
    out.pre("CI_PROJECT_REPOSITORY_LANGUAGES", languages);
    if let Some(label) = &project.classification_label {
        out.pre("CI_PROJECT_CLASSIFICATION_LABEL", label);
    }
    out.pre("CI_DEFAULT_BRANCH", &context.default_branch);
    out.pre("CI_DEFAULT_BRANCH_SLUG", slugify(&context.default_branch));
    out.pre("CI_CONFIG_PATH", &context.config_path);

    // NOTE: GitLab Pages (`CI_PAGES_DOMAIN`, `CI_PAGES_URL`) and Auto DevOps variables are not
    // modelled; the context has no setting for them.
    if let Some(registry) = &server.registry {
        out.pre("CI_REGISTRY", registry);
        if project.container_registry {
            let image = format!("{registry}/{}", project.path.to_lowercase());
            out.pre("CI_REGISTRY_IMAGE", image);
        }
    }
    if server.dependency_proxy {
        let host = server.host_with_port();
        out.pre("CI_DEPENDENCY_PROXY_SERVER", &host);
        let root = project.root_namespace().to_lowercase();
        let group_prefix = format!("{host}/{root}/dependency_proxy/containers");
        out.pre("CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX", group_prefix);
        let namespace = project.namespace().to_lowercase();
        let direct_prefix = format!("{host}/{namespace}/dependency_proxy/containers");
        out.pre(
            "CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX",
            direct_prefix,
        );
    }
    let base = server.base_url();
    out.pre("CI_API_V4_URL", format!("{base}/api/v4"));
    out.pre("CI_API_GRAPHQL_URL", format!("{base}/api/graphql"));
    out.pre("CI_TEMPLATE_REGISTRY_HOST", "registry.gitlab.com");
}

fn server_variables(context: &PipelineContext, out: &mut Predefined) {
    let server = &context.server;
    out.pre("CI", "true");
    out.pre("GITLAB_CI", "true");
    out.pre("CI_SERVER_FQDN", server.fqdn());
    out.pre("CI_SERVER_URL", server.base_url());
    out.pre("CI_SERVER_HOST", server.host());
    out.pre("CI_SERVER_PORT", server.port().to_string());
    out.pre("CI_SERVER_PROTOCOL", server.protocol());
    let ssh_host = server.ssh_host.as_deref().unwrap_or(server.host());
    out.pre("CI_SERVER_SHELL_SSH_HOST", ssh_host);
    out.pre("CI_SERVER_SHELL_SSH_PORT", server.ssh_port.to_string());
    out.pre("CI_SERVER_NAME", "GitLab");
    out.pre("CI_SERVER_VERSION", &server.version);
    let [major, minor, patch] = version_parts(&server.version);
    out.pre("CI_SERVER_VERSION_MAJOR", major);
    out.pre("CI_SERVER_VERSION_MINOR", minor);
    out.pre("CI_SERVER_VERSION_PATCH", patch);
    out.pre("CI_SERVER_REVISION", &server.revision);
}

/// Major, minor and patch of a version such as `18.1.2-ee`: the leading digits of the first
/// three dot-separated parts, `0` where a part is missing.
fn version_parts(version: &str) -> [String; 3] {
    let mut parts = version.split('.').map(|part| {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        let trimmed = digits.trim_start_matches('0');
        if trimmed.is_empty() {
            "0".to_owned()
        } else {
            trimmed.to_owned()
        }
    });
    let mut next = || parts.next().unwrap_or_else(|| "0".to_owned());
    [next(), next(), next()]
}

fn pipeline_variables(context: &PipelineContext, out: &mut Predefined) {
    let pipeline = &context.pipeline;
    out.pipeline("CI_PIPELINE_IID", pipeline.iid.to_string());
    out.pre("CI_PIPELINE_SOURCE", context.source.as_str());
    // GitLab computes the creation time only once the pipeline is saved, so rules see `nil`.
    if let Some(created_at) = &pipeline.created_at {
        out.job_only("CI_PIPELINE_CREATED_AT", created_at);
    }
    if let Some(name) = &pipeline.name {
        out.pre("CI_PIPELINE_NAME", name);
    }
    if context.source == PipelineSource::Schedule
        && let Some(description) = &pipeline.schedule_description
    {
        out.pre("CI_PIPELINE_SCHEDULE_DESCRIPTION", description);
    }

    if !context.commit.sha.is_empty() {
        commit_variables(context, out);
    }
    if let (Some(tag), Some(message)) = (context.tag_name(), &context.commit.tag_message) {
        out.pre("CI_COMMIT_TAG", tag);
        out.pre("CI_COMMIT_TAG_MESSAGE", message);
    }
    if let Some(merge_request) = context.merge_request_pipeline() {
        merge_request_variables(context, merge_request, out);
    }

    let open = open_merge_requests(context);
    if !open.is_empty() {
        out.pre("CI_OPEN_MERGE_REQUESTS", open.join(","));
    }
    if context.server.fips_mode {
        out.pre("CI_GITLAB_FIPS_MODE", "true");
    }
    if pipeline.kubernetes_active {
        out.pre("CI_KUBERNETES_ACTIVE", "true");
    }
    if pipeline.deploy_freeze {
        out.pre("CI_DEPLOY_FREEZE", "true");
    }
    // NOTE: the `CI_EXTERNAL_PULL_REQUEST_*` variables of `external_pull_request_event`
    // pipelines are not modelled; the context has no external pull request.
}

fn commit_variables(context: &PipelineContext, out: &mut Predefined) {
    let commit = &context.commit;
    out.pre("CI_COMMIT_SHA", &commit.sha);
    out.pre(
        "CI_COMMIT_SHORT_SHA",
        commit.sha.chars().take(8).collect::<String>(),
    );
    out.pre("CI_COMMIT_BEFORE_SHA", &commit.before_sha);
    out.pre("CI_COMMIT_REF_NAME", context.commit_ref_name());
    out.pre("CI_COMMIT_REF_SLUG", slugify(context.commit_ref_name()));
    if let Some(branch) = context.branch() {
        out.pre("CI_COMMIT_BRANCH", branch);
    }

    let truncated = commit.message.len() > MAX_COMMIT_MESSAGE_BYTES;
    let limit = |text: &str| -> String {
        if truncated {
            truncate_bytes(text, MAX_COMMIT_MESSAGE_BYTES).to_owned()
        } else {
            text.to_owned()
        }
    };
    let title = commit
        .title
        .clone()
        .unwrap_or_else(|| commit_title(&commit.message).to_owned());
    let description = commit
        .description
        .clone()
        .unwrap_or_else(|| commit_description(&commit.message, &title));
    out.pre("CI_COMMIT_MESSAGE", limit(&commit.message));
    out.pre("CI_COMMIT_MESSAGE_IS_TRUNCATED", truncated.to_string());
    out.pre("CI_COMMIT_TITLE", limit(&title));
    out.pre("CI_COMMIT_DESCRIPTION", limit(&description));
    out.pre(
        "CI_COMMIT_REF_PROTECTED",
        context.protected_ref().to_string(),
    );
    out.pre("CI_COMMIT_TIMESTAMP", &commit.timestamp);
    out.pre("CI_COMMIT_AUTHOR", &commit.author);
}

/// Returns the first line of a commit message, as GitLab's `Commit#full_title` does.
///
/// NOTE: GitLab gives a blank message a placeholder title and description; glplan keeps them
/// empty.
fn commit_title(message: &str) -> &str {
    message.split(['\r', '\n']).next().unwrap_or_default()
}

/// Returns the message without its first line, or the whole message when the title has 100
/// characters or more, as GitLab's `Commit#description` does.
fn commit_description(message: &str, title: &str) -> String {
    if title.chars().count() >= 100 {
        return message.to_owned();
    }
    let rest = message.split_once('\n').map_or("", |(_, rest)| rest);
    let chomped = rest
        .strip_suffix("\r\n")
        .or_else(|| rest.strip_suffix('\n'))
        .or_else(|| rest.strip_suffix('\r'))
        .unwrap_or(rest);
    chomped.to_owned()
}

fn merge_request_variables(
    context: &PipelineContext,
    merge_request: &MergeRequest,
    out: &mut Predefined,
) {
    out.pre(
        "CI_MERGE_REQUEST_EVENT_TYPE",
        merge_request.event_type.as_str(),
    );
    // GitLab defines both SHAs in every merge request pipeline, empty unless the pipeline runs
    // on merged results.
    let (source_sha, target_sha) = match merge_request.event_type {
        MergeRequestEventType::Detached => (String::new(), String::new()),
        _ => (
            merge_request.source_branch_sha.clone().unwrap_or_default(),
            merge_request.target_branch_sha.clone().unwrap_or_default(),
        ),
    };
    out.pre("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", source_sha);
    out.pre("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", target_sha);
    if let Some(base) = &merge_request.diff_base_sha {
        out.pre(
            "CI_MERGE_REQUEST_DIFF_ID",
            merge_request.diff_id.to_string(),
        );
        out.pre("CI_MERGE_REQUEST_DIFF_BASE_SHA", base);
    }

    let project = &context.project;
    let project_url = project.web_url(&context.server);
    let iid = merge_request.iid;
    out.pre("CI_MERGE_REQUEST_ID", merge_request.id.to_string());
    out.pre("CI_MERGE_REQUEST_IID", iid.to_string());
    out.pre(
        "CI_MERGE_REQUEST_REF_PATH",
        format!("refs/merge-requests/{iid}/head"),
    );
    out.pre("CI_MERGE_REQUEST_PROJECT_ID", project.id.to_string());
    out.pre("CI_MERGE_REQUEST_PROJECT_PATH", &project.path);
    out.pre("CI_MERGE_REQUEST_PROJECT_URL", &project_url);
    out.pre(
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
        &merge_request.target_branch,
    );
    let target_protected = merge_request.target_branch_protected.to_string();
    out.pre("CI_MERGE_REQUEST_TARGET_BRANCH_PROTECTED", target_protected);
    out.pre("CI_MERGE_REQUEST_TITLE", &merge_request.title);
    out.pre("CI_MERGE_REQUEST_DRAFT", merge_request.draft.to_string());
    let description = &merge_request.description;
    let truncated = description.chars().count() > MAX_MERGE_REQUEST_DESCRIPTION_CHARS;
    let shown = truncate_with_omission(description, MAX_MERGE_REQUEST_DESCRIPTION_CHARS);
    out.pre("CI_MERGE_REQUEST_DESCRIPTION", shown);
    out.pre(
        "CI_MERGE_REQUEST_DESCRIPTION_IS_TRUNCATED",
        truncated.to_string(),
    );
    if !merge_request.assignees.is_empty() {
        out.pre(
            "CI_MERGE_REQUEST_ASSIGNEES",
            merge_request.assignees.join(","),
        );
    }
    if let Some(milestone) = &merge_request.milestone {
        out.pre("CI_MERGE_REQUEST_MILESTONE", milestone);
    }
    if !merge_request.labels.is_empty() {
        out.pre("CI_MERGE_REQUEST_LABELS", merge_request.labels.join(","));
    }
    let squash = merge_request.squash_on_merge.to_string();
    out.pre("CI_MERGE_REQUEST_SQUASH_ON_MERGE", squash);

    let source_path = merge_request
        .source_project_path
        .clone()
        .unwrap_or_else(|| project.path.clone());
    let source_url = match &merge_request.source_project_path {
        Some(path) => format!("{}/{path}", context.server.base_url()),
        None => project_url,
    };
    let source_id = merge_request.source_project_id.unwrap_or(project.id);
    out.pre("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", source_id.to_string());
    out.pre("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH", source_path);
    out.pre("CI_MERGE_REQUEST_SOURCE_PROJECT_URL", source_url);
    out.pre(
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
        &merge_request.source_branch,
    );
    let source_protected = merge_request.source_branch_protected.to_string();
    out.pre("CI_MERGE_REQUEST_SOURCE_BRANCH_PROTECTED", source_protected);
    // GitLab Premium defines the approval variable only for approved merge requests.
    if merge_request.approved {
        out.pre("CI_MERGE_REQUEST_APPROVED", "true");
    }
}

/// `CI_OPEN_MERGE_REQUESTS`: the given references, or the pipeline's own merge request in a
/// merge request pipeline; at most four.
fn open_merge_requests(context: &PipelineContext) -> Vec<String> {
    let listed = &context.pipeline.open_merge_requests;
    let references = match context.merge_request_pipeline() {
        Some(merge_request) if listed.is_empty() => {
            vec![format!("{}!{}", context.project.path, merge_request.iid)]
        }
        _ => listed.clone(),
    };
    references
        .into_iter()
        .take(MAX_OPEN_MERGE_REQUESTS)
        .collect()
}

fn job_runtime_variables(
    context: &PipelineContext,
    runtime: &JobRuntime,
    project_url: &str,
    out: &mut Predefined,
) {
    let server = &context.server;
    let id = runtime.job_id;
    out.job_only("CI_JOB_ID", id.to_string());
    out.job_only("CI_JOB_URL", format!("{project_url}/-/jobs/{id}"));
    out.job_only_masked("CI_JOB_TOKEN", &runtime.token);
    if let Some(started_at) = &runtime.started_at {
        out.job_only("CI_JOB_STARTED_AT", started_at);
    }
    out.job_only("CI_REGISTRY_USER", "gitlab-ci-token");
    out.job_only_masked("CI_REGISTRY_PASSWORD", &runtime.token);
    let repository = format!(
        "{}://gitlab-ci-token:{}@{}/{}.git",
        server.protocol(),
        runtime.token,
        server.fqdn(),
        context.project.path
    );
    out.job_only_masked("CI_REPOSITORY_URL", repository);
    if server.dependency_proxy {
        out.job_only("CI_DEPENDENCY_PROXY_USER", "gitlab-ci-token");
        out.job_only_masked("CI_DEPENDENCY_PROXY_PASSWORD", &runtime.token);
    }
}

/// Ruby's `String#truncate(limit)` from ActiveSupport: a text longer than `limit` characters
/// keeps `limit - 3` characters followed by `...`.
fn truncate_with_omission(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let kept: String = text.chars().take(limit.saturating_sub(3)).collect();
    format!("{kept}...")
}

/// Returns the longest prefix of `text` of at most `limit` bytes that ends on a character
/// boundary.
///
/// NOTE: GitLab cuts at the byte (`byteslice`) and may leave half a character; glplan keeps
/// the string valid UTF-8 instead.
fn truncate_bytes(text: &str, limit: usize) -> &str {
    let mut end = limit.min(text.len());
    while !text.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    text.get(..end).unwrap_or_default()
}

/// Ruby's `String#strip`: removes leading and trailing whitespace and NUL characters.
fn ruby_strip(text: &str) -> &str {
    text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r' | '\0'))
}

/// Ruby's `blank?` for a string: empty or only whitespace.
pub(crate) fn is_blank(text: &str) -> bool {
    text.chars().all(char::is_whitespace)
}

const PRE_PIPELINE: &[&str] = &[
    "CI",
    "GITLAB_CI",
    "GITLAB_FEATURES",
    "CI_API_V4_URL",
    "CI_API_GRAPHQL_URL",
    "CI_COMMIT_AUTHOR",
    "CI_COMMIT_BEFORE_SHA",
    "CI_COMMIT_BRANCH",
    "CI_COMMIT_DESCRIPTION",
    "CI_COMMIT_MESSAGE",
    "CI_COMMIT_MESSAGE_IS_TRUNCATED",
    "CI_COMMIT_REF_NAME",
    "CI_COMMIT_REF_PROTECTED",
    "CI_COMMIT_REF_SLUG",
    "CI_COMMIT_SHA",
    "CI_COMMIT_SHORT_SHA",
    "CI_COMMIT_TAG",
    "CI_COMMIT_TAG_MESSAGE",
    "CI_COMMIT_TIMESTAMP",
    "CI_COMMIT_TITLE",
    "CI_CONFIG_PATH",
    "CI_DEFAULT_BRANCH",
    "CI_DEFAULT_BRANCH_SLUG",
    "CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX",
    "CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX",
    "CI_DEPENDENCY_PROXY_SERVER",
    "CI_DEPLOY_FREEZE",
    "CI_GITLAB_FIPS_MODE",
    "CI_KUBERNETES_ACTIVE",
    "CI_OPEN_MERGE_REQUESTS",
    "CI_PAGES_DOMAIN",
    "CI_PAGES_URL",
    "CI_PIPELINE_NAME",
    "CI_PIPELINE_SCHEDULE_DESCRIPTION",
    "CI_PIPELINE_SOURCE",
    "CI_REGISTRY",
    "CI_REGISTRY_IMAGE",
    "CI_TEMPLATE_REGISTRY_HOST",
];

const PIPELINE: &[&str] = &[
    "CI_DEBUG_SERVICES",
    "CI_DEBUG_TRACE",
    "CI_DEPENDENCY_PROXY_PASSWORD",
    "CI_DEPENDENCY_PROXY_USER",
    "CI_DISPOSABLE_ENVIRONMENT",
    "CI_ENVIRONMENT_ACTION",
    "CI_ENVIRONMENT_NAME",
    "CI_ENVIRONMENT_TIER",
    "CI_ENVIRONMENT_URL",
    "CI_HAS_OPEN_REQUIREMENTS",
    "CI_JOB_GROUP_NAME",
    "CI_JOB_MANUAL",
    "CI_JOB_NAME",
    "CI_JOB_NAME_SLUG",
    "CI_JOB_STAGE",
    "CI_NODE_INDEX",
    "CI_NODE_TOTAL",
    "CI_PIPELINE_IID",
    "CI_PIPELINE_TRIGGERED",
    "CI_RELEASE_DESCRIPTION",
    "CI_SHARED_ENVIRONMENT",
    "CI_TRIGGER_SHORT_TOKEN",
    "GITLAB_USER_EMAIL",
    "GITLAB_USER_ID",
    "GITLAB_USER_LOGIN",
    "GITLAB_USER_NAME",
    "KUBECONFIG",
    "TRIGGER_PAYLOAD",
];

// `CI_ENVIRONMENT_SLUG` is listed as a pipeline variable in GitLab's documentation, but GitLab
// defines it only from the created environment, after rules have run. The same holds for
// `CI_PIPELINE_CREATED_AT`, documented as pre-pipeline.
const JOB_ONLY: &[&str] = &[
    "CI_BUILDS_DIR",
    "CI_CONCURRENT_ID",
    "CI_CONCURRENT_PROJECT_ID",
    "CI_DEPLOY_PASSWORD",
    "CI_DEPLOY_USER",
    "CI_ENVIRONMENT_SLUG",
    "CI_JOB_ID",
    "CI_JOB_IMAGE",
    "CI_JOB_STARTED_AT",
    "CI_JOB_STATUS",
    "CI_JOB_TIMEOUT",
    "CI_JOB_TOKEN",
    "CI_JOB_URL",
    "CI_PIPELINE_CREATED_AT",
    "CI_PIPELINE_ID",
    "CI_PIPELINE_URL",
    "CI_PROJECT_DIR",
    "CI_REGISTRY_PASSWORD",
    "CI_REGISTRY_USER",
    "CI_REPOSITORY_URL",
    "CI_RUNNER_DESCRIPTION",
    "CI_RUNNER_EXECUTABLE_ARCH",
    "CI_RUNNER_ID",
    "CI_RUNNER_REVISION",
    "CI_RUNNER_SHORT_TOKEN",
    "CI_RUNNER_TAGS",
    "CI_RUNNER_VERSION",
    "CI_SERVER",
    "CI_SERVER_TLS_CA_FILE",
    "CI_SERVER_TLS_CERT_FILE",
    "CI_SERVER_TLS_KEY_FILE",
];
