//! `flagctl audit [--since REV|DATE] [--env E]`.

use super::{Global, Outcome, printed};
use crate::audit::{self, Scope};
use crate::history::Entry;
use crate::report::{self, Listing, Report, Table, View};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only what came after this revision, or on and after this date (YYYY-MM-DD)
    #[arg(long, value_name = "REV|DATE")]
    since: Option<String>,
    /// Only changes to this environment
    #[arg(long, short = 'e')]
    env: Option<String>,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let (repo, git) = super::history_repo(global, args.env.as_deref())?;
    let scope = Scope::new(&git, args.since.as_deref(), args.env)?;
    if scope.after.is_none() {
        // From the edge of a shallow clone, every flag would read as created there, unreviewed.
        git.whole_history("audit reads the history from its first commit (or from --since REV)")?;
    }
    let entries = super::flag_history(&git, &repo, scope.after.as_deref())?;
    let entries: Vec<&Entry> = entries.iter().filter(|e| scope.admits(e)).collect();

    let mut findings = audit::findings(&git, &entries)?;
    findings.retain(|f| scope.keeps(f));
    let table = Table {
        key: "audit",
        columns: audit::COLUMNS.to_vec(),
        rows: entries.iter().map(|e| audit::row(e)).collect(),
        listing: Listing::Audit(entries.clone()),
    };
    let report =
        Report::new("audit", &findings, 0, repo.root.clone()).with_view(View::Table(&table));
    printed(report::print(&report, global.format, global.color))?;
    Ok(Outcome::from_counts(report.counts, global.strict))
}
