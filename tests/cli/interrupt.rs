//! Writers interrupted or at work together: another program holding git's index, a second
//! flagctl writing at the same moment, `kill -9` while git commits. Every test looks at the
//! repository afterwards: HEAD, `git status`, the files, flagctl's lock and journal.

use crate::support::{Repo, Run};

const CONFIG: &str = "\
environments:
  - name: dev
  - name: staging
  - name: prod
    require_reason: true
";

/// The flags of the tests, in dev, staging and prod.
const FLAGS: &[&str] = &[
    "feature_a",
    "feature_b",
    "feature_c",
    "feature_d",
    "feature_e",
    "feature_f",
];

fn flag(name: &str, version: &str, enabled: bool) -> String {
    format!(
        "name: {name}\nversion: {version}\ndescription: A flag of the tests\nowner: team-test\nkind: release\nlifecycle: approved\ntype: boolean\nenabled: {enabled}\n"
    )
}

/// dev → staging → prod (prod needs a reason), every flag of [`FLAGS`] off at 1.0.0; committed.
fn fixture() -> Repo {
    let repo = Repo::with_git();
    repo.write("flagctl.yaml", CONFIG);
    for env in ["dev", "staging", "prod"] {
        for name in FLAGS {
            repo.write(&path(env, name), flag(name, "1.0.0", false));
        }
    }
    repo.commit("init");
    repo
}

fn path(env: &str, name: &str) -> String {
    format!("flags/{env}/{name}.yaml")
}

/// Asserts what every write leaves once it is over: a clean work tree and index, neither lock
/// nor journal of flagctl, no temporary file.
#[track_caller]
fn assert_settled(repo: &Repo, context: &str) {
    assert_eq!(repo.porcelain(), "", "git status is clean\n{context}");
    for leftover in [
        ".git/flagctl/lock",
        ".git/flagctl/journal.json",
        ".git/index.lock",
    ] {
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
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(
            repo.head(),
            if landed {
                repo.rev("HEAD")
            } else {
                head.clone()
            }
        );
        assert_settled(&repo, &context);
        let again = repo.run(&["status"]);
        assert!(!again.stderr.contains("interrupted"), "{}", again.show());
    }
}
