//! `flagctl log FLAG [--env E]`.

use super::{Global, Outcome, printed};
use crate::history::{ChangeKind, Entry, FlagChange};
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
    let entries: Vec<Entry> = crate::history::of_flag(&git, &repo, &args.flag, &envs)?;
    let mut rows = Vec::new();
    let mut listed = Vec::new();
    for entry in &entries {
        for change in entry
            .changes
            .iter()
            .filter(|c| c.flag == args.flag && envs.contains(&c.env.as_str()))
        {
            // `flagctl test --record` keeps its outcome as a note on the commit it tested.
            let tests = git
                .note_of(super::test::NOTES_REF, &entry.commit.id)
                .map(|n| n.trim().trim_start_matches("flagctl test: ").to_owned());
            let reason = entry.trailer("Flagctl-Reason").unwrap_or_default();
            rows.push(vec![
                entry.commit.id[..12].to_owned(),
                entry.commit.time.strftime("%Y-%m-%d %H:%M").to_string(),
                entry.commit.author.clone(),
                change.env.clone(),
                describe(change),
                match &tests {
                    Some(t) if reason.is_empty() => format!("[tests {t}]"),
                    Some(t) => format!("{reason} [tests {t}]"),
                    None => reason.to_owned(),
                },
            ]);
            listed.push((entry, change, tests));
        }
    }
    if rows.is_empty() {
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
        columns: vec!["COMMIT", "DATE", "AUTHOR", "ENV", "CHANGE", "REASON"],
        rows,
        listing: Listing::Log(listed),
    };
    let report = Report::new("log", &[], 0, repo.root.clone()).with_view(View::Table(&table));
    printed(report::print(&report, global.format, global.color))?;
    Ok(Outcome::Clean)
}

/// `1.2.0 → 1.3.0, enabled → off`, `created at 0.1.0`, `moved from …`.
pub fn describe(change: &FlagChange) -> String {
    let mut parts = Vec::new();
    match change.kind {
        ChangeKind::Created => parts.push(format!(
            "created at {}",
            change.version.to.clone().unwrap_or_default()
        )),
        ChangeKind::Deleted => parts.push("deleted".to_owned()),
        ChangeKind::Renamed => parts.push(format!(
            "moved from {}",
            change.old_path.clone().unwrap_or_default()
        )),
        ChangeKind::Updated => {}
    }
    let kept = matches!(change.kind, ChangeKind::Updated | ChangeKind::Renamed);
    if kept && change.version.changed() {
        parts.push(format!(
            "{} → {}",
            change.version.from.as_deref().unwrap_or("?"),
            change.version.to.as_deref().unwrap_or("?")
        ));
    }
    if kept && change.enabled.changed() {
        let word = |b: Option<bool>| match b {
            Some(true) => "on",
            Some(false) => "off",
            None => "?",
        };
        parts.push(format!(
            "{} → {}",
            word(change.enabled.from),
            word(change.enabled.to)
        ));
    }
    if kept && change.lifecycle.changed() {
        parts.push(format!(
            "lifecycle {} → {}",
            change.lifecycle.from.as_deref().unwrap_or("?"),
            change.lifecycle.to.as_deref().unwrap_or("?")
        ));
    }
    let others: Vec<&str> = change
        .fields
        .iter()
        .map(String::as_str)
        .filter(|f| !matches!(*f, "version" | "enabled" | "lifecycle"))
        .collect();
    if kept && !others.is_empty() {
        parts.push(others.join(", "));
    }
    if change.unparsable {
        parts.push("(unparsable file)".to_owned());
    }
    parts.join("; ")
}
