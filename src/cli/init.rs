//! `flagctl init [DIR]`.

use std::io::Write;
use std::path::PathBuf;

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
    let files = scaffold::create(&dir)?;
    let driver = match crate::git::install_merge_driver(&dir) {
        Ok(config) => installed(&config),
        Err(_) => format!(
            "\n\nMerge driver: not set up ({} is not in a git repository); after `git init`, run\n  flagctl -C {} init --merge-driver",
            dir.display(),
            dir.display()
        ),
    };
    // Editor settings a folder already has are the user's: leave them, say what to add.
    let editor = scaffold::write_editor_settings(&dir)?;
    let written = files + editor.written;
    let mut out = std::io::stdout().lock();
    printed(writeln!(
        out,
        "Created a flag repository in {} ({written} files).\n\nNext:\n  flagctl -C {} validate\n  git config core.hooksPath .githooks   # validate before every commit{driver}\n\nOr, with the pre-commit framework (https://pre-commit.com), in .pre-commit-config.yaml:\n{}\nthen: pre-commit install",
        dir.display(),
        dir.display(),
        scaffold::pre_commit_config()
    ))?;
    for path in editor.kept {
        printed(writeln!(
            out,
            "\n{path} exists and was left as it is; for schema checks as you type, add:\n{}",
            scaffold::editor_settings(path)
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
    let added = scaffold::route_to_merge_driver(&repo)?;
    let config = crate::git::install_merge_driver(&repo.root).map_err(|e| {
        anyhow::anyhow!(
            "{} is not in a git repository ({e}); the merge driver is set in a clone's git config",
            repo.root.display()
        )
    })?;
    let mut out = std::io::stdout().lock();
    let added = if added {
        format!(
            "Added the flag files to {} (commit it, so every clone routes them to the driver).\n",
            repo.root.join(".gitattributes").display()
        )
    } else {
        String::new()
    };
    printed(writeln!(out, "{added}{}", installed(&config).trim_start()))?;
    Ok(Outcome::Clean)
}
