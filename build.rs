//! Names the commit flagctl is built from, for `flagctl --version`: `0.1.0 (1a2b3c4d5e6f
//! 2026-11-25)`. From git when building a checkout of flagctl itself, from the
//! `.cargo_vcs_info.json` cargo writes into a packaged crate, else the version alone (a tarball
//! without either). `FLAGCTL_BUILD_COMMIT` overrides both, for packagers.

use std::path::Path;
use std::process::Command;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let dir = Path::new(&manifest_dir);
    println!("cargo:rerun-if-env-changed=FLAGCTL_BUILD_COMMIT");
    let commit = std::env::var("FLAGCTL_BUILD_COMMIT")
        .ok()
        .filter(|c| is_commit_text(c))
        .or_else(|| from_git(dir))
        .or_else(|| from_vcs_info(dir));
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let line = match commit {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo:rustc-env=FLAGCTL_VERSION={line}");
}

/// `<short sha> <commit date>` of HEAD, with `-dirty` for uncommitted changes, when `dir` is the
/// top of a git work tree (not a crate unpacked inside some other repository).
fn from_git(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let same = std::fs::canonicalize(&top).ok()? == std::fs::canonicalize(dir).ok()?;
    if !same {
        return None;
    }
    // Rebuild when HEAD moves: HEAD itself, the branch it names, and packed refs.
    for path in ["HEAD", "packed-refs"] {
        if let Some(file) = git(dir, &["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={}", dir.join(file).display());
        }
    }
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        if let Some(file) = git(dir, &["rev-parse", "--git-path", &branch]) {
            println!("cargo:rerun-if-changed={}", dir.join(file).display());
        }
    }
    let described = git(
        dir,
        &[
            "log",
            "-1",
            "--no-show-signature",
            "--format=%h %cs",
            "--abbrev=12",
        ],
    )?;
    if !is_commit_text(&described) {
        return None;
    }
    let dirty =
        git(dir, &["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty {
        format!("{described} dirty")
    } else {
        described
    })
}

/// The commit cargo recorded when it packaged the crate (`cargo package`, `cargo install` from
/// a registry).
fn from_vcs_info(dir: &Path) -> Option<String> {
    let path = dir.join(".cargo_vcs_info.json");
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(path).ok()?;
    // {"git": {"sha1": "<40 hex>"}, ...}: the one 40-hex string after "sha1".
    let after = &text[text.find("\"sha1\"")? + 6..];
    let start = after.find('"')? + 1;
    let sha: String = after[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (sha.len() == 40).then(|| sha[..12].to_owned())
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8(output.stdout).ok()?.trim().to_owned())
}

/// Plain text fit for a version line: letters, digits, `-`, `.`, `_` and spaces, nothing else.
fn is_commit_text(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ' ' | '.' | '_'))
}
