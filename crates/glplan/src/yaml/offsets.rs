//! Conversion of saphyr's character indices into byte offsets.
//!
//! `saphyr_parser::Marker::index` counts Unicode scalar values, while [`Span`](crate::Span)
//! contains byte offsets. ASCII text needs no conversion. Other text gets a checkpoint every
//! [`STRIDE`] characters, so that any lookup walks at most `STRIDE` characters; lookups close
//! to the previous one, which is the usual case for parser events, walk from there instead.

/// Characters between two checkpoints.
const STRIDE: usize = 64;

/// Converts character indices of one text into byte offsets.
#[derive(Debug)]
pub(crate) struct CharOffsets<'a> {
    text: &'a [u8],
    /// Byte offset of every `STRIDE`-th character, or nothing for ASCII text.
    checkpoints: Vec<u32>,
    ascii: bool,
    last_char: usize,
    last_byte: usize,
}

impl<'a> CharOffsets<'a> {
    /// Prepares conversions for `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        let ascii = text.is_ascii();
        let mut checkpoints = Vec::new();
        if !ascii {
            checkpoints.reserve(text.len() / STRIDE + 1);
            for (i, (byte, _)) in text.char_indices().enumerate() {
                if i % STRIDE == 0 {
                    checkpoints.push(byte as u32);
                }
            }
        }
        CharOffsets {
            text: text.as_bytes(),
            checkpoints,
            ascii,
            last_char: 0,
            last_byte: 0,
        }
    }

    /// Converts character `index` into a byte offset. Indices past the end map to the text's
    /// length.
    pub(crate) fn byte(&mut self, index: usize) -> usize {
        if self.ascii {
            return index.min(self.text.len());
        }
        let (mut char_pos, mut byte_pos) = (self.last_char, self.last_byte);
        if index < char_pos || index - char_pos > STRIDE {
            let checkpoint = index / STRIDE;
            match self.checkpoints.get(checkpoint) {
                Some(&byte) => {
                    char_pos = checkpoint * STRIDE;
                    byte_pos = byte as usize;
                }
                None => return self.text.len(),
            }
        }
        while char_pos < index {
            let Some(&lead) = self.text.get(byte_pos) else {
                break;
            };
            byte_pos += utf8_width(lead);
            char_pos += 1;
        }
        self.last_char = char_pos;
        self.last_byte = byte_pos;
        byte_pos.min(self.text.len())
    }
}

/// Length of the UTF-8 sequence that starts with `lead`.
fn utf8_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_identity() {
        let mut offsets = CharOffsets::new("abc");
        assert_eq!(offsets.byte(2), 2);
        assert_eq!(offsets.byte(9), 3);
    }

    #[test]
    fn every_index_matches_char_indices() {
        let text = "é€😀a".repeat(100);
        let expected: Vec<usize> = text
            .char_indices()
            .map(|(b, _)| b)
            .chain([text.len()])
            .collect();
        let mut offsets = CharOffsets::new(&text);
        for (i, &byte) in expected.iter().enumerate() {
            assert_eq!(offsets.byte(i), byte, "forward {i}");
        }
        for (i, &byte) in expected.iter().enumerate().rev() {
            assert_eq!(offsets.byte(i), byte, "backward {i}");
        }
        for i in (0..expected.len()).step_by(97) {
            assert_eq!(offsets.byte(i), expected[i], "jump {i}");
        }
    }

    #[test]
    fn past_end_clamps() {
        let mut offsets = CharOffsets::new("é");
        assert_eq!(offsets.byte(5), 2);
    }
}
