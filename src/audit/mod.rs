//! The audit of flag history (`flagctl audit`, SPEC §7): who changed which flags, with what
//! reason and approvals, and which changes still wait for a review.

use crate::config::Config;
use crate::finding::{Finding, Severity};
use crate::gate::policy_findings;
use crate::history::Entry;

/// The codes of the audit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "audit/")]
pub enum Code {
    /// A commit with the `Flagctl-Break-Glass: true` trailer passes the gate without the approvals
    /// its environment asks for, so that an outage can be fixed at once. The review is owed
    /// afterwards: the audit reports the change until a later commit to the same flag and
    /// environment carries the approvals (`Approved-by:` trailers) the environment needs, at least
    /// one.
    #[strum(message = "a break-glass change has not been approved since")]
    BreakGlass,
}

impl crate::finding::Codes for Code {
    fn severity(self) -> Severity {
        match self {
            Code::BreakGlass => Severity::Warning,
        }
    }
}

/// The findings of `entries` (a stretch of history, oldest first): each commit's breaches of its
/// environments' policy, and each break-glass change that no approved change followed.
pub fn findings(config: &Config, entries: &[&Entry]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        policy_findings(config, entry, &mut findings);
        if is_break_glass(entry) && !approved_later(entry, &entries[i + 1..], config) {
            for change in &entry.changes {
                findings.push(
                    Finding::of(
                        Code::BreakGlass,
                        format!(
                            "break-glass change {} (\"{}\") to {} has not been approved since",
                            &entry.commit.id[..12],
                            entry.commit.subject,
                            change.env
                        ),
                    )
                    .in_flag(Some(&change.flag), Some(&change.env))
                    .with("commit", entry.commit.id.clone().into())
                    .help("have the change reviewed: a later commit to the flag with Approved-by trailers closes it"),
                );
            }
        }
    }
    findings
}

/// Whether the commit carries `Flagctl-Break-Glass: true`.
pub fn is_break_glass(entry: &Entry) -> bool {
    entry
        .trailer("Flagctl-Break-Glass")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Whether a later commit to the same flags and environments carries the approvals they need.
fn approved_later(entry: &Entry, later: &[&Entry], config: &Config) -> bool {
    entry.changes.iter().all(|change| {
        let needed = config
            .environment(&change.env)
            .map_or(0, |e| e.approvals as usize)
            .max(1);
        later.iter().any(|l| {
            l.approvals().len() >= needed
                && l.changes
                    .iter()
                    .any(|c| c.flag == change.flag && c.env == change.env)
        })
    })
}
