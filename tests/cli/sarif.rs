//! `--format sarif` and `--format gitlab`: the logs code scanning and GitLab's code quality
//! widget read, checked against the SARIF 2.1.0 schema and against the JSON report's findings.

use serde_json::Value as Json;

use crate::support::{Repo, Run, demo, findings, flag_yaml, project_root};

fn broken(format: &str) -> Run {
    let out = demo(&["-C", "examples/broken", "validate", "--format", format]);
    out.expect(1);
    out
}

/// The SARIF 2.1.0 schema (OASIS, vendored unchanged).
fn sarif_validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(project_root().join("schemas/sarif/sarif-schema-2.1.0.json"))
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
        assert_eq!(
            place["region"]["startColumn"], finding["column"],
            "{result}"
        );
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
    let sarif = demo(&["validate", "--format", "sarif"]).json();
    assert_valid_sarif(&sarif);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let listed = demo(&["explain"]);
    listed.expect(0);
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
        let explained = demo(&["explain", id]);
        let help = rule["help"]["text"].as_str().expect("help text");
        // `explain` prints the code, the summary, then the explanation.
        let long = explained
            .stdout
            .splitn(3, "\n\n")
            .nth(2)
            .unwrap_or_default()
            .trim();
        assert!(
            help.starts_with(long),
            "{id}: help {help:?} is not `explain`'s {long:?}"
        );
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
/// the work tree, where code scanning looks for them; code scanning drops a result without a
/// location, so a finding about no file at all is shown on flagctl.yaml.
#[test]
fn sarif_paths_start_at_the_work_tree_and_every_result_has_a_location() {
    let repo = Repo::with_git();
    let dir = "ops/flags repo";
    repo.write(
        &format!("{dir}/flagctl.yaml"),
        "environments:\n  - name: dev\n  - name: prod\n    require_reason: true\n",
    );
    repo.flag(&format!("{dir}/flags/dev/feature_a.yaml"), "");
    repo.flag(&format!("{dir}/flags/prod/feature_a.yaml"), "");
    repo.commit("base");
    repo.branch("base");
    repo.write(
        &format!("{dir}/flags/prod/feature_a.yaml"),
        flag_yaml("feature_a", "").replace("version: 1.0.0", "version: 1.0.1"),
    );
    repo.commit("prod change without a reason");

    let check = |format: &str| {
        repo.cmd(&["check", "--base", "base", "--format", format])
            .in_dir(dir)
            .run()
    };
    let out = check("sarif");
    out.expect(1);
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
    // A commit's policy breach names the file but no line: a location without a region.
    let reason = results
        .iter()
        .find(|r| r["ruleId"] == "check/reason-missing")
        .unwrap_or_else(|| panic!("the missing reason is reported: {sarif:#}"));
    let place = &reason["locations"][0]["physicalLocation"];
    assert_eq!(
        place["artifactLocation"]["uri"],
        "ops/flags%20repo/flags/prod/feature_a.yaml"
    );
    assert!(place.get("region").is_none(), "{reason}");
    // Any finding that names no file at all is shown on flagctl.yaml.
    let json = check("json").json();
    for finding in findings(&json).iter().filter(|f| f["path"].is_null()) {
        let message = finding["message"].as_str().unwrap_or("?");
        let result = results
            .iter()
            .find(|r| {
                r["ruleId"] == finding["code"]
                    && r["message"]["text"]
                        .as_str()
                        .is_some_and(|m| m.starts_with(message))
            })
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
            format!(
                "examples/broken/{}",
                finding["path"].as_str().unwrap_or("?")
            )
        );
        assert_eq!(issue["location"]["lines"]["begin"], finding["line"]);
        assert!(
            issue["fingerprint"].as_str().is_some_and(|f| f.len() == 64),
            "{issue}"
        );
    }
    let mut prints: Vec<&str> = issues
        .iter()
        .filter_map(|i| i["fingerprint"].as_str())
        .collect();
    prints.sort_unstable();
    prints.dedup();
    assert_eq!(prints.len(), issues.len(), "fingerprints are unique");
    assert_eq!(broken("gitlab").json(), report, "and the same run to run");
}
