//! A change before it is applied: each file's unified diff.

use std::io::{self, Write};

use similar::{ChangeTag, TextDiff};

use super::palette::{ADDED, BOLD, DIM, GUTTER, REMOVED};
use crate::change::FileWrite;
use crate::escape::terminal;

pub fn write(out: &mut impl Write, subject: &str, files: &[FileWrite]) -> io::Result<()> {
    writeln!(out, "{BOLD}{}{BOLD:#}\n", terminal(subject))?;
    for file in files {
        let before = String::from_utf8_lossy(file.before.as_deref().unwrap_or_default());
        let after = String::from_utf8_lossy(file.after.as_deref().unwrap_or_default());
        let what = match (&file.before, &file.after) {
            (None, Some(_)) => " (new file)",
            (Some(_), None) => " (deleted)",
            _ => "",
        };
        writeln!(
            out,
            "{GUTTER}---{GUTTER:#} {BOLD}{}{BOLD:#}{what}",
            terminal(&file.path)
        )?;
        let diff = TextDiff::from_lines(before.as_ref(), after.as_ref());
        for group in diff.grouped_ops(3) {
            for op in group {
                for change in diff.iter_changes(&op) {
                    let line = terminal(change.value().trim_end_matches(['\n', '\r']));
                    match change.tag() {
                        ChangeTag::Delete => writeln!(out, "{REMOVED}-{line}{REMOVED:#}")?,
                        ChangeTag::Insert => writeln!(out, "{ADDED}+{line}{ADDED:#}")?,
                        ChangeTag::Equal => writeln!(out, "{DIM} {line}{DIM:#}")?,
                    }
                }
            }
            writeln!(out, "{DIM}…{DIM:#}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}
