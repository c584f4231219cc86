//! Exit 2: the command could not run. A message on stderr says why (with file:line:column where
//! there is one), and stdout holds no report.

use std::path::Path;

use crate::support::Repo;

/// A repository with one valid flag and `config` as its flagctl.yaml.
fn with_config(config: &str) -> Repo {
    let repo = Repo::new();
    repo.write("flagctl.yaml", config)
        .flag("flags/dev/feature_a.yaml", "");
    repo
}

#[test]
fn a_config_syntax_error_is_refused_at_its_position() {
    // Line 3: `bad:` is indented under the plain scalar `dev`; the parser stops at its colon.
    let repo = with_config("environments:\n  - name: dev\n     bad: x\n");
    for format in ["human", "json"] {
        repo.run(&["validate", "--format", format])
            .refused(&["flagctl.yaml:3:9:", "mapping values are not allowed"]);
    }
}

#[test]
fn an_unknown_config_key_is_refused_with_a_suggestion() {
    let repo = with_config("flags_dir: flags\nenvironment:\n  - name: dev\n");
    repo.run(&["validate"]).refused(&[
        "flagctl.yaml:2:1:",
        "unknown key \"environment\"",
        "environments",
    ]);
}

#[test]
fn a_bad_max_lag_is_refused_at_the_value() {
    let repo = with_config(
        "environments:\n  - name: dev\n    max_lag: 7d\n  - name: prod\n    max_lag: fortnight\n",
    );
    repo.run(&["validate"])
        .refused(&["flagctl.yaml:5:14:", "max_lag", "\"fortnight\""]);
}

#[test]
fn a_config_error_names_the_file_by_its_path() {
    let repo = with_config("naming: '[a-'\n");
    let out = repo.run(&["validate"]);
    out.refused(&["flagctl.yaml:1:9:", "regular expression"]);
    // The path leads to the file: it is the repository's configuration, not some other one.
    let path = out.stderr["error: ".len()..]
        .split(":1:9:")
        .next()
        .unwrap_or_default();
    assert!(
        Path::new(path).ends_with("flagctl.yaml")
            && repo.path().join("flagctl.yaml").canonicalize().ok()
                == Path::new(path).canonicalize().ok(),
        "{}",
        out.stderr
    );
}

#[test]
fn a_required_version_this_flagctl_is_not_refuses_to_run() {
    let repo = with_config("required_version: \">=99\"\n");
    repo.run(&["validate"])
        .refused(&["requires flagctl >=99", env!("CARGO_PKG_VERSION")]);
    // The version this flagctl is runs.
    with_config(&format!(
        "required_version: \"={}\"\n",
        env!("CARGO_PKG_VERSION")
    ))
    .run(&["validate"])
    .expect(0);
}

#[test]
fn an_unknown_environment_folder_is_refused_and_the_known_ones_listed() {
    // Without flagctl.yaml the environments are whichever of dev, staging and prod exist.
    let repo = Repo::new();
    repo.flag("flags/dev/feature_a.yaml", "")
        .flag("flags/prod/feature_a.yaml", "")
        .flag("flags/qa/feature_a.yaml", "");
    repo.run(&["validate"]).refused(&["flags/qa", "dev, prod"]);

    // With one, a folder it does not list is refused the same way.
    repo.write(
        "flagctl.yaml",
        "environments:\n  - name: dev\n  - name: staging\n  - name: prod\n",
    );
    repo.run(&["validate"])
        .refused(&["flags/qa", "dev, staging, prod"]);
}

#[test]
fn a_flag_file_outside_an_environment_folder_is_refused() {
    let repo = Repo::new();
    repo.flag("flags/dev/feature_a.yaml", "")
        .flag("flags/feature_b.yaml", "");
    repo.run(&["validate"]).refused(&["flags/feature_b.yaml"]);
}

#[test]
fn no_repository_is_refused() {
    let empty = Repo::new();
    empty.run(&["validate"]).refused(&["no flag repository"]);
}

#[test]
fn a_bad_flagctl_now_is_refused() {
    let repo = with_config("");
    repo.cmd(&["validate"])
        .env("FLAGCTL_NOW", "yesterday")
        .run()
        .refused(&["FLAGCTL_NOW", "yesterday"]);
    // A date without a time is not RFC 3339 either.
    repo.cmd(&["validate"])
        .env("FLAGCTL_NOW", "2026-03-01")
        .run()
        .refused(&["FLAGCTL_NOW"]);
}

#[test]
fn a_path_outside_the_flags_and_segments_folders_is_refused() {
    let repo = with_config("");
    repo.write("templates/release.yaml", "name: x\n");
    for path in ["flagctl.yaml", "templates", "templates/release.yaml"] {
        repo.run(&["validate", path])
            .refused(&[path, "flags/", "segments/"]);
    }
    // Outside the repository altogether.
    let elsewhere = Repo::new();
    elsewhere.write("x.yaml", "name: x\n");
    let outside = elsewhere.join("x.yaml");
    let outside = outside.to_str().expect("UTF-8 temp path");
    repo.run(&["validate", outside]).refused(&["x.yaml"]);
}

#[test]
fn a_path_that_does_not_exist_is_refused() {
    let repo = with_config("");
    repo.run(&["validate", "flags/dev/nope.yaml"])
        .refused(&["flags/dev/nope.yaml"]);
}

#[test]
fn two_repositories_in_one_run_are_refused() {
    let repo = Repo::new();
    repo.flag("one/flags/dev/feature_a.yaml", "")
        .flag("two/flags/dev/feature_b.yaml", "");
    repo.run(&["validate", "one", "two"])
        .refused(&["one repository at a time"]);
}

#[test]
fn an_unknown_format_is_a_usage_error() {
    with_config("")
        .run(&["validate", "--format", "xml"])
        .refused(&["xml"]);
}

/// An unreadable group folder (`chmod 000`) stops the run.
#[cfg(unix)]
mod unreadable {
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use crate::support::Repo;

    /// Restores a folder's permissions when dropped, so that the temporary folder can be deleted.
    struct Restore<'a>(&'a Path);

    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let _ = std::fs::set_permissions(self.0, std::fs::Permissions::from_mode(0o755));
        }
    }

    const NOBODY: &[&str] = &[
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
    ];

    /// The wrapper that runs flagctl as a user who cannot read `dir`, if there is one: none for
    /// the current user when the permissions bind it; as root (who reads anything), user `nobody`
    /// through `setpriv` when that is available. `None` when `dir` stays readable either way.
    fn runner_who_cannot_read(dir: &Path) -> Option<&'static [&'static str]> {
        if std::fs::read_dir(dir).is_err() {
            return Some(&[]);
        }
        let probe = std::process::Command::new(NOBODY[0])
            .args(&NOBODY[1..])
            .arg("ls")
            .arg(dir)
            .output()
            .ok()?;
        let denied = !probe.status.success()
            && String::from_utf8_lossy(&probe.stderr).contains("Permission denied");
        if !denied {
            return None;
        }
        Some(NOBODY)
    }

    #[test]
    fn an_unreadable_folder_is_refused() {
        let repo = Repo::new();
        repo.flag("flags/dev/feature_a.yaml", "")
            .flag("flags/dev/checkout/feature_b.yaml", "");
        // Let another user (see below) reach the repository, but not the group folder.
        for dir in ["", "flags", "flags/dev"] {
            std::fs::set_permissions(repo.join(dir), std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        let group = repo.join("flags/dev/checkout");
        std::fs::set_permissions(&group, std::fs::Permissions::from_mode(0o000))
            .expect("chmod 000");
        let _restore = Restore(&group);

        let Some(wrapper) = runner_who_cannot_read(&group) else {
            eprintln!(
                "skipped: {} stays readable (running as root?)",
                group.display()
            );
            return;
        };
        let cmd = repo.cmd(&["validate"]);
        let cmd = if wrapper.is_empty() {
            cmd
        } else {
            cmd.via(wrapper)
        };
        cmd.run()
            .refused(&["cannot read", "flags/dev/checkout", "ermission denied"]);
    }
}
