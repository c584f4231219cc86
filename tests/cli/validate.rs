//! `flagctl validate`: clean repositories pass, `examples/broken` fails with the same report every
//! time, and PATH arguments narrow what is reported.

use crate::support::{Repo, findings, flagctl, placed, project_root, run};

#[test]
fn the_demo_repository_at_the_root_is_clean() {
    let out = run(flagctl().arg("validate"));
    out.expect(0);
    assert!(out.stdout.contains("no problems"), "{}", out.stdout);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn the_demo_repository_stays_clean_on_any_date() {
    // SPEC §1: the demo passes `validate` on any date (nothing in it may expire).
    for now in ["2000-01-01T00:00:00Z", "2099-12-31T23:59:59Z"] {
        let out = run(flagctl().env("FLAGCTL_NOW", now).arg("validate"));
        out.expect(0);
        assert!(
            out.stdout.contains("no problems"),
            "at {now}: {}",
            out.stdout
        );
    }
}

#[test]
fn examples_basic_is_clean() {
    let out = run(flagctl().args(["-C", "examples/basic", "validate"]));
    out.expect(0);
    assert!(out.stdout.contains("no problems"), "{}", out.stdout);
}

#[test]
fn lint_is_an_alias_of_validate() {
    let out = run(flagctl().args(["-C", "examples/broken", "lint", "--format", "json"]));
    out.expect(1);
    assert!(!findings(&out.json()).is_empty());
}

#[test]
fn examples_broken_human_report() {
    let out = run(flagctl().args(["validate", "examples/broken", "--color", "never"]));
    out.expect(1);
    assert!(
        !out.stdout.contains('\u{1b}'),
        "--color never prints no escapes"
    );
    insta::assert_snapshot!("broken_human", out.stdout);
}

#[test]
fn examples_broken_json_report() {
    let out = run(flagctl().args(["validate", "examples/broken", "--format", "json"]));
    out.expect(1);
    insta::assert_snapshot!("broken_json", out.stdout);
}

#[test]
fn a_repository_path_and_dash_c_give_the_same_report() {
    let by_path = run(flagctl().args(["validate", "examples/broken", "--format", "json"]));
    let by_dir = run(flagctl().args(["-C", "examples/broken", "validate", "--format", "json"]));
    by_path.expect(1);
    by_dir.expect(1);
    assert_eq!(by_path.stdout, by_dir.stdout);
}

#[test]
fn the_report_is_the_same_run_to_run() {
    // Files are checked in parallel; the report must not depend on which thread finished first.
    let args = ["-C", "examples/broken", "validate", "--format", "json"];
    let first = run(flagctl().args(args));
    for _ in 0..3 {
        assert_eq!(run(flagctl().args(args)).stdout, first.stdout);
    }
}

#[test]
fn a_file_path_narrows_the_report_to_that_file() {
    let out = run(flagctl().args([
        "-C",
        "examples/broken",
        "validate",
        "flags/dev/unknown_key.yaml",
        "--format",
        "json",
    ]));
    out.expect(1);
    let doc = out.json();
    assert_eq!(
        placed(&doc),
        [(
            "schema/unknown-key".to_owned(),
            "flags/dev/unknown_key.yaml".to_owned(),
            9,
            1
        )]
    );
    assert_eq!(doc["summary"]["files"], 1);
    assert_eq!(doc["summary"]["errors"], 1);
}

#[test]
fn a_folder_path_narrows_the_report_to_the_files_below_it() {
    let out = run(flagctl().args([
        "-C",
        "examples/broken",
        "validate",
        "flags/prod",
        "--format",
        "json",
    ]));
    out.expect(1);
    let doc = out.json();
    let codes: Vec<_> = placed(&doc).into_iter().map(|(c, p, ..)| (c, p)).collect();
    assert_eq!(
        codes,
        [(
            "rule/lifecycle".to_owned(),
            "flags/prod/lifecycle_not_allowed.yaml".to_owned()
        )]
    );
}

#[test]
fn the_human_report_of_a_narrowed_run_shows_only_that_file() {
    let out = run(flagctl().args([
        "-C",
        "examples/broken",
        "validate",
        "flags/dev/unknown_key.yaml",
        "--color",
        "never",
    ]));
    out.expect(1);
    assert!(out.stdout.contains("flags/dev/unknown_key.yaml:9:1"));
    assert!(
        !out.stdout.contains("BadName"),
        "other files' findings leak into a narrowed report:\n{}",
        out.stdout
    );
    assert!(out.stdout.contains("1 error in 1 file"), "{}", out.stdout);
}

#[test]
fn narrowing_to_a_clean_file_passes_even_when_others_fail() {
    let repo = Repo::new();
    repo.flag("flags/dev/good.yaml", "")
        .write("flags/dev/bad.yaml", "name: bad\n");
    let whole = repo.run(&["validate"]);
    whole.expect(1);
    let good = repo.run(&["validate", "flags/dev/good.yaml"]);
    good.expect(0);
    assert!(good.stdout.contains("no problems"), "{}", good.stdout);
    repo.run(&["validate", "flags/dev/bad.yaml"]).expect(1);
}

#[test]
fn narrowing_still_loads_the_whole_repository_for_cross_file_rules() {
    // The duplicate is reported at the second file; the first one must still be read.
    let out = run(flagctl().args([
        "-C",
        "examples/broken",
        "validate",
        "flags/dev/b",
        "--format",
        "json",
    ]));
    out.expect(1);
    let doc = out.json();
    let codes: Vec<_> = placed(&doc).into_iter().map(|(c, ..)| c).collect();
    assert_eq!(codes, ["rule/duplicate-name"]);
    let message = findings(&doc)[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("flags/dev/a/dup_name.yaml"), "{message}");
}

#[test]
fn paths_are_relative_to_the_repository_root_whatever_the_start_folder() {
    // Started from a group folder deep inside the repository, flagctl finds the root upward and
    // reports paths from it.
    let out = run(flagctl()
        .current_dir(project_root().join("examples/broken/flags/dev/a"))
        .args(["validate", "--format", "json"]));
    out.expect(1);
    let doc = out.json();
    assert!(
        placed(&doc)
            .iter()
            .any(|(_, path, ..)| path == "flags/dev/unknown_key.yaml"),
        "{doc:#}"
    );
}
