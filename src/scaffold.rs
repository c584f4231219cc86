//! The files `flagctl init` writes: a small repository that validates clean.

use std::path::{Path, PathBuf};

use crate::schema::FLAG_SCHEMA;
use crate::schema_bundle::{self, FileKind};

/// Editor settings: written where the folder has none, left alone (and described) where it has.
const EDITOR_FILES: &[(&str, &str)] = &[
    (".vscode/settings.json", VSCODE_SETTINGS),
    (".vscode/extensions.json", VSCODE_EXTENSIONS),
];

/// Repository-relative paths and contents, in the order they are written.
fn files() -> Vec<(&'static str, String)> {
    let mut files = vec![
        ("flagctl.yaml", CONFIG.to_owned()),
        ("schemas/flag.schema.json", FLAG_SCHEMA.to_owned()),
        (
            "schemas/segment.schema.json",
            editor_schema(FileKind::Segment),
        ),
        (
            "schemas/config.schema.json",
            editor_schema(FileKind::Config),
        ),
        ("segments/staff.yaml", SEGMENT.to_owned()),
        ("templates/release.yaml", TEMPLATE.to_owned()),
        (
            ".gitattributes",
            format!("{GITATTRIBUTES_COMMENT}{GITATTRIBUTES}"),
        ),
        (".github/workflows/flagctl.yml", WORKFLOW.to_owned()),
        (".githooks/pre-commit", PRE_COMMIT.to_owned()),
    ];
    for env in ["dev", "staging", "prod"] {
        let path: &'static str = match env {
            "dev" => "flags/dev/feature_welcome_banner.yaml",
            "staging" => "flags/staging/feature_welcome_banner.yaml",
            _ => "flags/prod/feature_welcome_banner.yaml",
        };
        files.push((path, FLAG.to_owned()));
    }
    files
}

/// The built-in schema of `kind` for editors, marked as a copy (flagctl checks against its own).
fn editor_schema(kind: FileKind) -> String {
    let mut schema = schema_bundle::effective(kind, None)
        .unwrap_or_else(|e| unreachable!("the built-in schemas need no repository: {e}"));
    let name = match kind {
        FileKind::Flag => "flag",
        FileKind::Segment => "segment",
        FileKind::Config => "config",
    };
    if let Some(map) = schema.as_object_mut() {
        map.insert(
            "$comment".to_owned(),
            format!(
                "For editors (.vscode/settings.json): a copy of what `flagctl schema {name}` prints. \
                 flagctl checks files against its built-in schema, not this file; print it anew \
                 after upgrading flagctl."
            )
            .into(),
        );
    }
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// The `.pre-commit-config.yaml` entry that runs `flagctl validate` on staged flag files, with
/// this flagctl's version pinned.
pub fn pre_commit_config() -> String {
    format!(
        "  repos:\n    - repo: https://github.com/flagctl/flagctl\n      rev: v{}\n      hooks:\n        - id: flagctl-validate",
        env!("CARGO_PKG_VERSION")
    )
}

const VSCODE_SETTINGS: &str = r#"{
  "yaml.yamlVersion": "1.2",
  "yaml.schemas": {
    "./schemas/flag.schema.json": ["flags/**/*.yaml", "flags/**/*.yml"],
    "./schemas/segment.schema.json": ["segments/**/*.yaml", "segments/**/*.yml"],
    "./schemas/config.schema.json": ["flagctl.yaml"]
  }
}
"#;

const VSCODE_EXTENSIONS: &str = r#"{
  "recommendations": ["redhat.vscode-yaml"]
}
"#;

const CONFIG: &str = "\
# flagctl configuration: every key is optional. `flagctl explain` lists the finding codes.
flags_dir: flags
schema: schemas/flag.schema.json   # your additions to the built-in schema (it can only add rules)

# The promotion chain, upstream first: changes flow dev -> staging -> prod.
environments:
  - name: dev
  - name: staging
    allowed_lifecycle: [pending, approved, deprecated]
  - name: prod
    allowed_lifecycle: [approved, deprecated]
    max_lag: 14d            # an upstream change waiting longer than this is an error
    require_reason: true    # commits touching prod flags need a Flagctl-Reason trailer

naming: '^[a-z][a-z0-9]*(_[a-z0-9]+)*$'

kinds:                      # how long each kind of flag may live before it counts as stale
  release: 40d
  experiment: 40d
  ops: permanent
  permission: permanent
";

const FLAG: &str = "\
# Shows the welcome banner on the home page. Edit with `flagctl set`, or by hand and then
# `flagctl validate`.
name: feature_welcome_banner
version: 1.0.0
description: Welcome banner on the home page for new sign-ups
owner: team-growth
kind: release
lifecycle: approved
type: boolean
enabled: true
rules:
  - name: staff first
    segment: staff
    serve: on
rollout: { on: 50, off: 50 }
";

const SEGMENT: &str = "\
name: staff
description: Employees, signed in with a company address
when:
  - { attribute: email, op: ends_with, value: \"@example.com\" }
";

const TEMPLATE: &str = "\
# Blueprint for `flagctl new NAME --template release`; the name is filled in for you.
version: 0.1.0
description: What the flag changes, for whom
owner: your-team
kind: release
lifecycle: draft
type: boolean
enabled: false
";

/// The comment above the `.gitattributes` lines that route flag files to the merge driver.
const GITATTRIBUTES_COMMENT: &str = "\
# Three-way merges of flag files by field, with `flagctl merge-driver`.
# Each clone enables the driver once with `flagctl init --merge-driver`.
";

const GITATTRIBUTES: &str = "\
flags/**/*.yaml merge=flagctl
flags/**/*.yml merge=flagctl
";

const WORKFLOW: &str = "\
# Gate every pull request: valid flags, versions bumped enough, policies met, no drift errors.
name: flagctl
on: [pull_request]
jobs:
  flags:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - run: cargo install --locked --git https://github.com/flagctl/flagctl flagctl
      - run: flagctl check --base \"origin/${{ github.base_ref }}\" --format github
      - run: flagctl diff --format markdown >> \"$GITHUB_STEP_SUMMARY\"
";

const PRE_COMMIT: &str = "\
#!/bin/sh
# Refuses a commit whose flags do not validate. Enable with: git config core.hooksPath .githooks
exec flagctl validate
";

/// Why `init` could not create a repository, or route flag files to the merge driver.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("{} is already a flag repository", .0.display())]
    AlreadyRepository(PathBuf),
    #[error("{} already has {}; nothing was written", dir.display(), files.join(", "))]
    Occupied {
        dir: PathBuf,
        files: Vec<&'static str>,
    },
    #[error("{doing} {}", path.display())]
    Io {
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("making {} executable", path.display())]
    Executable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io_error(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ScaffoldError {
    let path = path.to_owned();
    move |source| ScaffoldError::Io {
        doing,
        path,
        source,
    }
}

/// Writes `contents` to `dir`/`path`, making the folders it needs.
fn write_file(dir: &Path, path: &str, contents: &str) -> Result<(), ScaffoldError> {
    let target = dir.join(path);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(io_error("creating", parent))?;
    }
    std::fs::write(&target, contents).map_err(io_error("writing", &target))
}

/// Writes the repository's `files()` into `dir` (made if missing), the pre-commit hook
/// executable; refuses, writing nothing, where `dir` is a flag repository or has one of them.
/// How many files it wrote.
pub fn create(dir: &Path) -> Result<usize, ScaffoldError> {
    if crate::repo::Repository::is_root(dir) {
        return Err(ScaffoldError::AlreadyRepository(dir.to_owned()));
    }
    let files = files();
    let existing: Vec<&'static str> = files
        .iter()
        .map(|(path, _)| *path)
        .filter(|path| dir.join(path).exists())
        .collect();
    if !existing.is_empty() {
        return Err(ScaffoldError::Occupied {
            dir: dir.to_owned(),
            files: existing,
        });
    }
    for (path, contents) in &files {
        write_file(dir, path, contents)?;
    }
    make_executable(&dir.join(".githooks/pre-commit"))?;
    Ok(files.len())
}

/// Editor settings written into `dir`, and those left alone because the folder had them (the
/// user's own: `init` says what to add instead).
pub struct EditorSettings {
    pub written: usize,
    pub kept: Vec<&'static str>,
}

/// Writes each of `EDITOR_FILES` that `dir` does not have yet.
pub fn write_editor_settings(dir: &Path) -> Result<EditorSettings, ScaffoldError> {
    let mut settings = EditorSettings {
        written: 0,
        kept: Vec::new(),
    };
    for (path, contents) in EDITOR_FILES {
        if dir.join(path).exists() {
            settings.kept.push(*path);
            continue;
        }
        write_file(dir, path, contents)?;
        settings.written += 1;
    }
    Ok(settings)
}

/// The contents `init` would give the editor settings file `path`.
pub fn editor_settings(path: &str) -> &'static str {
    EDITOR_FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, c)| *c)
        .unwrap_or_default()
}

/// Adds the `.gitattributes` lines that route `repo`'s flag files to the merge driver, unless a
/// line already does. Whether it added them.
pub fn route_to_merge_driver(repo: &crate::repo::Repository) -> Result<bool, ScaffoldError> {
    let attributes = repo.root.join(".gitattributes");
    let existing = match std::fs::read_to_string(&attributes) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io_error("reading", &attributes)(e)),
    };
    let routed = existing.lines().any(|line| {
        line.split_whitespace()
            .skip(1)
            .any(|a| a == "merge=flagctl")
    });
    if routed {
        return Ok(false);
    }
    let flags = repo.flags_path();
    let separator = if existing.is_empty() || existing.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let text = format!(
        "{existing}{separator}{GITATTRIBUTES_COMMENT}{flags}/**/*.yaml merge=flagctl\n{flags}/**/*.yml merge=flagctl\n"
    );
    std::fs::write(&attributes, text).map_err(io_error("writing", &attributes))?;
    Ok(true)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), ScaffoldError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|source| {
        ScaffoldError::Executable {
            path: path.to_owned(),
            source,
        }
    })
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), ScaffoldError> {
    Ok(())
}
