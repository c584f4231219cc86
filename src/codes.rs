//! Every finding code and its explanation, for `flagctl explain`.

use crate::finding::Severity;
use crate::lint::RULES;

#[derive(Debug, Clone, Copy)]
pub struct CodeDoc {
    pub code: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub explanation: &'static str,
}

/// Codes of the YAML and file layers (the rules document themselves in `lint/`).
const FILE_CODES: &[CodeDoc] = &[
    CodeDoc {
        code: "yaml/syntax",
        severity: Severity::Error,
        summary: "the file is not valid YAML",
        explanation: "\
The YAML parser could not read the file; the position is where it gave up, which is often just
after the real mistake (an unclosed quote or bracket, a missing `:`, a wrong indentation).
Nothing else in the file is checked until it parses.",
    },
    CodeDoc {
        code: "yaml/duplicate-key",
        severity: Severity::Error,
        summary: "a key appears twice in one mapping",
        explanation: "\
YAML forbids a key twice in one mapping, and parsers disagree on which one wins (many keep the
last silently). flagctl keeps neither silently: the second occurrence is the finding.",
    },
    CodeDoc {
        code: "yaml/tab-indent",
        severity: Severity::Error,
        summary: "a tab is used for indentation",
        explanation: "YAML indents with spaces only; a tab in the indentation makes the file invalid.",
    },
    CodeDoc {
        code: "yaml/non-utf8",
        severity: Severity::Error,
        summary: "the file is not UTF-8",
        explanation: "\
Flag files are UTF-8. The position is the first byte that is not; it usually comes from an
editor saving in Latin-1 or Windows-1252.",
    },
    CodeDoc {
        code: "yaml/merge-conflict",
        severity: Severity::Error,
        summary: "the file holds git merge-conflict markers",
        explanation: "\
A merge left `<<<<<<<`/`=======`/`>>>>>>>` markers in the file. Resolve the conflict (keep one
side, or combine them), remove the markers, and validate again.",
    },
    CodeDoc {
        code: "yaml/alias-limit",
        severity: Severity::Error,
        summary: "anchors and aliases expand past the limit",
        explanation: "\
YAML aliases (`*name`) copy an anchored value (`&name`); nested aliases multiply (a \"billion
laughs\" bomb grows to gigabytes from a few lines). flagctl stops after 10,000 copied values.",
    },
    CodeDoc {
        code: "yaml/too-deep",
        severity: Severity::Error,
        summary: "values nest deeper than 64 levels",
        explanation: "\
No flag needs more than a few levels of nesting; past 64 the file is rejected, so that no input
can exhaust the stack of flagctl or of any tool reading the file after it.",
    },
    CodeDoc {
        code: "yaml/too-large",
        severity: Severity::Error,
        summary: "the file is larger than 1 MiB",
        explanation: "\
A flag file is a few hundred bytes. Files over 1 MiB are not read: they are almost certainly
not a flag, and reading them would slow every command down.",
    },
    CodeDoc {
        code: "yaml/empty",
        severity: Severity::Error,
        summary: "the file is empty",
        explanation: "The file holds no YAML value (it is empty, or only comments). Write the flag, or delete the file.",
    },
    CodeDoc {
        code: "yaml/not-a-mapping",
        severity: Severity::Error,
        summary: "the top level of the file is not a mapping",
        explanation: "A flag or segment file is a mapping of keys (`name: …`, `version: …`), not a list or a single value.",
    },
    CodeDoc {
        code: "fs/symlink-escape",
        severity: Severity::Error,
        summary: "a symbolic link points outside the repository",
        explanation: "\
Flags are reviewed and versioned in git; a link to a file outside the repository would change
what is served without any commit. Copy the file into the repository instead.",
    },
    CodeDoc {
        code: "fs/unreadable",
        severity: Severity::Error,
        summary: "a flag file cannot be read",
        explanation: "The file exists but could not be read (permissions, a broken link). The message gives the system's reason.",
    },
    CodeDoc {
        code: "schema/unknown-key",
        severity: Severity::Error,
        summary: "a key the schema does not allow",
        explanation: "\
The shared schema lists every key a flag, rule, condition or segment may have; anything else is
most likely a typo (`descripton`), and would otherwise be ignored silently. The help line
suggests the nearest allowed key. A team's own fields belong under `annotations:`.",
    },
    CodeDoc {
        code: "schema/<keyword>",
        severity: Severity::Error,
        summary: "a value breaks the shared JSON Schema",
        explanation: "\
Each schema error is named after the JSON Schema keyword that failed: `schema/required` (a
missing key, reported at the mapping that lacks it), `schema/type` (a value of the wrong type;
remember that YAML 1.2 reads `yes`/`no`/`on`/`off` as strings), `schema/enum`,
`schema/pattern`, `schema/min-length`, … The schema is built into flagctl and extended by
`schema:` in flagctl.yaml (which adds rules, never removes them).",
    },
];

/// Every code, file codes first, then the rules.
pub fn all() -> Vec<CodeDoc> {
    let mut docs = FILE_CODES.to_vec();
    docs.extend_from_slice(crate::drift::CODES);
    docs.extend_from_slice(crate::gate::CODES);
    docs.extend_from_slice(crate::export::CODES);
    docs.extend_from_slice(crate::eval::spec::CODES);
    docs.extend_from_slice(crate::eval::CODES);
    docs.extend(RULES.iter().map(|r| CodeDoc {
        code: r.code,
        severity: r.severity,
        summary: r.summary,
        explanation: r.explanation,
    }));
    docs
}

/// The documentation of `code`; any `schema/…` code shares one page.
pub fn find(code: &str) -> Option<CodeDoc> {
    let wanted = if code.starts_with("schema/") && code != "schema/unknown-key" {
        "schema/<keyword>"
    } else {
        code
    };
    all().into_iter().find(|d| d.code == wanted)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_code_is_unique_and_explained() {
        let docs = super::all();
        let mut codes: Vec<&str> = docs.iter().map(|d| d.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), docs.len());
        assert!(
            docs.iter()
                .all(|d| !d.explanation.is_empty() && !d.summary.is_empty())
        );
        assert!(super::find("schema/type").is_some());
    }
}
