//! Runs the examples of the workspace README with the built binary, so that a newcomer who
//! copies them gets what the README shows.

#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions fail the test on unexpected output"
)]

mod common;

use std::fs;

use common::{glplan, stdout, workspace};

fn readme() -> String {
    fs::read_to_string(workspace().join("README.md")).unwrap()
}

/// Returns the fenced blocks of `language` in `text`, each without its fences.
fn blocks(text: &str, language: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line == format!("```{language}") => current = Some(String::new()),
            None => {}
            Some(_) if line == "```" => found.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    found
}

/// Returns the `glplan` arguments of a README command line, or `None` for a command that is
/// not glplan (such as `.ci/test`). The comment and a pipe into another program are dropped.
fn glplan_args(line: &str) -> Option<Vec<String>> {
    let command = line.split(" # ").next().unwrap_or(line);
    let command = command.split(" | ").next().unwrap_or(command);
    let command = command
        .strip_prefix("cargo run -p glplan-cli -- ")
        .or_else(|| command.strip_prefix("glplan "))?;
    Some(command.split_whitespace().map(str::to_owned).collect())
}

#[test]
fn readme_commands_succeed() {
    let text = readme();
    let lines: Vec<String> = blocks(&text, "sh")
        .iter()
        .flat_map(|block| block.lines().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let commands: Vec<Vec<String>> = lines.iter().filter_map(|l| glplan_args(l)).collect();
    assert!(
        commands.len() >= 5,
        "too few commands in README: {commands:?}"
    );
    for args in commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = glplan(&args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "glplan {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn readme_first_run_output() {
    let text = readme();
    let first = blocks(&text, "text").into_iter().next().unwrap();
    let output = glplan(&["plan", "examples/basic/.gitlab-ci.yml"]);
    assert_eq!(stdout(&output), first);
}

#[test]
fn readme_explain_output() {
    let text = readme();
    let expected = blocks(&text, "text")
        .into_iter()
        .find(|block| block.contains("job: deploy-production"))
        .unwrap();
    let output = glplan(&[
        "explain",
        "deploy-production",
        "examples/basic/.gitlab-ci.yml",
        "--ref",
        "v1.2.0",
        "--tag",
    ]);
    assert_eq!(stdout(&output), expected);
}

#[test]
fn readme_variable_levels_output() {
    let text = readme();
    let expected = blocks(&text, "text")
        .into_iter()
        .find(|block| block.contains("REGISTRY"))
        .unwrap();
    let args = blocks(&text, "sh")
        .iter()
        .flat_map(|block| block.lines().map(str::to_owned).collect::<Vec<_>>())
        .find(|line| line.contains("--group-var"))
        .and_then(|line| glplan_args(&line))
        .unwrap();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = glplan(&args);
    assert!(stdout(&output).contains(&expected), "{}", stdout(&output));
}

#[test]
fn readme_comment_counts_hold() {
    let output = glplan(&[
        "plan",
        "examples/basic/.gitlab-ci.yml",
        "--ref",
        "feature/login",
    ]);
    assert!(
        stdout(&output).contains("4 jobs in 2 stages, 3 jobs absent"),
        "{}",
        stdout(&output)
    );
    let output = glplan(&[
        "plan",
        "examples/basic/.gitlab-ci.yml",
        "--mr-source",
        "feature/login",
    ]);
    assert!(stdout(&output).contains("0 jobs in 0 stages, 7 jobs absent"));
}

/// Returns the `(URL, cache file)` rows of the README's remote cache table.
fn remote_cache_rows(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            match cells.as_slice() {
                [url, file] => {
                    let url = url.strip_prefix("| `")?.strip_suffix('`')?;
                    let file = file.strip_prefix("`DIR/")?.strip_suffix("` |")?;
                    url.starts_with("https://")
                        .then(|| (url.to_owned(), file.to_owned()))
                }
                _ => None,
            }
        })
        .collect()
}

#[test]
fn readme_remote_cache_table_holds() {
    let rows = remote_cache_rows(&readme());
    assert_eq!(rows.len(), 3, "{rows:?}");
    let dir = std::env::temp_dir().join(format!("glplan-readme-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let cache = dir.join("cache");
    let mut entry = String::from("include:\n");
    for (index, (url, file)) in rows.iter().enumerate() {
        let path = cache.join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, format!("job-{index}: {{script: x}}\n")).unwrap();
        entry.push_str(&format!("  - remote: '{url}'\n"));
    }
    fs::write(dir.join(".gitlab-ci.yml"), entry).unwrap();
    let output = glplan(&[
        "plan",
        dir.join(".gitlab-ci.yml").to_str().unwrap(),
        "--remote-cache",
        cache.to_str().unwrap(),
    ]);
    let text = stdout(&output);
    let errors = String::from_utf8_lossy(&output.stderr).into_owned();
    let _ = fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(0), "{errors}");
    for index in 0..rows.len() {
        assert!(text.contains(&format!("job-{index}")), "{text}");
    }
}

#[test]
fn readme_rejected_remote_url() {
    let dir = std::env::temp_dir().join(format!("glplan-readme-bad-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join(".gitlab-ci.yml"),
        "include:\n  - remote: https://example.com/ci/lint.yml?ref=main\n",
    )
    .unwrap();
    let output = glplan(&["lint", dir.join(".gitlab-ci.yml").to_str().unwrap()]);
    let _ = fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("does not have YAML extension!"));
}
