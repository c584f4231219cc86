//! `flagctl status`.

use super::{Global, Outcome, printed};
use crate::drift;
use crate::git::Git;
use crate::report::{self, Report, View};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show only flags whose name contains this text (repeatable)
    #[arg(long = "flag", value_name = "TEXT")]
    flags: Vec<String>,
    /// Show only these environments (repeatable)
    #[arg(long = "env", value_name = "ENV")]
    envs: Vec<String>,
    /// Show only flags with drift (declared differences aside)
    #[arg(long)]
    drift_only: bool,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    for env in &args.envs {
        super::environment(&repo.config, env)?;
    }
    let pairs = super::pairs(&repo.config, &[])?;
    let all: Vec<&str> = repo.config.environment_names();
    let now = crate::time::now()?;
    let comparison =
        drift::Comparison::new(&repo, &pairs, now, drift::Detail::Findings).with_rows();
    let git = Git::open(&repo.root);
    let (mut drift, files) =
        super::compare(&repo, &all, &comparison, drift::Ages::Git(git.as_ref()))?;
    let mut rows = std::mem::take(&mut drift.rows);

    let shown: Vec<&str> = if args.envs.is_empty() {
        all.clone()
    } else {
        all.iter()
            .copied()
            .filter(|e| args.envs.iter().any(|a| a == e))
            .collect()
    };
    let selection = drift::Selection {
        flags: &args.flags,
        envs: &shown,
        drift_only: args.drift_only,
    };
    selection.apply(&mut rows, &mut drift.findings);
    let in_sync = rows.iter().filter(|r| r.in_sync()).count();
    let pending = rows.iter().filter(|r| r.pending()).count();
    let report =
        Report::new("status", &drift.findings, files, repo.root.clone()).with_view(View::Status {
            rows: &rows,
            in_sync,
            pending,
        });
    printed(report::print(&report, global.format, global.color))?;
    let outcome = Outcome::from_counts(report.counts, global.strict);
    super::free_at_exit((drift, rows));
    Ok(outcome)
}
