//! `flagctl bump FLAG --env E [major|minor|patch|auto]`.

use super::write::{Confirm, WriteArgs, execute, open_flag};
use super::{Global, Outcome, say};
use crate::change::Operation;
use crate::change::bump::{self, Bump, Level};
use crate::change::edit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum How {
    Major,
    Minor,
    Patch,
    /// As much as the change since the version was last set needs
    Auto,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flag's name
    flag: String,
    /// The environment whose file to bump
    #[arg(long, short = 'e')]
    env: String,
    #[arg(value_enum, default_value_t = How::Auto)]
    how: How,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let (ws, file, before) = open_flag(global, &args.flag, &args.env, &args.write)?;
    let asked = match args.how {
        How::Major => Some(Level::Major),
        How::Minor => Some(Level::Minor),
        How::Patch => Some(Level::Patch),
        How::Auto => None,
    };
    let (target, why) = match bump::plan(&ws.git, &file.path, &before, asked)? {
        Bump::To { target, why } => (target, why),
        Bump::Covered {
            current,
            base,
            level,
            reasons,
        } => {
            let covered = if level == Level::None {
                format!("nothing but state changed since {base}; no bump needed.")
            } else {
                format!(
                    "{current} already covers the {level} change since {base} ({}).",
                    reasons.join("; ")
                )
            };
            say(format_args!("{} in {}: {covered}", args.flag, args.env))?;
            return Ok(Outcome::Clean);
        }
    };
    let after = edit::set_version(&file.path, &String::from_utf8(before.clone())?, &target)?;
    let subject = format!(
        "bump {} in {} to {target}: {}",
        args.flag,
        args.env,
        why.join("; ")
    );
    let op = Operation::one_file(subject, file.path, before, after.into_bytes());
    execute(global, &ws, &op, &args.write, Confirm::Never)
}
