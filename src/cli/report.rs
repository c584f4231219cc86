//! `flagctl report -o DIR`.

use std::path::PathBuf;

use super::{Global, Outcome, printed};
use crate::dashboard::{self, Inputs};
use crate::git::Git;
use crate::inventory::Inventory;
use crate::report::{self, Listing, Report, Table, View, html};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to write `index.html` and `report.json` into (made if missing)
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: PathBuf,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    let envs = repo.config.environment_names();
    let inventory = Inventory::load_with_traits(&repo, &envs)?;
    let now = crate::time::now()?;
    let git = Git::open(&repo.root);
    let entries = match &git {
        Some(git) => super::flag_history(git, &repo, None)?,
        None => Vec::new(),
    };
    let inputs = Inputs::read(&repo, &inventory, &entries, git.as_ref(), now)?;
    let board = dashboard::build(inputs)?;
    let written = html::write_site(&global.start_dir().join(&args.output), &board)?;

    let rows: Vec<Vec<String>> = written
        .iter()
        .map(|w| vec![w.path.display().to_string(), w.bytes.to_string()])
        .collect();
    let summary = &board.summary;
    let table = Table {
        key: "report",
        columns: vec!["WROTE", "BYTES"],
        rows,
        listing: Listing::Site {
            files: &written,
            summary,
        },
    };
    // The page shows every finding; the terminal gets the files and the tally.
    let shown: &[crate::finding::Finding] = match global.format {
        report::Format::Json | report::Format::Github => &board.findings,
        _ => &[],
    };
    let mut printed_report = Report::new("report", shown, inventory.files, repo.root.clone())
        .with_view(View::Table(&table));
    printed_report.counts = crate::finding::Counts::of(&board.findings);
    printed(report::print(&printed_report, global.format, global.color))?;
    if shown.is_empty() {
        eprintln!("{summary}");
    }
    Ok(Outcome::from_counts(printed_report.counts, global.strict))
}
