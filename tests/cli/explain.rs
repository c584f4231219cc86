//! `flagctl explain`, `completions`, `man`: the help a user reads.

use crate::support::{Repo, demo};

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
    let out = demo(&["explain", "rule/unknown-variant"]);
    out.expect(0);
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("rule/unknown-variant (error)"));
    assert!(out.stdout.contains("variants"), "{}", out.stdout);
    assert!(out.stdout.contains("Fix:"), "{}", out.stdout);
    // More than the one-line summary the list shows.
    assert!(out.stdout.lines().count() >= 5, "{}", out.stdout);
}

#[test]
fn explain_gives_the_severity_of_warnings() {
    let out = demo(&["explain", "rule/expired"]);
    out.expect(0);
    assert!(
        out.stdout.starts_with("rule/expired (warning)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("--strict"), "{}", out.stdout);
}

#[test]
fn explain_lists_every_code() {
    let out = demo(&["explain"]);
    out.expect(0);
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
    let list = demo(&["explain"]);
    for code in list
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
    {
        let out = demo(&["explain", code]);
        out.expect(0);
        assert!(out.stdout.starts_with(code), "{code}: {}", out.stdout);
    }
}

#[test]
fn explain_refuses_an_unknown_code() {
    let repo = Repo::new();
    repo.run(&["explain", "nope"])
        .refused(&["unknown code \"nope\""]);
    repo.run(&["explain", "rule/unknwn-variant"])
        .refused(&["did you mean rule/unknown-variant"]);
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = demo(&["completions", shell]);
        out.expect(0);
        assert!(
            out.stdout.contains("flagctl") && out.stdout.contains("validate"),
            "{shell}: {}",
            out.stdout
        );
    }
    demo(&["completions", "tcsh"]).expect(2);
}

#[test]
fn man_prints_a_manual_page() {
    let out = demo(&["man"]);
    out.expect(0);
    assert!(out.stdout.contains(".TH flagctl 1"), "{}", out.stdout);
    assert!(out.stdout.contains("validate"), "{}", out.stdout);
}
