//! `eval --batch`: JSON Lines of requests (`{"flag": KEY, "context": {...}}`) in, one answer line
//! per request out, in input order, on every core.
//!
//! The input is read in large blocks cut at line ends; each block is split into pieces that the
//! cores answer independently into their own buffers, which are then written in order. A line
//! that cannot be answered (not JSON, a context that is not an object, an unknown flag) gets an
//! answer naming its line number, and the batch goes on.

use std::borrow::Cow;
use std::io::{self, Read, Write};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Attr, Context, Environment, Resolution};
use crate::finding::did_you_mean;

/// Why a batch stopped: the requests could not be read or the answers not written.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("reading the requests")]
    Read(#[source] io::Error),
    #[error("writing the output")]
    Write(#[source] io::Error),
}

/// Bytes read before a block is answered: enough to keep every core busy for a while.
const BLOCK: usize = 4 << 20;
/// Bytes of input one core answers at a time.
const PIECE: usize = 64 << 10;
/// The longest request line answered: a flag name and a context are a few hundred bytes, and
/// a line without end (`--batch /dev/zero`) must not take the memory.
const MAX_LINE: usize = 1 << 20;

/// Answers every request of `input` on `output`, one line each, in order.
pub fn run(
    env: &Environment,
    mut input: impl Read,
    mut output: impl Write,
    now: i64,
) -> Result<(), BatchError> {
    let mut buffer: Vec<u8> = Vec::with_capacity(BLOCK + PIECE);
    let mut lines_before = 0usize;
    let mut at_end = false;
    loop {
        while !at_end && buffer.len() < BLOCK {
            let missing = (BLOCK - buffer.len()) as u64;
            match input.by_ref().take(missing).read_to_end(&mut buffer) {
                Ok(read) => at_end = read == 0,
                Err(e) => return Err(BatchError::Read(e)),
            }
        }
        // Whole lines only, except for a last line without a line end.
        let end = if at_end {
            buffer.len()
        } else {
            match memchr::memrchr(b'\n', &buffer) {
                Some(i) => i + 1,
                None => {
                    // A block without a line end: one line too long to answer. Its bytes are
                    // dropped as they come, up to its end.
                    lines_before += 1;
                    let mut refusal = Vec::new();
                    write_refusal(&mut refusal, None, lines_before, &too_long());
                    output.write_all(&refusal).map_err(BatchError::Write)?;
                    at_end = skip_line(&mut input, &mut buffer)?;
                    continue;
                }
            }
        };
        let pieces = pieces(&buffer[..end], lines_before);
        lines_before = pieces
            .last()
            .map_or(lines_before, |p| p.first_line + p.lines);
        let answers: Vec<Vec<u8>> = pieces
            .par_iter()
            .map(|piece| piece.answer(env, now))
            .collect();
        for answer in &answers {
            output.write_all(answer).map_err(BatchError::Write)?;
        }
        buffer.drain(..end);
        if at_end {
            break;
        }
    }
    output.flush().map_err(BatchError::Write)
}

/// Drops the rest of a line whose start `buffer` holds: reads on until its line end and keeps
/// only what follows it. Whether the input ended.
fn skip_line(input: &mut impl Read, buffer: &mut Vec<u8>) -> Result<bool, BatchError> {
    loop {
        if let Some(i) = memchr::memchr(b'\n', buffer) {
            buffer.drain(..=i);
            return Ok(false);
        }
        buffer.clear();
        match input.by_ref().take(BLOCK as u64).read_to_end(buffer) {
            Ok(0) => return Ok(true),
            Ok(_) => {}
            Err(e) => return Err(BatchError::Read(e)),
        }
    }
}

fn too_long() -> String {
    format!(
        "the line is longer than {} KiB; a request is a flag and its context",
        MAX_LINE / 1024
    )
}

/// Consecutive whole lines of the input.
struct Piece<'b> {
    bytes: &'b [u8],
    /// The number of lines before this piece.
    first_line: usize,
    /// The lines it holds (a last line without a line end counts).
    lines: usize,
}

/// `block` cut at line ends into pieces of about [`PIECE`] bytes.
fn pieces(block: &[u8], lines_before: usize) -> Vec<Piece<'_>> {
    let mut pieces = Vec::with_capacity(block.len() / PIECE + 1);
    let mut start = 0;
    let mut first_line = lines_before;
    while start < block.len() {
        let end = match memchr::memchr(b'\n', &block[(start + PIECE).min(block.len())..]) {
            Some(i) => (start + PIECE).min(block.len()) + i + 1,
            None => block.len(),
        };
        let bytes = &block[start..end];
        let newlines = memchr::memchr_iter(b'\n', bytes).count();
        let lines = newlines + usize::from(bytes.last() != Some(&b'\n'));
        pieces.push(Piece {
            bytes,
            first_line,
            lines,
        });
        first_line += lines;
        start = end;
    }
    pieces
}

impl Piece<'_> {
    /// The answer lines of every request of the piece.
    fn answer(&self, env: &Environment, now: i64) -> Vec<u8> {
        // Answers are shorter than most requests; a long one grows the buffer once.
        let mut out = Vec::with_capacity(self.bytes.len());
        let mut number = self.first_line;
        let mut rest = self.bytes;
        while !rest.is_empty() {
            let (mut line, next) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            rest = next;
            number += 1;
            if let [head @ .., b'\r'] = line {
                line = head;
            }
            answer_line(env, number, line, now, &mut out);
        }
        out
    }
}

/// One input line of a batch.
#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    flag: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    context: Option<Attr<'a>>,
}

/// Appends the JSON line answering request line `number` to `out`.
fn answer_line(env: &Environment, number: usize, line: &[u8], now: i64, out: &mut Vec<u8>) {
    if line.len() > MAX_LINE {
        return write_refusal(out, None, number, &too_long());
    }
    // Text checked once as a whole reads faster than string by string; a line that is not
    // UTF-8 is read as bytes, for the parser's own words on where it goes wrong.
    let parsed = match std::str::from_utf8(line) {
        Ok(text) => serde_json::from_str::<Request>(text),
        Err(_) => serde_json::from_slice::<Request>(line),
    };
    let request = match parsed {
        Ok(request) => request,
        Err(e) => {
            let why = if e.is_data() {
                format!("expected {{\"flag\": KEY, \"context\": {{…}}}}: {e}")
            } else {
                format!("not JSON: {e}")
            };
            return write_refusal(out, None, number, &why);
        }
    };
    let Some(flag) = request.flag.as_deref() else {
        return write_refusal(out, None, number, "no \"flag\"");
    };
    let empty = Context::default();
    let context = match &request.context {
        None => &empty,
        Some(Attr::Object(context)) => context,
        Some(other) => {
            let why = format!("\"context\" must be a JSON object, not {}", other.kind());
            return write_refusal(out, Some(flag), number, &why);
        }
    };
    match env.flags.get(flag).map(|c| &c.program) {
        None => {
            let hint = did_you_mean(flag, env.flags.keys().map(String::as_str))
                .map(|h| format!(" (did you mean \"{h}\"?)"))
                .unwrap_or_default();
            let why = format!("no flag \"{flag}\" in {}{hint}", env.name);
            write_refusal(out, Some(flag), number, &why);
        }
        Some(Err(findings)) => {
            let why = findings
                .first()
                .map_or("the flag cannot be evaluated", |f| f.message.as_str());
            write_refusal(out, Some(flag), number, why);
        }
        Some(Ok(program)) => write_answer(out, flag, &program.evaluate(context, now)),
    }
}

/// One answer, as `eval --format json` shows it and as a batch line holds it.
#[derive(Serialize)]
pub struct Answer<'a> {
    pub flag: Option<&'a str>,
    pub value: Option<&'a Value>,
    pub variant: Option<&'a str>,
    pub reason: Option<&'static str>,
    pub rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// The input line, where it could not be evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl<'a> Answer<'a> {
    pub fn of(flag: &'a str, r: &'a Resolution<'a>) -> Answer<'a> {
        Answer {
            flag: Some(flag),
            value: r.value,
            variant: r.variant,
            reason: Some(r.reason.as_str()),
            rule: r.rule,
            error: r.error.as_deref(),
            line: None,
        }
    }

    /// Appends the answer as one compact JSON line: the bytes `serde_json` writes for it, written
    /// directly (a batch writes a million of them).
    fn write_line(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"flag\":");
        write_opt_str(out, self.flag);
        out.extend_from_slice(b",\"value\":");
        match self.value {
            None | Some(Value::Null) => out.extend_from_slice(b"null"),
            Some(Value::Bool(true)) => out.extend_from_slice(b"true"),
            Some(Value::Bool(false)) => out.extend_from_slice(b"false"),
            Some(Value::String(s)) => write_str(out, s),
            Some(other) => write_json(out, other),
        }
        out.extend_from_slice(b",\"variant\":");
        write_opt_str(out, self.variant);
        out.extend_from_slice(b",\"reason\":");
        write_opt_str(out, self.reason);
        out.extend_from_slice(b",\"rule\":");
        write_opt_str(out, self.rule);
        if let Some(error) = self.error {
            out.extend_from_slice(b",\"error\":");
            write_str(out, error);
        }
        if let Some(line) = self.line {
            out.extend_from_slice(b",\"line\":");
            write_json(out, &line);
        }
        out.extend_from_slice(b"}\n");
    }
}

fn write_answer(out: &mut Vec<u8>, flag: &str, resolution: &Resolution) {
    Answer::of(flag, resolution).write_line(out);
}

fn write_refusal(out: &mut Vec<u8>, flag: Option<&str>, line: usize, why: &str) {
    let error = format!("line {line}: {why}");
    Answer {
        flag,
        value: None,
        variant: None,
        reason: None,
        rule: None,
        error: Some(&error),
        line: Some(line),
    }
    .write_line(out);
}

fn write_opt_str(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => write_str(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

/// The bytes a JSON string escapes: control characters, `"` and `\`.
const ESCAPED: [bool; 256] = {
    let mut escaped = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        escaped[b] = true;
        b += 1;
    }
    escaped[b'"' as usize] = true;
    escaped[b'\\' as usize] = true;
    escaped
};

/// A JSON string: copied between quotes when nothing in it needs escaping, else as `serde_json`
/// escapes it.
fn write_str(out: &mut Vec<u8>, text: &str) {
    if text.bytes().any(|b| ESCAPED[usize::from(b)]) {
        write_json(out, text);
    } else {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    }
}

fn write_json(out: &mut Vec<u8>, value: &(impl Serialize + ?Sized)) {
    // Writing plain values into memory cannot fail.
    let _ = serde_json::to_writer(out, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Reason;
    use serde_json::json;

    /// The hand-written line is byte for byte what `serde_json` writes for the same answer.
    #[test]
    fn answer_lines_are_serde_json_s_bytes() {
        let values = [
            json!("onepage"),
            json!("quote \" back\\slash \n tab\t \u{1} é 日本"),
            json!(true),
            json!(false),
            json!(null),
            json!(4.5),
            json!(-7),
            json!({"b": [1, "x"], "a": {"c": null}}),
        ];
        for value in &values {
            for (rule, error, line) in [
                (Some("staff \"first\""), None, None),
                (None, Some("attribute \"a\"\nfails"), None),
                (None, Some("line 3: not JSON"), Some(3)),
            ] {
                let answer = Answer {
                    flag: Some("check\"out"),
                    value: Some(value),
                    variant: Some("one\\page"),
                    reason: Some(Reason::TargetingMatch.as_str()),
                    rule,
                    error,
                    line,
                };
                let mut ours = Vec::new();
                answer.write_line(&mut ours);
                let mut theirs = serde_json::to_vec(&answer).expect("serializes");
                theirs.push(b'\n');
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs)
                );
            }
        }
    }

    /// Reads at most `step` bytes at a time, as a pipe may.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// Lines too long to answer (longer than a block, or only than the limit), read in small
    /// pieces, and a last line with no line end: every line answered once, in order, with its
    /// number, and the long ones refused.
    #[test]
    fn every_line_is_answered_in_order_whatever_its_length() {
        let env = Environment {
            name: "prod".to_owned(),
            flags: Default::default(),
        };
        let long = "x".repeat(BLOCK + BLOCK / 2);
        let over = "y".repeat(MAX_LINE);
        let input = format!(
            "{{\"flag\":\"a\"}}\r\n{{\"flag\":\"{long}\"}}\n{{\"flag\":\"{over}\"}}\n\nnot json\n{{\"flag\":\"b\"}}"
        );
        let mut out = Vec::new();
        let reader = Trickle {
            bytes: input.as_bytes(),
            step: 100_003,
        };
        run(&env, reader, &mut out, 0).expect("runs");
        let lines: Vec<Value> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).expect("an answer is JSON"))
            .collect();
        let numbers: Vec<_> = lines.iter().map(|l| l["line"].as_u64()).collect();
        assert_eq!(
            numbers,
            [Some(1), Some(2), Some(3), Some(4), Some(5), Some(6)]
        );
        assert_eq!(lines[0]["flag"], "a");
        for refused in &lines[1..3] {
            let error = refused["error"].as_str().unwrap_or_default();
            assert!(error.contains("longer than 1024 KiB"), "{error}");
        }
        assert_eq!(lines[5]["flag"], "b");
    }

    #[test]
    fn pieces_cut_at_line_ends_and_count_every_line() {
        let block: Vec<u8> = (0..50_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .chain(b"last, with no line end".iter().copied())
            .collect();
        let pieces = pieces(&block, 10);
        assert!(pieces.len() > 1);
        assert_eq!(
            pieces.iter().map(|p| p.bytes.len()).sum::<usize>(),
            block.len()
        );
        for pair in pieces.windows(2) {
            assert_eq!(pair[0].bytes.last(), Some(&b'\n'));
            assert_eq!(pair[0].first_line + pair[0].lines, pair[1].first_line);
        }
        let last = pieces.last().expect("a piece");
        assert_eq!(last.first_line + last.lines, 10 + 50_001);
    }
}
