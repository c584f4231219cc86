//! `--format gitlab`: a GitLab code quality report (the Code Climate issue format), which GitLab
//! shows in the merge request widget and on the diff when a job saves it as
//! `artifacts:reports:codequality`.

use std::collections::HashMap;
use std::io::{self, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Each, Report, locate};
use crate::finding::{Finding, Severity};

#[derive(Serialize)]
struct Issue {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'static str,
    description: String,
    categories: [&'static str; 1],
    severity: &'static str,
    /// Stable across runs and unmoved by edits elsewhere in the file, so GitLab can tell a new
    /// finding from one the target branch already had.
    fingerprint: String,
    location: IssueLocation,
}

#[derive(Serialize)]
struct IssueLocation {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

pub fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let prefix = locate::work_tree_prefix(&report.root);
    let fallback = locate::config_path(report).unwrap_or_else(|| ".".to_owned());
    let mut seen: HashMap<[u8; 32], usize> = HashMap::new();
    let issues = report.findings.iter().map(move |f| {
        let path = format!("{prefix}{}", f.path.as_deref().unwrap_or(&fallback));
        let base = fingerprint(f, &path);
        // The same finding twice in one file (two equal mistakes) still needs two prints.
        let n = seen.entry(base).or_default();
        *n += 1;
        let fingerprint = if *n == 1 {
            base
        } else {
            fingerprint_of(&[&hex::encode(base), &n.to_string()])
        };
        let mut description = f.message.clone();
        if let Some(help) = f.help_text() {
            description.push_str(" (help: ");
            description.push_str(&help);
            description.push(')');
        }
        Issue {
            kind: "issue",
            check_name: f.code.as_str(),
            description,
            categories: ["Bug Risk"],
            severity: severity(f.severity),
            fingerprint: hex::encode(fingerprint),
            location: IssueLocation {
                path,
                lines: Lines {
                    begin: f.line.unwrap_or(1),
                },
            },
        }
    });
    let issues = Each::new(issues);
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

/// What identifies a finding: its code, file, flag, environment and message (not its line).
fn fingerprint(f: &Finding, path: &str) -> [u8; 32] {
    fingerprint_of(&[
        f.code.as_str(),
        path,
        f.flag.as_deref().unwrap_or(""),
        f.env.as_deref().unwrap_or(""),
        &f.message,
    ])
}

fn fingerprint_of(parts: &[&str]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().into()
}
