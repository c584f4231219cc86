//! What every test module builds on: one repository builder, one run result, one refusal check.
//!
//! ```ignore
//! use crate::support::{Repo, flag_yaml};
//!
//! let repo = Repo::with_git();                                // `git init -b main`, own identity
//! repo.write("flags/dev/feature_a.yaml", flag_yaml("feature_a", ""));
//! let first = repo.days_ago(10).commit("add feature_a");   // dated ten days before `now`
//! repo.edit("flags/dev/feature_a.yaml", "enabled: false", "enabled: true");
//! repo.commit_with("turn it on", &["Flagctl-Reason: launch"]);
//!
//! let run = repo.run(&["validate", "--format", "json"]);   // flagctl, from the repository root
//! run.expect(0);
//! assert_eq!(codes(&run.report()), Vec::<&str>::new());
//! repo.run(&["diff", "qa"]).refused(&["\"qa\""]);           // exit 2, `error: `, nothing changed
//! ```
//!
//! - [`Repo`] (`repo.rs`): a repository in a temporary folder, with or without git, its own
//!   `HOME`, the identity [`NAME`] `<`[`EMAIL`]`>` in its own git config, and a [`Clock`] that
//!   dates every commit (by flagctl or by the test) so histories are the same on every run.
//! - [`Run`] (`run.rs`): what one run of flagctl left behind: exit code, stdout, stderr,
//!   [`Run::show`] for failure messages, [`Run::expect`], [`Run::json`] / [`Run::report`], and
//!   [`Run::refused`], the one check of a refusal.
//! - [`Outside`] (`outside.rs`): a folder beside a `Repo` whose files (bytes, inode, mode) no
//!   command may change.
//! - `report.rs`: reading `--format json` reports ([`findings`], [`codes`], [`placed`], [`one`],
//!   [`assert_has`]) and the report schema check.
//! - `webhook.rs`: a webhook in a test thread for `events --post` ([`webhook::Hook`]).
//! - [`snapshots`]: insta settings whose filters hide temporary paths, commit ids and dates.
//!
//! Every flagctl and git process runs with a scrubbed environment ([`SCRUBBED`]); the runs of a
//! [`Repo`] also get `FLAGCTL_NOW` (the repository's [`Repo::now`]), `LC_ALL=C` and `TZ=UTC`.
//! Runs on the project's own demo tree go through [`flagctl`] / [`demo`].

// Not every module uses every helper at every moment.
#![allow(dead_code, unused_imports)]

mod outside;
mod repo;
mod report;
mod run;
#[cfg(test)]
mod selftest;
pub mod webhook;

pub use outside::{Outside, Snapshot};
pub use repo::{Clock, Cmd, EPOCH, GitState, NOW, Repo, Started, State, copy_dir};
pub use report::{
    assert_has, assert_valid_report, codes, findings, of_flag, one, placed, with_code,
};
pub use run::{Run, run};

use std::path::Path;

use assert_cmd::Command;

/// The identity of every test repository (`user.name` / `user.email` in its `.git/config`), so
/// the author and committer of flagctl's commits.
pub const NAME: &str = "Ann Author";
/// See [`NAME`].
pub const EMAIL: &str = "ann@example.com";

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

/// `program` (flagctl, or a wrapper that runs it) with a scrubbed environment, started in the
/// project root.
pub fn scrubbed(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    cmd.current_dir(project_root());
    cmd
}

/// The binary under test, started in the project root with a scrubbed environment. Run it with
/// [`run`]; in a [`Repo`] use [`Repo::run`] / [`Repo::cmd`] instead.
pub fn flagctl() -> Command {
    scrubbed(env!("CARGO_BIN_EXE_flagctl"))
}

/// flagctl with `args` on the project's demo tree, at the real current time (the demo passes on
/// any date). A refusal on the demo tree is checked in a copy: [`Repo::demo`].
pub fn demo(args: &[&str]) -> Run {
    run(flagctl().args(args))
}

/// A valid boolean flag: every required key, nothing else, then `extra` (YAML lines, e.g.
/// `"expires: 2026-03-01\n"`).
pub fn flag_yaml(name: &str, extra: &str) -> String {
    format!(
        "name: {name}\nversion: 1.0.0\ndescription: A flag of the tests\nowner: team-test\nkind: release\nlifecycle: approved\ntype: boolean\nenabled: false\n{extra}"
    )
}

/// insta settings for snapshots of flagctl's output: temporary folders read `[TMP]`, full commit
/// ids `[SHA]`, short ones (12 hex digits) `[SHORT]`, RFC 3339 / git dates `[DATE]`, durations
/// measured in milliseconds `[MS]ms`. Use as `snapshots().bind(|| insta::assert_snapshot!(..))`.
pub fn snapshots() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(true);
    let tmp = std::env::temp_dir();
    let tmp = tmp.to_string_lossy();
    let tmp = tmp.trim_end_matches('/');
    let real = std::fs::canonicalize(tmp)
        .map_or_else(|_| tmp.to_owned(), |p| p.to_string_lossy().into_owned());
    for path in [tmp, real.as_str()] {
        settings.add_filter(&format!("{}/[^/\\s\"']+", regex::escape(path)), "[TMP]");
    }
    settings.add_filter(r"\b[0-9a-f]{40}\b", "[SHA]");
    settings.add_filter(r"\b[0-9a-f]{12}\b", "[SHORT]");
    settings.add_filter(
        r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
        "[DATE]",
    );
    settings.add_filter(r"\b\d+(\.\d+)?\s?ms\b", "[MS]ms");
    settings
}
