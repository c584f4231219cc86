//! `--format github`: workflow commands that GitHub Actions turns into annotations on the diff.

use std::io::{self, Write};

use super::{Report, plural, tally};
use crate::escape::terminal;
use crate::finding::Severity;

pub fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    for f in report.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut properties = Vec::new();
        if let Some(path) = &f.path {
            properties.push(format!("file={}", property(&terminal(path))));
        }
        if let Some(line) = f.line {
            properties.push(format!("line={line}"));
        }
        if let Some(col) = f.column {
            properties.push(format!("col={col}"));
        }
        properties.push(format!(
            "title={}",
            property(&format!("flagctl {}", f.code))
        ));
        // User text is shown escaped; the one line break is flagctl's own, before the help.
        let mut message = terminal(&f.message).into_owned();
        if let Some(help) = f.help_text() {
            message.push_str("\nhelp: ");
            message.push_str(&terminal(&help));
        }
        writeln!(
            out,
            "::{level} {}::{}",
            properties.join(","),
            data(&message)
        )?;
    }
    writeln!(
        out,
        "flagctl {}: {} in {}",
        report.command,
        tally(report.counts),
        plural(report.files, "file")
    )
}

/// Escapes a workflow command's message.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_follow_the_workflow_command_rules() {
        assert_eq!(super::data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(super::property("a:b,c"), "a%3Ab%2Cc");
    }
}
