//! Version 1 of the JSON report, frozen: these structs are what `--format json` prints, field by
//! field and in this order (`schemas/report.schema.json` describes them). Change them only by
//! adding optional fields; anything else is a version 2 beside this one.
//!
//! They borrow from the engines' values and copy nothing but what they print. Keys are in
//! alphabetical order where version 1 first printed them so (log and audit rows, a finding's
//! code-specific fields).

use serde::Serialize;
use serde_json::Value as Json;

use crate::history::{ChangeKind, Entry, FlagChange};
use crate::report::Each;

/// The document.
#[derive(Serialize)]
pub struct Report<'a> {
    pub version: u32,
    pub findings: Each<'a, Finding<'a>>,
    /// `status`: the flag × environment matrix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<Each<'a, StatusRow<'a>>>,
    /// `log`: one row per change of the flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<Each<'a, LogRow<'a>>>,
    /// `audit`: one row per commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<Each<'a, AuditRow<'a>>>,
    /// `stale`: the stale flags (with `--code`, every flag, with its references).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<Each<'a, StaleRow<'a>>>,
    /// `compat`: each flag against the app versions asked about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compat: Option<Each<'a, CompatRow<'a>>>,
    /// `report`: the files written and the dashboard's tally.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<SiteRow>,
    pub summary: Summary,
}

/// One finding.
#[derive(Serialize)]
pub struct Finding<'a> {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: &'a str,
    pub help: Option<std::borrow::Cow<'a, str>>,
    pub path: Option<&'a str>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub flag: Option<&'a str>,
    pub env: Option<&'a str>,
    /// drift: days a promotion has been pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_days: Option<u64>,
    /// check, audit: the commit the finding is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<&'a Json>,
    /// drift: the fields that differ, `[{downstream, field, upstream}]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<&'a crate::finding::FieldValues>,
    /// drift: the upstream environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<&'a str>,
}

impl<'a> From<&'a crate::finding::Finding> for Finding<'a> {
    fn from(f: &'a crate::finding::Finding) -> Self {
        Finding {
            code: f.code.as_str(),
            severity: f.severity.as_str(),
            message: &f.message,
            help: f.help_text(),
            path: f.path.as_deref(),
            line: f.line,
            column: f.column,
            flag: f.flag.as_deref(),
            env: f.env.as_deref(),
            age_days: f.age_days.map(u64::from),
            commit: f.extra.as_ref().and_then(|extra| extra.get("commit")),
            fields: f.fields.as_ref(),
            upstream: f.upstream.as_deref(),
        }
    }
}

/// The counts.
#[derive(Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub files: usize,
    /// `diff`, `status`: flags identical in every compared pair (declared differences aside).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_sync: Option<usize>,
    /// `diff`, `status`: flags waiting for a promotion within their lag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<usize>,
}

/// One flag across the environments (`status`).
#[derive(Serialize)]
pub struct StatusRow<'a> {
    pub name: &'a str,
    pub environments: Vec<Cell<'a>>,
}

/// A flag in one environment (`status`).
#[derive(Serialize)]
pub struct Cell<'a> {
    pub env: &'a str,
    pub present: bool,
    pub version: Option<&'a str>,
    pub enabled: Option<bool>,
    pub serves: Option<&'a str>,
    pub rules: Option<u32>,
    pub path: Option<&'a str>,
    pub drift: Option<&'static str>,
    pub drift_severity: Option<&'static str>,
}

impl<'a> From<&'a crate::drift::StatusRow> for StatusRow<'a> {
    fn from(row: &'a crate::drift::StatusRow) -> Self {
        StatusRow {
            name: &row.name,
            environments: row
                .environments
                .iter()
                .map(|c| Cell {
                    env: &c.env,
                    present: c.present,
                    version: c.version.as_deref(),
                    enabled: c.enabled,
                    serves: c.serves.as_deref(),
                    rules: c.rules,
                    path: c.path.as_deref(),
                    drift: c.drift.map(<&'static str>::from),
                    drift_severity: c.drift_severity.map(|s| s.as_str()),
                })
                .collect(),
        }
    }
}

/// One change of a flag (`log`).
#[derive(Serialize)]
pub struct LogRow<'a> {
    pub author: &'a str,
    pub change: Change<'a>,
    pub commit: &'a str,
    pub email: &'a str,
    pub reason: Option<&'a str>,
    pub subject: &'a str,
    /// The outcome `flagctl test --record` noted on the commit, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tests: Option<&'a str>,
    pub time: String,
}

impl<'a> LogRow<'a> {
    pub fn new(entry: &'a Entry, change: &'a FlagChange, tests: Option<&'a str>) -> Self {
        LogRow {
            author: &entry.commit.author,
            change: Change::from(change),
            commit: &entry.commit.id,
            email: &entry.commit.email,
            reason: entry.trailer("Flagctl-Reason"),
            subject: &entry.commit.subject,
            tests,
            time: entry.commit.time.to_string(),
        }
    }
}

/// One commit (`audit`).
#[derive(Serialize)]
pub struct AuditRow<'a> {
    pub approved_by: Vec<String>,
    pub author: &'a str,
    pub break_glass: bool,
    pub changes: Vec<Change<'a>>,
    pub commit: &'a str,
    pub email: &'a str,
    pub reason: Option<&'a str>,
    pub subject: &'a str,
    pub time: String,
}

impl<'a> From<&'a Entry> for AuditRow<'a> {
    fn from(entry: &'a Entry) -> Self {
        AuditRow {
            approved_by: entry.approvals(),
            author: &entry.commit.author,
            break_glass: crate::audit::is_break_glass(entry),
            changes: entry.changes.iter().map(Change::from).collect(),
            commit: &entry.commit.id,
            email: &entry.commit.email,
            reason: entry.trailer("Flagctl-Reason"),
            subject: &entry.commit.subject,
            time: entry.commit.time.to_string(),
        }
    }
}

/// How a commit changed one flag file.
#[derive(Serialize)]
pub struct Change<'a> {
    pub enabled: Transition<bool>,
    pub env: &'a str,
    pub fields: &'a [String],
    pub flag: &'a str,
    pub kind: &'static str,
    pub lifecycle: Transition<&'a str>,
    pub old_path: Option<&'a str>,
    pub path: &'a str,
    pub unparsable: bool,
    pub version: Transition<&'a str>,
}

/// A value before and after a change.
#[derive(Serialize)]
pub struct Transition<T> {
    pub from: Option<T>,
    pub to: Option<T>,
}

impl<'a> From<&'a FlagChange> for Change<'a> {
    fn from(c: &'a FlagChange) -> Self {
        Change {
            enabled: Transition {
                from: c.enabled.from,
                to: c.enabled.to,
            },
            env: &c.env,
            fields: &c.fields,
            flag: &c.flag,
            kind: match c.kind {
                ChangeKind::Created => "created",
                ChangeKind::Updated => "updated",
                ChangeKind::Deleted => "deleted",
                ChangeKind::Renamed => "renamed",
            },
            lifecycle: Transition {
                from: c.lifecycle.from.as_deref(),
                to: c.lifecycle.to.as_deref(),
            },
            old_path: c.old_path.as_deref(),
            path: &c.path,
            unparsable: c.unparsable,
            version: Transition {
                from: c.version.from.as_deref(),
                to: c.version.to.as_deref(),
            },
        }
    }
}

/// One stale flag (`stale`).
#[derive(Serialize)]
pub struct StaleRow<'a> {
    /// Days since the flag was born.
    pub age_days: Option<i64>,
    pub born: Option<&'a str>,
    pub changed: Option<&'a str>,
    pub codes: &'a [&'static str],
    /// With `--code`: where the code first mentions the flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_reference: Option<Location<'a>>,
    pub flag: &'a str,
    pub kind: &'static str,
    pub owner: Option<&'a str>,
    /// With `--code`: how often the code mentions the flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub references: Option<usize>,
}

/// A place in a file.
#[derive(Serialize)]
pub struct Location<'a> {
    pub column: u32,
    pub line: u32,
    pub path: &'a str,
}

impl<'a> From<&'a crate::stale::StaleFlag> for StaleRow<'a> {
    fn from(f: &'a crate::stale::StaleFlag) -> Self {
        StaleRow {
            age_days: f.age_days,
            born: f.born.as_deref(),
            changed: f.changed.as_deref(),
            codes: &f.codes,
            first_reference: f.first_reference.as_ref().map(|l| Location {
                column: l.column,
                line: l.line,
                path: &l.path,
            }),
            flag: &f.flag,
            kind: f.kind,
            owner: f.owner.as_deref(),
            references: f.references,
        }
    }
}

/// One flag against the app versions asked about (`compat`).
#[derive(Serialize)]
pub struct CompatRow<'a> {
    pub enabled: bool,
    pub flag: &'a str,
    pub requires: Option<&'a str>,
    /// Per app version: whether it can use the flag (`null`: `requires` is not a valid range).
    pub versions: std::collections::BTreeMap<String, Option<bool>>,
}

impl<'a> CompatRow<'a> {
    pub fn new(flag: &'a crate::eval::compat::Compatibility, versions: &[semver::Version]) -> Self {
        CompatRow {
            enabled: flag.enabled,
            flag: &flag.flag,
            requires: flag.requires.as_deref(),
            versions: versions
                .iter()
                .map(ToString::to_string)
                .zip(flag.usable.iter().copied())
                .collect(),
        }
    }
}

/// What `report` wrote, and the dashboard's tally.
#[derive(Serialize)]
pub struct SiteRow {
    pub average_health: u32,
    /// Flags with drift (declared differences aside).
    pub drifting: usize,
    pub environments: usize,
    pub files: Vec<WrittenFile>,
    pub flags: usize,
    pub stale: usize,
}

/// A file `report` wrote.
#[derive(Serialize)]
pub struct WrittenFile {
    pub bytes: u64,
    pub path: String,
}

impl SiteRow {
    pub fn new(
        files: &[crate::report::html::Written],
        summary: &crate::dashboard::Summary,
    ) -> Self {
        SiteRow {
            average_health: summary.average_health,
            drifting: summary.drifting,
            environments: summary.environments,
            files: files
                .iter()
                .map(|w| WrittenFile {
                    bytes: w.bytes,
                    path: w.path.display().to_string(),
                })
                .collect(),
            flags: summary.flags,
            stale: summary.stale,
        }
    }
}
