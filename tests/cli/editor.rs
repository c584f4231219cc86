//! Where a team already works: `flagctl schema` read by an independent validator
//! (check-jsonschema, which reads the YAML files itself), the editor settings `init` writes,
//! and the pre-commit framework running the hook of `.pre-commit-hooks.yaml`.
//!
//! The Python tools come from PyPI (`.ci/run` installs them); without them a test says so and
//! passes on a developer's machine, but fails under CI, where they must be there.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_json::Value as Json;

use crate::support::{Repo, demo, flag_yaml, placed, project_root, scrubbed};

/// The program `name` on PATH; `None` (and a note) when it is missing outside CI.
fn python_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is not installed; .ci/run installs it (pip install -r .ci/requirements.txt)"
        );
        eprintln!("skipped: {name} is not installed (pip install -r .ci/requirements.txt)");
    }
    found
}

/// `flagctl schema KIND` of the demo tree, saved in `dir`.
fn schema_file(dir: &Path, kind: &str) -> PathBuf {
    let out = demo(&["schema", kind]);
    out.expect(0);
    let schema: Json = serde_json::from_str(&out.stdout).expect("the schema is JSON");
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "{kind}"
    );
    let path = dir.join(format!("{kind}.schema.json"));
    std::fs::write(&path, out.stdout).expect("write schema");
    path
}

/// Every file below `dir` whose name ends in `.yaml`.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(yaml_files(&path));
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn check_jsonschema(tool: &Path, schema: &Path, files: &[PathBuf]) -> std::process::Output {
    Process::new(tool)
        .arg("--schemafile")
        .arg(schema)
        .args(files)
        .output()
        .expect("check-jsonschema runs")
}

#[test]
fn the_printed_schemas_validate_the_demo_tree_with_an_independent_validator() {
    let Some(tool) = python_tool("check-jsonschema") else {
        return;
    };
    let tmp = Repo::new();
    let root = project_root();
    let pairs = [
        ("flag", yaml_files(&root.join("flags"))),
        ("segment", yaml_files(&root.join("segments"))),
        ("config", vec![root.join("flagctl.yaml")]),
    ];
    for (kind, files) in pairs {
        assert!(!files.is_empty(), "{kind}");
        let schema = schema_file(tmp.path(), kind);
        let out = check_jsonschema(&tool, &schema, &files);
        assert!(
            out.status.success(),
            "{kind}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // And the same validator refuses what `validate` refuses at the schema layer.
    let schema = schema_file(tmp.path(), "flag");
    tmp.write(
        "bad/feature_x.yaml",
        flag_yaml("feature_x", "colour: blue\n").replace("enabled: false", "enabled: yes"),
    );
    let out = check_jsonschema(&tool, &schema, &[tmp.join("bad/feature_x.yaml")]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("colour") && said.contains("enabled"),
        "{said}"
    );
}

#[test]
fn the_flag_schema_carries_the_repositorys_additions() {
    let repo = Repo::new();
    repo.write(
        "flagctl.yaml",
        "schema: schemas/flag.schema.json\nenvironments:\n  - name: dev\n",
    );
    repo.write(
        "schemas/flag.schema.json",
        r##"{"properties": {"owner": {"$ref": "#/$defs/team"}}, "$defs": {"team": {"pattern": "^team-"}}}"##,
    );
    repo.flag("flags/dev/feature_a.yaml", "");
    let out = repo.run(&["schema", "flag"]);
    out.expect(0);
    let schema = out.json();
    let additions = schema["allOf"]
        .as_array()
        .and_then(|all| all.last())
        .expect("the additions apply on top");
    assert_eq!(
        additions["properties"]["owner"]["$ref"],
        "#/allOf/1/$defs/team"
    );
    // validate and the printed schema agree on the addition.
    repo.write(
        "flags/dev/feature_a.yaml",
        flag_yaml("feature_a", "").replace("team-test", "payments"),
    );
    let doc = repo.run(&["validate", "--format", "json"]).report();
    assert_eq!(placed(&doc)[0].0, "schema/pattern");
    if let Some(tool) = python_tool("check-jsonschema") {
        std::fs::write(repo.join("merged.json"), out.stdout.as_bytes()).expect("write");
        let result = check_jsonschema(
            &tool,
            &repo.join("merged.json"),
            &[repo.join("flags/dev/feature_a.yaml")],
        );
        assert!(!result.status.success());
        assert!(String::from_utf8_lossy(&result.stdout).contains("team-"));
    }
    // A schema that cannot be read stops the command.
    repo.write("schemas/flag.schema.json", "[1, 2]");
    repo.run(&["schema"])
        .refused(&["schemas/flag.schema.json", "not a JSON object"]);
    // Outside any repository: the built-in schema.
    Repo::new().run(&["schema", "config"]).expect(0);
}

#[test]
fn init_maps_the_schemas_for_the_yaml_language_server() {
    let tmp = Repo::new();
    let out = tmp.run(&["init", "new"]);
    out.expect(0);
    let dir = tmp.join("new");
    let settings: Json = serde_json::from_slice(
        &std::fs::read(dir.join(".vscode/settings.json")).expect("settings written"),
    )
    .expect("settings are JSON");
    let mapping = settings["yaml.schemas"].as_object().expect("yaml.schemas");
    assert_eq!(settings["yaml.yamlVersion"], "1.2");
    for (schema, globs) in mapping {
        let file = dir.join(schema.trim_start_matches("./"));
        let written: Json =
            serde_json::from_slice(&std::fs::read(&file).expect("mapped schema exists"))
                .expect("JSON");
        let kind = match globs[0].as_str() {
            Some(g) if g.starts_with("flags/") => "flag",
            Some(g) if g.starts_with("segments/") => "segment",
            _ => "config",
        };
        // The mapped file is what `flagctl schema` prints (a comment aside).
        let mut printed = tmp.cmd(&["schema", kind]).in_dir("new").run().json();
        let mut written = written;
        for doc in [&mut printed, &mut written] {
            if let Some(map) = doc.as_object_mut() {
                map.remove("$comment");
            }
        }
        assert_eq!(printed, written, "{schema}");
    }
    assert_eq!(mapping.len(), 3);
    assert!(
        out.stdout.contains("id: flagctl-validate"),
        "{}",
        out.stdout
    );
    // That the scaffold validates clean, --strict too, is init's own test.

    // A folder with editor settings of its own keeps them.
    let other = Repo::new();
    other.write(".vscode/settings.json", "{\"editor.tabSize\": 2}\n");
    let out = other.run(&["init"]);
    out.expect(0);
    assert_eq!(
        std::fs::read_to_string(other.join(".vscode/settings.json")).expect("kept"),
        "{\"editor.tabSize\": 2}\n"
    );
    assert!(out.stdout.contains("\"yaml.schemas\""), "{}", out.stdout);
}

/// `pre-commit try-repo` runs the hook defined in this repository's `.pre-commit-hooks.yaml`
/// on the staged flag files of another repository (the `system` variant: the `rust` one is the
/// same hook built by cargo first).
#[test]
fn the_pre_commit_hook_validates_staged_flag_files() {
    let Some(tool) = python_tool("pre-commit") else {
        return;
    };
    let repo = Repo::with_git();
    repo.write("flagctl.yaml", "environments:\n  - name: dev\n");
    repo.flag("flags/dev/feature_a.yaml", "");
    repo.flag("flags/dev/feature_b.yaml", "");
    repo.write("README.md", "notes\n");
    repo.git(&["add", "-A"]);
    let bin = Path::new(env!("CARGO_BIN_EXE_flagctl"))
        .parent()
        .expect("bin dir")
        .to_owned();
    let home = tempfile::tempdir().expect("pre-commit home");
    let try_repo = |extra: &[&str]| {
        let mut path = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .collect::<Vec<_>>();
        path.insert(0, bin.clone());
        let mut cmd = scrubbed(&tool);
        cmd.current_dir(repo.path())
            .env("PATH", std::env::join_paths(path).expect("PATH"))
            .env("PRE_COMMIT_HOME", home.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Dev")
            .env("GIT_AUTHOR_EMAIL", "dev@example.com")
            .env("GIT_COMMITTER_NAME", "Dev")
            .env("GIT_COMMITTER_EMAIL", "dev@example.com")
            .args([
                "try-repo",
                &project_root().display().to_string(),
                "flagctl-validate-system",
            ])
            .args(extra);
        let out = cmd.output().expect("pre-commit starts");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = try_repo(&[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("flagctl validate") && out.contains("Passed"),
        "{out}"
    );

    // A broken flag, staged: the hook fails and names it.
    repo.write(
        "flags/dev/feature_b.yaml",
        flag_yaml("feature_b", "").replace("type: boolean", "type: bool"),
    );
    repo.git(&["add", "-A"]);
    let (code, out) = try_repo(&[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Failed"), "{out}");
    assert!(
        out.contains("flags/dev/feature_b.yaml:7:7") && out.contains("schema/enum"),
        "{out}"
    );

    // Only flag and segment files start it.
    for file in ["README.md", "flagctl.yaml"] {
        let (code, out) = try_repo(&["--files", file]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains("no files to check"), "{out}");
    }
}
