//! `flagctl merge-driver %O %A %B %P`: git's merge driver for flag files (installed by
//! `flagctl init`, or `flagctl init --merge-driver` in an existing clone).

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use anyhow::Context;

use super::{Global, Outcome};
use crate::escape::terminal;
use crate::finding::Severity;
use crate::lint::Linter;
use crate::merge::{self, Labels, Merged};
use crate::repo::{MAX_FILE_BYTES, Repository, SourceFile};

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
    let read = |path: &Path| -> anyhow::Result<Vec<u8>> {
        let file =
            std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading {}", path.display()))?;
        Ok(bytes)
    };
    let sides = [&args.base, &args.ours, &args.theirs].map(|p| read(p));
    let [base, ours, theirs] = sides;
    let (base, ours, theirs) = (base?, ours?, theirs?);

    let fallback = |reason: &str| -> anyhow::Result<Outcome> {
        say(&format!(
            "{reason}; merged line by line with `git merge-file` instead"
        ));
        let clean = crate::git::merge_file(
            &args.ours,
            &args.base,
            &args.theirs,
            ["ours", "base", "theirs"],
        )?;
        Ok(if clean {
            Outcome::Clean
        } else {
            Outcome::Failed
        })
    };
    if [&base, &ours, &theirs]
        .iter()
        .any(|b| b.len() as u64 > MAX_FILE_BYTES)
    {
        return fallback("a side is larger than a flag file may be");
    }
    let (repo, file) = match flag_file(&global.start_dir(), &args.path) {
        Ok(found) => found,
        Err(reason) => return fallback(&reason),
    };
    let now = crate::time::now()?;
    let linter = match Linter::new(&repo, now) {
        Ok(linter) => linter,
        Err(err) => return fallback(&format!("cannot check flags here ({err})")),
    };
    let all = match repo.files() {
        Ok(all) => all,
        Err(err) => return fallback(&format!("cannot list the flag repository ({err})")),
    };
    let segments = linter.segment_names(&repo, &all);
    let check = |text: &str| {
        linter
            .check_content(&repo, &file, text.as_bytes(), &segments)
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .collect()
    };
    let merged = match merge::merge(&base, &ours, &theirs, &Labels::default(), &check) {
        Ok(merged) => merged,
        Err(why) => return fallback(&why.to_string()),
    };
    let Merged { flag, outcome } = merged;
    let flag = flag.map_or_else(String::new, |f| format!("flag {f}: "));
    let (text, messages, outcome) = match outcome {
        merge::Outcome::Clean { text, notes } => (text, notes, Outcome::Clean),
        merge::Outcome::Conflicted { text, conflicts } => {
            let messages = conflicts.iter().map(|c| format!("conflict: {c}")).collect();
            (text, messages, Outcome::Failed)
        }
    };
    std::fs::write(&args.ours, text).with_context(|| format!("writing {}", args.ours.display()))?;
    for message in messages {
        say(&format!("{flag}{message}"));
    }
    Ok(outcome)
}

/// The flag repository holding the work-tree path `path` (git's %P) and the file's description
/// there; or why it is no flag file. The path must stay inside the work tree.
fn flag_file(start: &Path, path: &str) -> Result<(Repository, SourceFile), String> {
    let top = crate::git::work_tree_top(start).ok_or("not run inside a git work tree")?;
    let relative = Path::new(path);
    let inside = !path.is_empty()
        && !path.contains('\0')
        && relative
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !inside {
        return Err("the path does not name a file inside the repository".to_owned());
    }
    let full = top.join(relative);
    let root = full
        .ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(&top))
        .find(|dir| Repository::is_root(dir))
        .ok_or("not in a flag repository")?;
    let real = std::fs::canonicalize(root).map_err(|e| format!("cannot read its folder ({e})"))?;
    if !real.starts_with(&top) {
        return Err("its flag repository lies outside the work tree".to_owned());
    }
    let repo =
        Repository::open(root).map_err(|e| format!("cannot read its flag repository ({e})"))?;
    let rel = repo.relative(&full);
    let yaml = rel.ends_with(".yaml") || rel.ends_with(".yml");
    match crate::change::source_for(&repo, &rel) {
        Some(file) if yaml => Ok((repo, file)),
        _ => Err(
            "not a flag file (flags live in <flags folder>/<environment>/…/<name>.yaml)".to_owned(),
        ),
    }
}
