//! Where the code mentions each flag: one parallel walk of the searched folders that respects
//! `.gitignore` (the `ignore` crate, as ripgrep walks), one multi-pattern search of each file
//! (Aho-Corasick over every flag name at once), whole words only. Links are never followed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Serialize;

/// Where a flag is first mentioned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// Relative to the repository root with `/` when inside it, else as found.
    pub path: String,
    pub line: u32,
    /// In characters, 1-based.
    pub column: u32,
}

/// How often a flag is mentioned, and where first (by path, then position).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct References {
    pub count: usize,
    pub first: Option<Location>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("--code {0}: no such file or folder")]
    Missing(String),
    #[error("--code {path}: {source}")]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
    #[error("building the search for {0} flag names: {1}")]
    Patterns(usize, aho_corasick::BuildError),
}

/// Files larger than this are not code.
const MAX_FILE: u64 = 16 << 20;
/// A NUL byte in the first this many bytes marks a binary file (as ripgrep and git judge).
const BINARY_PEEK: usize = 8 << 10;

/// Counts the whole-word mentions of each of `names` in the files under `roots`, leaving out
/// the paths under `skip` and whatever ignore files exclude. `base` (the repository root) makes
/// the reported paths relative. The answer is in the order of `names`.
pub fn search(
    roots: &[PathBuf],
    skip: &[PathBuf],
    base: &Path,
    names: &[&str],
) -> Result<Vec<References>, SearchError> {
    let mut canonical = Vec::with_capacity(roots.len());
    for root in roots {
        let shown = root.display().to_string();
        if !root.exists() {
            return Err(SearchError::Missing(shown));
        }
        canonical.push(
            std::fs::canonicalize(root).map_err(|source| SearchError::Unreadable {
                path: shown,
                source,
            })?,
        );
    }
    let skip: Vec<PathBuf> = skip
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let base = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
    let mut out = vec![References::default(); names.len()];
    let (Some(first), false) = (canonical.first(), names.is_empty()) else {
        return Ok(out);
    };
    let matcher = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(names)
        .map_err(|e| SearchError::Patterns(names.len(), e))?;

    let mut walk = ignore::WalkBuilder::new(first);
    for root in &canonical[1..] {
        walk.add(root);
    }
    let skipped = skip.clone();
    walk.follow_links(false)
        .threads(rayon::current_num_threads())
        .filter_entry(move |entry| !skipped.iter().any(|s| entry.path().starts_with(s)));
    // Per file: (path, [(name index, count, first line, first column)]).
    type Hits = Vec<(u32, usize, u32, u32)>;
    let found: Mutex<Vec<(PathBuf, Hits)>> = Mutex::new(Vec::new());
    walk.build_parallel().run(|| {
        let matcher = &matcher;
        let found = &found;
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return ignore::WalkState::Continue;
            };
            // A link is never followed, a root given as a file is searched.
            let is_file = entry.file_type().is_some_and(|t| t.is_file());
            if !is_file {
                return ignore::WalkState::Continue;
            }
            let hits = scan(matcher, entry.path());
            if !hits.is_empty() {
                if let Ok(mut found) = found.lock() {
                    found.push((entry.into_path(), hits));
                }
            }
            ignore::WalkState::Continue
        })
    });
    let mut found = found.into_inner().unwrap_or_default();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    // The same file reached through two roots counts once.
    found.dedup_by(|a, b| a.0 == b.0);
    for (path, hits) in found {
        let shown = shown_path(&base, &path);
        for (index, count, line, column) in hits {
            let refs = &mut out[index as usize];
            refs.count += count;
            if refs.first.is_none() {
                refs.first = Some(Location {
                    path: shown.clone(),
                    line,
                    column,
                });
            }
        }
    }
    Ok(out)
}

/// The whole-word mentions in one file: per name, how many and where first.
fn scan(matcher: &AhoCorasick, path: &Path) -> Vec<(u32, usize, u32, u32)> {
    let too_big = std::fs::metadata(path).map_or(true, |m| m.len() > MAX_FILE);
    if too_big {
        return Vec::new();
    }
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    if bytes[..bytes.len().min(BINARY_PEEK)].contains(&0) {
        return Vec::new();
    }
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut counts: HashMap<u32, (usize, usize)> = HashMap::new();
    for m in matcher.find_overlapping_iter(&bytes) {
        let before = m.start().checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(m.end()).copied();
        if before.is_some_and(word) || after.is_some_and(word) {
            continue;
        }
        let entry = counts.entry(m.pattern().as_u32()).or_insert((0, m.start()));
        entry.0 += 1;
    }
    let mut hits: Vec<(u32, usize, u32, u32)> = counts
        .into_iter()
        .map(|(index, (count, offset))| {
            let (line, column) = position(&bytes, offset);
            (index, count, line, column)
        })
        .collect();
    hits.sort_unstable();
    hits
}

/// 1-based line and character column of byte `offset`.
fn position(bytes: &[u8], offset: usize) -> (u32, u32) {
    let before = &bytes[..offset];
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

fn shown_path(base: &Path, path: &Path) -> String {
    let shown = path.strip_prefix(base).unwrap_or(path);
    shown.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        assert_eq!(position(b"ab\ncd", 4), (2, 2));
        assert_eq!(position("é x".as_bytes(), 3), (1, 3));
        assert_eq!(position(b"x", 0), (1, 1));
    }

    #[test]
    fn whole_words_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("app.ts");
        std::fs::write(
            &file,
            "if (flags.get('feature_a')) {}\nfeature_a_v2\nmy_feature_a\n  feature_a;\n",
        )
        .expect("write");
        let refs = search(
            &[dir.path().to_path_buf()],
            &[],
            dir.path(),
            &["feature_a", "feature_a_v2", "gone"],
        )
        .expect("search");
        assert_eq!(refs[0].count, 2);
        assert_eq!(
            refs[0].first,
            Some(Location {
                path: "app.ts".to_owned(),
                line: 1,
                column: 16
            })
        );
        assert_eq!(refs[1].count, 1);
        assert_eq!(refs[2], References::default());
    }
}
