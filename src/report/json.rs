//! `--format json`: one versioned document. Fields are only ever added, never changed.

use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use crate::finding::Finding;

#[derive(Serialize)]
struct Envelope<'a> {
    version: u32,
    findings: &'a [Finding],
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    infos: usize,
    files: usize,
}

pub fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let envelope = Envelope {
        version: 1,
        findings: report.findings,
        summary: Summary {
            errors: report.counts.errors,
            warnings: report.counts.warnings,
            infos: report.counts.infos,
            files: report.files,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &envelope)?;
    writeln!(out)
}
