//! Reading the text files that options name, such as `--var-file` and `--changed-from`.

use std::path::Path;

/// U+FEFF, which at the start of a file is a byte order mark rather than text.
const BYTE_ORDER_MARK: char = '\u{feff}';

/// Reads the UTF-8 file at `path` for `option`, without one leading byte order mark, so that
/// the first line of a file saved with one parses like the others. The error names the option
/// and the path.
pub fn read_text(path: &Path, option: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("{option}: cannot read `{}`: {error}", path.display()))?;
    match text.strip_prefix(BYTE_ORDER_MARK) {
        Some(rest) => Ok(rest.to_owned()),
        None => Ok(text),
    }
}

/// Reads the UTF-8 file at `path` for `option` as it is, a leading byte order mark included.
/// The core counts the mark as the first character of line 1, as it does in YAML files, so
/// the positions of diagnostics index the file's bytes, and they equal those that the npm
/// package gives for the same text.
pub fn read_source_text(path: &Path, option: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|error| format!("{option}: cannot read `{}`: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempDir(std::path::PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn temp_dir(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("glplan-text-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    #[test]
    fn read_text_strips_one_bom() {
        let dir = temp_dir("bom");
        let cases = [
            ("plain", "a\n", "a\n"),
            ("bom", "\u{feff}a\n", "a\n"),
            ("two-boms", "\u{feff}\u{feff}a\n", "\u{feff}a\n"),
            ("inner-bom", "a\u{feff}\n", "a\u{feff}\n"),
            ("only-bom", "\u{feff}", ""),
        ];
        for (name, content, expected) in cases {
            let path = dir.0.join(name);
            std::fs::write(&path, content).unwrap();
            assert_eq!(read_text(&path, "--opt").unwrap(), expected, "{name}");
        }
    }

    #[test]
    fn read_text_missing_file() {
        let dir = temp_dir("missing");
        let path = dir.0.join("none.txt");
        let error = read_text(&path, "--opt").unwrap_err();
        let prefix = format!("--opt: cannot read `{}`: ", path.display());
        assert!(error.starts_with(&prefix), "{error}");
    }
}
