//! `flagctl promote FROM TO [FLAG…|--all] [--plan FILE] [--with-state]`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};

use super::write::{Confirm, WriteArgs, execute};
use super::{Global, Outcome, printed};
use crate::change::Workspace;
use crate::change::promote::{self, Selection};
use crate::escape::terminal;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The environment to promote from (upstream)
    from: String,
    /// The environment to promote into (downstream)
    to: String,
    /// The flags to promote
    #[arg(
        value_name = "FLAG",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    flags: Vec<String>,
    /// Promote every flag that differs
    #[arg(long)]
    all: bool,
    /// Bring the state (enabled, rules, serve, rollout) too, not only contract and metadata
    #[arg(long)]
    with_state: bool,
    /// Promote against the chain's direction (recorded in the commit)
    #[arg(long)]
    allow_backport: bool,
    /// Save the plan to FILE instead of applying it; `flagctl apply FILE` applies it later if
    /// nothing moved
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    super::environment(&repo.config, &args.from)?;
    super::environment(&repo.config, &args.to)?;
    if args.from == args.to {
        bail!(
            "promote between two different environments (got {} twice)",
            args.from
        );
    }
    let ws = Workspace::open(repo)?;
    ws.require_reason(&args.to, args.write.reason.as_deref())?;
    let selection = if args.all {
        Selection::All
    } else {
        Selection::Names(args.flags.clone())
    };
    let plan = promote::plan(
        &ws,
        &args.from,
        &args.to,
        &selection,
        args.with_state,
        args.allow_backport,
    )?;
    for skipped in &plan.skipped {
        eprintln!(
            "skipped {}: {}",
            terminal(&skipped.name),
            terminal(&skipped.reason.to_string())
        );
    }
    if let Some(path) = &args.plan {
        let op = plan.operation();
        printed(crate::report::plan(&op.subject, &op.files, global.color))?;
        let json = serde_json::to_vec_pretty(&plan)?;
        std::fs::write(path, json)
            .with_context(|| format!("writing the plan to {}", path.display()))?;
        let mut out = std::io::stdout().lock();
        printed(writeln!(
            out,
            "Plan saved to {} ({} flags, at commit {}). Apply it with: flagctl apply {}",
            path.display(),
            plan.flags.len(),
            &plan.head[..12],
            path.display()
        ))?;
        return Ok(Outcome::Clean);
    }
    execute(global, &ws, &plan.operation(), &args.write, Confirm::Ask)
}
