//! Reading `--format json` findings reports.

use std::sync::OnceLock;

use serde_json::Value as Json;

/// The findings of a report.
#[track_caller]
pub fn findings(doc: &Json) -> &[Json] {
    doc["findings"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("no findings array in {doc:#}"))
}

/// The code of every finding, in the report's order.
#[track_caller]
pub fn codes(doc: &Json) -> Vec<&str> {
    findings(doc)
        .iter()
        .map(|f| f["code"].as_str().unwrap_or_default())
        .collect()
}

/// `(code, path, line, column)` of every finding, for compact comparisons.
#[track_caller]
pub fn placed(doc: &Json) -> Vec<(String, String, u64, u64)> {
    findings(doc)
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["line"].as_u64().unwrap_or(0),
                f["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// The findings of `code`.
#[track_caller]
pub fn with_code<'a>(doc: &'a Json, code: &str) -> Vec<&'a Json> {
    findings(doc).iter().filter(|f| f["code"] == code).collect()
}

/// The one finding of `code` (fails when there are none or several).
#[track_caller]
pub fn one<'a>(doc: &'a Json, code: &str) -> &'a Json {
    let found = with_code(doc, code);
    assert_eq!(found.len(), 1, "one {code} finding expected in {doc:#}");
    found[0]
}

/// The findings about `flag`.
#[track_caller]
pub fn of_flag<'a>(doc: &'a Json, flag: &str) -> Vec<&'a Json> {
    findings(doc).iter().filter(|f| f["flag"] == flag).collect()
}

/// Asserts that `finding` has each key of `expected` (a JSON object) with that value.
#[track_caller]
pub fn assert_has(finding: &Json, expected: Json) {
    for (key, value) in expected.as_object().expect("an object of expected keys") {
        assert_eq!(
            &finding[key.as_str()],
            value,
            "{key} of the finding\n{finding:#}"
        );
    }
}

/// Asserts that `doc` matches `schemas/report.schema.json`.
#[track_caller]
pub fn assert_valid_report(doc: &Json) {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let text =
            std::fs::read_to_string(super::project_root().join("schemas/report.schema.json"))
                .expect("read the report schema");
        let schema: Json = serde_json::from_str(&text).expect("the report schema is JSON");
        jsonschema::validator_for(&schema).expect("the report schema compiles")
    });
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the report does not match schemas/report.schema.json:\n{}\n{doc:#}",
        errors.join("\n")
    );
}
