//! `flagctl test [PATH…] [--record]`: runs flag test specs (`tests_dir`, default `tests/flags`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};

use super::{Global, Outcome, printed};
use crate::eval::spec;
use crate::report::{self, Format, Report};

/// Where `--record` keeps test outcomes: a git note on the commit tested.
pub const NOTES_REF: &str = "refs/notes/flagctl-tests";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Spec files or folders (default: `tests_dir` of flagctl.yaml, `tests/flags`)
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Store the outcome as a git note on HEAD (`refs/notes/flagctl-tests`), shown by `log`
    #[arg(long)]
    record: bool,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    let start = global.start_dir();
    let roots: Vec<PathBuf> = if args.paths.is_empty() {
        vec![repo.root.join(&repo.config.tests_dir)]
    } else {
        args.paths.iter().map(|p| start.join(p)).collect()
    };
    let mut specs = Vec::new();
    for root in &roots {
        if root.is_file() {
            specs.push(root.clone());
            continue;
        }
        if !root.is_dir() {
            bail!("{}: no such spec file or folder", root.display());
        }
        for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
            let entry = entry.with_context(|| format!("reading {}", root.display()))?;
            let path = entry.path();
            if entry.file_type().is_file()
                && path.extension().is_some_and(|e| e == "yaml" || e == "yml")
            {
                specs.push(path.to_owned());
            }
        }
    }
    let root = std::fs::canonicalize(&repo.root).unwrap_or_else(|_| repo.root.clone());
    let mut envs = BTreeMap::new();
    for env in repo.config.environment_names() {
        envs.insert(env.to_owned(), crate::eval::load(&repo, env)?);
    }
    let now = crate::time::now()?.as_second();
    let mut outcome = spec::Run::default();
    for path in &specs {
        let real =
            std::fs::canonicalize(path).with_context(|| format!("reading {}", path.display()))?;
        if !real.starts_with(&root) {
            bail!("{} is outside the repository", path.display());
        }
        let bytes = std::fs::read(&real).with_context(|| format!("reading {}", path.display()))?;
        spec::run(&repo.relative(&real), &bytes, &envs, now, &mut outcome);
    }
    let failed = outcome
        .outcomes
        .iter()
        .filter(|o| o.failure.is_some())
        .count();
    if args.record {
        let git = super::git_of(&repo)?;
        let verdict = if failed == 0 && outcome.findings.is_empty() {
            "passed"
        } else {
            "failed"
        };
        let note = format!(
            "flagctl test: {verdict}, {}/{} cases in {} specs\n",
            outcome.outcomes.len() - failed,
            outcome.outcomes.len(),
            specs.len()
        );
        git.note_head(NOTES_REF, &note)
            .context("recording the outcome")?;
    }
    let counts = crate::finding::Counts::of(&outcome.findings);
    match global.format {
        Format::Junit => {
            let mut out = std::io::stdout().lock();
            let broken: Vec<_> = outcome
                .findings
                .iter()
                .filter(|f| f.code.is(spec::Code::InvalidSpec))
                .cloned()
                .collect();
            printed(report::junit::write(&mut out, &outcome.outcomes, &broken))?;
        }
        format => {
            let report = Report::new("test", &outcome.findings, specs.len(), repo.root.clone());
            printed(report::print(&report, format, global.color))?;
            if format == Format::Human && outcome.findings.is_empty() {
                println!(
                    "{} cases passed in {} specs",
                    outcome.outcomes.len(),
                    specs.len()
                );
            }
        }
    }
    Ok(Outcome::from_counts(counts, global.strict))
}
