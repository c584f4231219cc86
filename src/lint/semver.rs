use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    code: super::Code::Semver,
    severity: Severity::Error,
    summary: "a flag's `version` is not a semantic version",
    explanation: "\
`version` is the semver of the flag's definition (its contract: name, type, variants, default,
requires): MAJOR.MINOR.PATCH, as in `1.3.0`. flagctl compares versions across environments to
find drift and checks on every merge that a change is bumped enough, so it must parse.

Fix: write all three parts, e.g. `1.2.0` instead of `1.2`.",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    let Some(version) = &cx.flag.version else {
        return;
    };
    if let Err(e) = semver::Version::parse(&version.value) {
        let help = match version.value.matches('.').count() {
            0 => format!("write MAJOR.MINOR.PATCH, e.g. \"{}.0.0\"", version.value),
            1 => format!("write MAJOR.MINOR.PATCH, e.g. \"{}.0\"", version.value),
            _ => "write MAJOR.MINOR.PATCH, e.g. \"1.2.0\"".to_owned(),
        };
        out.push(
            cx.finding(
                &RULE,
                version.pos,
                format!("version \"{}\" is not semver: {e}", version.value),
            )
            .help(help),
        );
    }
}
