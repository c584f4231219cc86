//! What every writing command shares: its options, the plan shown, the confirmation asked,
//! and the all-or-nothing commit.

use std::io::{self, BufRead, IsTerminal, Write};

use anyhow::bail;

use super::{Global, Outcome, printed, say};
use crate::change::{Operation, Workspace};
use crate::report::{self, Report};

/// Options of every command that writes.
#[derive(Debug, Clone, clap::Args)]
pub struct WriteArgs {
    /// Why: recorded as the commit's `Flagctl-Reason:` trailer (required where the
    /// environment says so)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Stage the change but do not commit it
    #[arg(long)]
    pub no_commit: bool,
    /// Show the change, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Apply without asking for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Refuse unless the flag is still at this version
    #[arg(long, value_name = "VERSION")]
    pub expect_version: Option<String>,
    /// Refuse unless this commit is still the last one that changed the flag's file
    #[arg(long, value_name = "SHA")]
    pub expect_commit: Option<String>,
}

/// Whether the command asks before writing (promote, apply, rollback, retire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    Ask,
    Never,
}

/// The workspace and the file of `flag` in `env`, for a command that changes that one file:
/// the environment exists, the work tree can take a write, and a reason is given if asked for.
pub fn open_flag(
    global: &Global,
    flag: &str,
    env: &str,
    args: &WriteArgs,
) -> anyhow::Result<(Workspace, crate::repo::SourceFile, Vec<u8>)> {
    let repo = global.repository()?;
    super::environment(&repo.config, env)?;
    let ws = Workspace::open(repo)?;
    ws.require_reason(env, args.reason.as_deref())?;
    let file = ws.flag_file(flag, env)?;
    let bytes = std::fs::read(ws.repo.root.join(&file.path))?;
    Ok((ws, file, bytes))
}

/// Validates, shows, confirms and applies `op`.
pub fn execute(
    global: &Global,
    ws: &Workspace,
    op: &Operation,
    args: &WriteArgs,
    confirm: Confirm,
) -> anyhow::Result<Outcome> {
    if op.files.is_empty() {
        say(format_args!("Nothing to change."))?;
        return Ok(Outcome::Clean);
    }
    ws.require_writable(&op.files)?;
    ws.require_unmoved(
        &op.files,
        args.expect_version.as_deref(),
        args.expect_commit.as_deref(),
    )?;
    let findings = ws.validate(&op.files)?;
    if !findings.is_empty() {
        super::say_error(
            "the change would leave invalid flag files; nothing was written",
            global.color,
        );
        let report = Report::new("change", &findings, op.files.len(), ws.repo.root.clone())
            .with_proposed(op.proposed());
        printed(report::print(&report, global.format, global.color))?;
        return Ok(Outcome::Failed);
    }
    let show_plan = args.dry_run || confirm == Confirm::Ask;
    if show_plan {
        printed(report::plan(&op.subject, &op.files, global.color))?;
    }
    if args.dry_run {
        say(format_args!("Dry run: nothing was written."))?;
        return Ok(Outcome::Clean);
    }
    if confirm == Confirm::Ask && !args.yes && !confirmed()? {
        return Ok(Outcome::Clean);
    }
    let commit = ws.apply(op, args.reason.as_deref(), !args.no_commit)?;
    let files = op.files.len();
    let noun = if files == 1 { "file" } else { "files" };
    match commit {
        Some(commit) => say(format_args!(
            "Committed {}: {} ({files} {noun})",
            &commit.id[..12],
            op.subject
        ))?,
        None => say(format_args!(
            "Staged, not committed (--no-commit): {} ({files} {noun})",
            op.subject
        ))?,
    }
    Ok(Outcome::Clean)
}

/// Asks on a terminal; without one, refuses (SPEC §3: no prompt without a terminal).
fn confirmed() -> anyhow::Result<bool> {
    if !io::stdin().is_terminal() || !io::stderr().is_terminal() {
        bail!(
            "not applied: without a terminal to confirm on, pass --yes (or --dry-run to only look)"
        );
    }
    eprint!("Apply this change? [y/N] ");
    io::stderr().flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    let yes = matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes");
    if !yes {
        eprintln!("Not applied.");
    }
    Ok(yes)
}
