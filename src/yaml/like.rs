//! Reading a text against a similar one already read: the environments' copies of a flag differ
//! in a field or two, so the top-level entries a copy shares byte for byte with its upstream's
//! are taken from the upstream's tree (their lines moved) and only the others are parsed.
//!
//! The result is the one [`parse`] gives, or `parse` is what runs. Sharing holds only where each
//! top-level entry is a block of lines that cannot reach into another: a block mapping whose
//! keys start at column 1 (the parser is asked to confirm each one), after comments alone, with
//! no anchor (`&`: an alias may copy a value across entries) and no bare carriage return (a line
//! break this splitter would not see). Anything else is parsed whole.

use super::{Document, Entry, Node, Pos, Value, YamlError, parse};

/// Reads `text` exactly as [`parse`] does, sharing entries with `like`, a text `parse` read into
/// `like_root`.
pub fn parse_like(text: &str, like: &str, like_root: &Node) -> Result<Document, YamlError> {
    match shared(text, like, like_root) {
        Some(doc) => Ok(doc),
        None => parse(text),
    }
}

/// The document of `text` built from `like_root`'s entries and a parse of the entries that
/// differ, if the texts are made of self-contained entries.
fn shared(text: &str, like: &str, like_root: &Node) -> Option<Document> {
    let ours = Blocks::of(text)?;
    let theirs = Blocks::of(like)?;
    if ours.preamble() != theirs.preamble() || !theirs.are_entries_of(like_root) {
        return None;
    }
    let their_entries = like_root.as_map()?;
    let their_blocks: foldhash::HashMap<&str, usize> = (0..theirs.len())
        .rev()
        .map(|j| (theirs.block(j), j))
        .collect();
    // Each block: the entry of `like` it repeats, or none (parsed below).
    let found: Vec<Option<usize>> = (0..ours.len())
        .map(|i| their_blocks.get(ours.block(i)).copied())
        .collect();
    let own: Vec<usize> = (0..ours.len()).filter(|&i| found[i].is_none()).collect();
    if own.len() == ours.len() {
        return None;
    }
    // The entries of their own, parsed together, each where it starts in that text.
    let mut rest = String::new();
    let mut rest_lines = Vec::with_capacity(own.len());
    let mut line = 1;
    for &i in &own {
        let block = ours.block(i);
        rest_lines.push(line);
        line += u32::try_from(memchr::memchr_iter(b'\n', block.as_bytes()).count()).ok()?;
        rest.push_str(block);
    }
    let mut parsed = Vec::new();
    if !own.is_empty() {
        let doc = parse(&rest).ok()?;
        let root = doc.root?;
        if !doc.duplicate_keys.is_empty() || !starts_at(&root, &rest_lines) {
            return None;
        }
        let Value::Map(entries) = root.value else {
            return None;
        };
        parsed = entries;
    }
    let mut parsed = parsed.into_iter().zip(rest_lines);
    let mut entries: Vec<Entry> = Vec::with_capacity(ours.len());
    for (i, theirs_at) in found.iter().enumerate() {
        let to = ours.starts[i].1;
        let (mut entry, from) = match theirs_at {
            Some(j) => (their_entries[*j].clone(), theirs.starts[*j].1),
            None => parsed.next()?,
        };
        entry.move_lines(from, to);
        entries.push(entry);
    }
    let mut keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|pair| pair[0] == pair[1]) {
        // The duplicate-key finding is the whole parse's to word.
        return None;
    }
    let pos = entries.first()?.key_pos;
    Some(Document {
        root: Some(Node {
            value: Value::Map(entries),
            pos,
        }),
        duplicate_keys: Vec::new(),
    })
}

/// Whether `root` is a mapping whose keys start, in order, at column 1 of `lines`, and which
/// starts at its first key.
fn starts_at(root: &Node, lines: &[u32]) -> bool {
    let Some(entries) = root.as_map() else {
        return false;
    };
    entries.len() == lines.len()
        && entries.first().is_some_and(|e| e.key_pos == root.pos)
        && entries
            .iter()
            .zip(lines)
            .all(|(e, &line)| e.key_pos == Pos { line, column: 1 })
}

/// A text cut before each line that starts at column 1 with something that may be a key.
struct Blocks<'a> {
    text: &'a str,
    /// Byte offset and 1-based line of each block's first line.
    starts: Vec<(usize, u32)>,
}

impl<'a> Blocks<'a> {
    /// The blocks of `text`, if it has no anchor, no bare carriage return, and only comments
    /// and blank lines before its first block.
    fn of(text: &'a str) -> Option<Blocks<'a>> {
        let bytes = text.as_bytes();
        if memchr::memchr(b'&', bytes).is_some()
            || memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n'))
        {
            return None;
        }
        let mut starts = Vec::new();
        let line_starts =
            std::iter::once(0).chain(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        for (line, offset) in (1..).zip(line_starts) {
            match bytes.get(offset) {
                None => {}
                Some(b' ' | b'\t' | b'#' | b'-' | b'\r' | b'\n') if starts.is_empty() => {
                    let content = text[offset..].split('\n').next().unwrap_or_default();
                    let content = content.trim_start_matches([' ', '\t']).trim_end();
                    if !(content.is_empty() || content.starts_with('#')) {
                        return None;
                    }
                }
                Some(b' ' | b'\t' | b'#' | b'-' | b'\r' | b'\n') => {}
                Some(_) => starts.push((offset, line)),
            }
        }
        (!starts.is_empty()).then_some(Blocks { text, starts })
    }

    fn len(&self) -> usize {
        self.starts.len()
    }

    fn block(&self, i: usize) -> &'a str {
        let end = self.starts.get(i + 1).map_or(self.text.len(), |s| s.0);
        &self.text[self.starts[i].0..end]
    }

    /// The comments and blank lines before the first block.
    fn preamble(&self) -> &'a str {
        &self.text[..self.starts[0].0]
    }

    /// Whether each block is one entry of `root`, the tree of this text.
    fn are_entries_of(&self, root: &Node) -> bool {
        let lines: Vec<u32> = self.starts.iter().map(|s| s.1).collect();
        starts_at(root, &lines)
    }
}

impl Entry {
    /// Moves the entry from line `from` to line `to`, and everything in it alike.
    fn move_lines(&mut self, from: u32, to: u32) {
        // Every line of the entry is at or after `from`: the sum is exact.
        let moved = |pos: &mut Pos| pos.line = pos.line.wrapping_sub(from).wrapping_add(to);
        moved(&mut self.key_pos);
        let mut stack = vec![&mut self.value];
        while let Some(node) = stack.pop() {
            moved(&mut node.pos);
            match &mut node.value {
                Value::Seq(items) => stack.extend(items.iter_mut()),
                Value::Map(entries) => {
                    for entry in entries {
                        moved(&mut entry.key_pos);
                        stack.push(&mut entry.value);
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DEV: &str = "# Owned by search.\nname: search_v2\nversion: 1.3.4\ndescription: |\n  Ranking v2.\n\n  For everyone.\nvariants:\n  on: true\n  off: false\ndefault: off\n\nenabled: true\nrules:\n  - when:\n      - { attribute: tenant, op: starts_with, value: acme- }\n    serve: on\nrollout: { on: 75, off: 25 }\n";

    fn tree(text: &str) -> Node {
        parse(text).expect("parses").root.expect("has a root")
    }

    #[test]
    fn a_copy_that_differs_in_a_field_shares_the_others_and_reads_the_same() {
        let staging = DEV
            .replace("version: 1.3.4", "version: 1.3.3")
            .replace("on: 75, off: 25", "on: 50, off: 50")
            .replace("rules:", "owner: search\nrules:");
        let shared = shared(&staging, DEV, &tree(DEV)).expect("shares entries");
        assert_eq!(shared, parse(&staging).expect("parses"));
        let root = shared.root.as_ref().expect("has a root");
        let owner = root.entry("owner").expect("has an owner");
        assert_eq!(
            owner.key_pos,
            Pos {
                line: 14,
                column: 1
            }
        );
    }

    #[test]
    fn an_anchor_a_directive_or_a_bare_carriage_return_is_parsed_whole() {
        let base = tree(DEV);
        for text in [
            DEV.replace("default: off", "default: &d off"),
            format!("%YAML 1.2\n---\n{DEV}"),
            DEV.replace("enabled: true\n", "enabled: true\r"),
        ] {
            assert_eq!(shared(&text, DEV, &base), None, "{text}");
            assert_eq!(parse_like(&text, DEV, &base), parse(&text));
        }
        // An alias copies its anchor's value across entries.
        let (like, text) = ("a: &x 1\nb: *x\n", "a: &x 2\nb: *x\n");
        let read = parse_like(text, like, &tree(like)).expect("parses");
        let b = read
            .root
            .as_ref()
            .and_then(|root| root.get("b"))
            .expect("has b");
        assert_eq!(b.value, Value::Int(2));
    }

    /// Pieces of flag files, well-formed and not: entries of every shape, and lines that join,
    /// break or tie entries together.
    const PIECES: &[&str] = &[
        // Entries.
        "name: x\n",
        "version: 1.2.3\n",
        "version: 1.2.4\n",
        "description: hello\n",
        "description: |\n  multi\n\n  line\n",
        "description: >-\n  folded\n  text\n",
        "quoted: \"a\n  b\"\n",
        "plain: a\n  b\n",
        "empty:\n",
        "empty: \n# said\n",
        "list:\n- a\n- b\n",
        "list:\n  - a\n  - {x: 1}\n",
        "flow: { a: 1, b: [1, 2] }\n",
        "flow: [a,\n  b]\n",
        "map:\n  k: v\n  n:\n    deep: 1\n",
        "'quoted key': 1\n",
        "\"dq\": 2\n",
        "key: value # trailing\n",
        "date: 2032-10-24\n",
        "x: on\n",
        "tagged: !!str 3\n",
        "é: ünïcode\n",
        "# comment\n",
        "\n",
        // Lines that join, break or tie entries.
        "quoted: \"a\nb\"\n",
        "plain: a\nb\n",
        "flow: [a,\nb]\n",
        "num: 0x1F\n",
        "!!str tk: 1\n",
        "  indented: 1\n",
        "continuation\n",
        "---\n",
        "...\n",
        "- item\n",
        "a: &x 1\n",
        "b: *x\n",
        "\tname: tab\n",
        "name:\ty\n",
        "c: 1\r\n",
        "d: 2\re: 3\n",
        "? complex\n: value\n",
        "{flow: root}\n",
        "<<<<<<< HEAD\n",
        "%YAML 1.2\n",
        "key: 'unterminated\n",
        "k: [unclosed\n",
        ":\n",
        "name: x",
    ];
    /// The entries come first in `PIECES`.
    const ENTRIES: usize = 24;

    fn piece() -> impl Strategy<Value = usize> {
        prop_oneof![6 => 0..ENTRIES, 1 => ENTRIES..PIECES.len()]
    }

    fn pieces() -> impl Strategy<Value = Vec<usize>> {
        proptest::collection::vec(piece(), 1..12)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Whatever the two texts, reading one against the other gives what parsing it gives.
        #[test]
        fn reading_against_another_text_is_parsing(
            base in pieces(),
            edits in proptest::collection::vec((0..5u8, piece()), 1..12),
        ) {
            let base: String = base.iter().map(|&i| PIECES[i]).collect();
            let mut target = String::new();
            let mut kept = base.split_inclusive('\n');
            for (op, piece) in edits {
                match op {
                    0..=2 => target.push_str(kept.next().unwrap_or_default()),
                    3 => target.push_str(PIECES[piece]),
                    _ => {
                        target.push_str(PIECES[piece]);
                        kept.next();
                    }
                }
            }
            target.extend(kept);
            let Ok(Document { root: Some(root), .. }) = parse(&base) else {
                return Ok(());
            };
            prop_assert_eq!(parse_like(&target, &base, &root), parse(&target));
        }
    }
}
