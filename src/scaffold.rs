//! The files `flagctl init` writes: a small repository that validates clean.

use crate::schema::FLAG_SCHEMA;
use crate::schema_bundle::{self, FileKind};

/// Editor settings: written where the folder has none, left alone (and described) where it has.
pub const EDITOR_FILES: &[(&str, &str)] = &[
    (".vscode/settings.json", VSCODE_SETTINGS),
    (".vscode/extensions.json", VSCODE_EXTENSIONS),
];

/// Repository-relative paths and contents, in the order they are written.
pub fn files() -> Vec<(&'static str, String)> {
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
pub const GITATTRIBUTES_COMMENT: &str = "\
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
