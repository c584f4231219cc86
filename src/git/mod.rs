//! The only module that talks to git. The rest of flagctl asks it questions in its own words.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("reading git history: {0}")]
    Git(#[from] git2::Error),
}

/// The git work tree a flag repository sits in.
pub struct Git {
    repo: git2::Repository,
    /// The flag repository's root relative to the work tree's top, with `/` (empty at the top).
    prefix: String,
}

/// Why an age could not be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unknown {
    /// The repository is not in git, or has no commit yet.
    NoHistory,
    /// The file's current content is not committed.
    Uncommitted,
    /// The history is cut short (a shallow clone) before the change was made.
    Shallow,
}

impl Unknown {
    pub fn reason(self) -> &'static str {
        match self {
            Unknown::NoHistory => "the repository has no git history",
            Unknown::Uncommitted => "the change is not committed yet",
            Unknown::Shallow => {
                "the clone is shallow and lacks the history (git fetch --unshallow)"
            }
        }
    }
}

/// Since when a file has held what it holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    Known(Timestamp),
    Unknown(Unknown),
}

/// "Since which commit has `path` held a file whose version is `version`?" (`None`: since which
/// commit has it existed at all).
#[derive(Debug, Clone)]
pub struct HeldQuery {
    /// Relative to the flag repository root, with `/`.
    pub path: String,
    pub version: Option<String>,
}

impl Git {
    /// The git repository around `root`, if there is one with at least one commit.
    pub fn open(root: &Path) -> Option<Git> {
        let repo = git2::Repository::discover(root).ok()?;
        repo.head().ok()?.peel_to_commit().ok()?;
        let top = std::fs::canonicalize(repo.workdir()?).ok()?;
        let root = std::fs::canonicalize(root).ok()?;
        let prefix = root
            .strip_prefix(&top)
            .ok()?
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        Some(Git { repo, prefix })
    }

    fn git_path(&self, path: &str) -> PathBuf {
        if self.prefix.is_empty() {
            PathBuf::from(path)
        } else {
            PathBuf::from(format!("{}/{path}", self.prefix))
        }
    }

    /// Answers every query in one walk of HEAD's first-parent history: the committer time of the
    /// oldest commit of the unbroken run, ending at HEAD, in which the file held its version.
    /// `version_of` reads a version from a file's bytes.
    pub fn held_since(
        &self,
        queries: &[HeldQuery],
        version_of: impl Fn(&[u8]) -> Option<String>,
    ) -> Result<Vec<Since>, GitError> {
        let mut answers: Vec<Option<Since>> = vec![None; queries.len()];
        let head = self.repo.head()?.peel_to_commit()?;
        let head_tree = head.tree()?;
        // A file whose version (or existence) in the work tree is not yet HEAD's has no age yet.
        let mut last_blob: Vec<Option<git2::Oid>> = Vec::with_capacity(queries.len());
        for (i, q) in queries.iter().enumerate() {
            let entry = head_tree.get_path(&self.git_path(&q.path)).ok();
            let committed = entry.as_ref().and_then(|e| self.blob(e.id()));
            let holds = match (&committed, &q.version) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(bytes), Some(v)) => version_of(bytes).as_deref() == Some(v.as_str()),
            };
            if !holds {
                answers[i] = Some(Since::Unknown(Unknown::Uncommitted));
            }
            last_blob.push(entry.map(|e| e.id()));
        }
        let mut commit = head;
        let mut since = commit.time().seconds();
        loop {
            let parent = (commit.parent_count() > 0).then(|| commit.parent(0).ok());
            let Some(Some(parent)) = parent else {
                // The root commit dates the file; the edge of a shallow clone cannot.
                let end = match parent {
                    None if !self.is_shallow_edge(commit.id()) => {
                        Since::Known(timestamp(commit.time().seconds()))
                    }
                    _ => Since::Unknown(Unknown::Shallow),
                };
                for answer in answers.iter_mut().filter(|a| a.is_none()) {
                    *answer = Some(end);
                }
                break;
            };
            let tree = parent.tree()?;
            for (i, q) in queries.iter().enumerate() {
                if answers[i].is_some() {
                    continue;
                }
                let id = tree.get_path(&self.git_path(&q.path)).ok().map(|e| e.id());
                let holds = match (id, &q.version) {
                    (None, _) => false,
                    (Some(id), _) if Some(id) == last_blob[i] => true,
                    (Some(_), None) => true,
                    (Some(id), Some(v)) => self
                        .blob(id)
                        .and_then(|bytes| version_of(&bytes))
                        .is_some_and(|found| &found == v),
                };
                if holds {
                    last_blob[i] = id;
                } else {
                    answers[i] = Some(Since::Known(timestamp(since)));
                }
            }
            if answers.iter().all(Option::is_some) {
                break;
            }
            since = parent.time().seconds();
            commit = parent;
        }
        Ok(answers
            .into_iter()
            .map(|a| a.unwrap_or(Since::Unknown(Unknown::NoHistory)))
            .collect())
    }

    /// Whether `id` is where a shallow clone's history was cut (git lists those in `shallow`).
    fn is_shallow_edge(&self, id: git2::Oid) -> bool {
        let listed = std::fs::read_to_string(self.repo.path().join("shallow")).unwrap_or_default();
        let id = id.to_string();
        listed.lines().any(|line| line.trim() == id)
    }

    fn blob(&self, id: git2::Oid) -> Option<Vec<u8>> {
        self.repo.find_blob(id).ok().map(|b| b.content().to_vec())
    }
}

fn timestamp(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}
