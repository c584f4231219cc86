//! `flagctl rollback FLAG --env E --to REV|VERSION`.

use super::write::{Confirm, WriteArgs, execute, open_flag};
use super::{Global, Outcome, say};
use crate::change::Operation;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flag's name
    flag: String,
    /// The environment to roll back
    #[arg(long, short = 'e')]
    env: String,
    /// A revision (commit, tag, `HEAD~2`) or a version (`1.2.0`: the newest commit holding it)
    #[arg(long, value_name = "REV|VERSION")]
    to: String,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let (ws, file, before) = open_flag(global, &args.flag, &args.env, &args.write)?;
    ws.require_clean(&[&file.path])?;

    let (commit, bytes) = crate::history::state_at(&ws.git, &file.path, &args.to)?;
    if bytes == before {
        say(format_args!(
            "{} in {} is already as it was at {}; nothing to change.",
            args.flag,
            args.env,
            &commit.id[..12]
        ))?;
        return Ok(Outcome::Clean);
    }
    let subject = format!(
        "rollback {} in {} to {} ({})",
        args.flag,
        args.env,
        args.to,
        &commit.id[..12]
    );
    let mut op = Operation::one_file(subject, file.path, before, bytes);
    op.trailers = vec![("Flagctl-Rolled-Back-To".to_owned(), commit.id.clone())];
    execute(global, &ws, &op, &args.write, Confirm::Ask)
}
