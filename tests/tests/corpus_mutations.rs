//! Property tests: arbitrary text and mutated real pipelines never panic the configuration
//! phase or the pipeline evaluation.
//!
//! The mutations start from every YAML file of the corpus and cut, duplicate, swap and insert
//! lines and bytes, which reaches the loader, include, `extends`, `!reference`, keyword
//! validation and parallel expansion with inputs that are almost valid.

#![allow(
    clippy::indexing_slicing,
    reason = "mutation indexes are reduced modulo the length first"
)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use glplan::MemoryFiles;
use glplan::context::PipelineContext;
use glplan::pipeline::PlanOptions;
use glplan_tests::corpus::corpus_dir;
use proptest::prelude::*;

/// Snippets that steer mutations towards GitLab keywords and YAML features.
const SNIPPETS: &[&str] = &[
    "extends: .base\n",
    "  - !reference [.base, script]\n",
    "<<: *a\n",
    "&a ",
    "*a",
    "include: other.yml\n",
    "needs: [build]\n",
    "parallel:\n  matrix:\n    - A: [1, 2]\n",
    "rules:\n  - if: $CI_COMMIT_BRANCH == \"main\"\n",
    "stage: .post\n",
    "---\n",
    "spec:\n  inputs:\n    x:\n---\n",
    "$[[ inputs.x ]]",
    ": ",
    "- ",
    "\t",
    "{",
    "]",
    "'",
    "\"",
    "\u{FEFF}",
    "é",
];

fn corpus_files() -> &'static [String] {
    static FILES: OnceLock<Vec<String>> = OnceLock::new();
    FILES.get_or_init(|| {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let root = corpus_dir(&workspace);
        let mut found = Vec::new();
        collect_yaml(&root, &mut found);
        found.sort();
        found
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    })
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_yaml(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    InsertSnippet(usize, usize),
    DeleteBytes(usize, usize),
    IndentLine(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), 0..SNIPPETS.len()).prop_map(|(a, s)| Mutation::InsertSnippet(a, s)),
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Mutation::DeleteBytes(a, n)),
        (any::<usize>(), 0usize..6).prop_map(|(a, n)| Mutation::IndentLine(a, n)),
    ]
}

fn apply(text: &str, mutation: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let len = lines.len();
    match *mutation {
        Mutation::DeleteLine(i) => {
            lines.remove(i % len);
        }
        Mutation::DuplicateLine(i) => {
            let line = lines[i % len].clone();
            lines.insert(i % len, line);
        }
        Mutation::SwapLines(a, b) => lines.swap(a % len, b % len),
        Mutation::InsertSnippet(i, s) => lines.insert(i % (len + 1), SNIPPETS[s].to_owned()),
        Mutation::IndentLine(i, n) => {
            let line = &mut lines[i % len];
            *line = format!("{}{line}", " ".repeat(n));
        }
        Mutation::DeleteBytes(at, n) => {
            let joined = lines.join("\n");
            let chars: Vec<char> = joined.chars().collect();
            let start = at % (chars.len() + 1);
            let end = (start + n).min(chars.len());
            return chars[..start].iter().chain(&chars[end..]).collect();
        }
    }
    lines.join("\n")
}

/// Plans a push to the default branch from `text`, running every phase. Only panics matter
/// here, because diagnostics are expected.
fn run_everything(text: &str) {
    let files = MemoryFiles::new()
        .with_file(".gitlab-ci.yml", text)
        .with_file("other.yml", "other-job: {script: x}\n");
    let context = PipelineContext::default();
    let options = PlanOptions::default();
    let _ = glplan::pipeline::plan(".gitlab-ci.yml", &files, &context, &options);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        run_everything(&text);
    }

    #[test]
    fn yaml_like_text_never_panics(
        text in "([a-z.$<>&*!]{0,6}(: |:|- |\n  |\n|\\[|\\]|\\{|\\}|, ){0,3}){0,40}"
    ) {
        run_everything(&text);
    }

    #[test]
    fn mutated_corpus_never_panics(
        index in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let files = corpus_files();
        if files.is_empty() {
            // Reported once by `corpus_is_present`.
            return Ok(());
        }
        let mut text = files[index % files.len()].clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        run_everything(&text);
    }
}

#[test]
fn corpus_is_present() {
    let count = corpus_files().len();
    if count == 0 {
        let required = std::env::var("GLPLAN_REQUIRE_CORPUS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "corpus not found; set GLPLAN_CORPUS to the folder holding MANIFEST.tsv"
        );
        eprintln!("skipped: corpus not found (set GLPLAN_CORPUS); mutation test ran on no files");
        return;
    }
    assert!(
        count > 100,
        "expected the corpus to hold over 100 YAML files, found {count}"
    );
}
