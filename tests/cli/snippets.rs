//! A snippet shows the line a finding names, whatever the file's line endings.

use crate::support::{Repo, flag_yaml};

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
