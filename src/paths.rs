//! Paths a user can name (a group folder, a template, a plan's target, `schema:` in
//! `flagctl.yaml`): each a plain relative path that stays inside the repository, read with a
//! size limit, and never written through a symbolic link.

use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("{what} {text:?} is not a plain relative path: {why}")]
    NotPlain {
        what: &'static str,
        text: String,
        why: &'static str,
    },
    #[error(
        "{path} passes through a symbolic link ({link}); flagctl never writes through a link, so that a write cannot land outside the repository or in another environment"
    )]
    Link { path: String, link: String },
    #[error("cannot read {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{} is {size} KiB; {what} is limited to {limit} KiB", path.display())]
    TooLarge {
        path: PathBuf,
        what: &'static str,
        size: u64,
        limit: u64,
    },
}

/// Why `name` cannot be one component of a path flagctl builds, if it cannot.
pub fn component_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("an empty name")
    } else if name == "." || name == ".." {
        Some("`.` and `..` lead out of the folder")
    } else if name.starts_with('.') {
        Some("a hidden name (starting with `.`)")
    } else if name.contains(['/', '\\']) {
        Some("a folder separator")
    } else if name.chars().any(char::is_control) {
        Some("a control character")
    } else if name.len() > 255 {
        Some("longer than 255 bytes")
    } else {
        None
    }
}

/// `text` as the components of a plain relative path (`a/b/c`): no `.` or `..`, no hidden
/// or empty component, not absolute.
pub fn plain_relative<'t>(what: &'static str, text: &'t str) -> Result<Vec<&'t str>, PathError> {
    let not_plain = |why| PathError::NotPlain {
        what,
        text: text.to_owned(),
        why,
    };
    if text.starts_with('/') || text.starts_with('\\') || Path::new(text).is_absolute() {
        return Err(not_plain("an absolute path"));
    }
    let parts: Vec<&str> = text.split('/').collect();
    for part in &parts {
        if let Some(why) = component_problem(part) {
            return Err(not_plain(why));
        }
    }
    Ok(parts)
}

/// The file at `root/rel` that flagctl may write: `rel` is a plain relative path, and neither
/// it nor any folder on the way (below `root`) is a symbolic link.
pub fn write_target(root: &Path, rel: &str) -> Result<PathBuf, PathError> {
    let parts = plain_relative("the path", rel)?;
    let mut at = root.to_path_buf();
    for part in parts {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = at
                    .strip_prefix(root)
                    .unwrap_or(&at)
                    .to_string_lossy()
                    .into_owned();
                return Err(PathError::Link {
                    path: rel.to_owned(),
                    link,
                });
            }
            Ok(_) => {}
            // Nothing further exists: the write creates it.
            Err(_) => break,
        }
    }
    Ok(root.join(rel))
}

/// Reads a file the user named, refusing one larger than `limit` bytes (checked on the open
/// handle and again while reading: `/dev/zero` has no size but never ends).
pub fn read_limited(path: &Path, what: &'static str, limit: u64) -> Result<Vec<u8>, PathError> {
    let read = |cause| PathError::Read {
        path: path.to_owned(),
        cause,
    };
    let too_large = |size: u64| PathError::TooLarge {
        path: path.to_owned(),
        what,
        size: size / 1024,
        limit: limit / 1024,
    };
    let file = std::fs::File::open(path).map_err(read)?;
    let meta = file.metadata().map_err(read)?;
    if meta.is_dir() {
        return Err(read(std::io::Error::other("it is a folder")));
    }
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut bytes).map_err(read)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Whether `path` (which exists) resolves inside `dir`, following every link on the way.
pub fn resolves_inside(path: &Path, dir: &Path) -> bool {
    match (std::fs::canonicalize(path), std::fs::canonicalize(dir)) {
        (Ok(path), Ok(dir)) => path.starts_with(dir),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_pass() {
        assert_eq!(
            plain_relative("p", "checkout/eu").expect("plain"),
            ["checkout", "eu"]
        );
        for bad in [
            "../prod",
            "a/../../x",
            "/etc/passwd",
            "",
            "a//b",
            ".hidden",
            "a/.",
            "a\nb",
            "a\\..\\b",
        ] {
            assert!(plain_relative("p", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_read_stops_at_the_limit() {
        let dir = tempfile::tempdir().expect("temp");
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b'x'; 2048]).expect("write");
        assert!(matches!(
            read_limited(&path, "a test file", 1024),
            Err(PathError::TooLarge { .. })
        ));
        assert_eq!(
            read_limited(&path, "a test file", 4096)
                .expect("read")
                .len(),
            2048
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_stream_without_size_is_cut_at_the_limit() {
        assert!(matches!(
            read_limited(Path::new("/dev/zero"), "a test file", 1024),
            Err(PathError::TooLarge { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn no_write_goes_through_a_link() {
        let dir = tempfile::tempdir().expect("temp");
        let outside = tempfile::tempdir().expect("temp");
        std::fs::create_dir_all(dir.path().join("flags")).expect("mkdir");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("flags/prod")).expect("link");
        assert!(matches!(
            write_target(dir.path(), "flags/prod/x.yaml"),
            Err(PathError::Link { .. })
        ));
        assert!(write_target(dir.path(), "flags/dev/new/x.yaml").is_ok());
    }
}
