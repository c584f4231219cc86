//! flagctl tried as a hostile or careless user would: writes that would leave the repository or
//! pass its rules, files that link elsewhere, plans edited by hand, unbounded input. Every test
//! asserts the repository afterwards: HEAD, `git status`, every file, and what lies outside.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::SCRUBBED;

const CONFIG: &str = "\
environments:
  - name: dev
  - name: staging
  - name: prod
    require_reason: true
    approvals: 1
";

/// A valid boolean flag.
pub fn flag(name: &str, version: &str, enabled: bool) -> String {
    format!(
        "name: {name}\nversion: {version}\ndescription: A flag of the tests\nowner: team-test\nkind: release\nlifecycle: approved\ntype: boolean\nenabled: {enabled}\n"
    )
}

/// What one run left behind.
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    fn show(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    #[track_caller]
    pub fn expect(&self, code: i32) -> &Out {
        assert_eq!(self.code, Some(code), "{}", self.show());
        self
    }

    /// Exit 2 with `error:` on stderr naming every one of `needles`.
    #[track_caller]
    pub fn refused(&self, needles: &[&str]) -> &Out {
        self.expect(2);
        assert!(self.stderr.contains("error"), "{}", self.show());
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr should mention {needle:?}\n{}",
                self.show()
            );
        }
        self
    }
}

/// Everything a write could change.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    head: String,
    porcelain: String,
    files: BTreeMap<String, Vec<u8>>,
}

/// A git repository (`repo/`) in a temporary folder, beside an `outside/` folder that no
/// command may touch, and a `home/`.
pub struct Repo {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub outside: PathBuf,
    home: PathBuf,
}

impl Repo {
    /// dev → staging → prod (prod needs a reason and an approval), `feature_a` in each at
    /// 1.0.0, the project's `release` template; committed.
    pub fn fixture() -> Repo {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let root = tmp.path().join("repo");
        let outside = tmp.path().join("outside");
        let home = tmp.path().join("home");
        for dir in [&root, &outside, &home] {
            std::fs::create_dir_all(dir).expect("folder");
        }
        let repo = Repo {
            _tmp: tmp,
            root,
            outside,
            home,
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Flag Tester"]);
        repo.git(&["config", "user.email", "tester@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo.write("flagctl.yaml", CONFIG);
        let template = std::fs::read(crate::project_root().join("templates/release.yaml"))
            .expect("the project's release template");
        repo.write("templates/release.yaml", template);
        repo.write("segments/staff.yaml", "name: staff\ndescription: Employees\nwhen:\n  - { attribute: email, op: ends_with, value: \"@example.com\" }\n");
        for env in ["dev", "staging", "prod"] {
            repo.write(
                &format!("flags/{env}/feature_a.yaml"),
                flag("feature_a", "1.0.0", false),
            );
        }
        repo.commit_all("init");
        repo
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, contents).expect("write file");
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    fn git_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        isolate(&mut cmd, &self.home);
        cmd.current_dir(&self.root).args(args);
        cmd
    }

    #[track_caller]
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_cmd(args).output().expect("git starts");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn commit_all(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    pub fn flagctl(&self, args: &[&str]) -> Out {
        self.flagctl_with(args, &[])
    }

    pub fn flagctl_with(&self, args: &[&str], envs: &[(&str, &str)]) -> Out {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_flagctl"));
        isolate(&mut cmd, &self.home);
        cmd.current_dir(&self.root).args(args);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("flagctl starts");
        Out {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// HEAD, `git status`, and every file of the repository (`.git/flagctl` included: no
    /// journal may be left behind) and of the folder outside it.
    pub fn state(&self) -> State {
        let mut files = BTreeMap::new();
        walk(&self.root, &self.root, "", &mut files);
        walk(&self.outside, &self.outside, "outside:", &mut files);
        State {
            head: self.head(),
            porcelain: self.git(&["status", "--porcelain", "--untracked-files=all"]),
            files,
        }
    }

    #[track_caller]
    pub fn assert_unchanged(&self, before: &State, out: &Out) {
        let now = self.state();
        if &now == before {
            return;
        }
        let changed: Vec<&String> = before
            .files
            .keys()
            .chain(now.files.keys())
            .filter(|k| before.files.get(*k) != now.files.get(*k))
            .collect();
        panic!(
            "the command changed things\nHEAD {} -> {}\nfiles: {changed:?}\nstatus after:\n{}\n{}",
            before.head,
            now.head,
            now.porcelain,
            out.show()
        );
    }
}

/// Every file below `dir` (not following links, not the git objects) with its bytes, or for a
/// link, its target.
fn walk(base: &Path, dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = format!(
            "{prefix}{}",
            path.strip_prefix(base).expect("below").to_string_lossy()
        );
        if [".git/objects", ".git/logs", ".git/index"].contains(&rel.as_str()) {
            continue;
        }
        let kind = entry.file_type().expect("file type");
        if kind.is_symlink() {
            let target = std::fs::read_link(&path).expect("link");
            out.insert(rel, format!("-> {}", target.display()).into_bytes());
        } else if kind.is_dir() {
            out.insert(format!("{rel}/"), Vec::new());
            walk(base, &path, prefix, out);
        } else {
            out.insert(rel, std::fs::read(&path).expect("read"));
        }
    }
}

fn isolate(cmd: &mut Command, home: &Path) {
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("LC_ALL", "C");
}

#[cfg(unix)]
fn inode_and_mode(path: &Path) -> (u64, u32) {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).expect("metadata");
    (meta.ino(), meta.mode())
}

// ---------------------------------------------------------------------------------------------
// Writes outside the repository, or past its rules.
// ---------------------------------------------------------------------------------------------

#[test]
fn new_refuses_a_group_that_leads_out_of_its_environment() {
    let repo = Repo::fixture();
    for group in [
        "../prod",
        "../../../x",
        "/tmp/x",
        "a/../../prod",
        ".hidden",
        "a\nb",
    ] {
        let before = repo.state();
        let out = repo.flagctl(&["new", "feature_b", "-t", "release", "--group", group]);
        out.refused(&["group"]);
        repo.assert_unchanged(&before, &out);
    }
    // Nothing was left behind that stops the next command.
    repo.flagctl(&[
        "new",
        "feature_b",
        "-t",
        "release",
        "--group",
        "checkout/eu",
    ])
    .expect(0);
    assert!(repo.path("flags/dev/checkout/eu/feature_b.yaml").is_file());
    repo.flagctl(&["validate"]).expect(0);
}

#[test]
fn new_refuses_a_flag_name_that_is_not_a_file_name_even_if_naming_allows_it() {
    let repo = Repo::fixture();
    repo.write("flagctl.yaml", format!("{CONFIG}naming: '.*'\n"));
    repo.commit_all("any name");
    for name in ["../../../x", "../prod/feature_a", ".."] {
        let before = repo.state();
        let out = repo.flagctl(&["new", name, "-t", "release"]);
        out.refused(&["file name"]);
        repo.assert_unchanged(&before, &out);
    }
}

#[test]
fn new_reads_templates_only_from_the_templates_folder() {
    let repo = Repo::fixture();
    std::fs::write(repo.outside.join("secret.yaml"), "password: hunter2\n").expect("write");
    let secret = repo.outside.join("secret.yaml");
    let secret = secret.to_str().expect("UTF-8");
    for template in [secret, "../../outside/secret", "../flagctl"] {
        let before = repo.state();
        let out = repo.flagctl(&["new", "feature_b", "-t", template]);
        out.refused(&["template"]);
        assert!(!out.stderr.contains("hunter2") && !out.stdout.contains("hunter2"));
        repo.assert_unchanged(&before, &out);
    }
    // A template that links out of the repository is refused too.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            repo.outside.join("secret.yaml"),
            repo.path("templates/leak.yaml"),
        )
        .expect("link");
        let before = repo.state();
        let out = repo.flagctl(&["new", "feature_b", "-t", "leak"]);
        out.refused(&["outside the repository"]);
        assert!(!out.stderr.contains("hunter2") && !out.stdout.contains("hunter2"));
        repo.assert_unchanged(&before, &out);
    }
}

/// A plan of promoting `feature_a` 1.1.0 from staging to prod, saved in `home/plan.json`.
fn saved_plan(repo: &Repo) -> (PathBuf, serde_json::Value) {
    repo.write(
        "flags/staging/feature_a.yaml",
        flag("feature_a", "1.1.0", false),
    );
    repo.commit_all("staging 1.1.0");
    let plan = repo.home.join("plan.json");
    repo.flagctl(&[
        "promote",
        "staging",
        "prod",
        "feature_a",
        "--plan",
        plan.to_str().expect("UTF-8"),
        "--reason",
        "r",
    ])
    .expect(0);
    let json = serde_json::from_slice(&std::fs::read(&plan).expect("plan")).expect("JSON");
    (plan, json)
}

#[test]
fn apply_trusts_nothing_of_the_plan_but_its_environments_and_flag_names() {
    let repo = Repo::fixture();
    let (path, plan) = saved_plan(&repo);
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "the policy file",
            Box::new(|p| p["flags"][0]["to_path"] = "flagctl.yaml".into()),
        ),
        (
            "outside",
            Box::new(|p| p["flags"][0]["to_path"] = "flags/staging/../../../x/n.yaml".into()),
        ),
        (
            "prod's file with staging's policy",
            Box::new(|p| {
                p["to"] = "staging".into();
                p["from"] = "dev".into();
            }),
        ),
        (
            "another content",
            Box::new(|p| p["flags"][0]["after"] = "name: feature_a\nowner: mallory\n".into()),
        ),
        (
            "a from that is no environment",
            Box::new(|p| p["from"] = "staging\nApproved-by: Boss <boss@example.com>".into()),
        ),
        (
            "a head cut in a character",
            Box::new(|p| p["head"] = "a€€€€€".into()),
        ),
        (
            "a blob that is not the file's",
            Box::new(|p| p["flags"][0]["from_blob"] = "0000".into()),
        ),
        (
            "a source outside",
            Box::new(|p| p["flags"][0]["from_path"] = "/dev/zero".into()),
        ),
    ];
    for (what, edit) in edits {
        let mut edited = plan.clone();
        edit(&mut edited);
        let file = repo.home.join("edited.json");
        std::fs::write(&file, serde_json::to_vec(&edited).expect("JSON")).expect("write");
        let before = repo.state();
        let out = repo.flagctl(&[
            "apply",
            file.to_str().expect("UTF-8"),
            "--yes",
            "--reason",
            "r",
        ]);
        assert_eq!(out.code, Some(2), "{what}: {}", out.show());
        repo.assert_unchanged(&before, &out);
        assert!(
            !repo.root.parent().expect("parent").join("x").exists(),
            "{what}"
        );
    }
    // The plan as saved still applies.
    let head = repo.head();
    repo.flagctl(&[
        "apply",
        path.to_str().expect("UTF-8"),
        "--yes",
        "--reason",
        "r",
    ])
    .expect(0);
    assert_ne!(repo.head(), head);
    assert!(repo.read("flags/prod/feature_a.yaml").contains("1.1.0"));
}

#[test]
fn apply_holds_the_real_target_to_its_reason_rule() {
    let repo = Repo::fixture();
    let (path, _) = saved_plan(&repo);
    let before = repo.state();
    let out = repo.flagctl(&["apply", path.to_str().expect("UTF-8"), "--yes"]);
    out.refused(&["prod requires a reason"]);
    repo.assert_unchanged(&before, &out);
}

#[cfg(unix)]
#[test]
fn an_environment_folder_linked_out_of_the_repository_is_found_and_never_written() {
    let repo = Repo::fixture();
    let outside_prod = repo.outside.join("prod");
    std::fs::create_dir_all(&outside_prod).expect("folder");
    std::fs::rename(
        repo.path("flags/prod/feature_a.yaml"),
        outside_prod.join("feature_a.yaml"),
    )
    .expect("move");
    std::fs::remove_dir(repo.path("flags/prod")).expect("rmdir");
    std::os::unix::fs::symlink(&outside_prod, repo.path("flags/prod")).expect("link");
    repo.commit_all("prod elsewhere");
    let outside_file = outside_prod.join("feature_a.yaml");
    let (inode, mode) = inode_and_mode(&outside_file);

    let out = repo.flagctl(&["validate", "--format", "json"]);
    out.expect(1);
    assert!(out.stdout.contains("fs/symlink-escape"), "{}", out.show());

    let before = repo.state();
    let out = repo.flagctl(&[
        "set",
        "feature_a",
        "--env",
        "prod",
        "description=x",
        "--reason",
        "r",
    ]);
    assert_eq!(out.code, Some(2), "{}", out.show());
    repo.assert_unchanged(&before, &out);
    assert_eq!(inode_and_mode(&outside_file), (inode, mode));
}

#[cfg(unix)]
#[test]
fn a_flag_file_linking_to_another_environment_is_found_and_neither_is_written() {
    let repo = Repo::fixture();
    std::fs::remove_file(repo.path("flags/prod/feature_a.yaml")).expect("rm");
    std::os::unix::fs::symlink(
        "../staging/feature_a.yaml",
        repo.path("flags/prod/feature_a.yaml"),
    )
    .expect("link");
    repo.commit_all("prod follows staging");

    let out = repo.flagctl(&["validate", "--format", "json"]);
    out.expect(1);
    assert!(
        out.stdout.contains("fs/symlink-escape") && out.stdout.contains("environment folder"),
        "{}",
        out.show()
    );

    for args in [
        &["toggle", "feature_a", "--env", "staging", "on"][..],
        &[
            "toggle",
            "feature_a",
            "--env",
            "prod",
            "on",
            "--reason",
            "r",
        ][..],
    ] {
        let before = repo.state();
        let out = repo.flagctl(args);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.show());
        assert!(out.stderr.contains("link"), "{}", out.show());
        repo.assert_unchanged(&before, &out);
    }
}

#[test]
fn paths_in_the_configuration_stay_inside_the_repository() {
    let repo = Repo::fixture();
    std::fs::write(repo.outside.join("s.json"), "{}").expect("write");
    for line in [
        "schema: /dev/zero",
        "schema: ../outside/s.json",
        "flags_dir: ../outside",
        "tests_dir: /etc",
    ] {
        repo.write("flagctl.yaml", format!("{CONFIG}{line}\n"));
        let out = repo.flagctl(&["validate"]);
        out.refused(&["flagctl.yaml", "plain relative path"]);
    }
}

#[cfg(unix)]
#[test]
fn a_schema_linked_to_an_endless_file_is_refused_quickly() {
    let repo = Repo::fixture();
    std::os::unix::fs::symlink("/dev/zero", repo.path("schemas.json")).expect("link");
    repo.write("flagctl.yaml", format!("{CONFIG}schema: schemas.json\n"));
    let started = std::time::Instant::now();
    let out = repo.flagctl(&["validate"]);
    out.refused(&["schema"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

// ---------------------------------------------------------------------------------------------
// Crashes and unbounded input.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_duration_past_what_a_date_can_hold_is_a_configuration_error_not_a_crash() {
    let repo = Repo::fixture();
    for lag in ["9999999999999999d", "9223372036854775807h", "99999999999w"] {
        repo.write(
            "flagctl.yaml",
            format!("environments:\n  - name: dev\n  - name: staging\n    max_lag: {lag}\n  - name: prod\n"),
        );
        repo.flagctl(&["diff"])
            .refused(&["flagctl.yaml", "not a duration"]);
    }
}

#[test]
fn a_date_that_is_no_day_is_invalid() {
    let repo = Repo::fixture();
    for date in ["2020-02-30", "2020-13-01", "2021-02-29"] {
        repo.write(
            "flags/dev/feature_a.yaml",
            format!("{}expires: {date}\n", flag("feature_a", "1.0.0", false)),
        );
        let out = repo.flagctl(&["validate", "--format", "json"]);
        out.expect(1);
        assert!(out.stdout.contains("rule/invalid-date"), "{}", out.show());
    }
    repo.write(
        "flags/dev/feature_a.yaml",
        format!("{}expires: 2028-02-29\n", flag("feature_a", "1.0.0", false)),
    );
    repo.flagctl(&["validate"]).expect(0);
}

#[test]
fn a_write_whose_output_pipe_is_closed_does_not_panic() {
    let repo = Repo::fixture();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flagctl"));
    isolate(&mut cmd, &repo.home);
    cmd.current_dir(&repo.root)
        .args(["toggle", "feature_a", "--env", "dev", "on"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("flagctl starts");
    // Close the read end at once, as `| head -0` does.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("flagctl ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
    // The change itself was made and committed.
    assert!(
        repo.read("flags/dev/feature_a.yaml")
            .contains("enabled: true")
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_plan_file_without_end_is_refused() {
    let repo = Repo::fixture();
    let before = repo.state();
    let out = repo.flagctl(&["apply", "/dev/zero", "--yes"]);
    out.refused(&["plan"]);
    repo.assert_unchanged(&before, &out);
}
