//! Drift between environments (SPEC §5): for each flag and each pair of environments, whether
//! the downstream one holds what the upstream one holds, and if not, how it differs.

mod status;

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use rayon::prelude::*;

use crate::config::{AllowDrift, Config};
use crate::finding::{FieldValue, FieldValues, Finding, Severity};
use crate::git::{Git, GitError, HeldQuery, Since, Unknown};
use crate::inventory::{Category, Chain, FlagFile, Inventory, category};
use crate::lint::{FlagName, duplicate_name};
use crate::repo::Repository;
use crate::time::Lifetime;

use status::mark;
pub use status::{Cell, Selection, StatusRow};

/// Two environments compared, upstream first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub upstream: Arc<str>,
    pub downstream: Arc<str>,
}

impl Pair {
    /// `upstream` compared with `downstream`, the names shared by the findings of the pair.
    pub fn new(upstream: &str, downstream: &str) -> Pair {
        Pair {
            upstream: upstream.into(),
            downstream: downstream.into(),
        }
    }
}

/// The outcome of a comparison.
#[derive(Debug, Default)]
pub struct Drift {
    pub findings: Vec<Finding>,
    /// Flags identical in every compared pair (declared differences aside).
    pub in_sync: usize,
    /// Flags waiting for a promotion, within their lag.
    pub pending: usize,
    /// Each flag's status row, in name order, when asked for (`Comparison::with_rows`).
    pub rows: Vec<StatusRow>,
}

/// The drift codes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "drift/")]
pub enum Code {
    /// The flag exists in the upstream environment and not in the downstream one: a promotion is
    /// pending. It is information until the change is older than the downstream environment's
    /// `max_lag` (its age is read from git: the first commit since which the upstream file has existed),
    /// then an error. `flagctl promote UPSTREAM DOWNSTREAM FLAG` brings it down.
    #[strum(message = "a flag is upstream but not yet downstream")]
    Unpromoted,
    /// The flag exists downstream and not upstream: it was added to, say, prod by hand, or removed
    /// upstream and forgotten downstream. Every change should flow down the chain. Add it upstream
    /// (and promote), or retire it downstream.
    #[strum(message = "a flag is downstream but not upstream")]
    Orphan,
    /// Upstream holds a newer version: a promotion is pending. It is information until the upstream
    /// version is older than the downstream environment's `max_lag` (the first commit since which the
    /// upstream file has held its version), then an error.
    #[strum(message = "the downstream version is older than the upstream one")]
    Behind,
    /// Downstream holds a newer version than upstream: a hotfix made downstream and never taken
    /// upstream, which the next promotion would undo. Bring the change upstream.
    #[strum(message = "the downstream version is newer than the upstream one")]
    Ahead,
    /// The contract (name, type, variants, default, requires) changed without a version bump: two
    /// environments promise different things under one version. Bump the version where the contract
    /// changed (`flagctl bump`), then promote.
    #[strum(message = "same version, different contract")]
    ContractMismatch,
    /// The environments serve differently (enabled, rules, serve, rollout) and nobody declared why.
    /// State may differ on purpose: declare it in flagctl.yaml under `allow_drift` (flag, envs,
    /// fields, reason, optionally until), or promote the state with `--with-state`.
    #[strum(message = "same contract, different state, not declared")]
    State,
    /// Description, owner, kind, lifecycle, tags, annotations or expiry differ under the same version.
    /// Bump the patch version where it changed and promote.
    #[strum(message = "same version, different metadata")]
    Metadata,
    /// The environments differ as flagctl.yaml's `allow_drift` says they may; shown so that reviewers
    /// see intended differences too. Nothing to do until its `until` date.
    #[strum(message = "a state difference declared in `allow_drift`")]
    Declared,
    /// A declared difference had an end date and it has passed: the difference is drift again. Align
    /// the environments, or extend `until` with a reason (reviewed like any change).
    #[strum(message = "an `allow_drift` entry is past its `until` date")]
    AllowanceExpired,
    /// Ages come from git history. Outside git, for uncommitted changes or in a shallow clone they are
    /// unknown: pending promotions stay information and are never errors for their age.
    #[strum(message = "ages of pending promotions could not be read from git")]
    AgeUnknown,
}

impl crate::finding::Codes for Code {
    fn severity(self) -> Severity {
        match self {
            Code::Unpromoted | Code::Behind | Code::Declared | Code::AgeUnknown => Severity::Info,
            Code::Orphan | Code::Ahead | Code::ContractMismatch | Code::AllowanceExpired => {
                Severity::Error
            }
            Code::State | Code::Metadata => Severity::Warning,
        }
    }
}

fn finding(code: Code, mut message: String, pair: &Pair, flag: &Arc<str>) -> Finding {
    // Held until the report, a finding or two per flag of the repository: at its length, not
    // with the room `format!` leaves (a third of it, for a `state` message).
    message.shrink_to_fit();
    let mut f = Finding::of(code, message);
    f.flag = Some(Arc::clone(flag));
    f.env = Some(Arc::clone(&pair.downstream));
    f.upstream = Some(Arc::clone(&pair.upstream));
    f
}

/// The environment upstream in a drift finding.
fn upstream(f: &Finding) -> &str {
    f.upstream.as_deref().unwrap_or_default()
}

/// The environment downstream in a drift finding.
fn downstream(f: &Finding) -> &str {
    f.env.as_deref().unwrap_or_default()
}

/// The command that promotes the flag of a drift finding.
fn promote_command(f: &Finding) -> String {
    format!(
        "flagctl promote {} {} {}",
        upstream(f),
        downstream(f),
        f.flag.as_deref().unwrap_or_default()
    )
}

/// The help of a pending promotion.
fn promote_help(f: &Finding) -> String {
    format!("promote it: {}", promote_command(f))
}

/// How much a comparison tells about each difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Each differing field's values on both sides (`diff`).
    Fields,
    /// The findings alone (`status`, `check`).
    Findings,
}

/// Where the ages of pending promotions come from.
#[derive(Clone, Copy)]
pub enum Ages<'a> {
    /// Asked of git in one walk for all of them (unknown outside git).
    Git(Option<&'a Git>),
    /// Answered from a history walk already made (`history::Holdings`).
    Known(&'a dyn Fn(&HeldQuery) -> Since),
}

/// A comparison of pairs of environments, flag by flag. It is set up before the flags are read,
/// so that each chain is compared as soon as it is (`settle`, given to
/// `Inventory::load_settling`), and the flags left (`finish`) once all are.
pub struct Comparison<'a> {
    repo: &'a Repository,
    pairs: &'a [Pair],
    /// The environments of the chain: places in each flag's files and status row.
    envs: Vec<&'a str>,
    /// The same names, shared by the status rows.
    env_names: Vec<Arc<str>>,
    /// The environments of each pair, as places in `envs`.
    places: Vec<(Option<usize>, Option<usize>)>,
    /// The `allow_drift` entries in force at `now`.
    active: Vec<&'a AllowDrift>,
    now: Timestamp,
    detail: Detail,
    /// Whether each flag gets its status row.
    rows: bool,
}

/// One flag compared.
pub struct Compared {
    marks: Marks,
    findings: Vec<Finding>,
    /// Pending promotions whose age decides their severity.
    aged: Vec<Aged>,
    row: Option<StatusRow>,
}

impl<'a> Comparison<'a> {
    /// A comparison of `pairs` of `repo`'s environments at `now`.
    pub fn new(repo: &'a Repository, pairs: &'a [Pair], now: Timestamp, detail: Detail) -> Self {
        let config = &repo.config;
        let active = config
            .allow_drift
            .iter()
            .filter(|a| !allowance_ended(a, now))
            .collect();
        let mut comparison = Comparison {
            repo,
            pairs,
            envs: config.environment_names(),
            env_names: config
                .environment_names()
                .into_iter()
                .map(Arc::from)
                .collect(),
            places: Vec::new(),
            active,
            now,
            detail,
            rows: false,
        };
        comparison.places = pairs
            .iter()
            .map(|p| {
                (
                    comparison.place(&p.upstream),
                    comparison.place(&p.downstream),
                )
            })
            .collect();
        comparison
    }

    /// Whether findings show the values of the fields that differ (`Detail::Fields`).
    pub fn shows_values(&self) -> bool {
        self.detail == Detail::Fields
    }

    /// The same comparison, giving each flag its status row (`Drift::rows`).
    pub fn with_rows(self) -> Self {
        Comparison { rows: true, ..self }
    }

    /// Compares a chain whose files all bear its name (for `Inventory::load_settling`).
    pub fn settle(&self, chain: Chain) -> Compared {
        let mut files = vec![None; self.envs.len()];
        for file in chain.files {
            if let Some(place) = self.place(&file.env) {
                files[place] = Some(file);
            }
        }
        self.flag(chain.name, &files, &|env| chain.left_out.contains(&env))
    }

    /// Compares the flags of `inventory`, besides those `settled` already, and puts all the
    /// findings in order (pair, flag, code), the pending promotions aged by `ages`.
    pub fn finish(
        &self,
        inventory: &Inventory,
        settled: Vec<Compared>,
        ages: Ages,
    ) -> Result<Drift, GitError> {
        let config = &self.repo.config;
        let mut findings = inventory.findings.clone();
        let by_name = ByName::of(self, inventory, &mut findings);
        findings.extend(ended_allowances(config, self.now));
        let left_out: foldhash::HashSet<(&str, &str)> = inventory
            .left_out
            .iter()
            .map(|(env, name)| (env.as_str(), name.as_str()))
            .collect();
        let mut compared: Vec<Compared> = by_name
            .names
            .par_iter()
            .enumerate()
            .map(|(row, &name)| {
                let files: Vec<Option<&FlagFile>> = (0..self.envs.len())
                    .map(|place| by_name.file(row, place).map(|i| &inventory.flags[i]))
                    .collect();
                self.flag(name, &files, &|env| left_out.contains(&(env, name)))
            })
            .collect();
        compared.extend(settled);
        // Names are unique across both: a settled chain bears no name of the other flags.
        compared.par_sort_unstable_by(|a, b| a.marks.name.cmp(&b.marks.name));

        let mut aged = Vec::new();
        let mut marks = Vec::with_capacity(compared.len());
        let mut rows = Vec::new();
        findings.reserve_exact(compared.iter().map(|c| c.findings.len()).sum());
        // Each flag's findings are moved out and its own vectors freed, one flag at a time.
        for c in compared {
            let base = findings.len();
            aged.extend(c.aged.into_iter().map(|a| Aged {
                index: a.index + base,
                ..a
            }));
            findings.extend(c.findings);
            rows.extend(c.row);
            marks.push(c.marks);
        }
        date_pending(&mut findings, aged, ages, self.now)?;
        let (in_sync, pending) = count_flags(&findings, &marks);
        // An entry for a drift code matches nothing only where the whole chain was compared.
        let whole_chain = self
            .pairs
            .iter()
            .map(|p| (&*p.upstream, &*p.downstream))
            .eq(config
                .environments
                .windows(2)
                .map(|w| (w[0].name.as_str(), w[1].name.as_str())));
        config.silence(&mut findings, |code| {
            whole_chain && code.starts_with("drift/")
        });
        sort_in_place(&mut findings);
        // Held until the report is printed: no room for more.
        findings.shrink_to_fit();
        mark(&mut rows, &findings);
        Ok(Drift {
            findings,
            in_sync,
            pending,
            rows,
        })
    }

    /// The place of `env` in each flag's files.
    fn place(&self, env: &str) -> Option<usize> {
        self.envs.iter().position(|e| *e == env)
    }

    /// Compares the files of `name` (`files`: one place per environment) in each pair, but
    /// where `broken` says an environment's file could not be read.
    fn flag(
        &self,
        name: &str,
        files: &[Option<&FlagFile>],
        broken: &dyn Fn(&str) -> bool,
    ) -> Compared {
        let name: &Arc<str> = &name.into(); // shared by its findings
        let mut tally = Tally {
            values: self.shows_values().then_some(self.repo),
            ..Tally::default()
        };
        for (pair, &(up, down)) in self.pairs.iter().zip(&self.places) {
            if broken(&pair.upstream) || broken(&pair.downstream) {
                // Its findings say why; drift is not guessed at.
                continue;
            }
            let max_lag = self
                .repo
                .config
                .environment(&pair.downstream)
                .and_then(|e| e.max_lag);
            let file = |place: Option<usize>| files[place?];
            match (file(up), file(down)) {
                (None, None) => {}
                (Some(up), None) => tally.unpromoted(pair, name, up, max_lag),
                (None, Some(down)) => tally.orphan(pair, name, down),
                (Some(up), Some(down)) => {
                    if !up.same_bytes(down) {
                        tally.differing(pair, name, up, down, max_lag, &self.active);
                    }
                }
            }
        }
        // Held until every flag is compared: no room for more.
        let Tally {
            mut findings,
            mut aged,
            ..
        } = tally;
        findings.shrink_to_fit();
        aged.shrink_to_fit();
        Compared {
            marks: Marks {
                name: Arc::clone(name),
                unsynced: tally.unsynced,
                pending: tally.pending,
            },
            findings,
            aged,
            row: self.rows.then(|| status::row(name, &self.env_names, files)),
        }
    }
}

/// The flags of an inventory by name: the names in order, and for each name its first file (by
/// path) in each environment. A later file of one name in one environment is a duplicate-name
/// finding, and is left out.
struct ByName<'a> {
    names: Vec<&'a str>,
    /// The number of environments: places in a row.
    width: usize,
    /// Row by row (one per name), one place per environment: an index into `inventory.flags`.
    files: Vec<Option<usize>>,
}

impl<'a> ByName<'a> {
    fn of(comparison: &Comparison, inventory: &'a Inventory, findings: &mut Vec<Finding>) -> Self {
        // Sorted by (name, place), each name's files stay in path order.
        let mut keyed = inventory.names();
        keyed.par_sort_unstable();
        let width = comparison.envs.len();
        let mut by_name = ByName {
            names: Vec::new(),
            files: Vec::new(),
            width,
        };
        for named in keyed.chunk_by(|a, b| a.0 == b.0) {
            let row = by_name.names.len();
            by_name.names.push(named[0].0);
            by_name.files.resize(by_name.files.len() + width, None);
            for &(name, i) in named {
                let flag = &inventory.flags[i];
                let Some(place) = comparison.place(&flag.env) else {
                    continue;
                };
                let slot = &mut by_name.files[row * width + place];
                match *slot {
                    Some(first) => findings.push(duplicate_name(
                        &FlagName {
                            name,
                            env: &flag.env,
                            path: &flag.path,
                            pos: flag.digest.name_pos,
                        },
                        &inventory.flags[first].path,
                    )),
                    None => *slot = Some(i),
                }
            }
        }
        by_name
    }

    /// The file of the name of `row` at `place`, if it has one there.
    fn file(&self, row: usize, place: usize) -> Option<usize> {
        self.files[row * self.width + place]
    }
}

/// Whether an `allow_drift` entry's `until` date has passed at `now`.
fn allowance_ended(allowance: &AllowDrift, now: Timestamp) -> bool {
    allowance.until.is_some_and(|d| d.is_past(now))
}

/// A finding for each `allow_drift` entry past its `until` date.
fn ended_allowances(config: &Config, now: Timestamp) -> impl Iterator<Item = Finding> + '_ {
    config
        .allow_drift
        .iter()
        .filter(move |a| allowance_ended(a, now))
        .map(|allowance| {
            let until = allowance.until.map(|d| d.to_string()).unwrap_or_default();
            Finding::of(
                Code::AllowanceExpired,
                format!(
                    "the declared difference for \"{}\" ended on {until}",
                    allowance.flag
                ),
            )
            .help("align the environments, or extend `until` with a reason")
            .in_flag(
                Some(&allowance.flag),
                allowance.envs.first().map(String::as_str),
            )
            .at(crate::config::CONFIG_FILE, allowance.pos)
        })
}

/// (in sync, pending): flags identical in every pair, and flags whose only drift is a pending
/// promotion, neither counting a flag with an error.
fn count_flags(findings: &[Finding], marks: &[Marks]) -> (usize, usize) {
    let errors_for: foldhash::HashSet<&str> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| f.flag.as_deref())
        .collect();
    let clean = marks.iter().filter(|c| !errors_for.contains(&*c.name));
    let pending = clean.clone().filter(|c| c.pending).count();
    let in_sync = clean.filter(|c| !c.unsynced && !c.pending).count();
    (in_sync, pending)
}

/// What the comparison of one flag says of it as a whole.
struct Marks {
    name: Arc<str>,
    /// It has drift.
    unsynced: bool,
    /// It waits for a promotion.
    pending: bool,
}

/// A pending promotion whose age decides its severity.
struct Aged {
    /// Its finding.
    index: usize,
    /// The upstream file, held since when?
    query: HeldQuery,
    max_lag: Option<Lifetime>,
}

impl Aged {
    /// The pending promotion of finding `index`, of `up` (at `version`, if given: the version it
    /// holds).
    fn of(
        index: usize,
        up: &FlagFile,
        version: Option<&semver::Version>,
        max_lag: Option<Lifetime>,
    ) -> Aged {
        Aged {
            index,
            query: HeldQuery {
                path: Arc::clone(&up.path),
                version: version.map(ToString::to_string),
                // The id git gives the upstream file's content (`Digest::blob`) finds only a
                // version asked for; any committed file answers the others.
                blob: version.and(up.digest.blob.clone()),
            },
            max_lag,
        }
    }
}

/// What the comparison of one flag has found.
#[derive(Default)]
struct Tally<'r> {
    findings: Vec<Finding>,
    /// Whether the flag has drift.
    unsynced: bool,
    /// Whether the flag waits for a promotion.
    pending: bool,
    /// Pending promotions whose age decides their severity.
    aged: Vec<Aged>,
    /// Where findings show the values of the fields that differ (`Detail::Fields`): the
    /// repository, to read again values the loader did not keep.
    values: Option<&'r Repository>,
}

impl Tally<'_> {
    /// The flag is upstream only: a promotion is pending.
    fn unpromoted(
        &mut self,
        pair: &Pair,
        name: &Arc<str>,
        up: &FlagFile,
        max_lag: Option<Lifetime>,
    ) {
        self.pending = true;
        let f = finding(
            Code::Unpromoted,
            format!(
                "\"{name}\" {} is in {} but not yet in {}",
                up.digest.version, pair.upstream, pair.downstream
            ),
            pair,
            name,
        )
        .at(Arc::clone(&up.path), up.digest.name_pos)
        .help_from(promote_help);
        self.aged
            .push(Aged::of(self.findings.len(), up, None, max_lag));
        self.findings.push(f);
    }

    /// The flag is downstream only.
    fn orphan(&mut self, pair: &Pair, name: &Arc<str>, down: &FlagFile) {
        self.unsynced = true;
        self.findings.push(
            finding(
                Code::Orphan,
                format!(
                    "\"{name}\" is in {} but not in {}, upstream of it",
                    pair.downstream, pair.upstream
                ),
                pair,
                name,
            )
            .at(Arc::clone(&down.path), down.digest.name_pos)
            .help_from(|f| {
                format!(
                    "add it to {} first and promote it, or retire it from {}",
                    upstream(f),
                    downstream(f)
                )
            }),
        );
    }

    /// Both environments have the flag, in different bytes: versions, then contract, metadata
    /// and state.
    fn differing(
        &mut self,
        pair: &Pair,
        name: &Arc<str>,
        up: &FlagFile,
        down: &FlagFile,
        max_lag: Option<Lifetime>,
        active: &[&AllowDrift],
    ) {
        let differing = differing_fields(up, down);
        let (u, d) = (&up.digest.version, &down.digest.version);
        let select = |only: fn(Category) -> bool| -> Vec<String> {
            differing
                .iter()
                .filter(|(_, c)| only(*c))
                .map(|(f, _)| f.clone())
                .collect()
        };
        let has = |category: Category| differing.iter().any(|(_, c)| *c == category);
        if d < u {
            self.pending = true;
            let f = finding(
                Code::Behind,
                format!(
                    "{} has \"{name}\" {d}, {} has {u}",
                    pair.downstream, pair.upstream
                ),
                pair,
                name,
            )
            .at(Arc::clone(&down.path), down.digest.version_pos)
            .help_from(promote_help);
            self.aged
                .push(Aged::of(self.findings.len(), up, Some(u), max_lag));
            self.push(f, up, down, select(|c| c != Category::State));
        } else if d > u {
            self.unsynced = true;
            let f = finding(
                Code::Ahead,
                format!(
                    "{} has \"{name}\" {d}, newer than {} {u}",
                    pair.downstream, pair.upstream
                ),
                pair,
                name,
            )
            .at(Arc::clone(&down.path), down.digest.version_pos)
            .help_from(|f| {
                format!(
                    "bring the change to {} (a downstream hotfix is undone by the next promotion)",
                    upstream(f)
                )
            });
            self.push(f, up, down, select(|c| c != Category::State));
        } else if has(Category::Contract) {
            self.unsynced = true;
            let f = finding(
                Code::ContractMismatch,
                format!(
                    "\"{name}\" {u} has a different contract in {} and {}",
                    pair.upstream, pair.downstream
                ),
                pair,
                name,
            )
            .at(Arc::clone(&down.path), down.digest.version_pos)
            .help("bump the version where the contract changed (flagctl bump), then promote");
            self.push(f, up, down, select(|c| c == Category::Contract));
            return;
        } else if has(Category::Metadata) {
            self.unsynced = true;
            let f = finding(
                Code::Metadata,
                format!(
                    "\"{name}\" {u} has different metadata in {} and {}",
                    pair.upstream, pair.downstream
                ),
                pair,
                name,
            )
            .at(Arc::clone(&down.path), down.digest.version_pos)
            .help("bump the patch version where it changed, then promote");
            self.push(f, up, down, select(|c| c == Category::Metadata));
        }
        // State may differ at any version; contracts must agree for it to be judged.
        if !has(Category::Contract) {
            let state = select(|c| c == Category::State);
            self.state(pair, name, up, down, state, active);
        }
    }

    /// The environments serve differently: declared in `allow_drift`, or drift.
    fn state(
        &mut self,
        pair: &Pair,
        name: &Arc<str>,
        up: &FlagFile,
        down: &FlagFile,
        state: Vec<String>,
        active: &[&AllowDrift],
    ) {
        if state.is_empty() {
            return;
        }
        let fields: Vec<&str> = state.iter().map(String::as_str).collect();
        let f = match active.iter().find(|a| covers(a, name, pair, &fields)) {
            Some(a) => finding(
                Code::Declared,
                format!(
                    "\"{name}\" serves differently in {} ({}), as declared: {}",
                    pair.downstream,
                    fields.join(", "),
                    a.reason
                ),
                pair,
                name,
            ),
            None => {
                self.unsynced = true;
                finding(
                    Code::State,
                    format!(
                        "\"{name}\" serves differently in {} and {} ({})",
                        pair.upstream,
                        pair.downstream,
                        fields.join(", ")
                    ),
                    pair,
                    name,
                )
                .help_from(|f| {
                    format!(
                        "declare it under `allow_drift` in flagctl.yaml with a reason, or align it: {} --with-state",
                        promote_command(f)
                    )
                })
            }
        };
        let f = f.at(Arc::clone(&down.path), down.digest.version_pos);
        self.push(f, up, down, state);
    }

    /// Adds a finding that shows the values of `fields` on both sides.
    fn push(&mut self, f: Finding, up: &FlagFile, down: &FlagFile, fields: Vec<String>) {
        let f = match self.values {
            Some(repo) => Finding {
                fields: Some(field_values(repo, up, down, &fields)),
                ..f
            },
            None => f,
        };
        self.findings.push(f);
    }
}

/// Sorts `findings` by `drift_order`, keeping the order of equals: their places are sorted and
/// the findings then moved along the cycles of that order, so no second buffer of findings is
/// needed (a stable sort of the findings themselves would take one as large as half of them).
fn sort_in_place(findings: &mut [Finding]) {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.par_sort_unstable_by(|&a, &b| drift_order(&findings[a], &findings[b]).then(a.cmp(&b)));
    // `order[k]` is the place of the finding that belongs at `k`.
    let mut done = vec![false; findings.len()];
    for start in 0..findings.len() {
        let mut at = start;
        while !done[at] {
            done[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            findings.swap(at, from);
            at = from;
        }
    }
}

/// Findings grouped as `diff` shows them: by pair (`upstream>downstream`, as text), then flag,
/// then code; findings of no pair first.
fn drift_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    fn pair(f: &Finding) -> impl Iterator<Item = u8> + '_ {
        let upstream = f.upstream.as_deref().unwrap_or_default();
        let env = f.env.as_deref().unwrap_or_default();
        upstream
            .bytes()
            .chain(std::iter::once(b'>'))
            .chain(env.bytes())
    }
    let same_pair = a.upstream == b.upstream && a.env == b.env;
    a.upstream
        .is_some()
        .cmp(&b.upstream.is_some())
        .then_with(|| {
            if same_pair {
                std::cmp::Ordering::Equal
            } else {
                pair(a).cmp(pair(b))
            }
        })
        .then_with(|| a.flag.cmp(&b.flag))
        .then_with(|| a.code.as_str().cmp(b.code.as_str()))
}

/// Whether an `allow_drift` entry covers these differing state fields of `name` in `pair`.
fn covers(allowance: &AllowDrift, name: &str, pair: &Pair, fields: &[&str]) -> bool {
    allowance.flag == name
        && (allowance.envs.is_empty()
            || allowance
                .envs
                .iter()
                .any(|e| **e == *pair.upstream || **e == *pair.downstream))
        && (allowance.fields.is_empty()
            || fields
                .iter()
                .all(|f| allowance.fields.iter().any(|a| a == f)))
}

/// Top-level fields (but `version`) whose values differ, with their category.
fn differing_fields(up: &FlagFile, down: &FlagFile) -> Vec<(String, Category)> {
    up.digest
        .fields
        .differing(&down.digest.fields)
        .into_iter()
        .filter_map(|key| Some((key.to_owned(), category(key)?)))
        .collect()
}

/// The values of `fields` on both sides (and of `version` when it differs): those the loader
/// kept, else read again from the files.
fn field_values(
    repo: &Repository,
    up: &FlagFile,
    down: &FlagFile,
    fields: &[String],
) -> FieldValues {
    let mut keys: Vec<&str> = Vec::with_capacity(fields.len() + 1);
    if up.digest.version != down.digest.version {
        keys.push("version");
    }
    keys.extend(fields.iter().map(String::as_str));
    // `None`: not kept; `Some(None)`: the file has no such field.
    let kept = |file: &FlagFile, key: &str| -> Option<Option<Arc<str>>> {
        let present = key == "version" || file.digest.fields.get(key).is_some();
        if present {
            file.kept_value(key).cloned().map(Some)
        } else {
            Some(None)
        }
    };
    let from_kept: Option<Vec<FieldValue>> = keys
        .iter()
        .map(|key| {
            Some(FieldValue {
                field: (*key).to_owned(),
                upstream: kept(up, key)?,
                downstream: kept(down, key)?,
            })
        })
        .collect();
    if let Some(out) = from_kept {
        return FieldValues(out);
    }
    let (Some(a), Some(b)) = (up.tree(repo), down.tree(repo)) else {
        return FieldValues::default();
    };
    let value = |tree: &crate::yaml::Node, key: &str| {
        serde_json::to_string(tree.get(key)?).ok().map(Arc::from)
    };
    FieldValues(
        keys.iter()
            .map(|key| FieldValue {
                field: (*key).to_owned(),
                upstream: value(&a, key),
                downstream: value(&b, key),
            })
            .collect(),
    )
}

/// Gives pending promotions their age from git, and the error severity past `max_lag`.
fn date_pending(
    findings: &mut Vec<Finding>,
    aged: Vec<Aged>,
    ages: Ages,
    now: Timestamp,
) -> Result<(), GitError> {
    if aged.is_empty() {
        return Ok(());
    }
    let (mut queries, aged): (Vec<HeldQuery>, Vec<(usize, Option<Lifetime>)>) = aged
        .into_iter()
        .map(|a| (a.query, (a.index, a.max_lag)))
        .unzip();
    let answers = match ages {
        Ages::Known(since) => queries
            .iter_mut()
            .map(|query| {
                query.blob = None;
                since(query)
            })
            .collect(),
        Ages::Git(Some(git)) => {
            // A committed file is most often the file as it is: the blob id of its bytes (taken
            // by the loader) finds it in HEAD without reading the committed copy.
            git.held_since(&queries, |bytes| {
                crate::repo::parse_bytes("", bytes).ok().and_then(|p| {
                    p.root
                        .get("version")
                        .and_then(|v| v.as_str().map(str::to_owned))
                })
            })?
        }
        Ages::Git(None) => vec![Since::Unknown(Unknown::NoHistory); aged.len()],
    };
    let mut unknown: BTreeSet<Unknown> = BTreeSet::new();
    for ((index, max_lag), since) in aged.into_iter().zip(answers) {
        let f = &mut findings[index];
        match since {
            Since::Known(at) => {
                // A commit dated after now (clock skew between machines) is pending for no time.
                let age = now.duration_since(at).max(SignedDuration::ZERO);
                f.message
                    .push_str(&format!(" (pending for {})", human_age(age)));
                f.set_age(age);
                if let Some(Lifetime::Limited(limit)) = max_lag {
                    if age > limit {
                        f.severity = Severity::Error;
                        f.message.push_str(&format!(
                            ", longer than {}'s max_lag of {}",
                            f.env.clone().unwrap_or_default(),
                            human_age(limit)
                        ));
                    }
                }
            }
            Since::Unknown(why) => {
                f.message.push_str(" (age unknown)");
                unknown.insert(why);
            }
        }
        f.message.shrink_to_fit();
    }
    if !unknown.is_empty() {
        // Said once, not per flag.
        let reasons: Vec<&str> = unknown.iter().map(|u| u.reason()).collect();
        findings.push(Finding::of(
            Code::AgeUnknown,
            format!(
                "ages of pending promotions are unknown: {}; they are not checked against max_lag",
                reasons.join("; ")
            ),
        ));
    }
    Ok(())
}

fn human_age(age: SignedDuration) -> String {
    let hours = age.as_secs() / 3600;
    match hours {
        0 => "under an hour".to_owned(),
        h if h < 48 => format!("{h}h"),
        h => format!("{}d", h / 24),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn finding(upstream: Option<&str>, env: &str, flag: &str, code: Code, n: usize) -> Finding {
        let mut f = Finding::of(code, n.to_string()).in_flag(Some(flag), Some(env));
        f.upstream = upstream.map(Into::into);
        f
    }

    proptest! {
        /// Sorting in place gives what a stable sort of the findings gives.
        #[test]
        fn sorting_in_place_is_a_stable_sort(
            keys in prop::collection::vec((0usize..3, 0usize..3, 0usize..4, 0usize..3), 0..60),
        ) {
            let ups = [None, Some("dev"), Some("dev>x")];
            let envs = ["staging", "prod", ""];
            let codes = [Code::Behind, Code::State, Code::Orphan];
            let findings: Vec<Finding> = keys
                .iter()
                .enumerate()
                .map(|(n, &(u, e, f, c))| {
                    finding(ups[u], envs[e], &format!("flag{f}"), codes[c], n)
                })
                .collect();
            let mut expected = findings.clone();
            expected.sort_by(drift_order);
            let mut sorted = findings;
            sort_in_place(&mut sorted);
            prop_assert_eq!(sorted, expected);
        }
    }
}
