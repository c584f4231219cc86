//! `flagctl events [--since REV] [--post URL]`: the history as deterministic JSON Lines.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};

use super::{Global, Outcome, printed, progress};
use crate::events::{self, Delivered, Webhook};
use crate::history;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only events of commits after this revision (sequence numbers still count from the root)
    #[arg(long, value_name = "REV")]
    since: Option<String>,
    /// Deliver each event to this webhook (one POST per event, signed with
    /// FLAGCTL_WEBHOOK_SECRET) instead of printing it
    #[arg(long, value_name = "URL")]
    post: Option<String>,
    /// Attempts per event after the first, with exponential backoff
    #[arg(long, default_value_t = 4)]
    retries: u32,
    /// Wait before the first retry, in milliseconds (doubling each time)
    #[arg(long, default_value_t = 500)]
    backoff_ms: u64,
    /// Seconds to wait for the webhook to answer one request
    #[arg(long, default_value_t = 10)]
    timeout: u64,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let (repo, git) = super::history_repo(global, None)?;
    let flags_dir = repo.flags_path();
    let after = match &args.since {
        Some(rev) => match git.first_parent_position(rev)? {
            Some(position) => Some(position),
            None => bail!(
                "{rev} is not on HEAD's first-parent history, so events cannot resume from it"
            ),
        },
        None => None,
    };
    let bar = progress("reading history");
    let entries = history::walk(&git, &flags_dir, None, &|n| bar.set_position(n))?;
    bar.finish_and_clear();
    let lines = events::events(&entries, after)?;
    let Some(url) = &args.post else {
        let mut out = std::io::stdout().lock();
        for line in &lines {
            printed(writeln!(out, "{}", line.body))?;
        }
        return Ok(Outcome::Clean);
    };
    let secret = std::env::var("FLAGCTL_WEBHOOK_SECRET")
        .context("set FLAGCTL_WEBHOOK_SECRET to the webhook's signing secret")?;
    let hook = Webhook {
        url,
        secret: &secret,
        retries: args.retries,
        backoff: Duration::from_millis(args.backoff_ms),
        timeout: Duration::from_secs(args.timeout),
    };
    let Delivered { delivered, failure } = events::deliver(&hook, &lines);
    let Some(failure) = failure else {
        eprintln!("delivered {delivered} events to {url}");
        return Ok(Outcome::Clean);
    };
    eprintln!(
        "error: delivering event {} to {url} failed after {} attempts ({}); {delivered} delivered",
        failure.sequence, failure.attempts, failure.last_error
    );
    match failure.resume {
        Some(commit) => eprintln!("resume with: flagctl events --since {commit} --post {url}"),
        None => eprintln!("resume with: flagctl events --post {url}"),
    }
    Ok(Outcome::Failed)
}
