//! The dashboard (`flagctl report`, SPEC §8): every flag's health across the environments, built
//! from the work tree and ONE walk of the history — drift with ages from that walk
//! (`history::Holdings`), staleness with lives from it (`stale::Lives`), propagation lag, toggle
//! counts and the last changes. The result is a versioned document (`report.json`, and the data
//! of `index.html`); `report::html` renders it.

pub mod tests;

use std::collections::HashMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::config::Config;
use crate::drift::{self, Ages, Cell, Detail, Pair};
use crate::finding::{Counts, Finding, Severity};
use crate::git::{Git, GitError};
use crate::history::{ChangeKind, Entry, Holdings};
use crate::inventory::Inventory;
use crate::repo::Repository;
use crate::stale::{self, Lives, StaleFlag};

pub use tests::TestRun;

/// How many months the charts cover, ending with the newest commit's.
const MONTHS: i32 = 24;
/// How many of the last changes the dashboard lists.
const LAST_CHANGES: usize = 100;

/// The whole dashboard, as `report.json` holds it (version 1: fields are only ever added).
#[derive(Debug, Serialize)]
pub struct Dashboard {
    pub version: u32,
    /// The repository's folder name, for the title.
    pub title: String,
    /// When the report was made (RFC 3339).
    pub generated: String,
    pub head: Option<Head>,
    pub environments: Vec<EnvironmentInfo>,
    pub summary: Summary,
    /// One per flag, by name.
    pub flags: Vec<FlagHealth>,
    /// Propagation lag per adjacent pair of the chain.
    pub lag: Vec<PairLag>,
    /// The months of the time series (`YYYY-MM`), oldest first.
    pub months: Vec<String>,
    /// Toggles per environment per month, all flags together.
    pub toggles: Vec<EnvironmentSeries>,
    pub stale: Vec<StaleFlag>,
    pub owners: Vec<Owner>,
    /// The last changes, newest first.
    pub changes: Vec<Change>,
    /// Test results recorded by `flagctl test --record` for the newest commit that has them.
    pub tests: Option<TestRun>,
    /// Every drift and stale finding.
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Head {
    pub commit: String,
    pub time: String,
}

#[derive(Debug, Serialize)]
pub struct EnvironmentInfo {
    pub name: String,
    pub max_lag_hours: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub flags: usize,
    pub environments: usize,
    /// Flags with drift (declared differences aside).
    pub drifting: usize,
    pub stale: usize,
    pub average_health: u32,
    /// Commits of the history that changed flags.
    pub commits: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

/// One flag: its health, why points were taken off, and its cells of the matrix.
#[derive(Debug, Serialize)]
pub struct FlagHealth {
    pub name: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub kind: Option<&'static str>,
    pub lifecycle: Option<&'static str>,
    /// 0–100.
    pub health: u32,
    pub reasons: Vec<Reason>,
    /// One cell per environment, in chain order (as `status` reports them).
    pub environments: Vec<Cell>,
    /// Toggles per environment: the total and `[month index, count]` pairs within `months`.
    pub toggles: Vec<FlagToggles>,
    pub born: Option<String>,
    pub changed: Option<String>,
    pub tests: Option<tests::Tally>,
}

/// Points taken off a flag's health, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Reason {
    /// `drift`, `lag`, `expired`, `stale`, `owner`, `tests`, `invalid`.
    pub kind: &'static str,
    pub points: u32,
    pub message: String,
    /// The finding behind it, if one.
    pub code: Option<String>,
    pub env: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct FlagToggles {
    pub env: String,
    pub total: u32,
    pub by_month: Vec<[u32; 2]>,
}

#[derive(Debug, Serialize)]
pub struct PairLag {
    pub upstream: String,
    pub downstream: String,
    /// Versions that reached the downstream environment after the upstream one.
    pub promotions: usize,
    pub median_hours: Option<f64>,
    pub worst_hours: Option<f64>,
    /// Per month of arrival downstream (index into `months`).
    pub by_month: Vec<LagMonth>,
    /// Promotions waiting now, and the oldest one's age.
    pub pending: usize,
    pub oldest_pending_days: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct LagMonth {
    pub month: usize,
    pub promotions: usize,
    pub median_hours: f64,
    pub worst_hours: f64,
}

#[derive(Debug, Serialize)]
pub struct EnvironmentSeries {
    pub env: String,
    pub counts: Vec<u32>,
}

#[derive(Debug, Serialize)]
pub struct Owner {
    pub owner: Option<String>,
    pub flags: usize,
    pub average_health: u32,
    pub drifting: usize,
    pub stale: usize,
}

#[derive(Debug, Serialize)]
pub struct Change {
    pub commit: String,
    pub time: String,
    pub author: String,
    pub subject: String,
    pub reason: Option<String>,
    pub changes: Vec<ChangeLine>,
}

#[derive(Debug, Serialize)]
pub struct ChangeLine {
    pub env: String,
    pub flag: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub from_version: Option<String>,
    pub to_version: Option<String>,
    pub enabled: Option<bool>,
}

/// What the dashboard is made from.
pub struct Inputs<'a> {
    pub config: &'a Config,
    /// The work tree's flags, loaded with traits.
    pub inventory: &'a Inventory,
    /// The whole history, oldest first (empty outside git).
    pub entries: &'a [Entry],
    /// Whether there is git history at all, and whether it is cut short (a shallow clone).
    pub in_git: bool,
    pub shallow: bool,
    pub head: Option<Head>,
    pub tests: Option<TestRun>,
    pub title: String,
    pub now: Timestamp,
}

/// How far back from HEAD recorded test results still count.
const TEST_NOTES_DEPTH: usize = 1000;

impl<'a> Inputs<'a> {
    /// The inputs of `repo`'s dashboard: its flags (`inventory`), its history (`entries`, read
    /// from `git`; none outside git), HEAD and the newest recorded test run, at `now`.
    pub fn read(
        repo: &'a Repository,
        inventory: &'a Inventory,
        entries: &'a [Entry],
        git: Option<&Git>,
        now: Timestamp,
    ) -> Result<Inputs<'a>, GitError> {
        let (head, tests) = match git {
            Some(git) => {
                let head = git.head()?;
                let tests = git
                    .newest_note(crate::eval::spec::NOTES_REF, TEST_NOTES_DEPTH)?
                    .map(|(commit, behind, note)| TestRun::read(commit, behind, &note));
                let head = Head {
                    commit: head.id,
                    time: head.time.to_string(),
                };
                (Some(head), tests)
            }
            None => (None, None),
        };
        // The page is titled after the repository's folder.
        let title = std::fs::canonicalize(&repo.root)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "flags".to_owned());
        Ok(Inputs {
            config: &repo.config,
            inventory,
            entries,
            in_git: git.is_some(),
            shallow: git.is_some_and(Git::is_shallow),
            head,
            tests,
            title,
            now,
        })
    }
}

/// The summary in one line, as `report` tells it on the terminal.
impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} flags × {} environments: average health {}, {} drifting, {} stale ({} errors, {} warnings)",
            self.flags,
            self.environments,
            self.average_health,
            self.drifting,
            self.stale,
            self.errors,
            self.warnings
        )
    }
}

/// Builds the dashboard.
pub fn build(inputs: Inputs) -> Result<Dashboard, GitError> {
    let Inputs {
        config,
        inventory,
        entries,
        in_git,
        shallow,
        head,
        tests,
        title,
        now,
    } = inputs;
    let envs = config.environment_names();
    let pairs: Vec<Pair> = config
        .environments
        .windows(2)
        .map(|w| Pair::new(&w[0].name, &w[1].name))
        .collect();

    // Drift, aged by the walk already made.
    let holdings = Holdings::of(entries, shallow);
    let since = |q: &crate::git::HeldQuery| holdings.since(q);
    let ages = if in_git {
        Ages::Known(&since)
    } else {
        Ages::Git(None)
    };
    let mut drift = drift::Comparison::new(&inventory.repo, &pairs, now, Detail::Findings)
        .with_rows()
        .finish(inventory, Vec::new(), ages)?;
    let rows = std::mem::take(&mut drift.rows);

    // Staleness, with lives from the same walk.
    let lives = if in_git {
        Lives::of(entries, shallow)
    } else {
        Lives::unknown()
    };
    let staleness = stale::judge(config, inventory, &lives, None, now);

    let series = Series::of(entries, &envs, &pairs);
    let flags = flag_healths(
        rows,
        &stale::chains(config, inventory),
        drift.findings.iter().chain(&staleness.findings),
        tests.as_ref(),
        &lives,
        &series,
        &envs,
    );

    let mut findings = drift.findings;
    findings.extend(staleness.findings);
    let counts = Counts::of(&findings);
    let summary = Summary {
        flags: flags.len(),
        environments: envs.len(),
        drifting: flags.iter().filter(|f| f.drifts()).count(),
        stale: staleness.flags.len(),
        average_health: average_health(&flags),
        commits: entries.len(),
        errors: counts.errors,
        warnings: counts.warnings,
        infos: counts.infos,
    };
    Ok(Dashboard {
        version: 1,
        title,
        generated: now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        head,
        environments: config
            .environments
            .iter()
            .map(EnvironmentInfo::of)
            .collect(),
        summary,
        lag: series.lag(&pairs, &findings),
        owners: owners(&flags, &staleness.flags),
        flags,
        months: series.month_names(),
        toggles: series.env_toggles(&envs),
        stale: staleness.flags,
        changes: last_changes(entries),
        tests,
        findings,
    })
}

impl EnvironmentInfo {
    fn of(env: &crate::config::Environment) -> EnvironmentInfo {
        EnvironmentInfo {
            name: env.name.clone(),
            max_lag_hours: match env.max_lag {
                Some(crate::time::Lifetime::Limited(d)) => Some(d.as_secs() / 3600),
                _ => None,
            },
        }
    }
}

impl FlagHealth {
    /// Whether the flag differs between environments, or waits too long to reach one.
    fn drifts(&self) -> bool {
        self.reasons
            .iter()
            .any(|r| r.kind == "drift" || r.kind == "lag")
    }
}

/// The mean health of `flags`, rounded down; 100 when there are none.
fn average_health<'f>(flags: impl IntoIterator<Item = &'f FlagHealth>) -> u32 {
    let healths: Vec<u64> = flags.into_iter().map(|f| u64::from(f.health)).collect();
    if healths.is_empty() {
        100
    } else {
        let sum: u64 = healths.iter().sum();
        u32::try_from(sum / healths.len() as u64).unwrap_or(100)
    }
}

/// Each flag's health: 100 less the points of its reasons, with what the page shows beside it,
/// sorted by name.
fn flag_healths<'f>(
    rows: Vec<drift::StatusRow>,
    chains: &[stale::Chain],
    findings: impl Iterator<Item = &'f Finding>,
    tests: Option<&TestRun>,
    lives: &Lives,
    series: &Series,
    envs: &[&str],
) -> Vec<FlagHealth> {
    let traits_of: HashMap<&str, &crate::model::Traits> = chains
        .iter()
        .filter_map(|c| c.files.first().map(|(_, t)| (c.name, *t)))
        .collect();
    let mut by_flag: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for f in findings {
        if let Some(flag) = f.flag.as_deref() {
            by_flag.entry(flag).or_default().push(f);
        }
    }
    let mut flags: Vec<FlagHealth> = rows
        .into_iter()
        .map(|row| {
            let traits = traits_of.get(&*row.name).copied();
            let findings = by_flag.get(&*row.name).map_or(&[][..], Vec::as_slice);
            let tally = tests.and_then(|t| t.flags.get(&*row.name).copied());
            let reasons = reasons(findings, traits, tally);
            let lost: u32 = reasons.iter().map(|r| r.points).sum();
            let life = lives.flags.get(&*row.name);
            FlagHealth {
                description: traits.and_then(|t| t.description.clone()),
                owner: traits.and_then(|t| t.owner.clone()),
                kind: traits.map(|t| t.kind.as_str()),
                lifecycle: traits.and_then(|t| t.lifecycle.as_ref().map(|l| l.value.as_str())),
                health: 100u32.saturating_sub(lost),
                reasons,
                toggles: series.flag_toggles(&row.name, envs),
                born: life.map(|l| l.born.to_string()),
                changed: life.map(|l| l.changed.to_string()),
                tests: tally,
                environments: row.environments,
                name: row.name.to_string(),
            }
        })
        .collect();
    flags.sort_by(|a, b| a.name.cmp(&b.name));
    flags
}

/// Points off for each finding of a flag, a missing owner and failing tests.
fn reasons(
    findings: &[&Finding],
    traits: Option<&crate::model::Traits>,
    tests: Option<tests::Tally>,
) -> Vec<Reason> {
    let mut out = Vec::new();
    for f in findings {
        let (kind, points) = match (f.code.as_str(), f.severity) {
            ("drift/declared", _) | (_, Severity::Info) => continue,
            ("drift/behind" | "drift/unpromoted", Severity::Error) => ("lag", 20),
            (code, Severity::Error) if code.starts_with("drift/") => ("drift", 20),
            (code, Severity::Warning) if code.starts_with("drift/") => ("drift", 10),
            ("stale/expired", _) => ("expired", 15),
            ("stale/lifetime", _) => ("stale", 15),
            ("stale/rolled-out" | "stale/deprecated-served", _) => ("stale", 10),
            (_, Severity::Error) => ("invalid", 30),
            _ => continue,
        };
        out.push(Reason {
            kind,
            points,
            message: f.message.clone(),
            code: Some(f.code.as_str().to_owned()),
            env: f.env.as_deref().map(str::to_owned),
        });
    }
    if traits.is_some_and(|t| t.owner.is_none()) {
        out.push(Reason {
            kind: "owner",
            points: 10,
            message: "no owner: nobody is asked when it drifts or goes stale".to_owned(),
            code: None,
            env: None,
        });
    }
    if let Some(tally) = tests.filter(|t| t.failed > 0) {
        out.push(Reason {
            kind: "tests",
            points: 25,
            message: format!(
                "{} of {} recorded flag tests failed",
                tally.failed,
                tally.failed + tally.passed
            ),
            code: None,
            env: None,
        });
    }
    out
}

fn owners(flags: &[FlagHealth], stale: &[StaleFlag]) -> Vec<Owner> {
    let mut groups: std::collections::BTreeMap<Option<&str>, Vec<&FlagHealth>> =
        std::collections::BTreeMap::new();
    for flag in flags {
        groups.entry(flag.owner.as_deref()).or_default().push(flag);
    }
    groups
        .into_iter()
        .map(|(owner, flags)| Owner {
            owner: owner.map(str::to_owned),
            flags: flags.len(),
            average_health: average_health(flags.iter().copied()),
            drifting: flags.iter().filter(|f| f.drifts()).count(),
            stale: flags
                .iter()
                .filter(|f| stale.iter().any(|s| s.flag == f.name))
                .count(),
        })
        .collect()
}

fn last_changes(entries: &[Entry]) -> Vec<Change> {
    entries
        .iter()
        .rev()
        .filter(|e| !e.changes.is_empty())
        .take(LAST_CHANGES)
        .map(|entry| Change {
            commit: entry.commit.id.clone(),
            time: entry.commit.time.to_string(),
            author: entry.commit.author.clone(),
            subject: entry.commit.subject.clone(),
            reason: entry.trailer("Flagctl-Reason").map(str::to_owned),
            changes: entry
                .changes
                .iter()
                .map(|c| ChangeLine {
                    env: c.env.clone(),
                    flag: c.flag.clone(),
                    kind: crate::events::kind(entry, c),
                    from_version: c.version.from.clone(),
                    to_version: c.version.to.clone(),
                    enabled: c.enabled.to,
                })
                .collect(),
        })
        .collect()
}

/// A month as a number (`year * 12 + month - 1`).
fn month_of(t: Timestamp) -> i32 {
    let date = t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    i32::from(date.year()) * 12 + i32::from(date.month()) - 1
}

/// Toggles and promotion lags read from the walk, by month.
struct Series {
    /// The first month of the charts (`month_of`) and how many.
    first: i32,
    count: usize,
    /// (flag, env index) → toggles: total and per chart month.
    toggles: HashMap<(String, usize), (u32, HashMap<usize, u32>)>,
    /// Per pair (downstream env index): (month of arrival, lag in hours).
    lags: HashMap<usize, Vec<(i32, f64)>>,
}

impl Series {
    fn of(entries: &[Entry], envs: &[&str], pairs: &[Pair]) -> Series {
        let last = entries.last().map_or(0, |e| month_of(e.commit.time));
        let oldest = entries.first().map_or(last, |e| month_of(e.commit.time));
        let first = oldest.max(last - (MONTHS - 1));
        let count = usize::try_from(last - first + 1).unwrap_or(0);
        let env_index = |env: &str| envs.iter().position(|e| *e == env);
        // Downstream env index → upstream env index, for adjacent pairs.
        let upstream_of: HashMap<usize, usize> = pairs
            .iter()
            .filter_map(|p| Some((env_index(&p.downstream)?, env_index(&p.upstream)?)))
            .collect();
        // (flag, version) → when each environment first held it.
        let mut arrivals: HashMap<(&str, &str), Vec<(usize, Timestamp)>> = HashMap::new();
        let mut toggles: HashMap<(String, usize), (u32, HashMap<usize, u32>)> = HashMap::new();
        let mut lags: HashMap<usize, Vec<(i32, f64)>> = HashMap::new();
        for entry in entries {
            let time = entry.commit.time;
            let month = month_of(time);
            for change in &entry.changes {
                let Some(env) = env_index(&change.env) else {
                    continue;
                };
                if change.kind == ChangeKind::Deleted {
                    continue;
                }
                if let (Some(a), Some(b)) = (change.enabled.from, change.enabled.to) {
                    if a != b {
                        let slot = toggles.entry((change.flag.clone(), env)).or_default();
                        slot.0 += 1;
                        if month >= first {
                            let index = usize::try_from(month - first).unwrap_or(0);
                            *slot.1.entry(index).or_default() += 1;
                        }
                    }
                }
                let arrived = change.kind == ChangeKind::Created || change.version.changed();
                let Some(version) = change.version.to.as_deref().filter(|_| arrived) else {
                    continue;
                };
                let seen = arrivals.entry((&change.flag, version)).or_default();
                if seen.iter().any(|(e, _)| *e == env) {
                    continue;
                }
                seen.push((env, time));
                let upstream = upstream_of
                    .get(&env)
                    .and_then(|u| seen.iter().find(|(e, _)| e == u));
                if let Some((_, since)) = upstream {
                    let hours = time.duration_since(*since).as_secs_f64() / 3600.0;
                    lags.entry(env).or_default().push((month, hours.max(0.0)));
                }
            }
        }
        Series {
            first,
            count,
            toggles,
            lags,
        }
    }

    fn month_names(&self) -> Vec<String> {
        (0..self.count)
            .map(|i| {
                let m = self.first + i32::try_from(i).unwrap_or(0);
                format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
            })
            .collect()
    }

    fn flag_toggles(&self, flag: &str, envs: &[&str]) -> Vec<FlagToggles> {
        envs.iter()
            .enumerate()
            .filter_map(|(i, env)| {
                let (total, months) = self.toggles.get(&(flag.to_owned(), i))?;
                let mut by_month: Vec<[u32; 2]> = months
                    .iter()
                    .map(|(m, n)| [u32::try_from(*m).unwrap_or(0), *n])
                    .collect();
                by_month.sort_unstable();
                Some(FlagToggles {
                    env: (*env).to_owned(),
                    total: *total,
                    by_month,
                })
            })
            .collect()
    }

    fn env_toggles(&self, envs: &[&str]) -> Vec<EnvironmentSeries> {
        let mut series: Vec<EnvironmentSeries> = envs
            .iter()
            .map(|env| EnvironmentSeries {
                env: (*env).to_owned(),
                counts: vec![0; self.count],
            })
            .collect();
        for ((_, env), (_, months)) in &self.toggles {
            for (month, n) in months {
                if let Some(slot) = series.get_mut(*env).and_then(|s| s.counts.get_mut(*month)) {
                    *slot += n;
                }
            }
        }
        series
    }

    fn lag(&self, pairs: &[Pair], findings: &[Finding]) -> Vec<PairLag> {
        pairs
            .iter()
            .enumerate()
            .map(|(i, pair)| {
                // Pairs are adjacent: the downstream environment of pair i is environment i + 1.
                let samples = self.lags.get(&(i + 1)).map_or(&[][..], Vec::as_slice);
                let mut hours: Vec<f64> = samples.iter().map(|(_, h)| *h).collect();
                let mut by_month: Vec<LagMonth> = Vec::new();
                for index in 0..self.count {
                    let month = self.first + i32::try_from(index).unwrap_or(0);
                    let mut these: Vec<f64> = samples
                        .iter()
                        .filter(|(m, _)| *m == month)
                        .map(|(_, h)| *h)
                        .collect();
                    if let (Some(median), Some(worst)) = (median(&mut these), worst(&these)) {
                        by_month.push(LagMonth {
                            month: index,
                            promotions: these.len(),
                            median_hours: median,
                            worst_hours: worst,
                        });
                    }
                }
                let waiting: Vec<&Finding> = findings
                    .iter()
                    .filter(|f| {
                        matches!(f.code.as_str(), "drift/behind" | "drift/unpromoted")
                            && f.env.as_deref() == Some(&*pair.downstream)
                            && f.upstream.as_deref() == Some(&*pair.upstream)
                    })
                    .collect();
                PairLag {
                    upstream: pair.upstream.to_string(),
                    downstream: pair.downstream.to_string(),
                    promotions: hours.len(),
                    median_hours: median(&mut hours),
                    worst_hours: worst(&hours),
                    by_month,
                    pending: waiting.len(),
                    oldest_pending_days: waiting
                        .iter()
                        .filter_map(|f| f.age_days)
                        .max()
                        .map(u64::from),
                }
            })
            .collect()
    }
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

fn worst(values: &[f64]) -> Option<f64> {
    values.iter().copied().max_by(f64::total_cmp)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_samples() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(worst(&[1.0, 7.0, 3.0]), Some(7.0));
    }

    #[test]
    fn months_count_across_years() {
        let t: Timestamp = "2026-01-15T00:00:00Z".parse().expect("time");
        let u: Timestamp = "2025-12-31T23:00:00Z".parse().expect("time");
        assert_eq!(month_of(t) - month_of(u), 1);
    }
}
