//! The checks of the support module fail when they should: a refusal that changed something,
//! said nothing or printed a report is caught.

use super::{Repo, flag_yaml};

/// A repository with one committed flag.
fn committed() -> Repo {
    let repo = Repo::with_git();
    repo.write("flags/dev/feature_a.yaml", flag_yaml("feature_a", ""));
    repo.commit("init");
    repo
}

/// A fake flagctl: `sh -c SCRIPT` run as the wrapper of the real one (which it never starts).
fn fake(repo: &Repo, script: &str) -> super::Run {
    repo.cmd(&[]).via(&["sh", "-c", script, "sh"]).run()
}

fn refusal_fails(repo: &Repo, script: &str) -> bool {
    let run = fake(repo, script);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run.refused(&[]);
    }))
    .is_err()
}

#[test]
fn refused_accepts_a_clean_refusal() {
    let repo = committed();
    fake(&repo, "echo 'error: no' >&2; exit 2").refused(&["no"]);
}

#[test]
fn refused_catches_every_kind_of_change_and_a_wrong_stream() {
    let refuse = "echo 'error: no' >&2; exit 2";
    for change in [
        "echo x >> flags/dev/feature_a.yaml",
        "touch new.yaml",
        "git add -N flags/dev/feature_a.yaml 2>/dev/null; echo y >> flags/dev/feature_a.yaml; git add flags",
        "git commit -q --allow-empty -m extra",
        "git branch other",
        "git tag v1",
        "mkdir -p .git/flagctl && touch .git/flagctl/journal",
        "git config core.hooksPath elsewhere",
    ] {
        let repo = committed();
        assert!(
            refusal_fails(&repo, &format!("{change}; {refuse}")),
            "not caught: {change}"
        );
    }
    let repo = committed();
    for wrong in [
        "echo 'no' >&2; exit 2",
        "echo 'warning: no' >&2; exit 2",
        "echo 'error: no' >&2; exit 1",
        "echo report; echo 'error: no' >&2; exit 2",
    ] {
        assert!(refusal_fails(&repo, wrong), "not caught: {wrong}");
    }
    // Outside git, too: a new `.git` is a change.
    let plain = Repo::new();
    assert!(refusal_fails(&plain, &format!("git init -q; {refuse}")));
}

#[test]
fn the_clock_dates_commits_and_flagctl_sees_now() {
    let repo = Repo::with_git();
    let first = repo.commit("first");
    let second = repo.commit("second");
    assert_eq!(repo.date_of(&first, "%Y-%m-%dT%H:%M"), "2026-01-01T00:00");
    assert_eq!(
        repo.date_of(&second, "%Y-%m-%dT%H:%M"),
        "2026-01-01T01:00",
        "a ticking clock moves an hour a command"
    );
    let old = repo.days_ago(3).commit("three days ago");
    assert_eq!(repo.date_of(&old, "%Y-%m-%dT%H:%M"), "2026-06-12T12:00");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%an <%ae>|%cn <%ce>"])
            .trim(),
        format!("{0} <{1}>|{0} <{1}>", super::NAME, super::EMAIL)
    );
    let seen = fake(&repo, "echo \"$FLAGCTL_NOW\"");
    assert_eq!(seen.stdout.trim(), super::NOW);
}
