//! Rules across files and configuration, on repositories built in temporary folders: `--strict`,
//! expiry dates, duplicate names, segments (shared and per environment), `ignore:`.

use crate::support::{Repo, Run, findings, flag_yaml, placed};

/// A repository whose only finding is an expired flag when `now` is past 2026-03-01.
fn expiring_repo() -> Repo {
    let repo = Repo::new();
    repo.flag("flags/dev/feature_promo.yaml", "expires: 2026-03-01\n");
    repo
}

fn validate_at(repo: &Repo, now: &str, args: &[&str]) -> Run {
    repo.cmd(&["validate"])
        .args(args)
        .env("FLAGCTL_NOW", now)
        .run()
}

#[test]
fn an_expired_flag_is_a_warning_that_fails_only_under_strict() {
    let repo = expiring_repo();
    let now = "2026-03-02T00:00:00Z";
    let lenient = validate_at(&repo, now, &["--format", "json"]);
    lenient.expect(0);
    let doc = lenient.json();
    assert_eq!(
        placed(&doc),
        [(
            "rule/expired".to_owned(),
            "flags/dev/feature_promo.yaml".to_owned(),
            9,
            10
        )]
    );
    assert_eq!(findings(&doc)[0]["severity"], "warning");

    let strict = validate_at(&repo, now, &["--format", "json", "--strict"]);
    strict.expect(1);
    // Still reported as a warning: --strict changes the exit code, not the severity.
    let doc = strict.json();
    assert_eq!(findings(&doc)[0]["severity"], "warning");
    assert_eq!(doc["summary"]["warnings"], 1);
    assert_eq!(doc["summary"]["errors"], 0);

    let human = validate_at(&repo, now, &["--strict", "--color", "never"]);
    human.expect(1);
    assert!(
        human
            .stdout
            .contains("warning[rule/expired]: flag expired on 2026-03-01"),
        "{}",
        human.stdout
    );
}

#[test]
fn an_expiry_date_holds_through_that_day_utc() {
    let repo = expiring_repo();
    for now in [
        "2026-02-28T12:00:00Z",
        "2026-03-01T00:00:00Z",
        "2026-03-01T23:59:59Z",
        // 23:30 UTC on the 1st, though already the 2nd in Berlin.
        "2026-03-02T00:30:00+01:00",
    ] {
        let out = validate_at(&repo, now, &["--strict"]);
        out.expect(0);
        assert!(
            out.stdout.contains("no problems"),
            "at {now}: {}",
            out.stdout
        );
    }
    for now in [
        "2026-03-02T00:00:00Z",
        // 00:30 UTC on the 2nd, though still the 1st in New York.
        "2026-03-01T19:30:00-05:00",
        "2030-01-01T00:00:00Z",
    ] {
        let out = validate_at(&repo, now, &["--strict", "--format", "json"]);
        out.expect(1);
        let codes: Vec<_> = placed(&out.json()).into_iter().map(|(c, ..)| c).collect();
        assert_eq!(codes, ["rule/expired"], "at {now}");
    }
}

#[test]
fn strict_does_not_fail_a_clean_repository() {
    let repo = Repo::new();
    repo.flag("flags/dev/feature_a.yaml", "");
    repo.run(&["validate", "--strict"]).expect(0);
}

#[test]
fn a_name_used_twice_in_one_environment_is_an_error_across_group_folders() {
    let repo = Repo::new();
    repo.flag("flags/dev/checkout/feature_x.yaml", "")
        .flag("flags/dev/search/feature_x.yaml", "")
        // The same name in another environment is the same flag, promoted: no finding.
        .flag("flags/prod/feature_x.yaml", "");
    let doc = repo.report(&["validate"], 1);
    assert_eq!(
        placed(&doc),
        [(
            "rule/duplicate-name".to_owned(),
            "flags/dev/search/feature_x.yaml".to_owned(),
            1,
            7
        )]
    );
    let f = &findings(&doc)[0];
    assert_eq!(f["flag"], "feature_x");
    assert_eq!(f["env"], "dev");
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("flags/dev/checkout/feature_x.yaml")),
        "{f}"
    );
}

const STAFF_SEGMENT: &str = "name: staff\ndescription: Employees\nwhen:\n  - { attribute: email, op: ends_with, value: \"@example.com\" }\n";

fn with_segment_rule(segment: &str) -> String {
    format!("rules:\n  - name: r\n    segment: {segment}\n    serve: \"on\"\n")
}

#[test]
fn an_unknown_segment_is_reported_with_a_did_you_mean() {
    let repo = Repo::new();
    repo.write("segments/staff.yaml", STAFF_SEGMENT)
        .flag("flags/dev/feature_ok.yaml", &with_segment_rule("staff"))
        .flag("flags/dev/feature_typo.yaml", &with_segment_rule("staf"));
    let doc = repo.report(&["validate"], 1);
    assert_eq!(
        placed(&doc),
        [(
            "rule/unknown-segment".to_owned(),
            "flags/dev/feature_typo.yaml".to_owned(),
            11,
            14
        )]
    );
    let f = &findings(&doc)[0];
    assert_eq!(f["help"], "did you mean \"staff\"?");
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("\"staf\"")),
        "{f}"
    );
}

#[test]
fn a_per_environment_segment_is_known_in_that_environment_only() {
    let repo = Repo::new();
    repo.write(
        "segments/dev/beta.yaml",
        STAFF_SEGMENT.replace("name: staff", "name: beta"),
    )
    .flag("flags/dev/feature_x.yaml", &with_segment_rule("beta"))
    .flag("flags/prod/feature_x.yaml", &with_segment_rule("beta"));
    let doc = repo.report(&["validate"], 1);
    assert_eq!(
        placed(&doc),
        [(
            "rule/unknown-segment".to_owned(),
            "flags/prod/feature_x.yaml".to_owned(),
            11,
            14
        )]
    );
    assert_eq!(findings(&doc)[0]["env"], "prod");
}

#[test]
fn a_per_environment_segment_overrides_the_shared_one_without_hiding_it_elsewhere() {
    // segments/staff.yaml is shared; segments/dev/staff.yaml overrides it in dev. Both
    // environments know `staff`.
    let repo = Repo::new();
    repo.write("segments/staff.yaml", STAFF_SEGMENT)
        .write("segments/dev/staff.yaml", STAFF_SEGMENT)
        .flag("flags/dev/feature_x.yaml", &with_segment_rule("staff"))
        .flag("flags/prod/feature_x.yaml", &with_segment_rule("staff"));
    let doc = repo.report(&["validate"], 0);
    assert!(findings(&doc).is_empty(), "{doc:#}");
}

#[test]
fn ignore_silences_one_code_for_one_flag() {
    let repo = Repo::new();
    repo.write(
        "flagctl.yaml",
        "environments:\n  - name: dev\nignore:\n  - code: rule/expired\n    flag: ops_kill_switch\n    reason: a permanent kill switch\n",
    )
    .flag("flags/dev/ops_kill_switch.yaml", "expires: 2020-01-01\n")
    .flag("flags/dev/feature_old.yaml", "expires: 2020-01-01\n");
    // feature_old is not covered by the entry: still reported, and --strict fails on it.
    let doc = repo.report(&["validate", "--strict"], 1);
    assert_eq!(
        placed(&doc),
        [(
            "rule/expired".to_owned(),
            "flags/dev/feature_old.yaml".to_owned(),
            9,
            10
        )]
    );

    // With the other flag ignored too, nothing is left.
    repo.write(
        "flagctl.yaml",
        "environments:\n  - name: dev\nignore:\n  - code: rule/expired\n    flag: ops_kill_switch\n    reason: a permanent kill switch\n  - code: rule/expired\n    flag: feature_old\n    reason: removed next sprint\n",
    );
    let doc = repo.report(&["validate", "--strict"], 0);
    assert!(findings(&doc).is_empty(), "{doc:#}");
}

#[test]
fn ignore_matches_the_code_not_just_the_flag() {
    let repo = Repo::new();
    repo.write(
        "flagctl.yaml",
        "ignore:\n  - code: rule/naming\n    flag: feature_typo\n    reason: not this code\n",
    )
    .write("segments/staff.yaml", STAFF_SEGMENT)
    .flag("flags/dev/feature_typo.yaml", &with_segment_rule("staf"));
    let doc = repo.report(&["validate"], 1);
    let codes: Vec<_> = placed(&doc).into_iter().map(|(c, ..)| c).collect();
    // The entry silenced nothing, which is itself reported.
    assert_eq!(codes, ["config/unused-ignore", "rule/unknown-segment"]);
}

const IGNORING: &str = "\
environments:
  - name: dev
  - name: staging
  - name: prod
ignore:
  - code: rule/expired
    flag: ops_kill_switch
    reason: a permanent kill switch
  - code: rule/expired
    flag: feature_gone
    reason: retired last month
  - code: drift/state
    flag: ops_kill_switch
    reason: prod runs it differently
";

/// As ruff reports an unused `noqa`: an entry that silenced nothing is a finding at its line and
/// column in flagctl.yaml, from the commands that judge its code over the whole repository.
#[test]
fn an_ignore_entry_that_silences_nothing_is_reported() {
    let repo = Repo::with_git();
    repo.write("flagctl.yaml", IGNORING);
    for env in ["dev", "staging", "prod"] {
        repo.flag(
            &format!("flags/{env}/ops_kill_switch.yaml"),
            "expires: 2020-01-01\n",
        );
    }
    repo.commit("init");
    let unused = |args: &[&str]| -> Vec<(String, String, u64, u64)> {
        let out = repo.run(args);
        out.expect(0);
        placed(&out.report())
            .into_iter()
            .filter(|(code, ..)| code == "config/unused-ignore")
            .collect()
    };
    let at = |line: u64| {
        (
            "config/unused-ignore".to_owned(),
            "flagctl.yaml".to_owned(),
            line,
            11,
        )
    };
    // validate judges rule/ codes: the feature_gone entry; the ops_kill_switch one silenced both
    // environments' expiry.
    assert_eq!(unused(&["validate", "--format", "json"]), [at(9)]);
    // diff judges drift/ codes over the whole chain: the environments agree, so nothing to
    // silence.
    assert_eq!(unused(&["diff", "--format", "json"]), [at(12)]);
    assert_eq!(unused(&["status", "--format", "json"]), [at(12)]);
    assert_eq!(unused(&["diff", "dev", "prod", "--format", "json"]), []);
    // A narrowed run judged only part of the repository, so it cannot tell.
    assert_eq!(unused(&["validate", "flags/dev", "--format", "json"]), []);
    assert_eq!(unused(&["diff", "staging", "prod", "--format", "json"]), []);
    // Not a failure, unless warnings are.
    repo.run(&["validate", "--strict"]).expect(1);

    // In every format, at flagctl.yaml:9:11.
    for format in ["human", "github", "markdown", "sarif", "gitlab"] {
        let out = repo.run(&["validate", "--format", format, "--color", "never"]);
        out.expect(0);
        assert!(
            out.stdout.contains("config/unused-ignore") && out.stdout.contains("flagctl.yaml"),
            "{format}: {}",
            out.show()
        );
        assert!(
            [
                "flagctl.yaml:9:11",
                "line=9,col=11",
                "\"startLine\": 9",
                "\"begin\": 9"
            ]
            .iter()
            .any(|place| out.stdout.contains(place)),
            "{format} names the place: {}",
            out.show()
        );
    }
    let explained = repo.run(&["explain", "config/unused-ignore"]);
    explained.expect(0);
    assert!(explained.stdout.contains("noqa"), "{}", explained.show());
}

#[test]
fn a_listed_environment_without_a_folder_is_empty_not_an_error() {
    let repo = Repo::new();
    repo.write(
        "flagctl.yaml",
        "environments:\n  - name: dev\n  - name: staging\n  - name: prod\n",
    )
    .flag("flags/dev/feature_a.yaml", "");
    repo.run(&["validate"]).expect(0);
}

#[test]
fn lifecycle_policy_comes_from_the_configuration() {
    let repo = Repo::new();
    repo.write(
        "flagctl.yaml",
        "environments:\n  - name: dev\n  - name: prod\n    allowed_lifecycle: [approved, deprecated]\n",
    )
    .write(
        "flags/dev/feature_a.yaml",
        flag_yaml("feature_a", "").replace("lifecycle: approved", "lifecycle: draft"),
    )
    .write(
        "flags/prod/feature_a.yaml",
        flag_yaml("feature_a", "").replace("lifecycle: approved", "lifecycle: draft"),
    );
    let doc = repo.report(&["validate"], 1);
    assert_eq!(
        placed(&doc),
        [(
            "rule/lifecycle".to_owned(),
            "flags/prod/feature_a.yaml".to_owned(),
            6,
            12
        )]
    );
}

#[test]
fn rules_and_flags_must_say_what_they_serve_and_only_one_way() {
    let repo = Repo::new();
    repo.write(
        "flags/dev/feature_rules.yaml",
        flag_yaml(
            "feature_rules",
            "rules:\n  - name: nothing served\n    tenants: [acme]\n  - name: both\n    tenants: [globex]\n    serve: \"on\"\n    rollout: { \"on\": 50, \"off\": 50 }\n",
        ),
    );
    repo.write(
        "flags/dev/feature_text.yaml",
        "name: feature_text\nversion: 1.0.0\ndescription: d\nowner: o\nlifecycle: draft\ntype: string\nvariants: { a: x, b: y }\ndefault: a\nenabled: true\n",
    );
    let doc = repo.report(&["validate"], 1);
    let mut found: Vec<(String, String, u64, u64)> = placed(&doc);
    found.sort();
    assert_eq!(
        found,
        [
            (
                "rule/ambiguous-serve".to_owned(),
                "flags/dev/feature_rules.yaml".to_owned(),
                15,
                5
            ),
            (
                "rule/missing-serve".to_owned(),
                "flags/dev/feature_rules.yaml".to_owned(),
                10,
                5
            ),
            (
                "rule/missing-serve".to_owned(),
                "flags/dev/feature_text.yaml".to_owned(),
                1,
                1
            ),
        ]
    );
}
