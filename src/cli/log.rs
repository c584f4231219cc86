//! `flagctl log FLAG [--env E]`.

use super::{Global, Outcome, printed};
use crate::history;
use crate::report::{self, Listing, Report, Table, View};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flag's name
    flag: String,
    /// Only this environment's file
    #[arg(long, short = 'e')]
    env: Option<String>,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let (repo, git) = super::history_repo(global, args.env.as_deref())?;
    git.whole_history("a flag's log reads its history from the first commit")?;
    let envs: Vec<&str> = match &args.env {
        Some(env) => vec![env.as_str()],
        None => repo.config.environment_names(),
    };
    let entries = history::of_flag(&git, &repo, &args.flag, &envs)?;
    let listed = history::log_of(
        &git,
        &entries,
        &args.flag,
        &envs,
        crate::eval::spec::NOTES_REF,
    );
    if listed.is_empty() {
        anyhow::bail!(
            "no history for \"{}\"{}: it was never committed",
            args.flag,
            args.env
                .as_ref()
                .map(|e| format!(" in {e}"))
                .unwrap_or_default()
        );
    }
    let table = Table {
        key: "log",
        columns: history::LOG_COLUMNS.to_vec(),
        rows: listed
            .iter()
            .map(|(entry, change, tests)| history::log_row(entry, change, tests.as_deref()))
            .collect(),
        listing: Listing::Log(listed),
    };
    let report = Report::new("log", &[], 0, repo.root.clone()).with_view(View::Table(&table));
    printed(report::print(&report, global.format, global.color))?;
    Ok(Outcome::Clean)
}
