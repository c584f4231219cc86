//! `flagctl validate [PATH…]` (alias `lint`).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::{Global, Outcome, printed};
use crate::lint::Linter;
use crate::repo::{Repository, SEGMENTS_DIR};
use crate::report::{self, Report};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A repository root to validate, or files and folders under its flags or segments folders
    /// to report on (the whole repository is still read, for cross-file rules)
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let start = global.start_dir();
    let resolved: Vec<PathBuf> = args.paths.iter().map(|p| start.join(p)).collect();
    let roots: Vec<&PathBuf> = resolved
        .iter()
        .filter(|p| p.is_dir() && Repository::is_root(p))
        .collect();
    let repo = match roots.as_slice() {
        // A file or folder names the repository it lies in (it may not be the current one).
        [] => match resolved.first().and_then(|path| enclosing_root(path)) {
            Some(root) => Repository::open(&root)?,
            None => global.repository()?,
        },
        [root] => Repository::discover(root)?,
        _ => bail!("validate one repository at a time (got {})", roots.len()),
    };
    let narrow = narrowing(&repo, &resolved, roots.first().copied())?;

    let now = crate::time::now()?;
    let linter = Linter::new(&repo, now).context("loading the schema")?;
    let files = repo.files()?;
    let mut validation = linter.validate(&repo, &files);
    let mut file_count = files.len();
    if !narrow.is_empty() {
        let under = |path: &str| {
            narrow
                .iter()
                .any(|n| path == n || path.starts_with(&format!("{n}/")))
        };
        validation
            .findings
            .retain(|f| f.path.as_deref().is_some_and(under));
        file_count = files.iter().filter(|f| under(&f.path)).count();
    }
    let report = Report::new(
        "validate",
        &validation.findings,
        file_count,
        repo.root.clone(),
    );
    printed(report::print(&report, global.format, global.color))?;
    Ok(Outcome::from_counts(report.counts, global.strict))
}

/// The repository-relative prefixes that PATHs other than the root narrow the report to.
fn narrowing(
    repo: &Repository,
    paths: &[PathBuf],
    root: Option<&PathBuf>,
) -> anyhow::Result<Vec<String>> {
    let base = std::fs::canonicalize(&repo.root).unwrap_or_else(|_| repo.root.clone());
    let flags = repo.flags_path();
    let mut prefixes = Vec::new();
    for path in paths {
        if Some(path) == root {
            continue;
        }
        let absolute = std::fs::canonicalize(path)
            .with_context(|| format!("{}: no such file or folder", path.display()))?;
        let relative = absolute
            .strip_prefix(&base)
            .map(Path::to_owned)
            .ok()
            .map(|r| repo.relative(&repo.root.join(r)));
        match relative {
            Some(rel) if is_under(&rel, &flags) || is_under(&rel, SEGMENTS_DIR) => {
                prefixes.push(rel)
            }
            _ => bail!(
                "{}: not a flag repository, nor a file or folder under its {flags}/ or {SEGMENTS_DIR}/ folders",
                path.display()
            ),
        }
    }
    Ok(prefixes)
}

/// The nearest folder holding `path` that is a flag repository's root.
fn enclosing_root(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    absolute
        .ancestors()
        .skip(1)
        .find(|dir| Repository::is_root(dir))
        .map(Path::to_owned)
}

fn is_under(path: &str, dir: &str) -> bool {
    path == dir || path.starts_with(&format!("{dir}/"))
}
