use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    code: super::Code::RequiresRange,
    severity: Severity::Error,
    summary: "a flag's `requires` is not a semver range",
    explanation: "\
`requires` says which app versions understand the flag, as a semver range (`>=4.2.0`,
`>=4.1, <5`). `flagctl compat` uses it to tell which flags an app version cannot use.

Fix: write a valid range, e.g. `>=4.2.0`.",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    let Some(requires) = &cx.flag.requires else {
        return;
    };
    if let Err(e) = semver::VersionReq::parse(&requires.value) {
        out.push(
            cx.finding(
                &RULE,
                requires.pos,
                format!("requires \"{}\" is not a semver range: {e}", requires.value),
            )
            .help("write a range such as \">=4.2.0\" or \">=4.1, <5\""),
        );
    }
}
