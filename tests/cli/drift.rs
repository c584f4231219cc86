//! `flagctl diff` and `flagctl status` (SPEC §5): one test per drift code, ages read from git
//! (backdated commits against a fixed `FLAGCTL_NOW`), `allow_drift`, the pair named on the
//! command line, flags that cannot be compared, the JSON report schema, the status matrix and
//! the markdown and GitHub formats.
//!
//! Every `--format json` document a test reads is also checked against
//! `schemas/report.schema.json` ([`crate::support::Run::report`]). Runs in a repository see
//! `FLAGCTL_NOW` = [`crate::support::NOW`]; commits are dated some days before it.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value as Json, json};

use crate::support::{
    NOW, Repo, assert_has, codes, demo, findings, of_flag, one, project_root, snapshots, with_code,
};

// ----------------------------------------------------------------------------------------------
// Reading reports

#[track_caller]
fn message(finding: &Json) -> &str {
    finding["message"].as_str().expect("a message")
}

// ----------------------------------------------------------------------------------------------
// Flag repositories in temporary folders

/// A string flag (variants `a`, `b`), enabled, rolled out 50/50: the version at line 2 column
/// 10, the name at line 1 column 7.
fn flag(name: &str, version: &str) -> String {
    format!(
        "name: {name}\nversion: {version}\ndescription: A flag of the drift tests\nowner: team-test\nkind: release\nlifecycle: approved\ntype: string\nvariants:\n  a: a\n  b: b\ndefault: a\nenabled: true\n{ROLLOUT}\n"
    )
}

const ROLLOUT: &str = "rollout: { a: 50, b: 50 }";

/// `flag(name, version)` with another fallthrough rollout (a state difference).
fn flag_rolled_out(name: &str, version: &str) -> String {
    flag(name, version).replace(ROLLOUT, "rollout: { a: 10, b: 90 }")
}

/// Two environments, dev then prod, with a lag limit of 7 days on prod (`extra` appended).
fn lag_config(extra: &str) -> String {
    format!("environments:\n  - name: dev\n  - name: prod\n    max_lag: 7d\n{extra}")
}

/// The three default environments, named explicitly.
const CHAIN: &str = "environments:\n  - name: dev\n  - name: staging\n  - name: prod\n";

/// `diff --format json` (plus `args`) in `repo`, with the exit code expected; the report.
#[track_caller]
fn diff_json(repo: &Repo, code: i32, args: &[&str]) -> Json {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    repo.report(&all, code)
}

/// `diff ARGS` in `repo`, human and JSON ([`Repo::human_and_json`]), both exiting `code`: one
/// snapshot `name` of the two.
#[track_caller]
fn assert_diff_snapshot(name: &str, repo: &Repo, code: i32, args: &[&str]) {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    let both = repo.human_and_json(&all, code);
    snapshots().bind(|| insta::assert_snapshot!(name, both));
}

// ----------------------------------------------------------------------------------------------
// §5 table: one test per drift code

#[test]
fn a_flag_upstream_only_is_unpromoted_info() {
    let repo = Repo::new();
    repo.write("flags/dev/feature_new.yaml", flag("feature_new", "1.0.0"))
        .write("flags/prod/feature_old.yaml", flag("feature_old", "1.0.0"))
        .write("flags/dev/feature_old.yaml", flag("feature_old", "1.0.0"));
    // At the name in dev; one pending, one in sync. Outside git the age is unknown: said once,
    // beside the finding.
    assert_diff_snapshot("unpromoted", &repo, 0, &[]);
}

#[test]
fn a_flag_downstream_only_is_an_orphan_error() {
    let repo = Repo::new();
    repo.write("flags/dev/feature_kept.yaml", flag("feature_kept", "1.0.0"))
        .write(
            "flags/prod/feature_kept.yaml",
            flag("feature_kept", "1.0.0"),
        )
        .write(
            "flags/prod/feature_hotfix.yaml",
            flag("feature_hotfix", "1.0.0"),
        );
    // At the name in prod: the one error.
    assert_diff_snapshot("orphan", &repo, 1, &[]);
}

#[test]
fn a_lower_downstream_version_is_behind_info_with_the_version_change() {
    let repo = Repo::new();
    repo.write("flags/dev/feature_x.yaml", flag("feature_x", "1.1.0"))
        .write("flags/prod/feature_x.yaml", flag("feature_x", "1.0.0"));
    // At prod's version, with both versions; pending, not in sync.
    assert_diff_snapshot("behind", &repo, 0, &[]);
}

#[test]
fn a_higher_downstream_version_is_ahead_error() {
    let repo = Repo::new();
    repo.write("flags/dev/feature_x.yaml", flag("feature_x", "1.0.0"))
        .write("flags/prod/feature_x.yaml", flag("feature_x", "1.0.1"));
    assert_diff_snapshot("ahead", &repo, 1, &[]);
    // Versions compare as semver, not as text: 1.10.0 is newer than 1.9.0.
    repo.write("flags/dev/feature_x.yaml", flag("feature_x", "1.10.0"))
        .write("flags/prod/feature_x.yaml", flag("feature_x", "1.9.0"));
    let doc = diff_json(&repo, 0, &[]);
    assert_eq!(one(&doc, "drift/behind")["flag"], "feature_x");
}

#[test]
fn a_different_contract_under_the_same_version_is_an_error() {
    let repo = Repo::new();
    // prod adds a variant without a version bump, and serves differently too.
    let prod = flag_rolled_out("feature_x", "1.0.0").replace("  b: b\n", "  b: b\n  c: c\n");
    repo.write("flags/dev/feature_x.yaml", flag("feature_x", "1.0.0"))
        .write("flags/prod/feature_x.yaml", &prod);
    // The variants alone: state is not judged while the contracts disagree.
    assert_diff_snapshot("contract_mismatch", &repo, 1, &[]);
}

#[test]
fn a_different_state_under_the_same_contract_is_a_warning_failing_only_under_strict() {
    let repo = Repo::new();
    repo.write("flags/dev/feature_x.yaml", flag("feature_x", "1.0.0"))
        .write(
            "flags/prod/feature_x.yaml",
            flag_rolled_out("feature_x", "1.0.0"),
        );
    // Each changed field as a unified diff of what promoting would change downstream: prod's
    // values out, dev's in; no colour off a terminal.
    assert_diff_snapshot("state", &repo, 0, &[]);

    // --strict fails the command; the finding stays a warning.
    let doc = diff_json(&repo, 1, &["--strict"]);
    assert_eq!(one(&doc, "drift/state")["severity"], "warning");
    assert_eq!(doc["summary"]["errors"], 0);

    // The same version may serve differently at any version: a state difference beside a
    // pending promotion is still reported.
    repo.write("flags/dev/feature_x.yaml", flag("feature_x", "1.1.0"));
    let doc = diff_json(&repo, 0, &[]);
    assert_eq!(
        codes(&doc),
        ["drift/age-unknown", "drift/behind", "drift/state"]
    );
}

#[test]
fn a_different_description_under_the_same_version_is_a_metadata_warning() {
    let repo = Repo::new();
    let prod = flag("feature_x", "1.0.0").replace(
        "description: A flag of the drift tests",
        "description: Edited in prod",
    );
    repo.write("flags/dev/feature_x.yaml", flag("feature_x", "1.0.0"))
        .write("flags/prod/feature_x.yaml", &prod);
    assert_diff_snapshot("metadata", &repo, 0, &[]);
    repo.run(&["diff", "--strict"]).expect(1);
}

#[test]
fn comments_quoting_and_key_order_are_not_drift() {
    let repo = Repo::new();
    let dev = flag("feature_x", "1.0.0");
    // The same flag, written differently: a comment, keys in another order, quoted scalars.
    let prod = format!(
        "# reviewed by the release managers\nversion: \"1.0.0\"\n{}",
        dev.replace("version: 1.0.0\n", "")
            .replace("owner: team-test", "owner: 'team-test'")
    );
    repo.write("flags/dev/feature_x.yaml", &dev)
        .write("flags/prod/feature_x.yaml", &prod);
    let doc = diff_json(&repo, 0, &[]);
    assert_eq!(codes(&doc), Vec::<&str>::new());
    assert_eq!(doc["summary"]["in_sync"], 1);
}

// ----------------------------------------------------------------------------------------------
// Ages from git, `max_lag`

/// Three commits: the configuration (a lag limit of 7 days on prod) forty days ago; dev and prod
/// at 1.0.0 thirty days ago; then dev's `feature_x` bumped to 1.1.0 and a new `feature_new` in
/// dev, `days_ago` days ago.
fn aged_repo(days_ago: i64) -> Repo {
    let repo = Repo::with_git();
    repo.write("flagctl.yaml", lag_config(""))
        .days_ago(40)
        .committed("configuration")
        .write("flags/dev/feature_x.yaml", flag("feature_x", "1.0.0"))
        .write("flags/prod/feature_x.yaml", flag("feature_x", "1.0.0"))
        .days_ago(30)
        .committed("both at 1.0.0")
        .write("flags/dev/feature_x.yaml", flag("feature_x", "1.1.0"))
        .write("flags/dev/feature_new.yaml", flag("feature_new", "1.0.0"))
        .days_ago(days_ago)
        .committed("bump and add in dev");
    repo
}

#[test]
fn a_pending_promotion_older_than_max_lag_is_an_error_saying_how_long() {
    let repo = aged_repo(10);
    // Both pending for 10d, past the max_lag of 7d: errors, no longer pending.
    assert_diff_snapshot("late", &repo, 1, &[]);
}

#[test]
fn a_recent_pending_promotion_is_info_with_its_age() {
    let repo = aged_repo(2);
    // Both pending for 2d: info, pending.
    assert_diff_snapshot("recent", &repo, 0, &[]);
}

#[test]
fn a_promotion_pending_exactly_max_lag_is_not_yet_late() {
    let repo = aged_repo(7);
    let doc = diff_json(&repo, 0, &[]);
    assert_eq!(one(&doc, "drift/behind")["severity"], "info");
    assert_eq!(one(&doc, "drift/behind")["age_days"], 7);
    // An hour later it is.
    let run = repo
        .cmd(&["diff", "--format", "json"])
        .env("FLAGCTL_NOW", repo.now_plus_hours(1))
        .run();
    run.expect(1);
    assert_eq!(one(&run.report(), "drift/behind")["severity"], "error");
}

#[test]
fn the_age_counts_from_the_commit_that_set_the_current_version() {
    let repo = Repo::with_git();
    let bumped = flag("feature_x", "1.1.0");
    repo.write("flagctl.yaml", lag_config(""))
        .write("flags/dev/feature_x.yaml", flag("feature_x", "1.0.0"))
        .write("flags/prod/feature_x.yaml", flag("feature_x", "1.0.0"))
        .days_ago(30)
        .committed("feature_x 1.0.0 everywhere")
        .write("flags/dev/feature_x.yaml", &bumped)
        .days_ago(3)
        .committed("feature_x 1.1.0 in dev")
        // Edits that keep the version do not restart the clock…
        .write(
            "flags/dev/feature_x.yaml",
            bumped.replace("owner: team-test", "owner: team-other"),
        )
        .days_ago(2)
        .committed("feature_x: new owner")
        // …nor do commits about other files.
        .write("flags/dev/feature_y.yaml", flag("feature_y", "1.0.0"))
        .write("flags/prod/feature_y.yaml", flag("feature_y", "1.0.0"))
        .write("README.md", "flags\n")
        .days_ago(1)
        .committed("unrelated");
    let doc = diff_json(&repo, 0, &[]);
    assert_eq!(codes(&doc), ["drift/behind"]);
    assert_has(
        one(&doc, "drift/behind"),
        json!({"flag": "feature_x", "severity": "info", "age_days": 3}),
    );
    assert!(message(one(&doc, "drift/behind")).contains("pending for 3d"));
}

#[test]
fn an_unpromoted_flag_ages_from_when_its_file_appeared() {
    let repo = Repo::with_git();
    repo.write("flagctl.yaml", lag_config(""))
        .write("flags/dev/feature_new.yaml", flag("feature_new", "1.0.0"))
        .days_ago(20)
        .committed("feature_new in dev")
        .write("flags/dev/feature_new.yaml", flag("feature_new", "1.1.0"))
        .days_ago(2)
        .committed("feature_new 1.1.0");
    let doc = diff_json(&repo, 1, &[]);
    assert_has(
        one(&doc, "drift/unpromoted"),
        json!({"flag": "feature_new", "severity": "error", "age_days": 20}),
    );
}

#[test]
fn the_age_follows_first_parents_through_a_merge() {
    let repo = Repo::with_git();
    repo.write("flagctl.yaml", lag_config(""))
        .write("flags/dev/feature_x.yaml", flag("feature_x", "1.0.0"))
        .write("flags/prod/feature_x.yaml", flag("feature_x", "1.0.0"))
        .days_ago(30)
        .committed("feature_x 1.0.0 everywhere");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("flags/dev/feature_x.yaml", flag("feature_x", "1.1.0"))
        .days_ago(20)
        .committed("feature_x 1.1.0, on a branch");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("README.md", "flags\n")
        .days_ago(10)
        .committed("meanwhile on main");
    repo.days_ago(3)
        .git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    // The change reached main (first parents) with the merge, 3 days ago; the branch's own
    // commit of 20 days ago is not on that line.
    let doc = diff_json(&repo, 0, &[]);
    assert_has(
        one(&doc, "drift/behind"),
        json!({"severity": "info", "age_days": 3}),
    );
}

#[test]
fn an_uncommitted_change_has_an_unknown_age_said_once() {
    let repo = aged_repo(30);
    repo.write("flags/prod/feature_x.yaml", flag("feature_x", "1.1.0"))
        .write("flags/prod/feature_new.yaml", flag("feature_new", "1.0.0"))
        .write("flags/dev/feature_y.yaml", flag("feature_y", "1.0.0"))
        .write("flags/prod/feature_y.yaml", flag("feature_y", "1.0.0"))
        .days_ago(20)
        .committed("promoted, and feature_y everywhere")
        // Work in progress, old history: a bump, a brand-new flag, not committed.
        .write("flags/dev/feature_x.yaml", flag("feature_x", "1.2.0"))
        .write("flags/dev/feature_y.yaml", flag("feature_y", "2.0.0"))
        .write("flags/dev/feature_z.yaml", flag("feature_z", "1.0.0"));
    let doc = diff_json(&repo, 0, &[]);
    let pending: Vec<&Json> = findings(&doc)
        .iter()
        .filter(|f| f["upstream"].is_string())
        .collect();
    assert_eq!(pending.len(), 3, "{doc:#}");
    for f in pending {
        assert_eq!(f["severity"], "info", "{f:#}");
        assert!(message(f).contains("age unknown"), "{f:#}");
        assert!(f.get("age_days").is_none(), "{f:#}");
    }
    let unknown = one(&doc, "drift/age-unknown");
    assert_has(
        unknown,
        json!({"severity": "info", "flag": null, "env": null, "path": null}),
    );
    assert!(message(unknown).contains("not committed"), "{unknown:#}");
    assert_eq!(doc["summary"]["pending"], 3);
}

#[test]
fn a_work_tree_file_unlike_its_commit_but_at_its_version_keeps_the_commit_age() {
    let repo = Repo::with_git();
    // Git stores these CRLF files with LF endings: the work tree's bytes are not the commit's.
    repo.git(&["config", "core.autocrlf", "true"]);
    let crlf = |name: &str, version: &str| flag(name, version).replace('\n', "\r\n");
    repo.write("flagctl.yaml", lag_config(""))
        .write("flags/dev/feature_x.yaml", crlf("feature_x", "1.1.0"))
        .write("flags/prod/feature_x.yaml", crlf("feature_x", "1.0.0"))
        .write("flags/dev/feature_y.yaml", flag("feature_y", "1.1.0"))
        .write("flags/prod/feature_y.yaml", flag("feature_y", "1.0.0"))
        .days_ago(10)
        .committed("1.1.0 in dev")
        // Not committed, and the version stays.
        .edit(
            "flags/dev/feature_y.yaml",
            "owner: team-test",
            "owner: team-other",
        );
    let doc = diff_json(&repo, 1, &[]);
    for name in ["feature_x", "feature_y"] {
        let found = of_flag(&doc, name);
        assert_eq!(found.len(), 1, "{doc:#}");
        assert_has(
            found[0],
            json!({"code": "drift/behind", "severity": "error", "age_days": 10}),
        );
    }
    assert!(with_code(&doc, "drift/age-unknown").is_empty(), "{doc:#}");
}

#[test]
fn a_commit_dated_after_now_is_pending_for_no_time_rather_than_a_negative_one() {
    // Clocks differ between machines: a commit may be dated a little after "now".
    let repo = aged_repo(0);
    let run = repo
        .cmd(&["diff", "--format", "json"])
        .env("FLAGCTL_NOW", repo.now_plus_hours(-36))
        .run();
    run.expect(0);
    // The schema requires age_days >= 0.
    let doc = run.report();
    assert_eq!(one(&doc, "drift/behind")["age_days"], 0);
    assert!(!message(one(&doc, "drift/behind")).contains('-'), "{doc:#}");
}

#[test]
fn moving_a_flag_to_a_group_folder_does_not_restart_its_age() {
    let repo = aged_repo(10);
    std::fs::create_dir_all(repo.path().join("flags/dev/team")).expect("create a folder");
    repo.git(&[
        "mv",
        "flags/dev/feature_x.yaml",
        "flags/dev/team/feature_x.yaml",
    ]);
    repo.days_ago(1).committed("group the flags by team");
    let doc = diff_json(&repo, 1, &[]);
    assert_has(
        one(&doc, "drift/behind"),
        json!({"severity": "error", "age_days": 10}),
    );
}

/// Asserts that `dir` is not inside a git work tree (else the test would read its history).
#[track_caller]
fn assert_outside_git(dir: &Path) {
    let inside = std::process::Command::new("git")
        .args(["rev-parse", "--git-dir"])
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        !inside,
        "the temporary folder {} is inside a git repository; set TMPDIR elsewhere",
        dir.display()
    );
}

#[test]
fn outside_git_ages_are_unknown_and_never_errors() {
    let repo = Repo::new();
    assert_outside_git(repo.path());
    repo.write("flagctl.yaml", lag_config(""))
        .write("flags/dev/feature_x.yaml", flag("feature_x", "1.1.0"))
        .write("flags/prod/feature_x.yaml", flag("feature_x", "1.0.0"))
        .write("flags/dev/feature_new.yaml", flag("feature_new", "1.0.0"));
    let check = |doc: &Json| {
        assert_eq!(
            codes(doc),
            ["drift/age-unknown", "drift/unpromoted", "drift/behind"]
        );
        assert_eq!(doc["summary"]["errors"], 0);
        assert_eq!(doc["summary"]["pending"], 2);
        assert!(
            message(one(doc, "drift/age-unknown")).contains("no git history"),
            "{doc:#}"
        );
    };
    check(&diff_json(&repo, 0, &[]));
    // A repository without a commit has no history either.
    repo.git(&["init", "-q", "-b", "main"]);
    check(&diff_json(&repo, 0, &[]));
}

#[test]
fn a_shallow_clone_cannot_date_an_old_change() {
    let origin = aged_repo(10);
    let clone = Repo::clone_of(&origin, Some(1));
    let doc = clone.report(&["diff"], 0);
    assert_eq!(
        codes(&doc),
        ["drift/age-unknown", "drift/unpromoted", "drift/behind"]
    );
    assert!(
        message(one(&doc, "drift/age-unknown")).contains("shallow"),
        "{doc:#}"
    );
    for code in ["drift/unpromoted", "drift/behind"] {
        assert_eq!(one(&doc, code)["severity"], "info");
        assert!(one(&doc, code).get("age_days").is_none());
    }

    // A clone deep enough to hold the change dates it.
    let deeper = Repo::clone_of(&origin, Some(2));
    assert!(
        deeper.join(".git/shallow").exists(),
        "the depth-2 clone should be shallow"
    );
    let run = deeper.run(&["diff", "--format", "json"]);
    run.expect(1);
    assert_has(
        one(&run.report(), "drift/behind"),
        json!({"severity": "error", "age_days": 10}),
    );
}

#[test]
fn ages_are_read_when_the_flag_repository_is_a_subfolder_of_the_work_tree() {
    let top = Repo::with_git();
    top.write("services/flags-repo/flagctl.yaml", lag_config(""))
        .write(
            "services/flags-repo/flags/dev/feature_x.yaml",
            flag("feature_x", "1.1.0"),
        )
        .write(
            "services/flags-repo/flags/prod/feature_x.yaml",
            flag("feature_x", "1.0.0"),
        )
        .write("README.md", "a monorepo\n")
        .days_ago(10)
        .committed("flags in a monorepo");
    let run = top
        .cmd(&["diff", "--format", "json"])
        .in_dir("services/flags-repo")
        .run();
    run.expect(1);
    let doc = run.report();
    assert_has(
        one(&doc, "drift/behind"),
        json!({
            "severity": "error", "age_days": 10,
            "path": "flags/prod/feature_x.yaml",
        }),
    );
    // The same from the top, with -C.
    let run = top.run_line("-C services/flags-repo diff --format json");
    run.expect(1);
    assert_eq!(run.report(), doc);
}

// ----------------------------------------------------------------------------------------------
// allow_drift

/// dev and prod, `feature_x` rolled out differently in prod, with one `allow_drift` entry at
/// line 5, column 5 of flagctl.yaml.
fn declared_repo(entry: &str) -> Repo {
    let repo = Repo::new();
    repo.write(
        "flagctl.yaml",
        format!("environments:\n  - name: dev\n  - name: prod\nallow_drift:\n{entry}"),
    )
    .write("flags/dev/feature_x.yaml", flag("feature_x", "1.0.0"))
    .write(
        "flags/prod/feature_x.yaml",
        flag_rolled_out("feature_x", "1.0.0"),
    );
    repo
}

const ALLOWANCE: &str = "  - flag: feature_x\n    envs: [prod]\n    fields: [rollout]\n    reason: prod runs a smaller cohort until the audit\n";

#[test]
fn an_allowance_turns_a_state_difference_into_a_declared_one() {
    let repo = declared_repo(ALLOWANCE);
    // Declared, with the entry's reason; declared differences aside, the flag is in sync.
    assert_diff_snapshot("declared", &repo, 0, &[]);
    // --strict has nothing to fail on.
    diff_json(&repo, 0, &["--strict"]);
}

#[test]
fn an_allowance_holds_through_its_until_day_then_expires() {
    let repo = declared_repo(&format!("{ALLOWANCE}    until: 2026-06-15\n"));
    for now in ["2026-06-15T00:00:00Z", NOW, "2026-06-15T23:59:59Z"] {
        let run = repo
            .cmd(&["diff", "--format", "json"])
            .env("FLAGCTL_NOW", now)
            .run();
        run.expect(0);
        assert_eq!(codes(&run.report()), ["drift/declared"], "at {now}");
    }
    // The next day: an error at the entry in flagctl.yaml, and the difference is drift again.
    repo.set_now("2026-06-16T00:00:00Z");
    assert_diff_snapshot("allowance_expired", &repo, 1, &[]);
}

#[test]
fn an_allowance_covers_only_its_flag_environments_and_fields() {
    // Other fields.
    let repo = declared_repo(&ALLOWANCE.replace("[rollout]", "[rules]"));
    assert_eq!(codes(&diff_json(&repo, 0, &[])), ["drift/state"]);
    // Another flag.
    let repo = declared_repo(&ALLOWANCE.replace("flag: feature_x", "flag: feature_y"));
    assert_eq!(codes(&diff_json(&repo, 0, &[])), ["drift/state"]);
    // Only some of the differing fields.
    let repo = declared_repo(ALLOWANCE);
    repo.write(
        "flags/prod/feature_x.yaml",
        flag_rolled_out("feature_x", "1.0.0").replace("enabled: true", "enabled: false"),
    );
    assert_eq!(codes(&diff_json(&repo, 0, &[])), ["drift/state"]);

    // Another pair: an allowance for prod says nothing of dev → staging.
    let repo = Repo::new();
    repo.write(
        "flagctl.yaml",
        format!("{CHAIN}allow_drift:\n{}", ALLOWANCE),
    )
    .write("flags/dev/feature_x.yaml", flag("feature_x", "1.0.0"))
    .write(
        "flags/staging/feature_x.yaml",
        flag_rolled_out("feature_x", "1.0.0"),
    )
    .write(
        "flags/prod/feature_x.yaml",
        flag_rolled_out("feature_x", "1.0.0").replace("a: 10, b: 90", "a: 1, b: 99"),
    );
    let doc = diff_json(&repo, 0, &[]);
    assert_eq!(codes(&doc), ["drift/state", "drift/declared"]);
    assert_has(
        one(&doc, "drift/state"),
        json!({"upstream": "dev", "env": "staging"}),
    );
    assert_has(
        one(&doc, "drift/declared"),
        json!({"upstream": "staging", "env": "prod"}),
    );
}

// ----------------------------------------------------------------------------------------------
// The pair named on the command line

/// dev → staging: `feature_a` behind; staging → prod: `feature_b` unpromoted.
fn chain_repo() -> Repo {
    let repo = Repo::new();
    repo.write("flagctl.yaml", CHAIN)
        .write("flags/dev/feature_a.yaml", flag("feature_a", "1.1.0"))
        .write("flags/staging/feature_a.yaml", flag("feature_a", "1.0.0"))
        .write("flags/prod/feature_a.yaml", flag("feature_a", "1.0.0"))
        .write("flags/dev/feature_b.yaml", flag("feature_b", "1.0.0"))
        .write("flags/staging/feature_b.yaml", flag("feature_b", "1.0.0"));
    repo
}

/// `(code, flag, upstream, env)` of every drift finding between two environments.
fn pairs_of(doc: &Json) -> Vec<(String, String, String, String)> {
    findings(doc)
        .iter()
        .filter(|f| f["upstream"].is_string())
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (s("code"), s("flag"), s("upstream"), s("env"))
        })
        .collect()
}

fn quad(code: &str, flag: &str, up: &str, down: &str) -> (String, String, String, String) {
    (code.into(), flag.into(), up.into(), down.into())
}

#[test]
fn diff_compares_every_adjacent_pair_or_only_the_pair_named() {
    let repo = chain_repo();
    assert_eq!(
        pairs_of(&diff_json(&repo, 0, &[])),
        [
            quad("drift/behind", "feature_a", "dev", "staging"),
            quad("drift/unpromoted", "feature_b", "staging", "prod"),
        ]
    );

    let named = repo.run_line("diff staging prod --format json");
    named.expect(0);
    let doc = named.report();
    assert_eq!(
        pairs_of(&doc),
        [quad("drift/unpromoted", "feature_b", "staging", "prod")]
    );
    assert_eq!(doc["summary"]["in_sync"], 1);
    assert_eq!(doc["summary"]["pending"], 1);

    // Either order: the one earlier in the chain is upstream.
    let reversed = repo.run_line("diff prod staging --format json");
    reversed.expect(0);
    assert_eq!(reversed.stdout, named.stdout);
    let human = repo.run(&["diff", "prod", "staging"]);
    assert!(human.stdout.contains("staging → prod"), "{}", human.stdout);
    assert!(!human.stdout.contains("prod → staging"), "{}", human.stdout);

    // Environments need not be adjacent.
    assert_eq!(
        pairs_of(&diff_json(&repo, 0, &["dev", "prod"])),
        [
            quad("drift/behind", "feature_a", "dev", "prod"),
            quad("drift/unpromoted", "feature_b", "dev", "prod"),
        ]
    );
}

#[test]
fn diff_of_an_unknown_or_repeated_environment_cannot_run() {
    let repo = chain_repo();
    repo.run(&["diff", "dev", "qa"])
        .refused(&["\"qa\"", "dev, staging, prod"]);
    repo.run(&["diff", "qa", "prod"])
        .refused(&["\"qa\"", "dev, staging, prod"]);
    repo.run(&["diff", "dev", "prd"])
        .refused(&["did you mean \"prod\""]);
    repo.run(&["diff", "dev", "dev"]).refused(&["dev"]);
    repo.run(&["diff", "dev"]).refused(&[]);
}

// ----------------------------------------------------------------------------------------------
// Flags that cannot be compared

const BROKEN_YAML: &str = "name: feature_x\nversion: [1.0.0\n";

#[test]
fn a_flag_that_cannot_be_read_is_reported_and_left_out_of_the_comparison() {
    let repo = Repo::new();
    repo.write("flags/dev/feature_x.yaml", flag("feature_x", "1.1.0"))
        .write("flags/prod/feature_x.yaml", BROKEN_YAML)
        .write(
            "flags/dev/feature_v.yaml",
            flag("feature_v", "1.0.0").replace("version: 1.0.0", "version: banana"),
        )
        .write("flags/prod/feature_v.yaml", flag("feature_v", "1.0.0"))
        .write("flags/dev/feature_ok.yaml", flag("feature_ok", "1.0.0"))
        .write("flags/prod/feature_ok.yaml", flag("feature_ok", "1.0.0"));
    let doc = diff_json(&repo, 1, &[]);
    assert_has(
        one(&doc, "yaml/syntax"),
        json!({
            "severity": "error", "flag": "feature_x", "env": "prod",
            "path": "flags/prod/feature_x.yaml",
        }),
    );
    assert!(one(&doc, "yaml/syntax")["line"].is_u64(), "{doc:#}");
    assert_has(
        one(&doc, "rule/semver"),
        json!({
            "severity": "error", "flag": "feature_v", "env": "dev",
            "path": "flags/dev/feature_v.yaml", "line": 2, "column": 10,
        }),
    );
    // No comparison of what could not be read.
    for name in ["feature_x", "feature_v"] {
        for f in of_flag(&doc, name) {
            let code = f["code"].as_str().unwrap_or_default();
            assert!(
                ![
                    "drift/behind",
                    "drift/ahead",
                    "drift/contract-mismatch",
                    "drift/state",
                    "drift/metadata",
                ]
                .contains(&code),
                "{name} was compared: {f:#}"
            );
        }
    }
    assert_eq!(doc["summary"]["in_sync"], 1);
    assert_eq!(doc["summary"]["files"], 6);

    let doc = repo.report(&["status"], 1);
    assert_eq!(with_code(&doc, "yaml/syntax").len(), 1);
}

#[test]
fn a_copy_that_cannot_be_read_does_not_make_the_flag_unpromoted_or_orphaned() {
    let repo = Repo::new();
    repo.write("flags/dev/feature_x.yaml", flag("feature_x", "1.0.0"))
        .write("flags/prod/feature_x.yaml", BROKEN_YAML)
        .write(
            "flags/dev/feature_y.yaml",
            BROKEN_YAML.replace('x', "y").as_str(),
        )
        .write("flags/prod/feature_y.yaml", flag("feature_y", "1.0.0"));
    let doc = diff_json(&repo, 1, &[]);
    let mut found = codes(&doc);
    found.sort_unstable();
    // Only the YAML errors: feature_x is in prod (broken), feature_y in dev (broken).
    assert_eq!(found, ["yaml/syntax", "yaml/syntax"], "{doc:#}");
}

#[test]
fn a_name_used_twice_in_one_environment_is_a_duplicate() {
    let repo = Repo::new();
    repo.write(
        "flags/dev/team_a/feature_x.yaml",
        flag("feature_x", "1.0.0"),
    )
    .write(
        "flags/dev/team_b/feature_x.yaml",
        flag("feature_x", "1.0.0"),
    )
    .write("flags/prod/feature_x.yaml", flag("feature_x", "1.0.0"));
    let doc = diff_json(&repo, 1, &[]);
    let duplicate = one(&doc, "rule/duplicate-name");
    assert_has(
        duplicate,
        json!({"severity": "error", "flag": "feature_x", "env": "dev", "line": 1, "column": 7}),
    );
    let paths = [
        "flags/dev/team_a/feature_x.yaml",
        "flags/dev/team_b/feature_x.yaml",
    ];
    let at = duplicate["path"].as_str().unwrap_or_default();
    assert!(paths.contains(&at), "{duplicate:#}");
    let other = paths.iter().find(|p| **p != at).expect("the other path");
    assert!(message(duplicate).contains(other), "{duplicate:#}");

    let doc = repo.report(&["status"], 1);
    assert_eq!(doc["flags"].as_array().map(Vec::len), Some(1), "{doc:#}");
}

#[test]
fn of_a_name_used_twice_the_first_file_by_path_is_compared() {
    let repo = Repo::new();
    repo.write(
        "flags/dev/b_team/feature_x.yaml",
        flag("feature_x", "1.0.0"),
    )
    .write(
        "flags/dev/a_team/feature_x.yaml",
        flag("feature_x", "2.0.0"),
    )
    .write("flags/staging/feature_x.yaml", flag("feature_x", "1.0.0"))
    .write("flags/prod/feature_x.yaml", flag("feature_x", "1.0.0"));
    let doc = diff_json(&repo, 1, &["dev", "staging"]);
    let duplicate = one(&doc, "rule/duplicate-name");
    assert_eq!(
        duplicate["path"], "flags/dev/b_team/feature_x.yaml",
        "{duplicate:#}"
    );
    // a_team's 2.0.0 comes first by path: staging is behind it, not in sync with b_team's 1.0.0.
    let behind = one(&doc, "drift/behind");
    assert!(message(behind).contains("2.0.0"), "{behind:#}");
}

#[test]
fn a_file_is_compared_by_its_name_not_its_file_name() {
    // prod's copy of feature_x sits in a file named otherwise: it is still feature_x in prod.
    let repo = Repo::new();
    repo.write("flags/dev/feature_x.yaml", flag("feature_x", "2.0.0"))
        .write("flags/prod/old_name.yaml", flag("feature_x", "1.0.0"));
    let doc = diff_json(&repo, 0, &[]);
    assert_eq!(
        codes(&doc),
        ["drift/age-unknown", "drift/behind"],
        "{doc:#}"
    );
    assert_has(
        one(&doc, "drift/behind"),
        json!({"flag": "feature_x", "env": "prod", "path": "flags/prod/old_name.yaml"}),
    );
    let doc = repo.report(&["status"], 0);
    let rows = doc["flags"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{doc:#}");
    assert_eq!(
        rows[0]["environments"][1]["path"], "flags/prod/old_name.yaml",
        "{doc:#}"
    );

    // A second file of that name in prod, under the name's own file name, comes first by path.
    repo.write("flags/prod/feature_x.yaml", flag("feature_x", "2.0.0"));
    let doc = diff_json(&repo, 1, &[]);
    assert_has(
        one(&doc, "rule/duplicate-name"),
        json!({"flag": "feature_x", "env": "prod", "path": "flags/prod/old_name.yaml"}),
    );
    assert!(
        codes(&doc).iter().all(|c| !c.starts_with("drift/")),
        "in sync with the first file: {doc:#}"
    );
}

// ----------------------------------------------------------------------------------------------
// In sync

#[test]
fn byte_identical_flags_everywhere_are_in_sync() {
    let repo = Repo::new();
    for env in ["dev", "staging", "prod"] {
        for name in ["feature_a", "feature_b", "ops_c"] {
            // Where a file sits does not matter, only its name.
            let group = if env == "prod" { "team/" } else { "" };
            repo.write(
                &format!("flags/{env}/{group}{name}.yaml"),
                flag(name, "1.0.0"),
            );
        }
    }
    let doc = diff_json(&repo, 0, &["--strict"]);
    assert_eq!(codes(&doc), Vec::<&str>::new());
    assert_eq!(
        doc["summary"],
        json!({"errors": 0, "warnings": 0, "infos": 0, "files": 9, "in_sync": 3, "pending": 0})
    );
    let human = repo.run(&["diff"]);
    human.expect(0);
    assert_eq!(
        human.stdout.trim_end(),
        "✓ 3 flags in sync, 0 pending promotion, 0 drift errors"
    );
    let doc = repo.report(&["status"], 0);
    for row in doc["flags"].as_array().expect("rows") {
        for cell in row["environments"].as_array().expect("cells") {
            assert_eq!(cell["drift"], Json::Null, "{row:#}");
            assert_eq!(cell["present"], true, "{row:#}");
        }
    }
}

// ----------------------------------------------------------------------------------------------
// The demo tree, the report schema

/// Names of the demo's flags (file stems under `flags/`).
fn demo_flags() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("read a flags folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let stem = path.file_stem().and_then(|s| s.to_str()).expect("a stem");
                out.insert(stem.to_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&project_root().join("flags"), &mut out);
    out
}

#[test]
fn the_demo_diff_passes_with_pending_promotions_and_declared_differences() {
    let run = demo(&["diff", "--format", "json"]);
    run.expect(0);
    let doc = run.report();
    let found = codes(&doc);
    assert!(
        found
            .iter()
            .any(|c| *c == "drift/behind" || *c == "drift/unpromoted"),
        "{found:?}"
    );
    assert!(found.contains(&"drift/declared"), "{found:?}");
    assert_eq!(doc["summary"]["errors"], 0);
    assert!(doc["summary"]["pending"].as_u64() > Some(0), "{doc:#}");
    // Adjacent pairs of the chain only, downstream in `env`.
    for f in findings(&doc).iter().filter(|f| f["upstream"].is_string()) {
        let pair = (f["upstream"].as_str(), f["env"].as_str());
        assert!(
            [
                (Some("dev"), Some("staging")),
                (Some("staging"), Some("prod"))
            ]
            .contains(&pair),
            "{f:#}"
        );
    }
    demo(&["diff"]).expect(0);
    demo(&["diff", "--format", "github"]).expect(0);
}

#[test]
fn the_demo_status_json_has_every_flag_once_in_chain_order() {
    let run = demo(&["status", "--format", "json"]);
    run.expect(0);
    let doc = run.report();
    let rows = doc["flags"].as_array().expect("rows");
    let names: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
    let unique: BTreeSet<String> = names.iter().map(|n| (*n).to_owned()).collect();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert_eq!(unique, demo_flags());
    for row in rows {
        let envs: Vec<&str> = row["environments"]
            .as_array()
            .expect("cells")
            .iter()
            .filter_map(|c| c["env"].as_str())
            .collect();
        assert_eq!(envs, ["dev", "staging", "prod"], "{row:#}");
    }
}

#[test]
fn json_of_diff_and_status_in_every_situation_matches_the_report_schema() {
    // Every document read above is checked; these add the remaining shapes.
    let repo = aged_repo(10);
    repo.write(
        "flags/prod/feature_orphan.yaml",
        flag("feature_orphan", "1.0.0"),
    )
    .write("flags/prod/feature_broken.yaml", BROKEN_YAML);
    for (args, code) in [
        (&["diff", "--format", "json"][..], 1),
        (&["diff", "dev", "prod", "--format", "json"], 1),
        (&["status", "--format", "json"], 1),
        (
            &[
                "status",
                "--format",
                "json",
                "--env",
                "prod",
                "--drift-only",
            ],
            1,
        ),
        // No row shown, and no finding about the flags left out.
        (
            &["status", "--format", "json", "--flag", "nothing_matches"],
            0,
        ),
    ] {
        repo.run(args).expect(code).report();
    }
    let empty = Repo::new();
    empty.write("flags/dev/.keep", "");
    empty.run(&["diff", "--format", "json"]).expect(0).report();
    empty
        .run(&["status", "--format", "json"])
        .expect(0)
        .report();
}

// ----------------------------------------------------------------------------------------------
// status

#[test]
fn the_demo_status_shows_every_flag_once_and_cuts_nothing_without_a_terminal() {
    let run = demo(&["status"]);
    run.expect(0);
    let out = &run.stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("FLAG "), "{out}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["FLAG", "dev", "staging", "prod"]);
    for name in demo_flags() {
        let rows = lines
            .iter()
            .filter(|l| l.split_whitespace().next() == Some(name.as_str()))
            .count();
        assert_eq!(rows, 1, "{name} in\n{out}");
    }
    // Without a terminal, no truncation.
    assert!(!out.contains('…'), "{out}");
    assert!(out.contains("→ stripe_primary"), "{out}");
    assert!(!out.contains('\u{1b}'), "{out}");
    assert!(
        lines
            .last()
            .is_some_and(|l| l.contains("flags in sync") && l.contains("pending promotion")),
        "{out}"
    );
}

/// On a terminal of 100 columns, every line of `status` fits.
#[cfg(target_os = "linux")]
#[test]
fn the_demo_status_fits_a_terminal_of_100_columns() {
    let command = format!("'{}' --color never status", env!("CARGO_BIN_EXE_flagctl"));
    let output = crate::support::scrubbed("script")
        .args(["-qec", &command, "/dev/null"])
        .env("COLUMNS", "100")
        .output();
    let Ok(output) = output else {
        eprintln!("skipped: util-linux `script` is not available to provide a terminal");
        return;
    };
    assert!(output.status.success(), "{output:?}");
    let out = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(out.contains("FLAG"), "{out}");
    for line in out.lines() {
        let line = line.trim_end_matches('\r');
        assert!(
            line.chars().count() <= 100,
            "{} characters: {line:?}\n{out}",
            line.chars().count()
        );
    }
}

#[test]
fn status_lines_have_no_trailing_whitespace() {
    let run = demo(&["status"]);
    run.expect(0);
    for line in run.stdout.lines() {
        assert_eq!(
            line,
            line.trim_end(),
            "trailing whitespace in\n{}",
            run.stdout
        );
    }
}

fn status_rows(doc: &Json) -> Vec<&Json> {
    doc["flags"]
        .as_array()
        .map(|rows| rows.iter().collect())
        .unwrap_or_default()
}

fn row_names(doc: &Json) -> Vec<&str> {
    status_rows(doc)
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect()
}

#[test]
fn status_filters_by_flag_environment_and_drift() {
    let all = demo(&["status", "--format", "json"]).expect(0).report();

    let doc = demo(&["status", "--format", "json", "--flag", "checkout"])
        .expect(0)
        .report();
    assert_eq!(row_names(&doc), ["experiment_checkout_flow"]);
    let human = demo(&["status", "--flag", "checkout"]);
    let rows: Vec<&str> = human
        .stdout
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .collect();
    assert_eq!(rows.len(), 1, "{}", human.stdout);
    assert!(rows[0].starts_with("experiment_checkout_flow "));

    let doc = demo(&[
        "status", "--format", "json", "--flag", "checkout", "--flag", "search",
    ])
    .expect(0)
    .report();
    let expected: Vec<&str> = row_names(&all)
        .into_iter()
        .filter(|n| n.contains("checkout") || n.contains("search"))
        .collect();
    assert_eq!(row_names(&doc), expected);

    let doc = demo(&["status", "--format", "json", "--env", "prod"])
        .expect(0)
        .report();
    assert_eq!(row_names(&doc), row_names(&all));
    for row in status_rows(&doc) {
        let envs: Vec<&str> = row["environments"]
            .as_array()
            .expect("cells")
            .iter()
            .filter_map(|c| c["env"].as_str())
            .collect();
        assert_eq!(envs, ["prod"], "{row:#}");
    }
    let human = demo(&["status", "--env", "prod"]);
    human.expect(0);
    let header: Vec<&str> = human
        .stdout
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["FLAG", "prod"]);

    let doc = demo(&["status", "--format", "json", "--drift-only"])
        .expect(0)
        .report();
    let drifting: Vec<&str> = status_rows(&all)
        .into_iter()
        .filter(|row| {
            row["environments"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["drift"].is_string() && c["drift"] != "drift/declared")
        })
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(!drifting.is_empty());
    assert!(drifting.len() < row_names(&all).len());
    assert_eq!(row_names(&doc), drifting);
    // A flag whose only difference is declared is not drift.
    assert!(!row_names(&doc).contains(&"experiment_checkout_flow"));
}

#[test]
fn status_of_an_unknown_environment_cannot_run() {
    let repo = Repo::demo();
    repo.run(&["status", "--env", "qa"])
        .refused(&["\"qa\"", "dev, staging, prod"]);
    repo.run_line("status --env prod --env qa --format json")
        .refused(&["\"qa\""]);
}

#[test]
fn status_shows_version_state_and_the_worst_drift_of_each_cell() {
    let repo = Repo::new();
    repo.write("flags/dev/feature_x.yaml", flag("feature_x", "1.1.0"))
        .write(
            "flags/prod/feature_x.yaml",
            flag_rolled_out("feature_x", "1.0.0"),
        )
        .write(
            "flags/prod/feature_hotfix.yaml",
            flag("feature_hotfix", "1.0.0"),
        );
    // Each cell: version, state, the worst drift (feature_x in prod is behind, info, and serves
    // differently, a warning: the warning shows); feature_hotfix is an orphan in prod.
    let run = repo.run(&["status", "--format", "json"]);
    run.expect(1);
    insta::assert_json_snapshot!("status_cells_json", run.report());
    let human = repo.run(&["status"]);
    human.expect(1);
    insta::assert_snapshot!("status_cells_human", human.stdout);
}

// ----------------------------------------------------------------------------------------------
// Markdown and GitHub

#[test]
fn markdown_diff_is_a_table_for_a_pull_request() {
    let run = demo(&["diff", "--format", "markdown"]);
    run.expect(0);
    let out = &run.stdout;
    assert!(out.starts_with("### "), "{out}");
    assert!(
        out.lines()
            .next()
            .is_some_and(|l| l.contains("pending promotion"))
    );
    assert!(out.contains("| | Flag | Where | What | Change |"), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("| ⏳ | `")
            && l.contains(" | dev → staging | ")
            && (l.contains("drift/behind") || l.contains("drift/unpromoted"))),
        "no row of a pending promotion in\n{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("| ≈ | `experiment_checkout_flow` | staging → prod |")),
        "{out}"
    );

    // A pending promotion with its version change, and an orphan: the title says it fails.
    let run = pending_and_orphan().run(&["diff", "--format", "markdown"]);
    run.expect(1);
    insta::assert_snapshot!("markdown", run.stdout);
}

/// dev → prod: `feature_x` behind (1.1.0 in dev, 1.0.0 in prod), `feature_hotfix` an orphan.
fn pending_and_orphan() -> Repo {
    let repo = Repo::new();
    repo.write("flags/dev/feature_x.yaml", flag("feature_x", "1.1.0"))
        .write("flags/prod/feature_x.yaml", flag("feature_x", "1.0.0"))
        .write(
            "flags/prod/feature_hotfix.yaml",
            flag("feature_hotfix", "1.0.0"),
        );
    repo
}

#[test]
fn github_diff_annotates_each_drift_at_its_place() {
    // One workflow command a finding, at its file, line and column, titled with its code.
    let run = pending_and_orphan().run(&["diff", "--format", "github"]);
    run.expect(1);
    insta::assert_snapshot!("github", run.stdout);
}
