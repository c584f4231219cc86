//! Findings: problems in the user's flags, returned by engines as values and printed by reporters.

use std::collections::BTreeMap;

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

/// One problem, with a stable code and the place it points at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    /// Relative to the repository root, with `/`.
    pub path: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub flag: Option<String>,
    pub env: Option<String>,
    /// Code-specific fields (a drift finding's `upstream` and `fields`).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Finding {
    pub fn new(code: impl Into<String>, severity: Severity, message: impl Into<String>) -> Self {
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
            extra: BTreeMap::new(),
        }
    }

    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Finding::new(code, Severity::Error, message)
    }

    pub fn warning(code: impl Into<String>, message: impl Into<String>) -> Self {
        Finding::new(code, Severity::Warning, message)
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    pub fn at(mut self, path: &str, pos: Pos) -> Self {
        self.path = Some(path.to_owned());
        self.line = Some(pos.line);
        self.column = Some(pos.column);
        self
    }

    pub fn in_flag(mut self, flag: Option<&str>, env: Option<&str>) -> Self {
        self.flag = flag.map(str::to_owned);
        self.env = env.map(str::to_owned);
        self
    }

    pub fn with(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// Sort key: by file, then position, then code, so that output is stable run to run.
    pub fn sort_key(&self) -> (Option<&str>, Option<u32>, Option<u32>, &str, &str) {
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
