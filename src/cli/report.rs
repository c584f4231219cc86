//! `flagctl report -o DIR`.

use std::path::PathBuf;

use super::{Global, Outcome, printed, progress};
use crate::dashboard::{self, Head, Inputs, TestRun};
use crate::git::Git;
use crate::history;
use crate::inventory::Inventory;
use crate::report::{self, Listing, Report, Table, View, html};

/// How far back from HEAD recorded test results still count.
const TEST_NOTES_DEPTH: usize = 1000;

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
    let (entries, head, tests) = match &git {
        Some(git) => {
            let bar = progress("reading history");
            let entries = history::walk(git, &repo.flags_path(), None, &|n| bar.set_position(n))?;
            bar.finish_and_clear();
            let head = git.head()?;
            let tests = git
                .newest_note(dashboard::tests::NOTES_REF, TEST_NOTES_DEPTH)?
                .map(|(commit, behind, note)| TestRun::read(commit, behind, &note));
            let head = Head {
                commit: head.id,
                time: head.time.to_string(),
            };
            (entries, Some(head), tests)
        }
        None => (Vec::new(), None, None),
    };
    let title = std::fs::canonicalize(&repo.root)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "flags".to_owned());
    let board = dashboard::build(Inputs {
        config: &repo.config,
        inventory: &inventory,
        entries: &entries,
        in_git: git.is_some(),
        shallow: git.as_ref().is_some_and(Git::is_shallow),
        head,
        tests,
        title,
        now,
    })?;
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
        eprintln!(
            "{} flags × {} environments: average health {}, {} drifting, {} stale ({} errors, {} warnings)",
            summary.flags,
            summary.environments,
            summary.average_health,
            summary.drifting,
            summary.stale,
            summary.errors,
            summary.warnings
        );
    }
    Ok(Outcome::from_counts(printed_report.counts, global.strict))
}
