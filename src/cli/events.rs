//! `flagctl events [--since REV] [--post URL]`: the history as deterministic JSON Lines.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};

use super::{Global, Outcome, printed};
use crate::events::{self, Delivered, Webhook};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only events of commits after this revision (sequence numbers still count from the root)
    #[arg(long, value_name = "REV")]
    since: Option<String>,
    /// Deliver each event to this webhook (one POST per event, signed with
    /// FLAGCTL_WEBHOOK_SECRET) instead of printing it
    #[arg(long, value_name = "URL")]
    post: Option<String>,
    /// Attempts per event after the first, with exponential backoff (at most 100)
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=100))]
    retries: u32,
    /// Wait before the first retry, in milliseconds (doubling each time, up to 5 minutes)
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(0..=300_000))]
    backoff_ms: u64,
    /// Seconds to wait for the webhook to answer one request (1 to 3600)
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let (repo, git) = super::history_repo(global, None)?;
    // Sequence numbers count every event from the first commit, and the edge of a shallow clone
    // would read as every flag created.
    git.whole_history("events are numbered from the first commit")?;
    let after = match &args.since {
        Some(rev) => match git.first_parent_position(rev)? {
            Some(position) => Some(position),
            None => bail!(
                "{rev} is not on HEAD's first-parent history, so events cannot resume from it"
            ),
        },
        None => None,
    };
    let entries = super::flag_history(&git, &repo, None)?;
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
    let shown = events::redact(url);
    let Some(failure) = failure else {
        eprintln!("delivered {delivered} events to {shown}");
        return Ok(Outcome::Clean);
    };
    // The command could not do its work: an error (exit 2), not a finding.
    bail!("{}", failure.explain(delivered, &shown))
}
