//! `flagctl man`.

use anyhow::Context;
use clap::CommandFactory;

use super::{Cli, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<Outcome> {
    clap_mangen::Man::new(Cli::command())
        .render(&mut std::io::stdout().lock())
        .context("writing the manual page")?;
    Ok(Outcome::Clean)
}
