//! `flagctl toggle FLAG --env E on|off`.

use super::write::WriteArgs;
use super::{Global, Outcome};
use crate::change::edit::Scalar;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum State {
    On,
    Off,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flag's name
    flag: String,
    /// The environment whose file to change
    #[arg(long, short = 'e')]
    env: String,
    /// Enable (`on`) or disable (`off`) the flag
    #[arg(value_enum)]
    state: State,
    /// Let an incident toggle go through the environment's approval policy (needs --reason)
    #[arg(long)]
    break_glass: bool,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let on = args.state == State::On;
    let subject = format!(
        "toggle {} {} in {}",
        args.flag,
        if on { "on" } else { "off" },
        args.env
    );
    super::set::change(
        global,
        args.flag,
        args.env,
        vec![("enabled".to_owned(), Scalar::Bool(on))],
        subject,
        args.break_glass,
        args.write,
    )
}
