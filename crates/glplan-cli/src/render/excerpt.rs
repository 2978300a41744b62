//! Excerpts of long source lines for the text renderer.
//!
//! codespan-reporting prints every line a label touches in full, and underlines the whole
//! label. A configuration written as one line of JSON can be megabytes long, so a single
//! diagnostic on it would print the file once as text and once as spaces and carets. So before
//! a report is rendered, every line it shows that is wider than [`MAX_LINE_WIDTH`] columns is
//! cut to a window around the label on that line, with [`ELLIPSIS`] where text was cut. The
//! report's byte ranges are moved into the cut lines, and the `file:line:col` header still gives
//! the position in the original file.
//!
//! codespan also writes control characters as they are, so a configuration could send terminal
//! commands through a snippet. The shown lines have them replaced by the escapes of
//! [`crate::terminal`] (tabs excepted, because codespan expands them to spaces), and the
//! report's ranges are moved past the longer escapes, so carets stay under the text they mark.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Report, LabelStyle};
use codespan_reporting::files::{Error as FilesError, Files};
use glplan::{FileId, SourceMap};

use crate::terminal;

/// Maximum width of a shown source line in terminal columns, ellipses and escapes included.
/// Widths are measured by [`char_width`].
pub(super) const MAX_LINE_WIDTH: usize = 120;

/// Columns kept before the label a window is placed around, when the line has them.
const LEFT_CONTEXT: usize = 40;

/// Marks the place where a shown line was cut.
pub(super) const ELLIPSIS: &str = "…";

/// Line start offsets of the loaded files, computed on first use.
pub(super) struct LineStarts<'s> {
    sources: &'s SourceMap,
    starts: Vec<OnceCell<Vec<usize>>>,
}

impl<'s> LineStarts<'s> {
    pub(super) fn new(sources: &'s SourceMap) -> Self {
        let starts = sources.files().map(|_| OnceCell::new()).collect();
        LineStarts { sources, starts }
    }

    /// Returns the text of file `file` and the byte offset where each of its lines starts, with
    /// the core's line breaks (LF, CR LF and a lone CR).
    fn get(&self, file: usize) -> Option<(&'s str, &[usize])> {
        let source = self.sources.get(FileId(u32::try_from(file).ok()?))?;
        let starts = self.starts.get(file)?.get_or_init(|| {
            let starts = source.line_starts().iter();
            starts.map(|&start| start as usize).collect()
        });
        Some((source.text.as_str(), starts))
    }
}

/// The files of one report, holding only the lines the report can show, each cut to its
/// window. Implements codespan's [`Files`] with line numbers and columns of the original files.
pub(super) struct Excerpts<'a> {
    names: &'a [String],
    views: BTreeMap<usize, View<'a>>,
}

/// Lines `first_line..first_line + lines.len()` of one file, as shown.
struct View<'a> {
    /// The original text of the file.
    original: &'a str,
    /// Index of the first line in the original file.
    first_line: usize,
    /// The shown lines joined, each with its original line break.
    text: String,
    lines: Vec<ShownLine>,
}

/// One original line and the part of it that is shown.
///
/// A shown line is made in two steps: the line is cut to its [`Window`], then the characters
/// of the cut line listed in `escapes` are replaced by their escapes. Offsets in the cut line
/// are called cut offsets below.
struct ShownLine {
    /// Byte offset of the line in the original text.
    start: usize,
    /// Length of the line without its line break.
    content_len: usize,
    /// Byte offset of the shown line in [`View::text`].
    shown_start: usize,
    /// Length of the shown line, ellipses, escapes and line break included.
    shown_len: usize,
    /// The shown part, or `None` when the whole line is shown.
    window: Option<Window>,
    /// The escaped characters of the cut line, in order.
    escapes: Vec<Escape>,
}

/// A character of a cut line that is shown as its escape.
struct Escape {
    /// Cut offset of the character.
    at: usize,
    /// Length of the character in bytes.
    len: usize,
    /// Length of its escape in bytes.
    escaped_len: usize,
}

/// The part of a long line that is shown.
struct Window {
    /// Byte range inside the line's content.
    range: Range<usize>,
    /// Bytes of the ellipsis before the window: 0 when the window starts the line.
    prefix: usize,
    /// Bytes of the ellipsis after the window: 0 when the window ends the line.
    suffix: usize,
}

impl ShownLine {
    /// Moves an original byte offset of this line into the shown line. An offset inside the
    /// cut text moves to the nearer edge of the matching ellipsis: the start of the ellipsis
    /// for the start of a range (`is_end` false), its end for the end of a range.
    fn shown_offset(&self, offset: usize, is_end: bool) -> usize {
        self.shown_start + self.escaped_offset(self.cut_offset(offset, is_end))
    }

    /// Moves an original byte offset of this line into the cut line, as
    /// [`ShownLine::shown_offset`] describes.
    fn cut_offset(&self, offset: usize, is_end: bool) -> usize {
        let relative = offset.saturating_sub(self.start);
        let Some(window) = &self.window else {
            return relative;
        };
        let Range { start, end } = window.range;
        let cut_content_end = window.prefix + (end - start) + window.suffix;
        if relative >= self.content_len {
            cut_content_end + (relative - self.content_len)
        } else if relative < start {
            if is_end { window.prefix } else { 0 }
        } else if relative <= end {
            window.prefix + (relative - start)
        } else if is_end {
            cut_content_end
        } else {
            window.prefix + (end - start)
        }
    }

    /// Moves a cut offset to the shown line, after the escapes of the characters before it.
    fn escaped_offset(&self, cut: usize) -> usize {
        let added: usize = self
            .escapes
            .iter()
            .take_while(|escape| escape.at < cut)
            .map(|escape| escape.escaped_len - escape.len)
            .sum();
        cut + added
    }

    /// Moves an offset of the shown line back to the cut line. An offset inside an escape maps
    /// to the escaped character.
    fn unescaped_offset(&self, shown: usize) -> usize {
        let mut added = 0;
        for escape in &self.escapes {
            let escaped_at = escape.at + added;
            if shown < escaped_at {
                break;
            }
            if shown < escaped_at + escape.escaped_len {
                return escape.at;
            }
            added += escape.escaped_len - escape.len;
        }
        shown - added
    }

    /// Moves an offset of the shown line back into the original text. An offset inside an
    /// ellipsis maps to the edge of the window beside it.
    fn original_offset(&self, shown: usize) -> usize {
        let relative = self.unescaped_offset(shown.saturating_sub(self.shown_start));
        let Some(window) = &self.window else {
            return self.start + relative;
        };
        let Range { start, end } = window.range;
        let cut_content_end = window.prefix + (end - start) + window.suffix;
        let original = if relative < window.prefix {
            start
        } else if relative <= window.prefix + (end - start) {
            start + (relative - window.prefix)
        } else if relative < cut_content_end {
            end
        } else {
            self.content_len + (relative - cut_content_end)
        };
        self.start + original
    }
}

/// A label's start, or the end of a label that started on an earlier line: a place on a line
/// that the line's window should show.
#[derive(Clone, Copy)]
struct Anchor {
    /// Byte offset in the original text.
    offset: usize,
    primary: bool,
}

/// Cuts the lines `report` shows to windows, and returns the files to render the moved report
/// with. `names` are the display names of the files, by file index.
pub(super) fn excerpt<'a>(
    report: Report<usize>,
    lines: &LineStarts<'a>,
    names: &'a [String],
) -> (Excerpts<'a>, Report<usize>) {
    // 1. Group the labels' ranges by file, and the ends of each range by line.
    let mut anchors: BTreeMap<usize, BTreeMap<usize, Vec<Anchor>>> = BTreeMap::new();
    for label in &report.labels {
        let Some((_, starts)) = lines.get(label.file_id) else {
            continue;
        };
        let primary = label.style == LabelStyle::Primary;
        let start_line = line_of(starts, label.range.start);
        let end_line = line_of(starts, label.range.end);
        let by_line = anchors.entry(label.file_id).or_default();
        let start = Anchor {
            offset: label.range.start,
            primary,
        };
        by_line.entry(start_line).or_default().push(start);
        if end_line != start_line {
            let end = Anchor {
                offset: label.range.end,
                primary,
            };
            by_line.entry(end_line).or_default().push(end);
        }
    }

    // 2. Build each file's shown lines: every line from the first label's start to the last
    // label's end, because codespan may show any of them.
    let mut views = BTreeMap::new();
    for (file, by_line) in &anchors {
        let Some((text, starts)) = lines.get(*file) else {
            continue;
        };
        let (Some(first), Some(last)) = (by_line.keys().next(), by_line.keys().next_back()) else {
            continue;
        };
        views.insert(*file, View::new(text, starts, *first..*last + 1, by_line));
    }

    // 3. Move the labels into the shown lines.
    let mut report = report;
    for label in &mut report.labels {
        let Some(view) = views.get(&label.file_id) else {
            continue;
        };
        let start = view.shown_offset(label.range.start, false);
        let end = view.shown_offset(label.range.end, true).max(start);
        label.range = start..end;
    }
    (Excerpts { names, views }, report)
}

/// Index of the line that contains byte `offset`.
fn line_of(starts: &[usize], offset: usize) -> usize {
    starts
        .partition_point(|&start| start <= offset)
        .saturating_sub(1)
}

impl<'a> View<'a> {
    fn new(
        original: &'a str,
        starts: &[usize],
        line_range: Range<usize>,
        anchors: &BTreeMap<usize, Vec<Anchor>>,
    ) -> Self {
        let mut view = View {
            original,
            first_line: line_range.start,
            text: String::new(),
            lines: Vec::with_capacity(line_range.len()),
        };
        for index in line_range {
            let start = starts.get(index).copied().unwrap_or(original.len());
            let end = starts.get(index + 1).copied().unwrap_or(original.len());
            let line = original.get(start..end).unwrap_or_default();
            let content = line.trim_end_matches(['\n', '\r']);
            let focus = anchors
                .get(&index)
                .and_then(|anchors| focus(anchors, start));
            view.push_line(start, line, content, choose_window(content, focus));
        }
        view
    }

    fn push_line(&mut self, start: usize, line: &str, content: &str, window: Option<Range<usize>>) {
        let shown_start = self.text.len();
        let mut cut = String::new();
        let window = window.map(|range| {
            let prefix = if range.start > 0 { ELLIPSIS.len() } else { 0 };
            let suffix = if range.end < content.len() {
                ELLIPSIS.len()
            } else {
                0
            };
            cut.push_str(&ELLIPSIS[..prefix]);
            cut.push_str(content.get(range.clone()).unwrap_or_default());
            cut.push_str(&ELLIPSIS[..suffix]);
            Window {
                range,
                prefix,
                suffix,
            }
        });
        let cut = if window.is_some() {
            cut.as_str()
        } else {
            content
        };
        let escapes = push_escaped(&mut self.text, cut);
        self.text
            .push_str(line.get(content.len()..).unwrap_or_default());
        self.lines.push(ShownLine {
            start,
            content_len: content.len(),
            shown_start,
            shown_len: self.text.len() - shown_start,
            window,
            escapes,
        });
    }

    fn line(&self, line_index: usize) -> Option<&ShownLine> {
        self.lines.get(line_index.checked_sub(self.first_line)?)
    }

    /// Returns the shown line that contains original byte `offset`.
    fn line_at(&self, offset: usize) -> Option<&ShownLine> {
        let index = self.lines.partition_point(|line| line.start <= offset);
        self.lines.get(index.saturating_sub(1))
    }

    fn shown_offset(&self, offset: usize, is_end: bool) -> usize {
        self.line_at(offset)
            .map_or(0, |line| line.shown_offset(offset, is_end))
    }
}

/// Appends `cut` to `text` with the characters that [`terminal::needs_escape`] accepts, tabs
/// excepted, replaced by their escapes, and returns where they were.
fn push_escaped(text: &mut String, cut: &str) -> Vec<Escape> {
    let mut escapes = Vec::new();
    for (at, ch) in cut.char_indices() {
        match terminal::escaped_char(ch).filter(|_| ch != '\t') {
            Some(escape) => {
                escapes.push(Escape {
                    at,
                    len: ch.len_utf8(),
                    escaped_len: escape.len(),
                });
                text.push_str(&escape);
            }
            None => text.push(ch),
        }
    }
    escapes
}

/// Returns the offset in a line (starting at `line_start` in the file) that its window should
/// show: the primary label's anchor when it is on this line, else the first anchor. codespan's
/// `file:line:col` header uses the primary label, or else the first label in the file, so the
/// header's position is always inside a window.
fn focus(anchors: &[Anchor], line_start: usize) -> Option<usize> {
    let anchor = anchors
        .iter()
        .filter(|anchor| anchor.primary)
        .min_by_key(|anchor| anchor.offset)
        .or_else(|| anchors.iter().min_by_key(|anchor| anchor.offset))?;
    Some(anchor.offset.saturating_sub(line_start))
}

/// Returns the byte range of `content` to show, or `None` when the whole line fits in
/// [`MAX_LINE_WIDTH`] columns.
///
/// The window starts up to [`LEFT_CONTEXT`] columns before the focus (the line's start when
/// there is none) and fills the remaining columns after it. A window that reaches the end of
/// the line gives its unused columns to the text before the focus instead.
fn choose_window(content: &str, focus: Option<usize>) -> Option<Range<usize>> {
    if !wider_than(content, 0, MAX_LINE_WIDTH) {
        return None;
    }
    let focus_start = floor_char_boundary(content, focus.unwrap_or(0));
    let ellipsis_width = ELLIPSIS.chars().map(char_width).sum::<usize>();

    let mut start = back_by(content, focus_start, LEFT_CONTEXT);
    let prefix_width = if start > 0 { ellipsis_width } else { 0 };
    let budget = MAX_LINE_WIDTH - prefix_width;
    let end = if !wider_than(content, start, budget) {
        content.len()
    } else {
        forward_by(content, start, budget - ellipsis_width)
    };
    if end == content.len() {
        start = back_by(content, end, MAX_LINE_WIDTH - ellipsis_width);
    }
    Some(start..end)
}

/// Returns whether `content[start..]` is wider than `limit` columns.
fn wider_than(content: &str, start: usize, limit: usize) -> bool {
    let mut width = 0;
    for ch in content.get(start..).unwrap_or_default().chars() {
        width += char_width(ch);
        if width > limit {
            return true;
        }
    }
    false
}

/// Returns the smallest char boundary `i <= from` with `content[i..from]` at most `columns`
/// wide.
fn back_by(content: &str, from: usize, columns: usize) -> usize {
    let mut width = 0;
    let mut start = from;
    for (index, ch) in content.get(..from).unwrap_or_default().char_indices().rev() {
        width += char_width(ch);
        if width > columns {
            break;
        }
        start = index;
    }
    start
}

/// Returns the largest char boundary `j >= from` with `content[from..j]` at most `columns`
/// wide.
fn forward_by(content: &str, from: usize, columns: usize) -> usize {
    let mut width = 0;
    let rest = content.get(from..).unwrap_or_default();
    for (index, ch) in rest.char_indices() {
        width += char_width(ch);
        if width > columns {
            return from + index;
        }
    }
    content.len()
}

fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Terminal width of `ch` as shown, used only to size windows: codespan aligns the carets
/// with its own measurement of the shown text. A tab counts as 4 columns, codespan's default
/// tab width (codespan moves it to the next tab stop, so it can take fewer). An escaped
/// character counts as its escape, and any other as the `unicode-width` crate, which
/// codespan uses too, measures it.
fn char_width(ch: char) -> usize {
    match ch {
        '\t' => 4,
        _ => terminal::escaped_char_width(ch),
    }
}

impl Excerpts<'_> {
    fn view(&self, id: usize) -> Result<&View<'_>, FilesError> {
        self.views.get(&id).ok_or(FilesError::FileMissing)
    }
}

impl<'f> Files<'f> for Excerpts<'_> {
    type FileId = usize;
    type Name = &'f str;
    type Source = &'f str;

    fn name(&'f self, id: usize) -> Result<&'f str, FilesError> {
        self.names
            .get(id)
            .map(String::as_str)
            .ok_or(FilesError::FileMissing)
    }

    fn source(&'f self, id: usize) -> Result<&'f str, FilesError> {
        Ok(self.view(id)?.text.as_str())
    }

    fn line_index(&'f self, id: usize, byte_index: usize) -> Result<usize, FilesError> {
        let view = self.view(id)?;
        let index = view
            .lines
            .partition_point(|line| line.shown_start <= byte_index);
        Ok(view.first_line + index.saturating_sub(1))
    }

    fn line_range(&'f self, id: usize, line_index: usize) -> Result<Range<usize>, FilesError> {
        let view = self.view(id)?;
        let line = view.line(line_index).ok_or(FilesError::LineTooLarge {
            given: line_index,
            max: view.first_line + view.lines.len().saturating_sub(1),
        })?;
        Ok(line.shown_start..line.shown_start + line.shown_len)
    }

    /// Returns the 1-based column in the original line, counted in characters as
    /// [`glplan::Position::column`] counts it.
    fn column_number(
        &'f self,
        id: usize,
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, FilesError> {
        let view = self.view(id)?;
        let Some(line) = view.line(line_index) else {
            return Ok(1);
        };
        let offset = line.original_offset(byte_index);
        let before = view.original.get(line.start..).unwrap_or_default();
        let column = before
            .char_indices()
            .take_while(|(index, _)| line.start + index < offset)
            .count();
        Ok(column + 1)
    }
}
