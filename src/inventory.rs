//! The flags of some environments, read for comparison: every file read once, in parallel, and
//! every distinct content parsed once (a file byte-identical to another needs no parse at all).
//! Each flag keeps a fingerprint per top-level field, not its tree, so memory stays small.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use crate::finding::Finding;
use crate::repo::{FileKind, Repository, SourceFile, parse_bytes_like};
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
    /// Fingerprint of each top-level field but `version`.
    pub fields: Fingerprints,
    /// Owner, kind, lifecycle, expiry and audience, when the loader was asked for them
    /// (`Inventory::load_with_traits`); drift does without (boxed: most loads leave it out,
    /// and every flag of the repository keeps a digest).
    pub traits: Option<Box<crate::model::Traits>>,
    /// The id git gives the content (`Git::blob_id`), when the loader was asked for it: a
    /// pending promotion's file found under that id in HEAD is dated without reading it again.
    pub blob: Option<String>,
}

/// A flag file of one environment.
#[derive(Debug, Clone)]
pub struct FlagFile {
    pub env: String,
    /// Shared with what points at the file (a status cell, a pending promotion's age).
    pub path: Arc<str>,
    pub digest: Arc<Digest>,
    /// Which content it holds: files of one flag holding the very same bytes share it.
    content: (usize, usize),
    /// Whether it is reached through a symbolic link (reading it again checks where it leads).
    linked: bool,
    /// The values of the top-level fields in which this file differs from another file of the
    /// same name, when the loader was asked for them (`Inventory::load_settling` with `values`):
    /// what `diff` shows, kept (as JSON text, see `FieldValues`) so that no file is read twice.
    values: Vec<(String, Arc<str>)>,
}

impl FlagFile {
    pub fn name(&self) -> &str {
        &self.digest.name
    }

    /// The value of top-level `field` kept for showing a difference, if it was kept.
    pub fn kept_value(&self, field: &str) -> Option<&Arc<str>> {
        self.values.iter().find(|(k, _)| k == field).map(|(_, v)| v)
    }

    /// Whether it holds the very same bytes as `other`.
    pub fn same_bytes(&self, other: &FlagFile) -> bool {
        self.content == other.content
    }

    /// Its parsed tree, for showing what differs (read again from the file).
    pub fn tree(&self, repo: &Repository) -> Option<Node> {
        let source = SourceFile {
            kind: FileKind::Flag,
            path: self.path.to_string(),
            env: Some(self.env.clone()),
            symlink: self.linked,
        };
        repo.parse(&source).ok().map(|p| p.root)
    }
}

/// The flags of one chain whose files all bear its name, at most one per environment, handed
/// over as soon as they are read (`Inventory::load_settling`).
pub struct Chain<'a> {
    pub name: &'a str,
    pub files: Vec<&'a FlagFile>,
    /// The environments where its file could not be read or compared.
    pub left_out: Vec<&'a str>,
}

/// The comparable flags of some environments, and the findings that kept others out.
pub struct Inventory {
    pub flags: Vec<FlagFile>,
    pub findings: Vec<Finding>,
    /// (environment, file stem) of files that could not be read: their flags are left out of
    /// comparison, not guessed at.
    pub left_out: HashSet<(String, String)>,
    pub files: usize,
    pub repo: Repository,
}

/// What the loader reads besides each flag's digest.
#[derive(Clone, Copy, Default)]
struct Wanted {
    traits: bool,
    values: bool,
    blob_ids: bool,
}

/// The files of a chain, as loaded (each with its place in the repository's files).
type LoadedChain = Vec<(usize, Loaded)>;

/// One file of a chain, as loaded.
enum Loaded {
    Flag(FlagFile),
    /// It could not be read: one finding says why (boxed: a `Loaded` per file of the
    /// repository waits to be sorted, each the size of its largest kind).
    Unreadable(Box<Finding>),
    /// It was read but cannot be compared: the findings say why.
    Incomparable(Vec<Finding>),
}

impl Inventory {
    /// Reads the flags of `envs` (names from the repository's chain), for comparison.
    pub fn load(repo: &Repository, envs: &[&str]) -> Result<Inventory, crate::repo::RepoError> {
        let wanted = Wanted {
            blob_ids: true,
            ..Wanted::default()
        };
        Inventory::read(repo, envs, wanted)
    }

    /// As `load`, with each flag's `Traits` read in the same parse (for `stale` and `report`).
    pub fn load_with_traits(
        repo: &Repository,
        envs: &[&str],
    ) -> Result<Inventory, crate::repo::RepoError> {
        let wanted = Wanted {
            traits: true,
            ..Wanted::default()
        };
        Inventory::read(repo, envs, wanted)
    }

    /// As `load`, handing each chain whose files all bear its name, at most one per environment
    /// (nearly every chain), to `settle` as soon as it is read, and leaving its files out of
    /// `flags`: memory then holds what `settle` returns, not the files. With `values`, each file
    /// keeps the values of the fields in which it differs from a file of the same name (for
    /// `diff`). Returns, beside the inventory of the other files, what `settle` returned.
    pub fn load_settling<R: Send>(
        repo: &Repository,
        envs: &[&str],
        values: bool,
        settle: &(dyn Fn(Chain) -> R + Sync),
    ) -> Result<(Inventory, Vec<R>), crate::repo::RepoError> {
        let wanted = Wanted {
            values,
            blob_ids: true,
            ..Wanted::default()
        };
        Inventory::read_settling(repo, envs, wanted, Some(settle))
    }

    fn read(
        repo: &Repository,
        envs: &[&str],
        wanted: Wanted,
    ) -> Result<Inventory, crate::repo::RepoError> {
        let (inventory, _) = Inventory::read_settling::<()>(repo, envs, wanted, None)?;
        Ok(inventory)
    }

    /// Reads the files of each flag together (its chain: the files of one stem across the
    /// environments), all chains in parallel. A chain's files are parsed, compared and dropped
    /// as one unit, so memory follows the largest chain, not the repository, and a file
    /// byte-identical to another of its chain is parsed once. With `settle`, see
    /// `load_settling`.
    fn read_settling<R: Send>(
        repo: &Repository,
        envs: &[&str],
        wanted: Wanted,
        settle: Option<&(dyn Fn(Chain) -> R + Sync)>,
    ) -> Result<(Inventory, Vec<R>), crate::repo::RepoError> {
        let files: Vec<_> = repo
            .files()?
            .into_iter()
            .filter(|f| {
                f.kind == FileKind::Flag && f.env.as_deref().is_some_and(|e| envs.contains(&e))
            })
            .collect();
        let chains = crate::repo::chains(&files);
        let mut outcomes: Vec<(LoadedChain, Option<R>)> = chains
            .par_iter()
            .enumerate()
            .map(|(id, chain)| {
                let mut loaded = load_chain(repo, &files, id, chain, wanted);
                let settled = settle.and_then(|settle| {
                    settle_chain(files[chain[0]].stem(), &files, &mut loaded, settle)
                });
                (loaded, settled)
            })
            .collect();
        // A file whose name is not its stem may bear the name of a settled chain: that chain is
        // read again, to be compared by name with it (rare: a name that is not its file's).
        if settle.is_some() {
            let open: HashSet<&str> = outcomes
                .iter()
                .flat_map(|(loaded, _)| loaded)
                .filter_map(|(_, l)| match l {
                    Loaded::Flag(f) => Some(f.name()),
                    _ => None,
                })
                .collect();
            let reread: Vec<usize> = outcomes
                .iter()
                .enumerate()
                .filter(|(id, (_, settled))| {
                    settled.is_some() && open.contains(files[chains[*id][0]].stem())
                })
                .map(|(id, _)| id)
                .collect();
            for id in reread {
                outcomes[id] = (load_chain(repo, &files, id, &chains[id], wanted), None);
            }
        }
        let mut settled = Vec::new();
        let mut loaded: Vec<(usize, Loaded)> = Vec::new();
        for (chain, outcome) in outcomes {
            loaded.extend(chain);
            settled.extend(outcome);
        }
        loaded.sort_unstable_by_key(|(i, _)| *i);

        let mut findings = Vec::new();
        let mut problems = Vec::new();
        let mut left_out = HashSet::new();
        let mut flags = Vec::new();
        for (i, outcome) in loaded {
            let file = &files[i];
            let mut leave_out = || {
                left_out.insert((file.env.clone().unwrap_or_default(), file.stem().to_owned()));
            };
            match outcome {
                Loaded::Flag(flag) => flags.push(flag),
                Loaded::Unreadable(finding) => {
                    leave_out();
                    findings.push(tag(*finding, file.env.as_deref(), file.stem()));
                }
                Loaded::Incomparable(found) => {
                    leave_out();
                    problems.extend(found.into_iter().map(|p| {
                        let mut p = tag(p, file.env.as_deref(), file.stem());
                        p.path = Some(file.path.as_str().into());
                        p
                    }));
                }
            }
        }
        // Unreadable files first, then the others in file order (as reported before reading
        // and parsing were one step).
        findings.append(&mut problems);
        let inventory = Inventory {
            flags,
            findings,
            left_out,
            files: files.len(),
            repo: repo.clone(),
        };
        Ok((inventory, settled))
    }

    /// Each flag's name with its place in `flags` (which are in path order).
    pub fn names(&self) -> Vec<(&str, usize)> {
        self.flags
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name(), i))
            .collect()
    }
}

/// Loads the files `chain` (indexes into `files`: one stem in several environments), chain
/// number `id`: each distinct content parsed once, and with `wanted.values` the values of the
/// fields in which its files differ kept before the trees are dropped.
fn load_chain(
    repo: &Repository,
    files: &[SourceFile],
    id: usize,
    chain: &[usize],
    wanted: Wanted,
) -> LoadedChain {
    let mut read = repo.read_chain(files, chain);
    let mut out: LoadedChain = std::mem::take(&mut read.unreadable)
        .into_iter()
        .map(|(i, finding)| (i, Loaded::Unreadable(Box::new(finding))))
        .collect();
    let mut digests: Vec<Result<(Node, Digest), Vec<Finding>>> =
        Vec::with_capacity(read.groups.len());
    for (i, (bytes, _)) in read.groups.iter().enumerate() {
        let like = read.like(i, |j| digests[j].as_ref().ok().map(|(tree, _)| tree));
        digests.push(digest(bytes, like, wanted.traits));
    }
    // Only the newer version of a pending promotion is dated by its blob id.
    let dated: Vec<bool> = digests
        .iter()
        .map(|parsed| {
            wanted.blob_ids
                && parsed.as_ref().is_ok_and(|(_, d)| {
                    digests
                        .iter()
                        .flatten()
                        .any(|(_, other)| other.name == d.name && other.version < d.version)
                })
        })
        .collect();
    let mut trees: Vec<Option<Node>> = Vec::with_capacity(digests.len());
    let contents = read.groups.into_iter().zip(digests).zip(dated);
    for (content, (((bytes, holders), parsed), dated)) in contents.enumerate() {
        let (tree, digest) = match parsed {
            Ok((tree, mut digest)) => {
                if dated {
                    digest.blob = Some(crate::git::Git::blob_id(&bytes));
                }
                (Some(tree), Ok(Arc::new(digest)))
            }
            Err(problems) => (None, Err(problems)),
        };
        trees.push(tree);
        for i in holders {
            let file = &files[i];
            let loaded = match &digest {
                Ok(digest) => Loaded::Flag(FlagFile {
                    env: file.env.clone().unwrap_or_default(),
                    path: file.path.as_str().into(),
                    digest: Arc::clone(digest),
                    content: (id, content),
                    linked: file.symlink,
                    values: Vec::new(),
                }),
                Err(problems) => Loaded::Incomparable(problems.clone()),
            };
            out.push((i, loaded));
        }
    }
    if wanted.values {
        keep_differing_values(&mut out, &trees);
    }
    out
}

/// Hands the flags of a loaded chain (of files of `stem`) to `settle` and takes them out of
/// `loaded`, if they all bear the name `stem`, at most one per environment.
fn settle_chain<R>(
    stem: &str,
    files: &[SourceFile],
    loaded: &mut LoadedChain,
    settle: &(dyn Fn(Chain) -> R + Sync),
) -> Option<R> {
    let mut flags: Vec<&FlagFile> = Vec::with_capacity(loaded.len());
    let mut left_out = Vec::new();
    for (i, l) in loaded.iter() {
        match l {
            Loaded::Flag(f) => {
                if f.name() != stem || flags.iter().any(|g| g.env == f.env) {
                    return None;
                }
                flags.push(f);
            }
            _ => left_out.extend(files[*i].env.as_deref()),
        }
    }
    if flags.is_empty() {
        return None;
    }
    let settled = settle(Chain {
        name: stem,
        files: flags,
        left_out,
    });
    loaded.retain(|(_, l)| !matches!(l, Loaded::Flag(_)));
    // What is left (most often nothing) waits for every chain: at its size.
    loaded.shrink_to_fit();
    Some(settled)
}

/// Gives each flag file of a chain the values of the fields in which it differs from another
/// file of the chain with the same name (and its version, when versions differ).
fn keep_differing_values(chain: &mut [(usize, Loaded)], trees: &[Option<Node>]) {
    let flags: Vec<(&Digest, usize)> = chain
        .iter()
        .filter_map(|(_, l)| match l {
            Loaded::Flag(f) => Some((&*f.digest, f.content.1)),
            _ => None,
        })
        .collect();
    let mut wanted: Vec<Vec<String>> = vec![Vec::new(); flags.len()];
    for (a, (da, ca)) in flags.iter().enumerate() {
        for (db, cb) in &flags {
            if ca == cb || da.name != db.name {
                continue;
            }
            if da.version != db.version {
                wanted[a].push("version".to_owned());
            }
            wanted[a].extend(
                da.fields
                    .iter()
                    .filter(|(key, print)| db.fields.get(key) != Some(*print))
                    .map(|(key, _)| key.to_owned()),
            );
        }
    }
    let mut n = 0;
    for (_, loaded) in chain.iter_mut() {
        let Loaded::Flag(flag) = loaded else { continue };
        let fields = &mut wanted[n];
        n += 1;
        fields.sort_unstable();
        fields.dedup();
        if let Some(tree) = &trees[flag.content.1] {
            flag.values = fields
                .iter()
                .filter_map(|f| {
                    let text = serde_json::to_string(tree.get(f)?).ok()?;
                    Some((f.clone(), Arc::from(text)))
                })
                .collect();
        }
    }
}

fn tag(finding: Finding, env: Option<&str>, stem: &str) -> Finding {
    let flag = finding.flag.clone().unwrap_or_else(|| stem.into());
    finding.in_flag(Some(&flag), env)
}

/// Reads what comparison needs from one content; a flag that cannot be compared yields the
/// findings that say why (its path is filled in by the caller).
fn digest(
    bytes: &[u8],
    like: Option<(&[u8], &Node)>,
    traits: bool,
) -> Result<(Node, Digest), Vec<Finding>> {
    const PATH: &str = "";
    let parsed = parse_bytes_like(PATH, bytes, like).map_err(|f| vec![*f])?;
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
    let mut fields = Fingerprints::default();
    for entry in root.as_map().unwrap_or_default() {
        if entry.key != "version" {
            fields.insert(&entry.key, entry.value.fingerprint());
        }
    }
    let enabled = root.get("enabled").and_then(Node::as_bool);
    let digest = Digest {
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
        traits: traits.then(|| Box::new(crate::model::Traits::from_node(&root))),
        blob: None,
    };
    Ok((root, digest))
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

/// The top-level keys of the flag schema but `version`, in name order.
const KNOWN: [&str; 16] = [
    "annotations",
    "default",
    "description",
    "enabled",
    "expires",
    "kind",
    "lifecycle",
    "name",
    "owner",
    "requires",
    "rollout",
    "rules",
    "serve",
    "tags",
    "type",
    "variants",
];

/// A fingerprint per top-level field of a flag: the schema's keys in fixed slots, since every
/// flag of a repository keeps one of these and almost always holds only those, any other key
/// beside them (by name: a file may hold thousands).
#[derive(Debug, Default)]
pub struct Fingerprints {
    known: [u64; KNOWN.len()],
    /// Bit `i` set: `known[i]` holds the fingerprint of `KNOWN[i]`.
    present: u16,
    other: BTreeMap<Box<str>, u64>,
}

impl Fingerprints {
    /// Records `key`'s fingerprint; of a key met twice (a duplicate-key finding), the larger.
    fn insert(&mut self, key: &str, print: u64) {
        match KNOWN.iter().position(|k| *k == key) {
            Some(i) => {
                let slot = &mut self.known[i];
                *slot = if self.present & 1 << i != 0 {
                    print.max(*slot)
                } else {
                    print
                };
                self.present |= 1 << i;
            }
            None => match self.other.get_mut(key) {
                Some(slot) => *slot = print.max(*slot),
                None => {
                    self.other.insert(key.into(), print);
                }
            },
        }
    }

    fn slot(&self, i: usize) -> Option<u64> {
        (self.present & 1 << i != 0).then(|| self.known[i])
    }

    /// The fingerprint of `key`, if the flag has that field.
    pub fn get(&self, key: &str) -> Option<u64> {
        match KNOWN.iter().position(|k| *k == key) {
            Some(i) => self.slot(i),
            None => self.other.get(key).copied(),
        }
    }

    /// Each field and its fingerprint.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        let known = (0..KNOWN.len()).filter_map(|i| Some((KNOWN[i], self.slot(i)?)));
        known.chain(self.other.iter().map(|(k, p)| (&**k, *p)))
    }

    /// The fields whose fingerprints differ from `other`'s (or that only one has), in name order.
    pub fn differing<'a>(&'a self, other: &'a Fingerprints) -> Vec<&'a str> {
        let mut keys: Vec<&str> = (0..KNOWN.len())
            .filter(|&i| self.slot(i) != other.slot(i))
            .map(|i| KNOWN[i])
            .collect();
        for (key, print) in &self.other {
            if other.get(key) != Some(*print) {
                keys.push(key);
            }
        }
        for key in other.other.keys() {
            if self.get(key).is_none() {
                keys.push(key);
            }
        }
        keys.sort_unstable();
        keys
    }
}
