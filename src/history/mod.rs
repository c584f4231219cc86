//! Git history read as flag changes: one walk of the commit graph yields, per commit, the flag
//! files it changed and how. `log`, `audit`, `events` and `check` all read it.

use serde::Serialize;

use crate::git::{FileDelta, Git, GitError, WalkedCommit};
use crate::inventory::{Category, category};
use crate::repo::parse_bytes;
use crate::yaml::Node;

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
}

impl FlagChange {
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

    /// Distinct `Approved-by:` emails other than the author's.
    pub fn approvals(&self) -> Vec<String> {
        let mut emails: Vec<String> = self
            .commit
            .trailers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("Approved-by"))
            .map(|(_, v)| email_of(v))
            .filter(|e| !e.eq_ignore_ascii_case(&self.commit.email))
            .collect();
        emails.sort();
        emails.dedup();
        emails
    }
}

/// `Jane <jane@example.com>` → `jane@example.com`.
fn email_of(value: &str) -> String {
    match (value.find('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => value[a + 1..b].trim().to_ascii_lowercase(),
        _ => value.trim().to_ascii_lowercase(),
    }
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
    Ok(commits
        .into_iter()
        .map(|mut commit| {
            let deltas = std::mem::take(&mut commit.changes);
            let changes = deltas
                .iter()
                .filter_map(|d| flag_change(flags_dir, d))
                .collect();
            Entry { commit, changes }
        })
        .collect())
}

/// The history of the flag files at `paths`, newest first, following moves.
pub fn of_paths(git: &Git, flags_dir: &str, paths: &[String]) -> Result<Vec<Entry>, GitError> {
    Ok(git
        .path_history(paths)?
        .into_iter()
        .map(|mut commit| {
            let deltas = std::mem::take(&mut commit.changes);
            let changes = deltas
                .iter()
                .filter_map(|d| flag_change(flags_dir, d))
                .collect();
            Entry { commit, changes }
        })
        .collect())
}

/// The fields of a flag file that a change is judged by.
struct Side {
    root: Option<Node>,
}

impl Side {
    fn read(bytes: Option<&[u8]>) -> (Side, bool) {
        match bytes {
            None => (Side { root: None }, false),
            Some(bytes) => match parse_bytes("", bytes) {
                Ok(parsed) => (
                    Side {
                        root: Some(parsed.root),
                    },
                    false,
                ),
                Err(_) => (Side { root: None }, true),
            },
        }
    }

    fn text(&self, key: &str) -> Option<String> {
        self.root.as_ref()?.get(key)?.as_str().map(str::to_owned)
    }

    fn boolean(&self, key: &str) -> Option<bool> {
        self.root.as_ref()?.get(key)?.as_bool()
    }
}

fn flag_change(flags_dir: &str, delta: &FileDelta) -> Option<FlagChange> {
    let path = delta.new_path.as_ref().or(delta.old_path.as_ref())?.clone();
    if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
        return None;
    }
    let env = path
        .strip_prefix(&format!("{flags_dir}/"))?
        .split('/')
        .next()?
        .to_owned();
    let (old, old_bad) = Side::read(delta.old.as_deref());
    let (new, new_bad) = Side::read(delta.new.as_deref());
    let stem = std::path::Path::new(&path)
        .file_stem()?
        .to_string_lossy()
        .into_owned();
    let flag = new
        .text("name")
        .or_else(|| old.text("name"))
        .unwrap_or(stem);
    let kind = match (&delta.old_path, &delta.new_path) {
        (None, Some(_)) => ChangeKind::Created,
        (Some(_), None) => ChangeKind::Deleted,
        (Some(a), Some(b)) if a != b => ChangeKind::Renamed,
        _ => ChangeKind::Updated,
    };
    let fields = changed_fields(old.root.as_ref(), new.root.as_ref());
    Some(FlagChange {
        env,
        flag,
        old_path: (kind == ChangeKind::Renamed)
            .then(|| delta.old_path.clone())
            .flatten(),
        path,
        kind,
        version: Transition {
            from: old.text("version"),
            to: new.text("version"),
        },
        enabled: Transition {
            from: old.boolean("enabled"),
            to: new.boolean("enabled"),
        },
        lifecycle: Transition {
            from: old.text("lifecycle"),
            to: new.text("lifecycle"),
        },
        fields,
        unparsable: old_bad || new_bad,
    })
}

fn changed_fields(old: Option<&Node>, new: Option<&Node>) -> Vec<String> {
    let entries = |node: Option<&Node>| -> Vec<(String, u64)> {
        node.and_then(Node::as_map)
            .map(|m| {
                m.iter()
                    .map(|e| (e.key.clone(), e.value.fingerprint()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (a, b) = (entries(old), entries(new));
    let mut fields: Vec<String> = Vec::new();
    for (key, _) in a.iter().chain(&b) {
        let before = a.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let after = b.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        if before != after && !fields.contains(key) {
            fields.push(key.clone());
        }
    }
    fields
}

/// The kind of event a change is, for `events` (SPEC §7).
pub fn event_type(entry: &Entry, change: &FlagChange) -> &'static str {
    let command = entry.trailer("Flagctl-Command").unwrap_or_default();
    if change.kind == ChangeKind::Deleted {
        "flag.retired"
    } else if entry.trailer("Flagctl-Promoted-From").is_some() {
        "flag.promoted"
    } else if entry.trailer("Flagctl-Rolled-Back-To").is_some() || command.starts_with("rollback ")
    {
        "flag.rolled_back"
    } else if change.kind == ChangeKind::Created {
        "flag.created"
    } else if change.fields == ["enabled"] {
        "flag.toggled"
    } else {
        "flag.updated"
    }
}
