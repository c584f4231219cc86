//! `flagctl retire FLAG`: deletes a deprecated flag from every environment, in one commit.

use anyhow::bail;

use super::write::{Confirm, WriteArgs, execute};
use super::{Global, Outcome};
use crate::change::{ChangeError, FileWrite, Operation, Workspace};
use crate::repo::parse_bytes;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flag's name
    flag: String,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    let ws = Workspace::open(repo)?;
    let mut files = Vec::new();
    let mut not_deprecated = Vec::new();
    for env in ws.repo.config.environment_names() {
        let file = match ws.flag_file(&args.flag, env) {
            Ok(file) => file,
            Err(ChangeError::UnknownFlag { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        ws.require_reason(env, args.write.reason.as_deref())?;
        let before = std::fs::read(ws.repo.root.join(&file.path))?;
        let lifecycle = parse_bytes(&file.path, &before).ok().and_then(|p| {
            p.root
                .get("lifecycle")
                .and_then(|l| l.as_str().map(str::to_owned))
        });
        if lifecycle.as_deref() != Some("deprecated") {
            not_deprecated.push(format!(
                "{env} ({})",
                lifecycle.unwrap_or_else(|| "no lifecycle".to_owned())
            ));
        }
        files.push(FileWrite {
            path: file.path,
            before: Some(before),
            after: None,
        });
    }
    if files.is_empty() {
        bail!("no environment has a flag named \"{}\"", args.flag);
    }
    if !not_deprecated.is_empty() {
        bail!(
            "\"{}\" is not deprecated in {}; deprecate it everywhere first (set lifecycle: deprecated, bump, promote)",
            args.flag,
            not_deprecated.join(", ")
        );
    }
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    ws.require_clean(&paths)?;
    let op = Operation {
        subject: format!("retire {} from {} environments", args.flag, files.len()),
        trailers: Vec::new(),
        files,
    };
    execute(global, &ws, &op, &args.write, Confirm::Ask)
}
