//! `flagctl rollback FLAG --env E --to REV|VERSION`.

use anyhow::bail;

use super::write::{Confirm, WriteArgs, execute, open_flag};
use super::{Global, Outcome};
use crate::change::{FileWrite, Operation};

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

    let (commit, bytes) = if semver::Version::parse(&args.to).is_ok() {
        let mut found = None;
        for revision in crate::history::revisions(&ws.git, &file.path)? {
            let revision = revision?;
            if revision.version() == Some(args.to.as_str()) {
                found = revision.bytes.map(|bytes| (revision.commit, bytes));
                break;
            }
        }
        match found {
            Some(found) => found,
            None => bail!(
                "{} never held version {} in its history",
                file.path,
                args.to
            ),
        }
    } else {
        let commit = ws.git.resolve(&args.to)?;
        match ws.git.file_at(&commit.id, &file.path)? {
            Some(bytes) => (commit, bytes),
            None => bail!("{} did not exist at {}", file.path, args.to),
        }
    };
    if bytes == before {
        println!(
            "{} in {} is already as it was at {}; nothing to change.",
            args.flag,
            args.env,
            &commit.id[..12]
        );
        return Ok(Outcome::Clean);
    }
    let op = Operation {
        subject: format!(
            "rollback {} in {} to {} ({})",
            args.flag,
            args.env,
            args.to,
            &commit.id[..12]
        ),
        trailers: vec![("Flagctl-Rolled-Back-To".to_owned(), commit.id.clone())],
        files: vec![FileWrite {
            path: file.path.clone(),
            before: Some(before),
            after: Some(bytes),
        }],
    };
    execute(global, &ws, &op, &args.write, Confirm::Ask)
}
