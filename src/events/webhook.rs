//! Delivering events to a webhook: one signed POST per event, in order, retried with backoff.

use std::time::Duration;

use hmac::{KeyInit, Mac};
use sha2::Sha256;

use super::Delivery;

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct Webhook<'a> {
    pub url: &'a str,
    /// The signing secret (`X-Flagctl-Signature: sha256=HMAC(secret, body)`).
    pub secret: &'a str,
    /// Attempts per event after the first.
    pub retries: u32,
    /// Wait before the first retry (doubling each time).
    pub backoff: Duration,
    /// Wait for one answer.
    pub timeout: Duration,
}

/// What a delivery achieved.
#[derive(Debug)]
pub struct Delivered {
    /// Events delivered, in order.
    pub delivered: usize,
    /// The event that could not be delivered; the ones after it were not tried.
    pub failure: Option<Failure>,
}

/// An event every attempt failed for.
#[derive(Debug)]
pub struct Failure {
    pub sequence: u64,
    pub attempts: u32,
    /// The last attempt's error (`HTTP 500`, a connection error).
    pub last_error: String,
    /// The last commit all of whose events were delivered: `--since` resumes after it.
    pub resume: Option<String>,
}

/// Posts each event of `lines` in order, stopping at the first that fails every attempt.
pub fn deliver(hook: &Webhook, lines: &[Delivery]) -> Delivered {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(hook.timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let mut resume: Option<&str> = None;
    let mut delivered = 0usize;
    for (i, line) in lines.iter().enumerate() {
        if let Err(last_error) = post(&agent, hook, line) {
            return Delivered {
                delivered,
                failure: Some(Failure {
                    sequence: line.sequence,
                    attempts: hook.retries + 1,
                    last_error,
                    resume: resume.map(str::to_owned),
                }),
            };
        }
        delivered += 1;
        if lines
            .get(i + 1)
            .is_none_or(|next| next.commit != line.commit)
        {
            resume = Some(&line.commit);
        }
    }
    Delivered {
        delivered,
        failure: None,
    }
}

/// One event, with its retries; the last error when none succeeded.
fn post(agent: &ureq::Agent, hook: &Webhook, line: &Delivery) -> Result<(), String> {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(hook.secret.as_bytes())
        .map_err(|e| format!("the webhook secret: {e}"))?;
    mac.update(line.body.as_bytes());
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let mut wait = hook.backoff;
    let mut last_error = String::new();
    for attempt in 0..=hook.retries {
        if attempt > 0 {
            std::thread::sleep(wait);
            wait *= 2;
        }
        let response = agent
            .post(hook.url)
            .header("Content-Type", "application/json")
            .header("X-Flagctl-Signature", &signature)
            .header("Idempotency-Key", &line.key)
            .send(line.body.as_bytes());
        match response {
            Ok(r) if r.status().is_success() => return Ok(()),
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
    Err(last_error)
}
