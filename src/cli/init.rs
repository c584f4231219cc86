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
    /// Only set up the merge driver, in an existing flag repository: `.gitattributes` and this
    /// clone's git config (git reads merge drivers from each clone's config alone)
    #[arg(long)]
    merge_driver: bool,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let dir = global.start_dir().join(args.dir.unwrap_or_default());
    if args.merge_driver {
        return merge_driver_only(&dir);
    }
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
    let driver = match crate::git::install_merge_driver(&dir) {
        Ok(config) => installed(&config),
        Err(_) => format!(
            "\n\nMerge driver: not set up ({} is not in a git repository); after `git init`, run\n  flagctl -C {} init --merge-driver",
            dir.display(),
            dir.display()
        ),
    };
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
        "Created a flag repository in {} ({written} files).\n\nNext:\n  flagctl -C {} validate\n  git config core.hooksPath .githooks   # validate before every commit{driver}\n\nOr, with the pre-commit framework (https://pre-commit.com), in .pre-commit-config.yaml:\n{}\nthen: pre-commit install",
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

/// What `init` says once the driver is in `config`.
fn installed(config: &std::path::Path) -> String {
    format!(
        "\n\nMerge driver: flag files now merge field by field (merge.flagctl.driver set in {}).\nGit config is per clone: every other clone runs `flagctl init --merge-driver` once, or\n  git config merge.flagctl.driver '{}'",
        config.display(),
        crate::git::MERGE_DRIVER
    )
}

/// `init --merge-driver`: the `.gitattributes` line routing flag files to the driver (added if
/// missing) and the driver in this clone's git config.
fn merge_driver_only(dir: &std::path::Path) -> anyhow::Result<Outcome> {
    let repo = Repository::discover(dir)?;
    let attributes = repo.root.join(".gitattributes");
    let existing = match std::fs::read_to_string(&attributes) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", attributes.display())),
    };
    let routed = existing.lines().any(|line| {
        line.split_whitespace()
            .skip(1)
            .any(|a| a == "merge=flagctl")
    });
    if !routed {
        let flags = repo.flags_path();
        let separator = if existing.is_empty() || existing.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        let text = format!(
            "{existing}{separator}{}{flags}/**/*.yaml merge=flagctl\n{flags}/**/*.yml merge=flagctl\n",
            scaffold::GITATTRIBUTES_COMMENT
        );
        std::fs::write(&attributes, text)
            .with_context(|| format!("writing {}", attributes.display()))?;
    }
    let config = crate::git::install_merge_driver(&repo.root).map_err(|e| {
        anyhow::anyhow!(
            "{} is not in a git repository ({e}); the merge driver is set in a clone's git config",
            repo.root.display()
        )
    })?;
    let mut out = std::io::stdout().lock();
    let added = if routed {
        String::new()
    } else {
        format!(
            "Added the flag files to {} (commit it, so every clone routes them to the driver).\n",
            attributes.display()
        )
    };
    printed(writeln!(out, "{added}{}", installed(&config).trim_start()))?;
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
