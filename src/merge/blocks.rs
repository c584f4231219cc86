//! A flag file's text cut into top-level blocks: the lines before the first key, then each key's
//! lines up to the next key (comment lines between two keys go with the first).

use std::ops::Range;

use super::Version;
use crate::yaml::Node;

#[derive(Debug, Clone)]
pub(crate) struct Blocks {
    /// The comments (and `---`) before the first key.
    pub preamble: Range<usize>,
    /// Each top-level key and the byte range of its lines, in the order written.
    pub entries: Vec<(String, Range<usize>)>,
}

impl Blocks {
    /// The blocks of `version`, if every top-level key starts a line of its own at column 1.
    pub fn of(version: &Version) -> Option<Blocks> {
        Blocks::cut(&version.text, version.root.as_ref())
    }

    pub fn cut(text: &str, root: Option<&Node>) -> Option<Blocks> {
        let Some(root) = root else {
            return Some(Blocks {
                preamble: 0..text.len(),
                entries: Vec::new(),
            });
        };
        let starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut lines = Vec::new();
        for entry in root.as_map()? {
            let line = entry.key_pos.line as usize;
            if entry.key_pos.column != 1 || lines.last().is_some_and(|&last| last >= line) {
                return None;
            }
            lines.push(line);
        }
        let offset = |line: usize| starts.get(line - 1).copied();
        let mut entries = Vec::with_capacity(lines.len());
        for (i, entry) in root.as_map()?.iter().enumerate() {
            let start = offset(lines[i])?;
            let end = match lines.get(i + 1) {
                Some(&next) => offset(next)?,
                None => text.len(),
            };
            entries.push((entry.key.clone(), start..end));
        }
        let first = entries.first().map_or(text.len(), |(_, r)| r.start);
        Some(Blocks {
            preamble: 0..first,
            entries,
        })
    }

    pub fn range(&self, key: &str) -> Option<Range<usize>> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, r)| r.clone())
    }

    /// The key whose block holds 1-based `line` (`None`: the preamble).
    pub fn key_at_line(&self, text: &str, line: u32) -> Option<&str> {
        let start = match line {
            0 => return None,
            1 => 0,
            n => text.match_indices('\n').nth(n as usize - 2)?.0 + 1,
        };
        self.entries
            .iter()
            .find(|(_, r)| r.contains(&start))
            .map(|(k, _)| k.as_str())
    }
}
