//! The audit of flag history (`flagctl audit`, SPEC §7): who changed which flags, with what
//! reason and approvals, and which changes still wait for a review.

use crate::config::{CONFIG_FILE, Config, ConfigError};
use crate::finding::{Finding, Severity};
use crate::gate::policy_findings;
use crate::git::{Git, GitError};
use crate::history::Entry;
use crate::time::Date;

/// The codes of the audit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "audit/")]
pub enum Code {
    /// A commit with the `Flagctl-Break-Glass: true` trailer passes the gate without the approvals
    /// its environment asks for, so that an outage can be fixed at once. The review is owed
    /// afterwards: the audit reports the change until a later commit to the same flag and
    /// environment carries the approvals (`Approved-by:` trailers) the environment needs, at least
    /// one.
    #[strum(message = "a break-glass change has not been approved since")]
    BreakGlass,
    /// Each commit is judged by the policy in force when it was made: the `flagctl.yaml` of that
    /// commit, not today's (a policy added later does not condemn older commits, and relaxing it
    /// later does not excuse them). Where that file could not be read as a configuration, the
    /// commits made under it cannot be judged against `require_reason` or `approvals`; the audit
    /// says so once for each such version of the file, at the place the file was wrong.
    #[strum(message = "the flagctl.yaml a commit was made under is invalid")]
    PolicyUnreadable,
}

impl crate::finding::Codes for Code {
    fn severity(self) -> Severity {
        match self {
            Code::BreakGlass | Code::PolicyUnreadable => Severity::Warning,
        }
    }
}

/// The findings of `entries` (a stretch of history, oldest first): each commit's breaches of the
/// policy its own `flagctl.yaml` set, and each break-glass change that no approved change
/// followed.
pub fn findings(git: &Git, entries: &[&Entry]) -> Result<Vec<Finding>, GitError> {
    let mut findings = Vec::new();
    let mut policies = Policies::default();
    for (i, entry) in entries.iter().enumerate() {
        let config = policies.at(git, &entry.commit.id, &mut findings)?;
        policy_findings(config, entry, &mut findings);
        if is_break_glass(entry) && !approved_later(entry, &entries[i + 1..], config) {
            for change in &entry.changes {
                findings.push(
                    Finding::of(
                        Code::BreakGlass,
                        format!(
                            "break-glass change {} (\"{}\") to {} has not been approved since",
                            &entry.commit.id[..12],
                            entry.commit.subject,
                            change.env
                        ),
                    )
                    .in_flag(Some(&change.flag), Some(&change.env))
                    .with("commit", entry.commit.id.clone().into())
                    .help("have the change reviewed: a later commit to the flag with Approved-by trailers closes it"),
                );
            }
        }
    }
    Ok(findings)
}

/// The policy of each commit, read from its `flagctl.yaml` and parsed once for each version of
/// that file in a row (it seldom changes, and history is long).
#[derive(Default)]
struct Policies {
    /// The bytes last read (`Some(None)`: no file), and what they said.
    read: Option<Option<Vec<u8>>>,
    config: Config,
}

impl Policies {
    fn at(
        &mut self,
        git: &Git,
        commit: &str,
        findings: &mut Vec<Finding>,
    ) -> Result<&Config, GitError> {
        let bytes = git.file_at(commit, CONFIG_FILE)?;
        if self.read.as_ref() != Some(&bytes) {
            self.config = match &bytes {
                None => Config::default(),
                Some(b) => {
                    Config::parse(std::path::Path::new(CONFIG_FILE), b).unwrap_or_else(|e| {
                        findings.push(unreadable(commit, &e));
                        Config::default()
                    })
                }
            };
            self.read = Some(bytes);
        }
        Ok(&self.config)
    }
}

/// About a file as it was, not as it is: the position goes in the message, so that no reporter
/// shows today's line under it.
fn unreadable(commit: &str, error: &ConfigError) -> Finding {
    let mut finding = Finding::of(
        Code::PolicyUnreadable,
        format!(
            "the flagctl.yaml of commit {} is invalid ({error}), so the commits made under it are not judged against its policy",
            &commit[..commit.len().min(12)]
        ),
    )
    .with("commit", commit.to_owned().into())
    .help("the file is as it was then; this says only that those commits' reasons and approvals were not checked");
    finding.path = Some(CONFIG_FILE.into());
    finding
}

/// Whether the commit carries `Flagctl-Break-Glass: true`.
pub fn is_break_glass(entry: &Entry) -> bool {
    entry
        .trailer("Flagctl-Break-Glass")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Whether a later commit to the same flags and environments carries the approvals they need.
fn approved_later(entry: &Entry, later: &[&Entry], config: &Config) -> bool {
    entry.changes.iter().all(|change| {
        let needed = config
            .environment(&change.env)
            .map_or(0, |e| e.approvals as usize)
            .max(1);
        later.iter().any(|l| {
            l.approvals().len() >= needed
                && l.changes
                    .iter()
                    .any(|c| c.flag == change.flag && c.env == change.env)
        })
    })
}

/// The stretch of history an audit covers: after a commit or from a date (`--since REV|DATE`),
/// and changes to one environment or all (`--env`).
#[derive(Debug, Default)]
pub struct Scope {
    /// Only commits after this one (a full id); the walk starts there.
    pub after: Option<String>,
    /// Only commits on and after this day.
    pub from: Option<Date>,
    pub env: Option<String>,
}

impl Scope {
    /// `since` read as a date (YYYY-MM-DD) if it is one, else as a revision of `git`.
    pub fn new(git: &Git, since: Option<&str>, env: Option<String>) -> Result<Scope, GitError> {
        let (after, from) = match since {
            None => (None, None),
            Some(text) => match Date::parse(text) {
                Some(date) => (None, Some(date)),
                None => (Some(git.resolve(text)?.id), None),
            },
        };
        Ok(Scope { after, from, env })
    }

    /// Whether the commit of `entry` is in the audit.
    pub fn admits(&self, entry: &Entry) -> bool {
        self.from.is_none_or(|d| entry.commit.time >= d.start())
            && self
                .env
                .as_ref()
                .is_none_or(|env| entry.changes.iter().any(|c| &c.env == env))
    }

    /// Whether `finding` concerns the environment audited.
    pub fn keeps(&self, finding: &Finding) -> bool {
        self.env
            .as_ref()
            .is_none_or(|env| finding.env.as_deref() == Some(env.as_str()))
    }
}

/// The columns of the audit listing, one row a commit (`row`).
pub const COLUMNS: [&str; 7] = [
    "DATE",
    "COMMIT",
    "AUTHOR",
    "ENV",
    "FLAGS",
    "REASON",
    "APPROVALS",
];

/// The audit listing's row of `entry`: when, who, where, what, why and with which approvals.
pub fn row(entry: &Entry) -> Vec<String> {
    let envs: Vec<&str> = dedup(entry.changes.iter().map(|c| c.env.as_str()));
    let flags: Vec<&str> = dedup(entry.changes.iter().map(|c| c.flag.as_str()));
    let approvals = entry.approvals();
    vec![
        entry.commit.time.strftime("%Y-%m-%d %H:%M").to_string(),
        entry.commit.id[..12].to_owned(),
        entry.commit.author.clone(),
        envs.join(","),
        if flags.len() > 3 {
            format!("{} and {} more", flags[..2].join(", "), flags.len() - 2)
        } else {
            flags.join(", ")
        },
        entry
            .trailer("Flagctl-Reason")
            .unwrap_or_default()
            .to_owned(),
        if is_break_glass(entry) {
            format!("{} + break-glass", approvals.len())
        } else {
            approvals.len().to_string()
        },
    ]
}

/// `items` without repeats, in the order first seen.
fn dedup<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}
