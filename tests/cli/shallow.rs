//! A shallow clone (`git clone --depth 1`, as CI checkouts make by default) has a cut history: its
//! edge commit reads as creating every file. Commands that read history from its first commit say
//! so and refuse (exit 2, with the fetch that fixes it) rather than invent events and findings.

use crate::support::{Repo, flag_yaml};

const CONFIG: &str = "\
environments:
  - name: dev
  - name: prod
    require_reason: true
";

/// Two flags created in their own commit, then one turned on in prod with a reason, then a
/// commit that touches no flag (the edge of a depth-1 clone).
fn origin() -> Repo {
    let repo = Repo::with_git();
    repo.write("flagctl.yaml", CONFIG);
    for env in ["dev", "prod"] {
        repo.write(
            &format!("flags/{env}/feature_a.yaml"),
            flag_yaml("feature_a", ""),
        );
        repo.write(
            &format!("flags/{env}/feature_b.yaml"),
            flag_yaml("feature_b", ""),
        );
    }
    repo.commit_with("add the flags", &["Flagctl-Reason: launch"]);
    repo.edit(
        "flags/prod/feature_a.yaml",
        "enabled: false",
        "enabled: true",
    );
    repo.commit_with("turn feature_a on", &["Flagctl-Reason: launch"]);
    repo.write("README.md", "flags\n");
    repo.commit("a readme");
    repo
}

#[test]
fn history_readers_refuse_a_shallow_clone_and_say_how_to_fetch_the_rest() {
    let origin = origin();
    let clone = Repo::clone_of(&origin, Some(1));
    assert!(
        clone.join(".git/shallow").exists(),
        "the depth-1 clone should be shallow"
    );
    for args in [
        &["events"][..],
        &["events", "--since", "HEAD"],
        &["audit"],
        &["audit", "--since", "2026-01-01"],
        &["log", "feature_a"],
    ] {
        clone
            .run(args)
            .refused(&["shallow", "git fetch --unshallow"]);
    }
    // Where the history asked for is all in the clone, audit reads it.
    clone.run(&["audit", "--since", "HEAD"]).expect(0);
}

#[test]
fn once_fetched_the_clone_tells_the_same_history_as_its_origin() {
    let origin = origin();
    let full = origin.run(&["events"]);
    full.expect(0);
    let created = full
        .lines()
        .iter()
        .filter(|l| l.contains("\"flag.created\""))
        .count();
    assert_eq!(created, 4, "two flags in two environments\n{}", full.show());

    let clone = Repo::clone_of(&origin, Some(1));
    clone.git(&["fetch", "-q", "--unshallow"]);
    let run = clone.run(&["events"]);
    run.expect(0);
    assert_eq!(run.stdout, full.stdout, "{}", run.show());
    let audit = clone.run(&["audit", "--format", "json"]);
    audit.expect(0);
    assert_eq!(
        audit.stdout,
        origin.run(&["audit", "--format", "json"]).stdout
    );
}

#[test]
fn check_in_a_shallow_clone_names_the_missing_base() {
    let origin = origin();
    let base = origin.rev("HEAD~2");
    let clone = Repo::clone_of(&origin, Some(1));
    clone.run(&["check", "--base", &base]).refused(&[
        &format!("the base \"{base}\" is not in this clone"),
        "shallow",
    ]);
}
