//! `--format json|github|markdown` and `--color`: the shapes CI and editors parse.

use serde_json::Value as Json;

use crate::support::{Repo, Run, findings, flagctl, run};

fn broken(args: &[&str]) -> Run {
    let out = run(flagctl()
        .args(["-C", "examples/broken", "validate"])
        .args(args));
    out.expect(1);
    out
}

#[test]
fn the_json_envelope_has_version_findings_and_summary() {
    let doc = broken(&["--format", "json"]).json();
    assert_eq!(doc["version"], 1);
    let keys: Vec<&str> = doc
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    for key in ["version", "findings", "summary"] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    let list = findings(&doc);
    assert!(!list.is_empty());
    for f in list {
        for key in [
            "code", "severity", "message", "path", "line", "column", "flag", "env",
        ] {
            assert!(f.get(key).is_some(), "finding without {key:?}: {f}");
        }
        assert!(f["code"].as_str().is_some_and(|c| c.contains('/')), "{f}");
        assert!(
            matches!(f["severity"].as_str(), Some("error" | "warning" | "info")),
            "{f}"
        );
        assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
    }
}

#[test]
fn the_json_summary_counts_the_findings() {
    let doc = broken(&["--format", "json"]).json();
    let count = |severity: &str| {
        findings(&doc)
            .iter()
            .filter(|f| f["severity"] == severity)
            .count()
    };
    let summary = &doc["summary"];
    for key in ["errors", "warnings", "infos", "files"] {
        assert!(summary[key].is_u64(), "summary.{key} in {summary}");
    }
    assert_eq!(summary["errors"], count("error"));
    assert_eq!(summary["warnings"], count("warning"));
    assert_eq!(summary["infos"], count("info"));
    assert_eq!(summary["files"], 30);
}

#[test]
fn a_clean_repository_is_an_empty_envelope() {
    let repo = Repo::new();
    repo.flag("flags/dev/feature_a.yaml", "");
    let doc = repo.report(&["validate"], 0);
    assert_eq!(
        doc,
        serde_json::json!({
            "version": 1,
            "findings": [],
            "summary": {"errors": 0, "warnings": 0, "infos": 0, "files": 1}
        })
    );
}

#[test]
fn findings_without_a_flag_or_environment_say_null() {
    // A file that is not a mapping has no flag name but still a path, line and environment; the
    // keys are there with `null` where nothing applies, never missing.
    let repo = Repo::new();
    repo.write("segments/staff.yaml", "- not a segment\n")
        .flag("flags/dev/feature_a.yaml", "");
    let doc = repo.report(&["validate"], 1);
    let f = &findings(&doc)[0];
    assert_eq!(f["path"], "segments/staff.yaml");
    assert_eq!(f["env"], Json::Null);
    assert_eq!(f["flag"], Json::Null);
}

#[test]
fn github_format_is_one_annotation_per_finding() {
    let out = broken(&["--format", "github"]);
    let count = broken(&["--format", "json"]).json()["findings"]
        .as_array()
        .map_or(0, Vec::len);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let (annotations, rest): (Vec<&str>, Vec<&str>) =
        lines.iter().partition(|l| l.starts_with("::"));
    assert_eq!(annotations.len(), count, "{}", out.stdout);
    for line in &annotations {
        assert!(
            line.starts_with("::error file=") || line.starts_with("::warning file="),
            "{line}"
        );
        assert!(line.contains(",line=") && line.contains(",col="), "{line}");
    }
    assert!(
        annotations.contains(
            &"::warning file=flags/dev/expired.yaml,line=9,col=10,title=flagctl rule/expired::flag expired on 2020-01-01%0Ahelp: retire the flag with `flagctl retire`, or move `expires` with a reason"
        ),
        "{}",
        out.stdout
    );
    // Anything else is the one summary line, which GitHub shows in the log as is.
    assert_eq!(
        rest,
        ["flagctl validate: 28 errors, 1 warning in 30 files"],
        "{}",
        out.stdout
    );
}

#[test]
fn github_annotations_escape_newlines_and_separators() {
    // A message spanning lines would end the workflow command early: newlines are %0A.
    let out = broken(&["--format", "github"]);
    for line in out.stdout.lines().filter(|l| l.starts_with("::")) {
        let (properties, _message) = line[2..].split_once("::").expect("::level props::message");
        for property in properties.split(',').skip(1) {
            assert!(property.contains('='), "unescaped ',' in {line}");
        }
    }
}

#[test]
fn markdown_format_is_a_table() {
    let out = broken(&["--format", "markdown"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("### ") && lines[0].contains("28 errors, 1 warning in 30 files"),
        "{}",
        out.stdout
    );
    let header = lines
        .iter()
        .position(|l| *l == "| | Code | Where | Message |")
        .unwrap_or_else(|| panic!("no table header in\n{}", out.stdout));
    assert_eq!(lines[header + 1], "|---|---|---|---|");
    let rows: Vec<&&str> = lines[header + 2..]
        .iter()
        .filter(|l| l.starts_with("| "))
        .collect();
    assert_eq!(rows.len(), 29, "{}", out.stdout);
    assert!(
        rows.iter().any(|r| r.contains("`schema/unknown-key`")
            && r.contains("`flags/dev/unknown_key.yaml:9:1`")),
        "{}",
        out.stdout
    );
    // Every row has exactly four cells: pipes inside messages are escaped.
    for row in rows {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 5, "{row}");
    }
}

#[test]
fn markdown_of_a_clean_repository_is_a_heading_without_a_table() {
    let out = run(flagctl().args(["-C", "examples/basic", "validate", "--format", "markdown"]));
    out.expect(0);
    assert!(out.stdout.starts_with("### ✅"), "{}", out.stdout);
    assert!(!out.stdout.contains("| Code |"), "{}", out.stdout);
}

const ESC: char = '\u{1b}';

#[test]
fn color_always_paints_the_human_report() {
    let out = broken(&["--color", "always"]);
    assert!(
        out.stdout.contains("\u{1b}[31merror[rule/naming]"),
        "errors are red:\n{:?}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\u{1b}[33mwarning[rule/expired]"),
        "warnings are yellow:\n{:?}",
        out.stdout
    );
}

#[test]
fn color_never_and_no_color_print_plain_text() {
    assert!(!broken(&["--color", "never"]).stdout.contains(ESC));
    // Without a terminal `auto` prints plain text too.
    assert!(!broken(&[]).stdout.contains(ESC));
    // CLICOLOR_FORCE turns `auto` on without a terminal (the control), NO_COLOR wins over it.
    let forced =
        run(flagctl()
            .env("CLICOLOR_FORCE", "1")
            .args(["-C", "examples/broken", "validate"]));
    assert!(forced.stdout.contains(ESC), "CLICOLOR_FORCE colors `auto`");
    let no_color = run(flagctl()
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .args(["-C", "examples/broken", "validate"]));
    no_color.expect(1);
    assert!(!no_color.stdout.contains(ESC), "{:?}", no_color.stdout);
}

#[test]
fn machine_formats_are_never_colored() {
    for format in ["json", "github", "markdown"] {
        let out = broken(&["--format", format, "--color", "always"]);
        assert!(
            !out.stdout.contains(ESC),
            "--format {format}: {:?}",
            out.stdout
        );
    }
    // JSON stays parseable under --color always.
    broken(&["--format", "json", "--color", "always"]).json();
}
