//! `action.yml`: the composite GitHub Action's steps run as GitHub would run them, against a
//! throwaway repository with a base branch and a pull-request branch.
//!
//! The `run:` scripts are taken from action.yml and executed with bash and the variables a
//! runner sets (`GITHUB_OUTPUT`, `GITHUB_PATH`, `GITHUB_STEP_SUMMARY`, `RUNNER_TEMP`, …); the
//! `${{ }}` expressions of `env:`, `if:` and `with:` are evaluated from the inputs, the pull
//! request event and earlier steps' outputs. The two `uses:` steps are stood in for: the cache
//! restores the flagctl under test, and the SARIF upload is checked for the file it would send.

use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{Repo, flag_yaml, project_root, scrubbed};

/// What a run of the action left behind.
struct Job {
    /// Each step run: its name, exit code and stdout.
    steps: Vec<(String, i32, String)>,
    failed: bool,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    summary: String,
    uploaded: Option<PathBuf>,
}

impl Job {
    fn step(&self, name: &str) -> &(String, i32, String) {
        self.steps
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("step {name:?} did not run: {:?}", self.steps))
    }
}

/// The parsed action.yml.
fn action() -> Json {
    let text = std::fs::read_to_string(project_root().join("action.yml")).expect("action.yml");
    flagctl::yaml::parse(&text)
        .expect("action.yml is YAML")
        .root
        .expect("action.yml is not empty")
        .to_json()
}

/// Evaluates a GitHub expression: `a || b`, `a && b`, `x == 'lit'`, `x != ''`, `always()`,
/// context paths and quoted literals; values are strings, `""` is false.
fn evaluate(expr: &str, context: &BTreeMap<String, String>) -> String {
    let expr = expr.trim();
    if let Some((a, b)) = split_top(expr, "||") {
        let left = evaluate(a, context);
        return if left.is_empty() || left == "false" {
            evaluate(b, context)
        } else {
            left
        };
    }
    if let Some((a, b)) = split_top(expr, "&&") {
        let left = evaluate(a, context);
        return if left.is_empty() || left == "false" {
            left
        } else {
            evaluate(b, context)
        };
    }
    for (op, equal) in [("==", true), ("!=", false)] {
        if let Some((a, b)) = split_top(expr, op) {
            let same = evaluate(a, context) == evaluate(b, context);
            return if same == equal { "true" } else { "false" }.to_owned();
        }
    }
    if expr == "always()" {
        return "true".to_owned();
    }
    if let Some(literal) = expr.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
        return literal.to_owned();
    }
    context.get(expr).cloned().unwrap_or_default()
}

fn split_top<'a>(expr: &'a str, op: &str) -> Option<(&'a str, &'a str)> {
    // No parentheses or quotes holding operators in action.yml's expressions.
    expr.find(op)
        .map(|at| (&expr[..at], &expr[at + op.len()..]))
}

/// A string with every `${{ … }}` replaced by its value.
fn interpolate(text: &str, context: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed expression") + start;
        out.push_str(&evaluate(&rest[start + 3..end], context));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Runs the action's steps in `workspace` with `inputs` on a pull request whose base is `base`.
fn run_action(workspace: &Path, inputs: &[(&str, &str)], base_sha: &str) -> Job {
    let action = action();
    let runner_temp = tempfile::tempdir().expect("runner temp");
    let temp = runner_temp.path();
    // The cache step's hit: the flagctl under test, where the install step looks for it.
    let bin = temp.join("flagctl/bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    std::fs::copy(env!("CARGO_BIN_EXE_flagctl"), bin.join("flagctl")).expect("copy flagctl");

    let mut context: BTreeMap<String, String> = BTreeMap::new();
    for (name, spec) in action["inputs"].as_object().expect("inputs") {
        let default = spec["default"].as_str().unwrap_or_default().to_owned();
        context.insert(format!("inputs.{name}"), default);
    }
    for (name, value) in inputs {
        context.insert(format!("inputs.{name}"), (*value).to_owned());
    }
    context.insert("github.action_ref".into(), "v0.1.0".into());
    context.insert("github.event.pull_request.base.sha".into(), base_sha.into());
    context.insert("runner.temp".into(), temp.display().to_string());

    let summary = temp.join("summary.md");
    let path_file = temp.join("path");
    std::fs::write(&summary, "").expect("summary");
    std::fs::write(&path_file, "").expect("path file");
    let mut job = Job {
        steps: Vec::new(),
        failed: false,
        outputs: BTreeMap::new(),
        summary: String::new(),
        uploaded: None,
    };
    let steps = action["runs"]["steps"].as_array().expect("steps");
    assert_eq!(action["runs"]["using"], "composite");
    for (i, step) in steps.iter().enumerate() {
        let name = step["name"].as_str().unwrap_or("?").to_owned();
        let condition = step["if"].as_str().map(|c| {
            c.trim()
                .trim_start_matches("${{")
                .trim_end_matches("}}")
                .to_owned()
        });
        let wanted = match &condition {
            Some(c) => {
                let value = evaluate(c, &context);
                (c.contains("always()") || !job.failed) && !value.is_empty() && value != "false"
            }
            None => !job.failed,
        };
        if !wanted {
            continue;
        }
        if let Some(uses) = step["uses"].as_str() {
            let with = |key: &str| interpolate(step["with"][key].as_str().unwrap_or(""), &context);
            if uses.starts_with("github/codeql-action/upload-sarif@") {
                job.uploaded = Some(PathBuf::from(with("sarif_file")));
            } else {
                assert!(uses.starts_with("actions/cache@"), "unexpected step {uses}");
                assert_eq!(with("path"), temp.join("flagctl").display().to_string());
                assert!(
                    with("key").starts_with("flagctl-Linux-v0.1.0-"),
                    "{}",
                    with("key")
                );
            }
            job.steps.push((name, 0, String::new()));
            continue;
        }
        let script = step["run"].as_str().expect("a run step");
        assert!(
            !script.contains("${{"),
            "step {name:?}: expressions belong in env:, not in the script"
        );
        assert_eq!(step["shell"], "bash");
        let script_file = temp.join(format!("step-{i}.sh"));
        std::fs::write(&script_file, script).expect("script");
        let output_file = temp.join(format!("output-{i}"));
        std::fs::write(&output_file, "").expect("output file");
        let dir = match step["working-directory"].as_str() {
            Some(dir) => workspace.join(interpolate(dir, &context)),
            None => workspace.to_owned(),
        };
        let added: Vec<String> = std::fs::read_to_string(&path_file)
            .expect("path file")
            .lines()
            .map(str::to_owned)
            .collect();
        let mut path = added.join(":");
        path.push(':');
        path.push_str(&std::env::var("PATH").unwrap_or_default());
        let mut cmd = scrubbed("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(&dir)
            .env("PATH", path)
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_ACTION_PATH", project_root())
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_PATH", &path_file)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("RUNNER_TEMP", temp)
            .env("RUNNER_OS", "Linux");
        if let Some(env) = step["env"].as_object() {
            for (key, value) in env {
                cmd.env(key, interpolate(value.as_str().unwrap_or(""), &context));
            }
        }
        let out = cmd.output().expect("bash runs");
        let code = out.status.code().unwrap_or(-1);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if let Some(id) = step["id"].as_str() {
            let text = std::fs::read_to_string(&output_file).expect("outputs");
            let outputs = job.outputs.entry(id.to_owned()).or_default();
            for line in text.lines() {
                if let Some((key, value)) = line.split_once('=') {
                    outputs.insert(key.to_owned(), value.to_owned());
                    context.insert(format!("steps.{id}.outputs.{key}"), value.to_owned());
                }
            }
        }
        if code != 0 {
            job.failed = true;
        }
        eprintln!(
            "step {name:?} exit {code}\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        job.steps.push((name, code, stdout));
    }
    job.summary = std::fs::read_to_string(&summary).expect("summary");
    if let Some(uploaded) = &job.uploaded {
        // Keep the SARIF log past the runner's temporary folder.
        let kept = workspace.join("uploaded.sarif");
        std::fs::copy(uploaded, &kept).expect("the SARIF file exists");
        job.uploaded = Some(kept);
    }
    job
}

/// A repository whose `main` holds two environments of one flag in `dir`, and a pull-request
/// branch that changes their description (metadata: a patch bump is needed), `bumped` or not.
fn pull_request(dir: &str, bumped: bool) -> (Repo, String) {
    let repo = Repo::with_git();
    repo.write(
        &format!("{dir}flagctl.yaml"),
        "environments:\n  - name: dev\n  - name: prod\n",
    );
    repo.flag(&format!("{dir}flags/dev/feature_banner.yaml"), "");
    repo.flag(&format!("{dir}flags/prod/feature_banner.yaml"), "");
    let base = repo.commit("flags");
    repo.git(&["checkout", "-q", "-b", "change"]);
    let mut text =
        flag_yaml("feature_banner", "").replace("A flag of the tests", "Shown on the home page");
    if bumped {
        text = text.replace("version: 1.0.0", "version: 1.0.1");
    }
    for env in ["dev", "prod"] {
        repo.write(&format!("{dir}flags/{env}/feature_banner.yaml"), &text);
    }
    repo.commit("describe the banner");
    (repo, base)
}

#[test]
fn the_action_fails_a_pull_request_that_needs_a_bump_and_reports_it_three_ways() {
    let (repo, base) = pull_request("", false);
    let job = run_action(repo.path(), &[], &base);
    assert!(job.failed, "{:?}", job.steps);
    assert_eq!(job.outputs["check"]["exit-code"], "1");
    // Annotations on the diff, at the file and line.
    let (_, code, annotations) = job.step("Check against the base");
    assert_eq!(
        *code, 0,
        "findings fail the job at the verdict, after the reports"
    );
    assert!(
        annotations.contains("::error file=flags/prod/feature_banner.yaml,line=2"),
        "{annotations}"
    );
    assert!(
        annotations.contains("title=flagctl check/bump-needed"),
        "{annotations}"
    );
    // The same findings uploaded as SARIF.
    let uploaded = job.uploaded.as_ref().expect("the SARIF upload ran");
    let sarif: Json =
        serde_json::from_slice(&std::fs::read(uploaded).expect("sarif")).expect("SARIF is JSON");
    crate::sarif::assert_valid_sarif(&sarif);
    let rules: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert!(rules.contains(&"check/bump-needed"), "{rules:?}");
    // The drift report in the job summary, and the verdict last.
    assert!(
        job.summary.starts_with("### ") && job.summary.contains("flagctl diff: 1 flag in sync"),
        "the drift report: {}",
        job.summary
    );
    let (last, code, _) = job.steps.last().expect("steps ran");
    assert_eq!((last.as_str(), *code), ("Verdict", 1));
}

#[test]
fn the_action_passes_a_pull_request_bumped_as_it_needs() {
    let (repo, base) = pull_request("", true);
    let job = run_action(repo.path(), &[], &base);
    assert!(!job.failed, "{:?}", job.steps);
    assert_eq!(job.outputs["check"]["exit-code"], "0");
    let (_, _, version) = job.step("Install flagctl");
    assert!(version.starts_with("flagctl 0.1.0"), "{version}");
    assert!(job.uploaded.is_some());
    assert!(!job.summary.is_empty());
}

#[test]
fn the_action_checks_a_flag_repository_in_a_folder_and_honours_its_inputs() {
    let (work, base) = pull_request("config/flags-repo/", false);
    let job = run_action(
        work.path(),
        &[
            ("working-directory", "config/flags-repo"),
            ("sarif", "false"),
            ("summary", "false"),
        ],
        &base,
    );
    assert_eq!(job.outputs["check"]["exit-code"], "1");
    assert!(job.uploaded.is_none(), "sarif: false skips the upload");
    assert!(job.summary.is_empty(), "summary: false writes none");
    assert!(job.failed);
}

#[test]
fn the_action_refuses_to_run_without_a_base() {
    let (repo, _) = pull_request("", true);
    let job = run_action(repo.path(), &[], "");
    assert_eq!(job.outputs["check"]["exit-code"], "2");
    assert!(job.failed);
    let (_, code, out) = job.step("Check against the base");
    assert_eq!(*code, 2);
    assert!(
        out.contains("::error title=flagctl::no base revision"),
        "{out}"
    );
}
