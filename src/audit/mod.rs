//! The audit of flag history (`flagctl audit`, SPEC §7): who changed which flags, with what
//! reason and approvals, and which changes still wait for a review.

use crate::finding::Severity;

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
