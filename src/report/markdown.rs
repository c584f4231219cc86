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
            (Some(path), Some(line), Some(col)) => format!("`{}:{line}:{col}`", cell(path)),
            (Some(path), _, _) => format!("`{}`", cell(path)),
            _ => String::new(),
        };
        let mut message = cell(&f.message);
        if let Some(help) = &f.help {
            message.push_str(&format!("<br>*{}*", cell(help)));
        }
        writeln!(out, "| {icon} | `{}` | {place} | {message} |", f.code)?;
    }
    Ok(())
}

/// Text safe inside a table cell: on one line, invisible characters escaped, no column break.
pub(super) fn cell(text: &str) -> String {
    terminal(text).replace('|', "\\|")
}
