//! `flagctl explain`, `completions`, `man`: the help a user reads.

use crate::{flagctl, run};

/// The frozen codes of SPEC §4 (schema keywords other than those named are `schema/<keyword>`).
const FROZEN: &[&str] = &[
    "yaml/syntax",
    "yaml/duplicate-key",
    "yaml/tab-indent",
    "yaml/non-utf8",
    "yaml/merge-conflict",
    "yaml/alias-limit",
    "yaml/too-deep",
    "yaml/too-large",
    "yaml/empty",
    "yaml/not-a-mapping",
    "fs/symlink-escape",
    "schema/unknown-key",
    "rule/name-mismatch",
    "rule/naming",
    "rule/duplicate-name",
    "rule/unknown-variant",
    "rule/rollout-sum",
    "rule/rollout-negative",
    "rule/unknown-segment",
    "rule/variant-type",
    "rule/semver",
    "rule/requires-range",
    "rule/lifecycle",
    "rule/expired",
];

#[test]
fn explain_prints_the_explanation_of_a_code() {
    let out = run(flagctl().args(["explain", "rule/unknown-variant"]));
    out.expect_code(0);
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("rule/unknown-variant (error)"));
    assert!(out.stdout.contains("variants"), "{}", out.stdout);
    assert!(out.stdout.contains("Fix:"), "{}", out.stdout);
    // More than the one-line summary the list shows.
    assert!(out.stdout.lines().count() >= 5, "{}", out.stdout);
}

#[test]
fn explain_gives_the_severity_of_warnings() {
    let out = run(flagctl().args(["explain", "rule/expired"]));
    out.expect_code(0);
    assert!(
        out.stdout.starts_with("rule/expired (warning)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("--strict"), "{}", out.stdout);
}

#[test]
fn explain_lists_every_code() {
    let out = run(flagctl().arg("explain"));
    out.expect_code(0);
    let listed: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let missing: Vec<_> = FROZEN.iter().filter(|c| !listed.contains(c)).collect();
    assert!(
        missing.is_empty(),
        "not listed: {missing:?}\n{}",
        out.stdout
    );
    assert!(listed.iter().any(|c| c.starts_with("schema/")));
    for line in out.stdout.lines() {
        let severity = line.split_whitespace().nth(1).unwrap_or_default();
        assert!(
            matches!(severity, "error" | "warning" | "info"),
            "no severity in {line:?}"
        );
    }
}

#[test]
fn every_listed_code_can_be_explained() {
    let list = run(flagctl().arg("explain"));
    for code in list
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
    {
        let out = run(flagctl().args(["explain", code]));
        out.expect_code(0);
        assert!(out.stdout.starts_with(code), "{code}: {}", out.stdout);
    }
}

#[test]
fn explain_refuses_an_unknown_code() {
    run(flagctl().args(["explain", "nope"])).expect_refusal(&["unknown code \"nope\""]);
    run(flagctl().args(["explain", "rule/unknwn-variant"]))
        .expect_refusal(&["did you mean rule/unknown-variant"]);
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(flagctl().args(["completions", shell]));
        out.expect_code(0);
        assert!(
            out.stdout.contains("flagctl") && out.stdout.contains("validate"),
            "{shell}: {}",
            out.stdout
        );
    }
    run(flagctl().args(["completions", "tcsh"])).expect_code(2);
}

#[test]
fn man_prints_a_manual_page() {
    let out = run(flagctl().arg("man"));
    out.expect_code(0);
    assert!(out.stdout.contains(".TH flagctl 1"), "{}", out.stdout);
    assert!(out.stdout.contains("validate"), "{}", out.stdout);
}
