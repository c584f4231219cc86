//! The commands that read history (SPEC §7): `log`, `show --at`, `check --base`, `audit`,
//! `events` (with `--post` webhook delivery) and `codeowners`. Each test builds a small history
//! in a temporary git repository — with flagctl's own writing commands and hand edits with
//! trailers — and compares what flagctl reads from it with what git says.
//!
//! Repositories are built with [`crate::support::Repo`]: a fixed identity and clock (every commit
//! dated one hour after the previous one from 2026-01-01T00:00:00Z unless a test sets the date),
//! `FLAGCTL_NOW` after every commit.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::support::webhook::{Answer, Hook, assert_signed, events, key, post};
use crate::support::{NAME, Repo, Run, findings, one, snapshots};

const CONFIG: &str = "\
# The promotion chain of the history tests.
environments:
  - name: dev
  - name: staging
    allowed_lifecycle: [pending, approved, deprecated]
  - name: prod
    allowed_lifecycle: [approved, deprecated]
    require_reason: true
    approvals: 1
    approvers: [\"@acme/release-managers\", \"@acme/sre\"]
naming: '^[a-z][a-z0-9]*(_[a-z0-9]+)*$'
";

const FLOW: &str = "\
# The checkout experiment: the classic flow against the one-page flow.
name: experiment_flow
version: 1.0.0
description: Checkout flow A/B test
owner: team-checkout
kind: experiment
lifecycle: approved
type: string
variants:
  a: classic
  b: onepage
default: a

# state
enabled: true
rollout: { a: 50, b: 50 }
";

const BANNER: &str = "\
name: feature_banner
version: 1.0.0
description: A banner on the home page
owner: \"@acme/web\"
kind: release
lifecycle: approved
type: boolean

enabled: false
";

/// The trailers of the fixture's first commit: it meets prod's policy.
const INIT_TRAILERS: &[&str] = &[
    "Flagctl-Reason: initial import",
    "Approved-by: Rita Reviewer <rita@example.com>",
];

fn flow_path(env: &str) -> String {
    format!("flags/{env}/checkout/experiment_flow.yaml")
}

fn banner_path(env: &str) -> String {
    format!("flags/{env}/feature_banner.yaml")
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `experiment_flow` and `feature_banner` at 1.0.0, alike in dev, staging and prod, committed
/// as `init` with a reason and an approval.
fn fixture() -> Repo {
    init(Repo::with_git())
}

/// `repo` with the configuration and both flags in every environment, committed as `init` at
/// the time its clock gives.
fn init(repo: Repo) -> Repo {
    repo.write("flagctl.yaml", CONFIG);
    for env in ["dev", "staging", "prod"] {
        repo.write(&flow_path(env), FLOW);
        repo.write(&banner_path(env), BANNER);
    }
    repo.commit_with("init", INIT_TRAILERS);
    repo
}

/// The codes of the findings of a `--format json` run.
#[track_caller]
fn codes_of(out: &Run) -> Vec<String> {
    crate::support::codes(&out.report())
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn short(sha: &str) -> &str {
    &sha[..12]
}

/// The line of `text` holding `needle` (exactly one).
#[track_caller]
fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(needle)).collect();
    assert_eq!(lines.len(), 1, "one line with {needle:?} in:\n{text}");
    lines[0]
}

/// Where `needle` first appears in `text`.
#[track_caller]
fn offset(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not in:\n{text}"))
}

// ---------------------------------------------------------------------------------------------
// log
// ---------------------------------------------------------------------------------------------

/// `toggle ARGS --reason REASON --yes`, which must succeed.
#[track_caller]
fn toggle_yes(repo: &Repo, args: &str, reason: &str) {
    let mut all = vec!["toggle"];
    all.extend(args.split_whitespace());
    all.extend(["--reason", reason, "--yes"]);
    repo.run(&all).expect(0);
}

/// Toggle dev off, add a variant with a minor bump by hand, change another flag, toggle staging.
/// Returns the commits, oldest first.
fn flow_history(repo: &Repo) -> [String; 5] {
    let init = repo.head();
    toggle_yes(repo, "experiment_flow --env dev off", "pause the test");
    let toggle = repo.head();
    repo.edit(
        &flow_path("dev"),
        "  b: onepage\n",
        "  b: onepage\n  c: hybrid\n",
    );
    repo.edit(&flow_path("dev"), "version: 1.0.0", "version: 1.1.0");
    let variant = repo.commit_with(
        "add the hybrid variant",
        &["Flagctl-Reason: hybrid checkout"],
    );
    repo.edit(&banner_path("dev"), "enabled: false", "enabled: true");
    let other = repo.commit_with("banner on in dev", &[]);
    toggle_yes(repo, "experiment_flow --env staging off", "staging pause");
    [init, toggle, variant, other, repo.head()]
}

#[test]
fn log_lists_every_change_to_the_flag_newest_first_with_transitions_and_reasons() {
    let repo = fixture();
    let [init, toggle, variant, other, staging] = flow_history(&repo);
    let out = repo.run(&["log", "experiment_flow"]);
    out.expect(0);
    // Newest first, one row per environment a commit changed; the commit that changed only
    // another flag is not listed.
    let rows: Vec<&str> = [&staging, &variant, &toggle, &init, &init, &init]
        .iter()
        .map(|c| short(c))
        .collect();
    let listed: Vec<&str> = out
        .lines()
        .iter()
        .filter_map(|l| rows.iter().find(|r| l.contains(**r)).copied())
        .collect();
    assert_eq!(listed, rows, "{}", out.show());
    assert!(!out.stdout.contains(short(&other)), "{}", out.show());
    assert!(
        line_with(&out.stdout, short(&variant)).contains(&repo.date_of(&variant, "%Y-%m-%d %H:%M")),
        "the commit's date
{}",
        out.show()
    );
    snapshots().bind(|| insta::assert_snapshot!("log_human", out.stdout));
}

#[test]
fn log_env_keeps_one_environment() {
    let repo = fixture();
    let [init, toggle, variant, _, staging] = flow_history(&repo);
    let out = repo.run_line("log experiment_flow --env dev");
    out.expect(0);
    let text = &out.stdout;
    assert!(!text.contains(short(&staging)), "{text}");
    assert!(text.contains(short(&variant)) && text.contains(short(&toggle)));
    assert!(line_with(text, short(&init)).contains("dev"));
    assert!(
        !text.contains("prod") && !text.contains("staging"),
        "{text}"
    );

    let out = repo.run_line("log experiment_flow --env staging");
    out.expect(0);
    assert!(out.stdout.contains(short(&staging)));
    assert!(!out.stdout.contains(short(&variant)));
}

#[test]
fn log_json_has_a_log_array_newest_first() {
    let repo = fixture();
    let [init, toggle, variant, _, staging] = flow_history(&repo);
    let out = repo.run_line("log experiment_flow --format json");
    out.expect(0);
    let doc = out.json();
    let commits: Vec<&str> = doc["log"]
        .as_array()
        .expect("a log array")
        .iter()
        .map(|r| r["commit"].as_str().expect("commit"))
        .collect();
    assert_eq!(
        commits,
        [&staging, &variant, &toggle, &init, &init, &init].map(String::as_str)
    );
    assert_eq!(
        doc["log"][1]["time"],
        repo.date_of(&variant, "%Y-%m-%dT%H:%M:%SZ").as_str()
    );
    snapshots().bind(|| insta::assert_json_snapshot!("log_json", doc));
}

#[test]
fn log_follows_a_move_into_a_group_folder() {
    let repo = fixture();
    let init = repo.head();
    repo.run_line("toggle feature_banner --env dev on --reason early --yes")
        .expect(0);
    let before_move = repo.head();
    std::fs::create_dir_all(repo.join("flags/dev/home")).expect("group folder");
    repo.git(&[
        "mv",
        &banner_path("dev"),
        "flags/dev/home/feature_banner.yaml",
    ]);
    let moved = repo.commit_with("group the banner", &[]);
    repo.run_line("toggle feature_banner --env dev off --reason late --yes")
        .expect(0);
    let after_move = repo.head();

    let out = repo.run_line("log feature_banner --env dev");
    out.expect(0);
    let text = &out.stdout;
    let rows = [&after_move, &moved, &before_move, &init].map(|c| offset(text, short(c)));
    assert!(rows.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(line_with(text, short(&before_move)).contains("off → on"));
    assert!(line_with(text, short(&after_move)).contains("on → off"));
    assert!(line_with(text, short(&init)).contains("created"));

    let doc = repo
        .run_line("log feature_banner --env dev --format json")
        .expect(0)
        .json();
    let rows = doc["log"].as_array().expect("log");
    assert_eq!(rows.len(), 4, "{doc:#}");
    assert_eq!(rows[1]["change"]["kind"], "renamed");
    assert_eq!(rows[1]["change"]["old_path"], banner_path("dev").as_str());
    assert_eq!(
        rows[1]["change"]["path"],
        "flags/dev/home/feature_banner.yaml"
    );
    assert_eq!(rows[3]["change"]["path"], banner_path("dev").as_str());
}

#[test]
fn log_shows_what_changed_in_a_commit_that_also_moved_the_file() {
    let repo = fixture();
    std::fs::create_dir_all(repo.join("flags/dev/home")).expect("group folder");
    let moved = "flags/dev/home/feature_banner.yaml";
    repo.git(&["mv", &banner_path("dev"), moved]);
    repo.edit(moved, "enabled: false", "enabled: true");
    repo.edit(moved, "version: 1.0.0", "version: 1.0.1");
    let commit = repo.commit_with("group the banner and turn it on", &["Flagctl-Reason: both"]);
    let out = repo.run_line("log feature_banner --env dev");
    out.expect(0);
    let row = line_with(&out.stdout, short(&commit));
    assert!(row.contains("moved from"), "{row}");
    assert!(row.contains("1.0.0 → 1.0.1"), "{row}");
    assert!(
        row.contains("off → on"),
        "the enabled transition of a commit that also moved the file: {row}"
    );
}

#[test]
fn log_of_a_retired_flag_lists_its_whole_history() {
    let repo = fixture();
    let init = repo.head();
    for env in ["dev", "staging", "prod"] {
        repo.edit(
            &banner_path(env),
            "lifecycle: approved",
            "lifecycle: deprecated",
        );
        repo.edit(&banner_path(env), "version: 1.0.0", "version: 1.0.1");
    }
    let deprecate = repo.commit_with(
        "deprecate the banner",
        &[
            "Flagctl-Reason: replaced",
            "Approved-by: Rita Reviewer <rita@example.com>",
        ],
    );
    repo.run_line("retire feature_banner --reason gone --yes")
        .expect(0);
    let retire = repo.head();
    assert!(!repo.join(&banner_path("dev")).exists());

    let out = repo.run(&["log", "feature_banner"]);
    out.expect(0);
    let text = &out.stdout;
    let retired: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(short(&retire)))
        .collect();
    assert_eq!(retired.len(), 3, "one row per environment:\n{text}");
    assert!(retired.iter().all(|l| l.contains("gone")), "{text}");
    assert_eq!(
        text.lines()
            .filter(|l| l.contains(short(&deprecate)) && l.contains("1.0.0 → 1.0.1"))
            .count(),
        3,
        "{text}"
    );
    assert_eq!(text.lines().filter(|l| l.contains(short(&init))).count(), 3);
    assert!(offset(text, short(&retire)) < offset(text, short(&deprecate)));

    let out = repo.run_line("log feature_banner --env prod --format json");
    out.expect(0);
    let rows = out.json()["log"].as_array().expect("log").clone();
    let kinds: Vec<&str> = rows
        .iter()
        .map(|r| r["change"]["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["deleted", "updated", "created"]);
}

#[test]
fn log_of_a_flag_deleted_from_one_environment_keeps_that_environments_history() {
    let repo = fixture();
    let init = repo.head();
    repo.git(&["rm", "-q", &banner_path("prod")]);
    let dropped = repo.commit_with(
        "drop the banner from prod",
        &[
            "Flagctl-Reason: not yet",
            "Approved-by: Rita <rita@example.com>",
        ],
    );
    let out = repo.run(&["log", "feature_banner"]);
    out.expect(0);
    let text = &out.stdout;
    assert!(
        text.contains(short(&dropped)),
        "the deletion from prod is part of the flag's history:\n{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.contains(short(&init))).count(),
        3,
        "created in dev, prod and staging:\n{text}"
    );
}

#[test]
fn log_of_an_unknown_flag_or_environment_exits_2() {
    let repo = fixture();
    repo.run(&["log", "feature_nothing"])
        .refused(&["feature_nothing"]);
    repo.run_line("log feature_banner --env qa")
        .refused(&["qa"]);
}

// ---------------------------------------------------------------------------------------------
// show --at
// ---------------------------------------------------------------------------------------------

/// The file bytes a `show` printed: its stdout, minus one leading `# … as of commit …` comment
/// line if there is one (`show_prints_exactly_the_bytes_git_has` holds it to the bytes).
fn shown(out: &Run) -> &str {
    match out.stdout.split_once('\n') {
        Some((first, rest)) if first.starts_with('#') && first.contains("as of commit") => rest,
        _ => &out.stdout,
    }
}

/// Three states of `feature_banner` in dev, each committed at noon UTC: January 10 (the
/// `dated_fixture` commit, 1.0.0), February 10 (1.0.1, a new description), March 10 (enabled).
/// Returns the three commits.
fn dated_history(repo: &Repo) -> [String; 3] {
    let jan = repo.head();
    repo.at("2026-02-10T12:00:00Z");
    repo.edit(
        &banner_path("dev"),
        "description: A banner on the home page",
        "description: The February banner",
    );
    repo.edit(&banner_path("dev"), "version: 1.0.0", "version: 1.0.1");
    let feb = repo.commit_with("February copy", &["Flagctl-Reason: copy"]);
    repo.at("2026-03-10T12:00:00Z");
    repo.edit(&banner_path("dev"), "enabled: false", "enabled: true");
    let mar = repo.commit_with("March launch", &["Flagctl-Reason: launch"]);
    [jan, feb, mar]
}

fn dated_fixture() -> Repo {
    let repo = Repo::with_git();
    repo.at("2026-01-10T12:00:00Z");
    init(repo)
}

fn at_commit(repo: &Repo, rev: &str, path: &str) -> String {
    String::from_utf8(repo.git_bytes(&["show", &format!("{rev}:{path}")])).expect("UTF-8")
}

#[test]
fn show_prints_exactly_the_bytes_git_has() {
    let repo = fixture();
    // CRLF line endings and no final newline: the bytes must come back as they are.
    let crlf = BANNER.replace('\n', "\r\n");
    repo.write(&banner_path("dev"), crlf.trim_end());
    let crlf_commit = repo.commit_with("CRLF banner", &[]);
    repo.edit(&banner_path("dev"), "enabled: false", "enabled: true");
    repo.commit_with("banner on", &[]);
    let out = repo.run(&[
        "show",
        "feature_banner",
        "--env",
        "dev",
        "--at",
        &crlf_commit,
    ]);
    out.expect(0);
    assert_eq!(
        out.stdout,
        at_commit(&repo, &crlf_commit, &banner_path("dev")),
        "show prints the file byte for byte, as `git show REV:PATH` does (a header belongs on stderr)\n{}",
        out.show()
    );
}

#[test]
fn show_at_a_version_is_the_newest_commit_holding_it() {
    let repo = fixture();
    let path = banner_path("dev");
    repo.run_line("toggle feature_banner --env dev on --reason r --yes")
        .expect(0);
    let last_100 = repo.head();
    repo.edit(
        &path,
        "description: A banner on the home page",
        "description: New copy",
    );
    repo.edit(&path, "version: 1.0.0", "version: 1.0.1");
    let v101 = repo.commit_with("copy", &[]);
    repo.edit(&path, "enabled: true", "enabled: false");
    repo.commit_with("off again", &[]);

    let out = repo.run_line("show feature_banner --env dev --at 1.0.0");
    out.expect(0);
    assert_eq!(shown(&out), at_commit(&repo, &last_100, &path));
    assert!(shown(&out).contains("enabled: true"));
    let out = repo.run_line("show feature_banner --env dev --at 1.0.1");
    out.expect(0);
    // 1.0.1 is held by two commits: the newest one (enabled: false).
    assert_eq!(shown(&out), repo.text(&path));
    assert_ne!(shown(&out), at_commit(&repo, &v101, &path));
    repo.run_line("show feature_banner --env dev --at 9.9.9")
        .refused(&["9.9.9"]);
}

#[test]
fn show_at_a_date_is_the_end_of_that_day_utc() {
    let repo = dated_fixture();
    let [jan, feb, mar] = dated_history(&repo);
    let path = banner_path("dev");
    for (at, commit) in [
        ("2026-01-10", &jan),
        ("2026-02-09", &jan),
        ("2026-02-10", &feb),
        ("2026-03-09", &feb),
        ("2026-03-10", &mar),
        ("2026-12-01", &mar),
        ("2026-02-10T11:59:59Z", &jan),
        ("2026-02-10T12:00:00Z", &feb),
    ] {
        let out = repo.run(&["show", "feature_banner", "--env", "dev", "--at", at]);
        out.expect(0);
        assert_eq!(
            shown(&out),
            at_commit(&repo, commit, &path),
            "--at {at}\n{}",
            out.show()
        );
    }
    repo.run_line("show feature_banner --env dev --at 2026-01-09")
        .refused(&["feature_banner"]);
}

#[test]
fn show_at_a_rev_prints_the_file_as_that_commit_had_it() {
    let repo = fixture();
    let path = banner_path("dev");
    let init = repo.head();
    repo.run_line("toggle feature_banner --env dev on --reason r --yes")
        .expect(0);
    let on = repo.head();
    std::fs::create_dir_all(repo.join("flags/dev/home")).expect("group folder");
    repo.git(&["mv", &path, "flags/dev/home/feature_banner.yaml"]);
    let moved = repo.commit_with("group the banner", &[]);
    repo.run_line("toggle feature_banner --env dev off --reason r --yes")
        .expect(0);

    for (rev, commit, file) in [
        (init.as_str(), &init, path.as_str()),
        (short(&on), &on, path.as_str()),
        ("HEAD~1", &moved, "flags/dev/home/feature_banner.yaml"),
        ("HEAD~2", &on, path.as_str()),
        ("HEAD~3", &init, path.as_str()),
        ("HEAD", &repo.head(), "flags/dev/home/feature_banner.yaml"),
    ] {
        let out = repo.run(&["show", "feature_banner", "--env", "dev", "--at", rev]);
        out.expect(0);
        assert_eq!(shown(&out), at_commit(&repo, commit, file), "--at {rev}");
    }
    repo.run_line("show feature_banner --env dev --at no-such-rev")
        .refused(&["no-such-rev"]);
    repo.run_line("show feature_banner --env dev --at 0123456789abcdef0123456789abcdef01234567")
        .refused(&[]);
}

#[test]
fn show_at_a_rev_that_did_not_touch_the_flag_takes_the_last_change_before_it() {
    // Scripted commits often share a second: the answer must follow the history, not clocks.
    let repo = fixture();
    repo.at("2026-05-01T09:00:00Z");
    let path = banner_path("dev");
    repo.edit(
        &path,
        "description: A banner on the home page",
        "description: one",
    );
    let one = repo.commit_with("banner copy one", &[]);
    repo.edit(&flow_path("dev"), "enabled: true", "enabled: false");
    let unrelated = repo.commit_with("flow off", &[]);
    repo.edit(&path, "description: one", "description: two");
    repo.commit_with("banner copy two", &[]);

    let out = repo.run(&["show", "feature_banner", "--env", "dev", "--at", &unrelated]);
    out.expect(0);
    assert_eq!(
        shown(&out),
        at_commit(&repo, &one, &path),
        "at {unrelated} the banner was as {one} left it\n{}",
        out.show()
    );
}

#[test]
fn show_of_a_flag_before_it_existed_or_after_deletion_exits_2() {
    let repo = fixture();
    let before = repo.head();
    repo.write(
        "flags/dev/feature_late.yaml",
        BANNER.replace("feature_banner", "feature_late"),
    );
    repo.commit_with("a late flag", &[]);
    repo.run(&["show", "feature_late", "--env", "dev", "--at", &before])
        .refused(&["feature_late"]);
    repo.run_line("show feature_late --env dev --at 2025-12-31")
        .refused(&["feature_late"]);
    repo.run_line("show feature_late --env prod --at HEAD")
        .refused(&["feature_late"]);
}

// ---------------------------------------------------------------------------------------------
// check --base
// ---------------------------------------------------------------------------------------------

/// `check --base BASE --format json`, which must exit `code`; returns the finding codes.
#[track_caller]
fn check(repo: &Repo, base: &str, code: i32) -> Vec<String> {
    let out = repo.run(&["check", "--base", base, "--format", "json"]);
    out.expect(code);
    codes_of(&out)
}

#[test]
fn check_an_added_variant_needs_a_minor_bump() {
    let repo = fixture();
    let base = repo.head();
    let path = flow_path("dev");
    repo.edit(&path, "  b: onepage\n", "  b: onepage\n  c: hybrid\n");
    repo.commit_with("add a variant", &[]);
    // An error at dev's version, naming the variant and the minor bump it needs.
    let both = repo.human_and_json(&["check", "--base", &base], 1);
    snapshots().bind(|| insta::assert_snapshot!("check_minor", both));

    // A patch bump is not enough; the minor bump is.
    repo.edit(&path, "version: 1.0.0", "version: 1.0.1");
    repo.commit_with("patch", &[]);
    assert!(check(&repo, &base, 1).contains(&"check/bump-needed".to_owned()));
    repo.edit(&path, "version: 1.0.1", "version: 1.1.0");
    repo.commit_with("minor", &[]);
    assert_eq!(check(&repo, &base, 0), Vec::<String>::new());
}

#[test]
fn check_a_changed_default_needs_a_major_bump() {
    let repo = fixture();
    let base = repo.head();
    let path = flow_path("dev");
    repo.edit(&path, "default: a", "default: b");
    repo.edit(&path, "version: 1.0.0", "version: 1.1.0");
    repo.commit_with("default b, minor bump", &[]);
    let both = repo.human_and_json(&["check", "--base", &base], 1);
    snapshots().bind(|| insta::assert_snapshot!("check_major", both));

    repo.edit(&path, "version: 1.1.0", "version: 2.0.0");
    repo.commit_with("major", &[]);
    assert_eq!(check(&repo, &base, 0), Vec::<String>::new());
}

#[test]
fn check_judges_the_net_change_since_the_base_not_each_commit() {
    let repo = fixture();
    let base = repo.head();
    let path = flow_path("dev");
    // Commit by commit the first is under-bumped, but the net change carries its patch bump.
    repo.edit(&path, "Checkout flow A/B test", "Checkout flow experiment");
    repo.commit_with("copy", &[]);
    repo.edit(&path, "version: 1.0.0", "version: 1.0.1");
    repo.commit_with("patch bump", &[]);
    assert_eq!(check(&repo, &base, 0), Vec::<String>::new());

    // Commit by commit the second needs a major bump (it removes a variant), but net of the
    // first it only undoes it: the minor bump covers what is left.
    let base = repo.head();
    repo.edit(&path, "  b: onepage\n", "  b: onepage\n  c: hybrid\n");
    repo.edit(&path, "version: 1.0.1", "version: 1.1.0");
    repo.commit_with("variant c, minor", &[]);
    repo.edit(&path, "  c: hybrid\n", "");
    repo.commit_with("no variant c after all", &[]);
    assert_eq!(check(&repo, &base, 0), Vec::<String>::new());

    // A change spread over commits needs what the whole of it needs.
    repo.edit(&path, "  b: onepage\n", "  b: one-page\n");
    repo.commit_with("variant b's value, no bump", &[]);
    let out = repo.run(&["check", "--base", &base, "--format", "json"]);
    out.expect(1);
    assert_eq!(codes_of(&out), ["check/bump-needed"]);
    assert!(out.stdout.contains("major"), "{}", out.show());
}

#[test]
fn check_state_alone_needs_no_bump() {
    let repo = fixture();
    let base = repo.head();
    repo.edit(
        &flow_path("dev"),
        "rollout: { a: 50, b: 50 }",
        "rollout: { a: 10, b: 90 }",
    );
    repo.edit(&flow_path("dev"), "enabled: true", "enabled: false");
    repo.commit_with("state", &[]);
    assert_eq!(check(&repo, &base, 0), Vec::<String>::new());
}

#[test]
fn check_follows_a_moved_file_back_to_the_base() {
    let repo = fixture();
    let base = repo.head();
    std::fs::create_dir_all(repo.join("flags/dev/exp")).expect("group folder");
    let moved = "flags/dev/exp/experiment_flow.yaml";
    repo.git(&["mv", &flow_path("dev"), moved]);
    repo.commit_with("group the flow", &[]);
    repo.edit(moved, "  b: onepage\n", "  b: onepage\n  c: hybrid\n");
    repo.commit_with("add a variant", &[]);
    let out = repo.run(&["check", "--base", &base, "--format", "json"]);
    out.expect(1);
    let doc = out.json();
    let bump = one(&doc, "check/bump-needed");
    assert_eq!(bump["path"], moved);
    repo.edit(moved, "version: 1.0.0", "version: 1.1.0");
    repo.commit_with("minor", &[]);
    assert_eq!(check(&repo, &base, 0), Vec::<String>::new());
}

/// The fixture with the dev banner's description changed by `set`, which bumps it to 1.0.1.
fn bumped_banner() -> Repo {
    let repo = fixture();
    repo.run_line("set feature_banner --env dev description=Bigger --reason copy --yes")
        .expect(0);
    assert!(repo.text(&banner_path("dev")).contains("version: 1.0.1"));
    repo
}

#[test]
fn check_a_version_decrease_fails_but_a_rollback_to_history_passes() {
    let repo = bumped_banner();
    let base = repo.head();
    repo.edit(&banner_path("dev"), "version: 1.0.1", "version: 1.0.0");
    repo.commit_with("version down by hand", &[]);
    let codes = check(&repo, &base, 1);
    assert!(
        codes.contains(&"check/version-decrease".to_owned()),
        "{codes:?}"
    );

    repo.git(&["reset", "-q", "--hard", &base]);
    repo.run_line("rollback feature_banner --env dev --to 1.0.0 --reason undo --yes")
        .expect(0);
    // 1.0.0 as the newest commit holding it (the description change before the bump) had it.
    assert_eq!(
        repo.text(&banner_path("dev")),
        at_commit(&repo, &format!("{base}~1"), &banner_path("dev"))
    );
    assert_eq!(check(&repo, &base, 0), Vec::<String>::new());
}

#[test]
fn check_a_rollback_label_does_not_excuse_a_file_that_never_was() {
    let repo = bumped_banner();
    let base = repo.head();
    // Claims to be a rollback, but 0.9.0 never existed.
    repo.edit(&banner_path("dev"), "version: 1.0.1", "version: 0.9.0");
    repo.commit_with(
        "rollback feature_banner in dev to 0.9.0",
        &["Flagctl-Command: rollback feature_banner --env dev --to 0.9.0 --yes"],
    );
    let codes = check(&repo, &base, 1);
    assert!(
        codes.contains(&"check/version-decrease".to_owned()),
        "a decrease to a file that is in no earlier commit is no rollback: {codes:?}"
    );
}

#[test]
fn check_a_lifecycle_moving_backwards_fails() {
    let repo = fixture();
    let base = repo.head();
    let path = banner_path("dev");
    repo.edit(&path, "lifecycle: approved", "lifecycle: pending");
    repo.edit(&path, "version: 1.0.0", "version: 1.0.1");
    repo.commit_with("back to pending", &[]);
    assert_eq!(check(&repo, &base, 1), ["check/lifecycle-backwards"]);

    repo.git(&["reset", "-q", "--hard", &base]);
    repo.edit(&path, "lifecycle: approved", "lifecycle: deprecated");
    repo.edit(&path, "version: 1.0.0", "version: 1.0.1");
    repo.commit_with("deprecated", &[]);
    assert_eq!(check(&repo, &base, 0), Vec::<String>::new());
}

/// The trailers of a prod change that meets prod's policy: a reason and one approval by another.
const LAUNCH_APPROVED: &[&str] = &[
    "Flagctl-Reason: launch",
    "Approved-by: Bob Reviewer <bob@example.com>",
];

/// Turns the prod banner on by hand (state only: no bump needed) with `trailers`.
fn prod_change(repo: &Repo, trailers: &[&str]) -> String {
    let path = banner_path("prod");
    let text = repo.text(&path);
    let flipped = if text.contains("enabled: false") {
        text.replace("enabled: false", "enabled: true")
    } else {
        text.replace("enabled: true", "enabled: false")
    };
    repo.write(&path, flipped);
    repo.commit_with("banner in prod", trailers)
}

#[test]
fn check_prod_changes_need_a_reason() {
    let repo = fixture();
    let base = repo.head();
    let commit = prod_change(&repo, &["Approved-by: Bob Reviewer <bob@example.com>"]);
    // One finding, in prod, naming the commit.
    let both = repo.human_and_json(&["check", "--base", &base], 1);
    assert!(both.contains(&commit), "{both}");
    snapshots().bind(|| insta::assert_snapshot!("check_reason", both));

    repo.amend("banner in prod", LAUNCH_APPROVED);
    assert_eq!(check(&repo, &base, 0), Vec::<String>::new());
    // Other environments ask for nothing.
    repo.edit(&banner_path("dev"), "enabled: false", "enabled: true");
    repo.commit_with("dev", &[]);
    assert_eq!(check(&repo, &base, 0), Vec::<String>::new());
}

#[test]
fn check_prod_changes_need_approvals_from_others_than_the_author() {
    let repo = fixture();
    let base = repo.head();
    prod_change(&repo, &["Flagctl-Reason: launch"]);
    assert_eq!(check(&repo, &base, 1), ["check/approvals-missing"]);

    repo.amend("banner in prod", LAUNCH_APPROVED);
    assert_eq!(check(&repo, &base, 0), Vec::<String>::new());

    // The author's own email (in any case) is no approval.
    repo.amend(
        "banner in prod",
        &[
            "Flagctl-Reason: launch",
            "Approved-by: Ann A. <ANN@Example.com>",
        ],
    );
    assert_eq!(check(&repo, &base, 1), ["check/approvals-missing"]);

    // Every commit since the base must meet it, not only the last one.
    repo.amend("banner in prod", LAUNCH_APPROVED);
    prod_change(&repo, &["Flagctl-Reason: again"]);
    prod_change(
        &repo,
        &[
            "Flagctl-Reason: again",
            "Approved-by: Bob <bob@example.com>",
        ],
    );
    assert_eq!(check(&repo, &base, 1), ["check/approvals-missing"]);
}

#[test]
fn check_approvals_count_distinct_emails() {
    let repo = fixture();
    repo.edit("flagctl.yaml", "approvals: 1", "approvals: 2");
    let base = repo.commit_with("two approvals for prod", &[]);
    prod_change(
        &repo,
        &[
            "Flagctl-Reason: launch",
            "Approved-by: Bob Reviewer <bob@example.com>",
            "Approved-by: Robert <BOB@example.com>",
        ],
    );
    let out = repo.run(&["check", "--base", &base, "--format", "json"]);
    out.expect(1);
    assert_eq!(codes_of(&out), ["check/approvals-missing"]);
    assert!(out.stdout.contains("1 of the 2"), "{}", out.show());
    repo.amend(
        "banner in prod",
        &[
            "Flagctl-Reason: launch",
            "Approved-by: Bob Reviewer <bob@example.com>",
            "Approved-by: Carol <carol@example.com>",
        ],
    );
    assert_eq!(check(&repo, &base, 0), Vec::<String>::new());
}

#[test]
fn check_an_approval_without_an_email_does_not_count() {
    let repo = fixture();
    let base = repo.head();
    prod_change(&repo, &["Flagctl-Reason: launch", "Approved-by:"]);
    assert_eq!(
        check(&repo, &base, 1),
        ["check/approvals-missing"],
        "an empty Approved-by is no approval"
    );
    repo.amend(
        "banner in prod",
        &["Flagctl-Reason: launch", &format!("Approved-by: {NAME}")],
    );
    assert_eq!(
        check(&repo, &base, 1),
        ["check/approvals-missing"],
        "the author approving by name, without an email, is no approval"
    );
}

#[test]
fn check_break_glass_passes_the_approvals_rule() {
    let repo = fixture();
    let base = repo.head();
    repo.run_line("toggle feature_banner --env prod on --break-glass --reason INC-42 --yes")
        .expect(0);
    assert_eq!(check(&repo, &base, 0), Vec::<String>::new());
    // The same toggle without the break-glass trailer needs its approval.
    repo.amend(
        "toggle feature_banner on in prod",
        &["Flagctl-Reason: INC-42"],
    );
    assert_eq!(check(&repo, &base, 1), ["check/approvals-missing"]);
}

#[test]
fn check_reads_the_policy_from_the_base() {
    let repo = fixture();
    let base = repo.head();
    repo.edit("flagctl.yaml", "approvals: 1", "approvals: 0");
    repo.edit(
        "flagctl.yaml",
        "require_reason: true",
        "require_reason: false",
    );
    prod_change(&repo, &[]);
    let mut codes = check(&repo, &base, 1);
    codes.sort();
    assert_eq!(
        codes,
        ["check/approvals-missing", "check/reason-missing"],
        "a change cannot relax its own gate"
    );
    // Once the relaxed policy is the base, it applies.
    let relaxed = repo.head();
    prod_change(&repo, &[]);
    assert_eq!(check(&repo, &relaxed, 0), Vec::<String>::new());
}

#[test]
fn check_refuses_a_base_it_cannot_judge_against() {
    let repo = fixture();
    repo.edit(&banner_path("dev"), "enabled: false", "enabled: true");
    repo.commit_with("main moves on", &[]);
    repo.run(&["check", "--base", "no-such-branch"])
        .refused(&["no-such-branch"]);
    repo.run(&[
        "check",
        "--base",
        "0123456789abcdef0123456789abcdef01234567",
    ])
    .refused(&["0123456789abcdef0123456789abcdef01234567"]);

    // A sibling branch: main is not in its history.
    repo.git(&["switch", "-q", "-c", "side", "HEAD~1"]);
    repo.edit(&banner_path("staging"), "enabled: false", "enabled: true");
    repo.commit_with("side work", &[]);
    let out = repo.run(&["check", "--base", "main"]);
    out.refused(&["main"]);
    assert!(
        out.stderr.contains("stale") || out.stderr.contains("unrelated"),
        "{}",
        out.show()
    );
    assert!(out.stderr.contains("not an ancestor"), "{}", out.show());
}

#[test]
fn check_in_a_shallow_clone_missing_the_base_says_to_fetch() {
    let origin = fixture();
    let base = origin.head();
    origin.edit(&banner_path("dev"), "enabled: false", "enabled: true");
    origin.commit_with("one", &[]);
    origin.edit(&banner_path("dev"), "enabled: true", "enabled: false");
    origin.commit_with("two", &[]);
    let clone = Repo::clone_of(&origin, Some(1));
    let out = clone.run(&["check", "--base", &base]);
    out.refused(&["shallow", "fetch"]);
    let out = clone.run(&["check", "--base", "HEAD~1"]);
    out.refused(&["fetch"]);
    // The base that is there works.
    clone.run(&["check", "--base", "origin/main"]).expect(0);
}

#[test]
fn check_includes_validation_and_drift_errors() {
    let repo = fixture();
    let base = repo.head();
    // An unknown key in dev (validation), and a prod-only bump (drift/ahead).
    repo.edit(
        &banner_path("dev"),
        "enabled: false",
        "enabled: false\ncolour: red",
    );
    let prod = flow_path("prod");
    repo.edit(
        &prod,
        "Checkout flow A/B test",
        "Checkout flow A/B test (prod)",
    );
    repo.edit(&prod, "version: 1.0.0", "version: 1.0.1");
    repo.commit_with(
        "two problems",
        &["Flagctl-Reason: r", "Approved-by: Bob <bob@example.com>"],
    );
    let codes = check(&repo, &base, 1);
    assert!(
        codes.iter().any(|c| c.starts_with("schema/")),
        "a validation finding: {codes:?}"
    );
    assert!(codes.contains(&"drift/ahead".to_owned()), "{codes:?}");
}

#[test]
fn check_speaks_every_format() {
    let repo = fixture();
    let base = repo.head();
    let path = flow_path("dev");
    repo.edit(&path, "  b: onepage\n", "  b: onepage\n  c: hybrid\n");
    repo.edit(&path, "version: 1.0.0", "version: 1.0.1");
    repo.commit_with("add a variant with a patch bump", &[]);

    let human = repo.run(&["check", "--base", &base]);
    human.expect(1);
    assert!(
        human.stdout.contains("check/bump-needed"),
        "{}",
        human.show()
    );
    assert!(
        human.stdout.contains(&format!("{path}:3:10")),
        "{}",
        human.show()
    );

    let github = repo.run(&["check", "--base", &base, "--format", "github"]);
    github.expect(1);
    let annotation = line_with(&github.stdout, "check/bump-needed");
    assert!(
        annotation.starts_with(&format!("::error file={path},line=3,col=10")),
        "{annotation}"
    );

    let markdown = repo.run(&["check", "--base", &base, "--format", "markdown"]);
    markdown.expect(1);
    let row = line_with(&markdown.stdout, "check/bump-needed");
    assert!(row.starts_with('|') && row.contains(&path), "{row}");
    assert!(markdown.stdout.contains("|---"), "{}", markdown.show());

    let json = repo
        .run(&["check", "--base", &base, "--format", "json"])
        .expect(1)
        .json();
    assert_eq!(json["summary"]["errors"], 1, "{json:#}");
    assert_eq!(findings(&json)[0]["code"], "check/bump-needed");
}

// ---------------------------------------------------------------------------------------------
// audit
// ---------------------------------------------------------------------------------------------

fn audit(repo: &Repo, args: &[&str], code: i32) -> (Vec<Json>, Vec<String>) {
    let mut all = vec!["audit", "--format", "json"];
    all.extend(args);
    let out = repo.run(&all);
    out.expect(code);
    let doc = out.json();
    let rows = doc["audit"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("an audit array in {doc:#}"));
    (rows, codes_of(&out))
}

fn commits_of(rows: &[Json]) -> Vec<String> {
    rows.iter()
        .map(|r| r["commit"].as_str().expect("commit").to_owned())
        .collect()
}

#[test]
fn audit_rows_say_who_changed_what_why_and_with_which_approvals() {
    let repo = fixture();
    let init = repo.head();
    toggle_yes(&repo, "feature_banner --env dev on", "try it");
    let dev = repo.head();
    let prod = prod_change(
        &repo,
        &[
            "Flagctl-Reason: launch",
            "Approved-by: Bob Reviewer <bob@example.com>",
            "Approved-by: Ann A. <ann@example.com>",
        ],
    );
    let (rows, codes) = audit(&repo, &[], 0);
    assert_eq!(codes, Vec::<String>::new());
    assert_eq!(
        commits_of(&rows),
        [&init, &dev, &prod].map(|s| s.to_owned())
    );
    assert_eq!(
        rows[2]["time"],
        repo.date_of(&prod, "%Y-%m-%dT%H:%M:%SZ").as_str()
    );
    snapshots().bind(|| insta::assert_json_snapshot!("audit_rows_json", rows));
    let human = repo.run(&["audit"]);
    human.expect(0);
    snapshots().bind(|| insta::assert_snapshot!("audit_rows_human", human.stdout));
}

#[test]
fn audit_since_a_rev_or_a_date_and_env_filter() {
    let repo = dated_fixture();
    let init = repo.head();
    let [_, feb, mar] = dated_history(&repo);
    repo.at("2026-04-10T12:00:00Z");
    let apr = prod_change(
        &repo,
        &[
            "Flagctl-Reason: launch",
            "Approved-by: Bob <bob@example.com>",
        ],
    );

    let (rows, _) = audit(&repo, &[], 0);
    assert_eq!(
        commits_of(&rows),
        [&init, &feb, &mar, &apr].map(|s| s.to_owned())
    );
    let (rows, _) = audit(&repo, &["--since", &feb], 0);
    assert_eq!(commits_of(&rows), [&mar, &apr].map(|s| s.to_owned()));
    let (rows, _) = audit(&repo, &["--since", "2026-02-10"], 0);
    assert_eq!(commits_of(&rows), [&feb, &mar, &apr].map(|s| s.to_owned()));
    let (rows, _) = audit(&repo, &["--since", "2026-02-11"], 0);
    assert_eq!(commits_of(&rows), [&mar, &apr].map(|s| s.to_owned()));
    let (rows, _) = audit(&repo, &["--env", "prod"], 0);
    assert_eq!(commits_of(&rows), [&init, &apr].map(|s| s.to_owned()));
    let (rows, _) = audit(&repo, &["--env", "dev", "--since", "2026-02-11"], 0);
    assert_eq!(commits_of(&rows), [&mar].map(|s| s.to_owned()));
    repo.run(&["audit", "--since", "no-such-rev"])
        .refused(&["no-such-rev"]);
    repo.run(&["audit", "--env", "qa"]).refused(&["qa"]);
}

#[test]
fn audit_reports_policy_violations_found_in_history() {
    let repo = fixture();
    let bad = prod_change(&repo, &[]);
    let good = prod_change(
        &repo,
        &[
            "Flagctl-Reason: fixed",
            "Approved-by: Bob <bob@example.com>",
        ],
    );
    let out = repo.run(&["audit", "--format", "json"]);
    out.expect(1);
    let doc = out.json();
    let mut found: Vec<(String, String)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["commit"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("check/approvals-missing".to_owned(), bad.clone()),
            ("check/reason-missing".to_owned(), bad.clone()),
        ]
    );
    // Only what came after the bad commit: clean.
    let (rows, codes) = audit(&repo, &["--since", &bad], 0);
    assert_eq!(commits_of(&rows), [good]);
    assert_eq!(codes, Vec::<String>::new());
    // A dev-only view leaves prod's violations out.
    let (_, codes) = audit(&repo, &["--env", "dev"], 0);
    assert_eq!(codes, Vec::<String>::new());
}

/// Each commit is judged by the policy of its own time: a later relaxation excuses nothing, a
/// later tightening condemns nothing, and a policy that could not be read then is said to be so
/// (at its line and column) rather than replaced by today's.
#[test]
fn audit_judges_each_commit_by_the_policy_of_that_commit() {
    let repo = fixture();
    let strict = prod_change(&repo, &[]);
    let relaxed_config = CONFIG.replace("    require_reason: true\n    approvals: 1\n", "");
    repo.write("flagctl.yaml", &relaxed_config);
    repo.commit("prod needs no review for now");
    let relaxed = prod_change(&repo, &[]);
    repo.write("flagctl.yaml", "environments: [\n");
    repo.commit("a broken policy");
    let broken = prod_change(&repo, &[]);
    repo.write("flagctl.yaml", CONFIG);
    repo.commit("prod is reviewed again");

    let out = repo.run(&["audit", "--format", "json"]);
    out.expect(1);
    let doc = out.json();
    let mut found: Vec<(String, String)> = findings(&doc)
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (text("code"), text("commit"))
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("audit/policy-unreadable".to_owned(), broken.clone()),
            ("check/approvals-missing".to_owned(), strict.clone()),
            ("check/reason-missing".to_owned(), strict.clone()),
        ],
        "{}",
        out.show()
    );
    assert!(!found.iter().any(|(_, c)| *c == relaxed));
    let unreadable = one(&doc, "audit/policy-unreadable");
    assert_eq!(unreadable["severity"], "warning");
    assert_eq!(unreadable["path"], "flagctl.yaml");
    // The file as it was, line and column included, not today's file.
    assert!(
        unreadable["message"]
            .as_str()
            .is_some_and(|m| m.contains("(flagctl.yaml:2:")),
        "{unreadable:#}"
    );
    assert_eq!(unreadable["line"], Json::Null);
    // The same in the human format, where errors are labelled as such and fail the run.
    let human = repo.run(&["audit"]);
    human.expect(1);
    assert!(
        human.stdout.contains("check/reason-missing"),
        "{}",
        human.show()
    );
    assert!(
        human.stdout.contains("audit/policy-unreadable"),
        "{}",
        human.show()
    );
}

#[test]
fn audit_reports_a_break_glass_change_until_an_approved_change_follows() {
    let repo = fixture();
    repo.run_line("toggle feature_banner --env prod on --break-glass --reason INC-42 --yes")
        .expect(0);
    let glass = repo.head();
    let (rows, codes) = audit(&repo, &[], 0);
    assert_eq!(codes, ["audit/break-glass"]);
    assert_eq!(rows[1]["break_glass"], true);
    let human = repo.run(&["audit"]);
    human.expect(0);
    let row = human
        .stdout
        .lines()
        .find(|l| l.contains(short(&glass)) && l.contains(NAME))
        .unwrap_or_else(|| panic!("a row for the break-glass commit\n{}", human.show()));
    assert!(
        row.contains("INC-42") && row.contains("break-glass"),
        "{row}"
    );

    // An approved change to another flag, or to the same flag in another environment, does not
    // close it.
    repo.edit(&flow_path("prod"), "enabled: true", "enabled: false");
    repo.commit_with(
        "flow off",
        &["Flagctl-Reason: r", "Approved-by: Bob <bob@example.com>"],
    );
    repo.edit(&banner_path("staging"), "enabled: false", "enabled: true");
    repo.commit_with("staging banner", &["Approved-by: Bob <bob@example.com>"]);
    let out = repo.run(&["audit", "--format", "json"]);
    out.expect(0);
    let doc = out.report();
    let open: Vec<&Json> = findings(&doc)
        .iter()
        .filter(|f| f["code"] == "audit/break-glass")
        .collect();
    assert_eq!(open.len(), 1, "{}", out.show());
    assert_eq!(open[0]["commit"], glass.as_str());
    assert_eq!(open[0]["flag"], "feature_banner");
    assert_eq!(open[0]["env"], "prod");
    // An unapproved follow-up to the same flag does not close it either.
    prod_change(
        &repo,
        &[
            "Flagctl-Reason: follow-up",
            "Approved-by: Ann <ann@example.com>",
        ],
    );
    let (_, codes) = audit(&repo, &[], 1);
    assert!(codes.contains(&"audit/break-glass".to_owned()), "{codes:?}");

    // An approved change to the same flag in the same environment closes it (the unapproved
    // follow-up stays a finding of its own).
    prod_change(
        &repo,
        &[
            "Flagctl-Reason: reviewed",
            "Approved-by: Bob <bob@example.com>",
        ],
    );
    let (_, codes) = audit(&repo, &[], 1);
    assert_eq!(codes, ["check/approvals-missing"]);
}

// ---------------------------------------------------------------------------------------------
// events
// ---------------------------------------------------------------------------------------------

/// One of each event type. Returns `(commit, step)` pairs, oldest first.
fn event_history(repo: &Repo) -> Vec<(String, &'static str)> {
    let mut steps = vec![(repo.head(), "init")];
    let mut run = |args: &[&str], step: &'static str| {
        repo.run(args).expect(0);
        steps.push((repo.head(), step));
    };
    run(
        &[
            "toggle",
            "feature_banner",
            "--env",
            "dev",
            "on",
            "--reason",
            "try it",
            "--yes",
        ],
        "toggle",
    );
    run(
        &[
            "set",
            "feature_banner",
            "--env",
            "dev",
            "description=Bigger",
            "--reason",
            "copy",
            "--yes",
        ],
        "set",
    );
    // `set` already raised the patch version the description needed; a minor bump is asked
    // for by name.
    run(
        &[
            "bump",
            "feature_banner",
            "--env",
            "dev",
            "minor",
            "--reason",
            "bump",
            "--yes",
        ],
        "bump",
    );
    run(
        &[
            "promote",
            "dev",
            "staging",
            "feature_banner",
            "--reason",
            "ship",
            "--yes",
        ],
        "promote",
    );
    run(
        &[
            "rollback",
            "feature_banner",
            "--env",
            "staging",
            "--to",
            "1.0.0",
            "--reason",
            "undo",
            "--yes",
        ],
        "rollback",
    );
    for env in ["dev", "staging", "prod"] {
        repo.edit(
            &banner_path(env),
            "lifecycle: approved",
            "lifecycle: deprecated",
        );
    }
    let deprecate = repo.commit_with(
        "deprecate the banner",
        &[
            "Flagctl-Reason: replaced",
            "Approved-by: Rita <rita@example.com>",
        ],
    );
    steps.push((deprecate, "deprecate"));
    let mut run = |args: &[&str], step: &'static str| {
        repo.run(args).expect(0);
        steps.push((repo.head(), step));
    };
    run(
        &["retire", "feature_banner", "--reason", "gone", "--yes"],
        "retire",
    );
    steps
}

fn parse_lines(stdout: &str) -> Vec<Json> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn events_are_json_lines_of_every_kind() {
    let repo = fixture();
    let steps = event_history(&repo);
    let commit = |step: &str| {
        steps
            .iter()
            .find(|(_, s)| *s == step)
            .map(|(c, _)| c.clone())
            .expect("step")
    };
    let out = repo.run(&["events"]);
    out.expect(0);
    assert!(out.stdout.ends_with('\n'));
    let events = parse_lines(&out.stdout);
    type Row<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
    );
    let b = "feature_banner";
    let f = "experiment_flow";
    let expected: Vec<Row> = vec![
        ("init", "flag.created", "dev", f, None, Some("1.0.0")),
        ("init", "flag.created", "dev", b, None, Some("1.0.0")),
        ("init", "flag.created", "prod", f, None, Some("1.0.0")),
        ("init", "flag.created", "prod", b, None, Some("1.0.0")),
        ("init", "flag.created", "staging", f, None, Some("1.0.0")),
        ("init", "flag.created", "staging", b, None, Some("1.0.0")),
        (
            "toggle",
            "flag.toggled",
            "dev",
            b,
            Some("1.0.0"),
            Some("1.0.0"),
        ),
        // `set` of metadata bumps the patch version itself, as `check` will ask.
        (
            "set",
            "flag.updated",
            "dev",
            b,
            Some("1.0.0"),
            Some("1.0.1"),
        ),
        (
            "bump",
            "flag.updated",
            "dev",
            b,
            Some("1.0.1"),
            Some("1.1.0"),
        ),
        (
            "promote",
            "flag.promoted",
            "staging",
            b,
            Some("1.0.0"),
            Some("1.1.0"),
        ),
        (
            "rollback",
            "flag.rolled_back",
            "staging",
            b,
            Some("1.1.0"),
            Some("1.0.0"),
        ),
        (
            "deprecate",
            "flag.updated",
            "dev",
            b,
            Some("1.1.0"),
            Some("1.1.0"),
        ),
        (
            "deprecate",
            "flag.updated",
            "prod",
            b,
            Some("1.0.0"),
            Some("1.0.0"),
        ),
        (
            "deprecate",
            "flag.updated",
            "staging",
            b,
            Some("1.0.0"),
            Some("1.0.0"),
        ),
        ("retire", "flag.retired", "dev", b, Some("1.1.0"), None),
        ("retire", "flag.retired", "prod", b, Some("1.0.0"), None),
        ("retire", "flag.retired", "staging", b, Some("1.0.0"), None),
    ];
    assert_eq!(events.len(), expected.len(), "{}", out.stdout);
    for (i, (event, (step, kind, env, flag, from, to))) in events.iter().zip(&expected).enumerate()
    {
        let sha = commit(step);
        assert_eq!(event["sequence"], i as u64 + 1, "{event}");
        assert_eq!(event["type"], *kind, "{event}");
        assert_eq!(event["commit"], sha.as_str(), "{event}");
        assert_eq!(event["env"], *env, "{event}");
        assert_eq!(event["flag"], *flag, "{event}");
        assert_eq!(event["from_version"].as_str(), *from, "{event}");
        assert_eq!(event["to_version"].as_str(), *to, "{event}");
        assert_eq!(
            event["time"],
            repo.date_of(&sha, "%Y-%m-%dT%H:%M:%SZ").as_str(),
            "{event}"
        );
    }
    let reason = |i: usize| events[i]["reason"].as_str().map(str::to_owned);
    assert_eq!(reason(0).as_deref(), Some("initial import"));
    assert_eq!(reason(6).as_deref(), Some("try it"));
    assert_eq!(reason(9).as_deref(), Some("ship"));
    assert_eq!(reason(10).as_deref(), Some("undo"));
    assert_eq!(reason(16).as_deref(), Some("gone"));
    assert_eq!(events[6]["enabled"], true);
    assert_eq!(
        events[9]["enabled"], false,
        "promotion keeps staging's state"
    );
    assert_eq!(
        events[9]["promoted_from"],
        format!("dev@{}", commit("bump")).as_str()
    );
}

/// A flag file moved into a group folder, byte for byte: the flag is what it was, so the event
/// says it moved (from where, to where) rather than that it changed.
#[test]
fn a_pure_move_into_a_group_folder_is_a_move_event() {
    let repo = fixture();
    let grouped = "flags/dev/home/feature_banner.yaml";
    std::fs::create_dir_all(repo.join("flags/dev/home")).expect("group folder");
    repo.git(&["mv", &banner_path("dev"), grouped]);
    let moved = repo.commit_with("group the banner", &[]);
    // Moved back out and changed in the same commit: an update that says where it came from.
    repo.git(&["mv", grouped, &banner_path("dev")]);
    repo.edit(&banner_path("dev"), "enabled: false", "enabled: true");
    repo.edit(&banner_path("dev"), "version: 1.0.0", "version: 1.0.1");
    let changed = repo.commit_with("ungroup the banner and turn it on", &[]);

    let out = repo.run(&["events", "--since", "HEAD~2"]);
    out.expect(0);
    let events = parse_lines(&out.stdout);
    let seen: Vec<(&str, &str, &str, &str, &str)> = events
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or("-");
            (
                text("commit"),
                text("type"),
                text("from_path"),
                text("path"),
                text("to_version"),
            )
        })
        .collect();
    let dev = banner_path("dev");
    assert_eq!(
        seen,
        [
            (moved.as_str(), "flag.moved", dev.as_str(), grouped, "1.0.0"),
            (
                changed.as_str(),
                "flag.updated",
                grouped,
                dev.as_str(),
                "1.0.1"
            ),
        ],
        "{}",
        out.show()
    );
    assert_eq!(events[0]["from_version"], "1.0.0");
    assert_eq!(events[0]["env"], "dev");
    assert_eq!(events[0]["flag"], "feature_banner");

    // Every other event names no earlier path.
    let all = parse_lines(&repo.run(&["events"]).expect(0).stdout);
    let with_from: Vec<&Json> = all.iter().filter(|e| !e["from_path"].is_null()).collect();
    assert_eq!(with_from.len(), 2, "{all:#?}");
}

#[test]
fn events_are_deterministic_and_since_keeps_the_sequence() {
    let repo = fixture();
    let steps = event_history(&repo);
    let first = repo.run(&["events"]).expect(0).stdout.clone();
    let second = repo.run(&["events"]).expect(0).stdout.clone();
    assert_eq!(first, second, "the same history yields the same bytes");
    let clone = Repo::clone_of(&repo, None);
    assert_eq!(
        clone.run(&["events"]).expect(0).stdout,
        first,
        "and so does a clone of it"
    );

    let lines: Vec<&str> = first.lines().collect();
    let bump = &steps[3];
    assert_eq!(bump.1, "bump");
    let since = repo.run(&["events", "--since", &bump.0]);
    since.expect(0);
    assert_eq!(since.lines(), lines[9..], "events after the bump commit");
    assert_eq!(parse_lines(&since.stdout)[0]["sequence"], 10);
    let since = repo.run(&["events", "--since", short(&steps[0].0)]);
    since.expect(0);
    assert_eq!(since.lines(), lines[6..]);
    let since = repo.run(&["events", "--since", "HEAD"]);
    since.expect(0);
    assert_eq!(since.stdout, "");
    repo.run(&["events", "--since", "no-such-rev"])
        .refused(&["no-such-rev"]);
}

// ---------------------------------------------------------------------------------------------
// events --post: a webhook in a test thread
// ---------------------------------------------------------------------------------------------

/// The fixture plus a toggle and a set in dev: 8 events (6 created, toggled, updated).
fn eight_events() -> (Repo, Vec<String>) {
    let repo = fixture();
    toggle_yes(&repo, "feature_banner --env dev on", "try it");
    repo.run_line("set feature_banner --env dev description=Bigger --reason copy --yes")
        .expect(0);
    let lines = events(&repo, 8);
    (repo, lines)
}

#[test]
fn events_post_delivers_every_event_in_order_signed_retrying_with_the_same_key() {
    let (repo, lines) = eight_events();
    let hook = Hook::start(Answer::FailFirst(2));
    let out = post(&repo, &hook.url(), &[]);
    out.expect(0);
    let requests = hook.requests();
    assert_eq!(
        requests.len(),
        lines.len() + 2,
        "two failures, then one per event"
    );
    for request in &requests {
        assert_signed(request);
    }
    // The first event was tried three times, with the same body and key.
    assert!(requests[..3].iter().all(|r| r.body == lines[0]));
    assert!(requests[..3].iter().all(|r| key(r) == key(&requests[0])));
    let delivered: Vec<&str> = requests[2..].iter().map(|r| r.body.as_str()).collect();
    assert_eq!(delivered, lines, "each body is the event's line, in order");
    let keys: Vec<String> = requests[2..].iter().map(key).collect();
    let mut distinct = keys.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), keys.len(), "one key per event: {keys:?}");

    // Another run delivers the same events with the same keys.
    let again = Hook::start(Answer::FailFirst(0));
    post(&repo, &again.url(), &[]).expect(0);
    let requests = again.requests();
    assert_eq!(requests.iter().map(key).collect::<Vec<_>>(), keys);
    assert_eq!(
        requests.iter().map(|r| r.body.as_str()).collect::<Vec<_>>(),
        lines
    );
}

#[test]
fn events_post_final_failure_names_the_resume_point() {
    let (repo, lines) = eight_events();
    let toggle = repo.rev("HEAD~1");
    // Events 1–7 (init and the toggle) are delivered, event 8 (the set) never is.
    let hook = Hook::start(Answer::SucceedFirst(7));
    let out = post(&repo, &hook.url(), &["--retries", "2"]);
    out.refused(&[]);
    let requests = hook.requests();
    assert_eq!(requests.len(), 7 + 3, "{}", out.show());
    assert!(requests[7..].iter().all(|r| r.body == lines[7]));
    let resume = format!("flagctl events --since {toggle} --post {}", hook.url());
    assert!(
        out.stderr.contains(&resume),
        "stderr names the resume command {resume:?}\n{}",
        out.show()
    );
    assert!(out.stderr.contains("7 delivered"), "{}", out.show());

    // The resume command delivers the rest, numbered as in the full run.
    let rest = Hook::start(Answer::FailFirst(0));
    post(&repo, &rest.url(), &["--since", &toggle]).expect(0);
    let bodies: Vec<String> = rest.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies, lines[7..]);
}

#[test]
fn events_post_a_failure_after_since_names_the_event_by_its_sequence() {
    let (repo, _) = eight_events();
    let toggle = repo.rev("HEAD~1");
    let hook = Hook::start(Answer::SucceedFirst(0));
    let out = post(&repo, &hook.url(), &["--since", &toggle, "--retries", "0"]);
    out.refused(&[]);
    assert!(
        out.stderr.contains("event 8"),
        "the failed event is sequence 8, as `events` numbers it\n{}",
        out.show()
    );
}

#[test]
fn events_post_to_a_failing_webhook_exits_2() {
    let (repo, lines) = eight_events();
    let hook = Hook::start(Answer::SucceedFirst(0));
    let started = Instant::now();
    let out = post(&repo, &hook.url(), &[]);
    // The command could not do its work: an error, and nothing written.
    out.refused(&[]);
    assert!(started.elapsed() < Duration::from_secs(10));
    let requests = hook.requests();
    assert_eq!(requests.len(), 5, "the first attempt and 4 retries");
    assert!(requests.iter().all(|r| r.body == lines[0]));
    assert!(out.stderr.contains("500"), "{}", out.show());
    assert!(out.stderr.contains("0 delivered"), "{}", out.show());
    assert!(
        out.stderr
            .contains(&format!("flagctl events --post {}", hook.url())),
        "nothing delivered: resume from the start\n{}",
        out.show()
    );
}

#[test]
fn events_post_to_a_webhook_that_never_answers_times_out() {
    let (repo, _) = eight_events();
    let hook = Hook::start(Answer::Silent);
    let started = Instant::now();
    let out = post(&repo, &hook.url(), &["--timeout", "1", "--retries", "1"]);
    out.refused(&[]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "bounded by the timeout: {:?}",
        started.elapsed()
    );
    assert_eq!(
        hook.connections.load(Ordering::SeqCst),
        2,
        "the first attempt and one retry"
    );
    assert!(out.stderr.contains("resume with"), "{}", out.show());
    assert!(out.stderr.contains("events --post"), "{}", out.show());
}

#[test]
fn events_post_needs_the_secret() {
    let (repo, _) = eight_events();
    let hook = Hook::start(Answer::FailFirst(0));
    let url = hook.url();
    let out = repo.run(&["events", "--post", &url]);
    out.refused(&["FLAGCTL_WEBHOOK_SECRET"]);
    assert!(hook.requests().is_empty(), "nothing is sent unsigned");
}

// ---------------------------------------------------------------------------------------------
// codeowners
// ---------------------------------------------------------------------------------------------

fn owner_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect()
}

#[test]
fn codeowners_names_each_flag_files_owner_and_its_environments_approvers() {
    let repo = fixture();
    let out = repo.run(&["codeowners"]);
    out.expect(0);
    let lines = owner_lines(&out.stdout);
    let approvers = "@acme/release-managers @acme/sre";
    let mut expected = vec![
        format!("/flags/prod/ {approvers}"),
        "/flags/dev/checkout/experiment_flow.yaml @team-checkout".to_owned(),
        "/flags/dev/feature_banner.yaml @acme/web".to_owned(),
        format!("/flags/prod/checkout/experiment_flow.yaml @team-checkout {approvers}"),
        format!("/flags/prod/feature_banner.yaml @acme/web {approvers}"),
        "/flags/staging/checkout/experiment_flow.yaml @team-checkout".to_owned(),
        "/flags/staging/feature_banner.yaml @acme/web".to_owned(),
    ];
    let mut got: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    // The last matching line wins: the folder line comes before the files in it.
    let folder = got
        .iter()
        .position(|l| l.starts_with("/flags/prod/ "))
        .expect("a folder line for prod");
    assert!(
        got.iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with("/flags/prod/") && !l.starts_with("/flags/prod/ "))
            .all(|(i, _)| i > folder),
        "{}",
        out.stdout
    );
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(
        repo.run(&["codeowners"]).expect(0).stdout,
        out.stdout,
        "deterministic"
    );
}

#[test]
fn codeowners_names_each_owner_once() {
    let repo = fixture();
    // The owner is also the environment's second approver.
    repo.edit(
        &banner_path("prod"),
        "owner: \"@acme/web\"",
        "owner: \"@acme/sre\"",
    );
    let out = repo.run(&["codeowners"]);
    out.expect(0);
    let line = line_with(&out.stdout, "/flags/prod/feature_banner.yaml");
    let handles: Vec<&str> = line.split_whitespace().skip(1).collect();
    let mut distinct = handles.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(handles.len(), distinct.len(), "{line}");
    assert!(handles.contains(&"@acme/sre") && handles.contains(&"@acme/release-managers"));
}
