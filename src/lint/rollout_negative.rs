use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Serve;

pub const RULE: Rule = Rule {
    code: super::Code::RolloutNegative,
    severity: Severity::Error,
    summary: "a rollout gives a variant a negative weight",
    explanation: "\
Rollout weights are percentages of users and cannot be negative, even when the total is 100
(`{a: 110, b: -10}`): no bucketing can serve a negative share.

Fix: use weights from 0 to 100 that add up to 100.",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    for serve in cx.flag.serves() {
        let Serve::Rollout { weights, .. } = serve else {
            continue;
        };
        for w in weights.iter().filter(|w| w.percent.value < 0.0) {
            out.push(
                cx.finding(
                    &RULE,
                    w.percent.pos,
                    format!(
                        "rollout weight of \"{}\" is negative ({})",
                        w.variant.value, w.percent.value
                    ),
                )
                .help("weights are percentages from 0 to 100"),
            );
        }
    }
}
