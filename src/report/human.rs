//! The default output: each finding with the source line it points at, then a summary.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::path::Path;

use super::palette::{self, BOLD, GUTTER, OK};
use super::{Report, plural, tally};
use crate::escape::{push_shown, terminal};
use crate::finding::{Finding, Severity};

/// Longest stretch of a source line shown in a snippet.
const SNIPPET_WIDTH: usize = 120;

pub fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let mut sources = Sources::default();
    for (path, text) in &report.proposed {
        sources.files.insert(path.clone(), Some(source_lines(text)));
    }
    for finding in report.findings {
        write_finding(out, finding, &report.root, &mut sources)?;
    }
    let files = plural(report.files, "file");
    if report.counts.errors + report.counts.warnings + report.counts.infos == 0 {
        writeln!(out, "{OK}✓{OK:#} {files} checked, no problems")
    } else {
        let style = if report.counts.errors > 0 {
            palette::severity(Severity::Error)
        } else {
            palette::severity(Severity::Warning)
        };
        // Listings (`audit`) read history, not files: no file count to give.
        let scope = if report.files > 0 {
            format!(" in {files}")
        } else {
            String::new()
        };
        writeln!(
            out,
            "{style}✗{style:#} {BOLD}{}{BOLD:#}{scope}",
            tally(report.counts)
        )
    }
}

pub(super) fn write_finding(
    out: &mut impl Write,
    f: &Finding,
    root: &Path,
    sources: &mut Sources,
) -> io::Result<()> {
    let style = palette::severity(f.severity);
    writeln!(
        out,
        "{style}{}[{}]{style:#}{BOLD}: {}{BOLD:#}",
        f.severity.as_str(),
        f.code,
        terminal(&f.message)
    )?;
    let (Some(path), Some(line)) = (&f.path, f.line) else {
        if let Some(help) = f.help_text() {
            writeln!(
                out,
                "  {GUTTER}={GUTTER:#} {BOLD}help{BOLD:#}: {}",
                terminal(&help)
            )?;
        }
        return writeln!(out);
    };
    let column = f.column.unwrap_or(1);
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    writeln!(
        out,
        "{pad}{GUTTER}-->{GUTTER:#} {}:{line}:{column}",
        terminal(path)
    )?;
    if let Some(text) = sources.line(root, path, line) {
        let (shown, caret_at) = window(&text, column as usize);
        let width = token_width(&shown, caret_at);
        writeln!(out, "{pad} {GUTTER}|{GUTTER:#}")?;
        writeln!(out, "{GUTTER}{number} |{GUTTER:#} {shown}")?;
        let indent: String = shown
            .chars()
            .take(caret_at)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        writeln!(
            out,
            "{pad} {GUTTER}|{GUTTER:#} {indent}{style}{}{style:#}",
            "^".repeat(width)
        )?;
    }
    if let Some(help) = f.help_text() {
        writeln!(
            out,
            "{pad} {GUTTER}={GUTTER:#} {BOLD}help{BOLD:#}: {}",
            terminal(&help)
        )?;
    }
    writeln!(out)
}

/// The part of `line` to show around 1-based `column`, and the caret's 0-based offset in it.
/// Invisible characters are shown escaped (tabs stay, to line the caret up).
fn window(line: &str, column: usize) -> (String, usize) {
    let (shown, at) = visible(line, column);
    cut(&shown, at)
}

/// `line` with its invisible characters escaped, and 0-based character `column - 1` where it
/// lands in that text.
fn visible(line: &str, column: usize) -> (String, usize) {
    let target = column.saturating_sub(1);
    let mut shown = String::with_capacity(line.len());
    let mut at = None;
    for (i, c) in line.chars().enumerate() {
        if i == target {
            at = Some(shown.chars().count());
        }
        if c == '\t' {
            shown.push(c);
        } else {
            push_shown(&mut shown, c);
        }
    }
    let at = at.unwrap_or_else(|| shown.chars().count());
    (shown, at)
}

/// At most [`SNIPPET_WIDTH`] characters of `line` around 0-based `at`, and `at` in them.
fn cut(line: &str, at: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    let at = at.min(chars.len());
    if chars.len() <= SNIPPET_WIDTH {
        return (line.to_owned(), at);
    }
    let start = at.saturating_sub(SNIPPET_WIDTH / 4);
    let end = (start + SNIPPET_WIDTH).min(chars.len());
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    (shown, at - start + usize::from(start > 0))
}

/// How many characters the caret underlines: the token starting at `at` (a quoted string whole).
fn token_width(line: &str, at: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(at).collect();
    let width = match rest.first() {
        Some(&quote @ ('"' | '\'')) => rest[1..]
            .iter()
            .position(|&c| c == quote)
            .map_or(rest.len(), |end| end + 2),
        Some('[' | '{') => 1,
        _ => rest
            .iter()
            .position(|&c| c.is_whitespace() || matches!(c, ',' | ']' | '}' | '#'))
            .unwrap_or(rest.len()),
    };
    let trimmed = rest[..width.min(rest.len())]
        .iter()
        .rev()
        .skip_while(|&&c| c == ':')
        .count();
    trimmed.max(1)
}

/// Source lines, read once per file and only for files with findings.
#[derive(Default)]
pub(super) struct Sources {
    files: HashMap<String, Option<Vec<String>>>,
}

/// Lines past this one are not kept for snippets (a finding far into a huge file shows none).
const MAX_SNIPPET_LINE: usize = 100_000;

impl Sources {
    fn line(&mut self, root: &Path, path: &str, line: u32) -> Option<String> {
        let lines = self.files.entry(path.to_owned()).or_insert_with(|| {
            // Never show a file a link points to outside the repository.
            let real = std::fs::canonicalize(root.join(path)).ok()?;
            if !real.starts_with(std::fs::canonicalize(root).ok()?) {
                return None;
            }
            let file = std::fs::File::open(real).ok()?;
            let mut bytes = Vec::new();
            file.take(crate::repo::MAX_FILE_BYTES)
                .read_to_end(&mut bytes)
                .ok()?;
            Some(source_lines(&String::from_utf8_lossy(&bytes)))
        });
        lines.as_ref()?.get(line.checked_sub(1)? as usize).cloned()
    }
}

/// The lines of `text` as YAML counts them: a line ends at LF, CRLF or a lone CR.
fn source_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest = text;
    while !rest.is_empty() && lines.len() < MAX_SNIPPET_LINE {
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        lines.push(rest[..end].to_owned());
        let skip = if rest[end..].starts_with("\r\n") {
            2
        } else {
            usize::from(end < rest.len())
        };
        rest = &rest[end + skip..];
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_lf_crlf_and_lone_cr() {
        assert_eq!(source_lines("a\nb\r\nc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(source_lines("a\r\rb\n"), ["a", "", "b"]);
    }

    #[test]
    fn carets_cover_the_token() {
        assert_eq!(token_width("default: of", 9), 2);
        assert_eq!(token_width("name: \"a b\" # x", 6), 5);
        assert_eq!(token_width("rollout: {a: 60, b: 30}", 8), 1);
        assert_eq!(token_width("descripton: x", 0), 10);
        assert_eq!(token_width("", 0), 1);
    }

    #[test]
    fn long_lines_are_windowed_around_the_column() {
        let line = "x".repeat(10_000);
        let (shown, at) = window(&line, 5_000);
        assert!(shown.chars().count() <= SNIPPET_WIDTH + 2);
        assert_eq!(shown.chars().nth(at), Some('x'));
    }

    #[test]
    fn snippets_show_control_characters_escaped_and_keep_the_caret_on_its_token() {
        let (shown, at) = window("key\u{1b}[2J: \tvalue", 11);
        assert_eq!(shown, "key\\u{1b}[2J: \tvalue");
        assert_eq!(shown.chars().skip(at).collect::<String>(), "value");
    }
}
