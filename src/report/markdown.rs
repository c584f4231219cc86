//! `--format markdown`: a table a reviewer can read in a pull-request comment.

use std::io::{self, Write};

use super::{Report, plural, tally};
use crate::escape::terminal;
use crate::finding::{Counts, Severity};

/// The heading's mark: errors, warnings, or clean.
pub fn verdict(counts: Counts) -> &'static str {
    if counts.errors > 0 {
        "❌"
    } else if counts.warnings > 0 {
        "⚠️"
    } else {
        "✅"
    }
}

pub fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let mark = verdict(report.counts);
    writeln!(
        out,
        "### {mark} flagctl {}: {} in {}\n",
        report.command,
        tally(report.counts),
        plural(report.files, "file")
    )?;
    if report.findings.is_empty() {
        return Ok(());
    }
    writeln!(out, "| | Code | Where | Message |")?;
    writeln!(out, "|---|---|---|---|")?;
    for f in report.findings {
        let icon = match f.severity {
            Severity::Error => "❌",
            Severity::Warning => "⚠️",
            Severity::Info => "ℹ️",
        };
        let place = match (&f.path, f.line, f.column) {
            (Some(path), Some(line), Some(col)) => code(&format!("{path}:{line}:{col}")),
            (Some(path), _, _) => code(path),
            _ => String::new(),
        };
        let mut message = cell(&f.message);
        if let Some(help) = f.help_text() {
            message.push_str(&format!("<br>*{}*", cell(&help)));
        }
        writeln!(out, "| {icon} | `{}` | {place} | {message} |", f.code)?;
    }
    Ok(())
}

/// Text shown as itself inside a table cell: on one line, invisible characters escaped, no
/// column break, and no Markdown or HTML of the user's (a link, an image that calls home).
pub(super) fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in terminal(text).chars() {
        // Enough to stop links, images, HTML and code spans; emphasis is left alone, so
        // `feature_a` stays readable in the raw text.
        if matches!(c, '\\' | '`' | '[' | ']' | '<' | '>' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `text` as a code span inside a table cell: fenced by more backticks than it holds, so a
/// backtick of its own cannot end the span early.
pub(super) fn code(text: &str) -> String {
    let text = terminal(text).replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{text}{fence}")
    } else {
        format!("{fence} {text} {fence}")
    }
}

#[cfg(test)]
mod tests {
    use super::{cell, code};

    #[test]
    fn cells_show_user_markdown_as_text() {
        assert_eq!(
            cell("![x](http://e/t.png) <img> a|b\r\n::error::x"),
            r"!\[x\](http://e/t.png) \<img\> a\|b\\r\\n::error::x"
        );
        assert_eq!(code("flags/dev/a.yaml"), "`flags/dev/a.yaml`");
        assert_eq!(code("a`b|c"), "`` a`b\\|c ``");
    }
}
