//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Offline planner for GitLab CI/CD pipelines: resolves `.gitlab-ci.yml` with its includes the
/// way GitLab does, reports what GitLab would reject, and shows the resulting jobs.
#[derive(Debug, Parser)]
#[command(name = "glplan", version, max_term_width = 100)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a pipeline configuration and print its diagnostics.
    ///
    /// Exits with 0 when there is no error (warnings allowed), 1 when there is an error, and 2
    /// when the command line is invalid or a file or folder cannot be read.
    Lint(LintArgs),
    /// Print the merged configuration after include, extends, !reference, default and parallel.
    ///
    /// Diagnostics go to standard error; exit codes are those of `lint`.
    Config(ConfigArgs),
    /// Print the static plan: the stages in order and, per stage, each job's `when`,
    /// `allow_failure`, `needs`, image and tags.
    ///
    /// Diagnostics go to standard error; exit codes are those of `lint`.
    Plan(PlanArgs),
}

/// Arguments of `glplan lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files and options shared by every command.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Output format: `human` prints rustc-style text with source snippets; `json` prints an
    /// array of diagnostics with file, line and column.
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    pub format: LintFormat,
}

/// Arguments of `glplan config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Files and options shared by every command.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Output format of the configuration.
    #[arg(long, value_enum, default_value_t = ConfigFormat::Yaml)]
    pub format: ConfigFormat,
}

/// Arguments of `glplan plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Files and options shared by every command.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Output format: `table` prints one row per job, grouped by stage; `json` prints the plan
    /// object, whose `version` field changes when its shape does.
    #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
}

/// The configuration files and the diagnostic colors, shared by every command.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Pipeline configuration file to read.
    #[arg(default_value = ".gitlab-ci.yml")]
    pub path: PathBuf,

    /// Repository root folder: `include:local` paths and wildcards are looked up in it, and
    /// PATH must be inside it [default: the folder that contains PATH].
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,

    /// Folder of GitLab's CI/CD templates for `include:template`, laid out like GitLab's
    /// `lib/gitlab/ci/templates` (so `Jobs/Build.gitlab-ci.yml` is read from
    /// `DIR/Jobs/Build.gitlab-ci.yml`).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// Reads the files of project PATH (such as `my-group/ci-tools`) for `include:project`
    /// and CI/CD components from folder DIR; the requested ref is ignored. Repeat for several
    /// projects.
    #[arg(long = "project", value_name = "PATH=DIR", value_parser = parse_project)]
    pub projects: Vec<(String, PathBuf)>,

    /// Folder of cached `include:remote` files: a URL's content is read from
    /// `DIR/<host>/<path>` (query and fragment dropped; a port stays in the host name, as in
    /// `example.com:8443`).
    #[arg(long, value_name = "DIR")]
    pub remote_cache: Option<PathBuf>,

    /// Sets a CI/CD variable for `include` locations and `include:rules`, as a project,
    /// predefined or pipeline variable would be (YAML `variables:` never reach `include`).
    /// Repeat for several variables; the last value of a name wins.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub vars: Vec<(String, String)>,

    /// Sets pipeline input NAME for the entry file's `spec:inputs`. VALUE is read as YAML:
    /// `3` is a number, `true` a boolean, `[a, b]` an array, `'3'` a string, and an empty
    /// VALUE is the empty string. Repeat for several inputs; the last value of a name wins.
    #[arg(long = "input", value_name = "NAME=VALUE", value_parser = parse_pair)]
    pub inputs: Vec<(String, String)>,

    /// When to color diagnostics: `auto` colors only when writing to a terminal and the
    /// `NO_COLOR` environment variable is unset or empty.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Output formats of `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// rustc-style text with source snippets.
    Human,
    /// A JSON array of diagnostics.
    Json,
}

/// Output formats of `config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigFormat {
    /// Block-style YAML.
    Yaml,
    /// Pretty-printed JSON.
    Json,
}

/// Output formats of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// An aligned table, one row per job, grouped by stage.
    Table,
    /// The plan object as pretty-printed JSON.
    Json,
}

/// When to write ANSI colors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Only on a terminal, and only when `NO_COLOR` is unset or empty.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Parses `KEY=VALUE`; the value may contain `=` and may be empty, the key may not be empty.
pub fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, found `{text}`")),
    }
}

/// Parses `PATH=DIR` for `--project`.
pub fn parse_project(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((project, dir)) if !project.trim_matches('/').is_empty() && !dir.is_empty() => {
            Ok((project.to_owned(), PathBuf::from(dir)))
        }
        _ => Err(format!(
            "expected PROJECT=DIR such as `my-group/ci-tools=../ci-tools`, found `{text}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn pair_cases() {
        assert_eq!(parse_pair("A=1"), Ok(("A".into(), "1".into())));
        assert_eq!(parse_pair("A=x=y"), Ok(("A".into(), "x=y".into())));
        assert_eq!(parse_pair("A="), Ok(("A".into(), String::new())));
        assert!(parse_pair("=1").is_err());
        assert!(parse_pair("A").is_err());
    }

    #[test]
    fn project_cases() {
        assert_eq!(
            parse_project("g/p=../p"),
            Ok(("g/p".into(), PathBuf::from("../p")))
        );
        assert!(parse_project("g/p=").is_err());
        assert!(parse_project("=dir").is_err());
        assert!(parse_project("g/p").is_err());
    }

    #[test]
    fn default_path() {
        let cli = Cli::try_parse_from(["glplan", "lint"]).unwrap();
        let Command::Lint(args) = cli.command else {
            panic!("expected lint");
        };
        assert_eq!(args.common.path, PathBuf::from(".gitlab-ci.yml"));
        assert_eq!(args.format, LintFormat::Human);
    }

    #[test]
    fn repeated_options() {
        let cli = Cli::try_parse_from([
            "glplan",
            "plan",
            "ci.yml",
            "--var",
            "A=1",
            "--var",
            "B=2",
            "--input",
            "n=3",
            "--project",
            "g/p=dir",
            "--format",
            "json",
        ])
        .unwrap();
        let Command::Plan(args) = cli.command else {
            panic!("expected plan");
        };
        assert_eq!(args.common.vars.len(), 2);
        assert_eq!(args.common.inputs, [("n".to_owned(), "3".to_owned())]);
        assert_eq!(args.common.projects.len(), 1);
        assert_eq!(args.format, PlanFormat::Json);
    }
}
