//! Commands that write flag files (SPEC §6): every write validated first, applied all or
//! nothing, and recorded as a git commit with trailers.

pub mod bump;
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
    /// The commit message: subject, then trailers.
    pub fn message(&self, reason: Option<&str>, command: &str) -> String {
        let mut trailers: Vec<(String, String)> = Vec::new();
        if let Some(reason) = reason {
            trailers.push(("Flagctl-Reason".to_owned(), reason.replace('\n', " ")));
        }
        trailers.push(("Flagctl-Command".to_owned(), command.to_owned()));
        trailers.extend(self.trailers.iter().cloned());
        let lines: Vec<String> = trailers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        format!("{}\n\n{}\n", self.subject, lines.join("\n"))
    }
}

/// A flag repository in a git work tree that can take a write now.
pub struct Workspace {
    pub repo: Repository,
    pub git: Git,
}

impl Workspace {
    pub fn open(repo: Repository) -> Result<Workspace, ChangeError> {
        let git = Git::open(&repo.root).ok_or_else(|| ChangeError::NotGit {
            root: repo.root.clone(),
        })?;
        if let Some(busy) = git.busy() {
            return Err(ChangeError::Busy(busy));
        }
        Ok(Workspace { repo, git })
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
        if let Some(file) = files.iter().find(|f| f.stem == name && named(f)) {
            return Ok(file.clone());
        }
        if let Some(file) = files.iter().find(|f| named(f)) {
            return Ok(file.clone());
        }
        let hint = did_you_mean(name, files.iter().map(|f| f.stem.as_str()))
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

    /// Optimistic concurrency: refuses if the flag moved since the caller looked.
    pub fn require_unmoved(
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
    let stem = std::path::Path::new(path)
        .file_stem()?
        .to_string_lossy()
        .into_owned();
    Some(SourceFile {
        kind: FileKind::Flag,
        path: path.to_owned(),
        env: Some(env),
        stem,
        symlink: false,
    })
}

/// The arguments after `flagctl`, as a shell would need them quoted.
pub fn command_line() -> String {
    std::env::args()
        .skip(1)
        .map(|arg| {
            if arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c))
                && !arg.is_empty()
            {
                arg
            } else {
                format!("'{}'", arg.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
