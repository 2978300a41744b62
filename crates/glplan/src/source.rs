//! Source files and byte spans.
//!
//! Every node the YAML loader produces carries a [`Span`]: the file it came from and a byte range
//! inside that file's text. Line and column numbers are computed only at the boundary (CLI
//! rendering, JSON output, the wasm bindings), from the [`SourceMap`].

use std::sync::OnceLock;

use compact_str::CompactString;
use serde::Serialize;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct FileId(pub u32);

/// A byte range `start..end` inside one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// File the range belongs to.
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// Creates a span; `end` is clamped so that it never precedes `start`.
    pub fn new(file: FileId, start: u32, end: u32) -> Self {
        Span {
            file,
            start,
            end: end.max(start),
        }
    }

    /// The byte range as `usize` bounds.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A 1-based position in a file, with the column counted three ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Position {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column in Unicode scalar values (what terminals and rustc-style output show).
    pub column: u32,
    /// 1-based column in UTF-16 code units (what JavaScript editors such as Monaco expect).
    pub column_utf16: u32,
    /// Byte offset from the start of the file.
    pub offset: u32,
}

/// One loaded source file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Display name. A file of the repository being planned has its path from the repository root,
    /// and a file of another project (from `include:project` or a component) is `PROJECT:REF:PATH`,
    /// with the component's version as REF. An `include:remote` file has its URL, and an
    /// `include:template` file is `template:NAME`. Runner and durations files keep the name they
    /// were given.
    pub name: String,
    /// Full text as read.
    pub text: String,
    line_starts: Vec<u32>,
    /// Character counts at checkpoints, built on the first conversion that needs them.
    counts: OnceLock<CharCounts>,
}

impl SourceFile {
    fn new(name: String, text: String) -> Self {
        let line_starts = line_starts(&text);
        SourceFile {
            name,
            text,
            line_starts,
            counts: OnceLock::new(),
        }
    }

    /// Returns the name as a [`CompactString`]. GitLab's default configuration path,
    /// `.gitlab-ci.yml`, refers to a static string, so that the many source locations in the
    /// entry file of a typical pipeline share it. On wasm32 a compact string keeps at most 12
    /// bytes inline, so each location would otherwise allocate the 14-byte name.
    pub fn compact_name(&self) -> CompactString {
        const DEFAULT_CONFIG_PATH: &str = ".gitlab-ci.yml";
        if self.name == DEFAULT_CONFIG_PATH {
            CompactString::const_new(DEFAULT_CONFIG_PATH)
        } else {
            CompactString::from(self.name.as_str())
        }
    }

    /// Byte offsets where the lines start, the first one 0. Lines end at LF, CR LF or a lone
    /// CR.
    pub fn line_starts(&self) -> &[u32] {
        &self.line_starts
    }

    /// Converts a byte offset into a position. Offsets past the end map to the end of the file,
    /// and an offset inside a multi-byte character gives the column after that character.
    ///
    /// Takes time bounded by `CHECKPOINT_STRIDE` (1,024 bytes), not by the length of the line,
    /// so that a file written on one long line (as generated child pipelines often are)
    /// converts each of its many positions quickly.
    pub fn position(&self, offset: u32) -> Position {
        let offset = offset.min(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = self.line_starts.get(line_index).copied().unwrap_or(0);
        let bytes = self.text.as_bytes();
        let (continuation, supplementary) =
            if (offset - line_start) as usize <= 2 * CHECKPOINT_STRIDE {
                count_bytes(
                    bytes
                        .get(line_start as usize..offset as usize)
                        .unwrap_or_default(),
                )
            } else {
                let counts = self.counts.get_or_init(|| CharCounts::new(bytes));
                let (end_continuation, end_supplementary) = counts.before(bytes, offset as usize);
                let (start_continuation, start_supplementary) =
                    counts.before(bytes, line_start as usize);
                (
                    end_continuation - start_continuation,
                    end_supplementary - start_supplementary,
                )
            };
        // Every byte that does not continue a character starts one. A 4-byte character takes
        // two UTF-16 code units.
        let column = offset - line_start - continuation + 1;
        Position {
            line: line_index as u32 + 1,
            column,
            column_utf16: column + supplementary,
            offset,
        }
    }

    /// Converts a 1-based line and character column back into a byte offset, the inverse of
    /// [`SourceFile::position`]. A column past the end of the line counts the line break as
    /// characters and then stops at the start of the next line. `None` for a line past the
    /// end of the file.
    pub fn offset_at(&self, line: u32, column: u32) -> Option<u32> {
        let index = usize::try_from(line.checked_sub(1)?).ok()?;
        let start = *self.line_starts.get(index)? as usize;
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |&e| e as usize);
        let skip = column.saturating_sub(1) as usize;
        let bytes = self.text.as_bytes();

        // Start counting at the last checkpoint of the line that is not past the column.
        let mut from = start;
        let mut remaining = skip;
        if end - start > 2 * CHECKPOINT_STRIDE {
            let counts = self.counts.get_or_init(|| CharCounts::new(bytes));
            let (start_continuation, _) = counts.before(bytes, start);
            let characters = |at: usize| {
                let (continuation, _) = counts.before(bytes, at);
                (at - start) - (continuation - start_continuation) as usize
            };
            // Binary search for the first checkpoint past the column.
            let mut low = start.div_ceil(CHECKPOINT_STRIDE);
            let mut high = end / CHECKPOINT_STRIDE + 1;
            let first = low;
            while low < high {
                let middle = low + (high - low) / 2;
                if characters(middle * CHECKPOINT_STRIDE) <= skip {
                    low = middle + 1;
                } else {
                    high = middle;
                }
            }
            if low > first {
                from = (low - 1) * CHECKPOINT_STRIDE;
                remaining = skip - characters(from);
            }
        }

        let line_bytes = bytes.get(from..end).unwrap_or_default();
        let mut starts = line_bytes
            .iter()
            .enumerate()
            .filter(|&(_, &byte)| (byte & 0xC0) != 0x80);
        let offset = starts.nth(remaining).map_or(end, |(i, _)| from + i);
        u32::try_from(offset).ok()
    }

    /// Text of the 1-based line `line`, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let index = line.saturating_sub(1) as usize;
        let start = self.line_starts.get(index).copied().unwrap_or(0) as usize;
        let end = self
            .line_starts
            .get(index + 1)
            .map(|&e| e as usize)
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or_default()
            .trim_end_matches(['\n', '\r'])
    }
}

/// Distance in bytes between the checkpoints of [`CharCounts`].
const CHECKPOINT_STRIDE: usize = 1024;

/// Counts, in a run of UTF-8 bytes, the bytes that continue a character and the bytes that
/// start a 4-byte character (one outside the Basic Multilingual Plane, two UTF-16 code units).
fn count_bytes(bytes: &[u8]) -> (u32, u32) {
    let mut continuation = 0u32;
    let mut supplementary = 0u32;
    for &byte in bytes {
        // Bytes 0x80..=0xBF continue a character, and bytes from 0xF0 start a 4-byte one.
        continuation += u32::from((byte & 0xC0) == 0x80);
        supplementary += u32::from(byte >= 0xF0);
    }
    (continuation, supplementary)
}

/// The [`count_bytes`] counts of every prefix `text[..k * CHECKPOINT_STRIDE]`, so that the
/// counts of any range take at most two scans of less than one stride each. A file with only
/// ASCII text needs no table.
#[derive(Debug, Clone)]
enum CharCounts {
    /// Every byte is a character of its own.
    Ascii,
    /// `checkpoints[k]` contains the counts of `text[..k * CHECKPOINT_STRIDE]`.
    Checkpoints(Vec<(u32, u32)>),
}

impl CharCounts {
    fn new(bytes: &[u8]) -> Self {
        // Offsets are `u32`, so later bytes are never counted and the totals cannot overflow.
        let bytes = bytes.get(..u32::MAX as usize).unwrap_or(bytes);
        if bytes.is_ascii() {
            return CharCounts::Ascii;
        }
        let mut checkpoints = Vec::with_capacity(bytes.len() / CHECKPOINT_STRIDE + 1);
        let mut total = (0u32, 0u32);
        checkpoints.push(total);
        for chunk in bytes.chunks_exact(CHECKPOINT_STRIDE) {
            let (continuation, supplementary) = count_bytes(chunk);
            total = (total.0 + continuation, total.1 + supplementary);
            checkpoints.push(total);
        }
        CharCounts::Checkpoints(checkpoints)
    }

    /// Counts of `bytes[..offset]`.
    fn before(&self, bytes: &[u8], offset: usize) -> (u32, u32) {
        let CharCounts::Checkpoints(checkpoints) = self else {
            return (0, 0);
        };
        let index = (offset / CHECKPOINT_STRIDE).min(checkpoints.len().saturating_sub(1));
        let (continuation, supplementary) = checkpoints.get(index).copied().unwrap_or_default();
        let checkpoint = index * CHECKPOINT_STRIDE;
        let (more_continuation, more_supplementary) =
            count_bytes(bytes.get(checkpoint..offset).unwrap_or_default());
        (
            continuation + more_continuation,
            supplementary + more_supplementary,
        )
    }
}

/// Returns the byte offsets where the lines of `text` start: 0, then the offset after each
/// line break. A CR followed by LF is one line break.
///
/// NOTE: Psych also breaks lines at NEL, LS and PS, so after one of these a location's line is
/// lower than the line Psych would give. Editors such as VS Code break lines only at LF, CR LF
/// and CR, and locations follow them.
fn line_starts(text: &str) -> Vec<u32> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (index, &byte) in bytes.iter().enumerate() {
        let is_break = match byte {
            b'\n' => true,
            b'\r' => bytes.get(index + 1) != Some(&b'\n'),
            _ => false,
        };
        if is_break {
            starts.push(u32::try_from(index + 1).unwrap_or(u32::MAX));
        }
    }
    starts
}

/// All files loaded while resolving one pipeline, addressed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Creates an empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id. The same name may be added twice (a file included
    /// twice is loaded twice, as GitLab loads it twice).
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile::new(name.into(), text.into()));
        id
    }

    /// The file with this id, if any.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// All files in load order.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// Start and end positions of a span, or `None` for an unknown file.
    pub fn resolve(&self, span: Span) -> Option<(&SourceFile, Position, Position)> {
        let file = self.get(span.file)?;
        Some((file, file.position(span.start), file.position(span.end)))
    }

    /// The source text a span covers (empty when out of range).
    pub fn snippet(&self, span: Span) -> &str {
        self.get(span.file)
            .and_then(|f| f.text.get(span.range()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_counts_lines_and_columns() {
        let mut map = SourceMap::new();
        let id = map.add("a.yml", "a: 1\nbé: 2\n");
        let file = map.get(id).unwrap();
        let pos = file.position(9);
        assert_eq!(pos.line, 2);
        assert_eq!(pos.column, 4);
        assert_eq!(pos.column_utf16, 4);
        assert_eq!(file.line_text(2), "bé: 2");
    }

    #[test]
    fn position_utf16_after_astral_char() {
        let mut map = SourceMap::new();
        let id = map.add("a.yml", "x: \u{1F600}y");
        let file = map.get(id).unwrap();
        let pos = file.position(7);
        assert_eq!(pos.column, 5);
        assert_eq!(pos.column_utf16, 6);
    }

    /// The same three lines with each kind of line break, and the offset of `1` on line 3.
    const LINE_BREAKS: [(&str, &str, u32); 4] = [
        ("LF", "a:\n  script: x\n  tags: [1]\n", 24),
        ("CR", "a:\r  script: x\r  tags: [1]\r", 24),
        ("CR LF", "a:\r\n  script: x\r\n  tags: [1]\r\n", 26),
        ("mixed", "a:\r  script: x\r\n  tags: [1]\n", 25),
    ];

    #[test]
    fn position_counts_each_line_break() {
        for (name, text, offset) in LINE_BREAKS {
            let mut map = SourceMap::new();
            let id = map.add("a.yml", text);
            let file = map.get(id).unwrap();
            assert_eq!(
                file.text.get(offset as usize..offset as usize + 1),
                Some("1")
            );
            let pos = file.position(offset);
            assert_eq!(pos.line, 3, "{name}");
            assert_eq!(pos.column, 10, "{name}");
            assert_eq!(file.line_starts().len(), 4, "{name}");
        }
    }

    #[test]
    fn line_text_drops_each_line_break() {
        for (name, text, _) in LINE_BREAKS {
            let mut map = SourceMap::new();
            let id = map.add("a.yml", text);
            let file = map.get(id).unwrap();
            assert_eq!(file.line_text(1), "a:", "{name}");
            assert_eq!(file.line_text(2), "  script: x", "{name}");
            assert_eq!(file.line_text(3), "  tags: [1]", "{name}");
            assert_eq!(file.line_text(4), "", "{name}");
        }
    }

    #[test]
    fn crlf_is_one_line_break() {
        let mut map = SourceMap::new();
        let id = map.add("a.yml", "a\r\n\r\nb\r\rc");
        let file = map.get(id).unwrap();
        assert_eq!(file.line_starts(), [0, 3, 5, 7, 8]);
        // The LF of a CR LF is still on the line the CR ends.
        assert_eq!(file.position(2).line, 1);
        assert_eq!(file.position(7).line, 4);
        assert_eq!(file.position(8).line, 5);
    }

    #[test]
    fn position_past_end_clamps() {
        let mut map = SourceMap::new();
        let id = map.add("a.yml", "ab");
        let pos = map.get(id).unwrap().position(99);
        assert_eq!(pos.offset, 2);
        assert_eq!(pos.column, 3);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    /// Position of `offset` counted character by character from the start of its line.
    fn naive_position(text: &str, offset: u32) -> (u32, u32, u32) {
        let offset = offset.min(text.len() as u32) as usize;
        let mut line = 1;
        let mut line_start = 0;
        let bytes = text.as_bytes();
        for (index, &byte) in bytes.iter().enumerate().take(offset) {
            let is_break = match byte {
                b'\n' => true,
                b'\r' => bytes.get(index + 1) != Some(&b'\n'),
                _ => false,
            };
            if is_break {
                line += 1;
                line_start = index + 1;
            }
        }
        let mut column = 1;
        let mut column_utf16 = 1;
        for (index, ch) in text.get(line_start..).unwrap_or_default().char_indices() {
            if line_start + index >= offset {
                break;
            }
            column += 1;
            column_utf16 += ch.len_utf16() as u32;
        }
        (line, column, column_utf16)
    }

    /// Text with lines long enough to use the checkpoints, mixing 1- to 4-byte characters and
    /// LF, CR LF and lone CR line breaks.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            20 => Just("a"),
            4 => Just("é"),
            3 => Just("€"),
            3 => Just("😀"),
            1 => Just("\n"),
            1 => Just("\r\n"),
            1 => Just("\r"),
        ];
        let line = proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat());
        // Some lines are repeated into runs of several strides.
        let run = (line, 1usize..200).prop_map(|(line, times)| line.repeat(times));
        proptest::collection::vec(run, 1..6).prop_map(|runs| runs.concat())
    }

    /// Byte offset of a 1-based column, counted character by character along the line, its
    /// line break included.
    fn naive_offset(file: &SourceFile, line: u32, column: u32) -> Option<u32> {
        let index = line.checked_sub(1)? as usize;
        let start = *file.line_starts().get(index)? as usize;
        let end = file
            .line_starts()
            .get(index + 1)
            .map_or(file.text.len(), |&e| e as usize);
        let text = file.text.get(start..end)?;
        let skip = column.saturating_sub(1) as usize;
        let bytes: usize = text.chars().take(skip).map(char::len_utf8).sum();
        Some((start + bytes) as u32)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn offset_at_matches_naive_count(text in text(), step in 1u32..40) {
            let mut map = SourceMap::new();
            let id = map.add("a.yml", text.clone());
            let file = map.get(id).unwrap();
            let lines = file.line_starts().len() as u32;
            for line in 0..=lines + 1 {
                let longest = file.line_text(line).len() as u32 + 3;
                for column in (0..=longest).step_by(step as usize).chain([longest]) {
                    prop_assert_eq!(
                        file.offset_at(line, column),
                        naive_offset(file, line, column),
                        "line {} column {}", line, column
                    );
                }
            }
        }

        #[test]
        fn offset_at_inverts_position(text in text(), step in 1u32..40) {
            let mut map = SourceMap::new();
            let id = map.add("a.yml", text.clone());
            let file = map.get(id).unwrap();
            for offset in (0..text.len() as u32).step_by(step as usize) {
                if !text.is_char_boundary(offset as usize) {
                    continue;
                }
                let position = file.position(offset);
                prop_assert_eq!(file.offset_at(position.line, position.column), Some(offset));
            }
        }

        #[test]
        fn position_matches_naive_count(text in text(), step in 1u32..40) {
            let mut map = SourceMap::new();
            let id = map.add("a.yml", text.clone());
            let file = map.get(id).unwrap();
            let len = text.len() as u32;
            let offsets = (0..=len + 1).step_by(step as usize).chain([len, len + 1]);
            for offset in offsets {
                let position = file.position(offset);
                let expected = naive_position(&text, offset);
                prop_assert_eq!(
                    (position.line, position.column, position.column_utf16),
                    expected,
                    "offset {}", offset
                );
                prop_assert_eq!(position.offset, offset.min(len));
            }
        }
    }
}
