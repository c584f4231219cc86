//! `flagctl diff [FROM TO]`.

use super::{Global, Outcome, printed};
use crate::drift;
use crate::git::Git;
use crate::report::{self, Report, View};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Compare only these two environments (in either order; the one earlier in the chain is
    /// upstream). Without them, every adjacent pair of the chain is compared.
    #[arg(value_name = "ENV", num_args = 2)]
    envs: Vec<String>,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    let pairs = super::pairs(&repo.config, &args.envs)?;
    let envs = super::envs_of(&pairs);
    let now = crate::time::now()?;
    let comparison = drift::Comparison::new(&repo, &pairs, now, drift::Detail::Fields);
    let git = Git::open(&repo.root);
    let (drift, files) = super::compare(&repo, &envs, &comparison, drift::Ages::Git(git.as_ref()))?;
    let report =
        Report::new("diff", &drift.findings, files, repo.root.clone()).with_view(View::Diff {
            in_sync: drift.in_sync,
            pending: drift.pending,
        });
    printed(report::print(&report, global.format, global.color))?;
    let outcome = Outcome::from_counts(report.counts, global.strict);
    super::free_at_exit(drift);
    Ok(outcome)
}
