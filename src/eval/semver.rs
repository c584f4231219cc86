//! flagd's `sem_ver` operator as `@openfeature/flagd-core` runs it: both sides go through
//! `String(x)`, lose one leading `v`/`V`, and are read by node-semver (`semver.parse`, strict);
//! a bare `1` or `1.2` is completed by `semver.coerce`. Build metadata does not order versions.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

use super::context::Attr;
use super::js;

/// node-semver's limits: longer strings and larger numbers are not versions.
const MAX_LENGTH: usize = 256;
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A version as node-semver orders it (build metadata kept out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeVersion {
    major: u64,
    minor: u64,
    patch: u64,
    pre: semver::Prerelease,
}

impl NodeVersion {
    /// `normalizeVersion` of flagd-core: `None` where flagd's `sem_ver` answers `null`.
    pub fn normalize(value: &Attr) -> Option<NodeVersion> {
        let text = js::as_string(value);
        let text = text
            .strip_prefix('v')
            .or_else(|| text.strip_prefix('V'))
            .unwrap_or(&text);
        parse(text).or_else(|| coerce(text))
    }

    pub fn compare(&self, other: &NodeVersion) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl std::fmt::Display for NodeVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        Ok(())
    }
}

/// `semver.parse(text)` (strict): surrounding whitespace trimmed, an optional `v`, then
/// MAJOR.MINOR.PATCH with optional pre-release and build.
fn parse(text: &str) -> Option<NodeVersion> {
    if text.encode_utf16().count() > MAX_LENGTH {
        return None;
    }
    let trimmed = text.trim_matches(js::is_js_whitespace);
    let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
    let version = semver::Version::parse(bare).ok()?;
    if [version.major, version.minor, version.patch]
        .iter()
        .any(|&n| n > MAX_SAFE_INTEGER)
    {
        return None;
    }
    Some(NodeVersion {
        major: version.major,
        minor: version.minor,
        patch: version.patch,
        pre: version.pre,
    })
}

/// flagd-core coerces only what looks like `1` or `1.2`, through node-semver's `coerce` regex.
fn coerce(text: &str) -> Option<NodeVersion> {
    static PARTIAL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[0-9]+(\.[0-9]+)?$").unwrap_or_else(|e| unreachable!("valid regex: {e}"))
    });
    static COERCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:^|[^0-9])([0-9]{1,16})(?:\.([0-9]{1,16}))?(?:\.([0-9]{1,16}))?(?:$|[^0-9])")
            .unwrap_or_else(|e| unreachable!("valid regex: {e}"))
    });
    if !PARTIAL.is_match(text) {
        return None;
    }
    let caps = COERCE.captures(text)?;
    let part = |i: usize| caps.get(i).map_or("0", |m| m.as_str());
    parse(&format!("{}.{}.{}", part(1), part(2), part(3)))
}

/// The comparisons `sem_ver` knows (flagctl exports the first five).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SemverOp {
    Eq,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl SemverOp {
    pub fn symbol(self) -> &'static str {
        match self {
            SemverOp::Eq => "=",
            SemverOp::Gt => ">",
            SemverOp::Gte => ">=",
            SemverOp::Lt => "<",
            SemverOp::Lte => "<=",
        }
    }

    pub fn holds(self, ordering: Ordering) -> bool {
        match self {
            SemverOp::Eq => ordering == Ordering::Equal,
            SemverOp::Gt => ordering == Ordering::Greater,
            SemverOp::Gte => ordering != Ordering::Less,
            SemverOp::Lt => ordering == Ordering::Less,
            SemverOp::Lte => ordering != Ordering::Greater,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn version(v: Value) -> Option<String> {
        NodeVersion::normalize(&Attr::from(&v))
            .map(|v| format!("{}.{}.{}", v.major, v.minor, v.patch))
    }

    #[test]
    fn versions_read_as_flagd_core_reads_them() {
        assert_eq!(version(json!("4.2.0")).as_deref(), Some("4.2.0"));
        assert_eq!(version(json!("v4.3.0")).as_deref(), Some("4.3.0"));
        assert_eq!(version(json!("V4.3.0")).as_deref(), Some("4.3.0"));
        assert_eq!(version(json!(" 4.3.0 ")).as_deref(), Some("4.3.0"));
        assert_eq!(version(json!("4")).as_deref(), Some("4.0.0"));
        assert_eq!(version(json!("4.2")).as_deref(), Some("4.2.0"));
        assert_eq!(version(json!(4.2)).as_deref(), Some("4.2.0"));
        assert_eq!(version(json!(4.10)).as_deref(), Some("4.1.0"));
        for bad in [
            json!("not-a-version"),
            json!("2.0.0.0"),
            json!("01.2.3"),
            json!("4.2 "),
            json!(null),
            json!(true),
            json!([4, 2]),
            json!({}),
            json!("9007199254740992.0.0"),
        ] {
            assert_eq!(version(bad.clone()), None, "{bad}");
        }
    }

    #[test]
    fn prereleases_order_before_releases_and_build_is_ignored() {
        let v = |s: &str| NodeVersion::normalize(&Attr::from(&json!(s))).expect("a version");
        assert_eq!(v("1.0.0-rc.1").compare(&v("1.0.0")), Ordering::Less);
        assert_eq!(v("1.0.0-rc.2").compare(&v("1.0.0-rc.10")), Ordering::Less);
        assert_eq!(v("1.0.0+a").compare(&v("1.0.0+b")), Ordering::Equal);
    }
}
