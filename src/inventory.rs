//! The flags of some environments, read for comparison: every file read once, in parallel, and
//! every distinct content parsed once (a file byte-identical to another needs no parse at all).
//! Each flag keeps a fingerprint per top-level field, not its tree, so memory stays small.

use std::collections::HashSet;
use std::sync::Arc;

use rayon::prelude::*;

use crate::finding::Finding;
use crate::repo::{FileKind, Repository, parse_bytes};
use crate::yaml::{Node, Pos};
use crate::{lint, schema};

/// What a top-level field of a flag is, for drift (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// Same version promises the same contract.
    Contract,
    /// What an environment serves; may differ per environment.
    State,
    /// Everything else.
    Metadata,
}

pub const CONTRACT_FIELDS: &[&str] = &["name", "type", "variants", "default", "requires"];
pub const STATE_FIELDS: &[&str] = &["enabled", "rules", "serve", "rollout"];

/// The category of a top-level field (`None` for `version`, compared on its own).
pub fn category(field: &str) -> Option<Category> {
    if field == "version" {
        None
    } else if CONTRACT_FIELDS.contains(&field) {
        Some(Category::Contract)
    } else if STATE_FIELDS.contains(&field) {
        Some(Category::State)
    } else {
        Some(Category::Metadata)
    }
}

/// What one parse of a file's content yields.
#[derive(Debug)]
pub struct Digest {
    pub name: String,
    pub name_pos: Pos,
    pub version: semver::Version,
    pub version_pos: Pos,
    pub enabled: Option<bool>,
    /// What the flag serves when no rule matches, in a few characters (`on`, `10/90`).
    pub serves: String,
    pub rules: usize,
    /// Fingerprint of each top-level field but `version`, sorted by field name.
    pub fields: Vec<(String, u64)>,
    /// Owner, kind, lifecycle, expiry and audience, when the loader was asked for them
    /// (`Inventory::load_with_traits`); drift does without.
    pub traits: Option<crate::model::Traits>,
}

/// A flag file of one environment.
#[derive(Debug, Clone)]
pub struct FlagFile {
    pub env: String,
    pub path: String,
    pub digest: Arc<Digest>,
    content: usize,
}

impl FlagFile {
    pub fn name(&self) -> &str {
        &self.digest.name
    }
}

/// The comparable flags of some environments, and the findings that kept others out.
pub struct Inventory {
    pub flags: Vec<FlagFile>,
    pub findings: Vec<Finding>,
    /// (environment, file stem) of files that could not be read: their flags are left out of
    /// comparison, not guessed at.
    pub left_out: HashSet<(String, String)>,
    pub files: usize,
    contents: Vec<Arc<[u8]>>,
}

impl Inventory {
    /// Reads the flags of `envs` (names from the repository's chain).
    pub fn load(repo: &Repository, envs: &[&str]) -> Result<Inventory, crate::repo::RepoError> {
        Inventory::read(repo, envs, false)
    }

    /// As `load`, with each flag's `Traits` read in the same parse (for `stale` and `report`).
    pub fn load_with_traits(
        repo: &Repository,
        envs: &[&str],
    ) -> Result<Inventory, crate::repo::RepoError> {
        Inventory::read(repo, envs, true)
    }

    fn read(
        repo: &Repository,
        envs: &[&str],
        traits: bool,
    ) -> Result<Inventory, crate::repo::RepoError> {
        let files: Vec<_> = repo
            .files()?
            .into_iter()
            .filter(|f| {
                f.kind == FileKind::Flag && f.env.as_deref().is_some_and(|e| envs.contains(&e))
            })
            .collect();
        let refs: Vec<&crate::repo::SourceFile> = files.iter().collect();
        let read = repo.read_grouped(&refs);
        let mut findings = Vec::new();
        let mut left_out = HashSet::new();
        let mut content_of: Vec<Option<usize>> = vec![None; files.len()];
        for (i, finding) in read.unreadable {
            let file = &files[i];
            findings.push(tag(finding, file.env.as_deref(), &file.stem));
            left_out.insert((file.env.clone().unwrap_or_default(), file.stem.clone()));
        }
        let mut contents: Vec<Arc<[u8]>> = Vec::with_capacity(read.groups.len());
        for (id, (bytes, holders)) in read.groups.into_iter().enumerate() {
            for i in holders {
                content_of[i] = Some(id);
            }
            contents.push(Arc::from(bytes));
        }
        let digests: Vec<Result<Arc<Digest>, Vec<Finding>>> = contents
            .par_iter()
            .map(|bytes| digest(bytes, traits).map(Arc::new))
            .collect();

        let mut flags = Vec::with_capacity(files.len());
        for (file, content) in files.iter().zip(content_of) {
            let Some(content) = content else { continue };
            match &digests[content] {
                Ok(digest) => flags.push(FlagFile {
                    env: file.env.clone().unwrap_or_default(),
                    path: file.path.clone(),
                    digest: Arc::clone(digest),
                    content,
                }),
                Err(problems) => {
                    left_out.insert((file.env.clone().unwrap_or_default(), file.stem.clone()));
                    findings.extend(problems.iter().map(|p| {
                        let mut p = tag(p.clone(), file.env.as_deref(), &file.stem);
                        p.path = Some(file.path.clone());
                        p
                    }));
                }
            }
        }
        Ok(Inventory {
            flags,
            findings,
            left_out,
            files: files.len(),
            contents,
        })
    }

    /// The parsed tree of a flag file, for showing what differs.
    pub fn tree(&self, flag: &FlagFile) -> Option<Node> {
        parse_bytes(&flag.path, &self.contents[flag.content])
            .ok()
            .map(|p| p.root)
    }

    /// Whether two flag files hold the very same bytes.
    pub fn same_bytes(&self, a: &FlagFile, b: &FlagFile) -> bool {
        a.content == b.content
    }
}

fn tag(finding: Finding, env: Option<&str>, stem: &str) -> Finding {
    let flag = finding.flag.clone().unwrap_or_else(|| stem.to_owned());
    finding.in_flag(Some(&flag), env)
}

/// Reads what comparison needs from one content; a flag that cannot be compared yields the
/// findings that say why (its path is filled in by the caller).
fn digest(bytes: &[u8], traits: bool) -> Result<Digest, Vec<Finding>> {
    const PATH: &str = "";
    let parsed = parse_bytes(PATH, bytes).map_err(|f| vec![*f])?;
    let root = parsed.root;
    let mut problems = parsed.findings;
    let required = |key: &str| {
        Finding::of(
            schema::Code::Required,
            format!("missing required key \"{key}\""),
        )
        .at(PATH, root.pos)
        .help(format!(
            "add `{key}:`; without it the flag cannot be compared"
        ))
    };
    let name = match root.get("name") {
        Some(node) => match node.as_str() {
            Some(name) => Some((name.to_owned(), node.pos)),
            None => {
                problems.push(
                    Finding::of(
                        schema::Code::Type,
                        format!("name: expected string, found {}", node.describe()),
                    )
                    .at(PATH, node.pos),
                );
                None
            }
        },
        None => {
            problems.push(required("name"));
            None
        }
    };
    let version = match root.get("version") {
        Some(node) => match node.as_str().map(semver::Version::parse) {
            Some(Ok(version)) => Some((version, node.pos)),
            _ => {
                let shown = node
                    .as_str()
                    .map_or_else(|| node.describe(), |s| format!("\"{s}\""));
                problems.push(
                    Finding::of(lint::Code::Semver, format!("version {shown} is not semver"))
                        .at(PATH, node.pos)
                        .help("write MAJOR.MINOR.PATCH, e.g. \"1.2.0\"; `flagctl validate` tells more"),
                );
                None
            }
        },
        None => {
            problems.push(required("version"));
            None
        }
    };
    let (Some((name, name_pos)), Some((version, version_pos))) = (name, version) else {
        return Err(problems);
    };
    let mut fields: Vec<(String, u64)> = root.entry_fingerprints();
    fields.retain(|(key, _)| key != "version");
    fields.sort_unstable();
    let enabled = root.get("enabled").and_then(Node::as_bool);
    Ok(Digest {
        name,
        name_pos,
        version,
        version_pos,
        enabled,
        serves: serves(&root, enabled),
        rules: root
            .get("rules")
            .and_then(Node::as_seq)
            .map_or(0, <[Node]>::len),
        fields,
        traits: traits.then(|| crate::model::Traits::from_node(&root)),
    })
}

/// What the flag serves when no rule matches, in a few characters (`on`, `10/90`).
fn serves(root: &Node, enabled: Option<bool>) -> String {
    if let Some(variant) = root.get("serve").and_then(Node::as_str) {
        return variant.to_owned();
    }
    if let Some(weights) = root.get("rollout").and_then(Node::as_map) {
        return weights
            .iter()
            .filter_map(|w| w.value.as_f64())
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join("/");
    }
    if enabled == Some(true) {
        "on".to_owned()
    } else {
        String::new()
    }
}
