//! Standard output for reports: styled or plain as `--color`, `NO_COLOR`, `CLICOLOR_FORCE` and
//! the terminal decide, written in large blocks.
//!
//! Reporters write many small pieces. Given to the standard stream one by one, each costs a
//! write to the line-buffered stream (about one system call a line), and when styles are
//! removed, a pass of the escape-sequence parser over every byte. Here the pieces collect in a
//! block; a full block has its styles removed at once and goes out in one write.

use std::io::{self, StdoutLock, Write};

use anstream::adapter::StripBytes;
use memchr::memchr;
use rayon::prelude::*;

use super::ColorChoice;

/// Bytes collected before they go out.
const BLOCK: usize = 1 << 16;

pub struct Stdout {
    /// What reporters wrote and is not out yet, styles included.
    block: Vec<u8>,
    sink: Sink,
}

enum Sink {
    /// Styles go out as written (or, on an old Windows console, through its own calls).
    Styled(anstream::AutoStream<StdoutLock<'static>>),
    /// Styles are removed first.
    Plain {
        raw: StdoutLock<'static>,
        /// Where the removal stands: within an escape sequence split across blocks.
        strip: StripBytes,
        /// The block without its styles (kept to reuse its memory).
        plain: Vec<u8>,
    },
}

impl Stdout {
    pub fn new(color: ColorChoice) -> Self {
        // The stream anstream would write through decides, so the choice stays exactly its own.
        let auto = anstream::AutoStream::new(io::stdout().lock(), color.into());
        let sink = if auto.current_choice() == anstream::ColorChoice::Never {
            Sink::Plain {
                raw: auto.into_inner(),
                strip: StripBytes::new(),
                plain: Vec::with_capacity(BLOCK),
            }
        } else {
            Sink::Styled(auto)
        };
        Stdout {
            block: Vec::with_capacity(BLOCK),
            sink,
        }
    }

    fn write_block(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Styled(out) => out.write_all(&self.block)?,
            Sink::Plain { raw, strip, plain } => {
                plain.clear();
                unstyle(&self.block, strip, plain);
                raw.write_all(plain)?;
            }
        }
        self.block.clear();
        Ok(())
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.block.extend_from_slice(buf);
        if self.block.len() >= BLOCK {
            self.write_block()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_block()?;
        match &mut self.sink {
            Sink::Styled(out) => out.flush(),
            Sink::Plain { raw, .. } => raw.flush(),
        }
    }
}

/// `styled` without its escape sequences, appended to `out`: byte for byte what anstream's
/// stripping gives, at the cost of a search for `ESC`.
///
/// The fast way holds for what reporters write: whole characters, and user text escaped
/// ([`crate::escape::terminal`]), so the only escape sequences are the palette's SGR styles
/// (`ESC [ 1 ; 31 m`) and the only control characters are line breaks and tabs. Anything else
/// (a control character in a JSON string, an escape sequence or a character cut at the end of a
/// block) goes through anstream's parser, which knows every case.
fn unstyle(styled: &[u8], strip: &mut StripBytes, out: &mut Vec<u8>) {
    let mut rest = styled;
    let plain_text = || {
        std::str::from_utf8(styled).is_ok() && !styled.iter().fold(false, |odd, &b| odd | is_odd(b))
    };
    if *strip == StripBytes::new() && plain_text() {
        while let Some(at) = memchr(0x1b, rest) {
            let Some(len) = sgr_len(&rest[at..]) else {
                break;
            };
            out.extend_from_slice(&rest[..at]);
            rest = &rest[at + len..];
        }
        if memchr(0x1b, rest).is_none() {
            out.extend_from_slice(rest);
            return;
        }
    }
    for printable in strip.strip_next(rest) {
        out.extend_from_slice(printable);
    }
}

/// A byte anstream removes or treats specially, other than `ESC`: C0 controls but tab, line
/// feed, form feed and carriage return (which it keeps), and `DEL`.
fn is_odd(b: u8) -> bool {
    matches!(b, 0x00..=0x08 | 0x0b | 0x0e..=0x1a | 0x1c..=0x1f | 0x7f)
}

/// The length of the SGR sequence `ESC [ params m` that `bytes` starts with, if it does.
fn sgr_len(bytes: &[u8]) -> Option<usize> {
    let params = bytes.get(2..)?;
    if bytes[1] != b'[' {
        return None;
    }
    let end = params
        .iter()
        .position(|&b| !matches!(b, b'0'..=b'9' | b';'))?;
    (params[end] == b'm').then_some(end + 3)
}

/// Writes `count` items to `out` in order, each as `render` writes item `i` (it may look at its
/// neighbours), rendered across the cores: items are cut into chunks, and a window of chunks is
/// rendered at a time so that memory stays a window's worth however long the report.
pub fn write_ordered(
    out: &mut impl Write,
    count: usize,
    render: impl Fn(&mut Vec<u8>, usize) -> io::Result<()> + Sync,
) -> io::Result<()> {
    /// Items rendered into one buffer by one thread.
    const CHUNK: usize = 128;
    /// Chunks rendered before they are written.
    const WINDOW: usize = 16 * CHUNK;
    for start in (0..count).step_by(WINDOW) {
        let blocks = (start..count.min(start + WINDOW))
            .into_par_iter()
            .chunks(CHUNK)
            .map(|items| {
                let mut block = Vec::new();
                for i in items {
                    render(&mut block, i)?;
                }
                Ok(block)
            })
            .collect::<io::Result<Vec<Vec<u8>>>>()?;
        for block in blocks {
            out.write_all(&block)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use anstream::adapter::StripBytes;
    use proptest::prelude::*;

    use super::unstyle;

    fn unstyled(blocks: &[&[u8]]) -> Vec<u8> {
        let mut strip = StripBytes::new();
        let mut out = Vec::new();
        for block in blocks {
            unstyle(block, &mut strip, &mut out);
        }
        out
    }

    /// What anstream's stream writes for `blocks` written one after the other.
    fn stripped(blocks: &[&[u8]]) -> Vec<u8> {
        let mut strip = StripBytes::new();
        let mut out = Vec::new();
        for block in blocks {
            strip
                .strip_next(block)
                .for_each(|b| out.extend_from_slice(b));
        }
        out
    }

    #[test]
    fn styles_are_removed_and_text_kept() {
        let styled = "\x1b[1m\x1b[31merror\x1b[0m: \x1b[2mé → ✓\x1b[0m\n\tx\r\n".as_bytes();
        assert_eq!(unstyled(&[styled]), "error: é → ✓\n\tx\r\n".as_bytes());
    }

    #[test]
    fn an_escape_split_across_blocks_is_removed_whole() {
        assert_eq!(unstyled(&[b"a\x1b[3", b"1mb\x1b[0m"]), b"ab");
        assert_eq!(unstyled(&[b"a\x1b]0;title", b"\x07b"]), b"ab");
    }

    /// Pieces of what reporters write, and of what they must never let through.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z →✓é]{0,8}",
            Just("\x1b[1m".to_owned()),
            Just("\x1b[0m".to_owned()),
            Just("\x1b[1;31m".to_owned()),
            Just("\n".to_owned()),
            Just("\t".to_owned()),
            Just("\x1b".to_owned()),
            Just("\x1b[".to_owned()),
            Just("\x1b]0;x\x07".to_owned()),
            Just("\x7f".to_owned()),
            Just("\u{9b}".to_owned()),
            "[\x00-\x1f]",
        ]
    }

    proptest! {
        #[test]
        fn removal_is_anstreams_byte_for_byte(
            pieces in prop::collection::vec(piece(), 0..40),
            cut in 0usize..200,
        ) {
            let text = pieces.concat();
            let cut = cut.min(text.len());
            let whole = [text.as_bytes()];
            prop_assert_eq!(unstyled(&whole), stripped(&whole));
            let (a, b) = text.as_bytes().split_at(cut);
            prop_assert_eq!(unstyled(&[a, b]), stripped(&[a, b]));
        }
    }
}
