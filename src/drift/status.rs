//! The flag × environment matrix of `flagctl status`.

use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::inventory::FlagFile;

/// One flag across the environments.
#[derive(Debug, Clone, Serialize)]
pub struct StatusRow {
    /// Shared with the flag's findings.
    pub name: Arc<str>,
    /// One cell per environment, in chain order.
    pub environments: Vec<Cell>,
}

/// A flag in one environment. A row per flag of the repository waits for the report: the
/// environment's name and the file's path are shared, not copied, and the texts are held at
/// their length.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub env: Arc<str>,
    /// Whether the environment has the flag (the other fields are null when not).
    pub present: bool,
    pub version: Option<Box<str>>,
    pub enabled: Option<bool>,
    /// The fallthrough: a variant, or rollout weights (`10/90`).
    pub serves: Option<Box<str>>,
    pub rules: Option<u32>,
    pub path: Option<Arc<str>>,
    /// The code of the most severe drift finding of this environment against its upstream.
    #[serde(serialize_with = "code_name")]
    pub drift: Option<super::Code>,
    pub drift_severity: Option<Severity>,
}

/// A drift code as it is printed (`drift/state`).
fn code_name<S: serde::Serializer>(code: &Option<super::Code>, s: S) -> Result<S::Ok, S::Error> {
    code.map(<&'static str>::from).serialize(s)
}

impl StatusRow {
    /// Whether no cell has drift, declared differences aside.
    pub fn in_sync(&self) -> bool {
        !self.drifts()
    }

    /// Whether a promotion waits (a pending mark) and nothing is worse.
    pub fn pending(&self) -> bool {
        let marked = |s: Severity| {
            self.environments
                .iter()
                .any(|c| c.drift_severity == Some(s) && c.drift != Some(super::Code::Declared))
        };
        marked(Severity::Info) && !marked(Severity::Warning) && !marked(Severity::Error)
    }

    /// Whether any cell has drift worth showing (anything but a declared difference).
    pub fn drifts(&self) -> bool {
        self.environments
            .iter()
            .any(|c| c.drift.is_some_and(|d| d != super::Code::Declared))
    }
}

/// Marks each cell of `rows` with the most severe drift finding of its flag and environment.
pub(super) fn mark(rows: &mut [StatusRow], findings: &[Finding]) {
    let mut marks: foldhash::HashMap<(&str, &str), (Severity, super::Code)> =
        foldhash::HashMap::with_capacity_and_hasher(findings.len(), Default::default());
    for f in findings {
        let (Some(flag), Some(env)) = (f.flag.as_deref(), f.env.as_deref()) else {
            continue;
        };
        let Some(code) = f.code.of::<super::Code>() else {
            continue;
        };
        let mark = marks.entry((flag, env)).or_insert((f.severity, code));
        if f.severity > mark.0 {
            *mark = (f.severity, code);
        }
    }
    rows.par_iter_mut().for_each(|row| {
        for cell in &mut row.environments {
            if let Some(&(severity, code)) = marks.get(&(&*row.name, &*cell.env)) {
                cell.drift = Some(code);
                cell.drift_severity = Some(severity);
            }
        }
    });
}

/// The row of `name`, whose file in each of `envs` is the one at its place in `files`, not yet
/// marked with drift (`mark`).
pub(super) fn row(name: &Arc<str>, envs: &[Arc<str>], files: &[Option<&FlagFile>]) -> StatusRow {
    let environments = envs
        .iter()
        .zip(files)
        .map(|(env, file)| {
            let mut cell = Cell {
                env: Arc::clone(env),
                present: false,
                version: None,
                enabled: None,
                serves: None,
                rules: None,
                path: None,
                drift: None,
                drift_severity: None,
            };
            if let Some(flag) = file {
                cell.present = true;
                cell.version = Some(flag.digest.version.to_string().into());
                cell.enabled = flag.digest.enabled;
                cell.serves = Some(flag.digest.serves.as_str().into());
                cell.rules = Some(u32::try_from(flag.digest.rules).unwrap_or(u32::MAX));
                cell.path = Some(Arc::clone(&flag.path));
            }
            cell
        })
        .collect();
    StatusRow {
        name: Arc::clone(name),
        environments,
    }
}

/// What `status` shows: flags by name, environments, and whether only drift.
pub struct Selection<'a> {
    /// Texts a shown flag's name contains (any of them; none: every flag).
    pub flags: &'a [String],
    /// The environments shown, in chain order.
    pub envs: &'a [&'a str],
    pub drift_only: bool,
}

impl Selection<'_> {
    fn named(&self, name: &str) -> bool {
        self.flags.is_empty() || self.flags.iter().any(|f| name.contains(f.as_str()))
    }

    /// Keeps the rows and cells shown, and the findings of what is shown: what is shown is what
    /// is reported, counted and judged. A flag none of whose files could be read has no row,
    /// but its findings are still shown.
    pub fn apply(&self, rows: &mut Vec<StatusRow>, findings: &mut Vec<Finding>) {
        if !self.flags.is_empty() || self.drift_only {
            self.keep_flags(rows, findings);
        }
        for row in rows.iter_mut() {
            row.environments.retain(|c| self.envs.contains(&&*c.env));
        }
        findings.retain(|f| f.env.as_deref().is_none_or(|env| self.envs.contains(&env)));
    }

    /// Keeps the rows of the flags shown, and their findings.
    fn keep_flags(&self, rows: &mut Vec<StatusRow>, findings: &mut Vec<Finding>) {
        let with_row: foldhash::HashSet<&str> = rows.iter().map(|r| &*r.name).collect();
        let without_row: foldhash::HashSet<String> = findings
            .iter()
            .filter_map(|f| f.flag.as_deref())
            .filter(|name| !with_row.contains(name))
            .map(str::to_owned)
            .collect();
        rows.retain(|row| self.named(&row.name) && (!self.drift_only || row.drifts()));
        let shown_flags: foldhash::HashSet<&str> = rows.iter().map(|r| &*r.name).collect();
        findings.retain(|f| {
            f.flag.as_deref().is_none_or(|name| {
                shown_flags.contains(name) || (without_row.contains(name) && self.named(name))
            })
        });
    }
}
