use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};
use crate::time::Date;

pub const RULE: Rule = Rule {
    code: super::Code::InvalidDate,
    severity: Severity::Error,
    summary: "a date that is not a day of the calendar",
    explanation: "\
`expires` is a `YYYY-MM-DD` date, and the schema checks that shape; this rule checks that the
day exists: `2020-02-30` and `2020-13-01` have the shape but name no day, so no one could tell
when the flag expires (and `flagctl stale` could not either).

Fix: write the day meant, e.g. `2020-02-29`.",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    let Some(expires) = &cx.flag.expires else {
        return;
    };
    let text = &expires.value;
    let shaped = text.len() == 10
        && text.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    // A value of another shape is the schema's finding.
    if shaped && Date::parse(text).is_none() {
        out.push(
            cx.finding(
                &RULE,
                expires.pos,
                format!("{text} is not a day of the calendar"),
            )
            .help("write an existing day as YYYY-MM-DD"),
        );
    }
}
