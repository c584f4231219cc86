use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};
use crate::time::Date;

pub const RULE: Rule = Rule {
    code: super::Code::Expired,
    severity: Severity::Warning,
    summary: "a flag is past its `expires` date",
    explanation: "\
`expires: YYYY-MM-DD` is the date by which a flag should be gone (it holds through that day,
UTC). An expired flag is debt: the code still branches on it. This is a warning; `--strict`
makes it fail the run. A flag meant to stay (a kill switch) can be silenced in flagctl.yaml
under `ignore:` with a reason.

Fix: retire the flag (`flagctl retire`), or move the date with a reason in the commit.",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    let Some(expires) = &cx.flag.expires else {
        return;
    };
    // A malformed date is the schema's finding.
    let Some(date) = Date::parse(&expires.value) else {
        return;
    };
    if date.is_past(cx.now) {
        out.push(
            cx.finding(&RULE, expires.pos, format!("flag expired on {date}"))
                .help("retire the flag with `flagctl retire`, or move `expires` with a reason"),
        );
    }
}
