//! `flagctl merge-driver %O %A %B %P`: git's merge driver for flag files (installed by
//! `flagctl init`, or `flagctl init --merge-driver` in an existing clone).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{Global, Outcome};
use crate::escape::terminal;
use crate::merge::driver::{self, Resolution};
use crate::repo::MAX_FILE_BYTES;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The common ancestor's version (git's %O)
    #[arg(value_name = "BASE")]
    base: PathBuf,
    /// Our version (git's %A): the merge is written here
    #[arg(value_name = "OURS")]
    ours: PathBuf,
    /// Their version (git's %B)
    #[arg(value_name = "THEIRS")]
    theirs: PathBuf,
    /// The file's path in the repository (git's %P)
    #[arg(value_name = "PATH")]
    path: String,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let shown = terminal(&args.path);
    // Messages quote lint errors and values of the user's files; escaping twice changes nothing.
    let say = |message: &str| eprintln!("flagctl merge-driver: {shown}: {}", terminal(message));
    let [base, ours, theirs] = [&args.base, &args.ours, &args.theirs].map(|p| side(p));
    let sides = [&base?[..], &ours?[..], &theirs?[..]];
    let clean = match driver::resolve(&global.start_dir(), &args.path, sides)? {
        Resolution::Merged {
            text,
            messages,
            clean,
        } => {
            std::fs::write(&args.ours, text)
                .with_context(|| format!("writing {}", args.ours.display()))?;
            for message in messages {
                say(&message);
            }
            clean
        }
        Resolution::LineMerge(reason) => {
            say(&format!(
                "{reason}; merged line by line with `git merge-file` instead"
            ));
            crate::git::merge_file(
                &args.ours,
                &args.base,
                &args.theirs,
                ["ours", "base", "theirs"],
            )?
        }
    };
    Ok(if clean {
        Outcome::Clean
    } else {
        Outcome::Failed
    })
}

/// One side's bytes, read no further than one past the largest flag file (the driver then
/// leaves it to git).
fn side(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(bytes)
}
