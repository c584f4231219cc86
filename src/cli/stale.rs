//! `flagctl stale [--code DIR…]`.

use std::path::PathBuf;

use super::{Global, Outcome, printed};
use crate::git::Git;
use crate::inventory::Inventory;
use crate::report::{self, Listing, Report, Table, View};
use crate::stale::{self, Lives};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also search the code under DIR for each flag's name (repeatable; `.gitignore` is
    /// respected, links are not followed): flags nothing mentions are stale
    #[arg(long = "code", value_name = "DIR", num_args = 1..)]
    code: Vec<PathBuf>,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    let envs = repo.config.environment_names();
    let inventory = Inventory::load_with_traits(&repo, &envs)?;
    let now = crate::time::now()?;
    let lives = match Git::open(&repo.root) {
        Some(git) => Lives::of(&super::flag_history(&git, &repo, None)?, git.is_shallow()),
        None => Lives::unknown(),
    };
    let mentions = if args.code.is_empty() {
        None
    } else {
        let start = global.start_dir();
        let roots: Vec<PathBuf> = args.code.iter().map(|d| start.join(d)).collect();
        Some(stale::mentions(&repo, &inventory, &roots)?)
    };
    let staleness = stale::judge(&repo.config, &inventory, &lives, mentions.as_ref(), now);

    let findings = staleness.findings_with(&inventory);
    let searched = mentions.is_some();
    let table = Table {
        key: "stale",
        columns: stale::columns(searched),
        rows: staleness.flags.iter().map(|f| f.cells(searched)).collect(),
        listing: Listing::Stale(&staleness.flags),
    };
    let report = Report::new("stale", &findings, inventory.files, repo.root.clone())
        .with_view(View::Table(&table));
    printed(report::print(&report, global.format, global.color))?;
    Ok(Outcome::from_counts(report.counts, global.strict))
}
