//! The merge gate (`flagctl check --base REV`, SPEC §7): what changed since the base must be
//! versioned as much as it needs, move lifecycles only forward, and meet the base's policy.

use std::collections::BTreeMap;

use crate::change::bump;
use crate::config::Config;
use crate::finding::{Finding, Severity};
use crate::git::{Git, GitError};
use crate::history::{self, Entry};
use crate::model::Lifecycle;
use crate::repo::{Repository, parse_bytes};
use crate::yaml::{Node, Pos};

/// The codes of the merge gate.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "check/")]
pub enum Code {
    /// Judged on the net change since the base: a changed type, a removed or renamed variant, a changed
    /// variant value or default, or a narrowed `requires` need a major bump; an added variant or a
    /// widened `requires` a minor one; metadata a patch; state alone none. `flagctl bump FLAG --env E`
    /// sets the version the change needs.
    #[strum(message = "a flag changed more than its version bump says")]
    BumpNeeded,
    /// Versions only grow: environments compare them to know what to promote. The one exception is a
    /// `flagctl rollback` commit restoring a file exactly as it was at an earlier commit.
    #[strum(message = "a flag's version went down")]
    VersionDecrease,
    /// Lifecycles move forward only: draft → pending → approved → deprecated.
    #[strum(message = "a lifecycle moved backwards")]
    LifecycleBackwards,
    /// The environment has `require_reason: true` (in the base's flagctl.yaml, so a change cannot relax
    /// its own gate): every commit touching its flags needs a `Flagctl-Reason:` trailer, which
    /// flagctl's writing commands add from `--reason`.
    #[strum(message = "a commit changes an environment that requires a reason, without one")]
    ReasonMissing,
    /// The environment has `approvals: N`: every commit touching its flags needs N `Approved-by:`
    /// trailers with distinct emails other than the author's (a squash merge writes them). A commit
    /// with `Flagctl-Break-Glass: true` passes, and `flagctl audit` reports it until approved.
    #[strum(message = "a commit lacks the approvals its environment asks for")]
    ApprovalsMissing,
}

impl crate::finding::Codes for Code {
    fn severity(self) -> Severity {
        match self {
            Code::BumpNeeded
            | Code::VersionDecrease
            | Code::LifecycleBackwards
            | Code::ReasonMissing
            | Code::ApprovalsMissing => Severity::Error,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error(
        "the base {rev:?} is not an ancestor of HEAD (a stale or unrelated base): rebase onto it, or pass the merge base (git merge-base HEAD {rev})"
    )]
    NotAncestor { rev: String },
    #[error("the base's flagctl.yaml is invalid, so its policy cannot be read: {0}")]
    BaseConfig(String),
    #[error(transparent)]
    Git(#[from] GitError),
}

/// What the gate found: the commits since the base (oldest first), the findings of its own
/// rules, and the base's configuration, whose policy and suppressions (`ignore:`) judge the
/// change (a change cannot relax its own gate, nor silence it).
pub struct Verdict {
    pub entries: Vec<Entry>,
    pub findings: Vec<Finding>,
    pub policy: Config,
}

/// Judges the change since `base`.
pub fn check(repo: &Repository, git: &Git, base: &str) -> Result<Verdict, GateError> {
    let base_commit = match git.resolve(base) {
        Ok(commit) => commit,
        Err(e) => {
            git.whole_history(&format!("the base {base:?} is not in this clone"))?;
            return Err(e.into());
        }
    };
    if !git.head_contains(&base_commit.id)? {
        return Err(GateError::NotAncestor {
            rev: base.to_owned(),
        });
    }
    let policy = match git.file_at(&base_commit.id, crate::config::CONFIG_FILE)? {
        Some(bytes) => Config::parse(std::path::Path::new(crate::config::CONFIG_FILE), &bytes)
            .map_err(|e| GateError::BaseConfig(e.to_string()))?,
        None => Config::default(),
    };
    let flags_dir = repo.flags_path();
    let entries = history::walk(git, &flags_dir, Some(&base_commit.id), &|_| {})?;
    let mut findings = Vec::new();

    // Net change per file since the base: where it was at the base (`None`: new since).
    let mut touched: BTreeMap<String, Touched> = BTreeMap::new();
    for entry in &entries {
        let rollback = entry.trailer("Flagctl-Rolled-Back-To").is_some()
            || entry
                .trailer("Flagctl-Command")
                .is_some_and(|c| c.starts_with("rollback "));
        for change in &entry.changes {
            let before = change
                .old_path
                .clone()
                .unwrap_or_else(|| change.path.clone());
            let earlier = touched.remove(&before);
            let origin = match &earlier {
                Some(t) => t.origin.clone(),
                None if change.kind == history::ChangeKind::Created => None,
                None => Some(before),
            };
            let rollback = rollback || earlier.is_some_and(|t| t.rollback);
            touched.insert(
                change.path.clone(),
                Touched {
                    env: change.env.clone(),
                    origin,
                    rollback,
                },
            );
        }
        policy_findings(&policy, entry, &mut findings);
    }
    for (
        path,
        Touched {
            env,
            origin,
            rollback,
        },
    ) in &touched
    {
        let old = match origin {
            Some(origin) => git.file_at(&base_commit.id, origin)?,
            None => None,
        };
        // Read as every flag file is: a link to an endless file must not hang the gate.
        let new = crate::paths::read_limited(
            &repo.root.join(path),
            "a flag file",
            crate::repo::MAX_FILE_BYTES,
        )
        .ok();
        let (Some(old), Some(new)) = (old, new) else {
            continue;
        };
        let (Ok(old_doc), Ok(new_doc)) = (parse_bytes(path, &old), parse_bytes(path, &new)) else {
            continue;
        };
        let rolled_back_to_history = *rollback && in_history(git, path, &new)?;
        net_change_findings(
            path,
            env,
            &old_doc.root,
            &new_doc.root,
            rolled_back_to_history,
            &mut findings,
        );
    }
    Ok(Verdict {
        entries,
        findings,
        policy,
    })
}

/// A flag file changed since the base.
struct Touched {
    env: String,
    /// Its path at the base (`None`: created since).
    origin: Option<String>,
    /// Whether a rollback commit changed it.
    rollback: bool,
}

/// Whether `bytes` is exactly what `path` held before: at least two commits of its history set
/// these bytes (the rollback that restored them, and the one it restored).
fn in_history(git: &Git, path: &str, bytes: &[u8]) -> Result<bool, GitError> {
    let mut seen = 0;
    for commit in git.history_of(path)? {
        if git.file_at(&commit.id, path)?.as_deref() == Some(bytes) {
            seen += 1;
            if seen == 2 {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn net_change_findings(
    path: &str,
    env: &str,
    old: &Node,
    new: &Node,
    rollback: bool,
    out: &mut Vec<Finding>,
) {
    let flag = new
        .get("name")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_owned();
    let version_pos = new.get("version").map_or(Pos::START, |v| v.pos);
    let at = |f: Finding, pos: Pos| f.at(path, pos).in_flag(Some(&flag), Some(env));
    if let (Some(before), Some(after)) = (bump::version(old), bump::version(new))
        && after < before
    {
        if !rollback {
            out.push(
                at(
                    Finding::of(
                        Code::VersionDecrease,
                        format!("version went down from {before} to {after}"),
                    ),
                    version_pos,
                )
                .help(
                    "versions only grow; to undo a change, use `flagctl rollback` or bump past it",
                ),
            );
        }
    } else if let Some(short) = bump::shortfall(old, new) {
        out.push(
            at(
                Finding::of(
                    Code::BumpNeeded,
                    format!(
                        "this change needs a {} bump ({}), but the version went from {} to {}",
                        short.needed,
                        short.reasons.join("; "),
                        short.before,
                        short.after
                    ),
                ),
                version_pos,
            )
            .help(format!(
                "set version {}: flagctl bump {flag} --env {env}",
                short.target
            )),
        );
    }
    let lifecycle = |node: &Node| {
        node.get("lifecycle")
            .and_then(Node::as_str)
            .and_then(Lifecycle::parse)
    };
    if let (Some(before), Some(after)) = (lifecycle(old), lifecycle(new)) {
        if after < before {
            let pos = new.get("lifecycle").map_or(Pos::START, |l| l.pos);
            out.push(
                at(
                    Finding::of(
                        Code::LifecycleBackwards,
                        format!("lifecycle moved back from {before} to {after}"),
                    ),
                    pos,
                )
                .help("lifecycles move forward only: draft → pending → approved → deprecated"),
            );
        }
    }
}

/// Findings for a commit that breaks its environments' `require_reason` or `approvals`.
pub fn policy_findings(policy: &Config, entry: &Entry, out: &mut Vec<Finding>) {
    let mut envs: Vec<(&str, &str, &str)> = Vec::new();
    for change in &entry.changes {
        if !envs.iter().any(|(e, _, _)| *e == change.env) {
            envs.push((&change.env, &change.path, &change.flag));
        }
    }
    let short = &entry.commit.id[..entry.commit.id.len().min(12)];
    for (env, path, flag) in envs {
        let Some(rules) = policy.environment(env) else {
            continue;
        };
        // About a commit, not a line: the path says which file brought the environment in.
        let f = |mut f: Finding| {
            f.path = Some(path.into());
            f.in_flag(Some(flag), Some(env))
                .with("commit", entry.commit.id.clone().into())
        };
        if rules.require_reason
            && entry
                .trailer("Flagctl-Reason")
                .is_none_or(|r| r.trim().is_empty())
        {
            out.push(
                f(Finding::of(Code::ReasonMissing,
                    format!("commit {short} (\"{}\") changes {env} without a Flagctl-Reason trailer", entry.commit.subject),
                ))
                .help("flagctl's writing commands take --reason; or add `Flagctl-Reason: …` to the commit message"),
            );
        }
        let approvals = entry.approvals().len();
        let break_glass = entry
            .trailer("Flagctl-Break-Glass")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if approvals < rules.approvals as usize && !break_glass {
            out.push(
                f(Finding::of(Code::ApprovalsMissing,
                    format!(
                        "commit {short} (\"{}\") changes {env} with {approvals} of the {} approvals it needs",
                        entry.commit.subject, rules.approvals
                    ),
                ))
                .help("add `Approved-by: Name <email>` trailers from reviewers other than the author (a squash merge can write them)"),
            );
        }
    }
}
