//! `flagctl bump FLAG --env E [major|minor|patch|auto]`.

use anyhow::{Context, bail};

use super::write::{Confirm, WriteArgs, execute, open_flag};
use super::{Global, Outcome, say};
use crate::change::bump::{Level, classify, shortfall, version, version_base};
use crate::change::edit::{self, Scalar};
use crate::change::{FileWrite, Operation};
use crate::repo::parse_bytes;
use crate::yaml::Node;

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
    let current = root(&file.path, &before)?;
    let current_version = version(&current)
        .with_context(|| format!("{}: the version is not semver; fix it by hand", file.path))?;

    let (target, why) = match args.how {
        How::Major => (
            Level::Major.apply(&current_version),
            vec!["asked for a major bump".to_owned()],
        ),
        How::Minor => (
            Level::Minor.apply(&current_version),
            vec!["asked for a minor bump".to_owned()],
        ),
        How::Patch => (
            Level::Patch.apply(&current_version),
            vec!["asked for a patch bump".to_owned()],
        ),
        How::Auto => {
            let Some(base) = version_base(&ws.git, &file.path)? else {
                bail!(
                    "{} has no committed version to compare with; say major, minor or patch",
                    file.path
                );
            };
            let base_version = version(&base).context("the committed version is not semver")?;
            match shortfall(&base, &current) {
                Some(short) => (short.target, short.reasons),
                None => {
                    let (level, reasons) = classify(&base, &current);
                    if level == Level::None {
                        say(format_args!(
                            "{} in {}: nothing but state changed since {base_version}; no bump needed.",
                            args.flag, args.env
                        ))?;
                    } else {
                        say(format_args!(
                            "{} in {}: {current_version} already covers the {level} change since {base_version} ({}).",
                            args.flag,
                            args.env,
                            reasons.join("; ")
                        ))?;
                    }
                    return Ok(Outcome::Clean);
                }
            }
        }
    };
    let text = String::from_utf8(before.clone())?;
    let after = edit::set(
        &file.path,
        &text,
        &[("version".to_owned(), Scalar::Str(target.to_string()))],
    )?;
    let op = Operation {
        subject: format!(
            "bump {} in {} to {target}: {}",
            args.flag,
            args.env,
            why.join("; ")
        ),
        trailers: Vec::new(),
        files: vec![FileWrite {
            path: file.path.clone(),
            before: Some(before),
            after: Some(after.into_bytes()),
        }],
    };
    execute(global, &ws, &op, &args.write, Confirm::Never)
}

fn root(path: &str, bytes: &[u8]) -> anyhow::Result<Node> {
    parse_bytes(path, bytes)
        .map(|p| p.root)
        .map_err(|f| anyhow::anyhow!("{path}: {}; run flagctl validate", f.message))
}
