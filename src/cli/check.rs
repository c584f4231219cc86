//! `flagctl check --base REV`: the merge gate.

use super::{Global, Outcome, printed};
use crate::drift;
use crate::finding::Severity;
use crate::gate;
use crate::lint::Linter;
use crate::report::{self, Report};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The revision the change is judged against (the target branch, e.g. origin/main)
    #[arg(long, value_name = "REV")]
    base: String,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let (repo, git) = super::history_repo(global, None)?;
    let now = crate::time::now()?;
    let verdict = gate::check(&repo, &git, &args.base)?;
    let mut findings = verdict.findings;

    let files = repo.files()?;
    let validation = Linter::new(&repo, now)?.validate(&repo, &files);
    findings.extend(validation.findings);

    let pairs = super::pairs(&repo.config, &[])?;
    let envs = super::envs_of(&pairs);
    let comparison = drift::Comparison::new(&repo, &pairs, now, drift::Detail::Findings);
    let (drift, _) = super::compare(&repo, &envs, &comparison, drift::Ages::Git(Some(&git)))?;
    // Unparsable files are already validation findings; the gate adds drift at error level.
    findings.extend(
        drift.findings.into_iter().filter(|f| {
            f.code.of::<crate::drift::Code>().is_some() && f.severity == Severity::Error
        }),
    );
    // Suppressions, like policy, come from the base: a change cannot silence its own gate.
    findings.retain(|f| !verdict.policy.ignores(f));
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let report = Report::new("check", &findings, files.len(), repo.root.clone());
    printed(report::print(&report, global.format, global.color))?;
    Ok(Outcome::from_counts(report.counts, global.strict))
}
