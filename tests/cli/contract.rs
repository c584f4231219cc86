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

/// A repository with something for each listing: an app version a flag's `requires` excludes,
/// a flag past its `expires`, code that mentions one flag, and a dev change waiting for prod.
fn listings_repo() -> Repo {
    let repo = Repo::with_git();
    repo.write(
        "flagctl.yaml",
        "environments:\n  - name: dev\n  - name: prod\napp_versions: [4.1.0, 4.2.0]\n",
    )
    .flag("flags/dev/banner.yaml", "requires: \">=4.2.0\"\n")
    .flag("flags/prod/banner.yaml", "requires: \">=4.2.0\"\n")
    .flag("flags/dev/old_promo.yaml", "expires: 2026-01-01\n")
    .flag("flags/prod/old_promo.yaml", "expires: 2026-01-01\n")
    .write("app/main.rs", "fn main() { client.get(\"banner\"); }\n");
    repo.commit("flags");
    repo.edit("flags/dev/banner.yaml", "enabled: false", "enabled: true")
        .edit("flags/dev/banner.yaml", "version: 1.0.0", "version: 1.0.1")
        .edit(
            "flags/dev/banner.yaml",
            "description: A flag of the tests",
            "description: The banner",
        );
    repo.commit("banner on in dev");
    repo
}

#[test]
fn every_listing_matches_its_schema() {
    let repo = listings_repo();
    let report = schema("report.schema.json");
    let json = |args: &[&str]| {
        let run = repo.run(args);
        assert!(matches!(run.code, Some(0 | 1)), "{}", run.show());
        let doc = run.json();
        assert_matches(&report, &doc);
        doc
    };

    let stale = json(&["stale", "--code", "app", "--format", "json"]);
    let rows = stale["stale"].as_array().expect("stale rows");
    let row = |flag: &str| {
        rows.iter()
            .find(|r| r["flag"] == flag)
            .unwrap_or_else(|| panic!("{flag} in {stale:#}"))
    };
    assert_eq!(row("banner")["references"], 1, "{stale:#}");
    assert_eq!(row("banner")["first_reference"]["path"], "app/main.rs");
    assert_eq!(row("banner")["first_reference"]["line"], 1);
    assert!(
        row("old_promo")["codes"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c == "stale/expired")),
        "{stale:#}"
    );

    let compat = json(&["compat", "--env", "dev", "--matrix", "--format", "json"]);
    let banner = compat["compat"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["flag"] == "banner"))
        .unwrap_or_else(|| panic!("banner in {compat:#}"));
    assert_eq!(
        banner["versions"],
        serde_json::json!({"4.1.0": false, "4.2.0": true})
    );
    assert_eq!(banner["requires"], ">=4.2.0");
    assert_eq!(banner["enabled"], true);

    let site = json(&["report", "-o", "site", "--format", "json"]);
    assert_eq!(site["report"]["flags"], 2, "{site:#}");
    assert_eq!(site["report"]["environments"], 2, "{site:#}");
    let written: Vec<&str> = site["report"]["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(
        written.iter().any(|p| p.ends_with("report.json")),
        "{written:?}"
    );

    // The saved promotion plan has its own schema.
    let plan = schema("plan.schema.json");
    repo.run(&[
        "promote",
        "dev",
        "prod",
        "banner",
        "--plan",
        "release.json",
        "--reason",
        "r",
    ])
    .expect(0);
    let doc: serde_json::Value =
        serde_json::from_str(&repo.text("release.json")).expect("the plan is JSON");
    assert_matches(&plan, &doc);
    assert_eq!(doc["flags"][0]["name"], "banner", "{doc:#}");
    assert_eq!(doc["flags"][0]["from_version"], "1.0.1", "{doc:#}");
    assert_eq!(doc["flags"][0]["to_version"], "1.0.0", "{doc:#}");
}
