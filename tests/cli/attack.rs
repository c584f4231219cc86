//! flagctl tried as a hostile or careless user would: writes that would leave the repository or
//! pass its rules, files that link elsewhere, plans edited by hand, unbounded input. Every test
//! asserts the repository afterwards: HEAD, `git status`, every file, and what lies outside.

use std::path::Path;

use crate::support::{Outside, Repo, Run, project_root};

const CONFIG: &str = "\
environments:
  - name: dev
  - name: staging
  - name: prod
    require_reason: true
    approvals: 1
";

/// A valid boolean flag.
pub fn flag(name: &str, version: &str, enabled: bool) -> String {
    format!(
        "name: {name}\nversion: {version}\ndescription: A flag of the tests\nowner: team-test\nkind: release\nlifecycle: approved\ntype: boolean\nenabled: {enabled}\n"
    )
}

/// dev → staging → prod (prod needs a reason and an approval), `feature_a` in each at 1.0.0,
/// the project's `release` template; committed.
pub fn fixture() -> Repo {
    let repo = Repo::with_git();
    repo.write("flagctl.yaml", CONFIG);
    let template = std::fs::read(project_root().join("templates/release.yaml"))
        .expect("the project's release template");
    repo.write("templates/release.yaml", template);
    repo.write(
        "segments/staff.yaml",
        "name: staff\ndescription: Employees\nwhen:\n  - { attribute: email, op: ends_with, value: \"@example.com\" }\n",
    );
    for env in ["dev", "staging", "prod"] {
        repo.write(
            &format!("flags/{env}/feature_a.yaml"),
            flag("feature_a", "1.0.0", false),
        );
    }
    repo.commit("init");
    repo
}

// ---------------------------------------------------------------------------------------------
// Writes outside the repository, or past its rules.
// ---------------------------------------------------------------------------------------------

#[test]
fn new_refuses_a_group_that_leads_out_of_its_environment() {
    let repo = fixture();
    let outside = Outside::of(&repo);
    let before = outside.snapshot();
    for group in [
        "../prod",
        "../../../x",
        "/tmp/x",
        "a/../../prod",
        ".hidden",
        "a\nb",
    ] {
        let run = repo.run(&["new", "feature_b", "-t", "release", "--group", group]);
        run.refused(&["group"]);
        outside.assert_unchanged(&before, &run);
    }
    // Nothing was left behind that stops the next command.
    repo.run(&[
        "new",
        "feature_b",
        "-t",
        "release",
        "--group",
        "checkout/eu",
    ])
    .expect(0);
    assert!(repo.join("flags/dev/checkout/eu/feature_b.yaml").is_file());
    repo.run(&["validate"]).expect(0);
}

#[test]
fn new_refuses_a_flag_name_that_is_not_a_file_name_even_if_naming_allows_it() {
    let repo = fixture();
    repo.write("flagctl.yaml", format!("{CONFIG}naming: '.*'\n"));
    repo.commit("any name");
    for name in ["../../../x", "../prod/feature_a", ".."] {
        repo.run(&["new", name, "-t", "release"])
            .refused(&["file name"]);
    }
}

#[test]
fn new_reads_templates_only_from_the_templates_folder() {
    let repo = fixture();
    let outside = Outside::of(&repo);
    let secret = outside.path.join("secret.yaml");
    std::fs::write(&secret, "password: hunter2\n").expect("write");
    let secret_arg = secret.to_str().expect("UTF-8").to_owned();
    for template in [secret_arg.as_str(), "../../outside/secret", "../flagctl"] {
        let run = repo.run(&["new", "feature_b", "-t", template]);
        run.refused(&["template"]);
        assert!(!run.stderr.contains("hunter2"), "{}", run.show());
    }
    // A template that links out of the repository is refused too.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&secret, repo.join("templates/leak.yaml")).expect("link");
        let run = repo.run(&["new", "feature_b", "-t", "leak"]);
        run.refused(&["outside the repository"]);
        assert!(!run.stderr.contains("hunter2"), "{}", run.show());
    }
}

/// The saved plan of promoting `feature_a` 1.1.0 from staging to prod.
fn saved_plan(repo: &Repo) -> serde_json::Value {
    repo.write(
        "flags/staging/feature_a.yaml",
        flag("feature_a", "1.1.0", false),
    );
    repo.commit("staging 1.1.0");
    repo.save_plan(&["staging", "prod", "feature_a"])
}

type PlanEdit = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn apply_trusts_nothing_of_the_plan_but_its_environments_and_flag_names() {
    let repo = fixture();
    let outside = Outside::of(&repo);
    let before = outside.snapshot();
    let plan = saved_plan(&repo);
    let saved = std::fs::read(repo.plan_file()).expect("the saved plan");
    let edits: Vec<(&str, PlanEdit)> = vec![
        (
            "the policy file",
            Box::new(|p| p["flags"][0]["to_path"] = "flagctl.yaml".into()),
        ),
        (
            "outside",
            Box::new(|p| p["flags"][0]["to_path"] = "flags/staging/../../../outside/n.yaml".into()),
        ),
        (
            "prod's file with staging's policy",
            Box::new(|p| {
                p["to"] = "staging".into();
                p["from"] = "dev".into();
            }),
        ),
        (
            "another content",
            Box::new(|p| p["flags"][0]["after"] = "name: feature_a\nowner: mallory\n".into()),
        ),
        (
            "a from that is no environment",
            Box::new(|p| p["from"] = "staging\nApproved-by: Boss <boss@example.com>".into()),
        ),
        (
            "a head cut in a character",
            Box::new(|p| p["head"] = "a€€€€€".into()),
        ),
        (
            "a blob that is not the file's",
            Box::new(|p| p["flags"][0]["from_blob"] = "0000".into()),
        ),
        (
            "a source outside",
            Box::new(|p| p["flags"][0]["from_path"] = "/dev/zero".into()),
        ),
    ];
    for (what, edit) in edits {
        let mut edited = plan.clone();
        edit(&mut edited);
        let run = repo.apply(edited.to_string());
        assert_eq!(run.code, Some(2), "{what}: {}", run.show());
        run.refused(&[]);
        outside.assert_unchanged(&before, &run);
    }
    // The plan as saved still applies.
    let head = repo.head();
    let run = repo.apply(&saved);
    run.expect(0);
    repo.assert_one_commit_on(&head, &run);
    assert!(repo.text("flags/prod/feature_a.yaml").contains("1.1.0"));
}

#[test]
fn apply_holds_the_real_target_to_its_reason_rule() {
    let repo = fixture();
    saved_plan(&repo);
    repo.run(&["apply", &repo.plan_file(), "--yes"])
        .refused(&["prod requires a reason"]);
}

#[cfg(unix)]
#[test]
fn an_environment_folder_linked_out_of_the_repository_is_found_and_never_written() {
    let repo = fixture();
    let outside = Outside::of(&repo);
    let outside_prod = outside.path.join("prod");
    std::fs::create_dir_all(&outside_prod).expect("folder");
    std::fs::rename(
        repo.join("flags/prod/feature_a.yaml"),
        outside_prod.join("feature_a.yaml"),
    )
    .expect("move");
    std::fs::remove_dir(repo.join("flags/prod")).expect("rmdir");
    std::os::unix::fs::symlink(&outside_prod, repo.join("flags/prod")).expect("link");
    repo.commit("prod elsewhere");
    let before = outside.snapshot();

    let run = repo.run(&["validate", "--format", "json"]);
    run.expect(1);
    assert!(run.stdout.contains("fs/symlink-escape"), "{}", run.show());

    for line in [
        "set feature_a --env prod description=x --reason r",
        "toggle feature_a --env prod on --reason r",
        "new feature_b -t release --env prod --reason r",
    ] {
        let run = repo.run_line(line);
        run.refused(&[]);
        outside.assert_unchanged(&before, &run);
    }
}

#[cfg(unix)]
#[test]
fn a_group_folder_linked_out_of_the_repository_is_one_finding_and_never_walked() {
    let repo = fixture();
    let outside = Outside::of(&repo);
    let elsewhere = outside.path.join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("deep")).expect("folder");
    std::fs::write(elsewhere.join("deep/secret.yaml"), "token: hunter2\n").expect("write");
    // Walking into the folder would meet this loop and fail the whole command.
    std::os::unix::fs::symlink(&elsewhere, elsewhere.join("deep/loop")).expect("loop");
    std::os::unix::fs::symlink(&elsewhere, repo.join("flags/dev/evil")).expect("link");
    std::os::unix::fs::symlink(&elsewhere, repo.join("flags/staging/evil")).expect("link");
    repo.commit("groups elsewhere");

    let run = repo.run(&["validate", "--format", "json"]);
    run.expect(1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let findings: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default(),
                f["path"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        [
            ("fs/symlink-escape", "flags/dev/evil"),
            ("fs/symlink-escape", "flags/staging/evil"),
        ],
        "{}",
        run.show()
    );
    assert!(!run.stdout.contains("hunter2"), "{}", run.show());
    for command in [["diff", "--format", "json"], ["status", "--format", "json"]] {
        let run = repo.run(&command);
        assert_ne!(run.code, Some(2), "{}", run.show());
        assert!(run.stdout.contains("flags/dev/evil"), "{}", run.show());
        assert!(!run.stdout.contains("secret"), "{}", run.show());
    }
}

#[cfg(unix)]
#[test]
fn a_group_folder_linked_to_a_folder_holding_the_repository_is_one_finding() {
    let repo = fixture();
    // The link leads out of the repository and back into it: a loop, and out first.
    let holder = repo
        .join("flags")
        .parent()
        .and_then(Path::parent)
        .expect("a folder holds the repository")
        .to_owned();
    std::os::unix::fs::symlink(&holder, repo.join("flags/dev/up")).expect("link");
    for command in ["validate", "diff", "status"] {
        let run = repo.run(&[command, "--format", "json"]);
        assert_ne!(run.code, Some(2), "{}", run.show());
        let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
        let escapes: Vec<&serde_json::Value> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["code"] == "fs/symlink-escape")
            .collect();
        assert_eq!(escapes.len(), 1, "{}", run.show());
        assert_eq!(escapes[0]["path"], "flags/dev/up", "{}", run.show());
    }
}

#[cfg(unix)]
#[test]
fn a_link_that_leads_nowhere_is_one_finding_not_a_stop() {
    let repo = fixture();
    std::os::unix::fs::symlink("deleted.yaml", repo.join("flags/dev/ghost.yaml")).expect("link");
    std::os::unix::fs::symlink("b.yaml", repo.join("flags/dev/a.yaml")).expect("link");
    std::os::unix::fs::symlink("a.yaml", repo.join("flags/dev/b.yaml")).expect("link");
    std::os::unix::fs::symlink("moved", repo.join("flags/dev/group")).expect("link");
    std::os::unix::fs::symlink("gone.txt", repo.join("flags/dev/notes.txt")).expect("link");
    for command in ["validate", "diff", "status"] {
        let run = repo.run(&[command, "--format", "json"]);
        run.expect(1);
        let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
        let unreadable: Vec<&str> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["code"] == "fs/unreadable")
            .filter_map(|f| f["path"].as_str())
            .collect();
        assert_eq!(
            unreadable,
            [
                "flags/dev/a.yaml",
                "flags/dev/b.yaml",
                "flags/dev/ghost.yaml",
                "flags/dev/group"
            ],
            "{}",
            run.show()
        );
    }
    let run = repo.run_line("toggle ghost --env dev on");
    run.refused(&["ghost.yaml", "cannot be followed"]);
    assert!(
        !repo.join("flags/dev/deleted.yaml").exists(),
        "{}",
        run.show()
    );
}

#[cfg(unix)]
#[test]
fn an_environment_linked_to_nothing_is_a_finding_not_an_empty_environment() {
    let repo = fixture();
    std::fs::remove_dir_all(repo.join("flags/prod")).expect("remove");
    std::os::unix::fs::symlink("prod-moved", repo.join("flags/prod")).expect("link");
    for command in ["validate", "diff", "status"] {
        let run = repo.run(&[command, "--format", "json"]);
        run.expect(1);
        let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
        let unreadable: Vec<(&str, &str)> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["code"] == "fs/unreadable")
            .filter_map(|f| Some((f["path"].as_str()?, f["message"].as_str()?)))
            .collect();
        assert!(
            matches!(unreadable.as_slice(), [("flags/prod", message)] if message.contains("cannot be followed")),
            "{}",
            run.show()
        );
    }
}

#[cfg(unix)]
#[test]
fn a_flags_folder_linked_out_of_the_repository_is_refused_whole() {
    let repo = fixture();
    let outside = Outside::of(&repo);
    std::fs::rename(repo.join("flags"), outside.path.join("flags")).expect("move");
    std::os::unix::fs::symlink(outside.path.join("flags"), repo.join("flags")).expect("link");
    let before = outside.snapshot();
    for line in [
        "validate",
        "diff",
        "status",
        "toggle feature_a --env dev on",
    ] {
        let run = repo.run_line(line);
        run.refused(&["flags is a symbolic link", "outside the repository"]);
        outside.assert_unchanged(&before, &run);
    }
}

#[cfg(unix)]
#[test]
fn a_flag_file_linking_to_another_environment_is_found_and_neither_is_written() {
    let repo = fixture();
    std::fs::remove_file(repo.join("flags/prod/feature_a.yaml")).expect("rm");
    std::os::unix::fs::symlink(
        "../staging/feature_a.yaml",
        repo.join("flags/prod/feature_a.yaml"),
    )
    .expect("link");
    repo.commit("prod follows staging");

    let run = repo.run(&["validate", "--format", "json"]);
    run.expect(1);
    assert!(
        run.stdout.contains("fs/symlink-escape") && run.stdout.contains("environment folder"),
        "{}",
        run.show()
    );
    repo.run(&["toggle", "feature_a", "--env", "staging", "on"])
        .refused(&["link"]);
    repo.run_line("toggle feature_a --env prod on --reason r")
        .refused(&["link"]);
}

#[test]
fn paths_in_the_configuration_stay_inside_the_repository() {
    let repo = fixture();
    let outside = Outside::of(&repo);
    std::fs::write(outside.path.join("s.json"), "{}").expect("write");
    for line in [
        "schema: /dev/zero",
        "schema: ../outside/s.json",
        "flags_dir: ../outside",
        "tests_dir: /etc",
    ] {
        repo.write("flagctl.yaml", format!("{CONFIG}{line}\n"));
        repo.run(&["validate"])
            .refused(&["flagctl.yaml", "plain relative path"]);
    }
}

#[cfg(unix)]
#[test]
fn a_schema_linked_to_an_endless_file_is_refused_quickly() {
    let repo = fixture();
    std::os::unix::fs::symlink("/dev/zero", repo.join("schemas.json")).expect("link");
    repo.write("flagctl.yaml", format!("{CONFIG}schema: schemas.json\n"));
    let started = std::time::Instant::now();
    repo.run(&["validate"]).refused(&["schema"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

// ---------------------------------------------------------------------------------------------
// Crashes and unbounded input.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_duration_past_what_a_date_can_hold_is_a_configuration_error_not_a_crash() {
    let repo = fixture();
    for lag in ["9999999999999999d", "9223372036854775807h", "99999999999w"] {
        repo.write(
            "flagctl.yaml",
            format!(
                "environments:\n  - name: dev\n  - name: staging\n    max_lag: {lag}\n  - name: prod\n"
            ),
        );
        repo.run(&["diff"])
            .refused(&["flagctl.yaml", "not a duration"]);
    }
}

#[test]
fn a_date_that_is_no_day_is_invalid() {
    let repo = fixture();
    for date in ["2020-02-30", "2020-13-01", "2021-02-29"] {
        repo.write(
            "flags/dev/feature_a.yaml",
            format!("{}expires: {date}\n", flag("feature_a", "1.0.0", false)),
        );
        let run = repo.run(&["validate", "--format", "json"]);
        run.expect(1);
        assert!(run.stdout.contains("rule/invalid-date"), "{}", run.show());
    }
    repo.write(
        "flags/dev/feature_a.yaml",
        format!("{}expires: 2028-02-29\n", flag("feature_a", "1.0.0", false)),
    );
    repo.run(&["validate"]).expect(0);
}

#[test]
fn a_write_whose_output_pipe_is_closed_does_not_panic() {
    let repo = fixture();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_flagctl"));
    for var in crate::support::SCRUBBED {
        cmd.env_remove(var);
    }
    cmd.env("HOME", repo.home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .current_dir(repo.path())
        .args(["toggle", "feature_a", "--env", "dev", "on"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("flagctl starts");
    // Close the read end at once, as `| head -0` does.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("flagctl ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // The change itself was made and committed.
    assert!(
        repo.text("flags/dev/feature_a.yaml")
            .contains("enabled: true")
    );
    assert_eq!(repo.porcelain(), "");
}

#[test]
fn a_plan_file_without_end_is_refused() {
    let repo = fixture();
    repo.run(&["apply", "/dev/zero", "--yes"])
        .refused(&["plan"]);
}

// ---------------------------------------------------------------------------------------------
// The gate and the trail.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_newline_in_a_reason_cannot_forge_an_approval() {
    let repo = fixture();
    let base = repo.head();
    let forged = "hotfix\nApproved-by: Boss <boss@example.com>";
    let run = repo.run(&[
        "toggle",
        "feature_a",
        "--env",
        "prod",
        "on",
        "--reason",
        forged,
    ]);
    run.expect(0);
    repo.assert_one_commit_on(&base, &run);
    let trailers = repo.trailers("HEAD");
    assert!(
        trailers.iter().all(|t| t.starts_with("Flagctl-")),
        "{trailers:?}"
    );
    assert_eq!(
        repo.git(&["log", "-1", "--format=%(trailers:key=Approved-by)"])
            .trim(),
        ""
    );
    let run = repo.run(&["check", "--base", &base, "--format", "json"]);
    run.expect(1);
    assert!(
        run.stdout.contains("check/approvals-missing"),
        "{}",
        run.show()
    );
}

#[test]
fn a_change_cannot_silence_its_own_gate() {
    let repo = fixture();
    let base = repo.head();
    repo.write(
        "flagctl.yaml",
        format!(
            "{CONFIG}ignore:\n  - code: check/reason-missing\n    reason: x\n  - code: check/approvals-missing\n    reason: x\n"
        ),
    );
    repo.edit(
        "flags/prod/feature_a.yaml",
        "enabled: false",
        "enabled: true",
    );
    repo.commit("turn it on and silence the gate");
    let run = repo.run(&["check", "--base", &base, "--format", "json"]);
    run.expect(1);
    assert!(
        run.stdout.contains("check/approvals-missing")
            && run.stdout.contains("check/reason-missing"),
        "{}",
        run.show()
    );
}

#[test]
fn an_owner_cannot_write_a_codeowners_rule_of_its_own() {
    let repo = fixture();
    repo.edit(
        "flags/prod/feature_a.yaml",
        "owner: team-test",
        "owner: \"team\\n/flagctl.yaml @mallory\"",
    );
    repo.commit("a forged owner");
    validate_finds_only(&repo, "rule/owner", "flags/prod/feature_a.yaml", (4, 8));
    let run = repo.run(&["codeowners"]);
    run.refused(&["flags/prod/feature_a.yaml:4:8", "owner"]);
    assert!(!run.stderr.contains("\n/flagctl.yaml"), "{}", run.show());

    // Every other shape that would end the word, start a comment or name another path.
    for owner in [
        "team /flagctl.yaml",
        "team#x",
        "/flagctl.yaml",
        "*",
        "@org/",
        "team\\r",
        "team\\e[2J",
        "a@b@c",
    ] {
        repo.write(
            "flags/prod/feature_a.yaml",
            flag("feature_a", "1.0.0", false)
                .replace("owner: team-test", &format!("owner: \"{owner}\"")),
        );
        let run = repo.run(&["validate", "--format", "json"]);
        run.expect(1);
        assert_eq!(
            crate::support::codes(&run.report()),
            vec!["rule/owner"],
            "{owner}"
        );
        repo.run(&["codeowners"])
            .refused(&["flags/prod/feature_a.yaml:4:8"]);
    }
    repo.run(&["explain", "rule/owner"]).expect(0);
}

#[test]
fn owners_of_every_allowed_shape_reach_codeowners_as_one_word() {
    let repo = fixture();
    for (env, owner) in [
        ("dev", "team-web"),
        ("staging", "\"@acme/web\""),
        ("prod", "ann.author+flags@example.com"),
    ] {
        repo.edit(
            &format!("flags/{env}/feature_a.yaml"),
            "owner: team-test",
            &format!("owner: {owner}"),
        );
    }
    repo.write(
        "flags/dev/check out/feature_b.yaml",
        flag("feature_b", "1.0.0", false),
    );
    repo.commit("owners");
    repo.run(&["validate"]).expect(0);
    let run = repo.run(&["codeowners"]);
    run.expect(0);
    let lines: Vec<&str> = run.stdout.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        lines,
        vec![
            "/flags/dev/check\\ out/feature_b.yaml @team-test",
            "/flags/dev/feature_a.yaml @team-web",
            "/flags/prod/feature_a.yaml ann.author+flags@example.com",
            "/flags/staging/feature_a.yaml @acme/web",
        ],
        "{}",
        run.show()
    );
}

#[test]
fn a_path_codeowners_would_read_as_a_glob_is_refused() {
    let repo = fixture();
    repo.write(
        "flags/prod/a*/feature_b.yaml",
        flag("feature_b", "1.0.0", false),
    );
    repo.commit("a folder named like a glob");
    repo.run(&["codeowners"])
        .refused(&["flags/prod/a*/feature_b.yaml", "`*`"]);
}

#[test]
fn approvers_are_owners_checked_where_they_are_written() {
    let repo = fixture();
    repo.write(
        "flagctl.yaml",
        format!("{CONFIG}    approvers: [\"@acme/rm\", \"@acme/sre\\n/flagctl.yaml @mallory\"]\n"),
    );
    repo.commit("a forged approver");
    for args in [
        &["validate"][..],
        &["codeowners"],
        &["toggle", "feature_a", "--env", "dev", "on"],
    ] {
        repo.run(args).refused(&["flagctl.yaml:7:", "not an owner"]);
    }
}

#[test]
fn a_flag_name_is_one_word_whatever_the_naming_pattern_allows() {
    let repo = fixture();
    repo.write("flagctl.yaml", format!("{CONFIG}naming: '.*'\n"));
    repo.write("flags/dev/a#b.yaml", flag("\"a#b\"", "1.0.0", false));
    repo.commit("a name with a comment sign");
    validate_finds_only(&repo, "rule/naming", "flags/dev/a#b.yaml", (1, 7));
    for name in ["a b", "a#b", "_a", "a*"] {
        repo.run(&["new", name, "-t", "release"])
            .refused(&["cannot be a flag's name"]);
    }
}

/// Runs `validate` and asserts it fails with one finding: `code` at `path`, (line, column).
#[track_caller]
fn validate_finds_only(repo: &Repo, code: &str, path: &str, (line, column): (u64, u64)) -> Run {
    let run = repo.run(&["validate", "--format", "json"]);
    run.expect(1);
    assert_eq!(
        crate::support::placed(&run.report()),
        vec![(code.to_owned(), path.to_owned(), line, column)],
        "{}",
        run.show()
    );
    run
}

#[test]
fn a_segment_name_is_one_word_too() {
    let repo = fixture();
    for (stem, name, column) in [
        ("a b", "\"a b\"", 7),
        ("x", "\"staff\\n/flagctl.yaml @mallory\"", 7),
        ("_hidden", "_hidden", 7),
    ] {
        repo.write(
            &format!("segments/{stem}.yaml"),
            format!(
                "name: {name}\ndescription: Employees\nwhen:\n  - {{ attribute: email, op: ends_with, value: \"@example.com\" }}\n"
            ),
        );
        repo.commit("a segment whose name is not a word");
        let run = validate_finds_only(
            &repo,
            "rule/naming",
            &format!("segments/{stem}.yaml"),
            (1, column),
        );
        assert!(
            run.stdout.contains("cannot be a segment's name"),
            "{}",
            run.show()
        );
        repo.remove(&format!("segments/{stem}.yaml"));
        repo.commit("gone");
    }
    repo.run(&["validate"]).expect(0);
}

#[test]
fn a_start_folder_above_the_repository_written_through_it_is_not_the_repository() {
    let repo = fixture();
    // `templates/../..` is the folder that holds the repository, not a folder inside it.
    let run = repo.run(&[
        "-C",
        "templates/../..",
        "toggle",
        "feature_a",
        "--env",
        "dev",
        "on",
        "--yes",
    ]);
    run.refused(&["no flag repository"]);
    repo.run(&["-C", "templates/../..", "status"])
        .refused(&["no flag repository"]);
}
