use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};
use crate::model::FlagType;
use crate::yaml::Node;

pub const RULE: Rule = Rule {
    code: super::Code::MissingServe,
    severity: Severity::Error,
    summary: "an enabled non-boolean flag, or a rule, does not say what it serves",
    explanation: "\
An enabled flag serves what its first matching rule says, else its fallthrough (`serve:` or
`rollout:` at the top level). A boolean flag without one serves `on`; any other type must say,
and so must every rule: a rule that matches but serves nothing is a mistake.

Fix: add `serve: VARIANT` or `rollout: {…}`.",
    check: Check::File(check),
};

/// Whether a flag or rule says what it serves (written at all: a malformed value is the
/// schema's finding).
fn says_what_it_serves(node: &Node) -> bool {
    node.get("serve").is_some() || node.get("rollout").is_some()
}

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    let rules = cx.rules();
    for (i, rule) in rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.as_map().is_some())
    {
        if says_what_it_serves(rule) {
            continue;
        }
        let name = rule
            .get("name")
            .and_then(Node::as_str)
            .map_or(format!("rule {}", i + 1), |n| format!("rule \"{n}\""));
        out.push(
            cx.finding(
                &RULE,
                rule.pos,
                format!("{name} does not say what it serves"),
            )
            .help("add `serve: VARIANT` or `rollout: {…}` to the rule"),
        );
    }
    let non_boolean = cx
        .flag
        .flag_type
        .as_ref()
        .is_some_and(|t| t.value != FlagType::Boolean);
    if non_boolean && cx.flag.enabled == Some(true) && !says_what_it_serves(cx.root) {
        out.push(
            cx.finding(
                &RULE,
                cx.root.pos,
                "enabled flag has no `serve` or `rollout` for users no rule matches",
            )
            .help("add `serve: VARIANT` (often the default) or a `rollout:`"),
        );
    }
}
