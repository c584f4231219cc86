//! The merge driver's judgement of one file (`flagctl merge-driver`): merged by field where it is
//! a flag file of a flag repository in the work tree, else left to git's line merge, and why.

use std::path::{Component, Path};

use super::{Labels, Merged, Outcome};
use crate::finding::Severity;
use crate::lint::Linter;
use crate::repo::{MAX_FILE_BYTES, Repository, SourceFile};
use crate::time::BadNow;

/// What becomes of the file.
#[derive(Debug)]
pub enum Resolution {
    /// Merged by field: the text for git's %A, and what to say of it (conflicts or notes, each
    /// naming the flag). `clean`: no conflict.
    Merged {
        text: String,
        messages: Vec<String>,
        clean: bool,
    },
    /// Not mergeable by field, for this reason: git's line merge takes it.
    LineMerge(String),
}

/// Merges the three sides of the work-tree file at `path` (git's %P, relative to the top of the
/// work tree around `start`), checking the result as that flag file.
pub fn resolve(
    start: &Path,
    path: &str,
    [base, ours, theirs]: [&[u8]; 3],
) -> Result<Resolution, BadNow> {
    let line_merge = |reason: String| Ok(Resolution::LineMerge(reason));
    if [base, ours, theirs]
        .iter()
        .any(|b| b.len() as u64 > MAX_FILE_BYTES)
    {
        return line_merge("a side is larger than a flag file may be".to_owned());
    }
    let (repo, file) = match flag_file(start, path) {
        Ok(found) => found,
        Err(reason) => return line_merge(reason),
    };
    let now = crate::time::now()?;
    let linter = match Linter::new(&repo, now) {
        Ok(linter) => linter,
        Err(err) => return line_merge(format!("cannot check flags here ({err})")),
    };
    let all = match repo.files() {
        Ok(all) => all,
        Err(err) => return line_merge(format!("cannot list the flag repository ({err})")),
    };
    let segments = linter.segment_names(&repo, &all);
    let check = |text: &str| {
        linter
            .check_content(&repo, &file, text.as_bytes(), &segments)
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .collect()
    };
    let Merged { flag, outcome } =
        match super::merge(base, ours, theirs, &Labels::default(), &check) {
            Ok(merged) => merged,
            Err(why) => return line_merge(why.to_string()),
        };
    let flag = flag.map_or_else(String::new, |f| format!("flag {f}: "));
    let (text, messages, clean) = match outcome {
        Outcome::Clean { text, notes } => (text, notes, true),
        Outcome::Conflicted { text, conflicts } => {
            let messages = conflicts.iter().map(|c| format!("conflict: {c}")).collect();
            (text, messages, false)
        }
    };
    Ok(Resolution::Merged {
        text,
        messages: messages
            .into_iter()
            .map(|message| format!("{flag}{message}"))
            .collect(),
        clean,
    })
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
