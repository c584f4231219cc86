//! Writers interrupted or at work together: another program holding git's index, a second
//! flagctl writing at the same moment, `kill -9` while git commits. Every test looks at the
//! repository afterwards: HEAD, `git status`, the files, flagctl's lock and journal.

use crate::support::{Repo, Run};

use crate::attack::flag;

/// The flags of the tests, in dev, staging and prod.
const FLAGS: &[&str] = &[
    "feature_a",
    "feature_b",
    "feature_c",
    "feature_d",
    "feature_e",
    "feature_f",
];

/// The repository of the attack tests (dev → staging → prod, prod needing a reason), with every
/// flag of [`FLAGS`] off at 1.0.0 in each environment; committed.
fn fixture() -> Repo {
    let repo = crate::attack::fixture();
    for env in ["dev", "staging", "prod"] {
        for name in FLAGS {
            repo.write(&path(env, name), flag(name, "1.0.0", false));
        }
    }
    repo.commit("more flags");
    repo
}

fn path(env: &str, name: &str) -> String {
    format!("flags/{env}/{name}.yaml")
}

/// Asserts what every write leaves once it is over: a clean work tree and index, neither lock
/// nor journal of flagctl, no temporary file.
#[track_caller]
fn assert_settled(repo: &Repo, context: &str) {
    assert!(
        !repo.join(".git/flagctl/lock").exists(),
        "the lock is left\n{context}"
    );
    assert_settled_but_lock(repo, context);
}

/// [`assert_settled`] after a run that may have been killed, whose lock then stays for the next
/// writer to take over.
#[track_caller]
fn assert_settled_but_lock(repo: &Repo, context: &str) {
    assert_eq!(repo.porcelain(), "", "git status is clean\n{context}");
    for leftover in [".git/flagctl/journal.json", ".git/index.lock"] {
        assert!(
            !repo.join(leftover).exists(),
            "{leftover} is left\n{context}"
        );
    }
    let temporary: Vec<String> = repo
        .files()
        .into_keys()
        .filter(|p| p.contains(".flagctl-tmp"))
        .collect();
    assert!(temporary.is_empty(), "{temporary:?}\n{context}");
}

/// Whether `name` is on in `env`, in the work tree and in HEAD (which agree).
#[track_caller]
fn enabled(repo: &Repo, env: &str, name: &str) -> bool {
    let text = repo.text(&path(env, name));
    let committed = repo.git(&["show", &format!("HEAD:{}", path(env, name))]);
    assert_eq!(text, committed, "{env}/{name}: the file is what HEAD holds");
    text.contains("enabled: true")
}

// ---------------------------------------------------------------------------------------------
// Another program at work.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_held_index_lock_is_named_as_git_being_busy_and_nothing_changes() {
    let repo = fixture();
    let head = repo.head();
    repo.write(".git/index.lock", "");
    for args in [
        &["toggle", "feature_a", "--env", "dev", "on"][..],
        &["set", "feature_a", "--env", "staging", "enabled=true"],
        &["promote", "dev", "staging", "feature_a", "--yes"],
    ] {
        let run = repo.run(args);
        run.refused(&["git is busy", ".git/index.lock"]);
        assert!(
            !run.stderr.contains("back") && !run.stderr.contains("reset"),
            "the cause, not a failed undo\n{}",
            run.show()
        );
    }
    assert_eq!(repo.head(), head);
    std::fs::remove_file(repo.join(".git/index.lock")).expect("unlock");
    repo.run(&["toggle", "feature_a", "--env", "dev", "on"])
        .expect(0);
    assert!(enabled(&repo, "dev", "feature_a"));
    assert_settled(&repo, "after the lock is gone");
}

#[test]
fn a_live_writers_lock_refuses_and_a_dead_ones_is_taken_over() {
    let repo = fixture();
    // This test's own process: alive for as long as the run.
    repo.write(
        ".git/flagctl/lock",
        format!("{{\"pid\":{},\"started\":null}}", std::process::id()),
    );
    let run = repo.run(&["toggle", "feature_a", "--env", "dev", "on"]);
    run.refused(&["another flagctl is writing", ".git/flagctl/lock"]);

    // A process that has ended: its lock is stale, taken over and removed after the write.
    let dead = std::process::Command::new("true")
        .spawn()
        .and_then(|mut c| c.wait().map(|_| c.id()))
        .expect("true runs");
    repo.write(
        ".git/flagctl/lock",
        format!("{{\"pid\":{dead},\"started\":\"1\"}}"),
    );
    let run = repo.run(&["toggle", "feature_a", "--env", "dev", "on"]);
    run.expect(0);
    assert!(enabled(&repo, "dev", "feature_a"), "{}", run.show());
    assert_settled(&repo, &run.show());
}

// ---------------------------------------------------------------------------------------------
// Writers at the same moment.
// ---------------------------------------------------------------------------------------------

#[test]
fn writers_at_the_same_moment_each_commit_or_are_refused_and_nothing_is_left_between() {
    let repo = fixture();
    let mut expected = std::collections::BTreeMap::new();
    let mut refusals = 0;
    for round in 0..4 {
        let on = round % 2 == 0;
        let word = if on { "on" } else { "off" };
        let head = repo.head();
        let started: Vec<(&str, crate::support::Started)> = FLAGS
            .iter()
            .map(|name| {
                let run = if *name == "feature_f" {
                    repo.cmd(&["set", name, "--env", "dev", &format!("enabled={on}")])
                } else {
                    repo.cmd(&["toggle", name, "--env", "dev", word])
                };
                (*name, run.spawn())
            })
            .collect();
        let runs: Vec<(&str, Run)> = started.into_iter().map(|(n, s)| (n, s.wait())).collect();
        let mut committed = 0;
        for (name, run) in &runs {
            match run.code {
                Some(0) => {
                    // A flag already so is left as it is, without a commit.
                    if expected.insert(*name, on).unwrap_or(false) != on {
                        committed += 1;
                    }
                }
                Some(2) => {
                    refusals += 1;
                    assert!(
                        run.stderr.contains("another flagctl is writing"),
                        "a refusal says why\n{}",
                        run.show()
                    );
                    assert!(run.stdout.is_empty(), "{}", run.show());
                }
                _ => panic!("a writer either commits or is refused\n{}", run.show()),
            }
        }
        let context: Vec<String> = runs.iter().map(|(_, r)| r.show()).collect();
        let context = context.join("\n");
        assert_settled(&repo, &context);
        assert_eq!(
            repo.git(&["rev-list", "--count", &format!("{head}..HEAD")])
                .trim(),
            committed.to_string(),
            "one commit a successful writer\n{context}"
        );
        for name in FLAGS {
            let want = expected.get(name).copied().unwrap_or(false);
            assert_eq!(enabled(&repo, "dev", name), want, "{name}\n{context}");
        }
    }
    // Not a requirement, but the point of the test: say how often the lock was met.
    eprintln!("{refusals} refusals in 4 rounds of {} writers", FLAGS.len());
    repo.run(&["validate"]).expect(0);
}

// ---------------------------------------------------------------------------------------------
// kill -9 while git commits.
// ---------------------------------------------------------------------------------------------

/// A pre-commit hook that kills flagctl (git's parent) with `kill -9`, then goes on for a while
/// and lets git commit (`exit 0`) or not (`exit 1`).
#[cfg(target_os = "linux")]
fn killing_hook(repo: &Repo, exit: u8) -> String {
    repo.write(
        ".githooks/pre-commit",
        format!("#!/bin/sh\nkill -9 \"$(cut -d' ' -f4 /proc/$PPID/stat)\"\nsleep 1\nexit {exit}\n"),
    );
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            repo.join(".githooks/pre-commit"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
    }
    let head = repo.commit("hook");
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    head
}

#[cfg(target_os = "linux")]
#[test]
fn after_kill_9_during_the_commit_the_next_command_waits_for_git_and_says_what_happened() {
    for (exit, landed) in [(0, true), (1, false)] {
        let repo = fixture();
        for name in FLAGS {
            repo.write(&path("dev", name), flag(name, "1.1.0", true));
        }
        let head = killing_hook(&repo, exit);
        let run = repo.run(&[
            "promote",
            "dev",
            "staging",
            "--all",
            "--with-state",
            "--yes",
        ]);
        assert!(run.killed(), "the hook killed flagctl\n{}", run.show());
        // Straight away, while git is still at work.
        let next = repo.run(&["status"]);
        next.expect(0);
        let context = format!("hook exit {exit}\n{}\n{}", run.show(), next.show());
        if landed {
            assert!(next.stderr.contains("already committed"), "{context}");
            assert_eq!(repo.rev("HEAD~1"), head, "{context}");
        } else {
            assert!(next.stderr.contains("rolled back"), "{context}");
            assert_eq!(repo.head(), head, "{context}");
        }
        assert_settled(&repo, &context);
        // Nothing changes afterwards: the judgement was final.
        let judged = (repo.head(), repo.files());
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(
            (repo.head(), repo.files()) == judged,
            "HEAD or a file changed after recovery\n{context}"
        );
        assert_settled(&repo, &context);
        let again = repo.run(&["status"]);
        assert!(!again.stderr.contains("interrupted"), "{}", again.show());
    }
}

// ---------------------------------------------------------------------------------------------
// Random writes, randomly interrupted, against a model.
// ---------------------------------------------------------------------------------------------

mod model {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::{assert_settled_but_lock, flag, path};
    use crate::support::{Repo, Run};

    const ENVS: &[&str] = &["dev", "staging"];
    const NAMES: &[&str] = &["feature_a", "feature_b"];

    /// A write command of the model.
    #[derive(Debug, Clone)]
    enum Write {
        Toggle {
            env: usize,
            name: usize,
            on: bool,
        },
        Set {
            env: usize,
            name: usize,
            on: bool,
        },
        /// `promote dev staging NAME --with-state`.
        Promote {
            name: usize,
        },
    }

    /// How a run ends.
    #[derive(Debug, Clone)]
    enum Cut {
        Not,
        /// `FLAGCTL_CRASH_AFTER=N`: the process aborts after its N-th step.
        CrashAfter(u32),
        /// `kill -9` after this many milliseconds (git, if started, runs on).
        Kill(u64),
    }

    /// Whether each flag is on, by (environment, name): every file is `flag(name, "1.0.0", on)`.
    type State = BTreeMap<(usize, usize), bool>;

    impl Write {
        fn args(&self) -> Vec<String> {
            let word = |on: bool| if on { "on" } else { "off" };
            let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
            match *self {
                Write::Toggle { env, name, on } => {
                    strings(&["toggle", NAMES[name], "--env", ENVS[env], word(on)])
                }
                Write::Set { env, name, on } => strings(&[
                    "set",
                    NAMES[name],
                    "--env",
                    ENVS[env],
                    &format!("enabled={on}"),
                ]),
                Write::Promote { name } => strings(&[
                    "promote",
                    "dev",
                    "staging",
                    NAMES[name],
                    "--with-state",
                    "--yes",
                ]),
            }
        }

        /// The state after the write, from the state before.
        fn apply(&self, before: &State) -> State {
            let mut after = before.clone();
            match *self {
                Write::Toggle { env, name, on } | Write::Set { env, name, on } => {
                    after.insert((env, name), on);
                }
                Write::Promote { name } => {
                    after.insert((1, name), before[&(0, name)]);
                }
            }
            after
        }
    }

    fn write() -> impl Strategy<Value = Write> {
        prop_oneof![
            (0..ENVS.len(), 0..NAMES.len(), any::<bool>())
                .prop_map(|(env, name, on)| Write::Toggle { env, name, on }),
            (0..ENVS.len(), 0..NAMES.len(), any::<bool>()).prop_map(|(env, name, on)| Write::Set {
                env,
                name,
                on
            }),
            (0..NAMES.len()).prop_map(|name| Write::Promote { name }),
        ]
    }

    fn cut() -> impl Strategy<Value = Cut> {
        prop_oneof![
            1 => Just(Cut::Not),
            2 => (1u32..8).prop_map(Cut::CrashAfter),
            2 => (0u64..120).prop_map(Cut::Kill),
        ]
    }

    /// The files of `state`, as the repository should hold them.
    fn files(state: &State) -> BTreeMap<String, Vec<u8>> {
        state
            .iter()
            .map(|(&(env, name), &on)| {
                (
                    path(ENVS[env], NAMES[name]),
                    flag(NAMES[name], "1.0.0", on).into_bytes(),
                )
            })
            .collect()
    }

    /// The files of the model's environments.
    fn flag_files(repo: &Repo) -> BTreeMap<String, Vec<u8>> {
        repo.files()
            .into_iter()
            .filter(|(p, _)| {
                ENVS.iter()
                    .any(|env| p.starts_with(&format!("flags/{env}/")))
            })
            .collect()
    }

    fn run(repo: &Repo, write: &Write, cut: &Cut) -> Run {
        let args = write.args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match cut {
            Cut::Not => repo.run(&args),
            Cut::CrashAfter(n) => repo
                .cmd(&args)
                .env("FLAGCTL_CRASH_AFTER", n.to_string())
                .run(),
            Cut::Kill(ms) => {
                let mut started = repo.cmd(&args).spawn();
                std::thread::sleep(std::time::Duration::from_millis(*ms));
                started.kill();
                started.wait()
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        /// After any write, interrupted anywhere and recovered by the next command, the flag
        /// files are those before or those after it, HEAD holds exactly them (one commit, or
        /// none), nothing is staged or left over, and the recovery said which it was.
        #[test]
        fn an_interrupted_write_ends_as_before_or_as_after(
            steps in proptest::collection::vec((write(), cut()), 1..5),
        ) {
            let repo = crate::attack::fixture();
            let mut state = State::new();
            for env in 0..ENVS.len() {
                for name in 0..NAMES.len() {
                    state.insert((env, name), false);
                }
            }
            for (path, bytes) in files(&state) {
                repo.write(&path, bytes);
            }
            repo.commit("the model's flags");
            for (i, (write, cut)) in steps.iter().enumerate() {
                let head = repo.head();
                let after = write.apply(&state);
                let run = run(&repo, write, cut);
                // Any command finishes or undoes what an interrupted one left.
                let next = repo.run(&["validate"]);
                let context = format!("step {i}: {write:?} {cut:?}\n{}\n{}", run.show(), next.show());
                prop_assert_eq!(next.code, Some(0), "{}", context);
                if matches!(cut, Cut::Not) {
                    prop_assert_eq!(run.code, Some(0), "{}", context);
                }
                assert_settled_but_lock(&repo, &context);
                let now = flag_files(&repo);
                let changed = after != state;
                let ended = if now == files(&after) {
                    after.clone()
                } else {
                    prop_assert_eq!(&now, &files(&state), "neither before nor after\n{}", context);
                    state.clone()
                };
                let commits = repo.git(&["rev-list", "--count", &format!("{head}..HEAD")]);
                let committed = changed && ended == after;
                prop_assert_eq!(commits.trim(), if committed { "1" } else { "0" }, "{}", context);
                if next.stderr.contains("already committed") {
                    prop_assert!(committed, "the recovery claims a commit\n{}", context);
                }
                if next.stderr.contains("rolled back") {
                    prop_assert!(!committed, "the recovery claims an undo\n{}", context);
                }
                if run.code == Some(0) {
                    prop_assert_eq!(&ended, &after, "a write that says done is done\n{}", context);
                }
                state = ended;
            }
        }
    }
}
