//! Stale flags (SPEC §8): flags past `expires`, past their kind's lifetime, fully rolled out and
//! left unchanged, deprecated but still served, and (`references`) no longer used by the code.
//! Ages come from one walk of the history (`history::walk`): a flag is born with its first file.

pub mod references;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::config::Config;
use crate::finding::{Finding, Severity};
use crate::history::Entry;
use crate::inventory::{FlagFile, Inventory};
use crate::model::{Kind, Lifecycle, Traits};
use crate::repo::Repository;
use crate::time::{Date, Lifetime};

/// The stale codes.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    strum::IntoStaticStr,
    strum::EnumIter,
    strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "stale/")]
pub enum Code {
    /// The flag's `expires` date (it holds through that day, UTC) has passed: the code still
    /// branches on a flag that was meant to be gone. `validate` reports the same date as
    /// `rule/expired`; `stale` lists it with the other reasons a flag is due for removal.
    ///
    /// Fix: retire the flag (`flagctl retire`) once the code no longer reads it, or move `expires`
    /// with a reason in the commit.
    #[strum(message = "a flag is past its `expires` date")]
    Expired,
    /// `kinds:` in flagctl.yaml gives each kind of flag a lifetime (`release: 40d`; `permanent` for
    /// kill switches and permissions). The flag's age is read from git: the commit that added its
    /// first file, in any environment. A release or experiment flag that outlives its kind has
    /// usually done its job. Without a lifetime for the flag's kind, its age is not judged.
    ///
    /// Fix: retire the flag, or change its `kind` if it was never meant to go (an `ops` kill switch).
    #[strum(message = "a flag is older than its kind's lifetime")]
    Lifetime,
    /// Every environment serves the same variant to every user (one variant at 100 %, a `serve:`
    /// that every rule agrees with, or a disabled flag serving its default), and no environment's
    /// file has changed for the lifetime of the flag's kind (`kinds:` in flagctl.yaml). The decision
    /// is made: the flag is now a constant in the code. Permanent kinds are never judged.
    ///
    /// Fix: make the served value the code's own, then retire the flag.
    #[strum(
        message = "a flag serves one variant to everyone, everywhere, unchanged for its lifetime"
    )]
    RolledOut,
    /// The flag's lifecycle is `deprecated`, yet the environment still serves it (`enabled: true`):
    /// code may keep depending on a flag that is on its way out.
    ///
    /// Fix: disable it there (`flagctl toggle FLAG --env ENV off`) and retire it, or move it back if
    /// it is still needed.
    #[strum(message = "a deprecated flag is still enabled in an environment")]
    DeprecatedServed,
    /// With `--code DIR`, flagctl searches the code (in parallel, skipping what `.gitignore`,
    /// `.ignore` and hidden folders exclude, never following links) for each flag's name as a whole
    /// word. A flag no code reads serves nobody: it can be retired. The flag repository's own files
    /// (flags, segments, templates, flag tests, flagctl.yaml) do not count as references.
    ///
    /// Fix: retire the flag, or search the folder that does read it.
    #[strum(message = "no file of the searched code mentions the flag")]
    Unreferenced,
    /// Lifetimes are judged on ages read from git. Outside git, or in a shallow clone whose history
    /// starts after the flag was added, a flag's age is unknown: it is not reported as past its
    /// lifetime or as unchanged (a shallow clone still reports flags whose known age already exceeds
    /// the lifetime). Run in a full clone (`git fetch --unshallow`).
    #[strum(message = "flag ages could not be read from git")]
    AgeUnknown,
}

impl crate::finding::Codes for Code {
    fn severity(self) -> Severity {
        match self {
            Code::AgeUnknown => Severity::Info,
            _ => Severity::Warning,
        }
    }
}

impl Code {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    fn finding(self, message: String) -> Finding {
        Finding::of(self, message)
    }
}

/// When a flag was born and last changed, from git.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Life {
    /// The commit that added its first file, in any environment.
    pub born: Timestamp,
    /// The last commit that changed one of its files.
    pub changed: Timestamp,
    /// The flag was already there where a shallow clone's history starts: `born` is a bound.
    pub born_before_history: bool,
}

/// What git tells about the flags' lives.
#[derive(Debug, Default)]
pub struct Lives {
    pub flags: HashMap<String, Life>,
    /// There is no history (not a git repository, or no commit).
    pub no_history: bool,
}

impl Lives {
    /// The lives of the flags in one walk of the history (oldest first); `shallow`: the walk
    /// starts at the edge of a shallow clone.
    pub fn of(entries: &[Entry], shallow: bool) -> Lives {
        let mut flags: HashMap<String, Life> = HashMap::new();
        for entry in entries {
            let time = entry.commit.time;
            let edge = shallow && entry.commit.position == 0;
            for change in &entry.changes {
                let life = flags.entry(change.flag.clone()).or_insert(Life {
                    born: time,
                    changed: time,
                    born_before_history: edge,
                });
                // Oldest first: the last change seen is the newest.
                life.changed = time;
            }
        }
        Lives {
            flags,
            no_history: false,
        }
    }

    /// Outside git: nothing is known.
    pub fn unknown() -> Lives {
        Lives {
            flags: HashMap::new(),
            no_history: true,
        }
    }
}

/// One flag found stale, for listings.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StaleFlag {
    pub flag: String,
    pub kind: &'static str,
    pub owner: Option<String>,
    pub born: Option<String>,
    pub changed: Option<String>,
    /// Days since it was born.
    pub age_days: Option<i64>,
    pub codes: Vec<&'static str>,
    /// With `--code`: how often the code mentions it, and where first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub references: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_reference: Option<references::Location>,
}

/// What `stale` found: a finding per reason, and the flags with their reasons.
#[derive(Debug, Default)]
pub struct Staleness {
    pub findings: Vec<Finding>,
    pub flags: Vec<StaleFlag>,
}

impl Staleness {
    /// Everything to report: what loading `inventory` found, then the staleness findings, in
    /// report order.
    pub fn findings_with(&self, inventory: &Inventory) -> Vec<Finding> {
        let mut findings = inventory.findings.clone();
        findings.extend(self.findings.iter().cloned());
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        findings
    }
}

/// The columns of the stale listing; `searched`: the code was searched (`--code`).
pub fn columns(searched: bool) -> Vec<&'static str> {
    let mut columns = vec!["FLAG", "KIND", "OWNER", "ADDED", "CHANGED", "STALE"];
    if searched {
        columns.extend(["REFS", "FIRST REFERENCE"]);
    }
    columns
}

impl StaleFlag {
    /// The flag's row of the stale listing, under `columns(searched)`.
    pub fn cells(&self, searched: bool) -> Vec<String> {
        let mut row = vec![
            self.flag.clone(),
            self.kind.to_owned(),
            self.owner.clone().unwrap_or_default(),
            self.born.clone().unwrap_or_else(|| "?".to_owned()),
            self.changed.clone().unwrap_or_else(|| "?".to_owned()),
            self.codes
                .iter()
                .map(|c| c.trim_start_matches("stale/"))
                .collect::<Vec<_>>()
                .join(","),
        ];
        if searched {
            row.push(self.references.unwrap_or_default().to_string());
            row.push(
                self.first_reference
                    .as_ref()
                    .map(|l| format!("{}:{}:{}", l.path, l.line, l.column))
                    .unwrap_or_default(),
            );
        }
        row
    }
}

/// A flag's files across the chain, upstream first.
pub struct Chain<'a> {
    pub name: &'a str,
    pub files: Vec<(&'a FlagFile, &'a Traits)>,
}

/// Each flag of `inventory` (loaded with traits) with its files in chain order.
pub fn chains<'a>(config: &Config, inventory: &'a Inventory) -> Vec<Chain<'a>> {
    let order = |env: &str| config.environments.iter().position(|e| e.name == env);
    let mut by_name: std::collections::BTreeMap<&str, Vec<(&FlagFile, &Traits)>> =
        std::collections::BTreeMap::new();
    for file in &inventory.flags {
        if let Some(traits) = &file.digest.traits {
            let files = by_name.entry(file.name()).or_default();
            // A second file of one name in one environment is a duplicate-name finding elsewhere.
            if !files.iter().any(|(f, _)| f.env == file.env) {
                files.push((file, &**traits));
            }
        }
    }
    by_name
        .into_iter()
        .map(|(name, mut files)| {
            files.sort_by_key(|(f, _)| order(&f.env));
            Chain { name, files }
        })
        .collect()
}

/// How often the code under `roots` mentions each flag of `inventory`, by flag name. The flag
/// repository's own files name every flag; they are not the code, and are left out.
pub fn mentions(
    repo: &Repository,
    inventory: &Inventory,
    roots: &[PathBuf],
) -> Result<HashMap<String, references::References>, references::SearchError> {
    let config = &repo.config;
    let skip: Vec<PathBuf> = [
        config.flags_dir.clone(),
        PathBuf::from(crate::repo::SEGMENTS_DIR),
        PathBuf::from("templates"),
        config.tests_dir.clone(),
        PathBuf::from(crate::config::CONFIG_FILE),
    ]
    .iter()
    .map(|p| repo.root.join(p))
    .collect();
    let names: Vec<&str> = chains(config, inventory).iter().map(|c| c.name).collect();
    let found = references::search(roots, &skip, &repo.root, &names)?;
    Ok(names.iter().map(|n| (*n).to_owned()).zip(found).collect())
}

/// The lifetime of `kind` in flagctl.yaml's `kinds:`, if it gives one.
pub fn lifetime(config: &Config, kind: Kind) -> Option<Lifetime> {
    config
        .kinds
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, lifetime)| *lifetime)
}

/// Judges every flag of `inventory` (loaded with traits). With `mentions` (from
/// `references::search`, by flag name), flags the code never mentions are stale too, and every
/// flag is listed with its count.
pub fn judge(
    config: &Config,
    inventory: &Inventory,
    lives: &Lives,
    mentions: Option<&HashMap<String, references::References>>,
    now: Timestamp,
) -> Staleness {
    let envs = config.environment_names();
    let mut out = Staleness::default();
    let mut ages_unknown = false;
    for chain in chains(config, inventory) {
        let Some(&(_, traits)) = chain.files.first() else {
            continue;
        };
        let life = lives.flags.get(chain.name);
        let mut verdict = Verdict::default();
        expired(&chain, now, &mut verdict);
        if let Some(Lifetime::Limited(limit)) = lifetime(config, traits.kind) {
            match life {
                Some(life) => {
                    past_lifetime(&chain, traits, life, limit, now, &mut verdict);
                    rolled_out(&chain, traits, &envs, life, limit, now, &mut verdict);
                }
                // A flag git does not know yet is new (uncommitted); outside git, unknown.
                None => verdict.age_unknown = lives.no_history,
            }
        }
        deprecated_served(&chain, &mut verdict);
        let refs = mentions.map(|m| m.get(chain.name).cloned().unwrap_or_default());
        if let Some(refs) = refs.as_ref().filter(|r| r.count == 0) {
            debug_assert!(refs.first.is_none());
            unreferenced(&chain, &mut verdict);
        }
        ages_unknown |= verdict.age_unknown;
        if !verdict.codes.is_empty() || refs.is_some() {
            out.flags.push(StaleFlag {
                flag: chain.name.to_owned(),
                kind: traits.kind.as_str(),
                owner: traits.owner.clone(),
                born: life.map(|l| l.born.strftime("%Y-%m-%d").to_string()),
                changed: life.map(|l| l.changed.strftime("%Y-%m-%d").to_string()),
                age_days: life.map(|l| now.duration_since(l.born).as_secs().max(0) / 86_400),
                codes: verdict.codes.iter().map(|c| c.as_str()).collect(),
                references: refs.as_ref().map(|r| r.count),
                first_reference: refs.and_then(|r| r.first),
            });
        }
        out.findings.extend(verdict.found);
    }
    if ages_unknown {
        let why = if lives.no_history {
            "the repository has no git history"
        } else {
            "the clone is shallow and its history starts after some flags were added"
        };
        out.findings.push(Code::AgeUnknown.finding(format!(
            "flag ages are unknown: {why}; lifetimes are not judged where the age is unknown"
        )).help("run in a full clone (git fetch --unshallow)"));
    }
    // `stale/unreferenced` is judged only where the code was searched.
    config.silence(&mut out.findings, |code| {
        code.starts_with("stale/")
            && (mentions.is_some() || code != <&str>::from(Code::Unreferenced))
    });
    out
}

/// What the checks found of one flag: each code once, every finding, and whether its age (needed
/// by a check) was unknown.
#[derive(Default)]
struct Verdict {
    codes: Vec<Code>,
    found: Vec<Finding>,
    age_unknown: bool,
}

impl Verdict {
    fn add(&mut self, code: Code, finding: Finding) {
        if !self.codes.contains(&code) {
            self.codes.push(code);
        }
        self.found.push(finding);
    }
}

impl Chain<'_> {
    /// `finding` placed at the flag's name in its first (most upstream) file.
    fn at_name(&self, finding: Finding) -> Finding {
        match self.files.first() {
            Some((file, _)) => finding
                .at(Arc::clone(&file.path), file.digest.name_pos)
                .in_flag(Some(self.name), Some(&file.env)),
            None => finding,
        }
    }
}

/// Past `expires`, in the first environment (upstream first) whose date has passed.
fn expired(chain: &Chain, now: Timestamp, verdict: &mut Verdict) {
    let name = chain.name;
    let expired = chain.files.iter().find_map(|(file, t)| {
        let expires = t.expires.as_ref()?;
        let date = Date::parse(&expires.value)?;
        date.is_past(now).then_some((file, expires, date))
    });
    if let Some((file, expires, date)) = expired {
        verdict.add(
            Code::Expired,
            Code::Expired
                .finding(format!("\"{name}\" expired on {date}"))
                .at(Arc::clone(&file.path), expires.pos)
                .in_flag(Some(name), Some(&file.env))
                .help(format!(
                    "retire it (flagctl retire {name}) once the code no longer reads it, or move `expires` with a reason"
                )),
        );
    }
}

/// Older than its kind's lifetime, counted from the first commit of the flag (`traits`: those of
/// its most upstream file, whose kind `judge` took the lifetime from).
fn past_lifetime(
    chain: &Chain,
    traits: &Traits,
    life: &Life,
    limit: SignedDuration,
    now: Timestamp,
    verdict: &mut Verdict,
) {
    let name = chain.name;
    let age = now.duration_since(life.born).max(SignedDuration::ZERO);
    if age <= limit {
        verdict.age_unknown |= life.born_before_history;
        return;
    }
    let bound = if life.born_before_history {
        "at least "
    } else {
        ""
    };
    let mut finding = chain
        .at_name(Code::Lifetime.finding(format!(
            "{} flag \"{name}\" is {bound}{} old (added {}), past the {} lifetime of {}",
            traits.kind,
            days(age),
            life.born.strftime("%Y-%m-%d"),
            traits.kind,
            days(limit)
        )))
        .help(format!(
            "retire it (flagctl retire {name}), or give it a kind that lives longer"
        ));
    finding.set_age(age);
    verdict.add(Code::Lifetime, finding);
}

/// Served the same to everyone in every environment, and untouched for the kind's lifetime
/// (`traits`: those of its most upstream file, as for `past_lifetime`).
fn rolled_out(
    chain: &Chain,
    traits: &Traits,
    envs: &[&str],
    life: &Life,
    limit: SignedDuration,
    now: Timestamp,
    verdict: &mut Verdict,
) {
    let name = chain.name;
    let everywhere = envs
        .iter()
        .all(|env| chain.files.iter().any(|(f, _)| f.env == *env));
    let served: Vec<Option<&str>> = chain
        .files
        .iter()
        .map(|(_, t)| t.everyone.as_deref())
        .collect();
    let Some(variant) = served.first().copied().flatten() else {
        return;
    };
    let unchanged = now.duration_since(life.changed);
    if !everywhere || !served.iter().all(|s| *s == Some(variant)) || unchanged <= limit {
        return;
    }
    verdict.add(
        Code::RolledOut,
        chain
            .at_name(Code::RolledOut.finding(format!(
                "\"{name}\" serves \"{variant}\" to everyone in every environment and has not changed for {} (the {} lifetime is {})",
                days(unchanged),
                traits.kind,
                days(limit)
            )))
            .with("serves", variant.into())
            .help(format!(
                "make \"{variant}\" the code's own behaviour, then retire the flag (flagctl retire {name})"
            )),
    );
}

/// Deprecated, yet enabled somewhere: one finding per such environment.
fn deprecated_served(chain: &Chain, verdict: &mut Verdict) {
    let name = chain.name;
    for (file, t) in &chain.files {
        let deprecated = t
            .lifecycle
            .as_ref()
            .filter(|l| l.value == Lifecycle::Deprecated);
        if let (Some(lifecycle), Some(true)) = (deprecated, t.enabled) {
            verdict.add(
                Code::DeprecatedServed,
                Code::DeprecatedServed
                    .finding(format!(
                        "\"{name}\" is deprecated but still enabled in {}",
                        file.env
                    ))
                    .at(Arc::clone(&file.path), lifecycle.pos)
                    .in_flag(Some(name), Some(&file.env))
                    .help(format!(
                        "disable it there (flagctl toggle {name} --env {} off), then retire it",
                        file.env
                    )),
            );
        }
    }
}

/// Mentioned by no file of the searched code.
fn unreferenced(chain: &Chain, verdict: &mut Verdict) {
    let name = chain.name;
    verdict.add(
        Code::Unreferenced,
        chain
            .at_name(Code::Unreferenced.finding(format!(
                "no file of the searched code mentions \"{name}\""
            )))
            .with("references", 0.into())
            .help(format!(
                "retire it (flagctl retire {name}) if nothing reads it, or search the code that does"
            )),
    );
}

/// `52d`, or `5h` under two days.
fn days(age: SignedDuration) -> String {
    let hours = age.as_secs().max(0) / 3600;
    if hours < 48 {
        format!("{hours}h")
    } else {
        format!("{}d", hours / 24)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_named_in_kebab_case() {
        assert_eq!(Code::RolledOut.as_str(), "stale/rolled-out");
        assert_eq!(Code::DeprecatedServed.as_str(), "stale/deprecated-served");
    }

    #[test]
    fn ages_read_in_days() {
        assert_eq!(days(SignedDuration::from_hours(5)), "5h");
        assert_eq!(days(SignedDuration::from_hours(24 * 52 + 3)), "52d");
    }
}
