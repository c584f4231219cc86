//! Reporters: they print what engines computed, in the format asked for, and compute nothing.

mod diff;
mod github;
mod gitlab;
pub mod html;
mod human;
pub mod json;
pub mod junit;
mod locate;
mod markdown;
pub mod palette;
mod plan;
mod sarif;
mod status;
mod stdout;
mod table;

use std::io::{self, Write};
use std::path::PathBuf;

use crate::drift::StatusRow;
use crate::finding::{Counts, Finding};
use crate::history::{Entry, FlagChange};

pub use palette::ColorChoice;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Colored findings with source snippets and a summary line.
    Human,
    /// One JSON document: `{"version": 1, "findings": [...], "summary": {...}}`.
    Json,
    /// GitHub Actions workflow annotations.
    Github,
    /// A Markdown table for a pull-request comment.
    Markdown,
    /// `export`: flagd's flag file (other commands print as `human`).
    Flagd,
    /// `test`: JUnit XML for CI (other commands print as `human`).
    Junit,
    /// A SARIF 2.1.0 log for code scanning (GitHub's code scanning tab, SARIF viewers).
    Sarif,
    /// A GitLab code quality report (`artifacts:reports:codequality`).
    Gitlab,
}

/// What a reading command found, ready to print.
pub struct Report<'a> {
    /// The command, for titles (`validate`).
    pub command: &'a str,
    pub findings: &'a [Finding],
    pub counts: Counts,
    /// Files read.
    pub files: usize,
    /// The repository root, to show source lines under findings.
    pub root: PathBuf,
    pub view: View<'a>,
    /// Contents to show snippets from instead of the files on disk (a write not yet made).
    pub proposed: Vec<(String, String)>,
}

/// What, beside findings, the command reports.
pub enum View<'a> {
    /// Findings alone (`validate`).
    Findings,
    /// Drift between environments (`diff`).
    Diff { in_sync: usize, pending: usize },
    /// The flag × environment matrix (`status`), beside the drift findings.
    Status {
        rows: &'a [StatusRow],
        in_sync: usize,
        pending: usize,
    },
    /// Rows of a listing (`log`, `audit`): a table for people, `key: [rows]` in the JSON report.
    Table(&'a Table<'a>),
}

/// A listing: what people read, and what the JSON report holds under `key`.
pub struct Table<'a> {
    pub key: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub listing: Listing<'a>,
}

/// What a listing lists, for the JSON report.
pub enum Listing<'a> {
    /// `log`: each change of the flag, with its commit.
    Log(Vec<(&'a Entry, &'a FlagChange, Option<String>)>),
    /// `audit`: each commit.
    Audit(Vec<&'a Entry>),
    /// `stale`: the stale flags.
    Stale(&'a [crate::stale::StaleFlag]),
    /// `compat`: each flag against the app versions asked about.
    Compat {
        flags: &'a [crate::eval::compat::Compatibility],
        versions: &'a [semver::Version],
    },
    /// `report`: the files written and the dashboard's tally.
    Site {
        files: &'a [html::Written],
        summary: &'a crate::dashboard::Summary,
    },
}

impl<'a> Report<'a> {
    pub fn new(command: &'a str, findings: &'a [Finding], files: usize, root: PathBuf) -> Self {
        Report {
            command,
            findings,
            counts: Counts::of(findings),
            files,
            root,
            view: View::Findings,
            proposed: Vec::new(),
        }
    }

    /// Shows snippets of `files` as they would be after a refused write.
    pub fn with_proposed(mut self, files: Vec<(String, String)>) -> Self {
        self.proposed = files;
        self
    }

    pub fn with_view(mut self, view: View<'a>) -> Self {
        self.view = view;
        self
    }
}

/// A sequence the JSON formats write one item at a time, each made as it is written: a
/// repository's worth of findings is never held a second time in the shape it is printed in
/// (SARIF's results took ~5 KB a finding when built first). It is written once.
pub struct Each<'a, T>(std::cell::Cell<Option<Box<dyn Iterator<Item = T> + 'a>>>);

impl<'a, T> Each<'a, T> {
    pub fn new(items: impl Iterator<Item = T> + 'a) -> Self {
        Each(std::cell::Cell::new(Some(Box::new(items))))
    }
}

impl<T: serde::Serialize> serde::Serialize for Each<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items = self
            .0
            .take()
            .ok_or_else(|| serde::ser::Error::custom("a sequence is written once"))?;
        serializer.collect_seq(items)
    }
}

/// Prints `report` to stdout in `format`.
pub fn print(report: &Report, format: Format, color: ColorChoice) -> io::Result<()> {
    let mut out = stdout::Stdout::new(color);
    match format {
        Format::Human | Format::Flagd | Format::Junit => match report.view {
            View::Findings => human::write(&mut out, report),
            View::Table(table) => {
                table::write(&mut out, table)?;
                if report.findings.is_empty() {
                    Ok(())
                } else {
                    human::write(&mut out, report)
                }
            }
            View::Diff { .. } => diff::write(&mut out, report),
            View::Status { rows, .. } => status::write(&mut out, report, rows),
        },
        Format::Json => json::write(&mut out, report),
        Format::Github => github::write(&mut out, report),
        Format::Sarif => sarif::write(&mut out, report),
        Format::Gitlab => gitlab::write(&mut out, report),
        Format::Markdown => match report.view {
            View::Findings => markdown::write(&mut out, report),
            View::Table(table) => {
                table::write_markdown(&mut out, table)?;
                markdown::write(&mut out, report)
            }
            View::Diff { .. } | View::Status { .. } => diff::write_markdown(&mut out, report),
        },
    }?;
    out.flush()
}

/// Prints a change (`subject` and each file's diff) to stdout, before it is applied.
pub fn plan(
    subject: &str,
    files: &[crate::change::FileWrite],
    color: ColorChoice,
) -> io::Result<()> {
    let mut out = stdout::Stdout::new(color);
    plan::write(&mut out, subject, files)?;
    out.flush()
}

/// `1 error`, `2 warnings`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `3 errors, 1 warning` (nothing for zero counts), or `no problems`.
fn tally(counts: Counts) -> String {
    let parts: Vec<String> = [
        (counts.errors, "error"),
        (counts.warnings, "warning"),
        (counts.infos, "note"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| plural(n, word))
    .collect();
    if parts.is_empty() {
        "no problems".to_owned()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::Each;

    /// Written item by item, a sequence prints as the vector of its items does, empty or not; a
    /// second write is an error, not an empty list.
    #[test]
    fn a_sequence_written_item_by_item_prints_as_a_vector() {
        for items in [vec![], vec![1, 2, 3]] {
            let each = Each::new(items.clone().into_iter());
            let pretty = serde_json::to_string_pretty(&each).expect("written");
            assert_eq!(
                pretty,
                serde_json::to_string_pretty(&items).expect("written")
            );
            assert!(serde_json::to_string(&each).is_err());
        }
    }
}
