//! Delivering events to a webhook: one signed POST per event, in order, retried with backoff.
//! Redirects are not followed: the signature and idempotency key go to the host named, and
//! nowhere else. A webhook URL may carry credentials (`user:pass@`, `?token=`): no message shows
//! them ([`redact`]).

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
    /// Wait before the first retry (doubling each time, up to [`MAX_BACKOFF`]).
    pub backoff: Duration,
    /// Wait for one answer.
    pub timeout: Duration,
}

/// The longest wait between two attempts, however many retries double it.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

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
    /// The last attempt's error (`HTTP 500`, a connection error), with no credential of the URL.
    pub last_error: String,
    /// The last commit all of whose events were delivered: `--since` resumes after it.
    pub resume: Option<String>,
}

impl Failure {
    /// What went wrong, after `delivered` events reached `shown` (the webhook's URL, redacted),
    /// and the command that resumes where it stopped.
    pub fn explain(&self, delivered: usize, shown: &str) -> String {
        let since = self
            .resume
            .as_ref()
            .map(|commit| format!("--since {commit} "))
            .unwrap_or_default();
        format!(
            "delivering event {} to {shown} failed after {} ({}); {delivered} delivered; resume with: flagctl events {since}--post {shown}",
            self.sequence,
            if self.attempts == 1 {
                "1 attempt".to_owned()
            } else {
                format!("{} attempts", self.attempts)
            },
            self.last_error
        )
    }
}

/// Posts each event of `lines` in order, stopping at the first that fails every attempt.
pub fn deliver(hook: &Webhook, lines: &[Delivery]) -> Delivered {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(hook.timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut resume: Option<&str> = None;
    let mut delivered = 0usize;
    for (i, line) in lines.iter().enumerate() {
        if let Err((attempts, last_error)) = post(&agent, hook, line) {
            return Delivered {
                delivered,
                failure: Some(Failure {
                    sequence: line.sequence,
                    attempts,
                    last_error: scrub(&last_error, hook.url),
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

/// One event, with its retries; when none succeeded, how many were made and the last error.
fn post(agent: &ureq::Agent, hook: &Webhook, line: &Delivery) -> Result<(), (u32, String)> {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(hook.secret.as_bytes())
        .map_err(|e| (0, format!("the webhook secret: {e}")))?;
    mac.update(line.body.as_bytes());
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let mut wait = hook.backoff;
    let mut last_error = String::new();
    let mut attempts = 0;
    for attempt in 0..=hook.retries {
        attempts += 1;
        if attempt > 0 {
            std::thread::sleep(wait);
            wait = wait.saturating_mul(2).min(MAX_BACKOFF);
        }
        let response = agent
            .post(hook.url)
            .header("Content-Type", "application/json")
            .header("X-Flagctl-Signature", &signature)
            .header("Idempotency-Key", &line.key)
            .send(line.body.as_bytes());
        match response {
            Ok(r) if r.status().is_success() => return Ok(()),
            // Following it would send the signature and key to wherever the answer points.
            Ok(r) if r.status().is_redirection() => {
                let to = r
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .map_or_else(|| "nowhere".to_owned(), host_of);
                return Err((
                    attempts,
                    format!("HTTP {}, a redirect to {to}, not followed", r.status()),
                ));
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
    Err((attempts, last_error))
}

/// The host (and port) a redirect's `Location` names, and nothing else of it (its path or query
/// may hold a token); a relative location is on the webhook's own host.
fn host_of(location: &str) -> String {
    match location.parse::<ureq::http::Uri>() {
        Ok(uri) => match uri.host() {
            Some(host) => {
                let port = uri.port_u16().map(|p| format!(":{p}")).unwrap_or_default();
                format!("host {host}{port}")
            }
            None => "the same host".to_owned(),
        },
        Err(_) => "an unreadable location".to_owned(),
    }
}

/// `url` as messages show it: without its user information (`user:pass@`) and with the value of
/// each query parameter (`?token=`) masked.
pub fn redact(url: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let user = if host.len() < authority.len() {
                "***@"
            } else {
                ""
            };
            format!("{scheme}://{user}{host}{path}")
        }
        None => before_query.to_owned(),
    };
    if let Some(query) = query {
        let masked: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) => format!("{key}=***"),
                None => "***".to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&masked.join("&"));
    }
    out
}

/// `text` with every secret part of `url` masked (an HTTP client's error may quote the URL).
fn scrub(text: &str, url: &str) -> String {
    let mut out = text.replace(url, &redact(url));
    let secrets = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?']).next()?.rsplit_once('@'))
        .into_iter()
        .flat_map(|(user, _)| user.split(':').map(str::to_owned))
        .chain(url.split_once('?').into_iter().flat_map(|(_, query)| {
            query
                .split('&')
                .map(|pair| pair.split_once('=').map_or(pair, |(_, v)| v).to_owned())
        }))
        .filter(|secret| secret.len() >= 3);
    for secret in secrets.collect::<Vec<_>>() {
        out = out.replace(&secret, "***");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show() {
        assert_eq!(
            redact("https://bot:hunter2@hooks.example.com:8443/in?token=abc&x=1#f"),
            "https://***@hooks.example.com:8443/in?token=***&x=***"
        );
        assert_eq!(redact("http://127.0.0.1:9/hook"), "http://127.0.0.1:9/hook");
        let url = "http://u:hunter2@h/p?token=s3cret";
        assert_eq!(
            scrub(
                "failed: http://u:hunter2@h/p?token=s3cret (s3cret, hunter2)",
                url
            ),
            "failed: http://***@h/p?token=*** (***, ***)"
        );
    }

    #[test]
    fn a_redirect_names_its_host_only() {
        assert_eq!(
            host_of("http://evil.example:8080/steal?token=x"),
            "host evil.example:8080"
        );
        assert_eq!(host_of("/elsewhere"), "the same host");
    }
}
