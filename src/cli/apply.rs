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

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let text =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
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
    ws.require_reason(&plan.to, args.write.reason.as_deref())?;
    promote::check_fresh(&ws, &plan)?;
    execute(global, &ws, &plan.operation(), &args.write, Confirm::Ask)
}
