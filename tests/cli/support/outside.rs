//! [`Outside`]: a folder beside a [`super::Repo`] that no command may touch, for the tests of
//! writes that would leave the repository.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Repo, Run};

/// Every entry of an [`Outside`] folder by path: its bytes (none for a folder), inode and mode.
pub type Snapshot = BTreeMap<String, (Vec<u8>, u64, u32)>;

/// A folder beside the repository: every file's bytes, inode and mode, compared before and
/// after a run.
pub struct Outside {
    pub path: PathBuf,
}

impl Outside {
    /// The folder `outside/` beside `repo`'s root (created empty).
    pub fn of(repo: &Repo) -> Outside {
        let path = repo.path().parent().expect("parent").join("outside");
        std::fs::create_dir_all(&path).expect("outside folder");
        Outside { path }
    }

    pub fn snapshot(&self) -> Snapshot {
        let mut out = Snapshot::new();
        super::repo::visit(&self.path, &self.path, &[], &mut |rel, path, meta| {
            let (inode, mode) = inode_and_mode(meta);
            if meta.is_dir() {
                out.insert(format!("{rel}/"), (Vec::new(), inode, mode));
            } else {
                out.insert(
                    rel.to_owned(),
                    (std::fs::read(path).unwrap_or_default(), inode, mode),
                );
            }
        });
        out
    }

    /// Asserts that nothing here changed since `before` (`run` is shown on failure).
    #[track_caller]
    pub fn assert_unchanged(&self, before: &Snapshot, run: &Run) {
        assert_eq!(
            &self.snapshot(),
            before,
            "files outside the repository changed\n{}",
            run.show()
        );
    }
}

#[cfg(unix)]
fn inode_and_mode(meta: &std::fs::Metadata) -> (u64, u32) {
    use std::os::unix::fs::MetadataExt;
    (meta.ino(), meta.mode())
}

#[cfg(not(unix))]
fn inode_and_mode(_meta: &std::fs::Metadata) -> (u64, u32) {
    (0, 0)
}
