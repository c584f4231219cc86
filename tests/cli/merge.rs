//! `flagctl merge-driver`: real `git merge`s of flag files on throwaway repositories, with the
//! driver installed by `flagctl init --merge-driver`.

use std::path::Path;

use crate::support::{Repo, codes, findings};

const PATH: &str = "flags/prod/checkout/experiment_checkout.yaml";

const FLAG: &str = "\
# Checkout experiment: one page against the classic flow.
name: experiment_checkout
version: 1.0.0
description: One-page checkout
owner: team-payments   # the team that answers for it
kind: experiment
lifecycle: approved
type: string
variants:
  classic: classic
  onepage: onepage
  legacy: \"legacy\"
default: classic
annotations: { jira: PAY-1 }
enabled: true
rules:
  - name: staff first   # employees see it first
    segment: staff
    serve: onepage
rollout: { onepage: 10, classic: 90 }   # a small cohort first
";

const SEGMENT: &str = "name: staff\ndescription: Employees\nwhen:\n  - { attribute: email, op: ends_with, value: \"@example.com\" }\n";

/// A repository holding [`FLAG`] on `main`, the driver set up, and a branch `theirs` at the
/// same commit.
fn repository(flag: &str) -> Repo {
    let repo = Repo::with_git();
    repo.write("segments/staff.yaml", SEGMENT).write(PATH, flag);
    let setup = repo.run(&["init", "--merge-driver"]);
    setup.expect(0);
    assert!(setup.stdout.contains("per clone"), "{}", setup.show());
    repo.commit("base");
    repo.branch("theirs");
    repo
}

/// Commits `edit` of the flag file on `theirs` and `ours_edit` on `main`, then merges `theirs`
/// into `main` with git (the driver from `PATH`, as users install it): whether git merged
/// cleanly, and its stderr.
fn merge(repo: &Repo, ours_edit: &[(&str, &str)], theirs_edit: &[(&str, &str)]) -> (bool, String) {
    repo.checkout("theirs");
    for (from, to) in theirs_edit {
        repo.edit(PATH, from, to);
    }
    repo.commit("their change");
    repo.checkout("main");
    for (from, to) in ours_edit {
        repo.edit(PATH, from, to);
    }
    repo.commit("our change");
    git_merge(repo)
}

fn git_merge(repo: &Repo) -> (bool, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_flagctl"))
        .parent()
        .expect("the binary's folder");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = repo
        .git_cmd(&["merge", "--no-edit", "theirs"])
        .env("PATH", path)
        .env("FLAGCTL_NOW", repo.now())
        .output()
        .expect("git starts");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn changes_to_different_fields_merge_keeping_comments_and_quotes() {
    let repo = repository(FLAG);
    let (clean, stderr) = merge(
        &repo,
        &[(
            "description: One-page checkout",
            "description: One-page checkout, reworded",
        )],
        &[
            (
                "{ onepage: 10, classic: 90 }",
                "{ onepage: 30, classic: 70 }",
            ),
            ("enabled: true", "enabled: false"),
        ],
    );
    assert!(clean, "{stderr}");
    let expected = FLAG
        .replace(
            "description: One-page checkout",
            "description: One-page checkout, reworded",
        )
        .replace(
            "{ onepage: 10, classic: 90 }",
            "{ onepage: 30, classic: 70 }",
        )
        .replace("enabled: true", "enabled: false");
    assert_eq!(repo.text(PATH), expected);
    repo.run(&["validate"]).expect(0);
}

#[test]
fn different_changes_to_one_field_conflict_around_that_field_only() {
    let repo = repository(FLAG);
    let (clean, stderr) = merge(
        &repo,
        &[
            (
                "{ onepage: 10, classic: 90 }",
                "{ onepage: 20, classic: 80 }",
            ),
            ("owner: team-payments", "owner: team-checkout"),
        ],
        &[(
            "{ onepage: 10, classic: 90 }",
            "{ onepage: 50, classic: 50 }",
        )],
    );
    assert!(!clean, "git was not told of the conflict");
    for needle in [
        "experiment_checkout",
        "rollout.onepage",
        "ours 20, theirs 50",
        "rollout.classic",
        "ours 80, theirs 50",
    ] {
        assert!(stderr.contains(needle), "{needle:?} missing:\n{stderr}");
    }
    let text = repo.text(PATH);
    let marked = FLAG
        .replace("owner: team-payments", "owner: team-checkout")
        .replace(
            "rollout: { onepage: 10, classic: 90 }   # a small cohort first\n",
            "<<<<<<< ours\nrollout: { onepage: 20, classic: 80 }   # a small cohort first\n=======\nrollout: { onepage: 50, classic: 50 }   # a small cohort first\n>>>>>>> theirs\n",
        );
    assert_eq!(text, marked);
    let line = text
        .lines()
        .position(|l| l.starts_with("<<<<<<<"))
        .expect("a marker")
        + 1;
    let report = repo.run(&["validate", "--format", "json"]);
    report.expect(1);
    let json = report.report();
    let found = findings(&json);
    let conflict = found
        .iter()
        .find(|f| f["code"] == "yaml/merge-conflict")
        .unwrap_or_else(|| panic!("no yaml/merge-conflict:\n{}", report.show()));
    assert_eq!(conflict["line"], line);
    assert_eq!(conflict["path"], PATH);
}

#[test]
fn a_version_bumped_on_both_sides_is_a_conflict() {
    let repo = repository(FLAG);
    let (clean, stderr) = merge(
        &repo,
        &[
            ("version: 1.0.0", "version: 1.1.0"),
            (
                "  legacy: \"legacy\"\n",
                "  legacy: \"legacy\"\n  compact: compact\n",
            ),
        ],
        &[
            ("version: 1.0.0", "version: 2.0.0"),
            ("  legacy: \"legacy\"\n", ""),
        ],
    );
    assert!(!clean, "{stderr}");
    assert!(stderr.contains("version bumped on both sides"), "{stderr}");
    assert!(stderr.contains("ours 1.1.0, theirs 2.0.0"), "{stderr}");
    let text = repo.text(PATH);
    assert!(
        text.contains("<<<<<<< ours\nversion: 1.1.0\n=======\nversion: 2.0.0\n>>>>>>> theirs\n"),
        "{text}"
    );
    // The variants merged: ours added one, theirs removed another.
    assert!(
        text.contains("  compact: compact\n") && !text.contains("legacy"),
        "{text}"
    );
}

#[test]
fn an_added_variant_beside_a_toggle_merges() {
    let repo = repository(FLAG);
    let (clean, stderr) = merge(
        &repo,
        &[("enabled: true", "enabled: false")],
        &[
            (
                "  legacy: \"legacy\"\n",
                "  legacy: \"legacy\"\n  compact: compact\n",
            ),
            ("version: 1.0.0", "version: 1.1.0"),
        ],
    );
    assert!(clean, "{stderr}");
    let text = repo.text(PATH);
    assert!(text.contains("  compact: compact\n"), "{text}");
    assert!(text.contains("enabled: false\n"), "{text}");
    assert!(text.contains("version: 1.1.0\n"), "{text}");
    repo.run(&["validate"]).expect(0);
}

#[test]
fn a_rule_added_on_each_side_keeps_both() {
    let repo = repository(FLAG);
    let rule = |name: &str, serve: &str| {
        format!("    serve: onepage\n  - name: {name}\n    tenants: [{name}]\n    serve: {serve}\n")
    };
    let (ours_rule, theirs_rule) = (rule("acme", "classic"), rule("globex", "legacy"));
    let (clean, stderr) = merge(
        &repo,
        &[("    serve: onepage\n", &ours_rule)],
        &[("    serve: onepage\n", &theirs_rule)],
    );
    assert!(clean, "{stderr}");
    let text = repo.text(PATH);
    let acme = text.find("- name: acme").expect("ours's rule");
    let globex = text.find("- name: globex").expect("theirs's rule");
    assert!(text.find("- name: staff first").expect("the old rule") < acme.min(globex));
    assert!(stderr.contains("check their order"), "{stderr}");
    repo.run(&["validate"]).expect(0);
}

#[test]
fn a_removed_variant_against_a_rollout_that_uses_it_is_a_conflict() {
    let repo = repository(FLAG);
    let (clean, stderr) = merge(
        &repo,
        &[
            ("  legacy: \"legacy\"\n", ""),
            ("version: 1.0.0", "version: 2.0.0"),
        ],
        &[(
            "{ onepage: 10, classic: 90 }",
            "{ onepage: 10, classic: 80, legacy: 10 }",
        )],
    );
    assert!(!clean, "a merge that does not validate passed: {stderr}");
    assert!(stderr.contains("rule/unknown-variant"), "{stderr}");
    assert!(stderr.contains("rollout"), "{stderr}");
    let text = repo.text(PATH);
    assert!(
        text.contains("<<<<<<< ours\nrollout: { onepage: 10, classic: 90 }"),
        "{text}"
    );
    assert!(
        text.contains("=======\nrollout: { onepage: 10, classic: 80, legacy: 10 }"),
        "{text}"
    );
    let report = repo.run(&["validate", "--format", "json"]);
    assert_eq!(codes(&report.report()), ["yaml/merge-conflict"]);
}

#[test]
fn crlf_files_stay_crlf() {
    let repo = repository(&FLAG.replace('\n', "\r\n"));
    let (clean, stderr) = merge(
        &repo,
        &[("enabled: true", "enabled: false")],
        &[(
            "  legacy: \"legacy\"\r\n",
            "  legacy: \"legacy\"\r\n  compact: compact\r\n",
        )],
    );
    assert!(clean, "{stderr}");
    let bytes = repo.read(PATH);
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(text.contains("  compact: compact\r\n"), "{text:?}");
    assert!(text.contains("enabled: false\r\n"), "{text:?}");
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "a bare LF: {text:?}"
    );
}

#[test]
fn a_file_renamed_on_one_side_merges_under_its_new_name() {
    let repo = repository(FLAG);
    let moved = "flags/prod/experiment_checkout.yaml";
    repo.checkout("theirs");
    repo.git(&["mv", PATH, moved]);
    repo.edit(moved, "enabled: true", "enabled: false");
    repo.commit("move it out of the group");
    repo.checkout("main");
    repo.edit(PATH, "owner: team-payments", "owner: team-checkout");
    repo.commit("new owner");
    let (clean, stderr) = git_merge(&repo);
    assert!(clean, "{stderr}");
    assert!(!repo.join(PATH).exists());
    let text = repo.text(moved);
    assert!(
        text.contains("owner: team-checkout") && text.contains("enabled: false"),
        "{text}"
    );
    repo.run(&["validate"]).expect(0);
}

#[test]
fn a_side_that_does_not_parse_falls_back_to_the_line_merge() {
    let repo = repository(FLAG);
    let (clean, stderr) = merge(
        &repo,
        &[(
            "description: One-page checkout",
            "description: [One-page checkout",
        )],
        &[("enabled: true", "enabled: false")],
    );
    assert!(clean, "{stderr}");
    assert!(stderr.contains("our side is not a flag file"), "{stderr}");
    assert!(stderr.contains("git merge-file"), "{stderr}");
    let text = repo.text(PATH);
    assert!(text.contains("description: [One-page checkout\n") && text.contains("enabled: false"));
}

#[test]
fn a_path_leaving_the_repository_is_not_followed_and_is_shown_escaped() {
    let repo = repository(FLAG);
    repo.write("o.yaml", FLAG)
        .write("a.yaml", FLAG)
        .write("b.yaml", FLAG.replace("enabled: true", "enabled: false"));
    let run = repo.run(&[
        "merge-driver",
        "o.yaml",
        "a.yaml",
        "b.yaml",
        "../\u{1b}[31mx.yaml",
    ]);
    run.expect(0);
    assert!(run.stderr.contains("git merge-file"), "{}", run.show());
    assert!(run.stderr.contains("\\u{1b}[31m"), "{}", run.show());
    assert!(!run.stderr.contains('\u{1b}'), "{}", run.show());
    assert!(repo.text("a.yaml").contains("enabled: false"));
}

#[test]
fn init_sets_the_driver_in_this_clone() {
    let repo = Repo::with_git();
    let run = repo.run(&["init", "flags-repo"]);
    run.expect(0);
    assert!(run.stdout.contains("per clone"), "{}", run.show());
    assert_eq!(
        repo.git(&["config", "--get", "merge.flagctl.driver"])
            .trim(),
        "flagctl merge-driver %O %A %B %P"
    );
    let attributes = repo.text("flags-repo/.gitattributes");
    assert!(
        attributes.contains("flags/**/*.yaml merge=flagctl"),
        "{attributes}"
    );
    let routed = repo.git(&[
        "check-attr",
        "merge",
        "flags-repo/flags/prod/feature_welcome_banner.yaml",
    ]);
    assert!(routed.trim_end().ends_with("merge: flagctl"), "{routed}");
}
