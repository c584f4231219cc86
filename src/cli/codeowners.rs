//! `flagctl codeowners`: CODEOWNERS lines from environment approvers and flag owners.

use std::io::Write;

use super::{Global, Outcome, printed};

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(global: &Global, _args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    let prefix = crate::git::Git::open(&repo.root)
        .map(|g| g.prefix().to_owned())
        .unwrap_or_default();
    let out = crate::codeowners::render(&repo, &prefix)?;
    printed(std::io::stdout().lock().write_all(out.as_bytes()))?;
    Ok(Outcome::Clean)
}
