//! `examples/broken`: every file is reported with the code its README promises, at a line and
//! column, in one run; and no file there passes silently.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value as Json;

use crate::support::{findings, flagctl, project_root, run};

/// One row of examples/broken/README.md: the file, the code it must produce, and for the rows
/// checked by hand against the file, the exact line and column of the finding.
struct Expected {
    path: &'static str,
    code: &'static str,
    at: Option<(u64, u64)>,
}

const fn row(path: &'static str, code: &'static str, at: Option<(u64, u64)>) -> Expected {
    Expected { path, code, at }
}

/// Positions marked here were counted by hand in the files:
/// - unknown_key: `tgas:` is the key on line 9 (the key, not its value);
/// - unknown_default_variant: `"of"` starts at column 10 of line 12 (`default: "of"`);
/// - duplicate_key: the second `owner:` is on line 8 (the first on line 5);
/// - non_utf8: line 4 is `description: Caf\xE9 …`, the bad byte is the 17th character;
/// - tab_indent: line 10 starts with the TAB;
/// - merge_conflict: `<<<<<<< HEAD` is line 10;
/// - missing_required: the mapping that lacks `owner` starts at line 2 (after a comment);
/// - enabled_yes: `yes` starts at column 10 of line 10;
/// - expired: the date starts at column 10 of line 9;
/// - whole-file problems (empty, too large, symlink) are at 1:1.
const EXPECTED: &[Expected] = &[
    row("flags/dev/syntax_error.yaml", "yaml/syntax", Some((6, 8))),
    row(
        "flags/dev/duplicate_key.yaml",
        "yaml/duplicate-key",
        Some((8, 1)),
    ),
    row(
        "flags/dev/tab_indent.yaml",
        "yaml/tab-indent",
        Some((10, 1)),
    ),
    row("flags/dev/non_utf8.yaml", "yaml/non-utf8", Some((4, 17))),
    row(
        "flags/dev/merge_conflict.yaml",
        "yaml/merge-conflict",
        Some((10, 1)),
    ),
    row("flags/dev/alias_bomb.yaml", "yaml/alias-limit", None),
    row("flags/dev/too_deep.yaml", "yaml/too-deep", None),
    row("flags/dev/too_large.yaml", "yaml/too-large", Some((1, 1))),
    row("flags/dev/empty.yaml", "yaml/empty", Some((1, 1))),
    row(
        "flags/dev/top_level_list.yaml",
        "yaml/not-a-mapping",
        Some((2, 1)),
    ),
    row(
        "flags/dev/top_level_scalar.yaml",
        "yaml/not-a-mapping",
        Some((2, 1)),
    ),
    row(
        "flags/dev/symlink_escape.yaml",
        "fs/symlink-escape",
        Some((1, 1)),
    ),
    row(
        "flags/dev/name_mismatch.yaml",
        "rule/name-mismatch",
        Some((2, 7)),
    ),
    row("flags/dev/BadName.yaml", "rule/naming", Some((2, 7))),
    row(
        "flags/dev/unknown_key.yaml",
        "schema/unknown-key",
        Some((9, 1)),
    ),
    row(
        "flags/dev/unknown_default_variant.yaml",
        "rule/unknown-variant",
        Some((12, 10)),
    ),
    row(
        "flags/dev/unknown_serve_variant.yaml",
        "rule/unknown-variant",
        Some((15, 8)),
    ),
    row(
        "flags/dev/unknown_rollout_variant.yaml",
        "rule/unknown-variant",
        Some((15, 25)),
    ),
    row(
        "flags/dev/rollout_sum.yaml",
        "rule/rollout-sum",
        Some((15, 10)),
    ),
    row(
        "flags/dev/rollout_negative.yaml",
        "rule/rollout-negative",
        Some((15, 35)),
    ),
    row(
        "flags/dev/unknown_segment.yaml",
        "rule/unknown-segment",
        Some((13, 14)),
    ),
    row(
        "flags/dev/variant_type.yaml",
        "rule/variant-type",
        Some((11, 9)),
    ),
    row("flags/dev/bad_version.yaml", "rule/semver", Some((3, 10))),
    row(
        "flags/dev/bad_requires.yaml",
        "rule/requires-range",
        Some((9, 11)),
    ),
    row(
        "flags/prod/lifecycle_not_allowed.yaml",
        "rule/lifecycle",
        Some((7, 12)),
    ),
    row("flags/dev/enabled_yes.yaml", "schema/type", Some((10, 10))),
    row(
        "flags/dev/missing_required.yaml",
        "schema/required",
        Some((2, 1)),
    ),
    row("flags/dev/expired.yaml", "rule/expired", Some((9, 10))),
    // The pair: the finding points at the second file and names the first.
    row(
        "flags/dev/b/dup_name.yaml",
        "rule/duplicate-name",
        Some((2, 7)),
    ),
];

fn broken_report() -> Json {
    // The alias bomb, the 100,000-level nesting and the 5 MB file must not hang the run: a timeout
    // turns a hang into a failure (the run takes well under a second).
    let out = run(flagctl()
        .args(["-C", "examples/broken", "validate", "--format", "json"])
        .timeout(std::time::Duration::from_secs(60)));
    out.expect(1);
    out.json()
}

fn at<'a>(doc: &'a Json, path: &str) -> Vec<&'a Json> {
    findings(doc).iter().filter(|f| f["path"] == path).collect()
}

#[test]
fn every_broken_file_reports_its_code_at_a_line_and_column() {
    let doc = broken_report();
    let mut failures = Vec::new();
    for expected in EXPECTED {
        let here = at(&doc, expected.path);
        let Some(finding) = here.iter().find(|f| f["code"] == expected.code) else {
            failures.push(format!(
                "{}: no {} finding (found: {:?})",
                expected.path,
                expected.code,
                here.iter().map(|f| &f["code"]).collect::<Vec<_>>()
            ));
            continue;
        };
        let (Some(line), Some(column)) = (finding["line"].as_u64(), finding["column"].as_u64())
        else {
            failures.push(format!("{}: no line and column: {finding}", expected.path));
            continue;
        };
        if line < 1 || column < 1 {
            failures.push(format!(
                "{}: positions are 1-based: {finding}",
                expected.path
            ));
        }
        if let Some(want) = expected.at {
            if (line, column) != want {
                failures.push(format!(
                    "{}: {} at {line}:{column}, expected {}:{}",
                    expected.path, expected.code, want.0, want.1
                ));
            }
        }
        // Apart from its one defect, each file is a valid flag: one finding, not a cascade.
        if here.len() != 1 {
            failures.push(format!(
                "{}: expected only {}, found {:?}",
                expected.path,
                expected.code,
                here.iter().map(|f| &f["code"]).collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_expected_table_covers_every_finding() {
    let doc = broken_report();
    let expected: BTreeSet<(&str, &str)> = EXPECTED.iter().map(|e| (e.path, e.code)).collect();
    let unexpected: Vec<_> = findings(&doc)
        .iter()
        .filter(|f| {
            let key = (
                f["path"].as_str().unwrap_or_default(),
                f["code"].as_str().unwrap_or_default(),
            );
            !expected.contains(&key)
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "findings not in the README's table: {unexpected:#?}"
    );
}

#[test]
fn findings_carry_the_flag_and_environment_of_their_file() {
    let doc = broken_report();
    for f in findings(&doc) {
        let path = f["path"].as_str().expect("every finding here has a path");
        let env = path.split('/').nth(1).expect("flags/<env>/…");
        assert_eq!(f["env"], env, "{f}");
        assert!(f["flag"].is_string(), "{f}");
    }
}

#[test]
fn the_duplicate_name_finding_names_the_first_file() {
    let doc = broken_report();
    let dup = at(&doc, "flags/dev/b/dup_name.yaml");
    let message = dup[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("flags/dev/a/dup_name.yaml"), "{message}");
    assert!(at(&doc, "flags/dev/a/dup_name.yaml").is_empty());
}

#[test]
fn did_you_mean_helps_are_given() {
    let doc = broken_report();
    let help = |path: &str| {
        at(&doc, path)
            .first()
            .and_then(|f| f["help"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(help("flags/dev/unknown_key.yaml"), "did you mean \"tags\"?");
    assert_eq!(
        help("flags/dev/unknown_default_variant.yaml"),
        "did you mean \"off\"?"
    );
    assert_eq!(
        help("flags/dev/unknown_serve_variant.yaml"),
        "did you mean \"onepage\"?"
    );
    assert!(help("flags/dev/enabled_yes.yaml").contains("YAML 1.2"));
}

#[test]
fn the_expired_flag_is_the_only_warning() {
    let doc = broken_report();
    let warnings: Vec<_> = findings(&doc)
        .iter()
        .filter(|f| f["severity"] != "error")
        .map(|f| (&f["severity"], &f["code"]))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, "warning");
    assert_eq!(warnings[0].1, "rule/expired");
}

/// Every file under `dir`, symbolic links included (not followed), relative to `base`.
fn files_below(base: &Path, dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read examples/broken")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let meta = std::fs::symlink_metadata(&path).expect("metadata");
        if meta.is_dir() {
            files_below(base, &path, out);
        } else {
            let rel = path.strip_prefix(base).expect("below base");
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn no_file_of_examples_broken_passes_silently() {
    let base = project_root().join("examples/broken");
    let mut files = Vec::new();
    files_below(&base, &base.join("flags"), &mut files);
    assert!(files.len() >= 30, "examples/broken lost files: {files:?}");
    let doc = broken_report();
    // A duplicate name is one finding, at the second file; its message names the first.
    let silent: Vec<_> = files
        .iter()
        .filter(|file| {
            !findings(&doc).iter().any(|f| {
                f["path"] == file.as_str()
                    || f["message"]
                        .as_str()
                        .is_some_and(|m| m.contains(file.as_str()))
            })
        })
        .collect();
    assert!(silent.is_empty(), "files with no finding: {silent:?}");
    assert_eq!(doc["summary"]["files"], files.len());
}
