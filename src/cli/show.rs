//! `flagctl show FLAG --env E --at REV|DATE|VERSION`.

use std::io::Write;

use anyhow::bail;

use super::{Global, Outcome, printed};
use crate::escape::terminal;
use crate::history;
use crate::time::Date;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flag's name
    flag: String,
    /// The environment
    #[arg(long, short = 'e')]
    env: String,
    /// A version (`1.2.0`: the newest commit holding it), a date (`2026-03-01`: the end of
    /// that day, UTC; or RFC 3339), or any revision (`HEAD~3`, a sha, a tag)
    #[arg(long, value_name = "REV|DATE|VERSION")]
    at: String,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let (repo, git) = super::history_repo(global, Some(&args.env))?;
    let entries = crate::history::of_flag(&git, &repo, &args.flag, &[args.env.as_str()])?;
    // Newest first: the file as each commit left it.
    let states: Vec<(&history::Entry, &history::FlagChange)> = entries
        .iter()
        .flat_map(|e| {
            e.changes
                .iter()
                .filter(|c| c.flag == args.flag && c.env == args.env)
                .map(move |c| (e, c))
        })
        .collect();
    let wanted = if semver::Version::parse(&args.at).is_ok() {
        states
            .iter()
            .find(|(_, c)| c.version.to.as_deref() == Some(args.at.as_str()))
    } else if let Some(at) = instant(&args.at) {
        states.iter().find(|(e, _)| e.commit.time <= at)
    } else {
        let commit = git.resolve(&args.at)?;
        // The newest change that the revision contains (by ancestry, not by clock).
        let mut found = None;
        for state in &states {
            if git.contains(&commit.id, &state.0.commit.id)? {
                found = Some(state);
                break;
            }
        }
        found
    };
    let Some((entry, change)) = wanted else {
        bail!(
            "\"{}\" in {} has no state matching {:?} in its history",
            args.flag,
            args.env,
            args.at
        );
    };
    if change.kind == history::ChangeKind::Deleted {
        bail!(
            "\"{}\" had been deleted from {} at {} (commit {})",
            args.flag,
            args.env,
            args.at,
            &entry.commit.id[..12]
        );
    }
    let Some(bytes) = git.file_at(&entry.commit.id, &change.path)? else {
        bail!("{} is missing from commit {}", change.path, entry.commit.id);
    };
    // The file alone on stdout, byte for byte (to redirect or diff); where it came from on stderr.
    eprintln!(
        "{} as of commit {} ({}, {})",
        terminal(&change.path),
        &entry.commit.id[..12],
        entry.commit.time.strftime("%Y-%m-%d %H:%M UTC"),
        terminal(&entry.commit.author)
    );
    let mut out = std::io::stdout().lock();
    printed(out.write_all(&bytes))?;
    Ok(Outcome::Clean)
}

/// `YYYY-MM-DD` (the end of that day, UTC) or an RFC 3339 time.
fn instant(text: &str) -> Option<jiff::Timestamp> {
    if let Some(date) = Date::parse(text) {
        return Some(date.end());
    }
    text.parse().ok()
}
