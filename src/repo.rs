//! A flag repository on disk: finding its root, listing its flag and segment files, and reading one
//! file into a spanned tree, with every way a file can be unreadable turned into a finding.

use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::config::{CONFIG_FILE, Config, ConfigError};
use crate::finding::{Code, Finding, Severity};
use crate::yaml::{self, Node, Pos, Value};

/// The codes of reading files from the repository.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "fs/")]
pub enum FsCode {
    /// Flags are reviewed and versioned in git; a link to a file outside the repository would change
    /// what is served without any commit. Copy the file into the repository instead.
    #[strum(message = "a symbolic link points outside the repository")]
    SymlinkEscape,
    /// The file exists but could not be read (permissions, a broken link). The message gives the system's reason.
    #[strum(message = "a flag file cannot be read")]
    Unreadable,
}

impl crate::finding::Codes for FsCode {
    fn severity(self) -> Severity {
        match self {
            FsCode::SymlinkEscape | FsCode::Unreadable => Severity::Error,
        }
    }
}

/// Files larger than this are `yaml/too-large` and are not read.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
pub const SEGMENTS_DIR: &str = "segments";

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("no flag repository at {} or above (looked for {CONFIG_FILE}, or a flags/ folder)", start.display())]
    NotFound { start: PathBuf },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{path}: not an environment of this repository (environments: {known}){hint}")]
    UnknownEnvironment {
        path: String,
        known: String,
        hint: String,
    },
    #[error("{path}: flag files belong in an environment folder ({dir}/<env>/…)")]
    StrayFile { path: String, dir: String },
    #[error(
        "{path} is a symbolic link to {target}, outside the repository; flag files must live in the repository, where git tracks and reviews them"
    )]
    FolderEscape { path: String, target: String },
    #[error("cannot read {}: {cause}", path.display())]
    Unreadable {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Flag,
    Segment,
}

/// One flag or segment file of the repository.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub kind: FileKind,
    /// Relative to the repository root, with `/`.
    pub path: String,
    /// The environment folder it sits in (`None` for a segment shared by all environments).
    pub env: Option<String>,
    /// Whether the file is reached through a symbolic link (itself, or a folder on the way),
    /// which must resolve inside the repository and, for a flag, inside its own environment.
    pub symlink: bool,
}

impl SourceFile {
    /// The file name without its extension (`.yaml`, `.yml`), as `Path::file_stem` has it.
    pub fn stem(&self) -> &str {
        let name = self.path.rsplit('/').next().unwrap_or_default();
        match name.rfind('.') {
            Some(dot) if dot > 0 && name != ".." => &name[..dot],
            _ => name,
        }
    }
}

/// A flag repository: its root and configuration.
#[derive(Debug, Clone)]
pub struct Repository {
    pub root: PathBuf,
    pub config: Config,
}

/// A file read and parsed: its root mapping and the findings met on the way (duplicate keys).
#[derive(Debug)]
pub struct Parsed {
    pub root: Node,
    pub findings: Vec<Finding>,
}

impl Repository {
    /// The nearest directory from `start` upward holding `flagctl.yaml`, else `start` itself if it
    /// holds `flags/`.
    pub fn discover(start: &Path) -> Result<Repository, RepoError> {
        let start = std::path::absolute(start).map_err(|source| RepoError::Unreadable {
            path: start.to_owned(),
            cause: source,
        })?;
        // The folders above are looked for as the system resolves `..` and links: as written,
        // the ancestors of `a/../b` pass through `a`, which would find the repository around
        // `a` for a `b` that is none.
        let Ok(start) = std::fs::canonicalize(&start) else {
            return Err(RepoError::NotFound { start });
        };
        if let Some(root) = start
            .ancestors()
            .find(|dir| dir.join(CONFIG_FILE).is_file())
        {
            return Self::open(root);
        }
        if start.join("flags").is_dir() {
            return Self::open(&start);
        }
        Err(RepoError::NotFound { start })
    }

    /// Whether `dir` is itself the root of a flag repository.
    pub fn is_root(dir: &Path) -> bool {
        dir.join(CONFIG_FILE).is_file() || dir.join("flags").is_dir()
    }

    pub fn open(root: &Path) -> Result<Repository, RepoError> {
        let config = Config::load(root)?;
        let mut repo = Repository {
            root: root.to_owned(),
            config,
        };
        if !repo.config.explicit_environments {
            let flags = repo.flags_dir();
            repo.config
                .environments
                .retain(|e| flags.join(&e.name).is_dir());
        }
        Ok(repo)
    }

    pub fn flags_dir(&self) -> PathBuf {
        self.root.join(&self.config.flags_dir)
    }

    /// The flags folder as repository paths spell it (`flags`, or `config/flags`: `/`-separated).
    pub fn flags_path(&self) -> String {
        self.config.flags_dir.to_string_lossy().replace('\\', "/")
    }

    /// The repository-relative, `/`-separated form of `path` (which lies under the root).
    pub fn relative(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        let parts: Vec<_> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect();
        parts.join("/")
    }

    /// Every flag file and segment file, sorted by path.
    pub fn files(&self) -> Result<Vec<SourceFile>, RepoError> {
        let mut files = Vec::new();
        let flags = self.flags_dir();
        for top in [&flags, &self.root.join(SEGMENTS_DIR)] {
            if let Some(target) = self.escaping_target(top) {
                return Err(RepoError::FolderEscape {
                    path: self.relative(top),
                    target,
                });
            }
        }
        if flags.is_dir() {
            self.walk_env_folders(&flags, FileKind::Flag, &mut files)?;
        }
        let segments = self.root.join(SEGMENTS_DIR);
        if segments.is_dir() {
            self.walk_env_folders(&segments, FileKind::Segment, &mut files)?;
        }
        // Paths are unique: no order between equals to keep.
        files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// Walks `dir`: for flags, every file lies in an environment folder; for segments, files at
    /// the top are shared and environment folders hold overrides.
    fn walk_env_folders(
        &self,
        dir: &Path,
        kind: FileKind,
        out: &mut Vec<SourceFile>,
    ) -> Result<(), RepoError> {
        let unreadable = |path: &Path, source| RepoError::Unreadable {
            path: path.to_owned(),
            cause: source,
        };
        let entries = std::fs::read_dir(dir).map_err(|e| unreadable(dir, e))?;
        let mut entries: Vec<_> = entries
            .collect::<Result<_, _>>()
            .map_err(|e| unreadable(dir, e))?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        let top_linked = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
        // What each entry asks for, in name order; environment folders are then walked in
        // parallel, and the first problem in name order is the one reported.
        let mut steps: Vec<Step> = Vec::new();
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let file_type = match entry.file_type() {
                Ok(file_type) => file_type,
                Err(e) => {
                    steps.push(Step::Fail(unreadable(&path, e)));
                    break;
                }
            };
            let is_dir = file_type.is_dir() || (file_type.is_symlink() && path.is_dir());
            if is_dir {
                if self.config.environment(&name).is_none() {
                    steps.push(Step::Fail(self.unknown_environment(&path)));
                    break;
                }
                if file_type.is_symlink() && self.escaping_target(&path).is_some() {
                    steps.push(Step::File(self.source(&path, kind, Some(&name), true)));
                    continue;
                }
                let linked = top_linked || file_type.is_symlink();
                steps.push(Step::Walk(path, name, linked));
            } else if self.config.environment(&name).is_some() && leads_nowhere(&path) {
                // An environment's folder linked to nothing: its flags cannot be read, which is
                // a finding on the link, not an environment without flags.
                steps.push(Step::File(self.source(&path, kind, Some(&name), true)));
            } else if is_yaml(&path) {
                match kind {
                    FileKind::Segment => {
                        let linked = top_linked || file_type.is_symlink();
                        steps.push(Step::File(self.source(&path, kind, None, linked)));
                    }
                    FileKind::Flag => {
                        steps.push(Step::Fail(RepoError::StrayFile {
                            path: self.relative(&path),
                            dir: self.config.flags_dir.display().to_string(),
                        }));
                        break;
                    }
                }
            }
        }
        let walked: Vec<Result<Vec<SourceFile>, RepoError>> = steps
            .into_par_iter()
            .map(|step| match step {
                Step::File(file) => Ok(vec![file]),
                Step::Fail(e) => Err(e),
                Step::Walk(path, env, linked) => {
                    let mut files = Vec::new();
                    self.walk_tree(&path, kind, Some(&env), linked, &mut files)?;
                    Ok(files)
                }
            })
            .collect();
        out.reserve(walked.iter().flatten().map(Vec::len).sum());
        for files in walked {
            out.extend(files?);
        }
        Ok(())
    }

    fn unknown_environment(&self, path: &Path) -> RepoError {
        let known = self.config.environment_names().join(", ");
        let hint = if self.config.explicit_environments {
            " — list it under `environments:` in flagctl.yaml, or move it".to_owned()
        } else {
            " — without flagctl.yaml the environments are dev, staging and prod; add a flagctl.yaml listing yours".to_owned()
        };
        RepoError::UnknownEnvironment {
            path: self.relative(path),
            known: if known.is_empty() {
                "none".to_owned()
            } else {
                known
            },
            hint,
        }
    }

    /// Every YAML file below an environment folder; group folders nest freely. Linked folders
    /// inside the repository are walked (so that what they hold is judged, not skipped) and
    /// their files marked linked. A folder linked out of the repository is never walked: the
    /// link stands as one linked file, and reading it is the `fs/symlink-escape` finding.
    fn walk_tree(
        &self,
        dir: &Path,
        kind: FileKind,
        env: Option<&str>,
        dir_linked: bool,
        out: &mut Vec<SourceFile>,
    ) -> Result<(), RepoError> {
        // Files are put in order by the caller: the walk needs an order only to report the first
        // problem by name, so only a walk that meets one is made again, in name order.
        let start = out.len();
        let walked = self.walk_tree_in(dir, kind, env, dir_linked, false, out);
        if walked.is_ok() {
            return walked;
        }
        out.truncate(start);
        self.walk_tree_in(dir, kind, env, dir_linked, true, out)
    }

    fn walk_tree_in(
        &self,
        dir: &Path,
        kind: FileKind,
        env: Option<&str>,
        dir_linked: bool,
        by_name: bool,
        out: &mut Vec<SourceFile>,
    ) -> Result<(), RepoError> {
        let mut linked_dirs: Vec<PathBuf> = Vec::new();
        let mut walk = walkdir::WalkDir::new(dir).min_depth(1).follow_links(true);
        if by_name {
            walk = walk.sort_by_file_name();
        }
        let mut walk = walk.into_iter();
        while let Some(entry) = walk.next() {
            let entry = match entry {
                Ok(entry) => entry,
                // A folder linked to one that holds the repository is a loop, and out of the
                // repository first: like any link out, it is one linked file, never walked.
                Err(e) if e.loop_ancestor().is_some() => match e.path() {
                    Some(path) if self.escaping_target(path).is_some() => {
                        out.push(self.source(path, kind, env, true));
                        continue;
                    }
                    _ => return Err(unwalkable(e, dir)),
                },
                // A link that leads nowhere (or round in circles), named as a flag file or a
                // folder, is a file that cannot be read: one finding, not a stop.
                Err(e) => match e.path().filter(|path| leads_nowhere(path)) {
                    Some(path) => {
                        let named = is_yaml(path) || path.extension().is_none();
                        if named && !is_hidden(path) {
                            out.push(self.source(path, kind, env, true));
                        }
                        continue;
                    }
                    None => return Err(unwalkable(e, dir)),
                },
            };
            if entry.file_type().is_dir() {
                if entry.path_is_symlink() {
                    if self.escaping_target(entry.path()).is_some() {
                        // Never walked: the link itself is the one file, and reading it is
                        // the finding.
                        walk.skip_current_dir();
                        out.push(self.source(entry.path(), kind, env, true));
                    } else {
                        linked_dirs.push(entry.path().to_owned());
                    }
                }
                continue;
            }
            if is_hidden(entry.path()) || !is_yaml(entry.path()) {
                continue;
            }
            let linked = dir_linked
                || entry.path_is_symlink()
                || linked_dirs.iter().any(|d| entry.path().starts_with(d));
            out.push(self.source(entry.path(), kind, env, linked));
        }
        Ok(())
    }

    fn source(&self, path: &Path, kind: FileKind, env: Option<&str>, symlink: bool) -> SourceFile {
        SourceFile {
            symlink,
            kind,
            path: self.relative(path),
            env: env.map(str::to_owned),
        }
    }

    /// Reads and parses one file. Every problem with the file as a whole or its YAML is a finding.
    pub fn parse(&self, file: &SourceFile) -> Result<Parsed, Box<Finding>> {
        parse_bytes(&file.path, &self.read(file)?)
    }

    /// Reads one file's bytes: not through a link that leaves the repository, and not past
    /// [`MAX_FILE_BYTES`].
    pub fn read(&self, file: &SourceFile) -> Result<Vec<u8>, Box<Finding>> {
        use std::io::Read;
        let path = self.root.join(&file.path);
        let finding = |code: Code, message: String, help: &str| {
            Box::new(
                Finding::of(code, message)
                    .at(file.path.as_str(), Pos::START)
                    .help(help),
            )
        };
        let unreadable = |e: std::io::Error| {
            finding(
                FsCode::Unreadable.into(),
                format!("cannot read the file: {e}"),
                "check the file's permissions and target",
            )
        };
        if file.symlink {
            if let Some(target) = self.escaping_target(&path) {
                return Err(finding(
                    FsCode::SymlinkEscape.into(),
                    format!("symbolic link to {target}, outside the repository"),
                    "flag files must live in the repository, where git tracks and reviews them; copy the file in",
                ));
            }
            if let Err(e) = std::fs::metadata(&path) {
                return Err(finding(
                    FsCode::Unreadable.into(),
                    format!(
                        "symbolic link to {}, which cannot be followed: {e}",
                        link_text(&path)
                    ),
                    "point the link at a file of the repository, or delete it",
                ));
            }
            if let Some(env) = file.env.as_deref().filter(|_| file.kind == FileKind::Flag) {
                let own = self.flags_dir().join(env);
                if !crate::paths::resolves_inside(&path, &own) {
                    return Err(finding(
                        FsCode::SymlinkEscape.into(),
                        format!(
                            "symbolic link to {}, outside its environment folder {}/{env}",
                            link_text(&path),
                            self.flags_path()
                        ),
                        "each environment's file is its own, changed and reviewed on its own; copy the file instead of linking it",
                    ));
                }
            }
        }
        let handle = std::fs::File::open(&path).map_err(unreadable)?;
        let size = handle.metadata().map_err(unreadable)?.len();
        if size > MAX_FILE_BYTES {
            return Err(finding(
                yaml::Code::TooLarge.into(),
                format!(
                    "file is {} KiB; flag files are limited to {} KiB",
                    size / 1024,
                    MAX_FILE_BYTES / 1024
                ),
                "a flag file is a few hundred bytes; is this the right file?",
            ));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        handle
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        Ok(bytes)
    }

    /// Where the linked file at `path` leads, if that is outside the repository root (a link
    /// of the file itself, or of a folder on the way).
    fn escaping_target(&self, path: &Path) -> Option<String> {
        let resolved = match std::fs::canonicalize(path) {
            Ok(resolved) => resolved,
            Err(_) => normalize(&path.parent()?.join(std::fs::read_link(path).ok()?)),
        };
        let root = std::fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        (!resolved.starts_with(&root)).then(|| link_text(path))
    }
}

/// A walk's error: the entry it could not read, or a folder linked into itself.
fn unwalkable(e: walkdir::Error, dir: &Path) -> RepoError {
    let path = e.path().unwrap_or(dir).to_owned();
    RepoError::Unreadable {
        path,
        cause: e
            .into_io_error()
            .unwrap_or_else(|| std::io::Error::other("loop in the folder tree")),
    }
}

/// What the walk does with one entry of the flags or segments folder.
enum Step {
    File(SourceFile),
    /// An environment folder (its path, the environment, whether it is reached through a link).
    Walk(PathBuf, String, bool),
    /// The entry stops the walk.
    Fail(RepoError),
}

/// The files of one chain, read: each distinct content once, with the files that hold it.
pub struct Contents {
    /// Each distinct content, with the indexes of the files that hold it (in chain order).
    pub groups: Vec<(Vec<u8>, Vec<usize>)>,
    /// Files that could not be read, by index, with the finding that says why.
    pub unreadable: Vec<(usize, Finding)>,
}

impl Contents {
    /// The last content before number `i` that parsed (`tree` gives a content's tree, if it
    /// parsed), to read content `i` against (`parse_bytes_like`): the copies of a flag differ in
    /// a field or two, and what they share need not be parsed again.
    pub fn like<'a>(
        &'a self,
        i: usize,
        tree: impl Fn(usize) -> Option<&'a Node>,
    ) -> Option<(&'a [u8], &'a Node)> {
        (0..i)
            .rev()
            .find_map(|j| Some((self.groups[j].0.as_slice(), tree(j)?)))
    }
}

/// The indexes of `files` grouped into chains: the files of one stem (one flag, as its
/// environments hold it), each chain in path order. Copies of a flag sit in its chain, so a
/// chain is read, checked and dropped as one unit: memory follows the largest chain.
pub fn chains<F: std::borrow::Borrow<SourceFile>>(files: &[F]) -> Vec<Vec<usize>> {
    let mut by_stem: foldhash::HashMap<&str, Vec<usize>> =
        foldhash::HashMap::with_capacity_and_hasher(files.len(), Default::default());
    for (i, file) in files.iter().enumerate() {
        by_stem.entry(file.borrow().stem()).or_default().push(i);
    }
    by_stem.into_values().collect()
}

impl Repository {
    /// Reads the files `chain` (indexes into `files`), grouping byte-identical contents so
    /// that each is parsed and checked once.
    pub fn read_chain<F: std::borrow::Borrow<SourceFile>>(
        &self,
        files: &[F],
        chain: &[usize],
    ) -> Contents {
        let mut groups: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
        let mut unreadable = Vec::new();
        for &i in chain {
            match self.read(files[i].borrow()) {
                Ok(bytes) => match groups.iter_mut().find(|(b, _)| *b == bytes) {
                    Some((_, holders)) => holders.push(i),
                    None => groups.push((bytes, vec![i])),
                },
                Err(finding) => unreadable.push((i, *finding)),
            }
        }
        Contents { groups, unreadable }
    }
}

fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Parses the bytes of the file at repository-relative `path`.
pub fn parse_bytes(path: &str, bytes: &[u8]) -> Result<Parsed, Box<Finding>> {
    parse_bytes_like(path, bytes, None)
}

/// `parse_bytes`, sharing with `like` (the bytes of another file and their tree) the top-level
/// entries both hold byte for byte (`yaml::parse_like`): the same result, parsed in part.
pub fn parse_bytes_like(
    path: &str,
    bytes: &[u8],
    like: Option<(&[u8], &Node)>,
) -> Result<Parsed, Box<Finding>> {
    let bytes = without_bom(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Finding::of(yaml::Code::NonUtf8, "the file is not valid UTF-8")
            .at(path, Pos::at_offset(bytes, e.valid_up_to()))
            .help("save the file as UTF-8")
    })?;
    let like =
        like.and_then(|(bytes, root)| Some((std::str::from_utf8(without_bom(bytes)).ok()?, root)));
    let doc = match like {
        Some((like, root)) => yaml::parse_like(text, like, root),
        None => yaml::parse(text),
    }
    .map_err(|e| {
        Finding::of(e.code, e.message)
            .at(path, e.pos)
            .maybe_help(e.help)
    })?;
    let findings = doc
        .duplicate_keys
        .into_iter()
        .map(|e| {
            Finding::of(e.code, e.message)
                .at(path, e.pos)
                .maybe_help(e.help)
        })
        .collect();
    match doc.root {
        None
        | Some(Node {
            value: Value::Null, ..
        }) => Err(Finding::of(yaml::Code::Empty, "the file is empty")
            .at(path, Pos::START)
            .help("write the flag's definition, or delete the file")
            .into()),
        Some(root) if root.as_map().is_none() => Err(Finding::of(
            yaml::Code::NotAMapping,
            format!("the file holds {}, not a mapping of keys", root.describe()),
        )
        .at(path, root.pos)
        .help("a flag file is a mapping: `name: …`, `version: …`, …")
        .into()),
        Some(root) => Ok(Parsed { root, findings }),
    }
}

/// What a linked path leads to, as the user wrote it: the link's own target, or for a file
/// inside a linked folder, where it resolves.
fn link_text(path: &Path) -> String {
    match std::fs::read_link(path) {
        Ok(target) => target.display().to_string(),
        Err(_) => std::fs::canonicalize(path)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| path.display().to_string()),
    }
}

/// Whether `path` is a symbolic link whose target cannot be reached (missing, or a loop).
fn leads_nowhere(path: &Path) -> bool {
    path.symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::metadata(path).is_err()
}

/// Whether the file or folder `path` names is hidden (its name starts with a dot).
fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name.to_string_lossy().starts_with('.'))
}

/// Whether `path` names a YAML file (`.yaml` or `.yml`).
pub fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stem_is_the_file_stem() {
        for path in [
            "flags/dev/new-checkout.yaml",
            "flags/dev/team/a.b.yml",
            "flags/dev/evil",
            "flags/dev/team.old",
            "segments/.hidden",
            "x.",
            "a.yaml",
        ] {
            let file = SourceFile {
                kind: FileKind::Flag,
                path: path.to_owned(),
                env: None,
                symlink: false,
            };
            let expected = Path::new(path).file_stem().and_then(|s| s.to_str());
            assert_eq!(Some(file.stem()), expected, "{path}");
        }
    }

    #[test]
    fn whole_file_problems_are_findings() {
        let code = |bytes: &[u8]| {
            parse_bytes("f.yaml", bytes)
                .expect_err("finding")
                .code
                .as_str()
        };
        assert_eq!(code(b""), "yaml/empty");
        assert_eq!(code(b"# only a comment\n"), "yaml/empty");
        assert_eq!(code(b"- a\n- b\n"), "yaml/not-a-mapping");
        assert_eq!(code(b"just text\n"), "yaml/not-a-mapping");
        assert_eq!(code(b"name: caf\xe9\n"), "yaml/non-utf8");
        assert_eq!(code(b"a: [1, 2\n"), "yaml/syntax");
    }

    #[test]
    fn non_utf8_points_at_the_bad_byte() {
        let f = parse_bytes("f.yaml", b"name: x\ndescription: caf\xe9\n").expect_err("finding");
        assert_eq!((f.line, f.column), (Some(2), Some(17)));
    }

    #[test]
    fn a_bom_is_not_content() {
        assert!(parse_bytes("f.yaml", b"\xEF\xBB\xBFname: x\n").is_ok());
    }
}
