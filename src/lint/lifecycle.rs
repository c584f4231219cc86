use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    code: super::Code::Lifecycle,
    severity: Severity::Error,
    summary: "a flag's lifecycle is not allowed in its environment",
    explanation: "\
An environment may restrict the lifecycles it accepts (`allowed_lifecycle` in flagctl.yaml), so
that, say, a `draft` flag never reaches prod. `promote` refuses such flags; this finding catches
one written by hand.

Fix: move the flag forward (draft → pending → approved) upstream and promote it, or remove it
from this environment.",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    let (Some(lifecycle), Some(env)) = (&cx.flag.lifecycle, cx.env) else {
        return;
    };
    if !env.allows(lifecycle.value) {
        let allowed: Vec<&str> = env
            .allowed_lifecycle
            .iter()
            .flatten()
            .map(|l| l.as_str())
            .collect();
        out.push(
            cx.finding(
                &RULE,
                lifecycle.pos,
                format!(
                    "lifecycle \"{}\" is not allowed in {}",
                    lifecycle.value, env.name
                ),
            )
            .help(format!("{} allows: {}", env.name, allowed.join(", "))),
        );
    }
}
