use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    code: super::Code::NameMismatch,
    severity: Severity::Error,
    summary: "a flag's `name` differs from its file name",
    explanation: "\
A flag is known by its `name`, and its file is named after it: `flags/<env>/[group/]<name>.yaml`.
When the two differ, people searching the tree for a flag find the wrong file, and a rename done
in one place only leaves the flag half-renamed across environments.

Fix: rename the file, or set `name:` to the file's stem.",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    let Some(name) = &cx.flag.name else { return };
    if name.value != cx.file.stem() {
        out.push(
            cx.finding(
                &RULE,
                name.pos,
                format!(
                    "flag name \"{}\" differs from the file name \"{}\"",
                    name.value,
                    cx.file.stem()
                ),
            )
            .help(format!(
                "rename the file to {}.yaml, or set `name: {}`",
                name.value,
                cx.file.stem()
            )),
        );
    }
}
