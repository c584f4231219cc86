//! What one command writes, another accepts: `set` bumps the version as `check` will ask, and
//! a snippet shows the line a finding names whatever the file's line endings.

use crate::support::{Repo, flag_yaml};

fn repo_with_base() -> Repo {
    let repo = Repo::with_git();
    repo.write("flagctl.yaml", "environments:\n  - name: dev\n");
    repo.flag("flags/dev/feature_a.yaml", "");
    repo.commit("feature_a");
    repo.branch("base");
    repo
}

fn version(repo: &Repo) -> String {
    repo.text("flags/dev/feature_a.yaml")
        .lines()
        .find_map(|l| l.strip_prefix("version: "))
        .expect("a version line")
        .to_owned()
}

#[test]
fn set_bumps_the_version_as_check_will_ask() {
    let repo = repo_with_base();
    repo.run(&["set", "feature_a", "--env", "dev", "lifecycle=deprecated"])
        .expect(0);
    assert_eq!(version(&repo), "1.0.1", "metadata: a patch bump");
    repo.run(&["check", "--base", "base"]).expect(0);

    // Each committed version describes the change since the last one, as `bump auto` does.
    repo.run(&["set", "feature_a", "--env", "dev", "owner=team-growth"])
        .expect(0);
    assert_eq!(version(&repo), "1.0.2");
    repo.run(&["check", "--base", "base"]).expect(0);

    // State alone needs none.
    repo.run(&["set", "feature_a", "--env", "dev", "enabled=true"])
        .expect(0);
    assert_eq!(version(&repo), "1.0.2");
    repo.run(&["check", "--base", "base"]).expect(0);
}

#[test]
fn set_of_a_contract_field_bumps_major() {
    let repo = Repo::with_git();
    repo.write("flagctl.yaml", "environments:\n  - name: dev\n");
    repo.write(
        "flags/dev/feature_a.yaml",
        flag_yaml("feature_a", "").replace(
            "type: boolean",
            "type: boolean\nvariants: { on: true, off: false }\ndefault: off",
        ),
    );
    repo.commit("feature_a");
    repo.branch("base");
    repo.run(&["set", "feature_a", "--env", "dev", "default=on"])
        .expect(0);
    assert_eq!(version(&repo), "2.0.0", "a changed default: major");
    repo.run(&["check", "--base", "base"]).expect(0);
}

#[test]
fn snippets_follow_lone_cr_line_endings() {
    let repo = Repo::new();
    repo.write(
        "flags/dev/feature_a.yaml",
        flag_yaml("feature_a", "descripton: typo\n").replace('\n', "\r"),
    );
    let out = repo.run(&["validate", "--color", "never"]);
    out.expect(1);
    assert!(
        out.stdout.contains("--> flags/dev/feature_a.yaml:9:1")
            && out.stdout.contains("9 | descripton: typo"),
        "{}",
        out.show()
    );
}
