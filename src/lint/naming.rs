use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    code: super::Code::Naming,
    severity: Severity::Error,
    summary: "a flag's `name` breaks the repository's naming pattern",
    explanation: "\
Flag names follow one pattern, `naming:` in flagctl.yaml (by default snake case:
`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`, as in `feature_login_redesign_v2`). The name is the key
applications ask flagd for, so a consistent pattern keeps code and flags searchable.

Whatever the pattern allows, a name is one word of letters, digits, `_`, `.` and `-`, starting
with a letter or digit: it is also a file name, a key of the JSON flagd reads and a word of
commit subjects, where a space, `/`, `#` or a control character would change what they say.
A segment's name is held to the same word (it is a key of `$evaluators` in that JSON, and what
rules name it by), though not to the pattern.

Fix: rename the flag or segment (and its file) to match.",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    let Some(name) = &cx.flag.name else { return };
    if let Some(why) = crate::grammar::flag_name_problem(&name.value) {
        out.push(
            cx.finding(
                &RULE,
                name.pos,
                format!(
                    "flag name {} cannot be a flag's name: {why}",
                    crate::grammar::quoted(&name.value)
                ),
            )
            .help(suggestion(&name.value)),
        );
    } else if !cx.config.naming.is_match(&name.value) {
        out.push(
            cx.finding(
                &RULE,
                name.pos,
                format!(
                    "flag name \"{}\" does not match the naming pattern `{}`",
                    name.value,
                    cx.config.naming.as_str()
                ),
            )
            .help(suggestion(&name.value)),
        );
    }
}

/// The finding of a segment's `name` that is not one word (the naming pattern is for flags).
pub fn segment_finding(name: &str, path: &str, pos: crate::yaml::Pos) -> Option<Finding> {
    let why = crate::grammar::flag_name_problem(name)?;
    Some(
        Finding::new(
            RULE.code,
            RULE.severity,
            format!(
                "segment name {} cannot be a segment's name: {why}",
                crate::grammar::quoted(name)
            ),
        )
        .at(path, pos)
        .help(suggestion(name)),
    )
}

/// `BadName` → a hint towards `bad_name`, the default pattern's shape.
fn suggestion(name: &str) -> String {
    let mut snake = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !snake.ends_with('_') {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            snake.push(c);
        } else if !snake.ends_with('_') {
            snake.push('_');
        }
    }
    format!(
        "rename the flag and its file, e.g. to \"{}\"",
        snake.trim_matches('_')
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggestions_are_snake_case() {
        assert!(super::suggestion("BadName").contains("\"bad_name\""));
        assert!(super::suggestion("new-checkout").contains("\"new_checkout\""));
    }
}
