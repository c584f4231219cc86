use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Op;

pub const RULE: Rule = Rule {
    code: super::Code::Regex,
    severity: Severity::Warning,
    summary: "a condition uses `matches`, which flagd cannot serve",
    explanation: "\
`op: matches` tests an attribute against a regular expression. flagd, which serves the flags
`flagctl export` writes, has no regular-expression operator, so a flag using one cannot be
served the way flagctl evaluates it: `flagctl export` refuses the flag (`export/regex`) and
`flagctl eval` does not evaluate it. The message also says when the pattern does not compile.

Fix: use `eq`, `in`, `starts_with` or `ends_with` (for example `in` over a list of domains on an
attribute the application sends, rather than a pattern over an email address).",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    for rule in &cx.flag.rules {
        for condition in rule.conditions.iter().filter(|c| c.op == Op::Matches) {
            let broken = match condition.operand.as_str() {
                Some(pattern) => {
                    compile_error(pattern).map(|e| format!("; the pattern does not compile: {e}"))
                }
                None => Some("; its value is not a pattern".to_owned()),
            };
            let message = format!(
                "`matches` on \"{}\" has no flagd operator: `flagctl export` refuses this flag{}",
                condition.attribute,
                broken.unwrap_or_default()
            );
            out.push(
                cx.finding(&RULE, condition.pos, message)
                    .help("use eq, in, starts_with or ends_with, which flagd serves"),
            );
        }
    }
}

/// Why `pattern` does not compile, if it does not. Compiling a pattern costs more than parsing
/// its file, and a repository holds the same few patterns in every environment: each distinct
/// pattern is compiled once per run.
fn compile_error(pattern: &str) -> Option<String> {
    static VERDICTS: LazyLock<Mutex<HashMap<String, Option<String>>>> =
        LazyLock::new(Default::default);
    let known = VERDICTS
        .lock()
        .ok()
        .and_then(|verdicts| verdicts.get(pattern).cloned());
    if let Some(verdict) = known {
        return verdict;
    }
    let verdict = regex::Regex::new(pattern).err().map(|e| e.to_string());
    if let Ok(mut verdicts) = VERDICTS.lock() {
        verdicts.insert(pattern.to_owned(), verdict.clone());
    }
    verdict
}
