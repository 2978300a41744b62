//! The durations file: how long each job runs in a simulated pipeline, and which attempts
//! fail.
//!
//! The file is YAML, loaded with the same Psych-compatible loader as `.gitlab-ci.yml`:
//!
//! ```yaml
//! default: 5 minutes        # jobs no entry matches (5 minutes when the key is absent)
//! timeout: 1h               # the project's job timeout, for jobs without `timeout:`
//!                           # (1 hour when absent; at least 10 minutes, under 1 month)
//! jobs:
//!   build: 3m 30s           # a job name, or the name of a parallel job's base
//!   "test *": 12 minutes    # a glob, matched like `rules:changes` patterns
//!   deploy:
//!     duration: 1 minute
//!     fail: 1               # the first attempt fails; `true` makes every attempt fail
//!     exit_code: 137        # the failing attempts' exit code (1 when absent), from
//!                           # -2147483648 to 4294967295
//! ```
//!
//! Durations use GitLab's duration syntax (`90`, `1h 30m`, `2 hours`, `1:20`), the one
//! `timeout:` and `start_in:` use. An integer is a number of seconds, and `0` is allowed
//! everywhere but in `timeout`, which must be in the range GitLab accepts for the project
//! setting. An empty file, or one with only `{}`, sets nothing.
//!
//! A job takes the first entry whose key equals its name, else the first whose key equals its
//! parallel base name (`test` for `test 1/3`), else the first glob, in file order, that
//! matches its name or its base name. Globs use the `rules:changes` dialect, where `*` does not
//! match `/`, so `test*` matches `test 1/3` through its base name `test`. As in Ruby's
//! `File.fnmatch?`, a `[` without its `]` opens a class that matches nothing, and a `{`
//! without its `}` makes the whole glob match nothing, so `build: [linux*` selects no job.
//! `build: \[linux*` matches a literal `[`. Trigger jobs take no runner and last 0 seconds
//! unless an entry names them.
//!
//! The jobs of a simulated child pipeline are named after their trigger job, as in
//! `deploy/rspec`, so `deploy/*` matches every job of that child pipeline, and `**/rspec`
//! matches `rspec` in every pipeline. A key written as a YAML sequence, such as
//! `[deploy, rspec]: 3m`, is a path of whole job names or parallel base names, from the top
//! pipeline down, so a `/` in a job name stays apart. It is not a glob, and it ranks with the
//! names: as a name when its last item is the job's name, as a base name when it is the job's
//! parallel base name. An entry for a trigger job whose child pipeline is
//! simulated is ignored, because the child pipeline decides when that job ends.
//!
//! [`unused_durations`](super::unused_durations) reports the entries that no job takes.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::glob::Fnmatch;
use crate::limits::Limits;
use crate::pipeline::PlannedJob;
use crate::source::{FileId, Span};
use crate::yaml::{self, Key, Node, Value};

use super::selector::{JobSelector, PathLevel, path_selects};

use crate::config::keywords::duration::parse_seconds;

/// Run time of a job that no entry matches, when the file sets no `default`.
pub const DEFAULT_JOB_SECONDS: u64 = 300;

/// The project's job timeout when the file sets no `timeout`: GitLab's default project
/// setting, 60 minutes.
pub const DEFAULT_PROJECT_TIMEOUT_SECONDS: u64 = 3600;

/// The shortest project job timeout GitLab accepts, 10 minutes. GitLab's `Project` model
/// validates `build_timeout` as at least `10.minutes` and less than `1.month`
/// (`MAX_BUILD_TIMEOUT`): "needs to be between 10 minutes and 1 month".
pub const MIN_PROJECT_TIMEOUT_SECONDS: u64 = 600;

/// The first project job timeout GitLab rejects as too long: Rails' `1.month`, 1/12 of a
/// Gregorian year, 2,629,746 seconds (30 days, 10 hours, 29 minutes and 6 seconds).
pub const PROJECT_TIMEOUT_LIMIT_SECONDS: u64 = 2_629_746;

/// The exit codes a job can fail with, as gitlab-runner reports them in a Go `int`. A Unix
/// process exits with 0 to 255 and a Windows process with any 32-bit value. gitlab-runner 19.0
/// and later read every code as a signed 32-bit value (`NormalizeExitCode` in
/// `common/exit_code.go`), and earlier releases report a Windows code as its unsigned value, so
/// both ranges are accepted.
pub const EXIT_CODES: std::ops::RangeInclusive<i64> = (i32::MIN as i64)..=(u32::MAX as i64);

/// Which attempts of a job fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Failures {
    /// Every attempt succeeds.
    #[default]
    None,
    /// The first N attempts fail, later ones succeed (a flaky job).
    First(u32),
    /// Every attempt fails.
    All,
}

impl Failures {
    /// Returns whether attempt `attempt` (from 0) fails.
    pub fn fails(self, attempt: u32) -> bool {
        match self {
            Failures::None => false,
            Failures::First(count) => attempt < count,
            Failures::All => true,
        }
    }
}

/// How one job behaves in the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobTiming {
    /// Run time of each attempt, in seconds.
    pub seconds: u64,
    /// Which attempts fail.
    pub failures: Failures,
    /// Exit code of a failing attempt, which `allow_failure:exit_codes` and
    /// `retry:exit_codes` compare.
    pub exit_code: i64,
    /// Whether an entry of the file matched the job (otherwise `seconds` is the default).
    pub matched: bool,
}

/// One entry of `jobs:`.
#[derive(Debug, Clone)]
pub struct DurationEntry {
    /// The key as written: a job name or a glob.
    pub pattern: String,
    /// Run time in seconds.
    pub seconds: u64,
    /// Which attempts fail.
    pub failures: Failures,
    /// Exit code of a failing attempt.
    pub exit_code: i64,
    /// Where the key is written.
    pub span: Span,
    /// Position of the `exit_code` key, when the entry sets one.
    pub exit_code_span: Option<Span>,
    /// The names of the key when it is a YAML sequence, such as `[deploy, rspec]`: the trigger
    /// jobs from the top pipeline down, then the job, each a whole job name or a parallel
    /// job's base name. `pattern` then shows it as a JSON array, and it is not a glob.
    pub path: Option<Vec<String>>,
    /// The `[` or `{` that is never closed and makes the key's glob match nothing.
    pub unclosed: Option<UnclosedGlob>,
    /// The `[]` that is an empty class and makes the key's glob match nothing.
    pub empty_class: Option<EmptyClass>,
    glob: Fnmatch,
}

/// A `[` that opens a class without its `]`, or a `{` without its `}`, in a durations key (see
/// [`Fnmatch::unclosed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnclosedGlob {
    /// `[` or `{`.
    pub character: char,
    /// Byte index of the character in the key.
    pub index: usize,
    /// The character in the file when the key is the pattern as written, plain or in quotes
    /// without escapes, else the whole key.
    pub span: Span,
}

/// An empty class `[]` in a durations key (see [`Fnmatch::empty_class`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyClass {
    /// Byte index of the `[` in the key.
    pub index: usize,
    /// The `[]` in the file when the key is the pattern as written, plain or in quotes without
    /// escapes, else the whole key.
    pub span: Span,
}

/// A parsed durations file.
#[derive(Debug, Clone)]
pub struct Durations {
    /// Run time of jobs no entry matches, in seconds.
    pub default_seconds: u64,
    /// The project's job timeout in seconds, for jobs without `timeout:`.
    pub project_timeout: u64,
    /// The entries of `jobs:`, in file order.
    pub entries: Vec<DurationEntry>,
}

impl Default for Durations {
    fn default() -> Self {
        Durations {
            default_seconds: DEFAULT_JOB_SECONDS,
            project_timeout: DEFAULT_PROJECT_TIMEOUT_SECONDS,
            entries: Vec::new(),
        }
    }
}

impl Durations {
    /// Parses a durations file. Bad entries are reported to `diags` and left out, so the
    /// result is usable even when there are errors.
    pub fn parse(file: FileId, text: &str, limits: &Limits, diags: &mut Diagnostics) -> Durations {
        let mut durations = Durations::default();
        let Some(body) = yaml::load_data(file, text, limits, diags) else {
            return durations;
        };
        if body.is_null() {
            return durations;
        }
        let Some(root) = body.as_map() else {
            diags.push(
                Diagnostic::error(
                    "invalid-durations-file",
                    format!(
                        "a durations file should be a mapping, found {}",
                        body.type_name()
                    ),
                )
                .with_span(body.span)
                .with_help("write `default:`, `timeout:` and `jobs:` at the top level"),
            );
            return durations;
        };
        let reader = Reader { text };
        for (key, entry) in root.entries() {
            let node = &entry.value;
            match key.as_str() {
                Some("default") => {
                    if let Some(seconds) = reader.seconds("default", node, diags) {
                        durations.default_seconds = seconds;
                    }
                }
                Some("timeout") => {
                    let seconds = reader.seconds("timeout", node, diags);
                    if let Some(seconds) = seconds.filter(|&seconds| {
                        check_project_timeout(seconds, node, reader.raw(node), diags)
                    }) {
                        durations.project_timeout = seconds;
                    }
                }
                Some("jobs") => durations.entries = reader.entries(node, diags),
                _ => diags.push(
                    Diagnostic::warning(
                        "unknown-durations-key",
                        format!("unknown key `{key}` in the durations file"),
                    )
                    .with_span(entry.key_span)
                    .with_help("the keys are `default`, `timeout` and `jobs`"),
                ),
            }
        }
        durations
    }

    /// Returns how `job` behaves: the first entry that names it, else its parallel base, else
    /// the first matching glob; the default when none matches. Trigger jobs default to 0
    /// seconds.
    pub fn timing(&self, job: &PlannedJob) -> JobTiming {
        let base = job.parallel.as_ref().map(|p| p.base_name.as_str());
        let trigger = job.trigger.is_some() || job.kind == crate::config::JobKind::Bridge;
        self.timing_named(&job.name, base, trigger)
    }

    /// Returns how the job called `name`, with the parallel base name `base`, behaves, as
    /// [`Durations::timing`] does. `trigger` gives a trigger job's default of 0 seconds. The
    /// job is one of the top pipeline; the simulation names a child pipeline's jobs after
    /// their trigger jobs, as in `deploy/rspec`.
    pub fn timing_named(&self, name: &str, base: Option<&str>, trigger: bool) -> JobTiming {
        let levels = [PathLevel { name, base }];
        let job = JobNames {
            name,
            bases: base.as_slice(),
            levels: &levels,
        };
        self.timing_of(&job, trigger)
    }

    /// Returns how `job` behaves, as [`Durations::timing_named`] does.
    pub(crate) fn timing_of(&self, job: &JobNames<'_>, trigger: bool) -> JobTiming {
        match self
            .entry_for(job)
            .and_then(|index| self.entries.get(index))
        {
            Some(entry) => JobTiming {
                seconds: entry.seconds,
                failures: entry.failures,
                exit_code: entry.exit_code,
                matched: true,
            },
            None => JobTiming {
                seconds: if trigger { 0 } else { self.default_seconds },
                failures: Failures::None,
                exit_code: 1,
                matched: false,
            },
        }
    }

    /// Returns the index in [`Durations::entries`] of the entry that `job` takes. That is the
    /// first entry whose key is its name, or a path to it that ends in its own name. Else it
    /// is the first whose key is one of its base names, in the order given, or a path that
    /// ends in its parallel base name. Else it is the first glob that matches its name or a
    /// base name.
    pub(crate) fn entry_for(&self, job: &JobNames<'_>) -> Option<usize> {
        let own = job.levels.last();
        let own_name = own.map(|level| level.name);
        let own_base = own.and_then(|level| level.base);
        let exact = |name: &str| {
            self.entries.iter().position(|e| match &e.path {
                None => e.pattern == name,
                Some(path) => {
                    path.last().map(String::as_str) == own_name && path_selects(path, job.levels)
                }
            })
        };
        let by_base = |base: &str| {
            self.entries.iter().position(|e| match &e.path {
                None => e.pattern == base,
                Some(path) => {
                    own_base.is_some()
                        && path.last().map(String::as_str) == own_base
                        && path_selects(path, job.levels)
                }
            })
        };
        let glob = || {
            self.entries.iter().position(|e| {
                e.path.is_none()
                    && (e.glob.matches(job.name) || job.bases.iter().any(|b| e.glob.matches(b)))
            })
        };
        exact(job.name)
            .or_else(|| job.bases.iter().find_map(|base| by_base(base)))
            .or_else(glob)
    }
}

/// The names by which durations entries select a job: its name in the simulation, such as
/// `deploy/rspec`, its base names, and its path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JobNames<'a> {
    /// The job's name, with the trigger jobs of its pipeline in front.
    pub(crate) name: &'a str,
    /// Its parallel base name and, in the child pipeline of a parallel trigger job, the name
    /// built from the parallel base names of the job and its trigger jobs (`deploy/rspec` for
    /// `deploy: [eu]/rspec`).
    pub(crate) bases: &'a [&'a str],
    /// The trigger jobs from the top pipeline down, then the job.
    pub(crate) levels: &'a [PathLevel<'a>],
}

impl DurationEntry {
    /// Returns whether the entry selects `job`: by its key, as a path or as a glob. The job may
    /// still take another entry.
    pub(crate) fn selects(&self, job: &JobNames<'_>) -> bool {
        if let Some(path) = &self.path {
            return path_selects(path, job.levels);
        }
        std::iter::once(&job.name)
            .chain(job.bases)
            .any(|name| self.pattern == *name || self.glob.matches(name))
    }
}

/// The values of one entry of `jobs:`, as [`DurationEntry`] keeps them.
struct EntryValue {
    seconds: u64,
    failures: Failures,
    exit_code: i64,
    exit_code_span: Option<Span>,
}

/// Reads values of the durations file, with the text at hand for clock notation.
struct Reader<'t> {
    text: &'t str,
}

impl Reader<'_> {
    /// Returns the text of `node` as written.
    fn raw(&self, node: &Node) -> &str {
        self.text.get(node.span.range()).unwrap_or_default().trim()
    }

    /// Returns the span of the `length` bytes at byte `index` of `pattern`, the key written at
    /// `key_span`: exact when the key is the pattern as written, plain or in quotes without
    /// escapes, else the whole key.
    fn character_span(&self, key_span: Span, pattern: &str, index: usize, length: u32) -> Span {
        let written = self.text.get(key_span.range()).unwrap_or_default();
        let quoted = written.len() == pattern.len() + 2
            && (written.starts_with('\'') || written.starts_with('"'))
            && written.get(1..written.len() - 1) == Some(pattern);
        let offset = if written == pattern {
            index
        } else if quoted {
            index + 1
        } else {
            return key_span;
        };
        let Ok(offset) = u32::try_from(offset) else {
            return key_span;
        };
        let start = key_span.start + offset;
        Span::new(key_span.file, start, start + length)
    }

    fn entries(&self, node: &Node, diags: &mut Diagnostics) -> Vec<DurationEntry> {
        if node.is_null() {
            return Vec::new();
        }
        let Some(map) = node.as_map() else {
            diags.push(
                Diagnostic::error(
                    "invalid-durations-file",
                    format!("`jobs` should be a mapping, found {}", node.type_name()),
                )
                .with_span(node.span)
                .with_help("map each job name or glob to a duration, as in `build: 3m`"),
            );
            return Vec::new();
        };
        let mut entries = Vec::new();
        for (key, entry) in map.entries() {
            let job_path = match key {
                Key::Complex(json) if json.starts_with('[') => {
                    match key_path(json, entry.key_span) {
                        Ok(names) => Some(names),
                        Err(error) => {
                            diags.push(error);
                            continue;
                        }
                    }
                }
                _ => None,
            };
            let pattern = match &job_path {
                Some(names) => JobSelector::Path(names.clone()).to_string(),
                None => key.to_string(),
            };
            let path = format!("jobs:{pattern}");
            let value = &entry.value;
            let parsed = match &value.value {
                Value::Map(fields) => self.detailed(&path, value.span, fields, diags),
                _ => self.seconds(&path, value, diags).map(|seconds| EntryValue {
                    seconds,
                    failures: Failures::None,
                    exit_code: 1,
                    exit_code_span: None,
                }),
            };
            if let Some(parsed) = parsed {
                let glob = Fnmatch::new(&pattern);
                let unclosed = glob.unclosed().map(|(index, character)| UnclosedGlob {
                    character,
                    index,
                    span: self.character_span(entry.key_span, &pattern, index, 1),
                });
                let empty_class = glob.empty_class().map(|index| EmptyClass {
                    index,
                    span: self.character_span(entry.key_span, &pattern, index, 2),
                });
                entries.push(DurationEntry {
                    glob,
                    unclosed,
                    empty_class,
                    pattern,
                    seconds: parsed.seconds,
                    failures: parsed.failures,
                    exit_code: parsed.exit_code,
                    span: entry.key_span,
                    exit_code_span: parsed.exit_code_span,
                    path: job_path,
                });
            }
        }
        entries
    }

    /// Reads the mapping form of an entry: `duration`, `fail` and `exit_code`.
    fn detailed(
        &self,
        path: &str,
        span: Span,
        fields: &yaml::Mapping,
        diags: &mut Diagnostics,
    ) -> Option<EntryValue> {
        let mut seconds = None;
        let mut failures = Failures::None;
        let mut exit_code = 1;
        let mut exit_code_span = None;
        let mut valid = true;
        for (key, entry) in fields.entries() {
            let node = &entry.value;
            match key.as_str() {
                Some("duration") => {
                    seconds = self.seconds(&format!("{path}:duration"), node, diags);
                    valid &= seconds.is_some();
                }
                Some("fail") => match &node.value {
                    Value::Bool(true) => failures = Failures::All,
                    Value::Bool(false) => failures = Failures::None,
                    Value::Int(count) if *count >= 0 => {
                        failures = Failures::First(u32::try_from(*count).unwrap_or(u32::MAX));
                    }
                    _ => {
                        diags.push(invalid_value(
                            &format!("{path}:fail"),
                            "a boolean or a number of failing attempts",
                            node,
                            self.raw(node),
                        ));
                        valid = false;
                    }
                },
                Some("exit_code") => {
                    let path = format!("{path}:exit_code");
                    match node.as_int().filter(|code| EXIT_CODES.contains(code)) {
                        Some(code) => {
                            exit_code = code;
                            exit_code_span = Some(entry.key_span);
                            diags.extend(unreported_exit_code(&path, code, node));
                        }
                        None => {
                            let expected = format!(
                                "an integer from {} to {}",
                                EXIT_CODES.start(),
                                EXIT_CODES.end()
                            );
                            diags.push(invalid_value(&path, &expected, node, self.raw(node)));
                            valid = false;
                        }
                    }
                }
                _ => diags.push(
                    Diagnostic::warning(
                        "unknown-durations-key",
                        format!("unknown key `{key}` in `{path}`"),
                    )
                    .with_span(entry.key_span)
                    .with_help("the keys of a job entry are `duration`, `fail` and `exit_code`"),
                ),
            }
        }
        if !valid {
            return None;
        }
        let Some(seconds) = seconds else {
            diags.push(
                Diagnostic::error("missing-duration", format!("`{path}` has no `duration`"))
                    .with_span(span)
                    .with_help("add `duration:`, as in `duration: 2m`"),
            );
            return None;
        };
        Some(EntryValue {
            seconds,
            failures,
            exit_code,
            exit_code_span,
        })
    }

    /// Reads a duration: a string in GitLab's duration syntax, or an integer number of
    /// seconds.
    fn seconds(&self, path: &str, node: &Node, diags: &mut Diagnostics) -> Option<u64> {
        // Psych reads `1:20` as the sexagesimal integer 4800, but GitLab's duration syntax
        // reads it as 1 minute 20 seconds, so clock notation is parsed from the text.
        let raw = self.text.get(node.span.range()).unwrap_or_default();
        let text = match &node.value {
            Value::Int(_) if raw.contains(':') => Some(raw.trim()),
            Value::Int(seconds) => {
                return match u64::try_from(*seconds) {
                    Ok(seconds) => Some(seconds),
                    Err(_) => {
                        diags.push(invalid_duration(path, node, raw));
                        None
                    }
                };
            }
            Value::String(text) => Some(text.as_str()),
            _ => None,
        };
        let seconds = text.and_then(parse_seconds);
        match seconds {
            Some(seconds) if seconds >= 0.0 && seconds < u64::MAX as f64 => Some(seconds as u64),
            _ => {
                diags.push(invalid_duration(path, node, raw));
                None
            }
        }
    }
}

/// Returns whether `seconds` is a project job timeout GitLab accepts, and reports it otherwise.
fn check_project_timeout(seconds: u64, node: &Node, raw: &str, diags: &mut Diagnostics) -> bool {
    let range = MIN_PROJECT_TIMEOUT_SECONDS..PROJECT_TIMEOUT_LIMIT_SECONDS;
    if range.contains(&seconds) {
        return true;
    }
    diags.push(
        Diagnostic::error(
            "invalid-project-timeout",
            format!(
                "`timeout` should be at least 10 minutes and less than 1 month, found `{raw}` \
                 ({seconds} {})",
                if seconds == 1 { "second" } else { "seconds" }
            ),
        )
        .with_span(node.span)
        .with_help(format!(
            "GitLab's project setting accepts {MIN_PROJECT_TIMEOUT_SECONDS} to {} seconds; to \
             stop one job sooner, set `timeout:` on that job in the configuration",
            PROJECT_TIMEOUT_LIMIT_SECONDS - 1
        )),
    );
    false
}

/// Returns a warning when gitlab-runner does not report `code`, the `exit_code` of a durations
/// entry at `path`, as written. It never reports 0, and 19.0 and later report a Windows code
/// above `i32::MAX` as its signed 32-bit value.
fn unreported_exit_code(path: &str, code: i64, node: &Node) -> Option<Diagnostic> {
    let (message, help) = if code == 0 {
        (
            format!(
                "`{path}` is 0, but gitlab-runner does not report exit code 0 for a failed \
                 job, so the failing attempts have no exit code and match no `exit_codes` list"
            ),
            "write the non-zero code that the job's script fails with, or remove `exit_code` \
             for the default 1"
                .to_owned(),
        )
    } else if code > i64::from(i32::MAX) {
        let signed = i64::from(code as u32 as i32);
        (
            format!(
                "`{path}` is {code}, a Windows exit code that gitlab-runner 19.0 and later \
                 report as its signed 32-bit value {signed}, while the simulation compares \
                 {code} with `exit_codes`, as earlier releases report it"
            ),
            format!("write `exit_code: {signed}` to simulate gitlab-runner 19.0 or later"),
        )
    } else {
        return None;
    };
    Some(
        Diagnostic::warning("exit-code-not-reported", message)
            .with_span(node.span)
            .with_help(help),
    )
}

/// Reads a `jobs:` key written as a YAML sequence, which the loader keeps as `json`, into the
/// names of a job path. Every item must be a string, and there must be at least one.
fn key_path(json: &str, span: Span) -> Result<Vec<String>, Diagnostic> {
    let names: Option<Vec<String>> = serde_json::from_str(json).ok();
    match names {
        Some(names) if !names.is_empty() => Ok(names),
        _ => Err(Diagnostic::error(
            "invalid-durations-key",
            format!("the durations key `{json}` should be a job path, a list of job names"),
        )
        .with_span(span)
        .with_help(
            "list the trigger jobs from the top pipeline down, then the job, as in \
             `[deploy, rspec]`, and quote a name that YAML reads as another type, as in `'1'`",
        )),
    }
}

fn invalid_duration(path: &str, node: &Node, raw: &str) -> Diagnostic {
    Diagnostic::error(
        "invalid-duration",
        format!("`{path}` should be a duration, found `{}`", raw.trim()),
    )
    .with_span(node.span)
    .with_help("write a duration such as `90`, `3m 30s`, `1 hour` or `1:20`")
}

/// Builds the error for a value of the wrong kind. A number is shown with its text, because
/// its type alone, as in "found integer" for `-1`, does not say what is wrong with it.
fn invalid_value(path: &str, expected: &str, node: &Node, raw: &str) -> Diagnostic {
    let found = match node.value {
        Value::Int(_) | Value::BigInt(_) | Value::Float(_) => {
            format!("{} `{}`", node.type_name(), raw.trim())
        }
        _ => node.type_name().to_owned(),
    };
    Diagnostic::error(
        "invalid-durations-value",
        format!("`{path}` should be {expected}, found {found}"),
    )
    .with_span(node.span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryFiles;
    use crate::context::PipelineContext;
    use crate::pipeline::{PlanOptions, plan};

    fn parse(text: &str) -> (Durations, Diagnostics) {
        let mut diags = Diagnostics::new();
        let durations = Durations::parse(FileId(0), text, &Limits::default(), &mut diags);
        (durations, diags)
    }

    fn codes(diags: &Diagnostics) -> Vec<&'static str> {
        diags.iter().map(|d| d.code).collect()
    }

    fn pipeline(yaml: &str) -> crate::pipeline::Pipeline {
        let files = MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
        let (_, pipeline) = plan(
            ".gitlab-ci.yml",
            &files,
            &PipelineContext::push("main"),
            &PlanOptions::default(),
        );
        pipeline.unwrap()
    }

    #[test]
    fn duration_forms() {
        let cases = [
            ("90", 90),
            ("'90'", 90),
            ("3m 30s", 210),
            ("1 hour", 3600),
            ("1:20", 80),
            ("'1:20'", 80),
            ("0", 0),
        ];
        for (written, expected) in cases {
            let (durations, diags) = parse(&format!("default: {written}\n"));
            assert!(diags.is_empty(), "{written}: {:?}", codes(&diags));
            assert_eq!(durations.default_seconds, expected, "{written}");
        }
    }

    #[test]
    fn defaults_without_keys() {
        let (durations, diags) = parse("jobs: {}\n");
        assert!(diags.is_empty());
        assert_eq!(durations.default_seconds, DEFAULT_JOB_SECONDS);
        assert_eq!(durations.project_timeout, DEFAULT_PROJECT_TIMEOUT_SECONDS);
    }

    #[test]
    fn timeout_key() {
        let (durations, _) = parse("timeout: 2h\n");
        assert_eq!(durations.project_timeout, 7200);
    }

    #[test]
    fn timeout_within_gitlab_range() {
        let cases = [
            ("600", 600),
            ("10m", 600),
            ("'10:00'", 600),
            ("30 days", 2_592_000),
            ("2629745", 2_629_745),
        ];
        for (written, expected) in cases {
            let (durations, diags) = parse(&format!("timeout: {written}\n"));
            assert!(diags.is_empty(), "{written}: {:?}", codes(&diags));
            assert_eq!(durations.project_timeout, expected, "{written}");
        }
    }

    #[test]
    fn timeout_outside_gitlab_range() {
        for written in ["0", "599", "9m 59s", "2629746", "31 days", "1 year"] {
            let (durations, diags) = parse(&format!("timeout: {written}\n"));
            assert_eq!(codes(&diags), ["invalid-project-timeout"], "{written}");
            assert_eq!(
                durations.project_timeout, DEFAULT_PROJECT_TIMEOUT_SECONDS,
                "{written}"
            );
        }
    }

    #[test]
    fn timeout_error_at_value() {
        let text = "default: 1m\ntimeout: 5m\n";
        let (_, diags) = parse(text);
        let diagnostic = diags.iter().next().unwrap();
        assert_eq!(
            diagnostic.message,
            "`timeout` should be at least 10 minutes and less than 1 month, found `5m` (300 \
             seconds)"
        );
        let span = diagnostic.span.unwrap();
        assert_eq!(&text[span.range()], "5m");
    }

    #[test]
    fn empty_mapping_sets_nothing() {
        for text in ["{}\n", "", "# no durations\n", "~\n"] {
            let (durations, diags) = parse(text);
            assert!(diags.is_empty(), "{text:?}: {:?}", codes(&diags));
            assert_eq!(durations.default_seconds, DEFAULT_JOB_SECONDS, "{text:?}");
            assert!(durations.entries.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn non_mapping_file_rejected() {
        let cases = [
            ("[]\n", "array"),
            ("[1]\n", "array"),
            ("false\n", "boolean"),
            ("''\n", "string"),
        ];
        for (text, found) in cases {
            let (_, diags) = parse(text);
            assert_eq!(codes(&diags), ["invalid-durations-file"], "{text:?}");
            let message = &diags.iter().next().unwrap().message;
            assert_eq!(
                message,
                &format!("a durations file should be a mapping, found {found}"),
                "{text:?}"
            );
        }
    }

    #[test]
    fn bad_entries_reported() {
        let cases = [
            ("default: soon\n", "invalid-duration"),
            ("default: -5\n", "invalid-duration"),
            ("default: [1]\n", "invalid-duration"),
            ("jobs: [a]\n", "invalid-durations-file"),
            ("- a\n", "invalid-durations-file"),
            ("jobs: {a: {fail: yes please}}\n", "invalid-durations-value"),
            (
                "jobs: {a: {duration: 1, exit_code: x}}\n",
                "invalid-durations-value",
            ),
            ("jobs: {a: {fail: true}}\n", "missing-duration"),
            ("defaults: 1\n", "unknown-durations-key"),
            (
                "jobs: {a: {duration: 1, after: 2}}\n",
                "unknown-durations-key",
            ),
            ("jobs: {a: 3 fortnights}\n", "invalid-duration"),
        ];
        for (text, code) in cases {
            let (_, diags) = parse(text);
            assert_eq!(codes(&diags), [code], "{text}");
        }
    }

    #[test]
    fn bad_number_message_shows_text() {
        let cases = [
            (
                "jobs: {a: {duration: 1, fail: -1}}\n",
                "`jobs:a:fail` should be a boolean or a number of failing attempts, found \
                 integer `-1`",
            ),
            (
                "jobs: {a: {duration: 1, exit_code: 1.5}}\n",
                "`jobs:a:exit_code` should be an integer from -2147483648 to 4294967295, found \
                 float `1.5`",
            ),
            (
                "jobs: {a: {duration: 1, exit_code: 99999999999999999999}}\n",
                "`jobs:a:exit_code` should be an integer from -2147483648 to 4294967295, found \
                 integer `99999999999999999999`",
            ),
            (
                "jobs: {a: {duration: 1, fail: yes please}}\n",
                "`jobs:a:fail` should be a boolean or a number of failing attempts, found string",
            ),
            (
                "timeout: 1\n",
                "`timeout` should be at least 10 minutes and less than 1 month, found `1` \
                 (1 second)",
            ),
        ];
        for (text, expected) in cases {
            let (_, diags) = parse(text);
            let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
            assert_eq!(messages, [expected], "{text}");
        }
    }

    #[test]
    fn bad_entry_has_span() {
        let (_, diags) = parse("jobs:\n  build: soon\n");
        let span = diags.iter().next().and_then(|d| d.span).unwrap();
        assert_eq!(span.range(), 15..19);
    }

    #[test]
    fn bad_entry_left_out() {
        let (durations, _) = parse("jobs: {a: soon, b: 2}\n");
        let patterns: Vec<&str> = durations
            .entries
            .iter()
            .map(|e| e.pattern.as_str())
            .collect();
        assert_eq!(patterns, ["b"]);
    }

    #[test]
    fn failure_forms() {
        let (durations, diags) = parse(
            "jobs:\n  a: {duration: 1, fail: true}\n  b: {duration: 1, fail: 2, exit_code: 137}\n  c: {duration: 1, fail: false}\n",
        );
        assert!(diags.is_empty());
        let failures: Vec<Failures> = durations.entries.iter().map(|e| e.failures).collect();
        assert_eq!(
            failures,
            [Failures::All, Failures::First(2), Failures::None]
        );
        assert_eq!(durations.entries.get(1).map(|e| e.exit_code), Some(137));
    }

    #[test]
    fn failures_by_attempt() {
        assert!(Failures::First(1).fails(0));
        assert!(!Failures::First(1).fails(1));
        assert!(Failures::All.fails(5));
        assert!(!Failures::None.fails(0));
    }

    #[test]
    fn lookup_order() {
        let pipeline = pipeline(
            "build: {script: x}\ntest: {script: x, parallel: 2}\nlint: {script: x}\n\
             'build: [arm64]': {script: x}\n",
        );
        let (durations, diags) = parse(
            "default: 7\njobs:\n  'b*': 1\n  build: 2\n  test: 3\n  'test*': 4\n  'build: [arm64]': 5\n",
        );
        assert!(diags.is_empty());
        let seconds = |name: &str| durations.timing(pipeline.job(name).unwrap()).seconds;
        assert_eq!(seconds("build"), 2, "exact name before an earlier glob");
        assert_eq!(seconds("test 1/2"), 3, "parallel base name");
        assert_eq!(seconds("lint"), 7, "default");
        assert_eq!(
            seconds("build: [arm64]"),
            5,
            "exact name with glob characters"
        );
    }

    #[test]
    fn glob_matches_base_name() {
        let pipeline = pipeline("rspec: {script: x, parallel: 2}\n");
        let (durations, _) = parse("jobs: {'rsp*': 9}\n");
        let timing = durations.timing(pipeline.job("rspec 2/2").unwrap());
        assert_eq!(timing.seconds, 9);
        assert!(timing.matched);
    }

    #[test]
    fn trigger_defaults_to_zero() {
        let pipeline = pipeline("a: {script: x}\nchild: {trigger: {project: g/p}}\n");
        let durations = Durations::default();
        assert_eq!(durations.timing(pipeline.job("child").unwrap()).seconds, 0);
        assert_eq!(
            durations.timing(pipeline.job("a").unwrap()).seconds,
            DEFAULT_JOB_SECONDS
        );
    }

    #[test]
    fn exit_code_range() {
        let cases = [
            ("1", Some(1)),
            ("137", Some(137)),
            ("-1", Some(-1)),
            ("-2147483648", Some(-2_147_483_648)),
            ("2147483647", Some(2_147_483_647)),
            ("4294967295", Some(4_294_967_295)),
            ("-2147483649", None),
            ("4294967296", None),
            ("9223372036854775807", None),
        ];
        for (written, expected) in cases {
            let (durations, diags) = parse(&format!(
                "jobs: {{a: {{duration: 1, exit_code: {written}}}}}\n"
            ));
            let code = durations.entries.first().map(|entry| entry.exit_code);
            assert_eq!(code, expected, "{written}");
            let errors = diags.iter().filter(|d| d.is_error()).count();
            assert_eq!(errors, usize::from(expected.is_none()), "{written}");
        }
    }

    #[test]
    fn exit_code_out_of_range_at_value() {
        let text = "jobs:\n  a:\n    duration: 1\n    exit_code: 4294967296\n";
        let (_, diags) = parse(text);
        let diagnostic = diags.iter().next().unwrap();
        assert_eq!(diagnostic.code, "invalid-durations-value");
        assert_eq!(
            diagnostic.message,
            "`jobs:a:exit_code` should be an integer from -2147483648 to 4294967295, found \
             integer `4294967296`"
        );
        let span = diagnostic.span.unwrap();
        assert_eq!(&text[span.range()], "4294967296");
    }

    #[test]
    fn exit_code_not_reported_warns() {
        let cases = [
            ("0", true),
            ("2147483648", true),
            ("3221225477", true),
            ("4294967295", true),
            ("1", false),
            ("255", false),
            ("2147483647", false),
            ("-1073741819", false),
        ];
        for (written, warns) in cases {
            let text = format!("jobs:\n  a: {{duration: 1, fail: true, exit_code: {written}}}\n");
            let (durations, diags) = parse(&text);
            assert_eq!(durations.entries.len(), 1, "{written}");
            let found: Vec<&Diagnostic> = diags.iter().collect();
            assert_eq!(found.len(), usize::from(warns), "{written}: {found:?}");
            let Some(warning) = found.first() else {
                continue;
            };
            assert_eq!(warning.code, "exit-code-not-reported", "{written}");
            assert!(!warning.is_error(), "{written}");
            let span = warning.span.unwrap();
            assert_eq!(&text[span.range()], written, "{written}");
        }
    }

    #[test]
    fn unsigned_exit_code_message_gives_signed_value() {
        let (_, diags) = parse("jobs: {a: {duration: 1, exit_code: 3221225477}}\n");
        let warning = diags.iter().next().unwrap();
        assert!(
            warning.message.contains("-1073741819"),
            "{}",
            warning.message
        );
        assert!(
            warning
                .help
                .as_deref()
                .is_some_and(|help| help.contains("exit_code: -1073741819")),
            "{:?}",
            warning.help
        );
    }

    #[test]
    fn path_keys() {
        let (durations, diags) = parse("jobs:\n  [deploy, rspec]: 3\n  ['a/b']: 4\n  a/b: 5\n");
        assert!(diags.is_empty(), "{:?}", codes(&diags));
        let keys: Vec<(&str, Option<Vec<String>>)> = durations
            .entries
            .iter()
            .map(|entry| (entry.pattern.as_str(), entry.path.clone()))
            .collect();
        assert_eq!(
            keys,
            [
                (
                    "[\"deploy\", \"rspec\"]",
                    Some(vec!["deploy".to_owned(), "rspec".to_owned()])
                ),
                ("[\"a/b\"]", Some(vec!["a/b".to_owned()])),
                ("a/b", None),
            ]
        );
    }

    #[test]
    fn bad_path_keys_rejected() {
        for text in [
            "jobs:\n  [deploy, 1]: 3\n",
            "jobs:\n  []: 3\n",
            "jobs:\n  [[a]]: 3\n",
        ] {
            let (durations, diags) = parse(text);
            assert_eq!(codes(&diags), ["invalid-durations-key"], "{text}");
            assert!(durations.entries.is_empty(), "{text}");
            let span = diags.iter().next().and_then(|d| d.span).unwrap();
            assert_eq!(span.start, 8, "{text}");
        }
    }

    #[test]
    fn path_key_is_not_a_glob() {
        let pipeline = pipeline("a: {script: x}\n");
        let (durations, _) = parse("jobs: {'[a]': 9, '[ab]': 8}\n");
        let timing = durations.timing(pipeline.job("a").unwrap());
        assert_eq!(timing.seconds, 9);
        let (durations, _) = parse("jobs:\n  [b]: 9\n  '[ab]': 8\n");
        let timing = durations.timing(pipeline.job("a").unwrap());
        assert_eq!(timing.seconds, 8, "a glob in a string key still matches");
    }
}
