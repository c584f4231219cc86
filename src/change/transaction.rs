//! All-or-nothing writes of several files, and their commit.
//!
//! A journal in `.git/flagctl/` names every file an operation touches, with a backup of each
//! original, before any of them changes. Whatever kills flagctl midway (`kill -9`, a power cut),
//! the next flagctl command finds the journal and either sees the commit made (and only cleans
//! up) or puts every original back: the repository is as before or as after, never between.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::git::{CommitInfo, Git, GitError};

#[derive(Debug, thiserror::Error)]
pub enum TransactionError {
    #[error("writing {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(
        "another flagctl operation is under way in this repository (process {pid}); try again when it is done"
    )]
    Busy { pid: u32 },
    #[error(transparent)]
    Path(#[from] crate::paths::PathError),
    #[error("reading the operation journal {}: {source}", path.display())]
    Journal {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// One file an operation writes (`after: None` deletes it).
#[derive(Debug, Clone, PartialEq)]
pub struct FileWrite {
    /// Relative to the flag repository root, with `/`.
    pub path: String,
    pub before: Option<Vec<u8>>,
    pub after: Option<Vec<u8>>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    version: u32,
    /// The process running the operation: while it lives, the journal is not a crash's.
    pid: u32,
    /// When that process started (Linux: /proc/PID/stat), so that a reused id is not taken for it.
    #[serde(default)]
    started: Option<String>,
    /// HEAD when the operation started.
    head: String,
    /// Whether the operation ends in a commit (else it only stages).
    commits: bool,
    files: Vec<JournalFile>,
}

#[derive(Debug, Serialize, Deserialize)]
struct JournalFile {
    path: String,
    /// The new content, written beside the target before it replaces it.
    tmp: Option<String>,
    /// The original, copied into the journal folder (`None`: the file did not exist).
    backup: Option<String>,
    /// Blob id of the new content (`None`: deleted).
    after: Option<String>,
}

const JOURNAL: &str = "journal.json";

/// Crash points for the interruption tests: built with the `fault-injection` feature (which
/// only the tests enable), `FLAGCTL_CRASH_AFTER=N` aborts the process (as `kill -9` would)
/// right after the N-th step of an operation. A release build has no such switch.
struct Steps {
    crash_after: Option<u32>,
    done: u32,
}

impl Steps {
    fn new() -> Steps {
        Steps {
            crash_after: crash_after(),
            done: 0,
        }
    }

    fn step(&mut self) {
        self.done += 1;
        if self.crash_after == Some(self.done) {
            std::process::abort();
        }
    }
}

#[cfg(feature = "fault-injection")]
fn crash_after() -> Option<u32> {
    std::env::var("FLAGCTL_CRASH_AFTER")
        .ok()
        .and_then(|n| n.parse().ok())
}

#[cfg(not(feature = "fault-injection"))]
fn crash_after() -> Option<u32> {
    None
}

/// Writes `files` under `root` all or none, stages them and, with a `message`, commits them.
pub fn apply(
    root: &Path,
    git: &Git,
    files: &[FileWrite],
    message: Option<&str>,
) -> Result<Option<CommitInfo>, TransactionError> {
    // Every target is a plain path inside the repository reached through no link, checked
    // before anything (the journal included) is written.
    let targets = files
        .iter()
        .map(|f| crate::paths::write_target(root, &f.path))
        .collect::<Result<Vec<PathBuf>, _>>()?;
    let mut steps = Steps::new();
    let dir = git.state_dir();
    if let Some(pid) = std::fs::read(dir.join(JOURNAL))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Journal>(&bytes).ok())
        .map(|journal| journal.pid)
    {
        return Err(TransactionError::Busy { pid });
    }
    let journal = begin(&dir, git, files, &targets, message.is_some())?;
    steps.step();
    let outcome = write_files(root, files, &journal, &mut steps)
        .and_then(|()| commit(git, files, message, &mut steps));
    match outcome {
        Ok(commit) => {
            steps.step();
            remove_journal(&dir);
            Ok(commit)
        }
        Err(err) => {
            // A write failed, the hook refused, or git failed: put everything back as it was.
            roll_back(root, git, &journal)?;
            remove_journal(&dir);
            Err(err)
        }
    }
}

/// Backs up every original and writes the journal that names them: from here on, a crash is
/// recovered by the next command.
fn begin(
    dir: &Path,
    git: &Git,
    files: &[FileWrite],
    targets: &[PathBuf],
    commits: bool,
) -> Result<Journal, TransactionError> {
    let op = dir.join(format!("op-{}", std::process::id()));
    create_dir(&op)?;
    let mut journal = Journal {
        version: 1,
        pid: std::process::id(),
        started: start_time(std::process::id()),
        head: git.head()?.id,
        commits,
        files: Vec::with_capacity(files.len()),
    };
    for (i, (file, target)) in files.iter().zip(targets).enumerate() {
        let backup = match std::fs::read(target) {
            Ok(bytes) => {
                let backup = op.join(format!("{i}.orig"));
                write_synced(&backup, &bytes)?;
                Some(backup.to_string_lossy().into_owned())
            }
            Err(_) => None,
        };
        let tmp = file.after.as_ref().map(|_| {
            let name = target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let tmp = target.with_file_name(format!(".{name}.flagctl-tmp"));
            tmp.to_string_lossy().into_owned()
        });
        journal.files.push(JournalFile {
            path: file.path.clone(),
            tmp,
            backup,
            after: file.after.as_deref().map(Git::blob_id),
        });
    }
    let bytes = serde_json::to_vec_pretty(&journal).unwrap_or_default();
    write_synced(&dir.join("journal.json.tmp"), &bytes)?;
    rename(&dir.join("journal.json.tmp"), &dir.join(JOURNAL))?;
    Ok(journal)
}

/// Writes each new content beside its target, then renames them into place.
fn write_files(
    root: &Path,
    files: &[FileWrite],
    journal: &Journal,
    steps: &mut Steps,
) -> Result<(), TransactionError> {
    for (file, entry) in files.iter().zip(&journal.files) {
        if let (Some(after), Some(tmp)) = (&file.after, &entry.tmp) {
            let tmp = PathBuf::from(tmp);
            if let Some(parent) = tmp.parent() {
                create_dir(parent)?;
            }
            write_synced(&tmp, after)?;
        }
    }
    steps.step();
    for entry in &journal.files {
        let target = root.join(&entry.path);
        match &entry.tmp {
            Some(tmp) => rename(Path::new(tmp), &target)?,
            None => match std::fs::remove_file(&target) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(TransactionError::Io {
                        path: target,
                        cause: source,
                    });
                }
            },
        }
        steps.step();
    }
    Ok(())
}

/// Stages the files and, with a message, commits them.
fn commit(
    git: &Git,
    files: &[FileWrite],
    message: Option<&str>,
    steps: &mut Steps,
) -> Result<Option<CommitInfo>, TransactionError> {
    let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    git.stage(&paths)?;
    steps.step();
    Ok(message.map(|m| git.commit(&paths, m)).transpose()?)
}

/// Finishes or undoes an operation a crash interrupted; says what it did, if anything.
pub fn recover(root: &Path, git: &Git) -> Result<Option<String>, TransactionError> {
    let dir = git.state_dir();
    let path = dir.join(JOURNAL);
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(None);
    };
    let journal: Journal = serde_json::from_slice(&bytes)
        .map_err(|source| TransactionError::Journal { path, source })?;
    if still_running(journal.pid, journal.started.as_deref()) {
        return Ok(None);
    }
    let committed = journal.commits && made_the_commit(git, &journal)?;
    let note = if committed {
        for entry in &journal.files {
            if let Some(tmp) = &entry.tmp {
                let _ = std::fs::remove_file(tmp);
            }
        }
        "an interrupted flagctl operation had already committed; its leftovers were cleaned up"
    } else {
        roll_back(root, git, &journal)?;
        "an interrupted flagctl operation was rolled back: every file it touched is as it was before"
    };
    remove_journal(&dir);
    Ok(Some(note.to_owned()))
}

/// Whether the operation's process is alive: a git hook running flagctl inherits the owner's
/// id; elsewhere, `/proc` tells (where there is one), by id and start time.
fn still_running(pid: u32, started: Option<&str>) -> bool {
    if std::env::var(crate::git::OPERATION_ENV).ok() == Some(pid.to_string()) {
        return true;
    }
    match (start_time(pid), started) {
        (Some(now), Some(then)) => now == then,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// A process's start time, in clock ticks since boot (field 22 of `/proc/PID/stat`).
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; fields after it are plain.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19).map(str::to_owned)
}

/// Whether HEAD is the operation's commit: the child of the HEAD it started from, holding every
/// new content.
fn made_the_commit(git: &Git, journal: &Journal) -> Result<bool, TransactionError> {
    let head = git.head()?;
    if head.id == journal.head
        || git.resolve(&format!("{}^", head.id)).map(|p| p.id).ok() != Some(journal.head.clone())
    {
        return Ok(false);
    }
    for entry in &journal.files {
        let held = git
            .file_at(&head.id, &entry.path)?
            .map(|b| Git::blob_id(&b));
        if held != entry.after {
            return Ok(false);
        }
    }
    Ok(true)
}

fn roll_back(root: &Path, git: &Git, journal: &Journal) -> Result<(), TransactionError> {
    for entry in &journal.files {
        let target = root.join(&entry.path);
        if let Some(tmp) = &entry.tmp {
            let _ = std::fs::remove_file(tmp);
        }
        match &entry.backup {
            Some(backup) => {
                let bytes = std::fs::read(backup).map_err(|source| TransactionError::Io {
                    path: PathBuf::from(backup),
                    cause: source,
                })?;
                write_synced(&target, &bytes)?;
            }
            None => {
                let _ = std::fs::remove_file(&target);
            }
        }
    }
    let paths: Vec<String> = journal.files.iter().map(|f| f.path.clone()).collect();
    git.unstage(&paths)?;
    Ok(())
}

fn remove_journal(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(JOURNAL));
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with("op-") {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn create_dir(path: &Path) -> Result<(), TransactionError> {
    std::fs::create_dir_all(path).map_err(|source| TransactionError::Io {
        path: path.to_owned(),
        cause: source,
    })
}

fn rename(from: &Path, to: &Path) -> Result<(), TransactionError> {
    std::fs::rename(from, to).map_err(|source| TransactionError::Io {
        path: to.to_owned(),
        cause: source,
    })
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), TransactionError> {
    use std::io::Write;
    let io = |source| TransactionError::Io {
        path: path.to_owned(),
        cause: source,
    };
    let mut file = std::fs::File::create(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}
