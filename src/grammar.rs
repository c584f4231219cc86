//! The shapes of the words flagctl copies into files other programs parse: owners and approvers
//! (CODEOWNERS lines), flag names (file names, JSON keys, commit subjects) and the paths a
//! CODEOWNERS line names. Text that does not fit its shape is a finding where it is written,
//! and is never copied: a newline in an owner would start a CODEOWNERS rule of its own.

/// Someone who answers for a flag or approves an environment, as CODEOWNERS names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// `@user`, `@org/team` (or a GitLab `@group/subgroup`), as written.
    Handle(String),
    /// `someone@example.com`.
    Email(String),
    /// A plain team name (`team-payments`), which CODEOWNERS writes as `@team-payments`.
    Team(String),
}

/// Why a text is not an owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{} is not an owner CODEOWNERS can name: {why}; write @user, @org/team, an email address or a team name (letters, digits, `.`, `_`, `-`)",
    quoted(text)
)]
pub struct OwnerError {
    pub text: String,
    pub why: String,
}

impl Owner {
    pub fn parse(text: &str) -> Result<Owner, OwnerError> {
        let refuse = |why: String| OwnerError {
            text: text.to_owned(),
            why,
        };
        if let Some(c) = text.chars().find(|c| !allowed(*c)) {
            return Err(refuse(format!("it holds {}", describe(c))));
        }
        if let Some(handle) = text.strip_prefix('@') {
            for part in handle.split('/') {
                if let Some(why) = word_problem(part) {
                    return Err(refuse(why));
                }
            }
            return Ok(Owner::Handle(text.to_owned()));
        }
        if let Some((local, domain)) = text.split_once('@') {
            let local_ok = !local.is_empty()
                && local
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c));
            let domain_ok = domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
            if !local_ok || !domain_ok {
                return Err(refuse("it is not an email address".to_owned()));
            }
            return Ok(Owner::Email(text.to_owned()));
        }
        match word_problem(text) {
            Some(why) => Err(refuse(why)),
            None => Ok(Owner::Team(text.to_owned())),
        }
    }

    /// The owner as a CODEOWNERS line names it.
    pub fn codeowners(&self) -> String {
        match self {
            Owner::Handle(text) | Owner::Email(text) => text.clone(),
            Owner::Team(name) => format!("@{name}"),
        }
    }
}

/// The characters an owner may hold at all: no space, `#`, control character or other
/// separator a CODEOWNERS reader would split or stop at.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "@/._%+-".contains(c)
}

/// Why `word` is not a user, team or organisation name (letters, digits, `.`, `_`, `-`; starting
/// with a letter or digit), if it is not.
fn word_problem(word: &str) -> Option<String> {
    if word.is_empty() {
        return Some("it has an empty name (around `@` or `/`)".to_owned());
    }
    if !word.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Some(format!(
            "{} starts with {}",
            quoted(word),
            describe_first(word)
        ));
    }
    word.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c)))
        .map(|c| format!("{} holds {}", quoted(word), describe(c)))
}

fn describe_first(word: &str) -> String {
    word.chars().next().map(describe).unwrap_or_default()
}

/// Why `name` cannot be a flag's name, whatever the repository's naming pattern says: a flag's
/// name is its file's name, a key of the JSON flagd reads and a word of commit subjects.
pub fn flag_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".to_owned());
    }
    if name.len() > 200 {
        return Some("it is longer than 200 bytes".to_owned());
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Some(format!("it starts with {}", describe_first(name)));
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.-".contains(*c)))
        .map(|c| format!("it holds {}", describe(c)))
}

/// A repository path as a CODEOWNERS pattern that matches that one path: anchored at the top,
/// spaces escaped. A path whose characters CODEOWNERS would read as a glob, a comment or a line
/// end cannot be named exactly and is refused (`Err` says why).
pub fn codeowners_path(path: &str) -> Result<String, String> {
    let mut out = String::with_capacity(path.len() + 1);
    if !path.starts_with('/') {
        out.push('/');
    }
    for c in path.chars() {
        match c {
            ' ' => out.push_str("\\ "),
            c if c.is_alphanumeric() || "/._-+@=,".contains(c) => out.push(c),
            c => {
                return Err(format!(
                    "{} holds {}, which CODEOWNERS cannot name exactly",
                    quoted(path),
                    describe(c)
                ));
            }
        }
    }
    Ok(out)
}

/// `text` in double quotes, its control characters escaped (it may be anything).
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", text.escape_debug())
}

/// A character as a message names it.
fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '\n' => "a newline".to_owned(),
        '\t' => "a tab".to_owned(),
        c if c.is_control() || c.is_whitespace() => {
            format!("the control character U+{:04X}", c as u32)
        }
        c => format!("`{c}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_of_every_kind_are_read() {
        assert_eq!(
            Owner::parse("@org/release-managers"),
            Ok(Owner::Handle("@org/release-managers".to_owned()))
        );
        assert_eq!(
            Owner::parse("@ann").map(|o| o.codeowners()),
            Ok("@ann".to_owned())
        );
        assert_eq!(
            Owner::parse("ann.author+flags@example.com").map(|o| o.codeowners()),
            Ok("ann.author+flags@example.com".to_owned())
        );
        assert_eq!(
            Owner::parse("team-payments").map(|o| o.codeowners()),
            Ok("@team-payments".to_owned())
        );
        assert_eq!(
            Owner::parse("@gitlab-group/sub.group/team_x").map(|o| o.codeowners()),
            Ok("@gitlab-group/sub.group/team_x".to_owned())
        );
    }

    #[test]
    fn text_that_would_change_a_codeowners_line_is_not_an_owner() {
        for text in [
            "team\n/flagctl.yaml @mallory",
            "team /flagctl.yaml",
            "team#x",
            "team\r",
            "team\u{1b}[2J",
            "/flagctl.yaml",
            "*",
            "@org/",
            "@",
            "@/team",
            "@org//team",
            "",
            "-team",
            ".team",
            "a@",
            "@a@b",
            "a@b..c",
            "a@-b.c",
            "TODO team-name",
            "team\u{2028}x",
        ] {
            let err = Owner::parse(text).expect_err(text);
            assert!(!err.to_string().contains('\n'), "{err}");
        }
    }

    #[test]
    fn flag_names_are_words() {
        assert_eq!(flag_name_problem("feature_a-2.v1"), None);
        for name in [
            "", "a b", "a#b", "a\nb", "-a", ".a", "a/b", "a*", "ä", "a\u{0}",
        ] {
            assert!(flag_name_problem(name).is_some(), "{name:?}");
        }
    }

    #[test]
    fn codeowners_paths_match_one_path_or_are_refused() {
        assert_eq!(
            codeowners_path("flags/prod/checkout eu/x.yaml").as_deref(),
            Ok("/flags/prod/checkout\\ eu/x.yaml")
        );
        for path in [
            "flags/*/x.yaml",
            "flags/a#b/x.yaml",
            "flags/a\nb/x.yaml",
            "flags/[ab]/x",
            "flags/!x",
            "flags/a\\b",
        ] {
            assert!(codeowners_path(path).is_err(), "{path:?}");
        }
    }
}
