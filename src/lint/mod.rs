//! Validation (SPEC §4): YAML, schema and rules, every problem collected in one run.
//!
//! One file per rule; each declares its code, severity and explanation (printed by
//! `flagctl explain`) beside the check. Adding a rule touches its file and [`Code`] (a variant and
//! its arm in [`Code::rule`]).

mod ambiguous_serve;
mod duplicate_name;
mod expired;
mod invalid_date;
mod lifecycle;
mod missing_serve;
mod name_mismatch;
mod naming;
mod owner;
mod regex;
mod requires_range;
mod rollout_negative;
mod rollout_sum;
mod semver;
mod unknown_segment;
mod unknown_variant;
mod variant_type;

use std::collections::HashSet;

use rayon::prelude::*;

pub use duplicate_name::duplicate as duplicate_name;

use crate::config::{Config, Environment};
use crate::finding::{Finding, Severity};
use crate::model::{Flag, Segment};
use crate::repo::{FileKind, Parsed, Repository, SourceFile};
use crate::schema::{Schema, SchemaError};
use crate::yaml::{Node, Pos};

/// A rule of the third layer.
pub struct Rule {
    pub code: Code,
    pub severity: Severity,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// The long explanation `flagctl explain` prints.
    pub explanation: &'static str,
    pub check: Check,
}

pub enum Check {
    /// Judges one flag file on its own.
    File(fn(&FileContext, &mut Vec<Finding>)),
    /// Judges the flags of the whole repository together.
    Repository(fn(&[FlagName<'_>], &mut Vec<Finding>)),
}

/// The rule codes: one per rule, each documented in its rule's file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "rule/")]
pub enum Code {
    NameMismatch,
    Naming,
    DuplicateName,
    UnknownVariant,
    AmbiguousServe,
    MissingServe,
    RolloutSum,
    RolloutNegative,
    UnknownSegment,
    VariantType,
    Semver,
    RequiresRange,
    Lifecycle,
    Expired,
    InvalidDate,
    Regex,
    Owner,
}

impl Code {
    /// The rule that reports this code.
    pub fn rule(self) -> &'static Rule {
        match self {
            Code::NameMismatch => &name_mismatch::RULE,
            Code::Naming => &naming::RULE,
            Code::DuplicateName => &duplicate_name::RULE,
            Code::UnknownVariant => &unknown_variant::RULE,
            Code::AmbiguousServe => &ambiguous_serve::RULE,
            Code::MissingServe => &missing_serve::RULE,
            Code::RolloutSum => &rollout_sum::RULE,
            Code::RolloutNegative => &rollout_negative::RULE,
            Code::UnknownSegment => &unknown_segment::RULE,
            Code::VariantType => &variant_type::RULE,
            Code::Semver => &semver::RULE,
            Code::RequiresRange => &requires_range::RULE,
            Code::Lifecycle => &lifecycle::RULE,
            Code::Expired => &expired::RULE,
            Code::InvalidDate => &invalid_date::RULE,
            Code::Regex => &regex::RULE,
            Code::Owner => &owner::RULE,
        }
    }
}

impl crate::finding::Codes for Code {
    fn severity(self) -> Severity {
        self.rule().severity
    }

    fn summary(self) -> &'static str {
        self.rule().summary
    }

    fn explanation(self) -> &'static str {
        self.rule().explanation
    }
}

/// Every rule, in the order `flagctl explain` lists them.
pub fn rules() -> impl Iterator<Item = &'static Rule> {
    use strum::IntoEnumIterator;
    Code::iter().map(Code::rule)
}

/// What a file rule sees.
pub struct FileContext<'a> {
    pub file: &'a SourceFile,
    pub root: &'a Node,
    pub flag: &'a Flag,
    pub env: Option<&'a Environment>,
    pub config: &'a Config,
    /// Segment names visible in this flag's environment.
    pub segments: &'a HashSet<String>,
    pub now: jiff::Timestamp,
}

impl FileContext<'_> {
    /// The nodes of the flag's `rules:` list, in order (none when it has no list).
    pub fn rules(&self) -> &[Node] {
        self.root
            .get("rules")
            .and_then(Node::as_seq)
            .unwrap_or_default()
    }

    /// A finding of `rule` at `pos` in this file, tagged with the flag and environment.
    pub fn finding(&self, rule: &Rule, pos: Pos, message: impl Into<String>) -> Finding {
        Finding::new(rule.code, rule.severity, message)
            .at(self.file.path.as_str(), pos)
            .in_flag(Some(self.flag_name()), self.file.env.as_deref())
    }

    fn flag_name(&self) -> &str {
        self.flag.name().unwrap_or(self.file.stem())
    }
}

/// A flag's name where it is written, for the rules that compare files (borrowed from what
/// the caller holds: a repository's worth of them is made at once).
#[derive(Debug, Clone, Copy)]
pub struct FlagName<'a> {
    pub name: &'a str,
    pub env: &'a str,
    pub path: &'a str,
    pub pos: Pos,
}

/// The outcome of validating a repository.
#[derive(Debug, Default)]
pub struct Validation {
    pub findings: Vec<Finding>,
    pub files: usize,
}

/// A content parsed and checked against the schema: what every file holding it shares.
struct Checked {
    root: Node,
    flag: Flag,
    /// Duplicate keys and schema violations (without a path: each file gets its own).
    findings: Vec<Finding>,
}

/// A flag file's findings, and its name and where it is written, when it has one (for the
/// duplicate-name rule).
type FlagOutcome = (Vec<Finding>, Option<(String, Pos)>);

/// A segment file's findings, and its (override environment, name) when it has one.
type SegmentOutcome = (Vec<Finding>, Option<(Option<String>, String)>);

/// The compiled schemas a repository's files are checked against.
pub struct Linter {
    flag_schemas: Vec<Schema>,
    segment_schema: Schema,
    now: jiff::Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum LintError {
    #[error("cannot read the repository's schema {path}: {cause}")]
    ReadSchema { path: String, cause: std::io::Error },
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// A repository's own schema is a few kilobytes; a larger file is not one.
const MAX_SCHEMA_BYTES: u64 = 4 * 1024 * 1024;

impl Linter {
    /// The built-in schemas plus the repository's own `schema:`, applied on top.
    pub fn new(repo: &Repository, now: jiff::Timestamp) -> Result<Linter, LintError> {
        let builtin = Schema::flag();
        let mut flag_schemas = Vec::new();
        if let Some(path) = &repo.config.schema {
            let unreadable = |cause: std::io::Error| LintError::ReadSchema {
                path: path.display().to_string(),
                cause,
            };
            let full = repo.root.join(path);
            if full.exists() && !crate::paths::resolves_inside(&full, &repo.root) {
                return Err(unreadable(std::io::Error::other(
                    "it leads outside the repository; the schema is a file of the repository",
                )));
            }
            let bytes = crate::paths::read_limited(&full, "a schema", MAX_SCHEMA_BYTES).map_err(
                |e| match e {
                    crate::paths::PathError::Read { cause, .. } => unreadable(cause),
                    other => unreadable(std::io::Error::other(other.to_string())),
                },
            )?;
            let text = String::from_utf8(bytes)
                .map_err(|_| unreadable(std::io::Error::other("it is not UTF-8")))?;
            let own = Schema::compile(&path.display().to_string(), &text, &[])?;
            if !own.same_as(&builtin) {
                flag_schemas.push(own);
            }
        }
        flag_schemas.insert(0, builtin);
        Ok(Linter {
            flag_schemas,
            segment_schema: Schema::segment(),
            now,
        })
    }

    /// Validates every file of `files` (the whole repository: cross-file rules need it all).
    pub fn validate(&self, repo: &Repository, files: &[SourceFile]) -> Validation {
        let (segment_files, flag_files): (Vec<_>, Vec<_>) =
            files.iter().partition(|f| f.kind == FileKind::Segment);

        let segment_results: Vec<SegmentOutcome> = segment_files
            .par_iter()
            .map(|file| self.check_segment(repo, file))
            .collect();
        let mut findings = Vec::new();
        let mut shared = HashSet::new();
        let mut overrides: Vec<(String, String)> = Vec::new();
        for (mut found, name) in segment_results {
            findings.append(&mut found);
            match name {
                Some((None, name)) => {
                    shared.insert(name);
                }
                Some((Some(env), name)) => overrides.push((env, name)),
                None => {}
            }
        }
        let segments_by_env: Vec<(String, HashSet<String>)> = repo
            .config
            .environments
            .iter()
            .map(|env| {
                let mut names = shared.clone();
                names.extend(
                    overrides
                        .iter()
                        .filter(|(e, _)| *e == env.name)
                        .map(|(_, n)| n.clone()),
                );
                (env.name.clone(), names)
            })
            .collect();

        let segments_of = |file: &SourceFile| {
            segments_by_env
                .iter()
                .find(|(env, _)| Some(env) == file.env.as_ref())
                .map_or(&shared, |(_, names)| names)
        };
        let chains = crate::repo::chains(&flag_files);
        let mut flag_results: Vec<(usize, FlagOutcome)> = chains
            .par_iter()
            .flat_map_iter(|chain| {
                let contents = repo.read_chain(&flag_files, chain);
                let mut out = Vec::with_capacity(chain.len());
                let mut checked: Vec<Result<Checked, Box<Finding>>> =
                    Vec::with_capacity(contents.groups.len());
                for (g, (bytes, holders)) in contents.groups.iter().enumerate() {
                    let like = contents.like(g, |j| checked[j].as_ref().ok().map(|c| &c.root));
                    let this = self.check_once(bytes, like);
                    out.extend(holders.iter().map(|&i| {
                        let file = flag_files[i];
                        (i, self.findings_for(repo, file, &this, segments_of(file)))
                    }));
                    checked.push(this);
                }
                out.extend(contents.unreadable.into_iter().map(|(i, finding)| {
                    let file = flag_files[i];
                    let finding = finding.in_flag(Some(file.stem()), file.env.as_deref());
                    (i, (vec![finding], None))
                }));
                out
            })
            .collect();
        // Chains finish in any order; names (for duplicates) go in file order.
        flag_results.sort_unstable_by_key(|(i, _)| *i);
        let mut written = Vec::with_capacity(flag_results.len());
        for (i, (mut found, name)) in flag_results {
            findings.append(&mut found);
            written.extend(name.map(|name| (flag_files[i], name)));
        }
        let names: Vec<FlagName> = written
            .iter()
            .map(|(file, (name, pos))| FlagName {
                name,
                env: file.env.as_deref().unwrap_or_default(),
                path: &file.path,
                pos: *pos,
            })
            .collect();
        for rule in rules() {
            if let Check::Repository(check) = rule.check {
                check(&names, &mut findings);
            }
        }
        // The whole repository is judged (a narrowed PATH only narrows what is shown).
        repo.config.silence(&mut findings, |code| {
            matches!(
                code.split_once('/').map(|(engine, _)| engine),
                Some("yaml" | "fs" | "schema" | "rule")
            )
        });
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        Validation {
            findings,
            files: files.len(),
        }
    }

    /// The findings `bytes` would have as the content of `file` (for a write not yet made).
    pub fn check_content(
        &self,
        repo: &Repository,
        file: &SourceFile,
        bytes: &[u8],
        segments: &HashSet<(Option<String>, String)>,
    ) -> Vec<Finding> {
        let visible: HashSet<String> = segments
            .iter()
            .filter(|(env, _)| env.is_none() || *env == file.env)
            .map(|(_, name)| name.clone())
            .collect();
        self.check_flag_bytes(repo, file, bytes, &visible).0
    }

    /// The names of the segments among `files`, with the environment of an override.
    pub fn segment_names(
        &self,
        repo: &Repository,
        files: &[SourceFile],
    ) -> HashSet<(Option<String>, String)> {
        files
            .par_iter()
            .filter(|f| f.kind == FileKind::Segment)
            .filter_map(|f| self.check_segment(repo, f).1)
            .collect()
    }

    fn check_flag_bytes(
        &self,
        repo: &Repository,
        file: &SourceFile,
        bytes: &[u8],
        segments: &HashSet<String>,
    ) -> FlagOutcome {
        self.findings_for(repo, file, &self.check_once(bytes, None), segments)
    }

    /// The parse and schema check of one content, whichever files hold it (read against `like`,
    /// another content and its tree: `repo::parse_bytes_like`).
    fn check_once(
        &self,
        bytes: &[u8],
        like: Option<(&[u8], &Node)>,
    ) -> Result<Checked, Box<Finding>> {
        let Parsed { root, mut findings } = crate::repo::parse_bytes_like("", bytes, like)?;
        let mut json = None;
        for schema in &self.flag_schemas {
            findings.extend(schema.check_tree(&root, &mut json).into_iter().map(|v| {
                Finding::of(v.code, v.message)
                    .at("", v.pos)
                    .maybe_help(v.help)
            }));
        }
        let flag = Flag::from_node(&root);
        Ok(Checked {
            root,
            flag,
            findings,
        })
    }

    /// The findings of one file holding a checked content: the content's, then the rules'.
    fn findings_for(
        &self,
        repo: &Repository,
        file: &SourceFile,
        checked: &Result<Checked, Box<Finding>>,
        segments: &HashSet<String>,
    ) -> FlagOutcome {
        let located = |f: &Finding| {
            let mut f = f.clone();
            f.path = Some(file.path.as_str().into());
            f
        };
        let Checked {
            root,
            flag,
            findings: own,
        } = match checked {
            Ok(checked) => checked,
            Err(finding) => {
                return (
                    vec![located(finding).in_flag(Some(file.stem()), file.env.as_deref())],
                    None,
                );
            }
        };
        let mut findings: Vec<Finding> = own.iter().map(located).collect();
        let flag_name = flag.name().unwrap_or(file.stem()).to_owned();
        let context = FileContext {
            file,
            root,
            flag,
            env: file.env.as_deref().and_then(|e| repo.config.environment(e)),
            config: &repo.config,
            segments,
            now: self.now,
        };
        for rule in rules() {
            if let Check::File(check) = rule.check {
                check(&context, &mut findings);
            }
        }
        for f in &mut findings {
            f.flag.get_or_insert_with(|| flag_name.as_str().into());
            if f.env.is_none() {
                f.env = file.env.as_deref().map(Into::into);
            }
        }
        let name = flag.name.as_ref().map(|n| (n.value.clone(), n.pos));
        (findings, name)
    }

    /// A segment file's findings, and its (environment, name) when it has one.
    fn check_segment(&self, repo: &Repository, file: &SourceFile) -> SegmentOutcome {
        let Parsed { root, mut findings } = match repo.parse(file) {
            Ok(parsed) => parsed,
            Err(finding) => return (vec![(*finding).in_flag(None, file.env.as_deref())], None),
        };
        findings.extend(
            self.segment_schema
                .check_tree(&root, &mut None)
                .into_iter()
                .map(|v| {
                    Finding::of(v.code, v.message)
                        .at(file.path.as_str(), v.pos)
                        .maybe_help(v.help)
                }),
        );
        let segment = Segment::from_node(&root);
        let name = segment.name.map(|name| {
            if let Some(finding) = naming::segment_finding(&name.value, &file.path, name.pos) {
                findings.push(finding);
            } else if name.value != file.stem() {
                findings.push(
                    Finding::new(
                        name_mismatch::RULE.code,
                        name_mismatch::RULE.severity,
                        format!(
                            "segment name \"{}\" differs from the file name \"{}\"",
                            name.value,
                            file.stem()
                        ),
                    )
                    .at(file.path.as_str(), name.pos)
                    .help(format!(
                        "rename the file to {}.yaml, or set `name: {}`",
                        name.value,
                        file.stem()
                    )),
                );
            }
            (file.env.clone(), name.value)
        });
        (findings, name)
    }
}
