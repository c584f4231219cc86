//! `flagctl init`: a new repository that validates clean, and never a second one on top.

use crate::support::Repo;

#[test]
fn init_creates_a_repository_that_validates_clean() {
    let tmp = Repo::new();
    let out = tmp.run(&["init", "new-repo"]);
    out.expect(0);
    assert!(
        out.stdout.contains("Created a flag repository"),
        "{}",
        out.stdout
    );
    let files = tmp.files();
    for expected in [
        "flagctl.yaml",
        "schemas/flag.schema.json",
        ".gitattributes",
        ".githooks/pre-commit",
    ] {
        assert!(
            files.contains_key(&format!("new-repo/{expected}")),
            "{expected} missing: {:?}",
            files.keys()
        );
    }
    for env in ["dev", "staging", "prod"] {
        assert!(
            files
                .keys()
                .any(|p| p.starts_with(&format!("new-repo/flags/{env}/"))),
            "no sample flag in {env}: {:?}",
            files.keys()
        );
    }
    let validate = tmp.cmd(&["validate"]).in_dir("new-repo").run();
    validate.expect(0);
    assert!(
        validate.stdout.contains("no problems"),
        "{}",
        validate.stdout
    );
    // Strict too: the scaffold carries no warning.
    tmp.cmd(&["validate", "--strict"])
        .in_dir("new-repo")
        .run()
        .expect(0);
}

#[test]
fn init_without_a_folder_scaffolds_the_current_one() {
    let tmp = Repo::new();
    tmp.run(&["init"]).expect(0);
    assert!(tmp.join("flagctl.yaml").is_file());
    tmp.run(&["validate"]).expect(0);
}

#[cfg(unix)]
#[test]
fn the_pre_commit_hook_is_executable() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = Repo::new();
    tmp.run(&["init", "r"]).expect(0);
    let mode = std::fs::metadata(tmp.join("r/.githooks/pre-commit"))
        .expect("hook")
        .permissions()
        .mode();
    assert_ne!(mode & 0o111, 0, "git skips a hook it cannot execute");
}

#[test]
fn init_twice_is_refused_and_writes_nothing() {
    let tmp = Repo::new();
    tmp.run(&["init", "r"]).expect(0);
    // The user edits the new repository before running init again by mistake.
    tmp.write("r/flagctl.yaml", "flags_dir: flags\n")
        .remove("r/.gitattributes");
    tmp.run(&["init", "r"])
        .refused(&["already a flag repository"]);
}

#[test]
fn init_over_existing_scaffold_files_is_refused_and_writes_nothing() {
    // Not a flag repository yet, but one of the files init would write is there: keep it.
    let tmp = Repo::new();
    tmp.write("r/.gitattributes", "*.png binary\n")
        .write("r/README.md", "mine\n");
    tmp.run(&["init", "r"])
        .refused(&[".gitattributes", "nothing was written"]);
}
