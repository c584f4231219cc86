//! `flagctl init`: a new repository that validates clean, and never a second one on top.

use std::collections::BTreeMap;
use std::path::Path;

use crate::{TempRepo, run_in};

/// Every file below `dir` and its bytes, by `/`-separated relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("below base");
                out.insert(
                    rel.to_string_lossy().replace('\\', "/"),
                    std::fs::read(&path).expect("read file"),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn init_creates_a_repository_that_validates_clean() {
    let tmp = TempRepo::new();
    let out = run_in(tmp.path(), &["init", "new-repo"]);
    out.expect_code(0);
    assert!(
        out.stdout.contains("Created a flag repository"),
        "{}",
        out.stdout
    );
    let dir = tmp.join("new-repo");
    let files = tree(&dir);
    for expected in [
        "flagctl.yaml",
        "schemas/flag.schema.json",
        ".gitattributes",
        ".githooks/pre-commit",
    ] {
        assert!(
            files.contains_key(expected),
            "{expected} missing: {:?}",
            files.keys()
        );
    }
    for env in ["dev", "staging", "prod"] {
        assert!(
            files
                .keys()
                .any(|p| p.starts_with(&format!("flags/{env}/"))),
            "no sample flag in {env}: {:?}",
            files.keys()
        );
    }
    let validate = run_in(&dir, &["validate"]);
    validate.expect_code(0);
    assert!(
        validate.stdout.contains("no problems"),
        "{}",
        validate.stdout
    );
    // Strict too: the scaffold carries no warning.
    run_in(&dir, &["validate", "--strict"]).expect_code(0);
}

#[test]
fn init_without_a_folder_scaffolds_the_current_one() {
    let tmp = TempRepo::new();
    run_in(tmp.path(), &["init"]).expect_code(0);
    assert!(tmp.join("flagctl.yaml").is_file());
    run_in(tmp.path(), &["validate"]).expect_code(0);
}

#[cfg(unix)]
#[test]
fn the_pre_commit_hook_is_executable() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = TempRepo::new();
    run_in(tmp.path(), &["init", "r"]).expect_code(0);
    let mode = std::fs::metadata(tmp.join("r/.githooks/pre-commit"))
        .expect("hook")
        .permissions()
        .mode();
    assert_ne!(mode & 0o111, 0, "git skips a hook it cannot execute");
}

#[test]
fn init_twice_is_refused_and_writes_nothing() {
    let tmp = TempRepo::new();
    run_in(tmp.path(), &["init", "r"]).expect_code(0);
    let dir = tmp.join("r");
    // The user edits the new repository before running init again by mistake.
    std::fs::write(dir.join("flagctl.yaml"), "flags_dir: flags\n").expect("edit");
    std::fs::remove_file(dir.join(".gitattributes")).expect("delete");
    let before = tree(&dir);
    run_in(tmp.path(), &["init", "r"]).expect_refusal(&["already a flag repository"]);
    assert_eq!(tree(&dir), before, "a refused init changed the files");
}

#[test]
fn init_over_existing_scaffold_files_is_refused_and_writes_nothing() {
    // Not a flag repository yet, but one of the files init would write is there: keep it.
    let tmp = TempRepo::new();
    tmp.write("r/.gitattributes", "*.png binary\n")
        .write("r/README.md", "mine\n");
    let before = tree(&tmp.join("r"));
    run_in(tmp.path(), &["init", "r"]).expect_refusal(&[".gitattributes", "nothing was written"]);
    assert_eq!(tree(&tmp.join("r")), before);
}
