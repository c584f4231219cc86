//! `flagctl schema [flag|segment|config]`.

use std::io::Write;

use super::{Global, Outcome, printed};
use crate::repo::{RepoError, Repository};
use crate::schema_bundle::{self, FileKind};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which file's schema: a flag, a segment, or flagctl.yaml
    #[arg(value_enum, default_value_t = FileKind::Flag)]
    kind: FileKind,
}

/// Prints the JSON Schema files of that kind are checked against, in this repository (outside
/// one, the built-in schema), as one document an editor can read.
pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = match Repository::discover(&global.start_dir()) {
        Ok(repo) => Some(repo),
        Err(RepoError::NotFound { .. }) => None,
        Err(err) => return Err(err.into()),
    };
    let schema = schema_bundle::effective(args.kind, repo.as_ref())?;
    let mut out = std::io::stdout().lock();
    let text = serde_json::to_string_pretty(&schema)?;
    printed(writeln!(out, "{text}"))?;
    Ok(Outcome::Clean)
}
