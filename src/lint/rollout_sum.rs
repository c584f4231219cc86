use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Serve;

pub const RULE: Rule = Rule {
    code: super::Code::RolloutSum,
    severity: Severity::Error,
    summary: "a rollout's weights do not add up to 100",
    explanation: "\
A `rollout:` splits users between variants by percentage, bucketing them as flagd's
`fractional` operator does. The weights are percentages of all users and must add up to
exactly 100; flagd would otherwise scale them silently and serve different shares than written.

Fix: adjust the weights so that they sum to 100.",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    for serve in cx.flag.serves() {
        let Serve::Rollout { weights, pos } = serve else {
            continue;
        };
        if weights.is_empty() {
            continue;
        }
        let sum: f64 = weights.iter().map(|w| w.percent.value).sum();
        if (sum - 100.0).abs() > 1e-9 {
            let terms: Vec<String> = weights
                .iter()
                .map(|w| format!("{}", w.percent.value))
                .collect();
            out.push(
                cx.finding(
                    &RULE,
                    *pos,
                    format!("rollout weights sum to {sum}, not 100"),
                )
                .help(format!(
                    "{} = {sum}; make them add up to 100",
                    terms.join(" + ")
                )),
            );
        }
    }
}
