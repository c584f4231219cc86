//! `flagctl new NAME --template T [--env dev]`.

use anyhow::{Context, bail};

use super::write::{Confirm, WriteArgs, execute};
use super::{Global, Outcome};
use crate::change::Workspace;
use crate::change::create::NewFlag;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new flag's name
    name: String,
    /// The blueprint: templates/<TEMPLATE>.yaml
    #[arg(long, short = 't')]
    template: String,
    /// The environment to create it in (default: the first of the chain)
    #[arg(long, short = 'e')]
    env: Option<String>,
    /// A group folder inside the environment (`checkout` → flags/dev/checkout/NAME.yaml)
    #[arg(long)]
    group: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    let env = match &args.env {
        Some(env) => super::environment(&repo.config, env)?.name.clone(),
        None => match repo.config.environments.first() {
            Some(env) => env.name.clone(),
            None => bail!("this repository has no environment to create the flag in"),
        },
    };
    let flag = NewFlag::new(
        &repo.config,
        &args.name,
        &args.template,
        &env,
        args.group.as_deref(),
    )?;
    let ws = Workspace::open(repo)?;
    let op = flag.operation(&ws, args.write.reason.as_deref())?;
    execute(global, &ws, &op, &args.write, Confirm::Never).context("creating the flag")
}
