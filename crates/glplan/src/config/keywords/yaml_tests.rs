//! Parser tests that go through the real YAML loader: the spec's worked examples as written,
//! Psych's scalar typing, and the spans diagnostics point at.

use super::testing::{run_node, yaml};
use super::{allow_failure, image, interruptible, retry, rules, services, when};

/// T5.12: a job's image hash and services, written in YAML.
#[test]
fn image_and_services_example() {
    let text = r#"
j1:
  image: {name: "registry.example.com/tools/cli:1.2", entrypoint: [""], pull_policy: [always, if-not-present]}
  services:
    - name: tutum/wordpress:latest
    - {name: redis:7, alias: cache}
"#;
    let job = yaml(text, "j1");
    let (image, diags) = run_node(image::parse, "jobs:j1:image", job.get("image").unwrap());
    assert!(diags.is_empty());
    let image = image.unwrap();
    assert_eq!(image.name, "registry.example.com/tools/cli:1.2");
    assert_eq!(image.entrypoint, Some(vec![String::new()]));
    assert_eq!(
        image.pull_policy,
        Some(vec![
            image::PullPolicy::Always,
            image::PullPolicy::IfNotPresent
        ])
    );

    let (services, diags) = run_node(
        services::parse,
        "jobs:j1:services",
        job.get("services").unwrap(),
    );
    assert!(diags.is_empty());
    let services = services.unwrap();
    assert_eq!(
        services[0].hostnames(),
        ["tutum__wordpress", "tutum-wordpress"]
    );
    assert_eq!(services[1].hostnames(), ["redis", "cache"]);
}

/// T5.13: the four retry settings, written in YAML.
#[test]
fn retry_example() {
    let text = "
t1: {script: x, retry: 2}
t2: {script: x, retry: {max: 1, when: [runner_system_failure, stuck_or_timeout_failure]}}
t3: {script: x, retry: {max: 2, exit_codes: [137]}}
t4: {script: x, retry: 3}
";
    let retry_of = |job: &str| yaml(text, job).get("retry").cloned().unwrap();

    let (t1, _) = run_node(retry::parse, "jobs:t1:retry", &retry_of("t1"));
    assert_eq!(t1.unwrap().max, Some(2));
    let (t2, _) = run_node(retry::parse, "jobs:t2:retry", &retry_of("t2"));
    assert_eq!(t2.unwrap().when.map(|w| w.len()), Some(2));
    let (t3, _) = run_node(retry::parse, "jobs:t3:retry", &retry_of("t3"));
    assert_eq!(
        t3.unwrap().exit_codes,
        Some(vec![crate::config::ExitCode::from(137)])
    );

    let (t4, diags) = run_node(retry::parse, "jobs:t4:retry", &retry_of("t4"));
    assert!(t4.is_none());
    assert_eq!(
        diags[0].message,
        "retry config must be less than or equal to 2"
    );
}

/// Psych reads `yes` and `on` as booleans, so they are valid boolean keywords.
#[test]
fn yaml_11_booleans() {
    let job = yaml("j: {interruptible: yes, allow_failure: on}", "j");
    let (value, _) = run_node(
        interruptible::parse,
        "jobs:j:interruptible",
        job.get("interruptible").unwrap(),
    );
    assert_eq!(value, Some(true));
    let (value, _) = run_node(
        allow_failure::parse,
        "jobs:j:allow_failure",
        job.get("allow_failure").unwrap(),
    );
    assert_eq!(value, Some(allow_failure::AllowFailure::Bool(true)));
}

/// A quoted `"2"` is a string, which `retry` rejects.
#[test]
fn quoted_number_is_string() {
    let job = yaml("j: {retry: \"2\"}", "j");
    let (_, diags) = run_node(retry::parse, "jobs:j:retry", job.get("retry").unwrap());
    assert_eq!(
        diags[0].message,
        "retry config has to be either an integer or a hash"
    );
}

/// The diagnostic for an invalid `when` points at the value.
#[test]
fn when_error_span() {
    let text = "j:\n  when: later\n";
    let node = yaml(text, "j");
    let value = node.get("when").unwrap();
    let (_, diags) = run_node(when::parse_job, "jobs:j:when", value);
    let span = diags[0].span.unwrap();
    assert_eq!(&text[span.range()], "later");
}

/// The diagnostic for an invalid `if` points at the expression.
#[test]
fn rule_if_error_span() {
    let text = "j:\n  rules:\n    - if: $A == main\n";
    let node = yaml(text, "j");
    let (_, diags) = run_node(rules::parse, "jobs:j:rules", node.get("rules").unwrap());
    assert_eq!(
        diags[0].message,
        "jobs:j:rules:rule if invalid expression syntax"
    );
    let span = diags[0].span.unwrap();
    assert_eq!(&text[span.range()], "$A == main");
}

/// An unknown rule key is reported at the key.
#[test]
fn unknown_key_span() {
    let text = "j:\n  rules:\n    - if: $A\n      wehn: never\n";
    let node = yaml(text, "j");
    let (_, diags) = run_node(rules::parse, "jobs:j:rules", node.get("rules").unwrap());
    assert_eq!(
        diags[0].message,
        "jobs:j:rules:rule config contains unknown keys: wehn"
    );
    assert_eq!(diags[0].help.as_deref(), Some("did you mean `when`?"));
    let span = diags[0].span.unwrap();
    assert_eq!(&text[span.range()], "wehn");
}
