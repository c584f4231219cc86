//! The commands that write flag files (SPEC §6): `set`, `toggle`, `bump`, `promote`, `apply`,
//! `rollback`, `retire`, `new`. Each test asserts what a user would notice: the commit (subject,
//! trailers, author, a minimal diff), what `--no-commit` and `--dry-run` leave, refusals that
//! leave every file untouched, and the all-or-nothing write under a crash at every step.
//!
//! Repositories are built with [`crate::support::Repo`]; the identity of flagctl's commits is the
//! repository's own `user.name`/`user.email`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{EMAIL, NAME, Repo};

const CONFIG: &str = "\
# The promotion chain of the tests.
environments:
  - name: dev
  - name: staging
    allowed_lifecycle: [pending, approved, deprecated]
  - name: prod
    allowed_lifecycle: [approved, deprecated]
    require_reason: true
naming: '^[a-z][a-z0-9]*(_[a-z0-9]+)*$'
";

const STAFF: &str = "\
name: staff
description: Employees
when:
  - { attribute: email, op: ends_with, value: \"@example.com\" }
";

/// `experiment_flow`: a string flag with comments, a blank line and a one-line flow rollout.
fn flow(version: &str, enabled: bool, a: u32, b: u32) -> String {
    format!(
        "\
# Checkout flow experiment: the classic flow against the one-page flow.
name: experiment_flow
version: {version}
description: Checkout flow A/B test   # what users read
owner: team-checkout
kind: experiment
lifecycle: approved
type: string
variants:
  a: classic
  b: onepage
default: a                      # the safe value

# state: what this environment serves
enabled: {enabled}
rules:                          # first match wins
  - name: staff first
    segment: staff
    serve: b
rollout: {{ a: {a}, b: {b} }}   # fallthrough
"
    )
}

/// A boolean flag named `name`.
fn boolean(name: &str, version: &str, description: &str, lifecycle: &str, enabled: bool) -> String {
    format!(
        "\
# {name}: a boolean flag of the tests.
name: {name}
version: {version}
description: {description}
owner: team-home
kind: release
lifecycle: {lifecycle}
type: boolean

enabled: {enabled}
"
    )
}

fn flow_path(env: &str) -> String {
    format!("flags/{env}/checkout/experiment_flow.yaml")
}

fn banner_path(env: &str) -> String {
    format!("flags/{env}/feature_banner.yaml")
}

fn banner(version: &str, description: &str, lifecycle: &str, enabled: bool) -> String {
    boolean("feature_banner", version, description, lifecycle, enabled)
}

/// Writes the files of the standard fixture (not committed): `experiment_flow` and
/// `feature_banner` at 1.0.0, alike in dev, staging and prod, and the `release` template.
fn write_fixture(repo: &Repo) {
    repo.write("flagctl.yaml", CONFIG);
    repo.write("segments/staff.yaml", STAFF);
    repo.write(
        "templates/release.yaml",
        std::fs::read(crate::support::project_root().join("templates/release.yaml"))
            .expect("the project's release template"),
    );
    for env in ["dev", "staging", "prod"] {
        repo.write(&flow_path(env), flow("1.0.0", true, 50, 50));
        repo.write(
            &banner_path(env),
            banner("1.0.0", "A banner on the home page", "approved", false),
        );
    }
}

/// The standard fixture, committed.
fn fixture() -> Repo {
    let repo = Repo::with_git();
    write_fixture(&repo);
    repo.commit("init");
    repo
}

fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit())
}

// ---------------------------------------------------------------------------------------------
// 1. Commits: subject, trailers, identity, a minimal diff.
// ---------------------------------------------------------------------------------------------

#[test]
fn set_commits_only_the_changed_line_with_trailers_as_the_configured_identity() {
    let repo = fixture();
    let path = flow_path("staging");
    let original = repo.text(&path);
    let old_head = repo.head();
    let out = repo.run(&[
        "set",
        "experiment_flow",
        "--env",
        "staging",
        "rollout.a=30",
        "rollout.b=70",
        "--reason",
        "shift traffic",
    ]);
    out.expect(0);
    assert!(out.stdout.contains("Committed"), "{}", out.show());
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.subject("HEAD"),
        "set experiment_flow in staging: rollout.a=30, rollout.b=70"
    );
    assert_eq!(
        repo.trailers("HEAD"),
        [
            "Flagctl-Reason: shift traffic",
            "Flagctl-Command: set experiment_flow --env staging rollout.a=30 rollout.b=70 --reason 'shift traffic'",
        ]
    );
    assert_eq!(
        repo.git(&["log", "-1", "--format=%an <%ae>|%cn <%ce>"])
            .trim(),
        format!("{NAME} <{EMAIL}>|{NAME} <{EMAIL}>")
    );
    repo.assert_one_line_changed(&path);
    // Comments, blank lines and every other byte stay as they were.
    assert_eq!(
        repo.text(&path),
        original.replace("rollout: { a: 50, b: 50 }", "rollout: { a: 30, b: 70 }")
    );
}

#[test]
fn set_without_reason_records_only_the_command() {
    let repo = fixture();
    let out = repo.run_line("set feature_banner --env dev enabled=true");
    out.expect(0);
    assert_eq!(
        repo.trailers("HEAD"),
        ["Flagctl-Command: set feature_banner --env dev enabled=true"]
    );
    assert_eq!(
        repo.text(&banner_path("dev")),
        banner("1.0.0", "A banner on the home page", "approved", true)
    );
}

#[test]
fn the_commit_holds_only_the_flag_file_not_what_the_user_had_staged() {
    let repo = fixture();
    repo.write("README.md", "work in progress\n");
    repo.git(&["add", "README.md"]);
    let old_head = repo.head();
    let out = repo.run_line("toggle feature_banner --env dev on");
    out.expect(0);
    assert_eq!(repo.rev("HEAD~1"), old_head);
    // flagctl's commit must not sweep in the user's unrelated staged changes.
    repo.assert_one_line_changed(&banner_path("dev"));
    assert_eq!(
        repo.git(&["diff", "--cached", "--name-only"]).trim(),
        "README.md",
        "the user's staged file stays staged"
    );
}

#[test]
fn toggle_with_break_glass_says_so_in_the_commit() {
    let repo = fixture();
    let text = repo.run_one_line_edit(
        "toggle feature_banner --env prod on --break-glass --reason INC-7",
        &banner_path("prod"),
    );
    assert_eq!(repo.subject("HEAD"), "toggle feature_banner on in prod");
    assert_eq!(
        repo.trailers("HEAD"),
        [
            "Flagctl-Reason: INC-7",
            "Flagctl-Command: toggle feature_banner --env prod on --break-glass --reason INC-7",
            "Flagctl-Break-Glass: true",
        ]
    );
    assert_eq!(
        text,
        banner("1.0.0", "A banner on the home page", "approved", true)
    );

    // Break-glass without a reason is refused, even where reasons are optional.
    repo.run_line("toggle feature_banner --env staging on --break-glass")
        .refused(&["--reason"]);
}

#[test]
fn a_crlf_file_stays_crlf() {
    let repo = fixture();
    let path = flow_path("dev");
    let crlf = flow("1.0.0", true, 50, 50).replace('\n', "\r\n");
    repo.write(&path, &crlf);
    repo.commit("crlf");
    assert_eq!(
        repo.run_one_line_edit("set experiment_flow --env dev enabled=false", &path),
        crlf.replace("enabled: true", "enabled: false")
    );
}

#[test]
fn a_commit_hook_that_runs_flagctl_does_not_undo_the_change() {
    // `flagctl init` scaffolds exactly this hook (`exec flagctl validate`).
    let repo = fixture();
    repo.write(
        ".githooks/pre-commit",
        format!(
            "#!/bin/sh\nexec '{}' validate\n",
            env!("CARGO_BIN_EXE_flagctl")
        ),
    );
    make_executable(&repo.join(".githooks/pre-commit"));
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    repo.commit("hook");
    let path = flow_path("staging");
    let original = repo.text(&path);
    assert_eq!(
        repo.run_one_line_edit(
            "set experiment_flow --env staging rollout.a=30 rollout.b=70",
            &path
        ),
        original.replace("rollout: { a: 50, b: 50 }", "rollout: { a: 30, b: 70 }")
    );
}

#[test]
fn a_commit_hook_that_refuses_leaves_everything_as_it_was() {
    let repo = fixture();
    repo.write(
        ".githooks/pre-commit",
        "#!/bin/sh\necho 'hook says no' >&2\nexit 1\n",
    );
    make_executable(&repo.join(".githooks/pre-commit"));
    repo.commit("hook");
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    repo.run_line("set experiment_flow --env staging rollout.a=30 rollout.b=70")
        .refused(&["hook says no"]);
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) {}

#[test]
fn a_promotion_keeps_the_target_crlf() {
    let repo = fixture();
    let prod = flow_path("prod");
    let crlf = flow("1.0.0", true, 50, 50).replace('\n', "\r\n");
    repo.write(&prod, &crlf);
    repo.write(&flow_path("staging"), flow("1.1.0", true, 50, 50));
    repo.commit("crlf prod, staging 1.1.0");
    assert_eq!(
        repo.run_one_line_edit("promote staging prod --all --yes --reason r", &prod),
        crlf.replace("version: 1.0.0", "version: 1.1.0")
    );
}

#[test]
fn a_flag_repository_in_a_subfolder_of_the_work_tree_commits_its_own_paths() {
    let repo = Repo::with_git();
    repo.write("README.md", "a monorepo\n");
    for (rel, text) in [
        ("flagctl.yaml", CONFIG.to_owned()),
        ("segments/staff.yaml", STAFF.to_owned()),
        (&flow_path("dev"), flow("1.0.0", true, 50, 50)),
        (&flow_path("staging"), flow("1.1.0", true, 50, 50)),
        (&flow_path("prod"), flow("1.0.0", true, 50, 50)),
    ] {
        repo.write(&format!("ops/flags-repo/{rel}"), text);
    }
    let old_head = repo.commit("monorepo");
    let sub = |line: &str| {
        let args: Vec<&str> = line.split_whitespace().collect();
        repo.cmd(&args).in_dir("ops/flags-repo").run()
    };
    let out = sub("set experiment_flow --env dev rollout.a=30 rollout.b=70");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    repo.assert_one_line_changed(&format!("ops/flags-repo/{}", flow_path("dev")));
    let old_head = repo.head();
    let out = sub("promote staging prod --all --yes --reason r");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.trailers("HEAD").last().map(String::as_str),
        Some(format!("Flagctl-Promoted-From: staging@{old_head}").as_str())
    );
    repo.assert_one_line_changed(&format!("ops/flags-repo/{}", flow_path("prod")));
}

// ---------------------------------------------------------------------------------------------
// 2. --no-commit and --dry-run.
// ---------------------------------------------------------------------------------------------

#[test]
fn no_commit_leaves_the_change_staged() {
    let repo = fixture();
    let old_head = repo.head();
    let path = flow_path("staging");
    let out =
        repo.run_line("set experiment_flow --env staging rollout.a=30 rollout.b=70 --no-commit");
    out.expect(0);
    assert_eq!(repo.head(), old_head, "no commit\n{}", out.show());
    assert_eq!(repo.git(&["diff", "--cached", "--name-only"]).trim(), path);
    assert_eq!(
        repo.git(&["diff", "--name-only"]),
        "",
        "the work tree matches what is staged"
    );
    assert!(
        repo.git(&["diff", "--cached"])
            .contains("+rollout: { a: 30, b: 70 }")
    );

    // The same for a promotion.
    let repo = fixture();
    repo.write(&flow_path("staging"), flow("1.1.0", true, 50, 50));
    let old_head = repo.commit("staging 1.1.0");
    let out = repo.run_line("promote staging prod experiment_flow --yes --reason r --no-commit");
    out.expect(0);
    assert_eq!(repo.head(), old_head, "no commit\n{}", out.show());
    assert_eq!(
        repo.git(&["diff", "--cached", "--name-only"]).trim(),
        flow_path("prod")
    );
}

#[test]
fn dry_run_writes_nothing_for_any_command() {
    let repo = fixture();
    // Something to promote, to bump and to roll back.
    repo.write(&flow_path("staging"), flow("1.1.0", true, 40, 60));
    repo.commit("staging 1.1.0");
    let before = repo.state();
    for line in [
        "set experiment_flow --env dev rollout.a=30 rollout.b=70",
        "toggle feature_banner --env prod on --reason r",
        "bump experiment_flow --env staging major",
        "promote staging prod experiment_flow --reason r",
        "promote staging prod --all --yes --reason r",
        "rollback experiment_flow --env staging --to HEAD~1",
        "new feature_fresh --template release",
    ] {
        let out = repo.run_line(&format!("{line} --dry-run"));
        assert_eq!(out.code, Some(0), "{line}\n{}", out.show());
        assert!(
            out.stdout.contains("Dry run"),
            "{line}: says it wrote nothing\n{}",
            out.show()
        );
        repo.assert_unchanged(&before, &out);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Refusals: exit 2, a message, every file untouched.
// ---------------------------------------------------------------------------------------------

#[test]
fn refusals_leave_every_file_untouched() {
    let repo = fixture();
    let cases: &[(&str, &[&str])] = &[
        (
            "set experiment_flw --env staging enabled=false",
            &["experiment_flw", "did you mean \"experiment_flow\""],
        ),
        (
            "set experiment_flow --env stagin enabled=false",
            &["stagin", "did you mean \"staging\""],
        ),
        (
            "set experiment_flow --env staging enabled=maybe",
            &["enabled", "maybe"],
        ),
        ("set experiment_flow --env staging version=2.0.0", &["bump"]),
        ("set experiment_flow --env staging enabled", &["KEY=VALUE"]),
        (
            "set experiment_flow --env staging enabled=false --expect-version 0.9.0",
            &["0.9.0", "1.0.0", "--expect-version"],
        ),
        (
            "set experiment_flow --env prod enabled=false",
            &["prod", "--reason"],
        ),
        ("toggle feature_banner --env prod on", &["--reason"]),
        ("bump experiment_flow --env prod major", &["--reason"]),
        ("promote staging prod experiment_flow --yes", &["--reason"]),
        (
            "promote staging prod experiment_flw --yes --reason r",
            &["did you mean \"experiment_flow\""],
        ),
        (
            "promote staging prdo --all --yes --reason r",
            &["did you mean \"prod\""],
        ),
        ("promote staging staging --all --yes", &["staging"]),
        // Neither a flag nor --all.
        ("promote staging prod --yes --reason r", &[]),
        (
            "rollback experiment_flow --env staging --to no-such-rev --yes",
            &["no-such-rev"],
        ),
        (
            "rollback experiment_flow --env staging --to 9.9.9 --yes",
            &["9.9.9"],
        ),
        ("retire no_such_flag --yes", &["no_such_flag"]),
        ("apply no-such-plan.json --yes", &["no-such-plan.json"]),
    ];
    for (line, needles) in cases {
        repo.run_line(line).refused(needles);
    }
    // A blank reason is no reason.
    repo.run(&[
        "set",
        "experiment_flow",
        "--env",
        "prod",
        "enabled=false",
        "--reason",
        " ",
    ])
    .refused(&["prod", "--reason"]);
}

#[test]
fn a_dirty_target_is_refused() {
    let repo = fixture();
    let path = flow_path("staging");
    // A local edit: a new version and a note, not yet committed.
    let mut dirty = repo.text(&path).replace("version: 1.0.0", "version: 1.1.0");
    dirty.push_str("# a local note\n");
    repo.write(&path, &dirty);
    for line in [
        "set experiment_flow --env staging enabled=false",
        "toggle experiment_flow --env staging off",
        "rollback experiment_flow --env staging --to HEAD --yes",
        "promote staging prod experiment_flow --yes --reason r",
    ] {
        repo.run_line(line).refused(&["uncommitted", &path]);
    }
    assert_eq!(repo.text(&path), dirty, "the user's edit survives");

    // A staged (not committed) edit is just as dirty.
    repo.git(&["add", &path]);
    repo.run_line("set experiment_flow --env staging enabled=false")
        .refused(&["uncommitted"]);
}

#[test]
fn expect_version_and_expect_commit_guard_against_concurrent_changes() {
    let repo = fixture();
    let first = repo.head();
    let out = repo.run_line("set experiment_flow --env staging rollout.a=40 rollout.b=60");
    out.expect(0);
    let second = repo.head();

    // The file was last changed by `second`, not `first`.
    repo.run_line(&format!(
        "set experiment_flow --env staging enabled=false --expect-commit {first}"
    ))
    .refused(&["--expect-commit"]);

    // A matching commit (full or abbreviated) and a matching version succeed.
    let out = repo.run_line(&format!(
        "set experiment_flow --env staging enabled=false --expect-commit {second} --expect-version 1.0.0"
    ));
    out.expect(0);
    repo.assert_one_commit_on(&second, &out);
    let third = repo.head();
    let out = repo.run_line(&format!(
        "toggle experiment_flow --env staging on --expect-commit {}",
        &third[..10]
    ));
    out.expect(0);
    repo.assert_one_commit_on(&third, &out);

    // A commit that did not touch the file is not the last one that did.
    repo.write("README.md", "unrelated\n");
    let unrelated = repo.commit("unrelated");
    repo.run_line(&format!(
        "toggle experiment_flow --env staging off --expect-commit {unrelated}"
    ))
    .refused(&["--expect-commit"]);
}

#[test]
fn expect_version_also_guards_a_promotion() {
    let repo = fixture();
    repo.write(&flow_path("staging"), flow("1.1.0", true, 50, 50));
    repo.commit("staging 1.1.0");
    repo.run_line("promote staging prod experiment_flow --yes --reason r --expect-version 0.9.0")
        .refused(&["--expect-version"]);
}

#[test]
fn a_detached_head_is_refused() {
    let repo = fixture();
    repo.git(&["checkout", "-q", "--detach"]);
    repo.run_line("set experiment_flow --env staging enabled=false")
        .refused(&["detached"]);
}

#[test]
fn a_repository_in_the_middle_of_a_merge_is_refused() {
    let repo = fixture();
    repo.write("README.md", "base\n");
    repo.commit("readme");
    repo.git(&["checkout", "-q", "-b", "other"]);
    repo.write("README.md", "other\n");
    repo.commit("other readme");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("README.md", "main\n");
    repo.commit("main readme");
    assert!(
        !repo.git_ok(&["merge", "-q", "other"]),
        "the merge conflicts"
    );
    for line in [
        "set experiment_flow --env staging enabled=false",
        "promote staging prod --all --yes --reason r",
    ] {
        repo.run_line(line).refused(&["merge"]);
    }
}

#[test]
fn outside_git_a_write_is_refused() {
    let repo = Repo::new();
    write_fixture(&repo);
    let before = repo.files();
    let out = repo.run_line("set experiment_flow --env staging enabled=false");
    out.refused(&["git"]);
    assert_eq!(repo.files(), before, "nothing written\n{}", out.show());
    assert!(!repo.join(".git").exists());
}

#[test]
fn a_change_that_would_not_validate_exits_1_with_the_finding_and_writes_nothing() {
    let repo = fixture();
    let before = repo.state();
    let out = repo.run_line("set experiment_flow --env staging rollout.a=55");
    out.expect(1);
    assert!(
        out.stdout.contains("rule/rollout-sum") && out.stdout.contains("105"),
        "the finding is shown\n{}",
        out.show()
    );
    assert!(out.stderr.contains("nothing was written"), "{}", out.show());
    repo.assert_unchanged(&before, &out);

    // The same through --format json: the finding is in the document.
    let out = repo.run_line("set experiment_flow --env staging rules.0.serve=c --format json");
    out.expect(1);
    let doc: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("JSON ({e})\n{}", out.show()));
    let codes: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"rule/unknown-variant"), "{codes:?}");
    repo.assert_unchanged(&before, &out);
}

// ---------------------------------------------------------------------------------------------
// 4. bump.
// ---------------------------------------------------------------------------------------------

#[test]
fn bump_auto_is_minor_for_an_added_variant_and_touches_only_the_version_of_a_dirty_file() {
    let repo = fixture();
    let path = flow_path("staging");
    let edited = repo
        .text(&path)
        .replace("  b: onepage\n", "  b: onepage\n  c: twopage\n");
    repo.write(&path, &edited);
    let old_head = repo.head();
    let out = repo.run_line("bump experiment_flow --env staging");
    out.expect(0);
    assert!(out.stdout.contains("1.1.0"), "{}", out.show());
    assert_eq!(
        repo.text(&path),
        edited.replace("version: 1.0.0", "version: 1.1.0"),
        "only the version line changes"
    );
    repo.assert_one_commit_on(&old_head, &out);
    assert!(
        repo.subject("HEAD").contains("1.1.0"),
        "{}",
        repo.subject("HEAD")
    );
}

#[test]
fn bump_auto_is_major_for_a_removed_variant_or_a_changed_default() {
    let repo = fixture();
    let path = flow_path("staging");
    // 1.1.0 adds variant c (committed with its version).
    let three =
        flow("1.1.0", true, 50, 50).replace("  b: onepage\n", "  b: onepage\n  c: twopage\n");
    repo.write(&path, &three);
    repo.commit("1.1.0 adds c");
    // Removing c again breaks callers that use it.
    repo.write(&path, flow("1.1.0", true, 50, 50));
    let out = repo.run_line("bump experiment_flow --env staging");
    out.expect(0);
    assert_eq!(
        repo.text(&path),
        flow("2.0.0", true, 50, 50),
        "{}",
        out.show()
    );

    let repo = fixture();
    let edited = flow("1.0.0", true, 50, 50).replace("default: a ", "default: b ");
    repo.write(&path, &edited);
    let out = repo.run_line("bump experiment_flow --env staging");
    out.expect(0);
    assert_eq!(
        repo.text(&path),
        edited.replace("version: 1.0.0", "version: 2.0.0"),
        "{}",
        out.show()
    );
}

#[test]
fn bump_auto_is_patch_for_a_committed_description_change() {
    let repo = fixture();
    let path = flow_path("staging");
    let edited = repo
        .text(&path)
        .replace("Checkout flow A/B test", "Checkout flow test");
    repo.write(&path, &edited);
    repo.commit("reword, not bumped");
    assert_eq!(
        repo.run_one_line_edit("bump experiment_flow --env staging", &path),
        edited.replace("version: 1.0.0", "version: 1.0.1")
    );
}

#[test]
fn bump_auto_needs_no_bump_for_state_alone() {
    let repo = fixture();
    let path = flow_path("staging");
    let edited = flow("1.0.0", false, 20, 80);
    repo.write(&path, &edited);
    let before = repo.state();
    let out = repo.run_line("bump experiment_flow --env staging");
    out.expect(0);
    assert!(out.stdout.contains("no bump needed"), "{}", out.show());
    repo.assert_unchanged(&before, &out);
}

#[test]
fn bump_major_minor_patch_set_the_version_as_asked() {
    let repo = fixture();
    let path = flow_path("staging");
    for (how, version) in [("major", "2.0.0"), ("minor", "2.1.0"), ("patch", "2.1.1")] {
        assert_eq!(
            repo.run_one_line_edit(&format!("bump experiment_flow --env staging {how}"), &path),
            flow(version, true, 50, 50),
            "{how}"
        );
    }
}

/// Each kind of `set` edit, the version it leaves (from 1.0.0) and why: the result must pass
/// `check`'s version rule, which `set` applies itself.
#[test]
fn set_bumps_the_version_as_check_will_ask() {
    let cases: &[(&[&str], &str)] = &[
        (&["lifecycle=deprecated"], "1.0.1"),
        (&["description=One page or two"], "1.0.1"),
        (&["owner=team-growth"], "1.0.1"),
        (&["annotations.jira=PAY-1"], "1.0.1"),
        (&["variants.c=twopage"], "1.1.0"),
        (&["variants.b=onepage_v2"], "2.0.0"),
        (&["default=b"], "2.0.0"),
        (&["requires=>=4.0.0"], "2.0.0"),
        (&["enabled=false"], "1.0.0"),
        (&["rollout.a=30", "rollout.b=70"], "1.0.0"),
        (&["rules.0.serve=a"], "1.0.0"),
        (&["enabled=false", "owner=team-growth"], "1.0.1"),
        (&["owner=team-growth", "default=b"], "2.0.0"),
    ];
    let path = flow_path("dev");
    for (assignments, version) in cases {
        let repo = fixture();
        repo.branch("base");
        let mut args = vec!["set", "experiment_flow", "--env", "dev"];
        args.extend_from_slice(assignments);
        let out = repo.run(&args);
        out.expect(0);
        let text = repo.text(&path);
        assert!(
            text.contains(&format!("\nversion: {version}\n")),
            "{assignments:?} should leave {version}:\n{text}"
        );
        let check = repo.run(&["check", "--base", "base", "--format", "json"]);
        check.expect(0);
        assert!(
            !check.stdout.contains("check/bump-needed"),
            "{assignments:?}: {}",
            check.show()
        );
    }

    // Each committed version describes the change since the one before, as `bump auto` does.
    let repo = fixture();
    repo.branch("base");
    for (assignment, version, bumped) in [
        ("lifecycle=deprecated", "1.0.1", true),
        ("owner=team-growth", "1.0.2", true),
        ("enabled=false", "1.0.2", false),
        ("default=b", "2.0.0", true),
    ] {
        repo.run(&["set", "experiment_flow", "--env", "dev", assignment])
            .expect(0);
        assert!(
            repo.text(&path)
                .contains(&format!("\nversion: {version}\n")),
            "{assignment}: {}",
            repo.text(&path)
        );
        assert!(
            repo.subject("HEAD")
                .contains(&format!("; version {version} ("))
                == bumped,
            "the subject says why: {}",
            repo.subject("HEAD")
        );
        repo.run(&["check", "--base", "base"]).expect(0);
    }
    // `bump auto` then finds nothing left to do.
    let before = repo.state();
    let out = repo.run_line("bump experiment_flow --env dev");
    out.expect(0);
    assert!(out.stdout.contains("no bump needed"), "{}", out.show());
    repo.assert_unchanged(&before, &out);
}

// ---------------------------------------------------------------------------------------------
// 5. promote and apply.
// ---------------------------------------------------------------------------------------------

/// Staging's `experiment_flow` 1.1.0: a new variant, a new description, other state.
fn staging_1_1() -> String {
    flow("1.1.0", false, 30, 70)
        .replace("  b: onepage\n", "  b: onepage\n  c: twopage\n")
        .replace("Checkout flow A/B test", "Checkout flow A/B/C test")
        .replace("    serve: b\n", "    serve: c\n")
}

#[test]
fn promote_takes_version_contract_and_metadata_and_keeps_the_target_state() {
    let repo = fixture();
    repo.write(&flow_path("staging"), staging_1_1());
    let old_head = repo.commit("staging 1.1.0");
    let prod = flow_path("prod");
    let prod_before = repo.text(&prod);
    let out = repo.run_line("promote staging prod experiment_flow --yes --reason release-1.1");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.text(&prod),
        prod_before
            .replace("version: 1.0.0", "version: 1.1.0")
            .replace("Checkout flow A/B test", "Checkout flow A/B/C test")
            .replace("  b: onepage\n", "  b: onepage\n  c: twopage\n"),
        "prod keeps enabled, rules and rollout"
    );
    assert_eq!(repo.numstat("HEAD"), [format!("3\t2\t{prod}")]);
    assert_eq!(
        repo.subject("HEAD"),
        "promote staging → prod: experiment_flow"
    );
    assert!(is_full_sha(&old_head));
    assert_eq!(
        repo.trailers("HEAD"),
        [
            "Flagctl-Reason: release-1.1".to_owned(),
            "Flagctl-Command: promote staging prod experiment_flow --yes --reason release-1.1"
                .to_owned(),
            format!("Flagctl-Promoted-From: staging@{old_head}"),
        ]
    );
    // Promoting again has nothing to do.
    let before = repo.state();
    let out = repo.run_line("promote staging prod experiment_flow --yes --reason again");
    out.expect(0);
    repo.assert_unchanged(&before, &out);
}

#[test]
fn promote_with_state_takes_the_state_too() {
    let repo = fixture();
    repo.write(&flow_path("staging"), staging_1_1());
    let old_head = repo.commit("staging 1.1.0");
    let out = repo.run_line("promote staging prod experiment_flow --with-state --yes --reason r");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(repo.text(&flow_path("prod")), staging_1_1());
}

#[test]
fn a_flag_new_to_prod_arrives_disabled_with_its_rules() {
    let repo = fixture();
    let staging = "flags/staging/home/feature_fresh.yaml";
    let text = boolean("feature_fresh", "1.0.0", "Fresh", "approved", true)
        + "rules:\n  - name: staff first\n    segment: staff\n    serve: \"on\"\n";
    repo.write(staging, &text);
    let old_head = repo.commit("fresh in staging");
    let copy = Repo::copy_of(&repo);

    let out = repo.run_line("promote staging prod feature_fresh --yes --reason r");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    let prod = "flags/prod/home/feature_fresh.yaml";
    assert_eq!(
        repo.text(prod),
        text.replace("enabled: true", "enabled: false")
    );
    assert_eq!(repo.numstat("HEAD").len(), 1);

    // --with-state brings it enabled, as in staging.
    let out = copy.run_line("promote staging prod --all --with-state --yes --reason r");
    out.expect(0);
    copy.assert_one_commit_on(&old_head, &out);
    assert_eq!(copy.text(prod), text);
}

/// A flag the target may not take, a draft anywhere or a lifecycle outside the target's
/// `allowed_lifecycle`, is refused when named and skipped (and said) by --all, which promotes
/// the rest.
#[test]
fn a_flag_the_target_may_not_take_is_refused_by_name_and_skipped_by_all() {
    // The refusal names the environment whose rule it is: a draft in its own, a lifecycle the
    // target does not allow in the target.
    for (from, to, lifecycle, rule_of, reason) in [
        ("dev", "staging", "draft", "dev", ""),
        ("staging", "prod", "pending", "prod", " --reason r"),
    ] {
        let repo = fixture();
        repo.write(
            &flow_path(from),
            flow("1.1.0", true, 50, 50)
                .replace("lifecycle: approved", &format!("lifecycle: {lifecycle}")),
        );
        repo.write(
            &banner_path(from),
            banner("1.0.1", "A banner on the front page", "approved", false),
        );
        let old_head = repo.commit("changes");
        repo.run_line(&format!(
            "promote {from} {to} experiment_flow --yes{reason}"
        ))
        .refused(&["experiment_flow", lifecycle, rule_of]);

        let out = repo.run_line(&format!("promote {from} {to} --all --yes{reason}"));
        out.expect(0);
        assert!(
            out.stderr.contains("skipped experiment_flow") && out.stderr.contains(lifecycle),
            "{}",
            out.show()
        );
        repo.assert_one_commit_on(&old_head, &out);
        assert_eq!(
            repo.git(&["show", "--name-only", "--format=", "HEAD"])
                .trim(),
            banner_path(to)
        );
        assert_eq!(
            repo.text(&flow_path(to)),
            flow("1.0.0", true, 50, 50),
            "the {lifecycle} flag is left alone"
        );
    }
}

#[test]
fn promoting_against_the_chain_needs_allow_backport_and_says_so() {
    let repo = fixture();
    // A hotfix made in prod.
    repo.write(
        &banner_path("prod"),
        banner(
            "1.0.1",
            "A banner on the home page (hotfix)",
            "approved",
            false,
        ),
    );
    let old_head = repo.commit("prod hotfix");
    repo.run_line("promote prod staging feature_banner --yes")
        .refused(&["--allow-backport"]);

    let out = repo.run_line("promote prod staging feature_banner --allow-backport --yes");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.text(&banner_path("staging")),
        banner(
            "1.0.1",
            "A banner on the home page (hotfix)",
            "approved",
            false
        )
    );
    let trailers = repo.trailers("HEAD");
    assert!(
        trailers.contains(&"Flagctl-Backport: true".to_owned()),
        "{trailers:?}"
    );
    assert!(
        trailers.contains(&format!("Flagctl-Promoted-From: prod@{old_head}")),
        "{trailers:?}"
    );
}

#[test]
fn without_a_terminal_and_without_yes_the_asking_commands_show_the_plan_and_exit_2() {
    let repo = fixture();
    repo.write(&flow_path("staging"), flow("1.1.0", true, 50, 50));
    repo.write(
        &banner_path("dev"),
        banner("1.0.0", "A banner on the home page", "deprecated", false),
    );
    repo.write(
        &banner_path("staging"),
        banner("1.0.0", "A banner on the home page", "deprecated", false),
    );
    repo.write(
        &banner_path("prod"),
        banner("1.0.0", "A banner on the home page", "deprecated", false),
    );
    repo.commit("changes");
    let before = repo.state();

    // Not a refusal to run: the plan is the answer, on stdout; the error says what is missing.
    for (line, plan) in [
        (
            "promote staging prod experiment_flow --reason r",
            "+version: 1.1.0",
        ),
        (
            "rollback experiment_flow --env staging --to HEAD~1",
            "-version: 1.1.0",
        ),
        ("retire feature_banner --reason r", "feature_banner"),
    ] {
        let out = repo.run_line(line);
        out.expect(2);
        assert!(
            out.stderr.starts_with("error: ") && out.stderr.contains("--yes"),
            "{}",
            out.show()
        );
        assert!(
            out.stdout.contains(plan),
            "{line}: shows the plan\n{}",
            out.show()
        );
        repo.assert_unchanged(&before, &out);
    }

    // `set` does not ask: it applies without --yes.
    let out = repo.run_line("set experiment_flow --env dev enabled=false");
    out.expect(0);
}

#[test]
fn a_saved_plan_applies_later_with_the_promotion_commit() {
    let repo = fixture();
    repo.write(&flow_path("staging"), staging_1_1());
    let old_head = repo.commit("staging 1.1.0");
    let plan = repo.home().join("plan.json");
    let plan_arg = plan.to_str().expect("UTF-8 path");
    let before = repo.state();
    let out = repo.run(&[
        "promote",
        "staging",
        "prod",
        "experiment_flow",
        "--plan",
        plan_arg,
        "--reason",
        "r",
    ]);
    out.expect(0);
    assert!(plan.exists(), "{}", out.show());
    repo.assert_unchanged(&before, &out);

    // Without --yes (and no terminal) it shows the plan and applies nothing.
    let out = repo.run(&["apply", plan_arg, "--reason", "r"]);
    out.expect(2);
    assert!(out.stderr.contains("--yes"), "{}", out.show());
    assert!(out.stdout.contains("+version: 1.1.0"), "{}", out.show());
    repo.assert_unchanged(&before, &out);

    let out = repo.run(&["apply", plan_arg, "--yes", "--reason", "planned"]);
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    let trailers = repo.trailers("HEAD");
    assert!(
        trailers.contains(&format!("Flagctl-Promoted-From: staging@{old_head}")),
        "{trailers:?}"
    );
    assert!(trailers.contains(&"Flagctl-Reason: planned".to_owned()));
    assert!(
        repo.text(&flow_path("prod")).contains("version: 1.1.0"),
        "{}",
        out.show()
    );

    // Applied once, the plan is stale.
    repo.run(&["apply", plan_arg, "--yes", "--reason", "twice"])
        .refused(&["plan"]);
}

#[test]
fn a_plan_is_refused_once_head_or_a_file_moved() {
    let repo = fixture();
    repo.write(&flow_path("staging"), staging_1_1());
    repo.commit("staging 1.1.0");
    let plan = repo.save_plan(&["staging", "prod", "--all"]).to_string();

    // A file the plan read changed (uncommitted).
    let changed = Repo::copy_of(&repo);
    let mut text = changed.text(&flow_path("staging"));
    text.push_str("# edited after the plan\n");
    changed.write(&flow_path("staging"), text);
    changed.apply(&plan).refused(&["experiment_flow"]);

    // The target changed.
    let changed = Repo::copy_of(&repo);
    let mut text = changed.text(&flow_path("prod"));
    text.push_str("# edited after the plan\n");
    changed.write(&flow_path("prod"), text);
    changed.apply(&plan).refused(&["experiment_flow"]);

    // HEAD moved (an unrelated commit).
    repo.write("README.md", "unrelated\n");
    repo.commit("unrelated");
    repo.apply(&plan).refused(&["HEAD"]);
}

// ---------------------------------------------------------------------------------------------
// 6. rollback.
// ---------------------------------------------------------------------------------------------

#[test]
fn rollback_restores_the_file_byte_for_byte_as_a_new_commit() {
    let repo = fixture();
    let path = flow_path("staging");
    let a = repo.head();
    repo.run_line("set experiment_flow --env staging rollout.a=30 rollout.b=70")
        .expect(0);
    let b = repo.head();
    repo.write(&path, staging_1_1());
    let c = repo.commit("1.1.0");
    let at = |rev: &str| repo.git(&["show", &format!("{rev}:{path}")]).into_bytes();

    // --to REV.
    let out = repo.run_line(&format!(
        "rollback experiment_flow --env staging --to {a} --yes"
    ));
    out.expect(0);
    repo.assert_one_commit_on(&c, &out);
    assert_eq!(repo.read(&path), at(&a));
    assert!(
        repo.trailers("HEAD")
            .iter()
            .any(|t| t.starts_with("Flagctl-Command: rollback experiment_flow")),
        "{:?}",
        repo.trailers("HEAD")
    );
    for old in [&a, &b, &c] {
        assert!(
            repo.git_ok(&["merge-base", "--is-ancestor", old, "HEAD"]),
            "history is not rewritten: {old} is still an ancestor of HEAD"
        );
    }
}

#[test]
fn rollback_to_a_version_takes_the_newest_commit_holding_it() {
    let repo = fixture();
    let path = flow_path("staging");
    repo.run_line("set experiment_flow --env staging rollout.a=30 rollout.b=70")
        .expect(0);
    let b = repo.head();
    repo.write(&path, staging_1_1());
    let c = repo.commit("1.1.0");
    let out = repo.run_line("rollback experiment_flow --env staging --to 1.0.0 --yes");
    out.expect(0);
    repo.assert_one_commit_on(&c, &out);
    assert_eq!(
        repo.read(&path),
        repo.git(&["show", &format!("{b}:{path}")]).into_bytes()
    );
}

// ---------------------------------------------------------------------------------------------
// 7. retire.
// ---------------------------------------------------------------------------------------------

fn deprecated_everywhere(repo: &Repo) {
    for env in ["dev", "staging", "prod"] {
        repo.write(
            &banner_path(env),
            banner("1.0.1", "A banner on the home page", "deprecated", false),
        );
    }
}

#[test]
fn retire_deletes_a_deprecated_flag_from_every_environment_in_one_commit() {
    let repo = fixture();
    deprecated_everywhere(&repo);
    let old_head = repo.commit("deprecate the banner");
    let out = repo.run_line("retire feature_banner --yes --reason done");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    let lines = banner("1.0.1", "A banner on the home page", "deprecated", false)
        .lines()
        .count();
    let mut stat = repo.numstat("HEAD");
    stat.sort();
    let mut expected: Vec<String> = ["dev", "prod", "staging"]
        .iter()
        .map(|env| format!("0\t{lines}\t{}", banner_path(env)))
        .collect();
    expected.sort();
    assert_eq!(stat, expected);
    for env in ["dev", "staging", "prod"] {
        assert!(!repo.join(&banner_path(env)).exists());
    }
    assert!(
        repo.trailers("HEAD")
            .contains(&"Flagctl-Reason: done".to_owned()),
        "{:?}",
        repo.trailers("HEAD")
    );
}

#[test]
fn retire_refuses_while_any_copy_is_not_deprecated() {
    let repo = fixture();
    deprecated_everywhere(&repo);
    repo.write(
        &banner_path("prod"),
        banner("1.0.1", "A banner on the home page", "approved", false),
    );
    repo.commit("deprecated but in prod");
    repo.run_line("retire feature_banner --yes --reason r")
        .refused(&["prod", "deprecated"]);
}

// ---------------------------------------------------------------------------------------------
// 8. new.
// ---------------------------------------------------------------------------------------------

#[test]
fn new_creates_a_flag_from_a_template_that_validates() {
    let repo = fixture();
    let old_head = repo.head();
    let out = repo.run_line("new feature_fresh --template release");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    let path = "flags/dev/feature_fresh.yaml";
    // The template with its name filled in, first after the header comments.
    let template = repo.text("templates/release.yaml");
    let body = template
        .find("\nversion:")
        .expect("the template's first key")
        + 1;
    assert_eq!(
        repo.text(path),
        format!(
            "{}name: feature_fresh\n{}",
            &template[..body],
            &template[body..]
        )
    );
    assert_eq!(
        repo.git(&["show", "--name-status", "--format=", "HEAD"])
            .trim(),
        format!("A\t{path}")
    );
    repo.run_line("validate").expect(0);

    // --group places it in a folder; --env in another environment.
    let out = repo.run_line("new feature_grouped --template release --group home");
    out.expect(0);
    assert_eq!(
        repo.git(&["show", "--name-status", "--format=", "HEAD"])
            .trim(),
        "A\tflags/dev/home/feature_grouped.yaml"
    );

    let refusals: Vec<String> = [
        "new feature_fresh --template release",
        "new Feature-Fresh --template release",
        "new feature_other --template relase",
        "new feature_other --template release --env qa",
        "new feature_other --template .hidden",
    ]
    .iter()
    .map(|line| {
        let run = repo.run_line(line);
        run.refused(&[]);
        format!("$ flagctl {line}\n{}", run.stderr)
    })
    .collect();
    insta::assert_snapshot!("new_refusals", refusals.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// 9. Interruption: as before or as after, never between.
// ---------------------------------------------------------------------------------------------

const PENDING: &[&str] = &[
    "feature_alpha",
    "feature_bravo",
    "feature_charlie",
    "feature_delta",
    "feature_echo",
    "feature_foxtrot",
    "feature_golf",
    "feature_hotel",
];

/// Eight flags at 1.1.0 in staging and 1.0.0 in prod, all pending promotion.
fn pending_repo() -> Repo {
    let repo = Repo::with_git();
    repo.write("flagctl.yaml", CONFIG);
    for (i, name) in PENDING.iter().enumerate() {
        let group = if i % 2 == 0 { "even" } else { "odd" };
        for env in ["dev", "staging", "prod"] {
            let (version, description) = if env == "prod" {
                ("1.0.0", format!("{name} as released"))
            } else {
                ("1.1.0", format!("{name}, reworded"))
            };
            repo.write(
                &format!("flags/{env}/{group}/{name}.yaml"),
                boolean(name, version, &description, "approved", i % 3 == 0),
            );
        }
    }
    repo.commit("eight flags pending promotion");
    repo
}

#[test]
fn promote_all_of_many_flags_is_one_commit() {
    let repo = pending_repo();
    let old_head = repo.head();
    let out = repo.run_line("promote staging prod --all --yes --reason r");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    let stat = repo.numstat("HEAD");
    assert_eq!(stat.len(), PENDING.len(), "{stat:?}");
    assert!(
        stat.iter().all(|l| l.starts_with("2\t2\tflags/prod/")),
        "{stat:?}"
    );
    assert_eq!(
        repo.git(&["rev-list", "--count", &format!("{old_head}..HEAD")])
            .trim(),
        "1"
    );
}

#[test]
fn an_interrupted_promotion_leaves_the_repository_as_before_or_as_after() {
    let base = pending_repo();
    let old_head = base.head();
    let original = base.files();
    let args = [
        "promote", "staging", "prod", "--all", "--yes", "--reason", "r",
    ];

    // The outcome of an uninterrupted run.
    let reference = Repo::copy_of(&base);
    reference.run(&args).expect(0);
    let after_tree = reference.rev("HEAD^{tree}");
    let after_files = reference.files();
    assert_ne!(after_files, original);

    let mut outcomes = Vec::new();
    for n in 1..=20u32 {
        let repo = Repo::copy_of(&base);
        let run = repo
            .cmd(&args)
            .env("FLAGCTL_CRASH_AFTER", n.to_string())
            .run();
        let crashed = run.code.is_none();
        if !crashed {
            run.expect(0);
        }
        // Any flagctl command recovers.
        let status = repo.run_line("status");
        assert_eq!(status.code, Some(0), "N={n}\n{}", status.show());
        if crashed {
            assert!(
                status.stderr.contains("interrupted flagctl operation"),
                "N={n}: the recovery is reported\n{}",
                status.show()
            );
        }
        let again = repo.run_line("status");
        assert!(
            !again.stderr.contains("interrupted"),
            "N={n}: recovered once and for all\n{}",
            again.show()
        );

        let files = repo.files();
        let leftovers: Vec<&String> = files
            .keys()
            .filter(|p| p.contains(".flagctl-tmp"))
            .collect();
        assert!(leftovers.is_empty(), "N={n}: leftovers {leftovers:?}");
        let porcelain = repo.porcelain();
        let head = repo.head();
        let before = head == old_head && porcelain.is_empty() && files == original;
        let after = head != old_head
            && repo.rev("HEAD~1") == old_head
            && repo.rev("HEAD^{tree}") == after_tree
            && porcelain.is_empty()
            && files == after_files;
        assert!(
            before || after,
            "N={n} (crashed: {crashed}): the repository is between before and after\nHEAD {head} (was {old_head})\ngit status:\n{porcelain}\nfiles changed: {:?}\n{}\n{}",
            files
                .keys()
                .filter(|k| original.get(*k) != files.get(*k))
                .collect::<Vec<_>>(),
            run.show(),
            status.show()
        );
        outcomes.push((n, crashed, after));
    }
    let summary = format!("(N, crashed, completed): {outcomes:?}");
    assert!(
        outcomes
            .iter()
            .any(|&(_, crashed, after)| crashed && !after),
        "some early crash rolls back: {summary}"
    );
    assert!(
        outcomes.iter().any(|&(_, crashed, after)| crashed && after),
        "a crash after the commit keeps it: {summary}"
    );
    assert!(
        outcomes.iter().any(|&(_, crashed, _)| !crashed),
        "a large N just completes: {summary}"
    );
    // Once an interrupted run has committed, every later step has too.
    let first_after = outcomes.iter().position(|&(_, _, after)| after);
    if let Some(first) = first_after {
        assert!(
            outcomes[first..].iter().all(|&(_, _, after)| after),
            "completion is monotonic in N: {summary}"
        );
    }
}

/// `kill -9` of flagctl while `git commit` runs (from a pre-commit hook that kills git's parent),
/// after which git either goes on to make the commit (`hook_exit` 0) or refuses it (1).
#[cfg(target_os = "linux")]
fn killed_during_the_commit(hook_exit: u8) -> (Repo, String, BTreeMap<String, Vec<u8>>) {
    let repo = pending_repo();
    repo.write(
        ".githooks/pre-commit",
        format!(
            "#!/bin/sh\nkill -9 \"$(cut -d' ' -f4 /proc/$PPID/stat)\"\nsleep 0.2\nexit {hook_exit}\n"
        ),
    );
    make_executable(&repo.join(".githooks/pre-commit"));
    let old_head = repo.commit("hook");
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let original = repo.files();
    let run = repo.run_line("promote staging prod --all --yes --reason r");
    assert_eq!(run.code, None, "flagctl was killed\n{}", run.show());
    // git outlives its killed parent: let it finish before looking.
    for _ in 0..100 {
        if !repo.join(".git/index.lock").exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = repo.run_line("status");
    assert_eq!(status.code, Some(0), "{}", status.show());
    assert!(
        repo.files().keys().all(|p| !p.contains(".flagctl-tmp")),
        "no leftovers"
    );
    assert_eq!(repo.porcelain(), "", "{}", status.show());
    (repo, old_head, original)
}

#[cfg(target_os = "linux")]
#[test]
fn kill_9_during_the_commit_ends_as_after_when_git_completes_it() {
    let (repo, old_head, original) = killed_during_the_commit(0);
    assert_eq!(repo.rev("HEAD~1"), old_head, "the commit git made is kept");
    assert_eq!(repo.numstat("HEAD").len(), PENDING.len());
    assert_ne!(repo.files(), original);
}

#[cfg(target_os = "linux")]
#[test]
fn kill_9_during_the_commit_ends_as_before_when_git_refuses_it() {
    let (repo, old_head, original) = killed_during_the_commit(1);
    assert_eq!(repo.head(), old_head);
    assert_eq!(repo.files(), original);
}
