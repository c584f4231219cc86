//! The contract of what flagctl prints: every code a command reports can be explained.

use crate::support::{Repo, codes, demo};

/// A repository whose prod needs one approval, with one break-glass toggle in prod that nobody
/// approved since.
fn break_glass_repo() -> Repo {
    let repo = Repo::with_git();
    repo.write(
        "flagctl.yaml",
        "environments:\n  - name: dev\n  - name: prod\n    approvals: 1\n",
    )
    .flag("flags/dev/banner.yaml", "")
    .flag("flags/prod/banner.yaml", "");
    repo.commit("banner");
    repo.run(&[
        "toggle",
        "banner",
        "--env",
        "prod",
        "on",
        "--break-glass",
        "--reason",
        "INC-42",
        "--yes",
    ])
    .expect(0);
    repo
}

#[test]
fn every_code_a_report_names_can_be_explained() {
    let repo = break_glass_repo();
    let audit = repo.run(&["audit", "--format", "json"]).report();
    let reported = codes(&audit);
    assert!(reported.contains(&"audit/break-glass"), "{audit:#}");
    for code in reported {
        let out = demo(&["explain", code]);
        out.expect(0);
        assert!(
            out.stdout.starts_with(&format!("{code} (")),
            "{code}: {}",
            out.show()
        );
    }
}
