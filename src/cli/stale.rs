//! `flagctl stale [--code DIR…]`.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Global, Outcome, printed, progress};
use crate::git::Git;
use crate::history;
use crate::inventory::Inventory;
use crate::report::{self, Listing, Report, Table, View};
use crate::stale::{self, Lives, references};

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
        Some(git) => {
            let bar = progress("reading history");
            let entries = history::walk(&git, &repo.flags_path(), None, &|n| bar.set_position(n))?;
            bar.finish_and_clear();
            Lives::of(&entries, git.is_shallow())
        }
        None => Lives::unknown(),
    };
    let mentions = if args.code.is_empty() {
        None
    } else {
        let start = global.start_dir();
        let roots: Vec<PathBuf> = args.code.iter().map(|d| start.join(d)).collect();
        // The flag repository's own files name every flag; they are not the code.
        let config = &repo.config;
        let skip: Vec<PathBuf> = [
            config.flags_dir.clone(),
            PathBuf::from(crate::repo::SEGMENTS_DIR),
            PathBuf::from("templates"),
            config.tests_dir.clone(),
            PathBuf::from(crate::config::CONFIG_FILE),
        ]
        .iter()
        .map(|p| repo.root.join(p))
        .collect();
        let names: Vec<&str> = stale::chains(config, &inventory)
            .iter()
            .map(|c| c.name)
            .collect();
        let found = references::search(&roots, &skip, &repo.root, &names)?;
        let by_name: HashMap<String, references::References> =
            names.iter().map(|n| (*n).to_owned()).zip(found).collect();
        Some(by_name)
    };
    let staleness = stale::judge(&repo.config, &inventory, &lives, mentions.as_ref(), now);

    let mut findings = inventory.findings.clone();
    findings.extend(staleness.findings);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let searched = mentions.is_some();
    let mut columns = vec!["FLAG", "KIND", "OWNER", "ADDED", "CHANGED", "STALE"];
    if searched {
        columns.extend(["REFS", "FIRST REFERENCE"]);
    }
    let rows = staleness
        .flags
        .iter()
        .map(|f| {
            let mut row = vec![
                f.flag.clone(),
                f.kind.to_owned(),
                f.owner.clone().unwrap_or_default(),
                f.born.clone().unwrap_or_else(|| "?".to_owned()),
                f.changed.clone().unwrap_or_else(|| "?".to_owned()),
                f.codes
                    .iter()
                    .map(|c| c.trim_start_matches("stale/"))
                    .collect::<Vec<_>>()
                    .join(","),
            ];
            if searched {
                row.push(f.references.unwrap_or_default().to_string());
                row.push(
                    f.first_reference
                        .as_ref()
                        .map(|l| format!("{}:{}:{}", l.path, l.line, l.column))
                        .unwrap_or_default(),
                );
            }
            row
        })
        .collect();
    let table = Table {
        key: "stale",
        columns,
        rows,
        listing: Listing::Stale(&staleness.flags),
    };
    let report = Report::new("stale", &findings, inventory.files, repo.root.clone())
        .with_view(View::Table(&table));
    printed(report::print(&report, global.format, global.color))?;
    Ok(Outcome::from_counts(report.counts, global.strict))
}
