//! The commands that write flag files (SPEC §6): `set`, `toggle`, `bump`, `promote`, `apply`,
//! `rollback`, `retire`, `new`. Each test asserts what a user would notice: the commit (subject,
//! trailers, author, a minimal diff), what `--no-commit` and `--dry-run` leave, refusals that
//! leave every file untouched, and the all-or-nothing write under a crash at every step.
//!
//! Self-contained: its own helpers, repositories built in temporary folders with the `git` CLI,
//! isolated from the caller's git configuration (`HOME` in the temporary folder,
//! `GIT_CONFIG_NOSYSTEM`); the identity is the repository's own `user.name`/`user.email`.

use crate::SCRUBBED;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// The identity configured in every test repository (`git config user.name/user.email`).
const NAME: &str = "Flag Tester";
const EMAIL: &str = "tester@example.com";

const CONFIG: &str = "\
# The promotion chain of the tests.
environments:
  - name: dev
  - name: staging
    allowed_lifecycle: [pending, approved, deprecated]
  - name: prod
    allowed_lifecycle: [approved, deprecated]
    require_reason: true
naming: '^[a-z][a-z0-9]*(_[a-z0-9]+)*$'
";

const STAFF: &str = "\
name: staff
description: Employees
when:
  - { attribute: email, op: ends_with, value: \"@example.com\" }
";

/// `experiment_flow`: a string flag with comments, a blank line and a one-line flow rollout.
fn flow(version: &str, enabled: bool, a: u32, b: u32) -> String {
    format!(
        "\
# Checkout flow experiment: the classic flow against the one-page flow.
name: experiment_flow
version: {version}
description: Checkout flow A/B test   # what users read
owner: team-checkout
kind: experiment
lifecycle: approved
type: string
variants:
  a: classic
  b: onepage
default: a                      # the safe value

# state: what this environment serves
enabled: {enabled}
rules:                          # first match wins
  - name: staff first
    segment: staff
    serve: b
rollout: {{ a: {a}, b: {b} }}   # fallthrough
"
    )
}

/// A boolean flag named `name`.
fn boolean(name: &str, version: &str, description: &str, lifecycle: &str, enabled: bool) -> String {
    format!(
        "\
# {name}: a boolean flag of the tests.
name: {name}
version: {version}
description: {description}
owner: team-home
kind: release
lifecycle: {lifecycle}
type: boolean

enabled: {enabled}
"
    )
}

fn flow_path(env: &str) -> String {
    format!("flags/{env}/checkout/experiment_flow.yaml")
}

fn banner_path(env: &str) -> String {
    format!("flags/{env}/feature_banner.yaml")
}

fn banner(version: &str, description: &str, lifecycle: &str, enabled: bool) -> String {
    boolean("feature_banner", version, description, lifecycle, enabled)
}

/// What one run of flagctl left behind.
struct Out {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Out {
    fn show(&self) -> String {
        format!(
            "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }

    /// Asserts the exit code.
    #[track_caller]
    fn expect(&self, code: i32) -> &Out {
        assert_eq!(self.status.code(), Some(code), "{}", self.show());
        self
    }

    /// Asserts a refusal: exit 2 and an error on stderr holding every one of `needles`.
    #[track_caller]
    fn refused(&self, needles: &[&str]) -> &Out {
        self.expect(2);
        assert!(
            self.stderr.contains("error"),
            "a refusal says why on stderr\n{}",
            self.show()
        );
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

/// Everything a write could change: HEAD, every file of the work tree, and `git status`.
#[derive(Debug, Clone, PartialEq)]
struct State {
    head: String,
    files: BTreeMap<String, Vec<u8>>,
    porcelain: String,
}

/// A git repository in a temporary folder (`repo/`), with its own `home/`.
struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
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

impl Repo {
    /// An empty folder, not a git repository.
    fn plain() -> Repo {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let root = tmp.path().join("repo");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&root).expect("repo folder");
        std::fs::create_dir_all(&home).expect("home folder");
        Repo {
            _tmp: tmp,
            root,
            home,
        }
    }

    /// An empty git repository on branch `main`, with the test identity configured.
    fn empty() -> Repo {
        let repo = Repo::plain();
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", NAME]);
        repo.git(&["config", "user.email", EMAIL]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    /// Writes the files of the standard fixture (not committed): `experiment_flow` and
    /// `feature_banner` at 1.0.0, alike in dev, staging and prod, and the `release` template.
    fn write_fixture(&self) {
        self.write("flagctl.yaml", CONFIG);
        self.write("segments/staff.yaml", STAFF);
        let template =
            std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/release.yaml"))
                .expect("the project's release template");
        self.write("templates/release.yaml", template);
        for env in ["dev", "staging", "prod"] {
            self.write(&flow_path(env), flow("1.0.0", true, 50, 50));
            self.write(
                &banner_path(env),
                banner("1.0.0", "A banner on the home page", "approved", false),
            );
        }
    }

    /// The standard fixture, committed.
    fn fixture() -> Repo {
        let repo = Repo::empty();
        repo.write_fixture();
        repo.commit_all("init");
        repo
    }

    /// A copy of `other` (its `.git` too) in a new temporary folder.
    fn copy_of(other: &Repo) -> Repo {
        let repo = Repo::plain();
        copy_dir(&other.root, &repo.root);
        repo
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, contents).expect("write file");
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    fn text(&self, rel: &str) -> String {
        String::from_utf8(self.read(rel)).expect("UTF-8")
    }

    fn git_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        isolate(&mut cmd, &self.home);
        cmd.current_dir(&self.root).args(args);
        cmd
    }

    /// Runs git, which must succeed; returns its stdout.
    #[track_caller]
    fn git(&self, args: &[&str]) -> String {
        let out = self.git_cmd(args).output().expect("git starts");
        assert!(
            out.status.success(),
            "git {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("git output is UTF-8")
    }

    /// Runs git, which may fail; returns whether it succeeded.
    fn git_ok(&self, args: &[&str]) -> bool {
        self.git_cmd(args)
            .output()
            .expect("git starts")
            .status
            .success()
    }

    /// Commits everything; returns the new HEAD.
    fn commit_all(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.head()
    }

    fn rev(&self, rev: &str) -> String {
        self.git(&["rev-parse", "--verify", "-q", rev])
            .trim()
            .to_owned()
    }

    fn head(&self) -> String {
        self.rev("HEAD")
    }

    fn porcelain(&self) -> String {
        self.git(&["status", "--porcelain", "--untracked-files=all"])
    }

    fn subject(&self, rev: &str) -> String {
        self.git(&["log", "-1", "--format=%s", rev])
            .trim()
            .to_owned()
    }

    /// The commit's trailers as git parses them, one `Key: value` a line.
    fn trailers(&self, rev: &str) -> Vec<String> {
        self.git(&["log", "-1", "--format=%(trailers:only,unfold)", rev])
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// `insertions<TAB>deletions<TAB>path` of every file the commit changed.
    fn numstat(&self, rev: &str) -> Vec<String> {
        self.git(&["show", "--numstat", "--format=", rev])
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Runs flagctl with the whitespace-separated arguments of `line` (plus `--color never`).
    fn run(&self, line: &str) -> Out {
        self.flagctl(&line.split_whitespace().collect::<Vec<_>>())
    }

    /// Runs flagctl (plus `--color never`) in the repository.
    fn flagctl(&self, args: &[&str]) -> Out {
        self.flagctl_with(args, &[])
    }

    fn flagctl_with(&self, args: &[&str], envs: &[(&str, &str)]) -> Out {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_flagctl"));
        isolate(&mut cmd, &self.home);
        cmd.current_dir(&self.root)
            .args(args)
            .args(["--color", "never"]);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("flagctl starts");
        Out {
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Every file of the work tree (not `.git`) and its bytes.
    fn files(&self) -> BTreeMap<String, Vec<u8>> {
        fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).expect("read folder") {
                let path = entry.expect("entry").path();
                let rel = path
                    .strip_prefix(base)
                    .expect("below base")
                    .to_string_lossy()
                    .replace('\\', "/");
                if rel == ".git" {
                    continue;
                }
                if path.is_dir() {
                    walk(base, &path, out);
                } else {
                    out.insert(rel, std::fs::read(&path).expect("read file"));
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.root, &self.root, &mut out);
        out
    }

    fn state(&self) -> State {
        State {
            head: self.head(),
            files: self.files(),
            porcelain: self.porcelain(),
        }
    }

    /// Asserts that nothing changed since `before` (after `out`, shown on failure).
    #[track_caller]
    fn assert_unchanged(&self, before: &State, out: &Out) {
        let now = self.state();
        if &now == before {
            return;
        }
        let mut changed: Vec<&String> = before
            .files
            .keys()
            .chain(now.files.keys())
            .filter(|k| before.files.get(*k) != now.files.get(*k))
            .collect();
        changed.dedup();
        panic!(
            "the command changed the repository\nHEAD {} -> {}\nfiles changed: {changed:?}\ngit status before:\n{}\ngit status after:\n{}\n{}",
            before.head,
            now.head,
            before.porcelain,
            now.porcelain,
            out.show()
        );
    }

    /// Asserts that the last command made exactly one new commit on top of `old_head` and left
    /// the work tree clean.
    #[track_caller]
    fn assert_one_commit_on(&self, old_head: &str, out: &Out) {
        assert_ne!(self.head(), old_head, "no commit was made\n{}", out.show());
        assert_eq!(
            self.rev("HEAD~1"),
            old_head,
            "HEAD~1 is the previous HEAD\n{}",
            out.show()
        );
        assert_eq!(
            self.porcelain(),
            "",
            "clean after the commit\n{}",
            out.show()
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit())
}

// ---------------------------------------------------------------------------------------------
// 1. Commits: subject, trailers, identity, a minimal diff.
// ---------------------------------------------------------------------------------------------

#[test]
fn set_commits_only_the_changed_line_with_trailers_as_the_configured_identity() {
    let repo = Repo::fixture();
    let path = flow_path("staging");
    let original = repo.text(&path);
    let old_head = repo.head();
    let out = repo.flagctl(&[
        "set",
        "experiment_flow",
        "--env",
        "staging",
        "rollout.a=30",
        "rollout.b=70",
        "--reason",
        "shift traffic",
    ]);
    out.expect(0);
    assert!(out.stdout.contains("Committed"), "{}", out.show());
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.subject("HEAD"),
        "set experiment_flow in staging: rollout.a=30, rollout.b=70"
    );
    assert_eq!(
        repo.trailers("HEAD"),
        [
            "Flagctl-Reason: shift traffic",
            "Flagctl-Command: set experiment_flow --env staging rollout.a=30 rollout.b=70 --reason 'shift traffic' --color never",
        ]
    );
    assert_eq!(
        repo.git(&["log", "-1", "--format=%an <%ae>|%cn <%ce>"])
            .trim(),
        format!("{NAME} <{EMAIL}>|{NAME} <{EMAIL}>")
    );
    assert_eq!(repo.numstat("HEAD"), [format!("1\t1\t{path}")]);
    // Comments, blank lines and every other byte stay as they were.
    assert_eq!(
        repo.text(&path),
        original.replace("rollout: { a: 50, b: 50 }", "rollout: { a: 30, b: 70 }")
    );
}

#[test]
fn set_without_reason_records_only_the_command() {
    let repo = Repo::fixture();
    let out = repo.run("set feature_banner --env dev enabled=true");
    out.expect(0);
    assert_eq!(
        repo.trailers("HEAD"),
        ["Flagctl-Command: set feature_banner --env dev enabled=true --color never"]
    );
    assert_eq!(
        repo.text(&banner_path("dev")),
        banner("1.0.0", "A banner on the home page", "approved", true)
    );
}

#[test]
fn the_commit_holds_only_the_flag_file_not_what_the_user_had_staged() {
    let repo = Repo::fixture();
    repo.write("README.md", "work in progress\n");
    repo.git(&["add", "README.md"]);
    let old_head = repo.head();
    let out = repo.run("toggle feature_banner --env dev on");
    out.expect(0);
    assert_eq!(repo.rev("HEAD~1"), old_head);
    assert_eq!(
        repo.numstat("HEAD"),
        [format!("1\t1\t{}", banner_path("dev"))],
        "flagctl's commit must not sweep in the user's unrelated staged changes"
    );
    assert_eq!(
        repo.git(&["diff", "--cached", "--name-only"]).trim(),
        "README.md",
        "the user's staged file stays staged"
    );
}

#[test]
fn toggle_with_break_glass_says_so_in_the_commit() {
    let repo = Repo::fixture();
    let old_head = repo.head();
    let out = repo.run("toggle feature_banner --env prod on --break-glass --reason INC-7");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(repo.subject("HEAD"), "toggle feature_banner on in prod");
    assert_eq!(
        repo.trailers("HEAD"),
        [
            "Flagctl-Reason: INC-7",
            "Flagctl-Command: toggle feature_banner --env prod on --break-glass --reason INC-7 --color never",
            "Flagctl-Break-Glass: true",
        ]
    );
    assert_eq!(
        repo.numstat("HEAD"),
        [format!("1\t1\t{}", banner_path("prod"))]
    );
    assert_eq!(
        repo.text(&banner_path("prod")),
        banner("1.0.0", "A banner on the home page", "approved", true)
    );

    // Break-glass without a reason is refused, even where reasons are optional.
    let before = repo.state();
    let out = repo.run("toggle feature_banner --env staging on --break-glass");
    out.refused(&["--reason"]);
    repo.assert_unchanged(&before, &out);
}

#[test]
fn a_crlf_file_stays_crlf() {
    let repo = Repo::fixture();
    let path = flow_path("dev");
    let crlf = flow("1.0.0", true, 50, 50).replace('\n', "\r\n");
    repo.write(&path, &crlf);
    let old_head = repo.commit_all("crlf");
    let out = repo.run("set experiment_flow --env dev enabled=false");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.text(&path),
        crlf.replace("enabled: true", "enabled: false")
    );
    assert_eq!(repo.numstat("HEAD"), [format!("1\t1\t{path}")]);
}

#[test]
fn a_commit_hook_that_runs_flagctl_does_not_undo_the_change() {
    // `flagctl init` scaffolds exactly this hook (`exec flagctl validate`).
    let repo = Repo::fixture();
    repo.write(
        ".githooks/pre-commit",
        format!(
            "#!/bin/sh\nexec '{}' validate\n",
            env!("CARGO_BIN_EXE_flagctl")
        ),
    );
    make_executable(&repo.path(".githooks/pre-commit"));
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let old_head = repo.commit_all("hook");
    let path = flow_path("staging");
    let original = repo.text(&path);
    let out = repo.run("set experiment_flow --env staging rollout.a=30 rollout.b=70");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.numstat("HEAD"),
        [format!("1\t1\t{path}")],
        "the commit holds the change\n{}",
        out.show()
    );
    assert_eq!(
        repo.text(&path),
        original.replace("rollout: { a: 50, b: 50 }", "rollout: { a: 30, b: 70 }")
    );
}

#[test]
fn a_commit_hook_that_refuses_leaves_everything_as_it_was() {
    let repo = Repo::fixture();
    repo.write(
        ".githooks/pre-commit",
        "#!/bin/sh\necho 'hook says no' >&2\nexit 1\n",
    );
    make_executable(&repo.path(".githooks/pre-commit"));
    repo.commit_all("hook");
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let before = repo.state();
    let out = repo.run("set experiment_flow --env staging rollout.a=30 rollout.b=70");
    out.refused(&["hook says no"]);
    repo.assert_unchanged(&before, &out);
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) {}

#[test]
fn a_promotion_keeps_the_target_crlf() {
    let repo = Repo::fixture();
    let prod = flow_path("prod");
    let crlf = flow("1.0.0", true, 50, 50).replace('\n', "\r\n");
    repo.write(&prod, &crlf);
    repo.write(&flow_path("staging"), flow("1.1.0", true, 50, 50));
    let old_head = repo.commit_all("crlf prod, staging 1.1.0");
    let out = repo.run("promote staging prod --all --yes --reason r");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.text(&prod),
        crlf.replace("version: 1.0.0", "version: 1.1.0")
    );
    assert_eq!(repo.numstat("HEAD"), [format!("1\t1\t{prod}")]);
}

#[test]
fn a_flag_repository_in_a_subfolder_of_the_work_tree_commits_its_own_paths() {
    let repo = Repo::empty();
    repo.write("README.md", "a monorepo\n");
    for (rel, text) in [
        ("flagctl.yaml", CONFIG.to_owned()),
        ("segments/staff.yaml", STAFF.to_owned()),
        (&flow_path("dev"), flow("1.0.0", true, 50, 50)),
        (&flow_path("staging"), flow("1.1.0", true, 50, 50)),
        (&flow_path("prod"), flow("1.0.0", true, 50, 50)),
    ] {
        repo.write(&format!("ops/flags-repo/{rel}"), text);
    }
    let old_head = repo.commit_all("monorepo");
    let sub = Repo {
        _tmp: tempfile::tempdir().expect("unused folder"),
        root: repo.path("ops/flags-repo"),
        home: repo.home.clone(),
    };
    let out = sub.run("set experiment_flow --env dev rollout.a=30 rollout.b=70");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.numstat("HEAD"),
        [format!("1\t1\tops/flags-repo/{}", flow_path("dev"))]
    );
    let old_head = repo.head();
    let out = sub.run("promote staging prod --all --yes --reason r");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.trailers("HEAD").last().map(String::as_str),
        Some(format!("Flagctl-Promoted-From: staging@{old_head}").as_str())
    );
    assert_eq!(
        repo.numstat("HEAD"),
        [format!("1\t1\tops/flags-repo/{}", flow_path("prod"))]
    );
}

// ---------------------------------------------------------------------------------------------
// 2. --no-commit and --dry-run.
// ---------------------------------------------------------------------------------------------

#[test]
fn no_commit_leaves_the_change_staged() {
    let repo = Repo::fixture();
    let old_head = repo.head();
    let path = flow_path("staging");
    let out = repo.run("set experiment_flow --env staging rollout.a=30 rollout.b=70 --no-commit");
    out.expect(0);
    assert_eq!(repo.head(), old_head, "no commit\n{}", out.show());
    assert_eq!(repo.git(&["diff", "--cached", "--name-only"]).trim(), path);
    assert_eq!(
        repo.git(&["diff", "--name-only"]),
        "",
        "the work tree matches what is staged"
    );
    assert!(
        repo.git(&["diff", "--cached"])
            .contains("+rollout: { a: 30, b: 70 }")
    );

    // The same for a promotion.
    let repo = Repo::fixture();
    repo.write(&flow_path("staging"), flow("1.1.0", true, 50, 50));
    let old_head = repo.commit_all("staging 1.1.0");
    let out = repo.run("promote staging prod experiment_flow --yes --reason r --no-commit");
    out.expect(0);
    assert_eq!(repo.head(), old_head, "no commit\n{}", out.show());
    assert_eq!(
        repo.git(&["diff", "--cached", "--name-only"]).trim(),
        flow_path("prod")
    );
}

#[test]
fn dry_run_writes_nothing_for_any_command() {
    let repo = Repo::fixture();
    // Something to promote, to bump and to roll back.
    repo.write(&flow_path("staging"), flow("1.1.0", true, 40, 60));
    repo.commit_all("staging 1.1.0");
    let before = repo.state();
    for line in [
        "set experiment_flow --env dev rollout.a=30 rollout.b=70",
        "toggle feature_banner --env prod on --reason r",
        "bump experiment_flow --env staging major",
        "promote staging prod experiment_flow --reason r",
        "promote staging prod --all --yes --reason r",
        "rollback experiment_flow --env staging --to HEAD~1",
        "new feature_fresh --template release",
    ] {
        let out = repo.run(&format!("{line} --dry-run"));
        assert_eq!(out.status.code(), Some(0), "{line}\n{}", out.show());
        assert!(
            out.stdout.contains("Dry run"),
            "{line}: says it wrote nothing\n{}",
            out.show()
        );
        repo.assert_unchanged(&before, &out);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Refusals: exit 2, a message, every file untouched.
// ---------------------------------------------------------------------------------------------

#[test]
fn refusals_leave_every_file_untouched() {
    let repo = Repo::fixture();
    let before = repo.state();
    let cases: &[(&str, &[&str])] = &[
        (
            "set experiment_flw --env staging enabled=false",
            &["experiment_flw", "did you mean \"experiment_flow\""],
        ),
        (
            "set experiment_flow --env stagin enabled=false",
            &["stagin", "did you mean \"staging\""],
        ),
        (
            "set experiment_flow --env staging enabled=maybe",
            &["enabled", "maybe"],
        ),
        ("set experiment_flow --env staging version=2.0.0", &["bump"]),
        ("set experiment_flow --env staging enabled", &["KEY=VALUE"]),
        (
            "set experiment_flow --env staging enabled=false --expect-version 0.9.0",
            &["0.9.0", "1.0.0", "--expect-version"],
        ),
        (
            "set experiment_flow --env prod enabled=false",
            &["prod", "--reason"],
        ),
        ("toggle feature_banner --env prod on", &["--reason"]),
        ("bump experiment_flow --env prod major", &["--reason"]),
        ("promote staging prod experiment_flow --yes", &["--reason"]),
        (
            "promote staging prod experiment_flw --yes --reason r",
            &["did you mean \"experiment_flow\""],
        ),
        (
            "promote staging prdo --all --yes --reason r",
            &["did you mean \"prod\""],
        ),
        ("promote staging staging --all --yes", &["staging"]),
        // Neither a flag nor --all.
        ("promote staging prod --yes --reason r", &[]),
        (
            "rollback experiment_flow --env staging --to no-such-rev --yes",
            &["no-such-rev"],
        ),
        (
            "rollback experiment_flow --env staging --to 9.9.9 --yes",
            &["9.9.9"],
        ),
        ("retire no_such_flag --yes", &["no_such_flag"]),
        ("apply no-such-plan.json --yes", &["no-such-plan.json"]),
    ];
    for (line, needles) in cases {
        let out = repo.run(line);
        assert_eq!(out.status.code(), Some(2), "{line}\n{}", out.show());
        for needle in *needles {
            assert!(
                out.stderr.contains(needle),
                "{line}: stderr should mention {needle:?}\n{}",
                out.show()
            );
        }
        repo.assert_unchanged(&before, &out);
    }
    // A blank reason is no reason.
    let out = repo.flagctl(&[
        "set",
        "experiment_flow",
        "--env",
        "prod",
        "enabled=false",
        "--reason",
        " ",
    ]);
    out.refused(&["prod", "--reason"]);
    repo.assert_unchanged(&before, &out);
}

#[test]
fn a_dirty_target_is_refused() {
    let repo = Repo::fixture();
    let path = flow_path("staging");
    // A local edit: a new version and a note, not yet committed.
    let mut dirty = repo.text(&path).replace("version: 1.0.0", "version: 1.1.0");
    dirty.push_str("# a local note\n");
    repo.write(&path, &dirty);
    let before = repo.state();
    for line in [
        "set experiment_flow --env staging enabled=false",
        "toggle experiment_flow --env staging off",
        "rollback experiment_flow --env staging --to HEAD --yes",
        "promote staging prod experiment_flow --yes --reason r",
    ] {
        let out = repo.run(line);
        out.refused(&["uncommitted", &path]);
        repo.assert_unchanged(&before, &out);
    }
    assert_eq!(repo.text(&path), dirty, "the user's edit survives");

    // A staged (not committed) edit is just as dirty.
    repo.git(&["add", &path]);
    let before = repo.state();
    let out = repo.run("set experiment_flow --env staging enabled=false");
    out.refused(&["uncommitted"]);
    repo.assert_unchanged(&before, &out);
}

#[test]
fn expect_version_and_expect_commit_guard_against_concurrent_changes() {
    let repo = Repo::fixture();
    let first = repo.head();
    let out = repo.run("set experiment_flow --env staging rollout.a=40 rollout.b=60");
    out.expect(0);
    let second = repo.head();

    // The file was last changed by `second`, not `first`.
    let before = repo.state();
    let out = repo.run(&format!(
        "set experiment_flow --env staging enabled=false --expect-commit {first}"
    ));
    out.refused(&["--expect-commit"]);
    repo.assert_unchanged(&before, &out);

    // A matching commit (full or abbreviated) and a matching version succeed.
    let out = repo.run(&format!(
        "set experiment_flow --env staging enabled=false --expect-commit {second} --expect-version 1.0.0"
    ));
    out.expect(0);
    repo.assert_one_commit_on(&second, &out);
    let third = repo.head();
    let out = repo.run(&format!(
        "toggle experiment_flow --env staging on --expect-commit {}",
        &third[..10]
    ));
    out.expect(0);
    repo.assert_one_commit_on(&third, &out);

    // A commit that did not touch the file is not the last one that did.
    repo.write("README.md", "unrelated\n");
    let unrelated = repo.commit_all("unrelated");
    let before = repo.state();
    let out = repo.run(&format!(
        "toggle experiment_flow --env staging off --expect-commit {unrelated}"
    ));
    out.refused(&["--expect-commit"]);
    repo.assert_unchanged(&before, &out);
}

#[test]
fn expect_version_also_guards_a_promotion() {
    let repo = Repo::fixture();
    repo.write(&flow_path("staging"), flow("1.1.0", true, 50, 50));
    repo.commit_all("staging 1.1.0");
    let before = repo.state();
    let out =
        repo.run("promote staging prod experiment_flow --yes --reason r --expect-version 0.9.0");
    out.refused(&["--expect-version"]);
    repo.assert_unchanged(&before, &out);
}

#[test]
fn a_detached_head_is_refused() {
    let repo = Repo::fixture();
    repo.git(&["checkout", "-q", "--detach"]);
    let before = repo.state();
    let out = repo.run("set experiment_flow --env staging enabled=false");
    out.refused(&["detached"]);
    repo.assert_unchanged(&before, &out);
}

#[test]
fn a_repository_in_the_middle_of_a_merge_is_refused() {
    let repo = Repo::fixture();
    repo.write("README.md", "base\n");
    repo.commit_all("readme");
    repo.git(&["checkout", "-q", "-b", "other"]);
    repo.write("README.md", "other\n");
    repo.commit_all("other readme");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("README.md", "main\n");
    repo.commit_all("main readme");
    assert!(
        !repo.git_ok(&["merge", "-q", "other"]),
        "the merge conflicts"
    );
    let before = repo.state();
    for line in [
        "set experiment_flow --env staging enabled=false",
        "promote staging prod --all --yes --reason r",
    ] {
        let out = repo.run(line);
        out.refused(&["merge"]);
        repo.assert_unchanged(&before, &out);
    }
}

#[test]
fn outside_git_a_write_is_refused() {
    let repo = Repo::plain();
    repo.write_fixture();
    let before = repo.files();
    let out = repo.run("set experiment_flow --env staging enabled=false");
    out.refused(&["git"]);
    assert_eq!(repo.files(), before, "nothing written\n{}", out.show());
    assert!(!repo.path(".git").exists());
}

#[test]
fn a_change_that_would_not_validate_exits_1_with_the_finding_and_writes_nothing() {
    let repo = Repo::fixture();
    let before = repo.state();
    let out = repo.run("set experiment_flow --env staging rollout.a=55");
    out.expect(1);
    assert!(
        out.stdout.contains("rule/rollout-sum") && out.stdout.contains("105"),
        "the finding is shown\n{}",
        out.show()
    );
    assert!(out.stderr.contains("nothing was written"), "{}", out.show());
    repo.assert_unchanged(&before, &out);

    // The same through --format json: the finding is in the document.
    let out = repo.run("set experiment_flow --env staging rules.0.serve=c --format json");
    out.expect(1);
    let doc: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("JSON ({e})\n{}", out.show()));
    let codes: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"rule/unknown-variant"), "{codes:?}");
    repo.assert_unchanged(&before, &out);
}

// ---------------------------------------------------------------------------------------------
// 4. bump.
// ---------------------------------------------------------------------------------------------

#[test]
fn bump_auto_is_minor_for_an_added_variant_and_touches_only_the_version_of_a_dirty_file() {
    let repo = Repo::fixture();
    let path = flow_path("staging");
    let edited = repo
        .text(&path)
        .replace("  b: onepage\n", "  b: onepage\n  c: twopage\n");
    repo.write(&path, &edited);
    let old_head = repo.head();
    let out = repo.run("bump experiment_flow --env staging");
    out.expect(0);
    assert!(out.stdout.contains("1.1.0"), "{}", out.show());
    assert_eq!(
        repo.text(&path),
        edited.replace("version: 1.0.0", "version: 1.1.0"),
        "only the version line changes"
    );
    repo.assert_one_commit_on(&old_head, &out);
    assert!(
        repo.subject("HEAD").contains("1.1.0"),
        "{}",
        repo.subject("HEAD")
    );
}

#[test]
fn bump_auto_is_major_for_a_removed_variant_or_a_changed_default() {
    let repo = Repo::fixture();
    let path = flow_path("staging");
    // 1.1.0 adds variant c (committed with its version).
    let three =
        flow("1.1.0", true, 50, 50).replace("  b: onepage\n", "  b: onepage\n  c: twopage\n");
    repo.write(&path, &three);
    repo.commit_all("1.1.0 adds c");
    // Removing c again breaks callers that use it.
    repo.write(&path, flow("1.1.0", true, 50, 50));
    let out = repo.run("bump experiment_flow --env staging");
    out.expect(0);
    assert_eq!(
        repo.text(&path),
        flow("2.0.0", true, 50, 50),
        "{}",
        out.show()
    );

    let repo = Repo::fixture();
    let edited = flow("1.0.0", true, 50, 50).replace("default: a ", "default: b ");
    repo.write(&path, &edited);
    let out = repo.run("bump experiment_flow --env staging");
    out.expect(0);
    assert_eq!(
        repo.text(&path),
        edited.replace("version: 1.0.0", "version: 2.0.0"),
        "{}",
        out.show()
    );
}

#[test]
fn bump_auto_is_patch_for_a_committed_description_change() {
    let repo = Repo::fixture();
    let path = flow_path("staging");
    let edited = repo
        .text(&path)
        .replace("Checkout flow A/B test", "Checkout flow test");
    repo.write(&path, &edited);
    let old_head = repo.commit_all("reword, not bumped");
    let out = repo.run("bump experiment_flow --env staging");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.text(&path),
        edited.replace("version: 1.0.0", "version: 1.0.1")
    );
    assert_eq!(repo.numstat("HEAD"), [format!("1\t1\t{path}")]);
}

#[test]
fn bump_auto_needs_no_bump_for_state_alone() {
    let repo = Repo::fixture();
    let path = flow_path("staging");
    let edited = flow("1.0.0", false, 20, 80);
    repo.write(&path, &edited);
    let before = repo.state();
    let out = repo.run("bump experiment_flow --env staging");
    out.expect(0);
    assert!(out.stdout.contains("no bump needed"), "{}", out.show());
    repo.assert_unchanged(&before, &out);
}

#[test]
fn bump_major_minor_patch_set_the_version_as_asked() {
    let repo = Repo::fixture();
    let path = flow_path("staging");
    for (how, version) in [("major", "2.0.0"), ("minor", "2.1.0"), ("patch", "2.1.1")] {
        let old_head = repo.head();
        let out = repo.flagctl(&["bump", "experiment_flow", "--env", "staging", how]);
        out.expect(0);
        repo.assert_one_commit_on(&old_head, &out);
        assert_eq!(repo.text(&path), flow(version, true, 50, 50), "{how}");
        assert_eq!(repo.numstat("HEAD"), [format!("1\t1\t{path}")], "{how}");
    }
}

// ---------------------------------------------------------------------------------------------
// 5. promote and apply.
// ---------------------------------------------------------------------------------------------

/// Staging's `experiment_flow` 1.1.0: a new variant, a new description, other state.
fn staging_1_1() -> String {
    flow("1.1.0", false, 30, 70)
        .replace("  b: onepage\n", "  b: onepage\n  c: twopage\n")
        .replace("Checkout flow A/B test", "Checkout flow A/B/C test")
        .replace("    serve: b\n", "    serve: c\n")
}

#[test]
fn promote_takes_version_contract_and_metadata_and_keeps_the_target_state() {
    let repo = Repo::fixture();
    repo.write(&flow_path("staging"), staging_1_1());
    let old_head = repo.commit_all("staging 1.1.0");
    let prod = flow_path("prod");
    let prod_before = repo.text(&prod);
    let out = repo.run("promote staging prod experiment_flow --yes --reason release-1.1");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.text(&prod),
        prod_before
            .replace("version: 1.0.0", "version: 1.1.0")
            .replace("Checkout flow A/B test", "Checkout flow A/B/C test")
            .replace("  b: onepage\n", "  b: onepage\n  c: twopage\n"),
        "prod keeps enabled, rules and rollout"
    );
    assert_eq!(repo.numstat("HEAD"), [format!("3\t2\t{prod}")]);
    assert_eq!(
        repo.subject("HEAD"),
        "promote staging → prod: experiment_flow"
    );
    assert!(is_full_sha(&old_head));
    assert_eq!(
        repo.trailers("HEAD"),
        [
            "Flagctl-Reason: release-1.1".to_owned(),
            "Flagctl-Command: promote staging prod experiment_flow --yes --reason release-1.1 --color never".to_owned(),
            format!("Flagctl-Promoted-From: staging@{old_head}"),
        ]
    );
    // Promoting again has nothing to do.
    let before = repo.state();
    let out = repo.run("promote staging prod experiment_flow --yes --reason again");
    out.expect(0);
    repo.assert_unchanged(&before, &out);
}

#[test]
fn promote_with_state_takes_the_state_too() {
    let repo = Repo::fixture();
    repo.write(&flow_path("staging"), staging_1_1());
    let old_head = repo.commit_all("staging 1.1.0");
    let out = repo.run("promote staging prod experiment_flow --with-state --yes --reason r");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(repo.text(&flow_path("prod")), staging_1_1());
}

#[test]
fn a_flag_new_to_prod_arrives_disabled_with_its_rules() {
    let repo = Repo::fixture();
    let staging = "flags/staging/home/feature_fresh.yaml";
    let text = boolean("feature_fresh", "1.0.0", "Fresh", "approved", true)
        + "rules:\n  - name: staff first\n    segment: staff\n    serve: \"on\"\n";
    repo.write(staging, &text);
    let old_head = repo.commit_all("fresh in staging");
    let copy = Repo::copy_of(&repo);

    let out = repo.run("promote staging prod feature_fresh --yes --reason r");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    let prod = "flags/prod/home/feature_fresh.yaml";
    assert_eq!(
        repo.text(prod),
        text.replace("enabled: true", "enabled: false")
    );
    assert_eq!(repo.numstat("HEAD").len(), 1);

    // --with-state brings it enabled, as in staging.
    let out = copy.run("promote staging prod --all --with-state --yes --reason r");
    out.expect(0);
    copy.assert_one_commit_on(&old_head, &out);
    assert_eq!(copy.text(prod), text);
}

#[test]
fn drafts_are_refused_by_name_and_skipped_by_all() {
    let repo = Repo::fixture();
    repo.write(
        &flow_path("dev"),
        flow("1.1.0", true, 50, 50).replace("lifecycle: approved", "lifecycle: draft"),
    );
    repo.write(
        &banner_path("dev"),
        banner("1.0.1", "A banner on the front page", "approved", false),
    );
    let old_head = repo.commit_all("dev changes");
    let before = repo.state();
    let out = repo.run("promote dev staging experiment_flow --yes");
    out.refused(&["experiment_flow", "draft"]);
    repo.assert_unchanged(&before, &out);

    let out = repo.run("promote dev staging --all --yes");
    out.expect(0);
    assert!(
        out.stderr.contains("skipped experiment_flow") && out.stderr.contains("draft"),
        "{}",
        out.show()
    );
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.git(&["show", "--name-only", "--format=", "HEAD"])
            .trim(),
        banner_path("staging")
    );
}

#[test]
fn a_lifecycle_the_target_does_not_allow_is_refused_by_name_and_skipped_by_all() {
    let repo = Repo::fixture();
    repo.write(
        &flow_path("staging"),
        flow("1.1.0", true, 50, 50).replace("lifecycle: approved", "lifecycle: pending"),
    );
    repo.write(
        &banner_path("staging"),
        banner("1.0.1", "A banner on the front page", "approved", false),
    );
    let old_head = repo.commit_all("staging changes");
    let before = repo.state();
    let out = repo.run("promote staging prod experiment_flow --yes --reason r");
    out.refused(&["experiment_flow", "pending", "prod"]);
    repo.assert_unchanged(&before, &out);

    let out = repo.run("promote staging prod --all --yes --reason r");
    out.expect(0);
    assert!(
        out.stderr.contains("skipped experiment_flow"),
        "{}",
        out.show()
    );
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.git(&["show", "--name-only", "--format=", "HEAD"])
            .trim(),
        banner_path("prod")
    );
    assert_eq!(
        repo.text(&flow_path("prod")),
        flow("1.0.0", true, 50, 50),
        "the pending flag is left alone"
    );
}

#[test]
fn promoting_against_the_chain_needs_allow_backport_and_says_so() {
    let repo = Repo::fixture();
    // A hotfix made in prod.
    repo.write(
        &banner_path("prod"),
        banner(
            "1.0.1",
            "A banner on the home page (hotfix)",
            "approved",
            false,
        ),
    );
    let old_head = repo.commit_all("prod hotfix");
    let before = repo.state();
    let out = repo.run("promote prod staging feature_banner --yes");
    out.refused(&["--allow-backport"]);
    repo.assert_unchanged(&before, &out);

    let out = repo.run("promote prod staging feature_banner --allow-backport --yes");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    assert_eq!(
        repo.text(&banner_path("staging")),
        banner(
            "1.0.1",
            "A banner on the home page (hotfix)",
            "approved",
            false
        )
    );
    let trailers = repo.trailers("HEAD");
    assert!(
        trailers.contains(&"Flagctl-Backport: true".to_owned()),
        "{trailers:?}"
    );
    assert!(
        trailers.contains(&format!("Flagctl-Promoted-From: prod@{old_head}")),
        "{trailers:?}"
    );
}

#[test]
fn without_a_terminal_and_without_yes_the_asking_commands_show_the_plan_and_exit_2() {
    let repo = Repo::fixture();
    repo.write(&flow_path("staging"), flow("1.1.0", true, 50, 50));
    repo.write(
        &banner_path("dev"),
        banner("1.0.0", "A banner on the home page", "deprecated", false),
    );
    repo.write(
        &banner_path("staging"),
        banner("1.0.0", "A banner on the home page", "deprecated", false),
    );
    repo.write(
        &banner_path("prod"),
        banner("1.0.0", "A banner on the home page", "deprecated", false),
    );
    repo.commit_all("changes");
    let before = repo.state();

    let out = repo.run("promote staging prod experiment_flow --reason r");
    out.refused(&["--yes"]);
    assert!(
        out.stdout.contains("+version: 1.1.0"),
        "the plan is shown\n{}",
        out.show()
    );
    repo.assert_unchanged(&before, &out);

    for line in [
        "rollback experiment_flow --env staging --to HEAD~1",
        "retire feature_banner --reason r",
    ] {
        let out = repo.run(line);
        out.refused(&["--yes"]);
        assert!(
            !out.stdout.is_empty(),
            "{line}: shows the plan\n{}",
            out.show()
        );
        repo.assert_unchanged(&before, &out);
    }

    // `set` does not ask: it applies without --yes.
    let out = repo.run("set experiment_flow --env dev enabled=false");
    out.expect(0);
}

#[test]
fn a_saved_plan_applies_later_with_the_promotion_commit() {
    let repo = Repo::fixture();
    repo.write(&flow_path("staging"), staging_1_1());
    let old_head = repo.commit_all("staging 1.1.0");
    let plan = repo.home.join("plan.json");
    let plan_arg = plan.to_str().expect("UTF-8 path");
    let before = repo.state();
    let out = repo.flagctl(&[
        "promote",
        "staging",
        "prod",
        "experiment_flow",
        "--plan",
        plan_arg,
        "--reason",
        "r",
    ]);
    out.expect(0);
    assert!(plan.exists(), "{}", out.show());
    repo.assert_unchanged(&before, &out);

    // Without --yes (and no terminal) it shows the plan and applies nothing.
    let out = repo.flagctl(&["apply", plan_arg, "--reason", "r"]);
    out.refused(&["--yes"]);
    repo.assert_unchanged(&before, &out);

    let out = repo.flagctl(&["apply", plan_arg, "--yes", "--reason", "planned"]);
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    let trailers = repo.trailers("HEAD");
    assert!(
        trailers.contains(&format!("Flagctl-Promoted-From: staging@{old_head}")),
        "{trailers:?}"
    );
    assert!(trailers.contains(&"Flagctl-Reason: planned".to_owned()));
    assert!(
        repo.text(&flow_path("prod")).contains("version: 1.1.0"),
        "{}",
        out.show()
    );

    // Applied once, the plan is stale.
    let before = repo.state();
    let out = repo.flagctl(&["apply", plan_arg, "--yes", "--reason", "twice"]);
    out.refused(&["plan"]);
    repo.assert_unchanged(&before, &out);
}

#[test]
fn a_plan_is_refused_once_head_or_a_file_moved() {
    let repo = Repo::fixture();
    repo.write(&flow_path("staging"), staging_1_1());
    repo.commit_all("staging 1.1.0");
    let plan = repo.home.join("plan.json");
    let plan_arg = plan.to_str().expect("UTF-8 path");
    repo.flagctl(&[
        "promote", "staging", "prod", "--all", "--plan", plan_arg, "--reason", "r",
    ])
    .expect(0);

    // A file the plan read changed (uncommitted).
    let changed = Repo::copy_of(&repo);
    let mut text = changed.text(&flow_path("staging"));
    text.push_str("# edited after the plan\n");
    changed.write(&flow_path("staging"), text);
    let before = changed.state();
    let out = changed.flagctl(&["apply", plan_arg, "--yes", "--reason", "r"]);
    out.refused(&["experiment_flow"]);
    changed.assert_unchanged(&before, &out);

    // The target changed.
    let changed = Repo::copy_of(&repo);
    let mut text = changed.text(&flow_path("prod"));
    text.push_str("# edited after the plan\n");
    changed.write(&flow_path("prod"), text);
    let before = changed.state();
    let out = changed.flagctl(&["apply", plan_arg, "--yes", "--reason", "r"]);
    out.refused(&["experiment_flow"]);
    changed.assert_unchanged(&before, &out);

    // HEAD moved (an unrelated commit).
    repo.write("README.md", "unrelated\n");
    repo.commit_all("unrelated");
    let before = repo.state();
    let out = repo.flagctl(&["apply", plan_arg, "--yes", "--reason", "r"]);
    out.refused(&["HEAD"]);
    repo.assert_unchanged(&before, &out);
}

// ---------------------------------------------------------------------------------------------
// 6. rollback.
// ---------------------------------------------------------------------------------------------

#[test]
fn rollback_restores_the_file_byte_for_byte_as_a_new_commit() {
    let repo = Repo::fixture();
    let path = flow_path("staging");
    let a = repo.head();
    repo.run("set experiment_flow --env staging rollout.a=30 rollout.b=70")
        .expect(0);
    let b = repo.head();
    repo.write(&path, staging_1_1());
    let c = repo.commit_all("1.1.0");
    let at = |rev: &str| repo.git(&["show", &format!("{rev}:{path}")]).into_bytes();

    // --to REV.
    let out = repo.run(&format!(
        "rollback experiment_flow --env staging --to {a} --yes"
    ));
    out.expect(0);
    repo.assert_one_commit_on(&c, &out);
    assert_eq!(repo.read(&path), at(&a));
    assert!(
        repo.trailers("HEAD")
            .iter()
            .any(|t| t.starts_with("Flagctl-Command: rollback experiment_flow")),
        "{:?}",
        repo.trailers("HEAD")
    );
    for old in [&a, &b, &c] {
        assert!(
            repo.git_ok(&["merge-base", "--is-ancestor", old, "HEAD"]),
            "history is not rewritten: {old} is still an ancestor of HEAD"
        );
    }
}

#[test]
fn rollback_to_a_version_takes_the_newest_commit_holding_it() {
    let repo = Repo::fixture();
    let path = flow_path("staging");
    repo.run("set experiment_flow --env staging rollout.a=30 rollout.b=70")
        .expect(0);
    let b = repo.head();
    repo.write(&path, staging_1_1());
    let c = repo.commit_all("1.1.0");
    let out = repo.run("rollback experiment_flow --env staging --to 1.0.0 --yes");
    out.expect(0);
    repo.assert_one_commit_on(&c, &out);
    assert_eq!(
        repo.read(&path),
        repo.git(&["show", &format!("{b}:{path}")]).into_bytes()
    );
}

// ---------------------------------------------------------------------------------------------
// 7. retire.
// ---------------------------------------------------------------------------------------------

fn deprecated_everywhere(repo: &Repo) {
    for env in ["dev", "staging", "prod"] {
        repo.write(
            &banner_path(env),
            banner("1.0.1", "A banner on the home page", "deprecated", false),
        );
    }
}

#[test]
fn retire_deletes_a_deprecated_flag_from_every_environment_in_one_commit() {
    let repo = Repo::fixture();
    deprecated_everywhere(&repo);
    let old_head = repo.commit_all("deprecate the banner");
    let out = repo.run("retire feature_banner --yes --reason done");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    let lines = banner("1.0.1", "A banner on the home page", "deprecated", false)
        .lines()
        .count();
    let mut stat = repo.numstat("HEAD");
    stat.sort();
    let mut expected: Vec<String> = ["dev", "prod", "staging"]
        .iter()
        .map(|env| format!("0\t{lines}\t{}", banner_path(env)))
        .collect();
    expected.sort();
    assert_eq!(stat, expected);
    for env in ["dev", "staging", "prod"] {
        assert!(!repo.path(&banner_path(env)).exists());
    }
    assert!(
        repo.trailers("HEAD")
            .contains(&"Flagctl-Reason: done".to_owned()),
        "{:?}",
        repo.trailers("HEAD")
    );
}

#[test]
fn retire_refuses_while_any_copy_is_not_deprecated() {
    let repo = Repo::fixture();
    deprecated_everywhere(&repo);
    repo.write(
        &banner_path("prod"),
        banner("1.0.1", "A banner on the home page", "approved", false),
    );
    repo.commit_all("deprecated but in prod");
    let before = repo.state();
    let out = repo.run("retire feature_banner --yes --reason r");
    out.refused(&["prod", "deprecated"]);
    repo.assert_unchanged(&before, &out);
}

// ---------------------------------------------------------------------------------------------
// 8. new.
// ---------------------------------------------------------------------------------------------

#[test]
fn new_creates_a_flag_from_a_template_that_validates() {
    let repo = Repo::fixture();
    let old_head = repo.head();
    let out = repo.run("new feature_fresh --template release");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    let path = "flags/dev/feature_fresh.yaml";
    let text = repo.text(path);
    assert!(text.contains("name: feature_fresh\n"), "{text}");
    assert_eq!(
        repo.git(&["show", "--name-status", "--format=", "HEAD"])
            .trim(),
        format!("A\t{path}")
    );
    repo.run("validate").expect(0);

    // --group places it in a folder; --env in another environment.
    let out = repo.run("new feature_grouped --template release --group home");
    out.expect(0);
    assert_eq!(
        repo.git(&["show", "--name-status", "--format=", "HEAD"])
            .trim(),
        "A\tflags/dev/home/feature_grouped.yaml"
    );

    let before = repo.state();
    for (line, needles) in [
        (
            "new feature_fresh --template release",
            &["feature_fresh", "exists"][..],
        ),
        (
            "new Feature-Fresh --template release",
            &["Feature-Fresh", "naming"],
        ),
        (
            "new feature_other --template relase",
            &["relase", "did you mean \"release\""],
        ),
        ("new feature_other --template release --env qa", &["qa"]),
    ] {
        let out = repo.run(line);
        out.refused(needles);
        repo.assert_unchanged(&before, &out);
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Interruption: as before or as after, never between.
// ---------------------------------------------------------------------------------------------

const PENDING: &[&str] = &[
    "feature_alpha",
    "feature_bravo",
    "feature_charlie",
    "feature_delta",
    "feature_echo",
    "feature_foxtrot",
    "feature_golf",
    "feature_hotel",
];

/// Eight flags at 1.1.0 in staging and 1.0.0 in prod, all pending promotion.
fn pending_repo() -> Repo {
    let repo = Repo::empty();
    repo.write("flagctl.yaml", CONFIG);
    for (i, name) in PENDING.iter().enumerate() {
        let group = if i % 2 == 0 { "even" } else { "odd" };
        for env in ["dev", "staging", "prod"] {
            let (version, description) = if env == "prod" {
                ("1.0.0", format!("{name} as released"))
            } else {
                ("1.1.0", format!("{name}, reworded"))
            };
            repo.write(
                &format!("flags/{env}/{group}/{name}.yaml"),
                boolean(name, version, &description, "approved", i % 3 == 0),
            );
        }
    }
    repo.commit_all("eight flags pending promotion");
    repo
}

#[test]
fn promote_all_of_many_flags_is_one_commit() {
    let repo = pending_repo();
    let old_head = repo.head();
    let out = repo.run("promote staging prod --all --yes --reason r");
    out.expect(0);
    repo.assert_one_commit_on(&old_head, &out);
    let stat = repo.numstat("HEAD");
    assert_eq!(stat.len(), PENDING.len(), "{stat:?}");
    assert!(
        stat.iter().all(|l| l.starts_with("2\t2\tflags/prod/")),
        "{stat:?}"
    );
    assert_eq!(
        repo.git(&["rev-list", "--count", &format!("{old_head}..HEAD")])
            .trim(),
        "1"
    );
}

#[test]
fn an_interrupted_promotion_leaves_the_repository_as_before_or_as_after() {
    let base = pending_repo();
    let old_head = base.head();
    let original = base.files();
    let args = [
        "promote", "staging", "prod", "--all", "--yes", "--reason", "r",
    ];

    // The outcome of an uninterrupted run.
    let reference = Repo::copy_of(&base);
    reference.flagctl(&args).expect(0);
    let after_tree = reference.rev("HEAD^{tree}");
    let after_files = reference.files();
    assert_ne!(after_files, original);

    let mut outcomes = Vec::new();
    for n in 1..=20u32 {
        let repo = Repo::copy_of(&base);
        let run = repo.flagctl_with(&args, &[("FLAGCTL_CRASH_AFTER", &n.to_string())]);
        let crashed = run.status.code().is_none();
        if !crashed {
            run.expect(0);
        }
        // Any flagctl command recovers.
        let status = repo.run("status");
        assert_eq!(status.status.code(), Some(0), "N={n}\n{}", status.show());
        if crashed {
            assert!(
                status.stderr.contains("interrupted flagctl operation"),
                "N={n}: the recovery is reported\n{}",
                status.show()
            );
        }
        let again = repo.run("status");
        assert!(
            !again.stderr.contains("interrupted"),
            "N={n}: recovered once and for all\n{}",
            again.show()
        );

        let files = repo.files();
        let leftovers: Vec<&String> = files
            .keys()
            .filter(|p| p.contains(".flagctl-tmp"))
            .collect();
        assert!(leftovers.is_empty(), "N={n}: leftovers {leftovers:?}");
        let porcelain = repo.porcelain();
        let head = repo.head();
        let before = head == old_head && porcelain.is_empty() && files == original;
        let after = head != old_head
            && repo.rev("HEAD~1") == old_head
            && repo.rev("HEAD^{tree}") == after_tree
            && porcelain.is_empty()
            && files == after_files;
        assert!(
            before || after,
            "N={n} (crashed: {crashed}): the repository is between before and after\nHEAD {head} (was {old_head})\ngit status:\n{porcelain}\nfiles changed: {:?}\n{}\n{}",
            files
                .keys()
                .filter(|k| original.get(*k) != files.get(*k))
                .collect::<Vec<_>>(),
            run.show(),
            status.show()
        );
        outcomes.push((n, crashed, after));
    }
    let summary = format!("(N, crashed, completed): {outcomes:?}");
    assert!(
        outcomes
            .iter()
            .any(|&(_, crashed, after)| crashed && !after),
        "some early crash rolls back: {summary}"
    );
    assert!(
        outcomes.iter().any(|&(_, crashed, after)| crashed && after),
        "a crash after the commit keeps it: {summary}"
    );
    assert!(
        outcomes.iter().any(|&(_, crashed, _)| !crashed),
        "a large N just completes: {summary}"
    );
    // Once an interrupted run has committed, every later step has too.
    let first_after = outcomes.iter().position(|&(_, _, after)| after);
    if let Some(first) = first_after {
        assert!(
            outcomes[first..].iter().all(|&(_, _, after)| after),
            "completion is monotonic in N: {summary}"
        );
    }
}

/// `kill -9` of flagctl while `git commit` runs (from a pre-commit hook that kills git's parent),
/// after which git either goes on to make the commit (`hook_exit` 0) or refuses it (1).
#[cfg(target_os = "linux")]
fn killed_during_the_commit(hook_exit: u8) -> (Repo, String, BTreeMap<String, Vec<u8>>) {
    let repo = pending_repo();
    repo.write(
        ".githooks/pre-commit",
        format!(
            "#!/bin/sh\nkill -9 \"$(cut -d' ' -f4 /proc/$PPID/stat)\"\nsleep 0.2\nexit {hook_exit}\n"
        ),
    );
    make_executable(&repo.path(".githooks/pre-commit"));
    let old_head = repo.commit_all("hook");
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let original = repo.files();
    let run = repo.run("promote staging prod --all --yes --reason r");
    assert_eq!(
        run.status.code(),
        None,
        "flagctl was killed\n{}",
        run.show()
    );
    // git outlives its killed parent: let it finish before looking.
    for _ in 0..100 {
        if !repo.path(".git/index.lock").exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = repo.run("status");
    assert_eq!(status.status.code(), Some(0), "{}", status.show());
    assert!(
        repo.files().keys().all(|p| !p.contains(".flagctl-tmp")),
        "no leftovers"
    );
    assert_eq!(repo.porcelain(), "", "{}", status.show());
    (repo, old_head, original)
}

#[cfg(target_os = "linux")]
#[test]
fn kill_9_during_the_commit_ends_as_after_when_git_completes_it() {
    let (repo, old_head, original) = killed_during_the_commit(0);
    assert_eq!(repo.rev("HEAD~1"), old_head, "the commit git made is kept");
    assert_eq!(repo.numstat("HEAD").len(), PENDING.len());
    assert_ne!(repo.files(), original);
}

#[cfg(target_os = "linux")]
#[test]
fn kill_9_during_the_commit_ends_as_before_when_git_refuses_it() {
    let (repo, old_head, original) = killed_during_the_commit(1);
    assert_eq!(repo.head(), old_head);
    assert_eq!(repo.files(), original);
}
