use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity, did_you_mean};

pub const RULE: Rule = Rule {
    code: super::Code::UnknownSegment,
    severity: Severity::Error,
    summary: "a rule names a segment that is not defined",
    explanation: "\
A rule's `segment:` names an audience defined in `segments/<name>.yaml` (shared by every
environment) or `segments/<env>/<name>.yaml` (this environment only). An undefined segment
would match nobody, so the rule would silently never apply.

Fix: correct the name, or define the segment.",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    for rule in &cx.flag.rules {
        let Some(segment) = &rule.segment else {
            continue;
        };
        if cx.segments.contains(&segment.value) {
            continue;
        }
        let help = match did_you_mean(&segment.value, cx.segments.iter().map(String::as_str)) {
            Some(hint) => format!("did you mean \"{hint}\"?"),
            None => format!("define it in segments/{}.yaml", segment.value),
        };
        out.push(
            cx.finding(
                &RULE,
                segment.pos,
                format!("segment \"{}\" is not defined", segment.value),
            )
            .help(help),
        );
    }
}
