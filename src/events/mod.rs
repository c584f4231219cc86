//! Events (SPEC §7): the history as one event per change to a flag file, numbered from the root,
//! serialised deterministically (JSON Lines, or one POST each to a webhook).

mod webhook;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::history::{ChangeKind, Entry, FlagChange};

pub use webhook::{Delivered, Failure, Webhook, deliver, redact};

/// One change to one flag file, as a webhook receives it. Field order is fixed.
#[derive(Debug, Serialize)]
pub struct Event<'a> {
    pub sequence: u64,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub commit: &'a str,
    pub time: String,
    pub author: &'a str,
    pub env: &'a str,
    pub flag: &'a str,
    pub path: &'a str,
    /// Where the file was before it moved (`flag.moved`, or a move that also changed it).
    pub from_path: Option<&'a str>,
    pub from_version: Option<&'a str>,
    pub to_version: Option<&'a str>,
    pub enabled: Option<bool>,
    pub reason: Option<&'a str>,
    pub promoted_from: Option<&'a str>,
}

/// The kind of event a change is (SPEC §7).
pub fn kind(entry: &Entry, change: &FlagChange) -> &'static str {
    let command = entry.trailer("Flagctl-Command").unwrap_or_default();
    if change.kind == ChangeKind::Deleted {
        "flag.retired"
    } else if entry.trailer("Flagctl-Promoted-From").is_some() {
        "flag.promoted"
    } else if entry.trailer("Flagctl-Rolled-Back-To").is_some() || command.starts_with("rollback ")
    {
        "flag.rolled_back"
    } else if change.kind == ChangeKind::Created {
        "flag.created"
    } else if change.moved {
        // The flag is what it was; only where its file sits changed.
        "flag.moved"
    } else if change.fields == ["enabled"] {
        "flag.toggled"
    } else {
        "flag.updated"
    }
}

/// An event ready to print or send.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub sequence: u64,
    /// The event as one line of JSON.
    pub body: String,
    /// `Idempotency-Key`: the same for the same event, run after run.
    pub key: String,
    pub commit: String,
}

/// The events of `entries` (oldest first), numbered from the first; those of commits at or before
/// first-parent position `after` are counted but left out.
pub fn events(entries: &[Entry], after: Option<usize>) -> Result<Vec<Delivery>, serde_json::Error> {
    let mut lines: Vec<Delivery> = Vec::new();
    let mut sequence = 0u64;
    for entry in entries {
        for change in &entry.changes {
            sequence += 1;
            if after.is_some_and(|p| entry.commit.position <= p) {
                continue;
            }
            let event = Event {
                sequence,
                id: format!("{}:{}", entry.commit.id, change.path),
                kind: kind(entry, change),
                commit: &entry.commit.id,
                time: entry.commit.time.to_string(),
                author: &entry.commit.author,
                env: &change.env,
                flag: &change.flag,
                path: &change.path,
                from_path: change.old_path.as_deref(),
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
    Ok(lines)
}
