//! Three-way merge of one flag file (SPEC §7, `flagctl merge-driver`): field by field over the
//! model, written with the same lossless editor as SPEC §6.
//!
//! A field is a top-level key; the keys inside `variants`, `annotations` and `rollout` are fields
//! of their own, and `rules` merge rule by rule, matched by `name`. A field changed on one side
//! takes that side; the same change on both sides is taken once; different changes to one field,
//! or a version bumped on both sides, are a conflict. A conflicting file gets git's markers around
//! the conflicting top-level keys only, each side holding the rest of the merge. A merge whose
//! result would not validate, though each side does, is a conflict too.
//!
//! The engine never prints: it returns the merged text, or the conflicts with the marked text.

mod blocks;
pub mod driver;
mod plan;
#[cfg(test)]
mod tests;
mod write;

use std::fmt;

use crate::escape::terminal;
use crate::finding::Finding;
use crate::yaml::{Node, Value};

use blocks::Blocks;

/// One of the three versions git hands a merge driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Base,
    Ours,
    Theirs,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Base => "the common ancestor",
            Side::Ours => "our side",
            Side::Theirs => "their side",
        })
    }
}

/// Why two sides could not both be kept.
#[derive(Debug, Clone, PartialEq)]
pub enum ConflictKind {
    /// Each side changed the field, differently (a removal is a change).
    BothChanged,
    /// Each side bumped the version: each judged its bump against the ancestor alone.
    BothBumped,
    /// Each side put the rules in a different order.
    RuleOrder,
    /// Each side is valid alone, the merge of both is not (`code`: the finding it would have).
    Invalid { code: String, message: String },
}

/// A field the merge could not decide, with both sides' values (one line each; `None`: absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// `rollout.onepage`, `rules["staff first"]`, `version`.
    pub field: String,
    pub kind: ConflictKind,
    pub ours: Option<String>,
    pub theirs: Option<String>,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |v: &Option<String>| v.clone().unwrap_or_else(|| "(removed)".to_owned());
        match &self.kind {
            ConflictKind::BothChanged => write!(f, "{} changed on both sides", self.field)?,
            ConflictKind::BothBumped => write!(
                f,
                "version bumped on both sides (each bump was judged against the common ancestor alone; keep one, then `flagctl bump`)"
            )?,
            ConflictKind::RuleOrder => write!(f, "rules reordered differently on both sides")?,
            ConflictKind::Invalid { code, message } => write!(
                f,
                "{} : each side is valid, the merge is not: {code}: {}",
                self.field,
                terminal(message)
            )?,
        }
        write!(
            f,
            ": ours {}, theirs {}",
            side(&self.ours),
            side(&self.theirs)
        )
    }
}

/// What the merge produced: the text to leave in the work tree, and whether it is clean.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Merged; `notes` are things worth a look (two rules added at one place).
    Clean { text: String, notes: Vec<String> },
    /// `text` has conflict markers around the conflicting fields.
    Conflicted {
        text: String,
        conflicts: Vec<Conflict>,
    },
}

/// A merge of one flag file.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The flag's name (ours, else theirs), escaped for display.
    pub flag: Option<String>,
    pub outcome: Outcome,
}

/// Why a file cannot be merged by field (git's line merge is the fallback).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Unmergeable {
    #[error("{side} is not a flag file ({reason})")]
    NotAFlag { side: Side, reason: String },
    #[error(
        "{side} writes its top-level keys in a layout the field merge does not edit ({reason})"
    )]
    Layout { side: Side, reason: String },
    #[error("the merged file could not be written without changing {field}")]
    Unwritable { field: String },
}

/// The labels written after git's conflict markers.
#[derive(Debug, Clone)]
pub struct Labels {
    pub ours: String,
    pub theirs: String,
}

impl Default for Labels {
    fn default() -> Labels {
        Labels {
            ours: "ours".to_owned(),
            theirs: "theirs".to_owned(),
        }
    }
}

/// One side's text, normalised for merging (LF line ends, no byte-order mark), and its tree.
pub(crate) struct Version {
    pub text: String,
    pub crlf: bool,
    pub bom: bool,
    /// The top-level mapping; `None` for an empty ancestor (both sides added the file).
    pub root: Option<Node>,
}

impl Version {
    fn read(side: Side, bytes: &[u8]) -> Result<Version, Unmergeable> {
        let not_a_flag = |reason: String| Unmergeable::NotAFlag { side, reason };
        let bom = bytes.starts_with(b"\xEF\xBB\xBF");
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let raw = std::str::from_utf8(bytes).map_err(|_| not_a_flag("not UTF-8".to_owned()))?;
        let crlf = raw.contains("\r\n");
        let text = raw.replace("\r\n", "\n");
        if side == Side::Base && text.trim().is_empty() {
            return Ok(Version {
                text,
                crlf,
                bom,
                root: None,
            });
        }
        let parsed = crate::repo::parse_bytes("", text.as_bytes())
            .map_err(|finding| not_a_flag(format!("{}: {}", finding.code, finding.message)))?;
        if let Some(duplicate) = parsed.findings.first() {
            return Err(not_a_flag(format!(
                "{}: {}",
                duplicate.code, duplicate.message
            )));
        }
        Ok(Version {
            text,
            crlf,
            bom,
            root: Some(parsed.root),
        })
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.root.as_ref()?.get(key)
    }

    fn name(&self) -> Option<&str> {
        self.get("name")?.as_str()
    }
}

/// Merges `ours` and `theirs`, two descendants of `base`, field by field. `check` returns the
/// error-level findings a flag text would have where it is being merged (schema and rules).
pub fn merge(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    labels: &Labels,
    check: &dyn Fn(&str) -> Vec<Finding>,
) -> Result<Merged, Unmergeable> {
    let base = Version::read(Side::Base, base)?;
    let ours = Version::read(Side::Ours, ours)?;
    let theirs = Version::read(Side::Theirs, theirs)?;
    let flag = ours
        .name()
        .or(theirs.name())
        .map(|name| terminal(name).into_owned());
    let crlf = pick_flag(base.crlf, ours.crlf, theirs.crlf);
    let bom = pick_flag(base.bom, ours.bom, theirs.bom);
    let finish = |text: String| {
        let text = if crlf {
            text.replace('\n', "\r\n")
        } else {
            text
        };
        if bom { format!("\u{feff}{text}") } else { text }
    };

    if ours.text == theirs.text {
        return Ok(Merged {
            flag,
            outcome: Outcome::Clean {
                text: finish(ours.text.clone()),
                notes: Vec::new(),
            },
        });
    }

    let layout = |side: Side, version: &Version| {
        Blocks::of(version).ok_or_else(|| Unmergeable::Layout {
            side,
            reason: "each top-level key must start a line of its own, unindented".to_owned(),
        })
    };
    let sides = plan::Sides {
        base: &base,
        ours: &ours,
        theirs: &theirs,
        blocks: [
            layout(Side::Base, &base)?,
            layout(Side::Ours, &ours)?,
            layout(Side::Theirs, &theirs)?,
        ],
    };
    let plan = plan::Plan::of(&sides);

    if plan.conflicts.is_empty() {
        let text = write::render(&sides, &plan, Side::Ours)?;
        let introduced = introduced_errors(check, &text, &ours, &theirs);
        if introduced.is_empty() {
            return Ok(Merged {
                flag,
                outcome: Outcome::Clean {
                    text: finish(text),
                    notes: plan.notes,
                },
            });
        }
        let (text, conflicts) = write::mark_invalid(&sides, &text, &introduced, labels)?;
        return Ok(Merged {
            flag,
            outcome: Outcome::Conflicted {
                text: finish(text),
                conflicts,
            },
        });
    }

    let text = write::mark_conflicts(&sides, &plan, labels)?;
    Ok(Merged {
        flag,
        outcome: Outcome::Conflicted {
            text: finish(text),
            conflicts: plan.conflicts,
        },
    })
}

/// The side's flag (CRLF, a byte-order mark) as a three-way merge of a yes/no decides it.
fn pick_flag(base: bool, ours: bool, theirs: bool) -> bool {
    if ours == base { theirs } else { ours }
}

pub(crate) fn same_value(a: &Version, b: &Version) -> bool {
    a.root.as_ref().map(Node::fingerprint) == b.root.as_ref().map(Node::fingerprint)
}

/// The error findings of the merged `text` that neither side had (by code and message).
fn introduced_errors(
    check: &dyn Fn(&str) -> Vec<Finding>,
    text: &str,
    ours: &Version,
    theirs: &Version,
) -> Vec<Finding> {
    let merged = check(text);
    if merged.is_empty() {
        return merged;
    }
    let before: Vec<(&str, String)> = check(&ours.text)
        .into_iter()
        .chain(check(&theirs.text))
        .map(|f| (f.code.as_str(), f.message))
        .collect();
    merged
        .into_iter()
        .filter(|f| !before.contains(&(f.code.as_str(), f.message.clone())))
        .collect()
}

/// A value on one line, for a conflict message: scalars as written, collections as flow YAML.
pub(crate) fn show(node: &Node) -> String {
    let text = match &node.value {
        Value::Str(s) => s.clone(),
        _ => serde_json::to_string(node).unwrap_or_default(),
    };
    let short: String = text.chars().take(120).collect();
    let short = if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    };
    terminal(&short).into_owned()
}
