//! `flagctl show FLAG --env E --at REV|DATE|VERSION`.

use std::io::Write;

use super::{Global, Outcome, printed};
use crate::escape::terminal;
use crate::history;

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
    let entries = history::of_flag(&git, &repo, &args.flag, &[args.env.as_str()])?;
    let (entry, change, bytes) = history::flag_at(&git, &entries, &args.flag, &args.env, &args.at)?;
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
