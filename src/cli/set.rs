//! `flagctl set FLAG --env E KEY=VALUE…`.

use anyhow::bail;

use super::write::{Confirm, WriteArgs, execute, open_flag};
use super::{Global, Outcome, say};
use crate::change::edit::{self, Scalar};
use crate::change::{Operation, bump};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flag's name
    flag: String,
    /// The environment whose file to change
    #[arg(long, short = 'e')]
    env: String,
    /// Dotted keys reach inside: `rollout.onepage=30`, `rules.0.serve=classic`; values are YAML
    /// scalars (`true`, `30`, `classic`)
    #[arg(value_name = "KEY=VALUE", required = true)]
    assignments: Vec<String>,
    /// Let an incident change go through the environment's approval policy (needs --reason;
    /// the commit says so and `audit` reports it until approved)
    #[arg(long)]
    break_glass: bool,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let mut assignments = Vec::with_capacity(args.assignments.len());
    for assignment in &args.assignments {
        let Some((key, value)) = assignment.split_once('=') else {
            bail!("{assignment:?} is not KEY=VALUE");
        };
        if key.is_empty() || key.split('.').any(str::is_empty) {
            bail!("{assignment:?}: the key is empty");
        }
        if key == "version" {
            bail!("the version moves with `flagctl bump`, which checks it against the change");
        }
        assignments.push((key.to_owned(), Scalar::parse(value)));
    }
    let subject = format!(
        "set {} in {}: {}",
        args.flag,
        args.env,
        args.assignments.join(", ")
    );
    change(
        global,
        args.flag,
        args.env,
        assignments,
        subject,
        args.break_glass,
        args.write,
    )
}

/// Applies scalar assignments to one flag file: shared by `set` and `toggle`.
pub fn change(
    global: &Global,
    flag: String,
    env: String,
    assignments: Vec<(String, Scalar)>,
    subject: String,
    break_glass: bool,
    write: WriteArgs,
) -> anyhow::Result<Outcome> {
    if break_glass && write.reason.is_none() {
        bail!("--break-glass needs a --reason");
    }
    let (ws, file, before) = open_flag(global, &flag, &env, &write)?;
    ws.require_clean(&[&file.path])?;
    let text = String::from_utf8(before.clone())?;
    let after = edit::set(&file.path, &text, &assignments)?;
    let (after, raised) = bump::cover(&ws.git, &file.path, &before, after)?;
    let mut subject = subject;
    if let Some(short) = raised {
        subject.push_str(&format!(
            "; version {} ({})",
            short.target,
            short.reasons.join("; ")
        ));
    }
    let mut op = Operation::one_file(subject, file.path, before, after.into_bytes());
    if op.files[0].before == op.files[0].after {
        say(format_args!(
            "{flag} in {env} already has {}; nothing to change.",
            op.subject
        ))?;
        return Ok(Outcome::Clean);
    }
    if break_glass {
        op.trailers
            .push(("Flagctl-Break-Glass".to_owned(), "true".to_owned()));
    }
    execute(global, &ws, &op, &write, Confirm::Never)
}
