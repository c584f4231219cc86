//! Flag test results recorded in git notes (`refs/notes/flagctl-tests`, written by
//! `flagctl test --record`): read leniently, so that a note from another flagctl version, or
//! none at all, never stops a report.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value as Json;

/// Passed and failed tests of a flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub passed: u32,
    pub failed: u32,
}

/// The results recorded for one commit.
#[derive(Debug, Clone, Serialize)]
pub struct TestRun {
    /// The commit they were recorded for, and how many commits HEAD is past it.
    pub commit: String,
    pub commits_behind: usize,
    /// Whether the note could be read as test results.
    pub readable: bool,
    pub passed: u32,
    pub failed: u32,
    #[serde(skip)]
    pub flags: HashMap<String, Tally>,
}

impl TestRun {
    /// Reads a note: one JSON document (an array of results, or an object holding one under
    /// `results`, `tests` or `cases`), or JSON Lines of results. A result names its `flag` and
    /// says `passed`/`ok` (true or false) or `status`/`outcome`/`result` (`pass`, `fail`, …).
    pub fn read(commit: String, commits_behind: usize, note: &[u8]) -> TestRun {
        let mut run = TestRun {
            commit,
            commits_behind,
            readable: false,
            passed: 0,
            failed: 0,
            flags: HashMap::new(),
        };
        let text = String::from_utf8_lossy(note);
        let items: Vec<Json> = match serde_json::from_str::<Json>(&text) {
            Ok(doc) => results(doc),
            Err(_) => text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .filter_map(|l| serde_json::from_str::<Json>(l).ok())
                .flat_map(results)
                .collect(),
        };
        for item in &items {
            let Some(passed) = outcome(item) else {
                continue;
            };
            run.readable = true;
            let tally = item
                .get("flag")
                .and_then(Json::as_str)
                .map(|flag| run.flags.entry(flag.to_owned()).or_default());
            if passed {
                run.passed += 1;
                if let Some(t) = tally {
                    t.passed += 1;
                }
            } else {
                run.failed += 1;
                if let Some(t) = tally {
                    t.failed += 1;
                }
            }
        }
        run
    }
}

/// The results a document holds.
fn results(doc: Json) -> Vec<Json> {
    match doc {
        Json::Array(items) => items,
        Json::Object(mut map) => {
            for key in ["results", "tests", "cases"] {
                if let Some(Json::Array(items)) = map.remove(key) {
                    return items;
                }
            }
            vec![Json::Object(map)]
        }
        _ => Vec::new(),
    }
}

/// Whether a result passed, if it says.
fn outcome(item: &Json) -> Option<bool> {
    for key in ["passed", "ok", "success"] {
        if let Some(b) = item.get(key).and_then(Json::as_bool) {
            return Some(b);
        }
    }
    let status = ["status", "outcome", "result"]
        .iter()
        .find_map(|k| item.get(*k).and_then(Json::as_str))?;
    match status.to_ascii_lowercase().as_str() {
        "pass" | "passed" | "ok" | "success" => Some(true),
        "fail" | "failed" | "failure" | "error" | "errored" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn reads_documents_and_lines() {
        let doc = br#"{"version": 1, "results": [
            {"flag": "a", "env": "prod", "passed": true},
            {"flag": "a", "env": "dev", "status": "failed"},
            {"flag": "b", "outcome": "pass"}]}"#;
        let run = TestRun::read("c".into(), 0, doc);
        assert!(run.readable);
        assert_eq!((run.passed, run.failed), (2, 1));
        assert_eq!(
            run.flags["a"],
            Tally {
                passed: 1,
                failed: 1
            }
        );
        let lines = b"{\"flag\": \"x\", \"ok\": false}\n\n{\"flag\": \"x\", \"ok\": true}\n";
        let run = TestRun::read("c".into(), 2, lines);
        assert_eq!(
            run.flags["x"],
            Tally {
                passed: 1,
                failed: 1
            }
        );
    }

    #[test]
    fn anything_else_is_unreadable_not_an_error() {
        for note in [&b"all good"[..], b"{}", b"[1, 2]", b"\xff\xfe"] {
            let run = TestRun::read("c".into(), 0, note);
            assert!(!run.readable);
            assert_eq!((run.passed, run.failed), (0, 0));
        }
    }
}
