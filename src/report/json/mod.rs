//! `--format json`: one versioned document, written from the frozen structs of [`v1`].

pub mod v1;

use std::io::{self, Write};

use super::{Each, Listing, Report, View};

pub fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let mut doc = v1::Report {
        version: 1,
        findings: Each::new(report.findings.iter().map(v1::Finding::from)),
        flags: None,
        log: None,
        audit: None,
        stale: None,
        compat: None,
        report: None,
        summary: v1::Summary {
            errors: report.counts.errors,
            warnings: report.counts.warnings,
            infos: report.counts.infos,
            files: report.files,
            in_sync: None,
            pending: None,
        },
    };
    match report.view {
        View::Findings => {}
        View::Table(table) => match &table.listing {
            Listing::Log(changes) => {
                doc.log = Some(Each::new(changes.iter().map(|(entry, change, tests)| {
                    v1::LogRow::new(entry, change, tests.as_deref())
                })));
            }
            Listing::Audit(entries) => {
                doc.audit = Some(Each::new(entries.iter().map(|e| v1::AuditRow::from(*e))));
            }
            Listing::Stale(flags) => {
                doc.stale = Some(Each::new(flags.iter().map(v1::StaleRow::from)));
            }
            Listing::Compat { flags, versions } => {
                doc.compat = Some(Each::new(
                    flags.iter().map(|f| v1::CompatRow::new(f, versions)),
                ));
            }
            Listing::Site { files, summary } => {
                doc.report = Some(v1::SiteRow::new(files, summary));
            }
        },
        View::Diff { in_sync, pending } => {
            doc.summary.in_sync = Some(in_sync);
            doc.summary.pending = Some(pending);
        }
        View::Status {
            rows,
            in_sync,
            pending,
        } => {
            doc.flags = Some(Each::new(rows.iter().map(v1::StatusRow::from)));
            doc.summary.in_sync = Some(in_sync);
            doc.summary.pending = Some(pending);
        }
    }
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
