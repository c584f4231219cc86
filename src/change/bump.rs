//! How much a change to a flag needs its version bumped (`bump auto`, and `check`).

use std::fmt;

use super::ChangeError;
use super::edit::set_version;
use crate::git::{Git, GitError};
use crate::history;
use crate::inventory::{Category, category};
use crate::repo::parse_bytes;
use crate::yaml::Node;

/// A semver bump, ordered by size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Level {
    /// No bump: only the state changed.
    None,
    Patch,
    Minor,
    Major,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::None => "none",
            Level::Patch => "patch",
            Level::Minor => "minor",
            Level::Major => "major",
        })
    }
}

impl Level {
    /// `version` bumped by this level.
    pub fn apply(self, version: &semver::Version) -> semver::Version {
        let (major, minor, patch) = (version.major, version.minor, version.patch);
        match self {
            Level::None => version.clone(),
            Level::Patch => semver::Version::new(major, minor, patch + 1),
            Level::Minor => semver::Version::new(major, minor + 1, 0),
            Level::Major => semver::Version::new(major + 1, 0, 0),
        }
    }

    /// The level by which `to` is above `from` (`None` if it is not above).
    pub fn between(from: &semver::Version, to: &semver::Version) -> Level {
        if to <= from {
            Level::None
        } else if to.major > from.major {
            Level::Major
        } else if to.minor > from.minor {
            Level::Minor
        } else {
            Level::Patch
        }
    }
}

/// The bump a change from `old` to `new` needs, and why.
pub fn classify(old: &Node, new: &Node) -> (Level, Vec<String>) {
    let mut reasons: Vec<(Level, String)> = Vec::new();
    let field = |node: &Node, key: &str| node.get(key).cloned();

    if field(old, "type").map(|n| n.fingerprint()) != field(new, "type").map(|n| n.fingerprint()) {
        reasons.push((Level::Major, "the type changed".to_owned()));
    }
    let variants = |node: &Node| {
        node.get("variants")
            .map(Node::entry_fingerprints)
            .unwrap_or_default()
    };
    let (before, after) = (variants(old), variants(new));
    for (name, value) in &before {
        match after.iter().find(|(n, _)| n == name) {
            None => reasons.push((
                Level::Major,
                format!("variant \"{name}\" was removed or renamed"),
            )),
            Some((_, v)) if v != value => reasons.push((
                Level::Major,
                format!("variant \"{name}\" changed its value"),
            )),
            Some(_) => {}
        }
    }
    for (name, _) in after
        .iter()
        .filter(|(n, _)| !before.iter().any(|(b, _)| b == n))
    {
        reasons.push((Level::Minor, format!("variant \"{name}\" was added")));
    }
    if field(old, "default").map(|n| n.fingerprint())
        != field(new, "default").map(|n| n.fingerprint())
    {
        reasons.push((Level::Major, "the default changed".to_owned()));
    }
    let requires = |node: &Node| {
        node.get("requires")
            .and_then(Node::as_str)
            .map(str::to_owned)
    };
    match (requires(old), requires(new)) {
        (a, b) if a == b => {}
        (a, b) => match compare_ranges(a.as_deref(), b.as_deref()) {
            Some(std::cmp::Ordering::Greater) => {
                reasons.push((Level::Minor, "`requires` was widened".to_owned()))
            }
            _ => reasons.push((
                Level::Major,
                "`requires` was narrowed or changed".to_owned(),
            )),
        },
    }
    let (old_keys, new_keys) = (old.entry_fingerprints(), new.entry_fingerprints());
    let mut metadata: Vec<&str> = Vec::new();
    for (key, _) in old_keys.iter().chain(&new_keys) {
        if category(key) != Some(Category::Metadata) || metadata.contains(&key.as_str()) {
            continue;
        }
        let a = old_keys.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let b = new_keys.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        if a != b {
            metadata.push(key);
        }
    }
    if !metadata.is_empty() {
        reasons.push((
            Level::Patch,
            format!("metadata changed ({})", metadata.join(", ")),
        ));
    }
    let level = reasons.iter().map(|(l, _)| *l).max().unwrap_or(Level::None);
    (level, reasons.into_iter().map(|(_, r)| r).collect())
}

/// The `version` a flag document holds, where it is semver.
pub fn version(node: &Node) -> Option<semver::Version> {
    node.get("version")
        .and_then(Node::as_str)
        .and_then(|v| semver::Version::parse(v).ok())
}

/// A version that does not cover the change it comes with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    /// The bump the change needs.
    pub needed: Level,
    /// What in the change needs it.
    pub reasons: Vec<String>,
    /// The version before the change.
    pub before: semver::Version,
    /// The version after it.
    pub after: semver::Version,
    /// The smallest version that covers the change.
    pub target: semver::Version,
}

/// The version rule of `check`, which `bump auto` and `set` follow so that what they write
/// passes it: the change from `old` to `new` needs `new`'s version raised above `old`'s by at
/// least the level `classify` gives. `None` when it is, or when a version is not semver.
pub fn shortfall(old: &Node, new: &Node) -> Option<Shortfall> {
    let (before, after) = (version(old)?, version(new)?);
    let (needed, reasons) = classify(old, new);
    (Level::between(&before, &after) < needed).then(|| Shortfall {
        needed,
        reasons,
        target: needed.apply(&before),
        before,
        after,
    })
}

/// The flag file at `path` as of the commit that set its committed version (the oldest of the
/// newest run of commits holding that version): what `bump auto` and `set` judge a change
/// against, so that each committed version describes the change since the one before.
pub fn version_base(git: &Git, path: &str) -> Result<Option<Node>, GitError> {
    let mut base: Option<Node> = None;
    let mut held: Option<semver::Version> = None;
    for revision in history::revisions(git, path)? {
        let Some(node) = revision?.root else { break };
        match (&held, version(&node)) {
            (None, Some(v)) => held = Some(v),
            (Some(h), Some(v)) if *h == v => {}
            _ => break,
        }
        base = Some(node);
    }
    Ok(base)
}

/// Why a flag file cannot be bumped.
#[derive(Debug, thiserror::Error)]
pub enum BumpError {
    #[error("{path}: {message}; run flagctl validate")]
    Unreadable { path: String, message: String },
    #[error("{0}: the version is not semver; fix it by hand")]
    NotSemver(String),
    #[error("{0} has no committed version to compare with; say major, minor or patch")]
    NoBase(String),
    #[error("the committed version is not semver")]
    BaseNotSemver,
    #[error(transparent)]
    Git(#[from] GitError),
}

/// What a bump comes to.
#[derive(Debug)]
pub enum Bump {
    /// The version to write, and why.
    To {
        target: semver::Version,
        why: Vec<String>,
    },
    /// `current` already covers the change since `base` (of `level`, for `reasons`; `Level::None`:
    /// only the state changed).
    Covered {
        current: semver::Version,
        base: semver::Version,
        level: Level,
        reasons: Vec<String>,
    },
}

/// The bump of the flag file at `path`, `bytes` now: by `asked`, or (`None`) as much as the
/// change since its committed version was set needs.
pub fn plan(git: &Git, path: &str, bytes: &[u8], asked: Option<Level>) -> Result<Bump, BumpError> {
    let current = parse_bytes(path, bytes)
        .map(|p| p.root)
        .map_err(|f| BumpError::Unreadable {
            path: path.to_owned(),
            message: f.message.clone(),
        })?;
    let current_version = version(&current).ok_or_else(|| BumpError::NotSemver(path.to_owned()))?;
    if let Some(level) = asked {
        return Ok(Bump::To {
            target: level.apply(&current_version),
            why: vec![format!("asked for a {level} bump")],
        });
    }
    let Some(base) = version_base(git, path)? else {
        return Err(BumpError::NoBase(path.to_owned()));
    };
    let base_version = version(&base).ok_or(BumpError::BaseNotSemver)?;
    Ok(match shortfall(&base, &current) {
        Some(short) => Bump::To {
            target: short.target,
            why: short.reasons,
        },
        None => {
            let (level, reasons) = classify(&base, &current);
            Bump::Covered {
                current: current_version,
                base: base_version,
                level,
                reasons,
            }
        }
    })
}

/// `after`, the flag file at `path` edited from `before`, with its version raised as much as
/// `check` will ask for: the change since the committed version was set needs it, by the rule
/// `check` itself applies. The raise made, if any.
pub fn cover(
    git: &Git,
    path: &str,
    before: &[u8],
    after: String,
) -> Result<(String, Option<Shortfall>), ChangeError> {
    let (Ok(old), Ok(new)) = (
        parse_bytes(path, before),
        parse_bytes(path, after.as_bytes()),
    ) else {
        return Ok((after, None));
    };
    let base = version_base(git, path)?.unwrap_or(old.root);
    match shortfall(&base, &new.root) {
        Some(short) => Ok((set_version(path, &after, &short.target)?, Some(short))),
        None => Ok((after, None)),
    }
}

/// Whether the app versions range `new` admits more (`Greater`), fewer (`Less`) or other
/// versions than `old`; `None` (absent) admits every version. Judged on the versions at the
/// ranges' edges, which is where two ranges can differ.
fn compare_ranges(old: Option<&str>, new: Option<&str>) -> Option<std::cmp::Ordering> {
    let parse = |r: Option<&str>| match r {
        None => Some(semver::VersionReq::STAR),
        Some(r) => semver::VersionReq::parse(r).ok(),
    };
    let (a, b) = (parse(old)?, parse(new)?);
    let mut probes = vec![
        semver::Version::new(0, 0, 0),
        semver::Version::new(u64::from(u32::MAX), 0, 0),
    ];
    for req in [&a, &b] {
        for c in &req.comparators {
            let v = semver::Version::new(c.major, c.minor.unwrap_or(0), c.patch.unwrap_or(0));
            probes.push(semver::Version::new(v.major, v.minor, v.patch + 1));
            if v.patch > 0 {
                probes.push(semver::Version::new(v.major, v.minor, v.patch - 1));
            } else if v.minor > 0 {
                probes.push(semver::Version::new(v.major, v.minor - 1, 999));
            } else if v.major > 0 {
                probes.push(semver::Version::new(v.major - 1, 999, 999));
            }
            probes.push(v);
        }
    }
    let only_new = probes.iter().any(|v| b.matches(v) && !a.matches(v));
    let only_old = probes.iter().any(|v| a.matches(v) && !b.matches(v));
    match (only_new, only_old) {
        (true, false) => Some(std::cmp::Ordering::Greater),
        (false, true) => Some(std::cmp::Ordering::Less),
        (false, false) => Some(std::cmp::Ordering::Equal),
        (true, true) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    fn level(old: &str, new: &str) -> Level {
        let parse = |t: &str| yaml::parse(t).expect("parses").root.expect("root");
        classify(&parse(old), &parse(new)).0
    }

    const BASE: &str = "name: f\nversion: 1.0.0\ntype: string\nvariants: {a: x, b: y}\ndefault: a\nrequires: \">=4.1.0\"\ndescription: d\nenabled: true\n";

    #[test]
    fn classification_follows_the_contract() {
        assert_eq!(
            level(BASE, &BASE.replace("type: string", "type: number")),
            Level::Major
        );
        assert_eq!(
            level(BASE, &BASE.replace("{a: x, b: y}", "{a: x}")),
            Level::Major
        );
        assert_eq!(
            level(BASE, &BASE.replace("{a: x, b: y}", "{a: x, c: y}")),
            Level::Major
        );
        assert_eq!(
            level(BASE, &BASE.replace("{a: x, b: y}", "{a: z, b: y}")),
            Level::Major
        );
        assert_eq!(
            level(BASE, &BASE.replace("default: a", "default: b")),
            Level::Major
        );
        assert_eq!(
            level(BASE, &BASE.replace(">=4.1.0", ">=4.2.0")),
            Level::Major
        );
        assert_eq!(
            level(BASE, &BASE.replace("{a: x, b: y}", "{a: x, b: y, c: z}")),
            Level::Minor
        );
        assert_eq!(
            level(BASE, &BASE.replace(">=4.1.0", ">=4.0.0")),
            Level::Minor
        );
        assert_eq!(
            level(BASE, &BASE.replace("description: d", "description: e")),
            Level::Patch
        );
        assert_eq!(
            level(BASE, &BASE.replace("enabled: true", "enabled: false")),
            Level::None
        );
        assert_eq!(
            level(BASE, &BASE.replace("{a: x, b: y}", "{b: y, a: x}")),
            Level::None
        );
    }

    #[test]
    fn bumps_reset_lower_parts() {
        let v = semver::Version::new(1, 2, 3);
        assert_eq!(Level::Major.apply(&v).to_string(), "2.0.0");
        assert_eq!(Level::Minor.apply(&v).to_string(), "1.3.0");
        assert_eq!(Level::Patch.apply(&v).to_string(), "1.2.4");
        assert_eq!(
            Level::between(&v, &semver::Version::new(1, 3, 0)),
            Level::Minor
        );
    }
}
