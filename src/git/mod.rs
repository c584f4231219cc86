//! The only module that talks to git. The rest of flagctl asks it questions in its own words.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("reading git history: {0}")]
    Git(#[from] git2::Error),
    #[error("running git: {0}")]
    Spawn(std::io::Error),
    #[error("`git {command}` failed:\n{stderr}")]
    Command { command: String, stderr: String },
    #[error("revision \"{0}\" does not exist in this repository")]
    NoRevision(String),
    #[error("{0}")]
    Busy(Busy),
    /// What a command needs lies beyond the edge of a shallow clone: there, every file would look
    /// created by the edge commit.
    #[error(
        "{needs}, but this clone is shallow: its history is cut short; fetch the rest (git fetch --unshallow)"
    )]
    Shallow { needs: String },
}

/// Set for git's children (hooks) while flagctl runs an operation: the process id that owns it.
pub const OPERATION_ENV: &str = "FLAGCTL_OPERATION";

/// Why the work tree cannot take a write now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Busy {
    Detached,
    /// Another git process holds the index (its lock file).
    IndexLocked(PathBuf),
    InOperation(String),
    NoCommit,
}

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Busy::Detached => {
                f.write_str("HEAD is detached; check out a branch first (git switch BRANCH)")
            }
            Busy::InOperation(what) => write!(
                f,
                "the repository is in the middle of a {what}; finish or abort it first (git {what} --continue / --abort)"
            ),
            Busy::IndexLocked(lock) => write!(
                f,
                "git is busy: {} exists, so another git process is changing this repository; try again when it is done (if no git is running, remove that file)",
                lock.display()
            ),
            Busy::NoCommit => {
                f.write_str("the repository has no commit yet; commit the flag repository first")
            }
        }
    }
}

/// A commit, as flagctl shows and records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: String,
    pub time: Timestamp,
}

/// A commit of a history walk, with what it changed under the walked folder.
#[derive(Debug, Clone)]
pub struct WalkedCommit {
    pub id: String,
    /// Place on HEAD's first-parent line, counted from the root commit (0).
    pub position: usize,
    pub author: String,
    pub email: String,
    /// Committer time.
    pub time: Timestamp,
    pub subject: String,
    /// `Key: value` trailers of the message, in order.
    pub trailers: Vec<(String, String)>,
    pub changes: Vec<FileDelta>,
}

/// One file a commit added, changed, deleted or moved (paths relative to the flag repository),
/// with the blob ids of both sides (`Git::blob_bytes` reads them).
#[derive(Debug, Clone)]
pub struct FileDelta {
    pub old_path: Option<String>,
    pub new_path: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
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
    pub path: std::sync::Arc<str>,
    pub version: Option<String>,
    /// The blob id (`Git::blob_id`) of the file's bytes in the work tree, where it holds
    /// `version`: a committed file of that id holds it too, unread. Git's filters (line endings)
    /// can store a file under another id; then its committed bytes decide.
    pub blob: Option<String>,
}

impl Git {
    /// The git repository around `root`, if there is one with at least one commit.
    pub fn open(root: &Path) -> Option<Git> {
        // flagctl reads each object about once: libgit2's object cache (up to 256 MB) would
        // only hold memory, and re-hashing every object read only costs time.
        git2::opts::enable_caching(false);
        git2::opts::strict_hash_verification(false);
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

    /// The work tree's top folder.
    pub fn top(&self) -> PathBuf {
        self.repo.workdir().map(Path::to_owned).unwrap_or_default()
    }

    /// Whether a write can start: a branch checked out, no merge or rebase under way.
    pub fn busy(&self) -> Option<Busy> {
        use git2::RepositoryState as S;
        let operation = match self.repo.state() {
            S::Clean => None,
            S::Merge => Some("merge"),
            S::Revert | S::RevertSequence => Some("revert"),
            S::CherryPick | S::CherryPickSequence => Some("cherry-pick"),
            S::Bisect => Some("bisect"),
            S::Rebase | S::RebaseInteractive | S::RebaseMerge => Some("rebase"),
            S::ApplyMailbox | S::ApplyMailboxOrRebase => Some("am"),
        };
        if let Some(operation) = operation {
            return Some(Busy::InOperation(operation.to_owned()));
        }
        if self.repo.head_detached().unwrap_or(false) {
            return Some(Busy::Detached);
        }
        if self.index_lock().exists() {
            return Some(Busy::IndexLocked(self.index_lock()));
        }
        if self.head().is_err() {
            return Some(Busy::NoCommit);
        }
        None
    }

    pub fn head(&self) -> Result<CommitInfo, GitError> {
        let commit = self.repo.head()?.peel_to_commit()?;
        Ok(info(&commit))
    }

    /// Whether `path` (relative to the flag repository) differs from HEAD in the work tree or
    /// the index.
    pub fn is_dirty(&self, path: &str) -> Result<bool, GitError> {
        match self.repo.status_file(&self.git_path(path)) {
            Ok(status) => Ok(!status.is_empty() && status != git2::Status::IGNORED),
            // Neither in the work tree, the index nor HEAD: nothing uncommitted there.
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The blob id git would give `bytes` (`git hash-object`). Hashed here, with the processor's
    /// SHA instructions where it has them: libgit2's hash, checked for collision attacks, is
    /// several times slower, and gives another id only to a crafted collision.
    pub fn blob_id(bytes: &[u8]) -> String {
        use sha1::Digest;
        let mut hasher = sha1::Sha1::new();
        hasher.update(format!("blob {}\0", bytes.len()));
        hasher.update(bytes);
        hex::encode(hasher.finalize())
    }

    /// The commit `rev` names (a branch, tag, sha, `HEAD~2`…).
    pub fn resolve(&self, rev: &str) -> Result<CommitInfo, GitError> {
        let object = self
            .repo
            .revparse_single(rev)
            .map_err(|_| GitError::NoRevision(rev.to_owned()))?;
        let commit = object
            .peel_to_commit()
            .map_err(|_| GitError::NoRevision(rev.to_owned()))?;
        Ok(info(&commit))
    }

    /// The file at `path` as of commit `id`, if it existed there.
    pub fn file_at(&self, id: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let commit = self.repo.find_commit(git2::Oid::from_str(id)?)?;
        let tree = commit.tree()?;
        Ok(tree
            .get_path(&self.git_path(path))
            .ok()
            .and_then(|entry| self.blob(entry.id())))
    }

    /// Commits of HEAD's first-parent history that changed `path`, newest first.
    pub fn history_of(&self, path: &str) -> Result<Vec<CommitInfo>, GitError> {
        let git_path = self.git_path(path);
        let mut out = Vec::new();
        let mut commit = self.repo.head()?.peel_to_commit()?;
        loop {
            let here = commit.tree()?.get_path(&git_path).ok().map(|e| e.id());
            let parent = (commit.parent_count() > 0)
                .then(|| commit.parent(0).ok())
                .flatten();
            let before = match &parent {
                Some(p) => p.tree()?.get_path(&git_path).ok().map(|e| e.id()),
                None => None,
            };
            if here != before {
                out.push(info(&commit));
            }
            match parent {
                Some(p) => commit = p,
                None => break,
            }
        }
        Ok(out)
    }

    /// Whether commit `descendant` is commit `ancestor` or has it among its ancestors.
    pub fn contains(&self, descendant: &str, ancestor: &str) -> Result<bool, GitError> {
        let (d, a) = (
            git2::Oid::from_str(descendant)?,
            git2::Oid::from_str(ancestor)?,
        );
        Ok(d == a || self.repo.graph_descendant_of(d, a)?)
    }

    /// Whether `ancestor` is HEAD or one of its ancestors.
    pub fn head_contains(&self, ancestor: &str) -> Result<bool, GitError> {
        let head = self.repo.head()?.peel_to_commit()?.id();
        let ancestor = git2::Oid::from_str(ancestor)?;
        Ok(head == ancestor || self.repo.graph_descendant_of(head, ancestor)?)
    }

    /// Whether this clone's history is cut short.
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// Refuses, in a shallow clone, a command that `needs` the history from its first commit
    /// (what it would report of the clone's edge commit never happened).
    pub fn whole_history(&self, needs: &str) -> Result<(), GitError> {
        if self.is_shallow() {
            return Err(GitError::Shallow {
                needs: needs.to_owned(),
            });
        }
        Ok(())
    }

    /// Walks HEAD's first-parent history once, oldest first (from the root, or after `since`),
    /// with each commit's changes to files under `dir` (relative to the flag repository; moves
    /// are paired up as renames).
    /// `progress` is told how many commits are done.
    pub fn walk(
        &self,
        dir: &str,
        since: Option<&str>,
        progress: &dyn Fn(u64),
    ) -> Result<Vec<WalkedCommit>, GitError> {
        let mut chain = Vec::new();
        let mut commit = self.repo.head()?.peel_to_commit()?;
        let stop = since.map(git2::Oid::from_str).transpose()?;
        let mut previous: Option<git2::Tree> = None;
        loop {
            if Some(commit.id()) == stop {
                previous = Some(commit.tree()?);
                break;
            }
            let parent = (commit.parent_count() > 0)
                .then(|| commit.parent(0).ok())
                .flatten();
            chain.push(commit.id());
            match parent {
                Some(p) => commit = p,
                None => break,
            }
        }
        chain.reverse();
        // With `since`, the chain starts after it: count the commits up to it for positions.
        let base = match stop {
            Some(stop) => self
                .first_parent_position(&stop.to_string())?
                .map_or(0, |p| p + 1),
            None => 0,
        };
        let scope = self.git_path(dir);
        let mut out = Vec::new();
        for (done, id) in chain.iter().enumerate() {
            let commit = self.repo.find_commit(*id)?;
            let tree = commit.tree()?;
            let changes = self.file_deltas(previous.as_ref(), &tree, &scope)?;
            if !changes.is_empty() {
                let message = commit.message().unwrap_or_default().to_owned();
                let author = commit.author();
                out.push(WalkedCommit {
                    id: id.to_string(),
                    position: base + done,
                    author: author.name().unwrap_or_default().to_owned(),
                    email: author.email().unwrap_or_default().to_owned(),
                    time: timestamp(commit.time().seconds()),
                    subject: message.lines().next().unwrap_or_default().to_owned(),
                    trailers: trailers(&message),
                    changes,
                });
            }
            previous = Some(tree);
            progress(done as u64 + 1);
        }
        Ok(out)
    }

    /// The first-parent history of `paths` (relative to the flag repository), newest first:
    /// each commit that changed one of them, with those changes. A file that appears by a move
    /// is followed to its old path. Reads only the trees on each path, as `git log -- PATH` does.
    pub fn path_history(&self, paths: &[String]) -> Result<Vec<WalkedCommit>, GitError> {
        let mut tracked: Vec<PathBuf> = paths.iter().map(|p| self.git_path(p)).collect();
        let mut out = Vec::new();
        let mut commit = self.repo.head()?.peel_to_commit()?;
        let entry_id = |tree: &git2::Tree, path: &Path| tree.get_path(path).ok().map(|e| e.id());
        let mut tree = commit.tree()?;
        // Each tree is read once: a commit's "before" is its parent's "here".
        let mut here: Vec<Option<git2::Oid>> = tracked.iter().map(|p| entry_id(&tree, p)).collect();
        loop {
            let parent = (commit.parent_count() > 0)
                .then(|| commit.parent(0).ok())
                .flatten();
            let parent_tree = match &parent {
                Some(p) => Some(p.tree()?),
                None => None,
            };
            let mut before: Vec<Option<git2::Oid>> = tracked
                .iter()
                .map(|p| parent_tree.as_ref().and_then(|t| entry_id(t, p)))
                .collect();
            let mut changes = Vec::new();
            for (i, path) in tracked.iter_mut().enumerate() {
                if here[i] == before[i] {
                    continue;
                }
                let mut old_path = before[i].map(|_| path.clone());
                if here[i].is_some() && before[i].is_none() {
                    if let Some(parent_tree) = &parent_tree {
                        old_path = self.moved_from(parent_tree, &tree, path)?;
                        before[i] = old_path.as_ref().and_then(|p| entry_id(parent_tree, p));
                    }
                }
                changes.push(FileDelta {
                    old_path: old_path.as_ref().map(|p| self.flag_relative(p)),
                    new_path: here[i].map(|_| self.flag_relative(path)),
                    old: before[i].map(|id| id.to_string()),
                    new: here[i].map(|id| id.to_string()),
                });
                if let Some(old_path) = old_path {
                    *path = old_path;
                }
            }
            if !changes.is_empty() {
                let mut walked = self.commit_details(&commit.id().to_string())?;
                walked.changes = changes;
                out.push(walked);
            }
            match (parent, parent_tree) {
                (Some(p), Some(t)) => {
                    commit = p;
                    tree = t;
                    here = before;
                }
                _ => break,
            }
        }
        Ok(out)
    }

    /// Where a file that `tree` has at `path` and `parent` does not was moved from: a file of
    /// the same name that the same commit deleted from the same environment folder.
    fn moved_from(
        &self,
        parent: &git2::Tree,
        tree: &git2::Tree,
        path: &Path,
    ) -> Result<Option<PathBuf>, GitError> {
        let within: PathBuf = path.components().take(self.prefix_depth() + 2).collect();
        let deltas = self.file_deltas(Some(parent), tree, &within)?;
        let wanted = self.flag_relative(path);
        Ok(deltas
            .into_iter()
            .find(|d| d.new_path.as_deref() == Some(wanted.as_str()) && d.old_path.is_some())
            .and_then(|d| d.old_path)
            .map(|p| self.git_path(&p)))
    }

    /// Components of the prefix (the flag repository's folder inside the work tree).
    fn prefix_depth(&self) -> usize {
        if self.prefix.is_empty() {
            0
        } else {
            self.prefix.split('/').count()
        }
    }

    /// The files that differ between two trees under `dir` (a work-tree path), with a deletion
    /// and an addition of the same file name in the same environment paired as a move.
    fn file_deltas(
        &self,
        old: Option<&git2::Tree>,
        new: &git2::Tree,
        dir: &Path,
    ) -> Result<Vec<FileDelta>, GitError> {
        let under = |tree: Option<&git2::Tree>| -> Option<git2::Oid> {
            let tree = tree?;
            if dir.as_os_str().is_empty() {
                return Some(tree.id());
            }
            let entry = tree.get_path(dir).ok()?;
            (entry.kind() == Some(git2::ObjectType::Tree)).then(|| entry.id())
        };
        let (a, b) = (under(old), under(Some(new)));
        let mut blobs = Vec::new();
        if a != b {
            self.changed_blobs(a, b, dir.to_path_buf(), &mut blobs)?;
        }
        let mut deltas: Vec<FileDelta> = blobs
            .into_iter()
            .map(|(path, old, new)| {
                let rel = self.flag_relative(&path);
                FileDelta {
                    old_path: old.map(|_| rel.clone()),
                    new_path: new.map(|_| rel),
                    old: old.map(|id| id.to_string()),
                    new: new.map(|id| id.to_string()),
                }
            })
            .collect();
        // Pair moves: an added file whose name a deleted file of the same environment had.
        let env_and_name = |path: &str| {
            let parts: Vec<&str> = path.split('/').collect();
            (
                parts.get(1).copied().unwrap_or_default().to_owned(),
                parts.last().copied().unwrap_or_default().to_owned(),
            )
        };
        let mut i = 0;
        while i < deltas.len() {
            if deltas[i].old.is_none() {
                let key = env_and_name(deltas[i].new_path.as_deref().unwrap_or_default());
                let deleted = deltas.iter().position(|d| {
                    d.new.is_none()
                        && d.old_path
                            .as_deref()
                            .is_some_and(|p| env_and_name(p) == key)
                });
                if let Some(j) = deleted {
                    let gone = deltas.remove(j);
                    let i = if j < i { i - 1 } else { i };
                    deltas[i].old_path = gone.old_path;
                    deltas[i].old = gone.old;
                }
            }
            i += 1;
        }
        Ok(deltas)
    }

    /// Blobs that differ between trees `a` and `b` (found at `at`), skipping equal subtrees.
    fn changed_blobs(
        &self,
        a: Option<git2::Oid>,
        b: Option<git2::Oid>,
        at: PathBuf,
        out: &mut Vec<(PathBuf, Option<git2::Oid>, Option<git2::Oid>)>,
    ) -> Result<(), GitError> {
        let tree = |id: Option<git2::Oid>| id.map(|id| self.repo.find_tree(id)).transpose();
        let (left, right) = (tree(a)?, tree(b)?);
        let (left, right) = (
            sorted_entries(left.as_ref()),
            sorted_entries(right.as_ref()),
        );
        let is_tree = |e: &git2::TreeEntry<'_>| e.kind() == Some(git2::ObjectType::Tree);
        // A merge of the two sorted listings: each name once, with its entry on either side.
        let (mut i, mut j) = (0, 0);
        while i < left.len() || j < right.len() {
            let order = match (left.get(i), right.get(j)) {
                (Some(l), Some(r)) => l.name_bytes().cmp(r.name_bytes()),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            let (l, r) = match order {
                std::cmp::Ordering::Less => (left.get(i), None),
                std::cmp::Ordering::Greater => (None, right.get(j)),
                std::cmp::Ordering::Equal => (left.get(i), right.get(j)),
            };
            if order != std::cmp::Ordering::Greater {
                i += 1;
            }
            if order != std::cmp::Ordering::Less {
                j += 1;
            }
            if l.map(git2::TreeEntry::id) == r.map(git2::TreeEntry::id) {
                continue;
            }
            let name = l
                .or(r)
                .map(|e| String::from_utf8_lossy(e.name_bytes()).into_owned())
                .unwrap_or_default();
            let path = at.join(name);
            let tree_of =
                |e: Option<&git2::TreeEntry<'_>>| e.filter(|e| is_tree(e)).map(git2::TreeEntry::id);
            let blob_of = |e: Option<&git2::TreeEntry<'_>>| {
                e.filter(|e| !is_tree(e)).map(git2::TreeEntry::id)
            };
            if tree_of(l).is_some() || tree_of(r).is_some() {
                self.changed_blobs(tree_of(l), tree_of(r), path.clone(), out)?;
            }
            if blob_of(l).is_some() || blob_of(r).is_some() {
                out.push((path, blob_of(l), blob_of(r)));
            }
        }
        Ok(())
    }

    /// A path of the work tree, relative to the flag repository.
    fn flag_relative(&self, path: &Path) -> String {
        let text = path.to_string_lossy().replace('\\', "/");
        if self.prefix.is_empty() {
            text
        } else {
            text.strip_prefix(&format!("{}/", self.prefix))
                .unwrap_or(&text)
                .to_owned()
        }
    }

    /// The place of commit `rev` on HEAD's first-parent line (root = 0), if it is on it.
    pub fn first_parent_position(&self, rev: &str) -> Result<Option<usize>, GitError> {
        let wanted = self.resolve(rev)?.id;
        let mut ids = Vec::new();
        let mut commit = self.repo.head()?.peel_to_commit()?;
        loop {
            ids.push(commit.id());
            match (commit.parent_count() > 0)
                .then(|| commit.parent(0).ok())
                .flatten()
            {
                Some(p) => commit = p,
                None => break,
            }
        }
        let total = ids.len();
        Ok(ids
            .iter()
            .position(|id| id.to_string() == wanted)
            .map(|from_head| total - 1 - from_head))
    }

    /// The flag repository's folder relative to the work tree's top (`""` at the top).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The commit `id`'s details, with its changes left empty.
    pub fn commit_details(&self, id: &str) -> Result<WalkedCommit, GitError> {
        let commit = self.repo.find_commit(git2::Oid::from_str(id)?)?;
        let message = commit.message().unwrap_or_default().to_owned();
        let author = commit.author();
        Ok(WalkedCommit {
            id: id.to_owned(),
            position: 0,
            author: author.name().unwrap_or_default().to_owned(),
            email: author.email().unwrap_or_default().to_owned(),
            time: timestamp(commit.time().seconds()),
            subject: message.lines().next().unwrap_or_default().to_owned(),
            trailers: trailers(&message),
            changes: Vec::new(),
        })
    }

    /// Stages `paths` (additions, changes and deletions) with the git CLI.
    pub fn stage(&self, paths: &[String]) -> Result<(), GitError> {
        let mut args = vec!["add".to_owned(), "-A".to_owned(), "--".to_owned()];
        args.extend(
            paths
                .iter()
                .map(|p| self.git_path(p).to_string_lossy().into_owned()),
        );
        self.run(&args).map(|_| ())
    }

    /// Commits `paths` alone (whatever else the user has staged stays staged, uncommitted) as
    /// the user's git would (identity, hooks, signing), with `message`; returns the new commit.
    pub fn commit(&self, paths: &[String], message: &str) -> Result<CommitInfo, GitError> {
        let mut args = vec![
            "commit".to_owned(),
            "-q".to_owned(),
            "-m".to_owned(),
            message.to_owned(),
        ];
        args.push("--only".to_owned());
        args.push("--".to_owned());
        args.extend(
            paths
                .iter()
                .map(|p| self.git_path(p).to_string_lossy().into_owned()),
        );
        self.run(&args)?;
        self.head()
    }

    /// Attaches `message` to HEAD as its note under `notes_ref` (replacing an earlier one), with
    /// the user's git (identity, configuration).
    pub fn note_head(&self, notes_ref: &str, message: &str) -> Result<(), GitError> {
        let args: Vec<String> = [
            "notes", "--ref", notes_ref, "add", "-f", "-m", message, "HEAD",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
        self.run(&args).map(|_| ())
    }

    /// The note of commit `id` under `notes_ref`, if it has one.
    pub fn note_of(&self, notes_ref: &str, id: &str) -> Option<String> {
        let oid = git2::Oid::from_str(id).ok()?;
        let note = self.repo.find_note(Some(notes_ref), oid).ok()?;
        note.message().ok().map(str::to_owned)
    }

    /// Unstages `paths` (back to HEAD in the index), leaving the work tree alone.
    pub fn unstage(&self, paths: &[String]) -> Result<(), GitError> {
        let mut args = vec!["reset".to_owned(), "-q".to_owned(), "--".to_owned()];
        args.extend(
            paths
                .iter()
                .map(|p| self.git_path(p).to_string_lossy().into_owned()),
        );
        self.run(&args).map(|_| ())
    }

    /// Where flagctl keeps its own state (the operation journal), inside `.git`.
    pub fn state_dir(&self) -> PathBuf {
        self.repo.path().join("flagctl")
    }

    /// The lock file a git process holds while it changes the index (and, in a commit, HEAD).
    pub fn index_lock(&self) -> PathBuf {
        self.repo.path().join("index.lock")
    }

    fn run(&self, args: &[String]) -> Result<String, GitError> {
        let output = std::process::Command::new("git")
            // A hook that runs flagctl must not take this operation's journal for a crashed one.
            .env(OPERATION_ENV, std::process::id().to_string())
            .arg("-C")
            .arg(self.top())
            .args(args)
            .output()
            .map_err(GitError::Spawn)?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else if String::from_utf8_lossy(&output.stderr).contains("index.lock") {
            // Another git process took the index first: that, not git's wording, is the cause.
            Err(GitError::Busy(Busy::IndexLocked(self.index_lock())))
        } else {
            Err(GitError::Command {
                command: args.join(" "),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            })
        }
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
        let mut paths: Vec<PathBuf> = queries.iter().map(|q| self.git_path(&q.path)).collect();
        let head = self.repo.head()?.peel_to_commit()?;
        let head_tree = head.tree()?;
        // A file whose version (or existence) in the work tree is not yet HEAD's has no age yet.
        let mut folders = Folders::new(&self.repo);
        let mut last_blob: Vec<Option<git2::Oid>> = Vec::with_capacity(queries.len());
        for (i, (q, path)) in queries.iter().zip(&paths).enumerate() {
            let entry = folders.entry_at(&head_tree, path);
            let committed = entry
                .as_ref()
                .filter(|e| e.kind() == Some(git2::ObjectType::Blob));
            let current = q.blob.as_deref().and_then(|b| git2::Oid::from_str(b).ok());
            let holds = match (committed, &q.version) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(e), Some(_)) if Some(e.id()) == current => true,
                (Some(e), Some(v)) => self
                    .blob(e.id())
                    .and_then(|bytes| version_of(&bytes))
                    .is_some_and(|found| found == *v),
            };
            if !holds {
                answers[i] = Some(Since::Unknown(Unknown::Uncommitted));
            }
            last_blob.push(entry.map(|e| e.id()));
        }
        // Most commits change a few files: a query whose folder is the same tree in a commit
        // and its parent holds the same file there, and needs no lookup of its own.
        let mut dirs = Dirs::default();
        let mut dir_of: Vec<usize> = paths.iter().map(|p| dirs.of(p)).collect();
        // The ids of those folders in the commit, each looked up once (`None`: not yet); a
        // parent's are its child's in the next step, as its tree is.
        let mut child_ids: Vec<Option<Option<git2::Oid>>> = vec![None; dirs.dirs.len()];
        let mut child_tree = head_tree;
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
            let mut ids: Vec<Option<Option<git2::Oid>>> = vec![None; dirs.dirs.len()];
            for (i, path) in paths.iter_mut().enumerate() {
                if answers[i].is_some() {
                    continue;
                }
                let (d, dir) = (dir_of[i], &dirs.dirs[dir_of[i]]);
                let here = *ids[d].get_or_insert_with(|| folders.folder_id(&tree, dir));
                let below =
                    *child_ids[d].get_or_insert_with(|| folders.folder_id(&child_tree, dir));
                if here.is_some() && here == below {
                    // There, its file is still the one `last_blob` names: it holds.
                    continue;
                }
                let mut id = folders.entry_at(&tree, path).map(|e| e.id());
                if id.is_none() {
                    // A move into a group folder is not a change: follow the file back.
                    if let Some(old) = self.moved_from(&tree, &child_tree, path)? {
                        id = folders.entry_at(&tree, &old).map(|e| e.id());
                        dir_of[i] = dirs.of(&old);
                        ids.resize(dirs.dirs.len(), None);
                        child_ids.resize(dirs.dirs.len(), None);
                        *path = old;
                    }
                }
                let q = &queries[i];
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
            child_tree = tree;
            child_ids = ids;
            commit = parent;
        }
        Ok(answers
            .into_iter()
            .map(|a| a.unwrap_or(Since::Unknown(Unknown::NoHistory)))
            .collect())
    }

    /// The newest note under `notes_ref` on HEAD's first-parent line, at most `limit` commits
    /// back: the commit it annotates, how many commits HEAD is past it, and the note's bytes.
    pub fn newest_note(
        &self,
        notes_ref: &str,
        limit: usize,
    ) -> Result<Option<(String, usize, Vec<u8>)>, GitError> {
        if self.repo.find_reference(notes_ref).is_err() {
            return Ok(None);
        }
        let annotated: std::collections::HashSet<git2::Oid> = self
            .repo
            .notes(Some(notes_ref))?
            .filter_map(Result::ok)
            .map(|(_, commit)| commit)
            .collect();
        let mut commit = self.repo.head()?.peel_to_commit()?;
        for behind in 0..limit {
            if annotated.contains(&commit.id()) {
                let note = self.repo.find_note(Some(notes_ref), commit.id())?;
                return Ok(Some((
                    commit.id().to_string(),
                    behind,
                    note.message_bytes().to_vec(),
                )));
            }
            match (commit.parent_count() > 0)
                .then(|| commit.parent(0).ok())
                .flatten()
            {
                Some(parent) => commit = parent,
                None => break,
            }
        }
        Ok(None)
    }

    /// Whether `id` is where a shallow clone's history was cut (git lists those in `shallow`).
    fn is_shallow_edge(&self, id: git2::Oid) -> bool {
        let listed = std::fs::read_to_string(self.repo.path().join("shallow")).unwrap_or_default();
        let id = id.to_string();
        listed.lines().any(|line| line.trim() == id)
    }

    /// The content of blob `id` (as `FileDelta` names it).
    pub fn blob_bytes(&self, id: &str) -> Option<Vec<u8>> {
        self.blob(git2::Oid::from_str(id).ok()?)
    }

    fn blob(&self, id: git2::Oid) -> Option<Vec<u8>> {
        self.repo.find_blob(id).ok().map(|b| b.content().to_vec())
    }
}

/// Path lookups in commits' trees, each folder read once: libgit2 keeps only small trees in its
/// cache, so a group folder of a hundred flags would be read and inflated again for every file.
struct Folders<'r> {
    repo: &'r git2::Repository,
    read: foldhash::HashMap<git2::Oid, git2::Tree<'r>>,
}

impl<'r> Folders<'r> {
    /// Enough for every folder of a large repository's commit; past it the memo starts over, so
    /// that a long history walk does not keep every tree it met.
    const MAX_FOLDERS: usize = 4096;

    fn new(repo: &'r git2::Repository) -> Self {
        Folders {
            repo,
            read: foldhash::HashMap::default(),
        }
    }

    /// The id of the folder `dir` in `tree` (`tree`'s own for the top), if it is there.
    fn folder_id(&mut self, tree: &git2::Tree<'r>, dir: &Path) -> Option<git2::Oid> {
        if dir.as_os_str().is_empty() {
            return Some(tree.id());
        }
        self.entry_at(tree, dir)
            .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
            .map(|e| e.id())
    }

    /// The entry `path` names in `tree` (as `Tree::get_path`), if any.
    fn entry_at(&mut self, tree: &git2::Tree<'r>, path: &Path) -> Option<git2::TreeEntry<'static>> {
        let mut parts = path.components().peekable();
        let mut folder = tree.clone();
        loop {
            let name = parts.next()?.as_os_str().to_str()?;
            let id = {
                let entry = folder.get_name(name)?;
                if parts.peek().is_none() {
                    return Some(entry.to_owned());
                }
                entry.id()
            };
            folder = match self.read.get(&id) {
                Some(known) => known.clone(),
                None => {
                    let read = self.repo.find_tree(id).ok()?;
                    if self.read.len() >= Self::MAX_FOLDERS {
                        self.read.clear();
                    }
                    self.read.insert(id, read.clone());
                    read
                }
            };
        }
    }
}

/// The folders of files, each once, by number.
#[derive(Default)]
struct Dirs {
    dirs: Vec<PathBuf>,
    numbers: foldhash::HashMap<PathBuf, usize>,
}

impl Dirs {
    /// The number of the folder holding `path` (numbered when first met).
    fn of(&mut self, path: &Path) -> usize {
        let dir = path.parent().unwrap_or(Path::new(""));
        if let Some(number) = self.numbers.get(dir) {
            return *number;
        }
        self.dirs.push(dir.to_owned());
        self.numbers.insert(dir.to_owned(), self.dirs.len() - 1);
        self.dirs.len() - 1
    }
}

/// The trailers of a commit message (`Key: value` lines of its last paragraph).
pub fn trailers(message: &str) -> Vec<(String, String)> {
    git2::message_trailers_strs(message)
        .map(|t| {
            t.iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The top folder of the git work tree around `dir`, if there is one.
pub fn work_tree_top(dir: &Path) -> Option<PathBuf> {
    let repo = git2::Repository::discover(dir).ok()?;
    std::fs::canonicalize(repo.workdir()?).ok()
}

/// The command line git runs for files whose `merge` attribute is `flagctl`.
pub const MERGE_DRIVER: &str = "flagctl merge-driver %O %A %B %P";

/// Sets `merge.flagctl.driver` (and its name) in the local config of the git repository around
/// `dir`; returns the config file written. Git reads drivers from config only, never from the
/// repository's files, so each clone sets it once.
pub fn install_merge_driver(dir: &Path) -> Result<PathBuf, GitError> {
    let repo = git2::Repository::discover(dir)?;
    let mut config = repo.config()?.open_level(git2::ConfigLevel::Local)?;
    config.set_str(
        "merge.flagctl.name",
        "flagctl: flag files merged field by field",
    )?;
    config.set_str("merge.flagctl.driver", MERGE_DRIVER)?;
    Ok(repo.path().join("config"))
}

/// git's own line merge of three files (`git merge-file`): the result replaces `ours`; `Ok(true)`
/// when it merged without conflict markers.
pub fn merge_file(
    ours: &Path,
    base: &Path,
    theirs: &Path,
    labels: [&str; 3],
) -> Result<bool, GitError> {
    let output = std::process::Command::new("git")
        .arg("merge-file")
        .args(labels.iter().flat_map(|l| ["-L", l]))
        .arg("--")
        .args([ours, base, theirs])
        .output()
        .map_err(GitError::Spawn)?;
    match output.status.code() {
        Some(0) => Ok(true),
        Some(1..=127) => Ok(false),
        _ => Err(GitError::Command {
            command: "merge-file".to_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        }),
    }
}

/// A tree's entries sorted by name bytes (absent tree: none).
fn sorted_entries<'t>(tree: Option<&'t git2::Tree<'_>>) -> Vec<git2::TreeEntry<'t>> {
    let mut entries: Vec<git2::TreeEntry<'t>> = tree.into_iter().flat_map(|t| t.iter()).collect();
    entries.sort_unstable_by(|x, y| x.name_bytes().cmp(y.name_bytes()));
    entries
}

fn info(commit: &git2::Commit) -> CommitInfo {
    CommitInfo {
        id: commit.id().to_string(),
        time: timestamp(commit.time().seconds()),
    }
}

fn timestamp(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::Git;

    #[test]
    fn blob_ids_are_the_ids_git_gives() {
        // From `git hash-object --stdin`.
        assert_eq!(
            Git::blob_id(b""),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
        assert_eq!(
            Git::blob_id(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        let long: Vec<u8> = (0..1000u32).map(|i| b'a' + (i % 26) as u8).collect();
        assert_eq!(
            Git::blob_id(&long),
            "f05c3c76ea47de4081ed0b821349d5c62a8e8461"
        );
    }
}
