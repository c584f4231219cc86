//! `flagctl export --env E [--format flagd|json] [-o FILE]`: the environment as flagd's flag
//! file, checked against flagd's schema before anything is written.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::{Global, Outcome, printed};
use crate::export::{self, Provenance};
use crate::report::{self, Format, Report};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The environment
    #[arg(long, short = 'e')]
    env: String,
    /// Write to FILE (atomically, inside the repository) instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    super::environment(&repo.config, &args.env)?;
    let target = args
        .output
        .as_deref()
        .map(|o| inside(&repo.root, &global.start_dir().join(o)))
        .transpose()?;
    let env = crate::eval::load(&repo, &args.env)?;
    let provenance = provenance(&repo, &env);
    let exported = match global.format {
        Format::Json => export::plain(&env, &provenance),
        _ => export::flagd(&env, &provenance),
    };
    let document = match exported {
        Ok(document) => document,
        Err(findings) => {
            let files = env.flags.len();
            let report = Report::new("export", &findings, files, repo.root.clone());
            let format = match global.format {
                Format::Flagd => Format::Human,
                other => other,
            };
            // Refused: the findings on stdout as the format asks, the target left untouched.
            printed(report::print(&report, format, global.color))?;
            return Ok(Outcome::Failed);
        }
    };
    let bytes = export::to_bytes(&document);
    match target {
        None => printed(std::io::stdout().lock().write_all(&bytes))?,
        Some(path) => write_atomically(&path, &bytes)?,
    }
    Ok(Outcome::Clean)
}

/// Where the export came from: HEAD, and whether the environment's files differ from it.
fn provenance(repo: &crate::repo::Repository, env: &crate::eval::Environment) -> Provenance {
    let Some(git) = crate::git::Git::open(&repo.root) else {
        return Provenance::default();
    };
    let commit = git.head().ok().map(|h| h.id);
    let dirty = commit.is_some()
        && env
            .flags
            .values()
            .any(|f| git.is_dirty(&f.path).unwrap_or(true));
    Provenance { commit, dirty }
}

/// `path` made absolute, refused unless it lies inside the repository.
fn inside(root: &Path, path: &Path) -> anyhow::Result<PathBuf> {
    let absolute =
        std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))?;
    let parent = absolute
        .parent()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let real_parent = std::fs::canonicalize(parent)
        .with_context(|| format!("cannot write {}: its folder does not exist", path.display()))?;
    let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
    if !real_parent.starts_with(&real_root) {
        bail!(
            "{} is outside the repository ({}); write inside it, or to stdout and redirect",
            path.display(),
            real_root.display()
        );
    }
    let Some(name) = absolute.file_name() else {
        bail!("{} is not a file path", path.display());
    };
    Ok(real_parent.join(name))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so that a
/// reader (flagd watching the file) sees the old file or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temporary = folder.join(format!(".{name}.flagctl-{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}
