//! [`Run`]: what one run of flagctl left behind, and the checks every test makes of it.

use serde_json::Value as Json;

use super::repo::Witness;

/// What one run of flagctl left behind. Made by [`run`], [`super::demo`], [`super::Repo::run`]
/// and [`super::Cmd::run`].
#[derive(Debug)]
pub struct Run {
    /// The exit code; `None` when flagctl was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The command line, for failure messages.
    pub command: String,
    /// The repository as it was before the run, for [`Run::refused`] (runs in a `Repo` only).
    pub(super) witness: Option<Witness>,
}

impl Run {
    /// The command, its exit code and both streams, for assertion messages.
    pub fn show(&self) -> String {
        let code = self
            .code
            .map_or_else(|| "killed by a signal".to_owned(), |c| c.to_string());
        format!(
            "$ {}\nexit {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.command, self.stdout, self.stderr
        )
    }

    /// Asserts the exit code (showing the run when it is another).
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Run {
        assert_eq!(self.code, Some(code), "exit code\n{}", self.show());
        self
    }

    /// Whether flagctl was killed by a signal (a crash test).
    pub fn killed(&self) -> bool {
        self.code.is_none()
    }

    /// The lines of stdout.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Stdout parsed as JSON (any document: `explain`, `log`, `events`, reports).
    #[track_caller]
    pub fn json(&self) -> Json {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.show()))
    }

    /// Stdout as a findings report (`--format json` of validate, check, diff, status, ...),
    /// checked against `schemas/report.schema.json`.
    #[track_caller]
    pub fn report(&self) -> Json {
        let doc = self.json();
        super::assert_valid_report(&doc);
        doc
    }

    /// Asserts a refusal to run (SPEC §3), the one check every refusal test makes:
    /// - exit 2;
    /// - stderr starts with `error: ` and holds every one of `needles`;
    /// - stdout is empty (no report, no plan);
    /// - for a run in a [`super::Repo`]: nothing changed on disk or in git (every file of the
    ///   work tree, HEAD, the branches and tags, `git status`, flagctl's journal in `.git`).
    ///
    /// Call it straight after the run. A run on the project's demo tree cannot be checked for
    /// changes and is refused here: run the command in [`super::Repo::demo`] instead.
    #[track_caller]
    pub fn refused(&self, needles: &[&str]) -> &Run {
        self.expect(2);
        assert!(
            self.stderr.starts_with("error: "),
            "a refusal says why on stderr, after `error: `\n{}",
            self.show()
        );
        assert!(
            self.stdout.is_empty(),
            "a command that cannot run prints no report\n{}",
            self.show()
        );
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr should mention {needle:?}\n{}",
                self.show()
            );
        }
        let witness = self.witness.as_ref().unwrap_or_else(|| {
            panic!(
                "refused() checks that nothing changed: run the command in a Repo (Repo::demo for the demo tree)\n{}",
                self.show()
            )
        });
        witness.assert_unchanged(self);
        self
    }
}

/// Runs `cmd` (built from [`super::flagctl`]) to completion. Such a run has no repository to
/// compare: check a refusal in a [`super::Repo`].
pub fn run(cmd: &mut assert_cmd::Command) -> Run {
    let command = describe(cmd.get_program(), cmd.get_args());
    finish(cmd.output(), command, None)
}

pub(super) fn describe<'a>(
    program: &std::ffi::OsStr,
    args: impl Iterator<Item = &'a std::ffi::OsStr>,
) -> String {
    let program = std::path::Path::new(program)
        .file_name()
        .unwrap_or(program)
        .to_string_lossy()
        .into_owned();
    std::iter::once(program)
        .chain(args.map(|a| {
            let a = a.to_string_lossy();
            if a.is_empty() || a.contains(char::is_whitespace) {
                format!("{a:?}")
            } else {
                a.into_owned()
            }
        }))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn finish(
    output: std::io::Result<std::process::Output>,
    command: String,
    witness: Option<Witness>,
) -> Run {
    let output = output.unwrap_or_else(|e| panic!("{command} does not start: {e}"));
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        command,
        witness,
    }
}
