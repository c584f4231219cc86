//! `flagctl events [--since REV] [--post URL]`: the history as deterministic JSON Lines.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use hmac::{KeyInit, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Global, Outcome, printed, progress};
use crate::history::{self, event_type};

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

/// An event ready to send.
struct Delivery {
    sequence: u64,
    body: String,
    /// `Idempotency-Key`: the same for the same event, run after run.
    key: String,
    commit: String,
}

/// One change to one flag file, as a webhook receives it. Field order is fixed.
#[derive(Debug, Serialize)]
struct Event<'a> {
    sequence: u64,
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    commit: &'a str,
    time: String,
    author: &'a str,
    env: &'a str,
    flag: &'a str,
    path: &'a str,
    from_version: Option<&'a str>,
    to_version: Option<&'a str>,
    enabled: Option<bool>,
    reason: Option<&'a str>,
    promoted_from: Option<&'a str>,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    let git = super::git_of(&repo)?;
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

    let mut lines: Vec<Delivery> = Vec::new();
    let mut sequence = 0u64;
    for entry in &entries {
        for change in &entry.changes {
            sequence += 1;
            if after.is_some_and(|p| entry.commit.position <= p) {
                continue;
            }
            let event = Event {
                sequence,
                id: format!("{}:{}", entry.commit.id, change.path),
                kind: event_type(entry, change),
                commit: &entry.commit.id,
                time: entry.commit.time.to_string(),
                author: &entry.commit.author,
                env: &change.env,
                flag: &change.flag,
                path: &change.path,
                from_version: change.version.from.as_deref(),
                to_version: change.version.to.as_deref(),
                enabled: change.enabled.to,
                reason: entry.trailer("Flagctl-Reason"),
                promoted_from: entry.trailer("Flagctl-Promoted-From"),
            };
            let key = hex::encode(Sha256::digest(event.id.as_bytes()));
            lines.push(Delivery {
                sequence,
                body: serde_json::to_string(&event)?,
                key,
                commit: entry.commit.id.clone(),
            });
        }
    }
    match &args.post {
        None => {
            let mut out = std::io::stdout().lock();
            for line in &lines {
                printed(writeln!(out, "{}", line.body))?;
            }
            Ok(Outcome::Clean)
        }
        Some(url) => deliver(url, &lines, &args),
    }
}

/// Posts each event in order; on a final failure says where the next run should resume.
fn deliver(url: &str, lines: &[Delivery], args: &Args) -> anyhow::Result<Outcome> {
    let secret = std::env::var("FLAGCTL_WEBHOOK_SECRET")
        .context("set FLAGCTL_WEBHOOK_SECRET to the webhook's signing secret")?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(args.timeout)))
        .http_status_as_error(false)
        .build()
        .into();
    // The last commit all of whose events were delivered: `--since` resumes after it.
    let mut resume: Option<&str> = None;
    let mut delivered = 0usize;
    for (
        i,
        Delivery {
            sequence,
            body,
            key,
            commit,
        },
    ) in lines.iter().enumerate()
    {
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .context("the webhook secret")?;
        mac.update(body.as_bytes());
        let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        let mut wait = Duration::from_millis(args.backoff_ms);
        let mut last_error = String::new();
        let mut ok = false;
        for attempt in 0..=args.retries {
            if attempt > 0 {
                std::thread::sleep(wait);
                wait *= 2;
            }
            let response = agent
                .post(url)
                .header("Content-Type", "application/json")
                .header("X-Flagctl-Signature", &signature)
                .header("Idempotency-Key", key)
                .send(body.as_bytes());
            match response {
                Ok(r) if r.status().is_success() => {
                    ok = true;
                    break;
                }
                Ok(r) => {
                    last_error = format!("HTTP {}", r.status());
                    let retryable =
                        r.status().is_server_error() || matches!(r.status().as_u16(), 408 | 429);
                    if !retryable {
                        break;
                    }
                }
                Err(e) => last_error = e.to_string(),
            }
        }
        if !ok {
            eprintln!(
                "error: delivering event {} to {url} failed after {} attempts ({last_error}); {delivered} delivered",
                sequence,
                args.retries + 1
            );
            match resume {
                Some(commit) => {
                    eprintln!("resume with: flagctl events --since {commit} --post {url}")
                }
                None => eprintln!("resume with: flagctl events --post {url}"),
            }
            return Ok(Outcome::Failed);
        }
        delivered += 1;
        if lines.get(i + 1).is_none_or(|next| next.commit != *commit) {
            resume = Some(commit);
        }
    }
    eprintln!("delivered {delivered} events to {url}");
    Ok(Outcome::Clean)
}
