use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};
use crate::grammar::Owner;

pub const RULE: Rule = Rule {
    code: super::Code::Owner,
    severity: Severity::Error,
    summary: "a flag's `owner` is not a name CODEOWNERS can hold",
    explanation: "\
`owner:` names who answers for a flag, and `flagctl codeowners` copies it into CODEOWNERS, where
the git host enforces it. So it is one word of CODEOWNERS: `@user`, `@org/team` (`@group/sub`
on GitLab), an email address, or a plain team name (letters, digits, `.`, `_`, `-`; written
there as `@team`). A space, `#`, a newline or another control character would end the word,
start a comment or a rule of its own: `owner: \"team\\n/flagctl.yaml @mallory\"` would hand the
policy file to @mallory. The approvers of an environment in flagctl.yaml follow the same shape.

Fix: write the owner as one of those forms (`owner: team-payments`, `owner: @acme/payments`).",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    let Some(node) = cx.root.get("owner") else {
        return;
    };
    // Another type, or an empty owner, is the schema's finding.
    let Some(text) = node.as_str().filter(|t| !t.is_empty()) else {
        return;
    };
    if let Err(err) = Owner::parse(text) {
        out.push(
            cx.finding(&RULE, node.pos, err.to_string())
                .help("write @user, @org/team, an email address or a team name"),
        );
    }
}
