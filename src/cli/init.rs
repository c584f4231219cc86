//! `flagctl init [DIR]`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};

use super::{Global, Outcome, printed};
use crate::repo::Repository;
use crate::scaffold;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to create the repository (created if missing; default: the current folder)
    dir: Option<PathBuf>,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let dir = global.start_dir().join(args.dir.unwrap_or_default());
    if Repository::is_root(&dir) {
        bail!("{} is already a flag repository", dir.display());
    }
    let files = scaffold::files();
    let existing: Vec<&str> = files
        .iter()
        .map(|(path, _)| *path)
        .filter(|path| dir.join(path).exists())
        .collect();
    if !existing.is_empty() {
        bail!(
            "{} already has {}; nothing was written",
            dir.display(),
            existing.join(", ")
        );
    }
    for (path, contents) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, contents)
            .with_context(|| format!("writing {}", target.display()))?;
    }
    make_executable(&dir.join(".githooks/pre-commit"))?;
    // Editor settings a folder already has are the user's: leave them, say what to add.
    let mut written = files.len();
    let mut kept = Vec::new();
    for (path, contents) in scaffold::EDITOR_FILES {
        let target = dir.join(path);
        if target.exists() {
            kept.push(*path);
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, contents)
            .with_context(|| format!("writing {}", target.display()))?;
        written += 1;
    }
    let mut out = std::io::stdout().lock();
    printed(writeln!(
        out,
        "Created a flag repository in {} ({written} files).\n\nNext:\n  flagctl -C {} validate\n  git config core.hooksPath .githooks   # validate before every commit\n\nOr, with the pre-commit framework (https://pre-commit.com), in .pre-commit-config.yaml:\n{}\nthen: pre-commit install",
        dir.display(),
        dir.display(),
        scaffold::pre_commit_config()
    ))?;
    for path in kept {
        printed(writeln!(
            out,
            "\n{path} exists and was left as it is; for schema checks as you type, add:\n{}",
            scaffold::EDITOR_FILES
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, c)| *c)
                .unwrap_or_default()
        ))?;
    }
    Ok(Outcome::Clean)
}

#[cfg(unix)]
fn make_executable(path: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("making {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &std::path::Path) -> anyhow::Result<()> {
    Ok(())
}
