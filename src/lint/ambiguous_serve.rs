use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    code: super::Code::AmbiguousServe,
    severity: Severity::Error,
    summary: "a rule or the fallthrough has both `serve` and `rollout`",
    explanation: "\
A rule (or the flag's fallthrough) serves either one variant, `serve: VARIANT`, or a percentage
split, `rollout: {VARIANT: PERCENT, …}`, never both: which one wins would be a guess.

Fix: keep the one you mean and remove the other.",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    let rules = cx.rules();
    for (i, parent) in std::iter::once(cx.root).chain(rules).enumerate() {
        if let (Some(_), Some(rollout)) = (parent.entry("serve"), parent.entry("rollout")) {
            let place = if i == 0 {
                "the flag".to_owned()
            } else {
                format!("rule {}", i)
            };
            out.push(
                cx.finding(
                    &RULE,
                    rollout.key_pos,
                    format!("{place} has both `serve` and `rollout`"),
                )
                .help("keep one of them"),
            );
        }
    }
}
