//! `flagctl test [PATH…] [--record]`: runs flag test specs (`tests_dir`, default `tests/flags`).

use std::path::PathBuf;

use anyhow::Context;

use super::{Global, Outcome, printed};
use crate::eval::spec;
use crate::report::{self, Format, Report};

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
    let specs = spec::files(&roots)?;
    let envs = spec::environments(&repo)?;
    let now = crate::time::now()?.as_second();
    let outcome = spec::run_files(&repo, &specs, &envs, now)?;
    if args.record {
        let git = super::git_of(&repo)?;
        git.note_head(spec::NOTES_REF, &outcome.note(specs.len()))
            .context("recording the outcome")?;
    }
    let counts = crate::finding::Counts::of(&outcome.findings);
    match global.format {
        Format::Junit => {
            let mut out = std::io::stdout().lock();
            let broken = outcome.broken_specs();
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
