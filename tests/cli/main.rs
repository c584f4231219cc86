//! Integration tests: the real `flagctl` binary run on the example repositories and on small
//! repositories built in temporary folders, plus property tests of the loader (`loader_props`).
//!
//! Every command runs with a scrubbed environment (no `NO_COLOR`, `CLICOLOR*`, `FLAGCTL_NOW` from
//! the caller's shell), from the project root unless a test says otherwise.

mod action;
mod broken;
mod change;
mod config_errors;
mod drift;
mod editor;
mod explain;
mod formats;
mod history;
mod init;
mod loader_props;
mod repos;
mod sarif;
mod validate;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value as Json;

/// The project root: flagctl's own demo flag repository, beside `examples/`.
pub fn project_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Variables of the caller's shell that would change what flagctl or git do; tests set the
/// ones they mean to.
pub const SCRUBBED: &[&str] = &[
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "FLAGCTL_NOW",
    "FLAGCTL_WEBHOOK_SECRET",
    "FLAGCTL_CRASH_AFTER",
    "COLUMNS",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CEILING_DIRECTORIES",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_PARAMETERS",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "GIT_COMMITTER_DATE",
    "EMAIL",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// The binary under test, started in the project root.
pub fn flagctl() -> Command {
    scrubbed(env!("CARGO_BIN_EXE_flagctl"))
}

/// `program` (flagctl, or a wrapper that runs it), started in the project root with a scrubbed
/// environment.
pub fn scrubbed(program: &str) -> Command {
    let mut cmd = Command::new(program);
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    cmd.current_dir(project_root());
    cmd
}

/// What a run of flagctl left behind.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Stdout as the JSON document of `--format json`.
    pub fn json(&self) -> Json {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts the exit code, showing both streams when it is not the one expected.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts a refusal to run: exit 2, a message on stderr holding every one of `needles`,
    /// and no report on stdout.
    #[track_caller]
    pub fn expect_refusal(&self, needles: &[&str]) -> &Self {
        self.expect_code(2);
        assert!(
            self.stdout.is_empty(),
            "a command that cannot run prints no report, got:\n{}",
            self.stdout
        );
        assert!(
            self.stderr.starts_with("error: "),
            "stderr: {}",
            self.stderr
        );
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr should mention {needle:?}:\n{}",
                self.stderr
            );
        }
        self
    }
}

/// Runs `cmd` to completion.
pub fn run(cmd: &mut Command) -> Output {
    let output = cmd.output().expect("flagctl starts");
    Output {
        code: output
            .status
            .code()
            .unwrap_or_else(|| panic!("flagctl was killed by a signal: {:?}", output.status)),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs flagctl with `args` from `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    run(flagctl().current_dir(dir).args(args))
}

/// The findings of a `--format json` document.
pub fn findings(doc: &Json) -> &[Json] {
    doc["findings"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("no findings array in {doc:#}"))
}

/// `(code, path, line, column)` of every finding, for compact comparisons.
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

/// A flag repository in a temporary folder, deleted when dropped.
pub struct TempRepo {
    dir: tempfile::TempDir,
}

impl Default for TempRepo {
    fn default() -> Self {
        TempRepo::new()
    }
}

impl TempRepo {
    /// An empty folder (not yet a repository: write a `flags/` file or `flagctl.yaml`).
    pub fn new() -> TempRepo {
        TempRepo {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `contents` at `rel`, creating folders on the way.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &TempRepo {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, contents).expect("write file");
        self
    }

    /// Writes a valid boolean flag named after the file stem of `rel`, with `extra` YAML
    /// appended (e.g. `expires: 2026-03-01\n`).
    pub fn flag(&self, rel: &str, extra: &str) -> &TempRepo {
        let stem = Path::new(rel)
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a file name");
        self.write(rel, flag_yaml(stem, extra))
    }

    /// Runs flagctl with `args` from the repository's root.
    pub fn run(&self, args: &[&str]) -> Output {
        run_in(self.path(), args)
    }

    /// Runs `validate --format json` (plus `args`) with `FLAGCTL_NOW` fixed, and parses it.
    pub fn validate_json(&self, args: &[&str]) -> (Output, Json) {
        let out = run(flagctl()
            .current_dir(self.path())
            .env("FLAGCTL_NOW", "2026-01-15T12:00:00Z")
            .args(["validate", "--format", "json"])
            .args(args));
        let json = out.json();
        (out, json)
    }
}

/// A valid boolean flag: every required key, nothing else, then `extra`.
pub fn flag_yaml(name: &str, extra: &str) -> String {
    format!(
        "name: {name}\nversion: 1.0.0\ndescription: A flag of the tests\nowner: team-test\nkind: release\nlifecycle: approved\ntype: boolean\nenabled: false\n{extra}"
    )
}
