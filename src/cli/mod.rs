//! The command line: one file per subcommand, each an `Args` struct and a `run`.

mod apply;
mod audit;
mod bump;
mod check;
mod codeowners;
mod compat;
mod completions;
mod diff;
mod eval;
mod events;
mod explain;
mod export;
mod init;
mod log;
mod man;
mod merge_driver;
mod new;
mod promote;
mod report;
mod retire;
mod rollback;
mod schema;
mod set;
mod show;
mod stale;
mod status;
mod test;
mod toggle;
mod validate;
mod write;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{Config, Environment};
use crate::drift::Pair;
use crate::finding::{Counts, did_you_mean};
use crate::repo::Repository;
use crate::report::{ColorChoice, Format};

/// The version, and the commit it was built from where known: `0.1.0 (1a2b3c4d5e6f 2026-11-25)`.
pub const VERSION: &str = env!("FLAGCTL_VERSION");

/// Feature flags as code in git: validate, diff, promote, audit.
#[derive(Debug, Parser)]
#[command(name = "flagctl", version = VERSION, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, clap::Args)]
pub struct Global {
    /// Run as if started in DIR
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,
    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to color the output (`NO_COLOR` turns `auto` off)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Fail (exit 1) on warnings too
    #[arg(long, global = true)]
    pub strict: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check flag files: YAML, the shared schema, and the rules
    #[command(visible_alias = "lint")]
    Validate(validate::Args),
    /// Show drift between environments, field by field
    Diff(diff::Args),
    /// Show every flag across the environments, with drift marks
    Status(status::Args),
    /// Create a flag from a template
    New(new::Args),
    /// Change values in a flag file, keeping its formatting
    Set(set::Args),
    /// Enable or disable a flag in one environment
    Toggle(toggle::Args),
    /// Bump a flag's version as much as its change needs
    Bump(bump::Args),
    /// Bring flags from one environment into the next, as a reviewed plan
    Promote(promote::Args),
    /// Apply a plan saved by `promote --plan`, if nothing moved since
    Apply(apply::Args),
    /// Restore a flag as it was at a revision or version, as a new commit
    Rollback(rollback::Args),
    /// Delete a deprecated flag from every environment, in one commit
    Retire(retire::Args),
    /// The merge gate: validation, drift errors, version bumps and policy since a base
    Check(check::Args),
    /// A flag's history from git: who changed what, when and why
    Log(log::Args),
    /// A flag as it was at a revision, date or version
    Show(show::Args),
    /// Who changed what, when, why and with which approvals; policy breaches in history
    Audit(audit::Args),
    /// The history as deterministic JSON Lines, or delivered to a webhook
    Events(events::Args),
    /// CODEOWNERS lines from environment approvers and flag owners
    Codeowners(codeowners::Args),
    /// Evaluate a flag for a context, as flagd serves it (or a batch of JSON Lines)
    Eval(eval::Args),
    /// Write an environment as a flagd flag file, for flagd and its providers to serve
    Export(export::Args),
    /// Run flag test specs (tests/flags): contexts and the answers they must get
    Test(test::Args),
    /// Which flags an app version cannot use (`requires`), or the flags × versions matrix
    Compat(compat::Args),
    /// Flags past their date or lifetime, rolled out and forgotten, deprecated yet served, unused
    Stale(stale::Args),
    /// Write the static dashboard (index.html and report.json) into a folder
    Report(report::Args),
    /// Create a new flag repository that validates clean
    Init(init::Args),
    /// git's merge driver for flag files: a three-way merge field by field (set up by `init`)
    #[command(name = "merge-driver")]
    MergeDriver(merge_driver::Args),
    /// Explain a finding code (or list every code)
    Explain(explain::Args),
    /// Print the JSON Schema a flag, segment or flagctl.yaml is checked against (for editors)
    Schema(schema::Args),
    /// Print a shell completion script
    Completions(completions::Args),
    /// Print the manual page (roff)
    Man(man::Args),
}

/// How a command ended, as the exit code of SPEC §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at error level.
    Clean,
    /// Findings at error level.
    Failed,
}

impl Outcome {
    pub fn from_counts(counts: Counts, strict: bool) -> Outcome {
        if counts.fails(strict) {
            Outcome::Failed
        } else {
            Outcome::Clean
        }
    }
}

impl Global {
    /// The directory commands start from.
    pub fn start_dir(&self) -> PathBuf {
        self.chdir.clone().unwrap_or_else(|| PathBuf::from("."))
    }

    /// The repository around the start directory, after finishing or undoing any operation a
    /// crash interrupted.
    pub fn repository(&self) -> anyhow::Result<Repository> {
        let repo = Repository::discover(&self.start_dir())?;
        if let Some(git) = crate::git::Git::open(&repo.root) {
            if let Some(note) = crate::change::transaction::recover(&repo.root, &git)? {
                eprintln!("flagctl: {}", crate::escape::terminal(&note.to_string()));
            }
        }
        Ok(repo)
    }
}

/// Parses the arguments, runs the command and maps the result to an exit code:
/// 0 clean, 1 findings at error level, 2 the command could not run.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap exits 0 for --help/--version and 2 for usage errors.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    let color = cli.global.color;
    match run(cli) {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            say_error(&format!("{err:#}"), color);
            ExitCode::from(2)
        }
    }
}

/// `error: message` on stderr, `error` colored as `--color` and `NO_COLOR` say. Errors quote
/// what the user gave: the message is shown on one line, escaped, so it can neither drive the
/// terminal nor start a CI workflow command on a line of its own.
pub fn say_error(message: &str, color: ColorChoice) {
    let style = crate::report::palette::severity(crate::finding::Severity::Error);
    let mut err = anstream::AutoStream::new(io::stderr().lock(), color.into());
    let _ = writeln!(
        err,
        "{style}error{style:#}: {}",
        crate::escape::terminal(message)
    );
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let global = &cli.global;
    match cli.command {
        Command::Validate(args) => validate::run(global, args),
        Command::Diff(args) => diff::run(global, args),
        Command::Status(args) => status::run(global, args),
        Command::New(args) => new::run(global, args),
        Command::Set(args) => set::run(global, args),
        Command::Toggle(args) => toggle::run(global, args),
        Command::Bump(args) => bump::run(global, args),
        Command::Promote(args) => promote::run(global, args),
        Command::Apply(args) => apply::run(global, args),
        Command::Rollback(args) => rollback::run(global, args),
        Command::Retire(args) => retire::run(global, args),
        Command::Check(args) => check::run(global, args),
        Command::Log(args) => log::run(global, args),
        Command::Show(args) => show::run(global, args),
        Command::Audit(args) => audit::run(global, args),
        Command::Events(args) => events::run(global, args),
        Command::Codeowners(args) => codeowners::run(global, args),
        Command::Eval(args) => eval::run(global, args),
        Command::Export(args) => export::run(global, args),
        Command::Test(args) => test::run(global, args),
        Command::Compat(args) => compat::run(global, args),
        Command::Stale(args) => stale::run(global, args),
        Command::Report(args) => report::run(global, args),
        Command::Init(args) => init::run(global, args),
        Command::MergeDriver(args) => merge_driver::run(global, args),
        Command::Explain(args) => explain::run(args),
        Command::Schema(args) => schema::run(global, args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    }
}

/// A counter of commits read, on stderr when it is a terminal (and nowhere else).
fn progress(message: &'static str) -> indicatif::ProgressBar {
    if !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner().with_message(message);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}: {pos} commits") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// The history of the flag files, oldest first (after commit `since`, if given), counted on the
/// terminal as it is read.
fn flag_history(
    git: &crate::git::Git,
    repo: &Repository,
    since: Option<&str>,
) -> anyhow::Result<Vec<crate::history::Entry>> {
    let bar = progress("reading history");
    let entries = crate::history::walk(git, &repo.flags_path(), since, &|n| bar.set_position(n))?;
    bar.finish_and_clear();
    Ok(entries)
}

/// The git repository of a flag repository, for commands that read history.
fn git_of(repo: &Repository) -> anyhow::Result<crate::git::Git> {
    crate::git::Git::open(&repo.root).ok_or_else(|| {
        anyhow::anyhow!(
            "{} is not in a git repository with commits; this command reads git history",
            repo.root.display()
        )
    })
}

/// The repository and its git history, for a command that reads the history of one environment
/// (`env`, which must be one of the repository's) or of all.
fn history_repo(
    global: &Global,
    env: Option<&str>,
) -> anyhow::Result<(Repository, crate::git::Git)> {
    let repo = global.repository()?;
    if let Some(env) = env {
        environment(&repo.config, env)?;
    }
    let git = git_of(&repo)?;
    Ok((repo, git))
}

/// The environment named `name`, or an error listing the known ones.
fn environment<'c>(config: &'c Config, name: &str) -> anyhow::Result<&'c Environment> {
    config.environment(name).ok_or_else(|| {
        let known = config.environment_names();
        let hint = did_you_mean(name, known.iter().copied())
            .map(|h| format!(" (did you mean \"{h}\"?)"))
            .unwrap_or_default();
        anyhow::anyhow!(
            "unknown environment \"{name}\"{hint}; this repository has: {}",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )
    })
}

/// The pairs to compare: the two named (upstream first), or every adjacent pair of the chain.
fn pairs(config: &Config, named: &[String]) -> anyhow::Result<Vec<Pair>> {
    let position = |name: &str| config.environments.iter().position(|e| e.name == name);
    match named {
        [] => Ok(config
            .environments
            .windows(2)
            .map(|w| Pair::new(&w[0].name, &w[1].name))
            .collect()),
        [a, b] => {
            environment(config, a)?;
            environment(config, b)?;
            if a == b {
                anyhow::bail!("compare two different environments (got {a} twice)");
            }
            let (upstream, downstream) = if position(a) < position(b) {
                (a, b)
            } else {
                (b, a)
            };
            Ok(vec![Pair::new(upstream, downstream)])
        }
        _ => anyhow::bail!("name two environments, or none"),
    }
}

/// The environments `pairs` touch, in chain order.
fn envs_of(pairs: &[Pair]) -> Vec<&str> {
    let mut envs: Vec<&str> = Vec::new();
    for pair in pairs {
        for env in [&pair.upstream, &pair.downstream] {
            if !envs.contains(&&**env) {
                envs.push(env);
            }
        }
    }
    envs
}

/// Reads the flags of `envs` and makes `comparison` of them, each chain compared as soon as it
/// is read, pending promotions aged by `ages`: the drift, and how many files were read.
fn compare(
    repo: &Repository,
    envs: &[&str],
    comparison: &crate::drift::Comparison,
    ages: crate::drift::Ages,
) -> anyhow::Result<(crate::drift::Drift, usize)> {
    let (inventory, settled) = crate::inventory::Inventory::load_settling(
        repo,
        envs,
        comparison.shows_values(),
        &|chain| comparison.settle(chain),
    )?;
    let drift = comparison.finish(&inventory, settled, ages)?;
    // What the comparison kept is no longer needed: the report is built without it.
    let files = inventory.files;
    free_at_exit(inventory);
    Ok((drift, files))
}

/// Leaves `value` for the process's exit to give back: what a command holds until it ends costs
/// nothing to free then, while freeing it beside the output (30,000 flag files take a core some
/// 20 ms) slows the output by as much.
fn free_at_exit<T>(value: T) {
    std::mem::forget(value);
}

/// Output cut short by a closed pipe (`flagctl … | head`) is not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Writes to stdout, mapping an I/O failure to a command error.
fn printed(result: io::Result<()>) -> anyhow::Result<()> {
    result.context("writing the output")
}

/// One line to stdout; a closed pipe (`flagctl … | head -0`) is an error the caller returns,
/// never a panic (as `println!` would).
fn say(line: impl std::fmt::Display) -> anyhow::Result<()> {
    use std::io::Write;
    printed(writeln!(io::stdout().lock(), "{line}"))
}
