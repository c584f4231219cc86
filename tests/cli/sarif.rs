//! `--format sarif` and `--format gitlab`: the logs code scanning and GitLab's code quality
//! widget read, checked against the SARIF 2.1.0 schema and against the JSON report's findings.

use std::process::Command as Process;

use serde_json::Value as Json;

use crate::{Output, TempRepo, findings, flagctl, project_root, run, run_in};

fn broken(format: &str) -> Output {
    let out = run(flagctl().args(["-C", "examples/broken", "validate", "--format", format]));
    out.expect_code(1);
    out
}

/// The SARIF 2.1.0 schema (OASIS, vendored unchanged).
fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(project_root().join("schemas/sarif/sarif-schema-2.1.0.json"))
        .expect("the vendored SARIF schema");
    let schema: Json = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft4::new(&schema).expect("the SARIF schema compiles")
}

#[track_caller]
pub fn assert_valid_sarif(log: &Json) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
}

/// The vendored schema catches what a broken log gets wrong (so the validation above can fail).
#[test]
fn the_vendored_schema_rejects_a_broken_log() {
    let validator = sarif_validator();
    assert!(!validator.is_valid(&serde_json::json!({"version": "2.1.0", "runs": [{}]})));
    assert!(!validator.is_valid(&serde_json::json!({"version": "2.0.0", "runs": []})));
    assert!(validator.is_valid(&serde_json::json!({"version": "2.1.0", "runs": []})));
}

#[test]
fn sarif_is_schema_valid_and_holds_every_finding_at_its_place() {
    let sarif = broken("sarif").json();
    assert_valid_sarif(&sarif);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "flagctl");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");

    let json = broken("json").json();
    let expected = findings(&json);
    assert_eq!(results.len(), expected.len());
    for (result, finding) in results.iter().zip(expected) {
        assert_eq!(result["ruleId"], finding["code"], "{result}");
        let level = match finding["severity"].as_str() {
            Some("error") => "error",
            Some("warning") => "warning",
            _ => "note",
        };
        assert_eq!(result["level"], level, "{result}");
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], finding["code"], "ruleIndex of {result}");
        let place = &result["locations"][0]["physicalLocation"];
        let path = finding["path"].as_str().expect("a path");
        assert_eq!(
            place["artifactLocation"]["uri"],
            format!("examples/broken/{path}"),
            "paths are from the top of the git work tree"
        );
        assert_eq!(place["region"]["startLine"], finding["line"], "{result}");
        assert_eq!(place["region"]["startColumn"], finding["column"], "{result}");
        assert!(
            result["message"]["text"]
                .as_str()
                .is_some_and(|m| m.starts_with(finding["message"].as_str().unwrap_or("?"))),
            "{result}"
        );
    }
}

#[test]
fn sarif_rules_cover_every_code_with_its_explanation() {
    let sarif = run_in(project_root(), &["validate", "--format", "sarif"]).json();
    assert_valid_sarif(&sarif);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let listed = run(flagctl().arg("explain"));
    listed.expect_code(0);
    let codes: Vec<&str> = listed
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|code| !code.contains('<'))
        .collect();
    assert!(codes.len() > 20, "{codes:?}");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, codes, "one rule per code, in `explain` order");
    for rule in rules {
        let id = rule["id"].as_str().unwrap_or_default();
        let explained = run(flagctl().args(["explain", id]));
        let help = rule["help"]["text"].as_str().expect("help text");
        let long = explained.stdout.split("\n\n").last().unwrap_or_default().trim();
        assert!(help.starts_with(long), "{id}: help {help:?} is not `explain`'s {long:?}");
        assert!(
            matches!(
                rule["defaultConfiguration"]["level"].as_str(),
                Some("error" | "warning" | "note")
            ),
            "{rule}"
        );
    }
    assert_eq!(sarif["runs"][0]["results"], Json::Array(Vec::new()));
}

/// A flag repository in a folder of a larger git repository: result paths start at the top of
/// the work tree, where code scanning looks for them; a finding about no file (a commit's
/// policy) is shown on flagctl.yaml, as code scanning drops results without a location.
#[test]
fn sarif_paths_start_at_the_work_tree_and_policy_findings_point_at_the_config() {
    let tmp = TempRepo::new();
    let git = |args: &[&str]| {
        let status = Process::new("git")
            .current_dir(tmp.path())
            .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    tmp.write(
        "ops/flags repo/flagctl.yaml",
        "environments:\n  - name: dev\n  - name: prod\n    require_reason: true\n",
    );
    tmp.flag("ops/flags repo/flags/dev/feature_a.yaml", "");
    tmp.flag("ops/flags repo/flags/prod/feature_a.yaml", "");
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "base"]);
    git(&["branch", "base"]);
    tmp.flag(
        "ops/flags repo/flags/prod/feature_a.yaml",
        "description: changed\n",
    );
    std::fs::write(
        tmp.join("ops/flags repo/flags/prod/feature_a.yaml"),
        crate::flag_yaml("feature_a", "").replace("version: 1.0.0", "version: 1.0.1"),
    )
    .expect("write");
    git(&["commit", "-q", "-am", "prod change without a reason"]);

    let out = run_in(
        &tmp.join("ops/flags repo"),
        &["check", "--base", "base", "--format", "sarif"],
    );
    out.expect_code(1);
    let sarif = out.json();
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty(), "{sarif:#}");
    for result in results {
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_else(|| panic!("every result has a location: {result}"));
        assert!(uri.starts_with("ops/flags%20repo/"), "{uri}");
    }
    let json = run_in(&tmp.join("ops/flags repo"), &["check", "--base", "base", "--format", "json"]).json();
    let pathless: Vec<&Json> = findings(&json).iter().filter(|f| f["path"].is_null()).collect();
    assert!(!pathless.is_empty(), "a reason-policy finding names no file: {json:#}");
    for finding in pathless {
        let result = results
            .iter()
            .find(|r| r["ruleId"] == finding["code"] && r["message"]["text"].as_str().is_some_and(|m| m.starts_with(finding["message"].as_str().unwrap_or("?"))))
            .unwrap_or_else(|| panic!("no result for {finding}"));
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "ops/flags%20repo/flagctl.yaml"
        );
    }
}

#[test]
fn gitlab_code_quality_lists_every_finding_with_a_stable_fingerprint() {
    let report = broken("gitlab").json();
    let issues = report.as_array().expect("a JSON array");
    let json = broken("json").json();
    let expected = findings(&json);
    assert_eq!(issues.len(), expected.len());
    for (issue, finding) in issues.iter().zip(expected) {
        assert_eq!(issue["type"], "issue");
        assert_eq!(issue["check_name"], finding["code"]);
        assert!(
            issue["description"]
                .as_str()
                .is_some_and(|d| d.starts_with(finding["message"].as_str().unwrap_or("?"))),
            "{issue}"
        );
        let severity = match finding["severity"].as_str() {
            Some("error") => "major",
            Some("warning") => "minor",
            _ => "info",
        };
        assert_eq!(issue["severity"], severity);
        assert_eq!(
            issue["location"]["path"],
            format!("examples/broken/{}", finding["path"].as_str().unwrap_or("?"))
        );
        assert_eq!(issue["location"]["lines"]["begin"], finding["line"]);
        assert!(
            issue["fingerprint"].as_str().is_some_and(|f| f.len() == 64),
            "{issue}"
        );
    }
    let mut prints: Vec<&str> = issues.iter().filter_map(|i| i["fingerprint"].as_str()).collect();
    prints.sort_unstable();
    prints.dedup();
    assert_eq!(prints.len(), issues.len(), "fingerprints are unique");
    assert_eq!(broken("gitlab").json(), report, "and the same run to run");
}
