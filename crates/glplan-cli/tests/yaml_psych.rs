//! Differential test of the YAML writer against Ruby's Psych, the YAML library GitLab uses:
//! thousands of generated strings that YAML 1.1 could mistype are written by `to_yaml`, read by
//! Psych, and must come back unchanged.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "helpers outside #[test] functions fail the test on unexpected output"
)]

use std::io::Write;
use std::process::Command;

use glplan_cli::yaml_out::to_yaml;
use serde_json::{Map, Value};

/// Pieces that change how YAML reads a scalar: YAML 1.1 booleans and nulls, number syntax,
/// indicators, quotes, whitespace, line breaks and characters that need escaping.
const PIECES: &[&str] = &[
    "a",
    "Y",
    "n",
    "yes",
    "NO",
    "on",
    "Off",
    "null",
    "~",
    "true",
    "0",
    "7",
    "0x1f",
    "0o17",
    "0b1",
    "1_0",
    "1,0",
    ".",
    ",",
    ":",
    ": ",
    " #",
    "#",
    "-",
    "- ",
    "?",
    "'",
    "\"",
    "\\",
    "!",
    "&",
    "*",
    "<<",
    "=",
    "|",
    ">",
    "%",
    "@",
    "`",
    "[",
    "]",
    "{",
    "}",
    " ",
    "\t",
    "\n",
    "\r",
    "é",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "2024-01-02",
    "1:20",
    "e5",
    "+",
    ".inf",
    "-.Inf",
    ".NaN",
    "...",
    "---",
    "12:30:45",
    "0755",
    "1e3",
    "1.5e+3",
    ":sym",
];

/// A small deterministic generator (xorshift64), so that a failure reproduces.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn string(&mut self) -> String {
        let count = self.next() % 5;
        (0..count)
            .map(|_| PIECES[(self.next() % PIECES.len() as u64) as usize])
            .collect()
    }
}

fn psych_load(yaml: &str) -> Value {
    let dir = std::env::temp_dir().join(format!("glplan-yaml-psych-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("doc.yml");
    std::fs::write(&file, yaml).unwrap();
    let output = Command::new("ruby")
        .args([
            "-ryaml",
            "-rjson",
            "-e",
            "puts JSON.generate(YAML.safe_load(File.read(ARGV[0])))",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    assert!(
        output.status.success(),
        "Psych rejected the output: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn psych_reads_generated_strings_back() {
    if Command::new("ruby").arg("--version").output().is_err() {
        let required = std::env::var_os("CI").is_some()
            || std::env::var_os("GLPLAN_REQUIRE_ORACLES").is_some_and(|value| value == "1");
        assert!(
            !required,
            "CI must install ruby for the Psych differential test"
        );
        // Written past the test harness's capture, so that a local run shows the skip.
        let _ = writeln!(std::io::stderr(), "skipped: ruby is not installed");
        return;
    }

    let mut generator = Generator(0x9e37_79b9_7f4a_7c15);
    let mut values = Map::new();
    let mut keys = Map::new();
    for i in 0..3000 {
        let text = generator.string();
        values.insert(format!("v{i}"), Value::String(text.clone()));
        keys.insert(text, Value::from(i));
    }
    let document = Value::Object(
        [
            ("values".to_owned(), Value::Object(values)),
            ("keys".to_owned(), Value::Object(keys)),
        ]
        .into_iter()
        .collect(),
    );

    let from_psych = psych_load(&to_yaml(&document));

    for section in ["values", "keys"] {
        let expected = document[section].as_object().unwrap();
        let actual = from_psych[section].as_object().unwrap();
        for (key, value) in expected {
            assert_eq!(actual.get(key), Some(value), "{section}: key {key:?}");
        }
        assert_eq!(actual.len(), expected.len(), "{section}: entry count");
    }
}
