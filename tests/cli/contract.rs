//! The contract of what flagctl prints: every code a command reports can be explained.

use crate::support::{Repo, codes, demo};

/// A repository whose prod needs one approval, with one break-glass toggle in prod that nobody
/// approved since.
fn break_glass_repo() -> Repo {
    let repo = Repo::with_git();
    repo.write(
        "flagctl.yaml",
        "environments:\n  - name: dev\n  - name: prod\n    approvals: 1\n",
    )
    .flag("flags/dev/banner.yaml", "")
    .flag("flags/prod/banner.yaml", "");
    repo.commit("banner");
    repo.run(&[
        "toggle",
        "banner",
        "--env",
        "prod",
        "on",
        "--break-glass",
        "--reason",
        "INC-42",
        "--yes",
    ])
    .expect(0);
    repo
}

#[test]
fn every_code_a_report_names_can_be_explained() {
    let repo = break_glass_repo();
    let audit = repo.run(&["audit", "--format", "json"]).report();
    let reported = codes(&audit);
    assert!(reported.contains(&"audit/break-glass"), "{audit:#}");
    for code in reported {
        let out = demo(&["explain", code]);
        out.expect(0);
        assert!(
            out.stdout.starts_with(&format!("{code} (")),
            "{code}: {}",
            out.show()
        );
    }
}

/// `schemas/NAME`, compiled.
fn schema(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(crate::support::project_root().join("schemas").join(name))
        .expect("read the schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

#[track_caller]
fn assert_matches(validator: &jsonschema::Validator, doc: &serde_json::Value) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}\n{doc:#}", errors.join("\n"));
}

#[test]
fn every_json_document_matches_its_schema() {
    let repo = break_glass_repo();
    // A second change, approved, so that rows carry approvals and findings a commit.
    repo.edit("flags/dev/banner.yaml", "enabled: false", "enabled: true");
    repo.commit_with("banner on in dev", &["Approved-by: Bob <bob@example.com>"]);
    let report = schema("report.schema.json");
    for args in [
        &["validate", "--format", "json"][..],
        &["diff", "--format", "json"],
        &["status", "--format", "json"],
        &["check", "--base", "HEAD~2", "--format", "json"],
        &["audit", "--format", "json"],
        &["log", "banner", "--format", "json"],
    ] {
        let run = repo.run(args);
        assert!(matches!(run.code, Some(0 | 1)), "{}", run.show());
        let doc = run.json();
        assert_matches(&report, &doc);
        assert_eq!(doc["version"], 1, "{}", run.show());
    }
    let audit = repo.run(&["audit", "--format", "json"]).json();
    assert_eq!(
        audit["audit"].as_array().map(Vec::len),
        Some(3),
        "{audit:#}"
    );
    let log = repo.run(&["log", "banner", "--format", "json"]).json();
    assert!(
        log["log"].as_array().is_some_and(|rows| rows.len() >= 2),
        "{log:#}"
    );

    // And a move into a group folder, for an event of every shape.
    std::fs::create_dir_all(repo.join("flags/dev/web")).expect("group folder");
    repo.git(&["mv", "flags/dev/banner.yaml", "flags/dev/web/banner.yaml"]);
    repo.commit("group the banner");
    let event = schema("event.schema.json");
    let events = repo.run(&["events"]);
    events.expect(0);
    assert!(events.lines().len() >= 4, "{}", events.show());
    let mut kinds = Vec::new();
    for line in events.lines() {
        let doc: serde_json::Value = serde_json::from_str(line).expect("one JSON event a line");
        assert_matches(&event, &doc);
        kinds.push(doc["type"].as_str().unwrap_or_default().to_owned());
    }
    assert!(kinds.iter().any(|k| k == "flag.moved"), "{kinds:?}");
}
