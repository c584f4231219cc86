//! Findings: problems in the user's flags, returned by engines as values and printed by reporters.
//!
//! # Codes
//!
//! Every finding carries a [`Code`]: `engine/name`, stable once released (SPEC §4). An engine
//! declares its codes as one fieldless enum, named in kebab case by one derive and documented
//! beside each variant (the summary in `message`, the explanation in the doc comment, both
//! printed by `flagctl explain`):
//!
//! ```ignore
//! #[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage)]
//! #[strum(serialize_all = "kebab-case", prefix = "stale/")]
//! pub enum Code {
//!     /// The flag has served one variant everywhere for longer than `stale_after`.
//!     #[strum(message = "a flag has served one variant for too long")]
//!     OneVariant,
//! }
//!
//! impl crate::finding::Codes for Code {
//!     fn severity(self) -> Severity {
//!         match self {
//!             Code::OneVariant => Severity::Warning,
//!         }
//!     }
//! }
//! ```
//!
//! then adds one line to the list in [`crate::codes::all`]. Engines build findings with
//! [`Finding::of`] (the code's own severity) or [`Finding::new`] (a severity that depends on the
//! case, such as a pending promotion that turns into an error past its lag). A test checks that
//! every code of every listed enum has a summary and an explanation.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::yaml::Pos;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// An engine's finding codes: a fieldless enum deriving strum's `IntoStaticStr` (kebab case,
/// prefixed with `engine/`), `EnumIter` and `EnumMessage`; see the module documentation.
pub trait Codes:
    Copy + Into<&'static str> + strum::IntoEnumIterator + strum::EnumMessage + 'static
{
    /// The severity a finding of this code has, unless the engine decides case by case.
    fn severity(self) -> Severity;

    /// One line: what the code finds (the variant's `#[strum(message = "...")]`).
    fn summary(self) -> &'static str {
        self.get_message().unwrap_or_default()
    }

    /// What `flagctl explain` prints (the variant's doc comment).
    fn explanation(self) -> &'static str {
        self.get_documentation().unwrap_or_default().trim_end()
    }
}

/// A finding code, from any engine's [`Codes`] enum; printed as `engine/name`.
#[derive(Clone, Copy)]
pub struct Code {
    name: &'static str,
    severity: Severity,
    /// The summary and explanation of the code of this name, asked of its engine's enum when
    /// wanted (every finding holds a code; few are explained).
    docs: fn(&'static str) -> (&'static str, &'static str),
}

impl<C: Codes> From<C> for Code {
    fn from(code: C) -> Code {
        Code {
            name: code.into(),
            severity: code.severity(),
            docs: docs_of::<C>,
        }
    }
}

/// The summary and explanation of `C`'s code `name`.
fn docs_of<C: Codes>(name: &'static str) -> (&'static str, &'static str) {
    variant::<C>(name).map_or(("", ""), |c| (c.summary(), c.explanation()))
}

/// `C`'s code named `name` (a code is its name).
fn variant<C: Codes>(name: &str) -> Option<C> {
    C::iter().find(|&c| Into::<&'static str>::into(c) == name)
}

impl Code {
    /// `engine/name`, as printed and as written in `ignore:` entries.
    pub fn as_str(self) -> &'static str {
        self.name
    }

    /// The engine part of the name (`drift` in `drift/orphan`).
    pub fn engine(self) -> &'static str {
        self.name
            .split_once('/')
            .map_or(self.name, |(engine, _)| engine)
    }

    /// The severity of a finding of this code, unless its engine decides case by case.
    pub fn severity(self) -> Severity {
        self.severity
    }

    /// One line: what the code finds.
    pub fn summary(self) -> &'static str {
        (self.docs)(self.name).0
    }

    /// The long explanation `flagctl explain` prints.
    pub fn explanation(self) -> &'static str {
        (self.docs)(self.name).1
    }

    /// Whether this is `code`.
    pub fn is(self, code: impl Into<Code>) -> bool {
        self == code.into()
    }

    /// This code as a value of the engine enum `C`, if it is one of `C`'s.
    pub fn of<C: Codes>(self) -> Option<C> {
        variant(self.name)
    }
}

impl PartialEq for Code {
    fn eq(&self, other: &Code) -> bool {
        self.name == other.name
    }
}

impl Eq for Code {}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.name, f)
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name)
    }
}

/// One problem, with a stable code and the place it points at.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// What to do about it (`help_text`).
    pub help: Option<Help>,
    /// Relative to the repository root, with `/`. Like the flag and environment names, shared
    /// between the findings (and status cells) that name it.
    pub path: Option<Arc<str>>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub flag: Option<Arc<str>>,
    pub env: Option<Arc<str>>,
    /// drift: the environment upstream of `env` (a field of its own, not one of `extra`: one
    /// of a few strings, on most findings of a comparison).
    pub upstream: Option<Arc<str>>,
    /// drift: days a promotion has been pending; stale: days a flag has lived.
    pub age_days: Option<u32>,
    /// Code-specific fields (a commit): on few findings, so boxed.
    pub extra: Option<Box<BTreeMap<String, serde_json::Value>>>,
    /// `diff`: the fields that differ, with their values on both sides.
    pub fields: Option<FieldValues>,
}

/// What to do about a finding.
#[derive(Debug, Clone)]
pub enum Help {
    Text(String),
    /// Written from the finding when it is shown. A repository's worth of drift findings waits
    /// for the report, and the help of most repeats only what each holds (its flag and
    /// environments: `flagctl promote dev staging checkout_v2`).
    Of(fn(&Finding) -> String),
}

impl PartialEq for Help {
    fn eq(&self, other: &Help) -> bool {
        match (self, other) {
            (Help::Text(a), Help::Text(b)) => a == b,
            (Help::Of(a), Help::Of(b)) => std::ptr::fn_addr_eq(*a, *b),
            _ => false,
        }
    }
}

/// As the JSON report prints it: the fields in order, `help` as text, `upstream`, `age_days` and
/// `fields` only when set, and the code-specific fields beside the others.
impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("code", &self.code)?;
        map.serialize_entry("severity", &self.severity)?;
        map.serialize_entry("message", &self.message)?;
        map.serialize_entry("help", &self.help_text())?;
        map.serialize_entry("path", &self.path)?;
        map.serialize_entry("line", &self.line)?;
        map.serialize_entry("column", &self.column)?;
        map.serialize_entry("flag", &self.flag)?;
        map.serialize_entry("env", &self.env)?;
        if let Some(upstream) = &self.upstream {
            map.serialize_entry("upstream", upstream)?;
        }
        if let Some(age_days) = &self.age_days {
            map.serialize_entry("age_days", age_days)?;
        }
        for (key, value) in self.extra.iter().flat_map(|extra| extra.iter()) {
            map.serialize_entry(key, value)?;
        }
        if let Some(fields) = &self.fields {
            map.serialize_entry("fields", fields)?;
        }
        map.end()
    }
}

/// The top-level fields in which two environments' copies of a flag differ, each with its value
/// on both sides as JSON text. A repository's worth of them waits for the report, and text takes
/// a fraction of the memory of `serde_json::Value` trees (every object a tree of nodes); one
/// file's value shown in two findings is held once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldValues(pub Vec<FieldValue>);

/// One differing field: its values upstream and downstream (`None` where the file lacks it).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldValue {
    pub field: String,
    pub upstream: Option<Arc<str>>,
    pub downstream: Option<Arc<str>>,
}

impl FieldValue {
    /// One side's value (`upstream` or `downstream`) as JSON; `None` where the file lacks it.
    pub fn parsed(side: &Option<Arc<str>>) -> Option<serde_json::Value> {
        serde_json::from_str(side.as_deref()?).ok()
    }
}

impl FieldValues {
    /// As the report prints them: `[{"downstream": …, "field": …, "upstream": …}]`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        let value = |side: &Option<Arc<str>>| FieldValue::parsed(side).unwrap_or(Json::Null);
        Json::Array(
            self.0
                .iter()
                .map(|f| {
                    let mut object = serde_json::Map::new();
                    object.insert("field".to_owned(), Json::String(f.field.clone()));
                    object.insert("upstream".to_owned(), value(&f.upstream));
                    object.insert("downstream".to_owned(), value(&f.downstream));
                    Json::Object(object)
                })
                .collect(),
        )
    }
}

impl Serialize for FieldValues {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl Finding {
    /// A finding of `code` with the code's own severity.
    pub fn of(code: impl Into<Code>, message: impl Into<String>) -> Self {
        let code = code.into();
        Finding::new(code, code.severity(), message)
    }

    /// A finding whose severity the engine decides for this case.
    pub fn new(code: impl Into<Code>, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            code: code.into(),
            severity,
            message: message.into(),
            help: None,
            path: None,
            line: None,
            column: None,
            flag: None,
            env: None,
            upstream: None,
            age_days: None,
            extra: None,
            fields: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(Help::Text(help.into()));
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help.map(Help::Text);
        self
    }

    /// Help written from the finding when it is shown (`Help::Of`).
    pub fn help_from(mut self, write: fn(&Finding) -> String) -> Self {
        self.help = Some(Help::Of(write));
        self
    }

    /// What to do about it, if anything is said.
    pub fn help_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self.help.as_ref()? {
            Help::Text(text) => Some(text.into()),
            Help::Of(write) => Some(write(self).into()),
        }
    }

    pub fn at(mut self, path: impl Into<Arc<str>>, pos: Pos) -> Self {
        self.path = Some(path.into());
        self.line = Some(pos.line);
        self.column = Some(pos.column);
        self
    }

    pub fn in_flag(mut self, flag: Option<&str>, env: Option<&str>) -> Self {
        self.flag = flag.map(Arc::from);
        self.env = env.map(Arc::from);
        self
    }

    /// Sets `age_days` from an age, in whole days (a negative age counts as none).
    pub fn set_age(&mut self, age: jiff::SignedDuration) {
        let days = u64::try_from(age.as_secs()).unwrap_or(0) / 86_400;
        self.age_days = Some(u32::try_from(days).unwrap_or(u32::MAX));
    }

    pub fn with(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra
            .get_or_insert_default()
            .insert(key.to_owned(), value);
        self
    }

    /// Sort key: by file, then position, then code, so that output is stable run to run.
    pub fn sort_key(&self) -> (Option<&str>, Option<u32>, Option<u32>, &'static str, &str) {
        (
            self.path.as_deref(),
            self.line,
            self.column,
            self.code.as_str(),
            self.message.as_str(),
        )
    }
}

/// Counts by severity, for summaries and exit codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Counts {
    pub fn of(findings: &[Finding]) -> Counts {
        let mut counts = Counts::default();
        for f in findings {
            match f.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
                Severity::Info => counts.infos += 1,
            }
        }
        counts
    }

    /// Whether the command fails: errors, or warnings under `--strict`.
    pub fn fails(&self, strict: bool) -> bool {
        self.errors > 0 || (strict && self.warnings > 0)
    }
}

/// The closest of `candidates` to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|&(distance, c)| distance <= limit && c != word)
        // On a tie, a candidate the word begins ("of" → "off") is the likelier intent.
        .min_by_key(|&(distance, c)| (distance, !c.starts_with(word)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_close_typos_only() {
        let keys = ["description", "owner", "default"];
        assert_eq!(did_you_mean("descripton", keys), Some("description"));
        assert_eq!(did_you_mean("of", ["on", "off"]), Some("off"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }
}
