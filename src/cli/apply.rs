//! `flagctl apply FILE`: a saved promotion plan, applied only if nothing it read has moved.

use std::path::PathBuf;

use anyhow::{Context, bail};

use super::write::{Confirm, WriteArgs, execute};
use super::{Global, Outcome};
use crate::change::Workspace;
use crate::change::promote::{self, Plan};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plan saved by `flagctl promote … --plan FILE`
    file: PathBuf,
    #[command(flatten)]
    write: WriteArgs,
}

/// A plan file is a few kilobytes per flag; a larger file is not one.
const MAX_PLAN_BYTES: u64 = 64 * 1024 * 1024;

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let text = crate::paths::read_limited(&args.file, "a plan", MAX_PLAN_BYTES)?;
    let plan: Plan = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a flagctl plan", args.file.display()))?;
    if plan.version != 1 {
        bail!(
            "{} is a version {} plan; this flagctl reads version 1",
            args.file.display(),
            plan.version
        );
    }
    let repo = global.repository()?;
    let ws = Workspace::open(repo)?;
    // Nothing of the file but its environments and flag names is trusted: the promotion is
    // planned again and must come out the same.
    let plan = promote::replan(&ws, &plan)?;
    ws.require_reason(&plan.to, args.write.reason.as_deref())?;
    execute(global, &ws, &plan.operation(), &args.write, Confirm::Ask)
}
