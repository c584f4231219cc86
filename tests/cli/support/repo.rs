//! [`Repo`]: a flag repository in a temporary folder, with or without git, and the runs of
//! flagctl in it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::run::{Run, describe, finish};
use super::{EMAIL, NAME, SCRUBBED, project_root};

/// 2026-01-01T00:00:00Z (seconds since the Unix epoch): the date of the first commit of every
/// repository, unless the test sets the [`Clock`].
pub const EPOCH: i64 = 1_767_225_600;

/// `FLAGCTL_NOW` of every run in a [`Repo`] unless the test sets another ([`Repo::set_now`]):
/// after every commit the default clock makes.
pub const NOW: &str = "2026-06-15T12:00:00Z";

/// The dates of the next commits, by the test's git or by flagctl's (both read
/// `GIT_AUTHOR_DATE` / `GIT_COMMITTER_DATE`).
#[derive(Debug, Clone)]
pub enum Clock {
    /// Seconds since the Unix epoch of the next commit; each commit the test makes
    /// ([`Repo::commit`], [`Repo::amend`]) and each run of flagctl moves it an hour on.
    Ticking(i64),
    /// Every commit gets this date (in a form git reads: `@SECONDS +0000`, RFC 3339, ...).
    Fixed(String),
}

/// Everything a command could change in a repository: every file of the work tree, the files of
/// `.git` that name commits or hold state (HEAD, refs, config, flagctl's journal, MERGE_HEAD...;
/// not objects, the index or reflogs), and `git status` (what is staged and what is not).
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub files: BTreeMap<String, Vec<u8>>,
    /// `None` outside git.
    pub git: Option<GitState>,
}

/// The git side of a [`State`].
#[derive(Debug, Clone, PartialEq)]
pub struct GitState {
    pub meta: BTreeMap<String, Vec<u8>>,
    /// `git status --porcelain=v2 --branch --untracked-files=all --show-stash`.
    pub status: String,
}

/// A flag repository in a temporary folder (`repo/`, beside its own `home/`), deleted when
/// dropped. Build one with [`Repo::new`] (no git), [`Repo::with_git`], [`Repo::demo`],
/// [`Repo::copy_of`] or [`Repo::clone_of`]; then write files, commit and run flagctl in it.
pub struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    clock: RefCell<Clock>,
    now: RefCell<String>,
}

impl Default for Repo {
    fn default() -> Self {
        Repo::new()
    }
}

impl Repo {
    /// An empty folder, not a git repository (write `flags/` files or a `flagctl.yaml`).
    pub fn new() -> Repo {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let root = tmp.path().join("repo");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&root).expect("repo folder");
        std::fs::create_dir_all(&home).expect("home folder");
        Repo {
            _tmp: tmp,
            root,
            home,
            clock: RefCell::new(Clock::Ticking(EPOCH)),
            now: RefCell::new(NOW.to_owned()),
        }
    }

    /// An empty git repository on branch `main`, its identity ([`NAME`], [`EMAIL`]) in its own
    /// config, no signing.
    pub fn with_git() -> Repo {
        let repo = Repo::new();
        repo.git_init();
        repo
    }

    /// Makes this folder a git repository (see [`Repo::with_git`]); files already written stay
    /// uncommitted.
    pub fn git_init(&self) -> &Repo {
        self.git(&["init", "-q", "-b", "main"]);
        self.git(&["config", "user.name", NAME]);
        self.git(&["config", "user.email", EMAIL]);
        self.git(&["config", "commit.gpgsign", "false"]);
        self
    }

    /// A copy of the project's demo tree (`flagctl.yaml`, `flags/`, `segments/`, `templates/`),
    /// not under git.
    pub fn demo() -> Repo {
        let repo = Repo::new();
        std::fs::copy(
            project_root().join("flagctl.yaml"),
            repo.join("flagctl.yaml"),
        )
        .expect("copy flagctl.yaml");
        for dir in ["flags", "segments", "templates"] {
            copy_dir(&project_root().join(dir), &repo.join(dir));
        }
        repo
    }

    /// A copy of `other`'s folder (its `.git` too), with `other`'s clock and `now`.
    pub fn copy_of(other: &Repo) -> Repo {
        let repo = Repo::new();
        copy_dir(&other.root, &repo.root);
        repo.clock.replace(other.clock.borrow().clone());
        repo.now.replace(other.now());
        repo
    }

    /// `git clone` of `other` (`--depth N` when `depth` is given) in a new folder, with `other`'s
    /// clock and `now`. The identity is set in the clone's config too.
    pub fn clone_of(other: &Repo, depth: Option<u32>) -> Repo {
        let repo = Repo::new();
        repo.clock.replace(other.clock.borrow().clone());
        repo.now.replace(other.now());
        let url = format!("file://{}", other.root.display());
        let target = repo.root.to_string_lossy().into_owned();
        let depth = depth.map(|d| d.to_string());
        let mut args = vec!["clone", "-q"];
        if let Some(depth) = &depth {
            args.extend(["--depth", depth]);
        }
        args.extend([url.as_str(), target.as_str()]);
        repo.git(&args);
        repo.git(&["config", "user.name", NAME]);
        repo.git(&["config", "user.email", EMAIL]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    // -- time --------------------------------------------------------------------------------

    /// `FLAGCTL_NOW` of the runs in this repository (RFC 3339).
    pub fn now(&self) -> String {
        self.now.borrow().clone()
    }

    /// Sets `FLAGCTL_NOW` of the next runs (RFC 3339).
    pub fn set_now(&self, now: &str) -> &Repo {
        self.now.replace(now.to_owned());
        self
    }

    /// `now` moved by `hours` (negative: earlier), as RFC 3339.
    pub fn now_plus_hours(&self, hours: i64) -> String {
        (self.now_timestamp() + jiff::SignedDuration::from_hours(hours)).to_string()
    }

    fn now_timestamp(&self) -> jiff::Timestamp {
        self.now().parse().expect("now is RFC 3339")
    }

    /// Dates the next commits `date` (RFC 3339, or any date git reads), until told otherwise.
    pub fn at(&self, date: &str) -> &Repo {
        self.clock.replace(Clock::Fixed(date.to_owned()));
        self
    }

    /// Dates the next commits `days` days before [`Repo::now`], until told otherwise.
    pub fn days_ago(&self, days: i64) -> &Repo {
        let at = self.now_timestamp() - jiff::SignedDuration::from_hours(24 * days);
        self.at(&format!("@{} +0000", at.as_second()))
    }

    /// Sets the clock.
    pub fn set_clock(&self, clock: Clock) -> &Repo {
        self.clock.replace(clock);
        self
    }

    /// The date of the next commits.
    fn date(&self) -> String {
        match &*self.clock.borrow() {
            Clock::Ticking(seconds) => format!("@{seconds} +0000"),
            Clock::Fixed(date) => date.clone(),
        }
    }

    /// Moves a ticking clock an hour on.
    fn tick(&self) {
        if let Clock::Ticking(seconds) = &mut *self.clock.borrow_mut() {
            *seconds += 3600;
        }
    }

    // -- files -------------------------------------------------------------------------------

    /// The repository's root folder.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// `rel` below the root.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// The temporary `HOME` of every git and flagctl run.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Writes `contents` at `rel`, creating folders on the way.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Repo {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("writing {rel}: {e}"));
        self
    }

    /// Writes a valid boolean flag named after the file stem of `rel` ([`super::flag_yaml`]),
    /// with `extra` YAML appended.
    pub fn flag(&self, rel: &str, extra: &str) -> &Repo {
        let stem = Path::new(rel)
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a file name");
        self.write(rel, super::flag_yaml(stem, extra))
    }

    /// Replaces the first `from` in the file at `rel` by `to` (`from` must be there).
    #[track_caller]
    pub fn edit(&self, rel: &str, from: &str, to: &str) -> &Repo {
        let text = self.text(rel);
        assert!(text.contains(from), "{rel} has no {from:?}:\n{text}");
        self.write(rel, text.replacen(from, to, 1))
    }

    /// Deletes the file at `rel`.
    pub fn remove(&self, rel: &str) -> &Repo {
        std::fs::remove_file(self.join(rel)).unwrap_or_else(|e| panic!("removing {rel}: {e}"));
        self
    }

    /// The bytes of the file at `rel`.
    #[track_caller]
    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.join(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    /// The text of the file at `rel`.
    #[track_caller]
    pub fn text(&self, rel: &str) -> String {
        String::from_utf8(self.read(rel)).unwrap_or_else(|e| panic!("{rel} is not UTF-8: {e}"))
    }

    /// Every file of the work tree (not `.git`) and its bytes, by `/`-separated relative path.
    pub fn files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        walk(&self.root, &self.root, &[".git"], &mut out);
        out
    }

    // -- git ---------------------------------------------------------------------------------

    /// A `git` command in the repository: isolated from the caller's configuration, dated by
    /// the clock.
    pub fn git_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new("git");
        self.isolate(&mut cmd);
        cmd.current_dir(&self.root).args(args);
        cmd
    }

    /// Runs git, which must succeed; returns its stdout.
    #[track_caller]
    pub fn git(&self, args: &[&str]) -> String {
        String::from_utf8(self.git_bytes(args)).expect("git output is UTF-8")
    }

    /// Runs git, which must succeed; returns its stdout as bytes (`git show REV:PATH`).
    #[track_caller]
    pub fn git_bytes(&self, args: &[&str]) -> Vec<u8> {
        let out = self.git_cmd(args).output().expect("git starts");
        assert!(
            out.status.success(),
            "git {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Runs git, which may fail; returns whether it succeeded.
    pub fn git_ok(&self, args: &[&str]) -> bool {
        self.git_cmd(args)
            .output()
            .expect("git starts")
            .status
            .success()
    }

    /// Commits everything (`git add -A`, empty commits allowed) with `subject`; returns the new
    /// HEAD.
    #[track_caller]
    pub fn commit(&self, subject: &str) -> String {
        self.commit_with(subject, &[])
    }

    /// Commits everything with `subject` and a last paragraph of `trailers` (`Key: value`);
    /// returns the new HEAD.
    #[track_caller]
    pub fn commit_with(&self, subject: &str, trailers: &[&str]) -> String {
        self.git(&["add", "-A"]);
        self.git_commit(&[], subject, trailers)
    }

    /// Commits everything with `subject` and returns the repository, for chains of writes and
    /// commits (`repo.write(..).days_ago(3).committed("..").write(..)`).
    #[track_caller]
    pub fn committed(&self, subject: &str) -> &Repo {
        self.commit(subject);
        self
    }

    /// Rewrites HEAD's message (same tree); returns the new HEAD.
    #[track_caller]
    pub fn amend(&self, subject: &str, trailers: &[&str]) -> String {
        self.git_commit(&["--amend"], subject, trailers)
    }

    /// `git commit` (plus `extra`) of what is staged, dated by the clock, which it moves on.
    #[track_caller]
    fn git_commit(&self, extra: &[&str], subject: &str, trailers: &[&str]) -> String {
        let mut args = vec!["commit", "-q", "--allow-empty"];
        args.extend(extra);
        args.extend(["-m", subject]);
        let body = trailers.join("\n");
        if !trailers.is_empty() {
            args.extend(["-m", &body]);
        }
        self.git(&args);
        self.tick();
        self.head()
    }

    /// Creates branch `name` at HEAD (without switching to it).
    #[track_caller]
    pub fn branch(&self, name: &str) -> &Repo {
        self.git(&["branch", name]);
        self
    }

    /// Switches to `rev` (a branch, or a commit: a detached HEAD).
    #[track_caller]
    pub fn checkout(&self, rev: &str) -> &Repo {
        self.git(&["checkout", "-q", rev]);
        self
    }

    /// The full id of `rev`.
    #[track_caller]
    pub fn rev(&self, rev: &str) -> String {
        self.git(&["rev-parse", "--verify", "-q", rev])
            .trim()
            .to_owned()
    }

    /// The full id of HEAD.
    #[track_caller]
    pub fn head(&self) -> String {
        self.rev("HEAD")
    }

    /// `git status --porcelain --untracked-files=all` ("" when clean).
    #[track_caller]
    pub fn porcelain(&self) -> String {
        self.git(&["status", "--porcelain", "--untracked-files=all"])
    }

    /// The subject of `rev`.
    #[track_caller]
    pub fn subject(&self, rev: &str) -> String {
        self.git(&["log", "-1", "--format=%s", rev])
            .trim()
            .to_owned()
    }

    /// The trailers of `rev` as git parses them, one `Key: value` a line.
    #[track_caller]
    pub fn trailers(&self, rev: &str) -> Vec<String> {
        self.git_lines(&["log", "-1", "--format=%(trailers:only,unfold)", rev])
    }

    /// `insertions<TAB>deletions<TAB>path` of every file `rev` changed.
    #[track_caller]
    pub fn numstat(&self, rev: &str) -> Vec<String> {
        self.git_lines(&["show", "--numstat", "--format=", rev])
    }

    /// The non-empty lines git prints.
    #[track_caller]
    fn git_lines(&self, args: &[&str]) -> Vec<String> {
        self.git(args)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The committer date of `rev` in `format` (strftime, UTC).
    #[track_caller]
    pub fn date_of(&self, rev: &str, format: &str) -> String {
        self.git(&[
            "log",
            "-1",
            &format!("--date=format-local:{format}"),
            "--format=%cd",
            rev,
        ])
        .trim()
        .to_owned()
    }

    // -- flagctl -----------------------------------------------------------------------------

    /// Runs flagctl with `args` from the repository root (`FLAGCTL_NOW` = [`Repo::now`]).
    pub fn run(&self, args: &[&str]) -> Run {
        self.cmd(args).run()
    }

    /// Runs flagctl with the whitespace-separated words of `line` (no quoting: use
    /// [`Repo::run`] for an argument with spaces).
    pub fn run_line(&self, line: &str) -> Run {
        self.run(&line.split_whitespace().collect::<Vec<_>>())
    }

    /// `ARGS --format json`, which must exit `code`: its report, checked against the report
    /// schema ([`Run::report`]).
    #[track_caller]
    pub fn report(&self, args: &[&str], code: i32) -> serde_json::Value {
        self.cmd(args)
            .args(&["--format", "json"])
            .run()
            .expect(code)
            .report()
    }

    /// `ARGS` as a person reads them and as a program does (`--format json`, checked against the
    /// report schema), both exiting `code`: the two command lines and outputs, for one snapshot.
    #[track_caller]
    pub fn human_and_json(&self, args: &[&str], code: i32) -> String {
        let human = self.run(args);
        human.expect(code);
        let json = self.cmd(args).args(&["--format", "json"]).run();
        json.expect(code).report();
        format!(
            "$ {}\n{}\n$ {}\n{}",
            human.command, human.stdout, json.command, json.stdout
        )
    }

    /// Where a test keeps a promotion plan: `plan.json` in the repository's home, outside the
    /// work tree (as a plan handed to a reviewer would be).
    pub fn plan_file(&self) -> String {
        self.home().join("plan.json").to_string_lossy().into_owned()
    }

    /// `promote PROMOTE… --plan` [`Repo::plan_file`] `--reason r`, which must succeed; the plan it
    /// saved.
    #[track_caller]
    pub fn save_plan(&self, promote: &[&str]) -> serde_json::Value {
        let file = self.plan_file();
        let mut args = vec!["promote"];
        args.extend_from_slice(promote);
        args.extend(["--plan", &file, "--reason", "r"]);
        self.run(&args).expect(0);
        serde_json::from_slice(&std::fs::read(&file).expect("the saved plan"))
            .expect("the plan is JSON")
    }

    /// `apply` [`Repo::plan_file`] `--yes --reason r`, the file holding `plan` (a saved plan,
    /// edited or damaged) first.
    pub fn apply(&self, plan: impl AsRef<[u8]>) -> Run {
        let file = self.plan_file();
        std::fs::write(&file, plan).expect("write the plan");
        self.run(&["apply", &file, "--yes", "--reason", "r"])
    }

    /// flagctl with `args`, to add environment variables, stdin or a folder before [`Cmd::run`].
    pub fn cmd(&self, args: &[&str]) -> Cmd<'_> {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_flagctl"));
        self.isolate(&mut cmd);
        cmd.env("FLAGCTL_NOW", self.now())
            .current_dir(&self.root)
            .args(args);
        self.tick();
        Cmd {
            repo: self,
            cmd,
            stdin: None,
        }
    }

    fn isolate(&self, cmd: &mut std::process::Command) {
        isolate(cmd, &self.home);
        let date = self.date();
        cmd.env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date);
    }

    // -- before and after --------------------------------------------------------------------

    /// Everything a command could change (see [`State`]).
    pub fn state(&self) -> State {
        capture(&self.root, &self.home)
    }

    /// Asserts that the repository is as it was in `before` (`run`, the command that should
    /// have left it so, is shown on failure).
    #[track_caller]
    pub fn assert_unchanged(&self, before: &State, run: &Run) {
        assert_same(before, &self.state(), run);
    }

    /// Asserts that HEAD's commit changed one line of `path` and nothing else: the minimal diff
    /// a writing command promises (SPEC §6).
    #[track_caller]
    pub fn assert_one_line_changed(&self, path: &str) {
        assert_eq!(
            self.numstat("HEAD"),
            [format!("1\t1\t{path}")],
            "one line of {path} changed, nothing else"
        );
    }

    /// Runs the writing command `line` (as [`Repo::run_line`]), which must succeed with one
    /// commit on top of HEAD as it was ([`Repo::assert_one_commit_on`]) that changes one line of
    /// `path` and nothing else ([`Repo::assert_one_line_changed`]); the file's text after it.
    #[track_caller]
    pub fn run_one_line_edit(&self, line: &str, path: &str) -> String {
        let old_head = self.head();
        let run = self.run_line(line);
        run.expect(0);
        self.assert_one_commit_on(&old_head, &run);
        self.assert_one_line_changed(path);
        self.text(path)
    }

    /// Asserts that `run` made exactly one commit on top of `old_head` and left the work tree
    /// clean.
    #[track_caller]
    pub fn assert_one_commit_on(&self, old_head: &str, run: &Run) {
        assert_ne!(self.head(), old_head, "no commit was made\n{}", run.show());
        assert_eq!(
            self.rev("HEAD~1"),
            old_head,
            "HEAD~1 is the previous HEAD\n{}",
            run.show()
        );
        assert_eq!(
            self.porcelain(),
            "",
            "clean after the commit\n{}",
            run.show()
        );
    }
}

/// A run of flagctl in a [`Repo`], being built: [`Repo::cmd`].
pub struct Cmd<'r> {
    repo: &'r Repo,
    cmd: std::process::Command,
    stdin: Option<Vec<u8>>,
}

impl Cmd<'_> {
    /// Adds arguments.
    pub fn args(mut self, args: &[&str]) -> Self {
        self.cmd.args(args);
        self
    }

    /// Sets an environment variable (`FLAGCTL_NOW` overrides the repository's).
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// Removes an environment variable (`FLAGCTL_NOW`: the real time).
    pub fn env_remove(mut self, key: &str) -> Self {
        self.cmd.env_remove(key);
        self
    }

    /// Feeds `input` on stdin.
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Runs from `rel` below the root instead of the root.
    pub fn in_dir(mut self, rel: &str) -> Self {
        self.cmd.current_dir(self.repo.join(rel));
        self
    }

    /// Runs flagctl through `wrapper` (a program and its arguments, e.g. `setpriv --reuid=...
    /// --`), which gets flagctl's path and arguments after its own.
    pub fn via(self, wrapper: &[&str]) -> Self {
        let (program, wrapper_args) = wrapper.split_first().expect("a wrapper program");
        let mut cmd = std::process::Command::new(program);
        cmd.args(wrapper_args)
            .arg(self.cmd.get_program())
            .args(self.cmd.get_args());
        for (key, value) in self.cmd.get_envs() {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        if let Some(dir) = self.cmd.get_current_dir() {
            cmd.current_dir(dir);
        }
        Cmd { cmd, ..self }
    }

    /// Starts flagctl without waiting for it: for several runs at once, or to kill one midway.
    /// Its stdin is empty; stdout and stderr are kept for [`Started::wait`].
    pub fn spawn(mut self) -> Started {
        let command = describe(self.cmd.get_program(), self.cmd.get_args());
        let child = self
            .cmd
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{command} does not start: {e}"));
        Started { child, command }
    }

    /// Runs flagctl to completion (noting the repository's state first, for
    /// [`Run::refused`]).
    pub fn run(self) -> Run {
        let before = self.repo.state();
        let command = describe(self.cmd.get_program(), self.cmd.get_args());
        let mut cmd = assert_cmd::Command::from_std(self.cmd);
        if let Some(input) = self.stdin {
            cmd.write_stdin(input);
        }
        finish(
            cmd.output(),
            command,
            Some(Witness {
                root: self.repo.root.clone(),
                home: self.repo.home.clone(),
                before,
            }),
        )
    }
}

/// A run of flagctl under way: [`Cmd::spawn`].
pub struct Started {
    child: std::process::Child,
    command: String,
}

impl Started {
    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Kills flagctl as `kill -9` does (its children, such as git, run on).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
    }

    /// Waits for the end of the run. (What it changed is the test's to check: a run among
    /// others has no state of its own to compare with [`Run::refused`].)
    pub fn wait(self) -> Run {
        finish(self.child.wait_with_output(), self.command, None)
    }
}

/// The state of a repository before a run, for [`Run::refused`].
#[derive(Debug)]
pub struct Witness {
    root: PathBuf,
    home: PathBuf,
    before: State,
}

impl Witness {
    #[track_caller]
    pub(super) fn assert_unchanged(&self, run: &Run) {
        assert_same(&self.before, &capture(&self.root, &self.home), run);
    }
}

#[track_caller]
fn assert_same(before: &State, now: &State, run: &Run) {
    if before == now {
        return;
    }
    let mut changed = changed_keys(&before.files, &now.files);
    let (status_before, status_now) = match (&before.git, &now.git) {
        (Some(b), Some(n)) => {
            changed.extend(
                changed_keys(&b.meta, &n.meta)
                    .into_iter()
                    .map(|k| format!(".git/{k}")),
            );
            (b.status.as_str(), n.status.as_str())
        }
        (None, Some(_)) => ("(not a git repository)", "(a git repository)"),
        (Some(_), None) => ("(a git repository)", "(not a git repository)"),
        (None, None) => ("", ""),
    };
    panic!(
        "the command changed the repository\nfiles changed: {changed:?}\ngit status before:\n{status_before}\ngit status after:\n{status_now}\n{}",
        run.show()
    );
}

fn changed_keys(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut keys: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn capture(root: &Path, home: &Path) -> State {
    let mut files = BTreeMap::new();
    walk(root, root, &[".git"], &mut files);
    let dot_git = root.join(".git");
    let git = dot_git.is_dir().then(|| {
        let mut meta = BTreeMap::new();
        walk(&dot_git, &dot_git, &["objects", "index", "logs"], &mut meta);
        let mut cmd = std::process::Command::new("git");
        isolate(&mut cmd, home);
        let out = cmd
            .env("GIT_OPTIONAL_LOCKS", "0")
            .current_dir(root)
            .args([
                "status",
                "--porcelain=v2",
                "--branch",
                "--untracked-files=all",
                "--show-stash",
            ])
            .output()
            .expect("git starts");
        let status = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        GitState { meta, status }
    });
    State { files, git }
}

/// Every file below `dir` (but the top-level names in `skip`) into `out`, by path from `base`;
/// a symbolic link as `-> TARGET`.
fn walk(base: &Path, dir: &Path, skip: &[&str], out: &mut BTreeMap<String, Vec<u8>>) {
    visit(base, dir, skip, &mut |rel, path, meta| {
        if meta.is_file() {
            out.insert(rel.to_owned(), std::fs::read(path).unwrap_or_default());
        } else if meta.is_symlink() {
            let target = std::fs::read_link(path).unwrap_or_default();
            out.insert(
                rel.to_owned(),
                format!("-> {}", target.display()).into_bytes(),
            );
        }
    });
}

/// Calls `each` with every entry below `dir` (but the top-level names in `skip`; links are not
/// followed), its path from `base` with `/`, and its own metadata; a folder before what it holds.
pub(super) fn visit(
    base: &Path,
    dir: &Path,
    skip: &[&str],
    each: &mut dyn FnMut(&str, &Path, &std::fs::Metadata),
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = path
            .strip_prefix(base)
            .expect("below base")
            .to_string_lossy()
            .replace('\\', "/");
        if skip.contains(&rel.as_str()) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        each(&rel, &path, &meta);
        if meta.is_dir() {
            visit(base, &path, skip, each);
        }
    }
}

/// Isolates `cmd` from the caller: a scrubbed environment, `home` as `HOME`, no system git
/// config, the C locale, UTC.
fn isolate(cmd: &mut std::process::Command, home: &Path) {
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_PROXY", "*")
        .env("TZ", "UTC")
        .env("LC_ALL", "C");
}

/// Copies the folder `from` (recursively) to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
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
