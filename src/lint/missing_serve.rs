use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};
use crate::model::FlagType;

pub const RULE: Rule = Rule {
    code: "rule/missing-serve",
    severity: Severity::Error,
    summary: "an enabled non-boolean flag, or a rule, does not say what it serves",
    explanation: "\
An enabled flag serves what its first matching rule says, else its fallthrough (`serve:` or
`rollout:` at the top level). A boolean flag without one serves `on`; any other type must say,
and so must every rule: a rule that matches but serves nothing is a mistake.

Fix: add `serve: VARIANT` or `rollout: {…}`.",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    let flag = cx.flag;
    for (i, rule) in flag.rules.iter().enumerate() {
        let has_serve = ["serve", "rollout"]
            .iter()
            .any(|k| cx.root.locate(&format!("/rules/{i}")).get(k).is_some());
        if rule.serve.is_none() && !has_serve {
            let name = rule
                .name
                .as_deref()
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
    }
    let non_boolean = flag
        .flag_type
        .as_ref()
        .is_some_and(|t| t.value != FlagType::Boolean);
    let fallthrough_written = cx.root.get("serve").is_some() || cx.root.get("rollout").is_some();
    if non_boolean && flag.enabled == Some(true) && !fallthrough_written {
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
