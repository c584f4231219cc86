//! `flagctl audit [--since REV|DATE] [--env E]`.

use super::{Global, Outcome, printed, progress};
use crate::audit;
use crate::history::{self, Entry};
use crate::report::{self, Listing, Report, Table, View};
use crate::time::Date;

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
    let flags_dir = repo.flags_path();
    let (since_rev, since_date) = match &args.since {
        None => (None, None),
        Some(text) => match Date::parse(text) {
            Some(date) => (None, Some(date)),
            None => (Some(git.resolve(text)?.id), None),
        },
    };
    if since_rev.is_none() {
        // From the edge of a shallow clone, every flag would read as created there, unreviewed.
        git.whole_history("audit reads the history from its first commit (or from --since REV)")?;
    }
    let bar = progress("reading history");
    let entries = history::walk(&git, &flags_dir, since_rev.as_deref(), &|n| {
        bar.set_position(n)
    })?;
    bar.finish_and_clear();
    let in_scope = |e: &&Entry| {
        since_date.is_none_or(|d| e.commit.time >= d.start())
            && args
                .env
                .as_ref()
                .is_none_or(|env| e.changes.iter().any(|c| &c.env == env))
    };
    let entries: Vec<&Entry> = entries.iter().filter(in_scope).collect();

    let mut findings = audit::findings(&git, &entries)?;
    let mut rows = Vec::new();
    for entry in &entries {
        let break_glass = audit::is_break_glass(entry);
        let envs: Vec<&str> = dedup(entry.changes.iter().map(|c| c.env.as_str()));
        let flags: Vec<&str> = dedup(entry.changes.iter().map(|c| c.flag.as_str()));
        let approvals = entry.approvals();
        rows.push(vec![
            entry.commit.time.strftime("%Y-%m-%d %H:%M").to_string(),
            entry.commit.id[..12].to_owned(),
            entry.commit.author.clone(),
            envs.join(","),
            if flags.len() > 3 {
                format!("{} and {} more", flags[..2].join(", "), flags.len() - 2)
            } else {
                flags.join(", ")
            },
            entry
                .trailer("Flagctl-Reason")
                .unwrap_or_default()
                .to_owned(),
            if break_glass {
                format!("{} + break-glass", approvals.len())
            } else {
                approvals.len().to_string()
            },
        ]);
    }
    findings.retain(|f| {
        args.env
            .as_ref()
            .is_none_or(|env| f.env.as_ref() == Some(env))
    });
    let table = Table {
        key: "audit",
        columns: vec![
            "DATE",
            "COMMIT",
            "AUTHOR",
            "ENV",
            "FLAGS",
            "REASON",
            "APPROVALS",
        ],
        rows,
        listing: Listing::Audit(entries.clone()),
    };
    let report =
        Report::new("audit", &findings, 0, repo.root.clone()).with_view(View::Table(&table));
    printed(report::print(&report, global.format, global.color))?;
    Ok(Outcome::from_counts(report.counts, global.strict))
}

fn dedup<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}
