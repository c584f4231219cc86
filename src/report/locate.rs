//! Where code-scanning reports (SARIF, GitLab code quality) place a finding: paths from the top
//! of the git work tree, as the host that shows them on a diff reads them.

use std::path::{Path, PathBuf};

use super::Report;

/// The top of the git work tree holding `root`, found by its `.git` entry (a folder, or a file
/// in a linked worktree or submodule).
fn work_tree(root: &Path) -> Option<PathBuf> {
    let root = std::fs::canonicalize(root).ok()?;
    root.ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_owned)
}

/// The flag repository's folder inside the git work tree, with a trailing `/` (empty at the top
/// or outside git).
pub fn work_tree_prefix(root: &Path) -> String {
    let Some(top) = work_tree(root) else {
        return String::new();
    };
    let Ok(root) = std::fs::canonicalize(root) else {
        return String::new();
    };
    match root.strip_prefix(&top) {
        Ok(rel) if !rel.as_os_str().is_empty() => {
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            format!("{}/", parts.join("/"))
        }
        _ => String::new(),
    }
}

/// The git work tree's top as a `file://` URI ending in `/`, the base result paths resolve from.
pub fn work_tree_uri(root: &Path) -> Option<String> {
    let top = work_tree(root).or_else(|| std::fs::canonicalize(root).ok())?;
    let text = top.to_str()?.replace('\\', "/");
    let text = if text.starts_with('/') {
        text
    } else {
        format!("/{text}")
    };
    Some(format!(
        "file://{}/",
        uri_reference(text.trim_end_matches('/'))
    ))
}

/// Where a finding that names no file is shown: the configuration file, if the repository has
/// one (policy and settings live there).
pub fn config_path(report: &Report) -> Option<String> {
    let file = Path::new(crate::config::CONFIG_FILE);
    report
        .root
        .join(file)
        .is_file()
        .then(|| crate::config::CONFIG_FILE.to_owned())
}

/// A path as a URI reference: every byte outside the unreserved set and `/` percent-encoded.
pub fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            super::uri_reference("flags/prod/a b#%.yaml"),
            "flags/prod/a%20b%23%25.yaml"
        );
        assert_eq!(
            super::uri_reference("flags/dev/é.yaml"),
            "flags/dev/%C3%A9.yaml"
        );
    }
}
