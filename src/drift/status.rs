//! The flag × environment matrix of `flagctl status`.

use rayon::prelude::*;

use serde::Serialize;

use super::Drift;
use crate::finding::{Code, Severity};
use crate::inventory::Inventory;

/// One flag across the environments.
#[derive(Debug, Clone, Serialize)]
pub struct StatusRow {
    pub name: String,
    /// One cell per environment, in chain order.
    pub environments: Vec<Cell>,
}

/// A flag in one environment.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub env: String,
    /// Whether the environment has the flag (the other fields are null when not).
    pub present: bool,
    pub version: Option<String>,
    pub enabled: Option<bool>,
    /// The fallthrough: a variant, or rollout weights (`10/90`).
    pub serves: Option<String>,
    pub rules: Option<usize>,
    pub path: Option<String>,
    /// The most severe drift finding of this environment against its upstream.
    pub drift: Option<Code>,
    pub drift_severity: Option<Severity>,
}

impl StatusRow {
    /// Whether no cell has drift, declared differences aside.
    pub fn in_sync(&self) -> bool {
        !self.drifts()
    }

    /// Whether a promotion waits (a pending mark) and nothing is worse.
    pub fn pending(&self) -> bool {
        let marked = |s: Severity| {
            self.environments.iter().any(|c| {
                c.drift_severity == Some(s) && c.drift != Some(super::Code::Declared.into())
            })
        };
        marked(Severity::Info) && !marked(Severity::Warning) && !marked(Severity::Error)
    }

    /// Whether any cell has drift worth showing (anything but a declared difference).
    pub fn drifts(&self) -> bool {
        self.environments
            .iter()
            .any(|c| c.drift.is_some_and(|d| !d.is(super::Code::Declared)))
    }
}

/// The matrix of every flag of `inventory` over `envs`, not yet marked with drift (`mark`).
/// Built on the calling thread alone: `status` builds it while the comparison runs.
pub fn matrix(inventory: &Inventory, envs: &[&str]) -> Vec<StatusRow> {
    // The files of each name together, in path order, each name a row: sorted by (name, place),
    // the name read once per file rather than once per comparison.
    let mut files = inventory.names();
    files.sort_unstable();
    files
        .chunk_by(|a, b| a.0 == b.0)
        .map(|named| row(inventory, named, envs))
        .collect()
}

/// Marks each cell of `rows` with the most severe drift finding of its flag and environment.
pub fn mark(rows: &mut [StatusRow], drift: &Drift) {
    let mut marks: foldhash::HashMap<(&str, &str), (Severity, Code)> =
        foldhash::HashMap::with_capacity_and_hasher(drift.findings.len(), Default::default());
    for f in &drift.findings {
        let (Some(flag), Some(env)) = (f.flag.as_deref(), f.env.as_deref()) else {
            continue;
        };
        if f.code.of::<super::Code>().is_none() {
            continue;
        }
        let mark = marks.entry((flag, env)).or_insert((f.severity, f.code));
        if f.severity > mark.0 {
            *mark = (f.severity, f.code);
        }
    }
    rows.par_iter_mut().for_each(|row| {
        for cell in &mut row.environments {
            if let Some(&(severity, code)) = marks.get(&(row.name.as_str(), cell.env.as_str())) {
                cell.drift = Some(code);
                cell.drift_severity = Some(severity);
            }
        }
    });
}

/// The row of the files of one name (with their places in `inventory`, in file order): in each
/// environment, its first file.
fn row(inventory: &Inventory, named: &[(&str, usize)], envs: &[&str]) -> StatusRow {
    let files = || named.iter().map(|&(_, i)| &inventory.flags[i]);
    let environments = envs
        .iter()
        .map(|&env| {
            let mut cell = Cell {
                env: env.to_owned(),
                present: false,
                version: None,
                enabled: None,
                serves: None,
                rules: None,
                path: None,
                drift: None,
                drift_severity: None,
            };
            // A second file of the same name: the duplicate-name finding says so.
            if let Some(flag) = files().find(|f| f.env == env) {
                cell.present = true;
                cell.version = Some(flag.digest.version.to_string());
                cell.enabled = flag.digest.enabled;
                cell.serves = Some(flag.digest.serves.clone());
                cell.rules = Some(flag.digest.rules);
                cell.path = Some(flag.path.clone());
            }
            cell
        })
        .collect();
    StatusRow {
        name: named[0].0.to_owned(),
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
    pub fn apply(&self, rows: &mut Vec<StatusRow>, findings: &mut Vec<crate::finding::Finding>) {
        if !self.flags.is_empty() || self.drift_only {
            self.keep_flags(rows, findings);
        }
        for row in rows.iter_mut() {
            row.environments
                .retain(|c| self.envs.contains(&c.env.as_str()));
        }
        findings.retain(|f| f.env.as_deref().is_none_or(|env| self.envs.contains(&env)));
    }

    /// Keeps the rows of the flags shown, and their findings.
    fn keep_flags(&self, rows: &mut Vec<StatusRow>, findings: &mut Vec<crate::finding::Finding>) {
        let with_row: foldhash::HashSet<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        let without_row: foldhash::HashSet<String> = findings
            .iter()
            .filter_map(|f| f.flag.as_deref())
            .filter(|name| !with_row.contains(name))
            .map(str::to_owned)
            .collect();
        rows.retain(|row| self.named(&row.name) && (!self.drift_only || row.drifts()));
        let shown_flags: foldhash::HashSet<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        findings.retain(|f| {
            f.flag.as_deref().is_none_or(|name| {
                shown_flags.contains(name) || (without_row.contains(name) && self.named(name))
            })
        });
    }
}
