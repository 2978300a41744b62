//! End-to-end tests of masked variables: no output of any command, in any format, may show a
//! masked value or a form derived from it, and masking must not change what glplan computes.
//!
//! Each test writes its files into a folder of its own under the system's temporary folder and
//! runs the binary there with colors off.

#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions fail the test on unexpected output"
)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The masked value. Its lowercase form (`k3y-abcdefgh12/team`) and slug form
/// (`k3y-abcdefgh12-team`) appear in derived variables.
const SECRET: &str = "K3y-Abcdefgh12/Team";

/// A configuration that puts the masked value into every place a value reaches: the ref, rule
/// traces, tags, image, services, environment, resource group, cache key, an included file
/// name, a child pipeline, and the runner checks.
const CONFIG: &str = r#"include:
  - local: "ci/$KEY.yml"
workflow:
  name: "run for $KEY"
  rules:
    - if: $KEY =~ /Team/
docker-build:
  image: docker:27
  services: [docker:27-dind]
  variables:
    DOCKER_HOST: tcp://$DIND:2375
    URL: "https://$KEY@example.com"
  tags: ["$KEY"]
  script: docker info
deploy:
  stage: deploy
  image: "registry.example.com/$KEY:1"
  environment: {name: "review/$KEY", url: "https://$CI_ENVIRONMENT_SLUG.example.com"}
  resource_group: "rg-$KEY"
  cache: {key: "c-$KEY", paths: [x/]}
  tags: ["$KEY"]
  rules:
    - if: $KEY == "nope"
    - changes: {paths: [src/**], compare_to: "refs/heads/$KEY"}
  script: x
child:
  trigger:
    include: "ci/child-$KEY.yml"
"#;

const INCLUDED: &str = "included:\n  tags: [\"$KEY\"]\n  script: x\n";

const CHILD: &str = "child-job:\n  stage: nope\n  script: echo $KEY\n";

/// Returns a Docker runner whose tag is the masked value, so that the jobs tagged with it run there.
fn runners() -> String {
    format!(
        "concurrent = 2\n[[runners]]\nname = \"docker-a\"\nexecutor = \"docker\"\n\
         tags = [\"{SECRET}\"]\n[runners.docker]\nimage = \"alpine\"\nprivileged = true\n"
    )
}

/// A folder under the system's temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("glplan-{name}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("ci")).unwrap();
        let scratch = Scratch(dir);
        scratch.write(".gitlab-ci.yml", CONFIG);
        scratch.write(&format!("ci/{SECRET}.yml"), INCLUDED);
        scratch.write(&format!("ci/child-{SECRET}.yml"), CHILD);
        scratch.write("config.toml", &runners());
        scratch
    }

    fn write(&self, name: &str, text: &str) {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_glplan"))
            .args(args)
            .current_dir(&self.0)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Returns the context options: the masked value as a project variable, also in the ref, and the
/// `DIND` address the Docker checks read.
fn context_args(masked: bool) -> Vec<String> {
    let mut args = vec![
        "--project-var".to_owned(),
        format!("KEY={SECRET}"),
        "--project-var".to_owned(),
        "DIND=localhost".to_owned(),
        "--ref".to_owned(),
        format!("feature/{SECRET}"),
        "--changed".to_owned(),
        "src/a.rs".to_owned(),
    ];
    if masked {
        args.extend(["--mask".to_owned(), "KEY".to_owned()]);
    }
    args
}

/// Lists every command and format, each with the runner file where the command takes one.
fn commands() -> Vec<Vec<&'static str>> {
    let mut commands = Vec::new();
    for format in ["table", "json", "dot", "mermaid"] {
        commands.push(vec!["plan", "--runners", "config.toml", "--format", format]);
    }
    for format in ["table", "json", "mermaid"] {
        commands.push(vec![
            "schedule",
            "--runners",
            "config.toml",
            "--format",
            format,
        ]);
    }
    for job in ["docker-build", "deploy", "included", "child"] {
        for format in ["text", "json"] {
            commands.push(vec!["explain", job, "--predefined", "--format", format]);
        }
    }
    for format in ["human", "json"] {
        commands.push(vec!["lint", "--format", format]);
    }
    commands
}

fn run(scratch: &Scratch, command: &[&str], masked: bool) -> Output {
    let context = context_args(masked);
    let mut args: Vec<&str> = command.to_vec();
    args.extend(context.iter().map(String::as_str));
    scratch.run(&args)
}

#[test]
fn masked_value_in_no_output() {
    let scratch = Scratch::new("masking-outputs");
    let lowercase = SECRET.to_lowercase();
    let slug = lowercase.replace('/', "-");
    let forms = [
        SECRET,
        lowercase.as_str(),
        slug.as_str(),
        "Abcdefgh12",
        "abcdefgh12",
    ];
    for command in commands() {
        let output = run(&scratch, &command, true);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.status.code().is_some_and(|code| code < 2),
            "{command:?} failed to run: {text}"
        );
        assert!(
            text.contains("[MASKED]"),
            "{command:?} shows nothing masked:\n{text}"
        );
        for form in forms {
            assert!(
                !text.contains(form),
                "{command:?} shows the masked value as `{form}`:\n{text}"
            );
        }
    }
}

#[test]
fn masking_keeps_exit_status_and_runners() {
    let scratch = Scratch::new("masking-results");
    for command in commands() {
        let plain = run(&scratch, &command, false);
        let masked = run(&scratch, &command, true);
        assert_eq!(
            plain.status.code(),
            masked.status.code(),
            "{command:?}: masking changed the exit status"
        );
    }

    let plan = |masked: bool| -> serde_json::Value {
        let output = run(
            &scratch,
            &["plan", "--runners", "config.toml", "--format", "json"],
            masked,
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let (plain, masked) = (plan(false), plan(true));
    let runners_of = |plan: &serde_json::Value, job: &str| -> serde_json::Value {
        let jobs = plan["jobs"].as_array().unwrap();
        let found = jobs.iter().find(|entry| entry["name"] == job);
        found.unwrap_or_else(|| panic!("no job {job}"))["runners"].clone()
    };
    for job in ["docker-build", "deploy", "included"] {
        let runners = runners_of(&masked, job);
        assert_eq!(runners_of(&plain, job), runners, "{job}");
        assert!(!runners.is_null(), "{job} has no runner entry");
    }
    let codes = |plan: &serde_json::Value| -> Vec<String> {
        let diagnostics = plan["diagnostics"].as_array().unwrap();
        diagnostics
            .iter()
            .map(|diagnostic| diagnostic["code"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(codes(&plain), codes(&masked));
    assert!(
        codes(&masked)
            .iter()
            .any(|code| code == "fleet-docker-host-localhost"),
        "{:?}",
        codes(&masked)
    );
}
