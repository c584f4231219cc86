//! `flagctl check --base REV`: the merge gate.

use super::{Global, Outcome, printed};
use crate::drift;
use crate::finding::Severity;
use crate::gate;
use crate::inventory::Inventory;
use crate::lint::Linter;
use crate::report::{self, Report};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The revision the change is judged against (the target branch, e.g. origin/main)
    #[arg(long, value_name = "REV")]
    base: String,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    let git = super::git_of(&repo)?;
    let now = crate::time::now()?;
    let (_, mut findings) = gate::check(&repo, &git, &args.base)?;

    let files = repo.files()?;
    let validation = Linter::new(&repo, now)?.validate(&repo, &files);
    findings.extend(validation.findings);

    let pairs = super::pairs(&repo.config, &[])?;
    let envs = super::envs_of(&pairs);
    let inventory = Inventory::load(&repo, &envs)?;
    let drift = drift::compare(
        &repo.config,
        &inventory,
        &pairs,
        Some(&git),
        now,
        drift::Detail::Findings,
    )?;
    // Unparsable files are already validation findings; the gate adds drift at error level.
    findings.extend(
        drift.findings.into_iter().filter(|f| {
            f.code.of::<crate::drift::Code>().is_some() && f.severity == Severity::Error
        }),
    );
    findings.retain(|f| !repo.config.ignores(f));
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let report = Report::new("check", &findings, files.len(), repo.root.clone());
    printed(report::print(&report, global.format, global.color))?;
    Ok(Outcome::from_counts(report.counts, global.strict))
}
