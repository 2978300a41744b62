//! UTF-16 columns and byte offsets for the source locations inside `plan`, `explain` and
//! `schedule` results.
//!
//! The core's JSON gives those locations (`{file, line, column}`) a column in Unicode scalar
//! values only, as the CLI prints them. JavaScript editors count UTF-16 code units, so the
//! package adds `column_utf16` and the byte `offset`, as its diagnostics have, computed from
//! the file's text.

use std::collections::HashMap;

use glplan::SourceMap;
use glplan::source::SourceFile;
use serde_json::Value;

/// The source files of a call by name, to find the text a location points into.
#[derive(Debug)]
pub struct Texts<'a> {
    files: HashMap<&'a str, &'a SourceFile>,
}

impl<'a> Texts<'a> {
    /// Indexes the files of `sources` by name. When two files have the same name, the first
    /// one is used.
    // NOTE: a child pipeline's file that has the name of an earlier file but other text gets
    // the earlier file's columns, because locations name files only.
    pub fn new(sources: &'a SourceMap) -> Self {
        let mut files = HashMap::new();
        for (_, file) in sources.files() {
            files.entry(file.name.as_str()).or_insert(file);
        }
        Texts { files }
    }

    /// Adds `column_utf16` and `offset` to every source location in `value`: each object
    /// whose members are exactly a string `file` and the numbers `line` and `column`. A
    /// location in a file that is not among the texts is left as it is.
    pub fn add_positions(&self, value: &mut Value) {
        let mut pending = vec![value];
        while let Some(value) = pending.pop() {
            match value {
                Value::Object(object) => {
                    if object.len() == 3 {
                        let location = (
                            object.get("file").and_then(Value::as_str),
                            object.get("line").and_then(Value::as_u64),
                            object.get("column").and_then(Value::as_u64),
                        );
                        if let (Some(file), Some(line), Some(column)) = location {
                            if let Some((column_utf16, offset)) = self.position(file, line, column)
                            {
                                object.insert("column_utf16".to_owned(), column_utf16.into());
                                object.insert("offset".to_owned(), offset.into());
                            }
                            continue;
                        }
                    }
                    pending.extend(object.values_mut());
                }
                Value::Array(items) => pending.extend(items.iter_mut()),
                _ => {}
            }
        }
    }

    /// Returns the UTF-16 column and the byte offset of the 1-based `line` and `column` (in
    /// Unicode scalar values) of file `name`.
    fn position(&self, name: &str, line: u64, column: u64) -> Option<(u64, u64)> {
        let file = self.files.get(name)?;
        let line = u32::try_from(line).ok().filter(|&line| line >= 1)?;
        let line_start = *file.line_starts().get(line as usize - 1)?;
        let mut column_utf16 = 1;
        let mut bytes = 0;
        for ch in file
            .line_text(line)
            .chars()
            .take(column.saturating_sub(1) as usize)
        {
            column_utf16 += ch.len_utf16() as u64;
            bytes += ch.len_utf8() as u64;
        }
        Some((column_utf16, u64::from(line_start) + bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_positions_counts_utf16_after_emoji() {
        let mut sources = SourceMap::new();
        sources.add("a.yml", "# x\nj: {E: \"🚀🚀\", if: $D}\n");
        let texts = Texts::new(&sources);
        // `$D` is the 18th character of line 2; each emoji is two UTF-16 units and 4 bytes.
        let mut value = serde_json::json!({"rules": [{"file": "a.yml", "line": 2, "column": 18}]});
        texts.add_positions(&mut value);
        let location = &value["rules"][0];
        assert_eq!(location["column_utf16"], 20);
        assert_eq!(location["offset"], 4 + 23);
        let offset = location["offset"].as_u64().unwrap() as usize;
        assert!(sources.files().next().unwrap().1.text[offset..].starts_with("$D"));
    }

    #[test]
    fn add_positions_skips_unknown_file() {
        let sources = SourceMap::new();
        let texts = Texts::new(&sources);
        let mut value = serde_json::json!({"file": "b.yml", "line": 1, "column": 1});
        texts.add_positions(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"file": "b.yml", "line": 1, "column": 1})
        );
    }
}
