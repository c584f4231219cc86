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
        "another flagctl is writing in this repository ({holder}); try again when it is done (if no flagctl is running, remove {})",
        lock.display()
    )]
    Busy { holder: String, lock: PathBuf },
    #[error(
        "git (process {pid}) of an interrupted flagctl operation is still running after {seconds} s; try again when it has ended"
    )]
    ChildRunning { pid: u32, seconds: u64 },
    #[error(
        "{cause}; undoing the change failed too ({rollback}); the next flagctl command finishes the undo from the journal in {}",
        journal.display()
    )]
    RollbackFailed {
        cause: Box<TransactionError>,
        rollback: Box<TransactionError>,
        journal: PathBuf,
    },
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
    /// The commit's message: its trailers tell the operation's commit from another.
    #[serde(default)]
    message: Option<String>,
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
const LOCK: &str = "lock";

/// How long recovery waits for the git process (and its hooks) of an interrupted operation.
const CHILD_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// The repository's write lock: a file created only if absent (as git's `index.lock` is), naming
/// the process that holds it, removed when dropped. Every write, and every recovery, holds it
/// from before it reads the state it changes until it is done, so two writers never interleave.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

/// What a lock file says of its holder.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Holder {
    pid: u32,
    /// As in [`Journal::started`].
    started: Option<String>,
}

impl Lock {
    /// Takes the lock, or says who holds it. A lock whose holder died (`kill -9`, a power cut)
    /// is taken over; where liveness cannot be told (no `/proc`), the refusal says how to remove
    /// it.
    pub fn acquire(git: &Git) -> Result<Lock, TransactionError> {
        let dir = git.state_dir();
        create_dir(&dir)?;
        let path = dir.join(LOCK);
        let me = Holder {
            pid: std::process::id(),
            started: start_time(std::process::id()),
        };
        let bytes = serde_json::to_vec(&me).unwrap_or_default();
        // Two rounds: a stale lock is removed in the first, taken in the second.
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => {
                    use std::io::Write;
                    let lock = Lock { path };
                    file.write_all(&bytes)
                        .and_then(|()| file.sync_all())
                        .map_err(|source| TransactionError::Io {
                            path: lock.path.clone(),
                            cause: source,
                        })?;
                    return Ok(lock);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let seen = std::fs::read(&path).unwrap_or_default();
                    match serde_json::from_slice::<Holder>(&seen) {
                        Ok(holder) => match alive(holder.pid, holder.started.as_deref()) {
                            Some(false) => remove_stale(&path, &seen)?,
                            _ => return Err(busy(&path, &format!("process {}", holder.pid))),
                        },
                        // Created, not yet written: its holder is starting, unless it died
                        // right then (long ago).
                        Err(_) if !written_long_ago(&path) => {
                            return Err(busy(&path, "a process that is just starting"));
                        }
                        Err(_) => remove_stale(&path, &seen)?,
                    }
                }
                Err(source) => {
                    return Err(TransactionError::Io {
                        path,
                        cause: source,
                    });
                }
            }
        }
        Err(busy(&path, "a process that just took over a stale lock"))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn busy(lock: &Path, holder: &str) -> TransactionError {
    TransactionError::Busy {
        holder: holder.to_owned(),
        lock: lock.to_owned(),
    }
}

fn written_long_ago(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > std::time::Duration::from_secs(10))
}

/// Removes a dead holder's lock. Another process may have found the same stale lock and taken
/// the lock since: the file is moved aside first and removed only if it is still the one seen;
/// a live lock moved aside by mistake is put back.
fn remove_stale(path: &Path, seen: &[u8]) -> Result<(), TransactionError> {
    let aside = path.with_extension(format!("stale-{}", std::process::id()));
    match std::fs::rename(path, &aside) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(TransactionError::Io {
                path: path.to_owned(),
                cause: source,
            });
        }
    }
    if std::fs::read(&aside).unwrap_or_default() != seen {
        let _ = std::fs::hard_link(&aside, path);
    }
    let _ = std::fs::remove_file(&aside);
    Ok(())
}

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
/// The caller holds the repository's [`Lock`] from before it read what it changes.
pub fn apply(
    root: &Path,
    git: &Git,
    _lock: &Lock,
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
    let journal = begin(&dir, git, files, &targets, message)?;
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
            // A write failed, the hook refused, or git failed: put everything back as it was,
            // and say what went wrong first (the undo failing too keeps the journal for later).
            match roll_back(root, git, &journal) {
                Ok(()) => {
                    remove_journal(&dir);
                    Err(err)
                }
                Err(rollback) => Err(TransactionError::RollbackFailed {
                    cause: Box::new(err),
                    rollback: Box::new(rollback),
                    journal: dir.join(JOURNAL),
                }),
            }
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
    message: Option<&str>,
) -> Result<Journal, TransactionError> {
    let op = dir.join(format!("op-{}", std::process::id()));
    create_dir(&op)?;
    let mut journal = Journal {
        version: 1,
        pid: std::process::id(),
        started: start_time(std::process::id()),
        head: git.head()?.id,
        commits: message.is_some(),
        message: message.map(str::to_owned),
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
    if !git.state_dir().join(JOURNAL).exists() {
        return Ok(None);
    }
    match Lock::acquire(git) {
        Ok(lock) => recover_locked(root, git, &lock),
        // A live writer's journal is not a crash's: it finishes its own work.
        Err(TransactionError::Busy { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// [`recover`], for a caller that holds the lock.
pub fn recover_locked(
    root: &Path,
    git: &Git,
    _lock: &Lock,
) -> Result<Option<String>, TransactionError> {
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
    // The killed process's git (and its hooks) may still be at work and may yet commit: judge
    // only once they are done, and only with the index free.
    wait_for_children(git, journal.pid)?;
    let committed = journal.commits && made_the_commit(git, &journal)?;
    let short = |id: &str| id.chars().take(12).collect::<String>();
    let note = if committed {
        for entry in &journal.files {
            if let Some(tmp) = &entry.tmp {
                let _ = std::fs::remove_file(tmp);
            }
        }
        format!(
            "an interrupted flagctl operation had already committed ({}); its leftovers were cleaned up",
            short(&git.head()?.id)
        )
    } else {
        roll_back(root, git, &journal)?;
        let when = if journal.commits {
            " before its commit"
        } else {
            ""
        };
        format!(
            "an interrupted flagctl operation was rolled back{when}: every file it touched is as it was before (HEAD is still {})",
            short(&git.head()?.id)
        )
    };
    remove_journal(&dir);
    Ok(Some(note))
}

/// Waits until no process of operation `owner` runs (git and its hooks carry the owner's id in
/// their environment) and git's index is free.
fn wait_for_children(git: &Git, owner: u32) -> Result<(), TransactionError> {
    let started = std::time::Instant::now();
    loop {
        let children = processes_of(owner);
        if children.is_empty() {
            break;
        }
        if started.elapsed() >= CHILD_WAIT {
            return Err(TransactionError::ChildRunning {
                pid: children[0],
                seconds: CHILD_WAIT.as_secs(),
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Without /proc the children cannot be seen: the index lock a commit holds to its end is
    // the sign left. With it, a lock no child holds is another program's (or a killed git's).
    let wait = if proc_available() {
        std::time::Duration::ZERO
    } else {
        std::time::Duration::from_secs(10)
    };
    let started = std::time::Instant::now();
    while git.index_lock().exists() {
        if started.elapsed() >= wait {
            return Err(GitError::Busy(crate::git::Busy::IndexLocked(git.index_lock())).into());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Ok(())
}

/// The live processes (other than this one) whose environment marks them as children of
/// operation `owner` ([`crate::git::OPERATION_ENV`]); none where `/proc` cannot tell.
fn processes_of(owner: u32) -> Vec<u32> {
    let marker = format!("{}={owner}", crate::git::OPERATION_ENV);
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me && pid != owner)
        .filter(|&pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|var| var == marker.as_bytes()))
                && start_time(pid).is_some()
        })
        .collect()
}

fn proc_available() -> bool {
    Path::new("/proc/self/stat").exists()
}

/// Whether the operation's process is alive: a git hook running flagctl inherits the owner's
/// id; elsewhere, `/proc` tells (where there is one), by id and start time.
fn still_running(pid: u32, started: Option<&str>) -> bool {
    if std::env::var(crate::git::OPERATION_ENV).ok() == Some(pid.to_string()) {
        return true;
    }
    alive(pid, started).unwrap_or(false)
}

/// Whether process `pid`, started at `started`, lives (`None`: no `/proc` to tell).
fn alive(pid: u32, started: Option<&str>) -> Option<bool> {
    if !proc_available() {
        return None;
    }
    Some(match (start_time(pid), started) {
        (Some(now), Some(then)) => now == then,
        (Some(_), None) => true,
        (None, _) => false,
    })
}

/// The start time of live process `pid`, in clock ticks since boot (field 22 of
/// `/proc/PID/stat`; `None`: gone, or a zombie waiting to be reaped).
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; fields after it are plain.
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    if fields.next()? == "Z" {
        return None;
    }
    fields.nth(18).map(str::to_owned)
}

/// Whether HEAD is the operation's commit: the child of the HEAD it started from, with the
/// operation's trailers, holding every new content.
fn made_the_commit(git: &Git, journal: &Journal) -> Result<bool, TransactionError> {
    let head = git.head()?;
    if head.id == journal.head
        || git.resolve(&format!("{}^", head.id)).map(|p| p.id).ok() != Some(journal.head.clone())
    {
        return Ok(false);
    }
    if let Some(message) = &journal.message {
        if git.commit_details(&head.id)?.trailers != crate::git::trailers(message) {
            return Ok(false);
        }
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
