//! Output that could be turned against its reader: flag keys, file names, descriptions, commit
//! subjects and reasons holding terminal escape sequences, carriage returns and line breaks that
//! would start a CI workflow command. Every format shows them escaped, colour on or off.

use crate::support::{Repo, Run};

/// Sets the terminal's title, clears the screen, hides what came before, then starts a line
/// GitHub Actions would read as a workflow command.
const HOSTILE: &str = "\u{1b}]0;owned\u{7}\u{1b}[2J\r\n::error::forged";
/// The same in a YAML double-quoted scalar.
const HOSTILE_YAML: &str = r"\e]0;owned\a\e[2J\r\n::error::forged";

const CONFIG: &str = "\
environments:
  - name: dev
  - name: prod
";

fn flag(name: &str, description: &str) -> String {
    format!(
        "name: {name}\nversion: 1.0.0\ndescription: \"{description}\"\nowner: team-test\nkind: release\nlifecycle: approved\ntype: boolean\nenabled: false\n"
    )
}

/// A repository whose keys, file names, descriptions, commit subjects and reasons all hold
/// [`HOSTILE`].
fn hostile_repo() -> Repo {
    let repo = Repo::with_git();
    repo.write("flagctl.yaml", CONFIG);
    repo.write("flags/dev/feature_a.yaml", flag("feature_a", "plain"));
    repo.write("flags/prod/feature_a.yaml", flag("feature_a", "plain"));
    repo.commit("init");
    repo.write(
        "flags/dev/feature_a.yaml",
        flag("feature_a", &format!("now {HOSTILE_YAML}")),
    );
    repo.write(
        "flags/dev/evil.yaml",
        format!(
            "{}\"key{HOSTILE_YAML}\": 1\n",
            flag(&format!("\"evil{HOSTILE_YAML}\""), "x")
        ),
    );
    repo.write(
        &format!("flags/dev/file{}.yaml", HOSTILE),
        flag("file", "x"),
    );
    repo.write(
        "tests/flags/spec.yaml",
        format!("flag: \"spec{HOSTILE_YAML}\"\ncases: 3\n"),
    );
    repo.write(&format!("tests/flags/spec{}.yaml", HOSTILE), "flag: [\n");
    repo.commit_with(
        &format!("subject {HOSTILE}"),
        &["Flagctl-Reason: reason \u{1b}]0;owned\u{7}\u{1b}[2J\r"],
    );
    repo
}

/// Nothing in either stream acts on the reader: once the palette's own colours (SGR sequences)
/// are set aside, no control character but the line break is left, and no line starts the
/// forged workflow command.
#[track_caller]
fn assert_inert(run: &Run) {
    let sgr = regex::Regex::new(r"\x1b\[[0-9;]*m").expect("regex");
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let plain = sgr.replace_all(text, "");
        let acting: Vec<char> = plain
            .chars()
            .filter(|&c| c.is_control() && c != '\n')
            .collect();
        assert!(
            acting.is_empty(),
            "{stream} holds control characters {acting:?}\n{}",
            run.show()
        );
        for line in plain.lines() {
            assert!(
                !line.trim_start().starts_with("::error::forged"),
                "{stream} starts a workflow command of the user's\n{}",
                run.show()
            );
        }
    }
}

#[test]
fn every_format_shows_user_text_escaped_with_colour_on() {
    let repo = hostile_repo();
    let commands: &[&[&str]] = &[
        &["validate"],
        &["diff"],
        &["status"],
        &["log", "feature_a"],
        &["audit"],
        &["stale"],
        &["check", "--base", "HEAD~1"],
        &["test"],
    ];
    let formats = [
        "human", "json", "github", "markdown", "junit", "sarif", "gitlab",
    ];
    let mut shown = 0;
    for command in commands {
        for format in formats {
            let mut args = command.to_vec();
            args.extend(["--format", format, "--color", "always"]);
            let run = repo.run(&args);
            assert!(
                matches!(run.code, Some(0..=2)),
                "unexpected exit\n{}",
                run.show()
            );
            assert_inert(&run);
            // The hostile text is shown, escaped, not silently dropped.
            if run.stdout.contains(r"\u{1b}]0;owned\u{7}") || run.stdout.contains(r"\u001b]0;owned")
            {
                shown += 1;
            }
        }
    }
    assert!(
        shown >= 20,
        "hostile text shown escaped in only {shown} runs"
    );
}

#[test]
fn human_output_names_the_flag_escaped() {
    let repo = hostile_repo();
    let run = repo.run(&["validate", "--color", "always"]);
    run.expect(1);
    assert!(
        run.stdout
            .contains(r"evil\u{1b}]0;owned\u{7}\u{1b}[2J\r\n::error::forged"),
        "{}",
        run.show()
    );
    let log = repo.run(&["log", "feature_a", "--color", "always"]);
    log.expect(0);
    assert!(
        log.stdout.contains(r"reason \u{1b}]0;owned\u{7}\u{1b}[2J"),
        "{}",
        log.show()
    );
    assert_inert(&log);
}

#[test]
fn markdown_keeps_no_carriage_return_and_github_no_forged_command() {
    let repo = hostile_repo();
    for format in ["markdown", "github"] {
        let run = repo.run(&["validate", "--format", format]);
        run.expect(1);
        assert!(!run.stdout.contains('\r'), "{}", run.show());
        assert_inert(&run);
    }
}

#[test]
fn errors_quote_user_text_escaped_and_colour_only_when_asked() {
    let repo = hostile_repo();
    let name = format!("nope{HOSTILE}");
    for color in ["never", "auto"] {
        let run = repo.run(&["log", &name, "--color", color]);
        run.expect(2);
        assert!(run.stderr.starts_with("error: "), "{}", run.show());
        assert!(!run.stderr.contains('\u{1b}'), "{}", run.show());
        assert!(run.stderr.contains(r"nope\u{1b}]0;owned"), "{}", run.show());
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.show());
    }
    let always = repo.run(&["log", &name, "--color", "always"]);
    always.expect(2);
    assert!(always.stderr.starts_with("\u{1b}["), "{}", always.show());
    assert_inert(&always);
    let no_color = repo
        .cmd(&["log", &name, "--color", "auto"])
        .env("NO_COLOR", "1")
        .run();
    assert!(
        no_color.stderr.starts_with("error: "),
        "{}",
        no_color.show()
    );
}
