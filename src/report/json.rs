//! `--format json`: one versioned document. Fields are only ever added, never changed.

use std::io::{self, Write};

use serde::Serialize;

use super::{Report, View};
use crate::drift::StatusRow;
use crate::finding::Finding;

#[derive(Serialize)]
struct Envelope<'a> {
    version: u32,
    findings: &'a [Finding],
    /// `status`: the flag × environment matrix.
    #[serde(skip_serializing_if = "Option::is_none")]
    flags: Option<&'a [StatusRow]>,
    /// `log`, `audit`: their rows, under the listing's own key.
    #[serde(flatten)]
    rows: serde_json::Map<String, serde_json::Value>,
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    infos: usize,
    files: usize,
    /// `diff`, `status`: flags identical in every compared pair (declared differences aside).
    #[serde(skip_serializing_if = "Option::is_none")]
    in_sync: Option<usize>,
    /// `diff`, `status`: flags waiting for a promotion within their lag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pending: Option<usize>,
}

pub fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let mut rows = serde_json::Map::new();
    let (flags, in_sync, pending) = match report.view {
        View::Findings => (None, None, None),
        View::Table(table) => {
            rows.insert(table.key.to_owned(), table.json.clone());
            (None, None, None)
        }
        View::Diff { in_sync, pending } => (None, Some(in_sync), Some(pending)),
        View::Status {
            rows,
            in_sync,
            pending,
        } => (Some(rows), Some(in_sync), Some(pending)),
    };
    let envelope = Envelope {
        version: 1,
        findings: report.findings,
        flags,
        rows,
        summary: Summary {
            errors: report.counts.errors,
            warnings: report.counts.warnings,
            infos: report.counts.infos,
            files: report.files,
            in_sync,
            pending,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &envelope)?;
    writeln!(out)
}
