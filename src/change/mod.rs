//! Commands that write flag files (SPEC §6): every write validated first, applied all or
//! nothing, and recorded as a git commit with trailers.

pub mod bump;
pub mod create;
pub mod edit;
pub mod promote;
pub mod transaction;

use std::collections::HashSet;

use crate::finding::{Finding, did_you_mean};
use crate::git::{Busy, Git, GitError};
use crate::lint::Linter;
use crate::repo::{FileKind, Repository, SourceFile, parse_bytes};

pub use transaction::FileWrite;

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("{} is not in a git repository; flagctl records every change as a commit (run `git init` and commit the flags first)", root.display())]
    NotGit { root: std::path::PathBuf },
    #[error("{0}")]
    Busy(Busy),
    #[error("uncommitted changes in {}; commit or stash them first, so that this change is reviewed on its own", paths.join(", "))]
    Dirty { paths: Vec<String> },
    #[error("{env} requires a reason for every change: add --reason \"…\"")]
    ReasonRequired { env: String },
    #[error("flag \"{name}\" has no file in {env}{hint}")]
    UnknownFlag {
        name: String,
        env: String,
        hint: String,
    },
    #[error(
        "{path} is at version {found}, not {expected} (--expect-version): someone changed it since you looked"
    )]
    VersionMoved {
        path: String,
        found: String,
        expected: String,
    },
    #[error(
        "{path} was last changed by commit {found}, not {expected} (--expect-commit): someone changed it since you looked"
    )]
    CommitMoved {
        path: String,
        found: String,
        expected: String,
    },
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Transaction(#[from] transaction::TransactionError),
    #[error(transparent)]
    Edit(#[from] edit::EditError),
    #[error(transparent)]
    Repo(#[from] crate::repo::RepoError),
    #[error(transparent)]
    Path(#[from] crate::paths::PathError),
    #[error("{0}")]
    Refused(String),
}

/// A change ready to apply: the files it writes and the commit that records it.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The commit's subject line.
    pub subject: String,
    /// Trailers beside `Flagctl-Reason` and `Flagctl-Command` (added when it is applied).
    pub trailers: Vec<(String, String)>,
    pub files: Vec<FileWrite>,
}

impl Operation {
    /// A change of the one file at `path`, from `before` to `after`.
    pub fn one_file(subject: String, path: String, before: Vec<u8>, after: Vec<u8>) -> Operation {
        Operation {
            subject,
            trailers: Vec::new(),
            files: vec![FileWrite {
                path,
                before: Some(before),
                after: Some(after),
            }],
        }
    }

    /// The commit message: subject, then trailers.
    /// Every part is one line: a control character (a newline that would start a forged
    /// `Approved-by:` trailer, a carriage return, an escape) is written escaped, as `\n`.
    pub fn message(&self, reason: Option<&str>, command: &str) -> String {
        let mut trailers: Vec<(String, String)> = Vec::new();
        if let Some(reason) = reason {
            trailers.push(("Flagctl-Reason".to_owned(), reason.trim().to_owned()));
        }
        trailers.push(("Flagctl-Command".to_owned(), command.to_owned()));
        trailers.extend(self.trailers.iter().cloned());
        let lines: Vec<String> = trailers
            .iter()
            .map(|(k, v)| format!("{}: {}", one_line(k), one_line(v)))
            .collect();
        format!("{}\n\n{}\n", one_line(&self.subject), lines.join("\n"))
    }

    /// The new contents of the files it writes (not those it deletes), as a report shows them.
    pub fn proposed(&self) -> Vec<(String, String)> {
        self.files
            .iter()
            .filter_map(|f| {
                Some((
                    f.path.clone(),
                    String::from_utf8_lossy(f.after.as_deref()?).into_owned(),
                ))
            })
            .collect()
    }
}

/// A flag repository in a git work tree that can take a write now, and holds the write lock
/// until dropped.
pub struct Workspace {
    pub repo: Repository,
    pub git: Git,
    pub lock: transaction::Lock,
}

impl Workspace {
    pub fn open(repo: Repository) -> Result<Workspace, ChangeError> {
        let git = Git::open(&repo.root).ok_or_else(|| ChangeError::NotGit {
            root: repo.root.clone(),
        })?;
        // The lock comes first: the state checked below and the flag files read later are then
        // what this write changes, with no other writer between.
        let lock = transaction::Lock::acquire(&git)?;
        if let Some(busy) = git.busy() {
            return Err(ChangeError::Busy(busy));
        }
        // An operation that crashed after this command started: undone or finished now, and
        // said, rather than written over.
        if let Some(note) = transaction::recover_locked(&repo.root, &git, &lock)? {
            return Err(ChangeError::Refused(format!(
                "{note}; nothing else was changed: run the command again"
            )));
        }
        Ok(Workspace { repo, git, lock })
    }

    /// The file of flag `name` in `env` (its stem is the name, or failing that its `name:` is).
    pub fn flag_file(&self, name: &str, env: &str) -> Result<SourceFile, ChangeError> {
        let files: Vec<SourceFile> = self
            .repo
            .files()?
            .into_iter()
            .filter(|f| f.kind == FileKind::Flag && f.env.as_deref() == Some(env))
            .collect();
        let named = |f: &SourceFile| {
            self.repo
                .read(f)
                .ok()
                .and_then(|bytes| parse_bytes(&f.path, &bytes).ok())
                .and_then(|p| {
                    p.root
                        .get("name")
                        .and_then(|n| n.as_str().map(str::to_owned))
                })
                .as_deref()
                == Some(name)
        };
        if let Some(file) = files.iter().find(|f| f.stem() == name && named(f)) {
            return Ok(file.clone());
        }
        if let Some(file) = files.iter().find(|f| named(f)) {
            return Ok(file.clone());
        }
        // A file of that name that cannot be read is named with why, not taken for none.
        if let Some(file) = files.iter().find(|f| f.stem() == name) {
            if let Err(finding) = self.repo.read(file) {
                return Err(ChangeError::Refused(format!(
                    "{}: {} ({})",
                    file.path, finding.message, finding.code
                )));
            }
        }
        let hint = did_you_mean(name, files.iter().map(|f| f.stem()))
            .map(|h| format!(" (did you mean \"{h}\"?)"))
            .unwrap_or_default();
        Err(ChangeError::UnknownFlag {
            name: name.to_owned(),
            env: env.to_owned(),
            hint,
        })
    }

    /// Refuses if any of `paths` differs from HEAD.
    pub fn require_clean(&self, paths: &[&str]) -> Result<(), ChangeError> {
        let mut dirty = Vec::new();
        for path in paths {
            if self.git.is_dirty(path)? {
                dirty.push((*path).to_owned());
            }
        }
        if dirty.is_empty() {
            Ok(())
        } else {
            Err(ChangeError::Dirty { paths: dirty })
        }
    }

    /// Refuses a change to `env` without a reason where the environment asks for one.
    pub fn require_reason(&self, env: &str, reason: Option<&str>) -> Result<(), ChangeError> {
        let wants = self
            .repo
            .config
            .environment(env)
            .is_some_and(|e| e.require_reason);
        if wants && reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(ChangeError::ReasonRequired {
                env: env.to_owned(),
            });
        }
        Ok(())
    }

    /// Optimistic concurrency: refuses if a file of `files` moved since the caller looked (a
    /// file to be created cannot be at the version or commit expected).
    pub fn require_unmoved(
        &self,
        files: &[FileWrite],
        expect_version: Option<&str>,
        expect_commit: Option<&str>,
    ) -> Result<(), ChangeError> {
        for file in files {
            match &file.before {
                Some(before) => {
                    self.require_file_unmoved(&file.path, before, expect_version, expect_commit)?
                }
                None if expect_version.is_some() || expect_commit.is_some() => {
                    return Err(ChangeError::Refused(format!(
                        "{} does not exist yet, so --expect-version/--expect-commit cannot hold",
                        file.path
                    )));
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Optimistic concurrency for one file, `bytes` as the caller saw it.
    fn require_file_unmoved(
        &self,
        path: &str,
        bytes: &[u8],
        expect_version: Option<&str>,
        expect_commit: Option<&str>,
    ) -> Result<(), ChangeError> {
        if let Some(expected) = expect_version {
            let found = parse_bytes(path, bytes)
                .ok()
                .and_then(|p| {
                    p.root
                        .get("version")
                        .and_then(|v| v.as_str().map(str::to_owned))
                })
                .unwrap_or_default();
            if found != expected {
                return Err(ChangeError::VersionMoved {
                    path: path.to_owned(),
                    found,
                    expected: expected.to_owned(),
                });
            }
        }
        if let Some(expected) = expect_commit {
            let last = self
                .git
                .history_of(path)?
                .into_iter()
                .next()
                .map(|c| c.id)
                .unwrap_or_default();
            let wanted = self
                .git
                .resolve(expected)
                .map(|c| c.id)
                .unwrap_or_else(|_| expected.to_owned());
            if last != wanted {
                return Err(ChangeError::CommitMoved {
                    path: path.to_owned(),
                    found: last,
                    expected: expected.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Refuses a write anywhere but a flag file of a known environment, through a symbolic
    /// link, or to a file another flag file links to (which would change that one unseen).
    pub fn require_writable(&self, files: &[FileWrite]) -> Result<(), ChangeError> {
        let mut targets = Vec::with_capacity(files.len());
        for (i, file) in files.iter().enumerate() {
            // Two contents for one file: the change cannot be made as shown.
            if files[..i].iter().any(|f| f.path == file.path) {
                return Err(ChangeError::Refused(format!(
                    "{} would be written twice in one change",
                    file.path
                )));
            }
            let target = crate::paths::write_target(&self.repo.root, &file.path)?;
            let in_env = source_for(&self.repo, &file.path)
                .and_then(|s| s.env)
                .is_some_and(|env| self.repo.config.environment(&env).is_some());
            if !in_env || !crate::repo::is_yaml(&target) {
                return Err(ChangeError::Refused(format!(
                    "{} is not a flag file of an environment ({}/<env>/…/<name>.yaml); flagctl writes nothing else",
                    file.path,
                    self.repo.flags_path()
                )));
            }
            if let Ok(real) = std::fs::canonicalize(&target) {
                targets.push((file.path.as_str(), real));
            }
        }
        if targets.is_empty() {
            return Ok(());
        }
        for link in self.repo.files()?.iter().filter(|f| f.symlink) {
            let Ok(real) = std::fs::canonicalize(self.repo.root.join(&link.path)) else {
                continue;
            };
            if let Some((path, _)) = targets.iter().find(|(_, t)| *t == real) {
                return Err(ChangeError::Refused(format!(
                    "{} is a symbolic link to {path}: a write to {path} would change it unseen; replace the link with a copy first",
                    link.path
                )));
            }
        }
        Ok(())
    }

    /// Writes `op`'s files and, if `commit`, records them in one commit (with `reason`); else
    /// stages them. The commit made, if any.
    pub fn apply(
        &self,
        op: &Operation,
        reason: Option<&str>,
        commit: bool,
    ) -> Result<Option<crate::git::CommitInfo>, ChangeError> {
        let message = op.message(reason, &command_line());
        let commit = transaction::apply(
            &self.repo.root,
            &self.git,
            &self.lock,
            &op.files,
            commit.then_some(message.as_str()),
        )?;
        Ok(commit)
    }

    /// The findings at error level that the new contents would have (nothing is written).
    pub fn validate(&self, files: &[FileWrite]) -> Result<Vec<Finding>, ChangeError> {
        let now = crate::time::now().map_err(|e| ChangeError::Refused(e.to_string()))?;
        let linter =
            Linter::new(&self.repo, now).map_err(|e| ChangeError::Refused(e.to_string()))?;
        let all = self.repo.files()?;
        let segments: HashSet<(Option<String>, String)> = linter.segment_names(&self.repo, &all);
        let mut findings = Vec::new();
        for file in files {
            let Some(after) = &file.after else { continue };
            let Some(source) = source_for(&self.repo, &file.path) else {
                continue;
            };
            findings.extend(
                linter
                    .check_content(&self.repo, &source, after, &segments)
                    .into_iter()
                    .filter(|f| f.severity == crate::finding::Severity::Error),
            );
        }
        Ok(findings)
    }
}

/// The source-file description of a repository-relative flag path.
pub fn source_for(repo: &Repository, path: &str) -> Option<SourceFile> {
    let flags = repo.flags_path();
    let rest = path.strip_prefix(&format!("{flags}/"))?;
    let env = rest.split('/').next()?.to_owned();
    // A path must name a file.
    std::path::Path::new(path).file_stem()?;
    Some(SourceFile {
        kind: FileKind::Flag,
        path: path.to_owned(),
        env: Some(env),
        symlink: false,
    })
}

/// `text` on one line: control characters written as escapes (`\n`, `\r`, `\t`, `\u{1b}`).
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_line_break(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Unicode line and paragraph separators, which some readers take for line ends.
fn is_line_break(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}')
}

/// The arguments after `flagctl`, as a shell would need them quoted (and on one line: an
/// argument with a control character is written in `$'…'` quoting, as bash reads it).
pub fn command_line() -> String {
    std::env::args_os()
        .skip(1)
        .map(|arg| shell_quoted(&arg.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quoted(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c))
    {
        arg.to_owned()
    } else if arg.chars().any(|c| c.is_control() || is_line_break(c)) {
        let escaped = arg.replace('\\', "\\\\").replace('\'', "\\'");
        format!("$'{}'", one_line(&escaped))
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_cannot_gain_a_trailer_from_user_text() {
        let op = Operation {
            subject: "toggle x\nApproved-by: A <a@example.com>".to_owned(),
            trailers: vec![(
                "Flagctl-Promoted-From".to_owned(),
                "staging\r\nApproved-by: B <b@example.com>".to_owned(),
            )],
            files: Vec::new(),
        };
        let message = op.message(
            Some("hotfix\nApproved-by: Boss <boss@example.com>"),
            &shell_quoted("hotfix\n\nApproved-by: C <c@example.com>"),
        );
        assert_eq!(message.lines().count(), 5, "{message}");
        assert!(
            !message.lines().any(|l| l.starts_with("Approved-by")),
            "{message}"
        );
        let trailers = crate::git::trailers(&message);
        assert!(
            trailers.iter().all(|(k, _)| k.starts_with("Flagctl-")),
            "{trailers:?}"
        );
    }

    #[test]
    fn arguments_are_quoted_as_a_shell_reads_them() {
        assert_eq!(shell_quoted("prod"), "prod");
        assert_eq!(shell_quoted("it's"), "'it'\\''s'");
        assert_eq!(shell_quoted("a\nb"), "$'a\\nb'");
        assert_eq!(shell_quoted("a'\tb"), "$'a\\'\\tb'");
        assert_eq!(shell_quoted("a\\b\n"), "$'a\\\\b\\n'");
    }
}
