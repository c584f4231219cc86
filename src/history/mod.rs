//! Git history read as flag changes: one walk of the commit graph yields, per commit, the flag
//! files it changed and how. `log`, `audit`, `events` and `check` all read it.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::git::{CommitInfo, FileDelta, Git, GitError, WalkedCommit};
use crate::inventory::{Category, FlagFile, Inventory, category};
use crate::repo::{RepoError, Repository, parse_bytes};
use crate::yaml::Node;

/// Reading a flag's history failed.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{path} never held version {version} in its history")]
    NeverHeld { path: String, version: String },
    #[error("{path} did not exist at {rev}")]
    Absent { path: String, rev: String },
    #[error("\"{flag}\" in {env} has no state matching {at:?} in its history")]
    NoState {
        flag: String,
        env: String,
        at: String,
    },
    #[error("\"{flag}\" had been deleted from {env} at {at} (commit {commit})")]
    Deleted {
        flag: String,
        env: String,
        at: String,
        commit: String,
    },
    #[error("{path} is missing from commit {commit}")]
    Missing { path: String, commit: String },
}

/// How a commit changed one flag file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
    Renamed,
}

/// A value before and after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition<T> {
    pub from: Option<T>,
    pub to: Option<T>,
}

impl<T: PartialEq> Transition<T> {
    pub fn changed(&self) -> bool {
        self.from != self.to
    }
}

/// One flag file changed by one commit.
#[derive(Debug, Clone, Serialize)]
pub struct FlagChange {
    pub env: String,
    pub flag: String,
    pub path: String,
    /// Where the file was before a rename.
    pub old_path: Option<String>,
    pub kind: ChangeKind,
    pub version: Transition<String>,
    pub enabled: Transition<bool>,
    pub lifecycle: Transition<String>,
    /// Top-level fields whose values changed.
    pub fields: Vec<String>,
    /// A side that could not be parsed (reported; the walk goes on).
    pub unparsable: bool,
    /// A pure move within its environment (say into a group folder): renamed, byte for byte the
    /// same file.
    pub moved: bool,
}

impl FlagChange {
    /// `1.2.0 → 1.3.0, enabled → off`, `created at 0.1.0`, `moved from …`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        match self.kind {
            ChangeKind::Created => parts.push(format!(
                "created at {}",
                self.version.to.clone().unwrap_or_default()
            )),
            ChangeKind::Deleted => parts.push("deleted".to_owned()),
            ChangeKind::Renamed => parts.push(format!(
                "moved from {}",
                self.old_path.clone().unwrap_or_default()
            )),
            ChangeKind::Updated => {}
        }
        let kept = matches!(self.kind, ChangeKind::Updated | ChangeKind::Renamed);
        if kept && self.version.changed() {
            parts.push(format!(
                "{} → {}",
                self.version.from.as_deref().unwrap_or("?"),
                self.version.to.as_deref().unwrap_or("?")
            ));
        }
        if kept && self.enabled.changed() {
            let word = |b: Option<bool>| match b {
                Some(true) => "on",
                Some(false) => "off",
                None => "?",
            };
            parts.push(format!(
                "{} → {}",
                word(self.enabled.from),
                word(self.enabled.to)
            ));
        }
        if kept && self.lifecycle.changed() {
            parts.push(format!(
                "lifecycle {} → {}",
                self.lifecycle.from.as_deref().unwrap_or("?"),
                self.lifecycle.to.as_deref().unwrap_or("?")
            ));
        }
        let others: Vec<&str> = self
            .fields
            .iter()
            .map(String::as_str)
            .filter(|f| !matches!(*f, "version" | "enabled" | "lifecycle"))
            .collect();
        if kept && !others.is_empty() {
            parts.push(others.join(", "));
        }
        if self.unparsable {
            parts.push("(unparsable file)".to_owned());
        }
        parts.join("; ")
    }

    /// Whether only state fields changed.
    pub fn state_only(&self) -> bool {
        !self.fields.is_empty()
            && self
                .fields
                .iter()
                .all(|f| category(f) == Some(Category::State))
    }
}

/// A commit with the flag changes it made.
#[derive(Debug, Clone)]
pub struct Entry {
    pub commit: WalkedCommit,
    pub changes: Vec<FlagChange>,
}

impl Entry {
    pub fn trailer(&self, key: &str) -> Option<&str> {
        self.commit
            .trailers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Distinct `Approved-by:` emails other than the author's (a trailer without an email
    /// names nobody who can be told apart, so it does not count).
    pub fn approvals(&self) -> Vec<String> {
        let mut emails: Vec<String> = self
            .commit
            .trailers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("Approved-by"))
            .filter_map(|(_, v)| email_of(v))
            .filter(|e| !e.eq_ignore_ascii_case(&self.commit.email))
            .collect();
        emails.sort();
        emails.dedup();
        emails
    }
}

/// `Jane <jane@example.com>` or `jane@example.com` → `jane@example.com`.
fn email_of(value: &str) -> Option<String> {
    let email = match (value.find('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => value[a + 1..b].trim(),
        _ => value.trim(),
    };
    let (user, host) = email.split_once('@')?;
    (!user.is_empty() && !host.is_empty() && !email.contains(char::is_whitespace))
        .then(|| email.to_ascii_lowercase())
}

/// Reads the first-parent history of the flags folder once, oldest first: all of it, or the
/// commits after `since`.
pub fn walk(
    git: &Git,
    flags_dir: &str,
    since: Option<&str>,
    progress: &dyn Fn(u64),
) -> Result<Vec<Entry>, GitError> {
    let commits = git.walk(flags_dir, since, progress)?;
    Ok(entries(git, flags_dir, commits))
}

/// The history of the flag files at `paths`, newest first, following moves.
pub fn of_paths(git: &Git, flags_dir: &str, paths: &[String]) -> Result<Vec<Entry>, GitError> {
    let commits = git.path_history(paths)?;
    Ok(entries(git, flags_dir, commits))
}

/// The commits' changes as flag changes: each distinct blob read once and parsed once, in
/// parallel (a file's new side in one commit is its old side in the next).
fn entries(git: &Git, flags_dir: &str, commits: Vec<WalkedCommit>) -> Vec<Entry> {
    let mut ids: Vec<&str> = commits
        .iter()
        .flat_map(|c| &c.changes)
        .filter(|d| is_flag_path(flags_dir, d.new_path.as_ref().or(d.old_path.as_ref())))
        .flat_map(|d| [d.old.as_deref(), d.new.as_deref()])
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let blobs: Vec<(&str, Option<Vec<u8>>)> =
        ids.iter().map(|id| (*id, git.blob_bytes(id))).collect();
    let sides: HashMap<&str, Side> = blobs
        .par_iter()
        .map(|(id, bytes)| (*id, Side::read(bytes.as_deref())))
        .collect();
    let changes: Vec<Vec<FlagChange>> = commits
        .iter()
        .map(|c| {
            c.changes
                .iter()
                .filter_map(|d| flag_change(flags_dir, d, &sides))
                .collect()
        })
        .collect();
    commits
        .into_iter()
        .zip(changes)
        .map(|(mut commit, changes)| {
            commit.changes = Vec::new();
            Entry { commit, changes }
        })
        .collect()
}

fn is_flag_path(flags_dir: &str, path: Option<&String>) -> bool {
    path.is_some_and(|p| {
        (p.ends_with(".yaml") || p.ends_with(".yml")) && p.starts_with(&format!("{flags_dir}/"))
    })
}

/// What a change is judged by, from one side's file.
#[derive(Debug, Default)]
struct Side {
    name: Option<String>,
    version: Option<String>,
    lifecycle: Option<String>,
    enabled: Option<bool>,
    /// Fingerprint of each top-level field.
    fields: Vec<(String, u64)>,
    unparsable: bool,
}

impl Side {
    fn read(bytes: Option<&[u8]>) -> Side {
        let Some(bytes) = bytes else {
            return Side::default();
        };
        let Ok(parsed) = parse_bytes("", bytes) else {
            return Side {
                unparsable: true,
                ..Side::default()
            };
        };
        let root = parsed.root;
        let text = |key: &str| root.get(key).and_then(Node::as_str).map(str::to_owned);
        Side {
            name: text("name"),
            version: text("version"),
            lifecycle: text("lifecycle"),
            enabled: root.get("enabled").and_then(Node::as_bool),
            fields: root.entry_fingerprints(),
            unparsable: false,
        }
    }
}

fn flag_change(
    flags_dir: &str,
    delta: &FileDelta,
    sides: &HashMap<&str, Side>,
) -> Option<FlagChange> {
    let path = delta.new_path.as_ref().or(delta.old_path.as_ref())?.clone();
    if !is_flag_path(flags_dir, Some(&path)) {
        return None;
    }
    let env_of = |p: &str| {
        p.strip_prefix(&format!("{flags_dir}/"))
            .and_then(|rest| rest.split('/').next())
            .map(str::to_owned)
    };
    let env = env_of(&path)?;
    let empty = Side::default();
    let side = |id: &Option<String>| id.as_deref().and_then(|id| sides.get(id)).unwrap_or(&empty);
    let (old, new) = (side(&delta.old), side(&delta.new));
    let stem = std::path::Path::new(&path)
        .file_stem()?
        .to_string_lossy()
        .into_owned();
    let flag = new
        .name
        .clone()
        .or_else(|| old.name.clone())
        .unwrap_or(stem);
    let kind = match (&delta.old_path, &delta.new_path) {
        (None, Some(_)) => ChangeKind::Created,
        (Some(_), None) => ChangeKind::Deleted,
        (Some(a), Some(b)) if a != b => ChangeKind::Renamed,
        _ => ChangeKind::Updated,
    };
    let moved = kind == ChangeKind::Renamed
        && delta.old == delta.new
        && delta.old_path.as_deref().and_then(env_of).as_ref() == Some(&env);
    let mut fields: Vec<String> = Vec::new();
    for (key, _) in old.fields.iter().chain(&new.fields) {
        let before = old.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let after = new.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        if before != after && !fields.contains(key) {
            fields.push(key.clone());
        }
    }
    Some(FlagChange {
        env,
        flag,
        old_path: (kind == ChangeKind::Renamed)
            .then(|| delta.old_path.clone())
            .flatten(),
        path,
        kind,
        version: Transition {
            from: old.version.clone(),
            to: new.version.clone(),
        },
        enabled: Transition {
            from: old.enabled,
            to: new.enabled,
        },
        lifecycle: Transition {
            from: old.lifecycle.clone(),
            to: new.lifecycle.clone(),
        },
        fields,
        unparsable: old.unparsable || new.unparsable,
        moved,
    })
}

/// What each flag file held at the end of a walk, and since when: answers "since when has PATH
/// held VERSION?" (as `Git::held_since` does) from a walk already made, so that a command reading
/// the whole history does not walk it twice.
#[derive(Debug, Default)]
pub struct Holdings {
    files: HashMap<String, Held>,
    /// The walk starts at the edge of a shallow clone: what was there already has no known age.
    shallow: bool,
}

#[derive(Debug, Clone)]
struct Held {
    version: Option<String>,
    /// When the file appeared, and when it took its current version (commit time, position).
    exists: (jiff::Timestamp, usize),
    versioned: (jiff::Timestamp, usize),
}

impl Holdings {
    /// The holdings after `entries` (a whole walk, oldest first); `shallow`: the walk began at
    /// the edge of a shallow clone.
    pub fn of(entries: &[Entry], shallow: bool) -> Holdings {
        let mut files: HashMap<String, Held> = HashMap::new();
        for entry in entries {
            let at = (entry.commit.time, entry.commit.position);
            for change in &entry.changes {
                let before = match &change.old_path {
                    Some(old) => files.remove(old),
                    None => files.remove(&change.path),
                };
                if change.kind == ChangeKind::Deleted {
                    continue;
                }
                let held = match before {
                    Some(held) if held.version == change.version.to => held,
                    Some(held) => Held {
                        version: change.version.to.clone(),
                        versioned: at,
                        ..held
                    },
                    None => Held {
                        version: change.version.to.clone(),
                        exists: at,
                        versioned: at,
                    },
                };
                files.insert(change.path.clone(), held);
            }
        }
        Holdings { files, shallow }
    }

    /// Since when the committed file at `query.path` has held `query.version` (or existed).
    pub fn since(&self, query: &crate::git::HeldQuery) -> crate::git::Since {
        use crate::git::{Since, Unknown};
        let Some(held) = self.files.get(&*query.path) else {
            return Since::Unknown(Unknown::Uncommitted);
        };
        let (time, position) = match &query.version {
            None => held.exists,
            Some(version) if held.version.as_ref() == Some(version) => held.versioned,
            Some(_) => return Since::Unknown(Unknown::Uncommitted),
        };
        if self.shallow && position == 0 {
            Since::Unknown(Unknown::Shallow)
        } else {
            Since::Known(time)
        }
    }
}

/// One committed state of a flag file: a commit that touched it, and the file there.
#[derive(Debug)]
pub struct Revision {
    pub commit: CommitInfo,
    /// The file's bytes at the commit; `None` where the commit deleted it.
    pub bytes: Option<Vec<u8>>,
    /// The bytes parsed; `None` where absent or not readable as a flag.
    pub root: Option<Node>,
}

impl Revision {
    /// The `version` the file holds here, as written.
    pub fn version(&self) -> Option<&str> {
        self.root.as_ref()?.get("version")?.as_str()
    }
}

/// The states of the flag file at `path`, newest first, read one at a time as they are asked for
/// (`bump` stops at the first older version, `rollback` at the version it looks for).
pub fn revisions<'g>(
    git: &'g Git,
    path: &'g str,
) -> Result<impl Iterator<Item = Result<Revision, GitError>> + 'g, GitError> {
    Ok(git.history_of(path)?.into_iter().map(move |commit| {
        let bytes = git.file_at(&commit.id, path)?;
        let root = bytes
            .as_deref()
            .and_then(|b| parse_bytes(path, b).ok())
            .map(|p| p.root);
        Ok(Revision {
            commit,
            bytes,
            root,
        })
    }))
}

/// The flag file at `path` as it was at `to`, and the commit it was so at: `to` is a version
/// (`1.2.0`: the newest commit holding it) or a revision (a commit, tag, `HEAD~2`).
pub fn state_at(git: &Git, path: &str, to: &str) -> Result<(CommitInfo, Vec<u8>), HistoryError> {
    if semver::Version::parse(to).is_ok() {
        for revision in revisions(git, path)? {
            let revision = revision?;
            if revision.version() == Some(to) {
                if let Some(bytes) = revision.bytes {
                    return Ok((revision.commit, bytes));
                }
                break;
            }
        }
        return Err(HistoryError::NeverHeld {
            path: path.to_owned(),
            version: to.to_owned(),
        });
    }
    let commit = git.resolve(to)?;
    match git.file_at(&commit.id, path)? {
        Some(bytes) => Ok((commit, bytes)),
        None => Err(HistoryError::Absent {
            path: path.to_owned(),
            rev: to.to_owned(),
        }),
    }
}

/// Flag `flag` in `env` as it was at `at`, from its history `entries` (newest first, as
/// `of_flag` gives them): the commit that left it so, its change there, and the file's bytes.
/// `at` is a version (the newest commit holding it), a date (`YYYY-MM-DD`: the end of that day,
/// UTC; or RFC 3339), or a revision (the newest change it contains, by ancestry, not by clock).
pub fn flag_at<'e>(
    git: &Git,
    entries: &'e [Entry],
    flag: &str,
    env: &str,
    at: &str,
) -> Result<(&'e Entry, &'e FlagChange, Vec<u8>), HistoryError> {
    // Newest first: the file as each commit left it.
    let states: Vec<(&Entry, &FlagChange)> = entries
        .iter()
        .flat_map(|e| {
            e.changes
                .iter()
                .filter(|c| c.flag == flag && c.env == env)
                .map(move |c| (e, c))
        })
        .collect();
    let wanted = if semver::Version::parse(at).is_ok() {
        states
            .iter()
            .find(|(_, c)| c.version.to.as_deref() == Some(at))
    } else if let Some(instant) = instant(at) {
        states.iter().find(|(e, _)| e.commit.time <= instant)
    } else {
        let commit = git.resolve(at)?;
        let mut found = None;
        for state in &states {
            if git.contains(&commit.id, &state.0.commit.id)? {
                found = Some(state);
                break;
            }
        }
        found
    };
    let Some(&(entry, change)) = wanted else {
        return Err(HistoryError::NoState {
            flag: flag.to_owned(),
            env: env.to_owned(),
            at: at.to_owned(),
        });
    };
    if change.kind == ChangeKind::Deleted {
        return Err(HistoryError::Deleted {
            flag: flag.to_owned(),
            env: env.to_owned(),
            at: at.to_owned(),
            commit: entry.commit.id[..12].to_owned(),
        });
    }
    let Some(bytes) = git.file_at(&entry.commit.id, &change.path)? else {
        return Err(HistoryError::Missing {
            path: change.path.clone(),
            commit: entry.commit.id.clone(),
        });
    };
    Ok((entry, change, bytes))
}

/// `YYYY-MM-DD` (the end of that day, UTC) or an RFC 3339 time.
fn instant(text: &str) -> Option<jiff::Timestamp> {
    if let Some(date) = crate::time::Date::parse(text) {
        return Some(date.end());
    }
    text.parse().ok()
}

/// The columns of a flag's log, one row a change (`log_row`).
pub const LOG_COLUMNS: [&str; 6] = ["COMMIT", "DATE", "AUTHOR", "ENV", "CHANGE", "REASON"];

/// The changes to flag `flag` in `envs` among `entries`, each with the test outcome recorded on
/// its commit as a note under `notes_ref` (by `flagctl test --record`).
pub fn log_of<'e>(
    git: &Git,
    entries: &'e [Entry],
    flag: &str,
    envs: &[&str],
    notes_ref: &str,
) -> Vec<(&'e Entry, &'e FlagChange, Option<String>)> {
    let mut listed = Vec::new();
    for entry in entries {
        for change in entry
            .changes
            .iter()
            .filter(|c| c.flag == flag && envs.contains(&c.env.as_str()))
        {
            let tests = git
                .note_of(notes_ref, &entry.commit.id)
                .map(|n| n.trim().trim_start_matches("flagctl test: ").to_owned());
            listed.push((entry, change, tests));
        }
    }
    listed
}

/// The log's row of `change` made by `entry`'s commit, with its recorded test outcome.
pub fn log_row(entry: &Entry, change: &FlagChange, tests: Option<&str>) -> Vec<String> {
    let reason = entry.trailer("Flagctl-Reason").unwrap_or_default();
    vec![
        entry.commit.id[..12].to_owned(),
        entry.commit.time.strftime("%Y-%m-%d %H:%M").to_string(),
        entry.commit.author.clone(),
        change.env.clone(),
        change.summary(),
        match tests {
            Some(t) if reason.is_empty() => format!("[tests {t}]"),
            Some(t) => format!("{reason} [tests {t}]"),
            None => reason.to_owned(),
        },
    ]
}

/// The history of flag `name` in `envs`, newest first: through the files it has now, or, where
/// an environment no longer has it (retired there), through a walk of the whole history.
pub fn of_flag(
    git: &Git,
    repo: &Repository,
    name: &str,
    envs: &[&str],
) -> Result<Vec<Entry>, HistoryError> {
    let inventory = Inventory::load(repo, envs)?;
    let files: Vec<&FlagFile> = inventory
        .flags
        .iter()
        .filter(|f| f.name() == name)
        .collect();
    let everywhere = envs.iter().all(|env| files.iter().any(|f| f.env == *env));
    let flags_dir = repo.flags_path();
    if everywhere {
        let paths: Vec<String> = files.iter().map(|f| f.path.to_string()).collect();
        Ok(of_paths(git, &flags_dir, &paths)?)
    } else {
        let mut all = walk(git, &flags_dir, None, &|_| {})?;
        all.reverse();
        Ok(all)
    }
}
