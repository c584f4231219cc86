//! The loader fed random, mutated and pathological bytes: it returns a tree or a finding, never
//! panics, and whatever position it reports lies within the text.
//!
//! Calls the library directly (`repo::parse_bytes`, `yaml::parse`, then the model and the schema),
//! as `validate` does for each file.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use flagctl::model::Flag;
use flagctl::repo::{self, MAX_FILE_BYTES};
use flagctl::schema::Schema;
use flagctl::yaml::{self, Node, Pos};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::support::project_root;

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(if std::env::var_os("CI").is_some() {
        4000
    } else {
        1000
    })
}

fn flag_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(Schema::flag)
}

/// The real flag and segment files of the project (the demo tree and the examples), each at
/// most the size the loader reads; symbolic links are left out (one points outside the project).
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = project_root();
        let mut paths = Vec::new();
        for dir in ["flags", "segments", "examples"] {
            yaml_files(&root.join(dir), &mut paths);
        }
        paths.sort();
        let seeds: Vec<Vec<u8>> = paths
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .filter(|bytes| bytes.len() as u64 <= MAX_FILE_BYTES)
            .collect();
        assert!(seeds.len() > 50, "too few seed files: {}", seeds.len());
        seeds
    })
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            yaml_files(&path, out);
        } else if meta.is_file() && path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// How many lines a position may name in `text`: one past the last, for the end of input. Lines
/// end as YAML says they do: at `\n`, `\r\n` or a lone `\r`.
fn line_limit(text: &[u8]) -> u32 {
    let breaks = text
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && text.get(i + 1) != Some(&b'\n')))
        .count();
    u32::try_from(breaks + 2).unwrap_or(u32::MAX)
}

fn assert_within(pos: Pos, text: &[u8], what: &str) {
    let limit = line_limit(text);
    assert!(
        pos.line >= 1 && pos.line <= limit && pos.column >= 1,
        "{what} at {}:{} is outside the text ({} lines):\n{}",
        pos.line,
        pos.column,
        limit - 1,
        String::from_utf8_lossy(text)
    );
}

/// What `validate` does with one file's bytes, minus the rules: parse, and for a mapping build the
/// model and run the schema. Positions of every finding and violation must lie within the text.
fn load(bytes: &[u8]) {
    match repo::parse_bytes("f.yaml", bytes) {
        Ok(parsed) => {
            for finding in &parsed.findings {
                let pos = Pos {
                    line: finding.line.unwrap_or(0),
                    column: finding.column.unwrap_or(0),
                };
                assert_within(pos, bytes, finding.code.as_str());
            }
            check_tree(&parsed.root, bytes);
        }
        Err(finding) => {
            assert!(
                finding.code.as_str().starts_with("yaml/"),
                "unexpected code {}",
                finding.code
            );
            let pos = Pos {
                line: finding.line.unwrap_or(0),
                column: finding.column.unwrap_or(0),
            };
            assert_within(pos, bytes, finding.code.as_str());
        }
    }
    // The text-level parser on its own, as the configuration loader calls it.
    let text = String::from_utf8_lossy(bytes);
    match yaml::parse(&text) {
        Ok(doc) => {
            if let Some(root) = doc.root.as_ref().filter(|r| r.as_map().is_some()) {
                check_tree(root, text.as_bytes());
            }
        }
        Err(err) => assert_within(err.pos, text.as_bytes(), err.code.into()),
    }
}

fn check_tree(root: &Node, text: &[u8]) {
    assert_within(root.pos, text, "the root");
    let flag = Flag::from_node(root);
    let _ = flag.name();
    let _ = flag.serves().count();
    let json = root.to_json();
    for violation in flag_schema().check(root, &json) {
        assert_within(violation.pos, text, violation.code.into());
    }
}

/// One edit of a file's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(Index, u8),
    Insert(Index, u8),
    InsertText(Index, &'static str),
    Delete(Index, usize),
    Truncate(Index),
    DuplicateLine(Index, usize),
    SwapLines(Index, Index),
}

const PUNCTUATION: &[u8] = b"[]{}:-&*!|>'\"#%@,?\t\n\r ";
const SNIPPETS: &[&str] = &[
    ": ",
    "- ",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!str ",
    "!!binary ",
    "!tag ",
    "? ",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "\t",
    "\n  ",
    "\"\\u00e9\\x\"",
    "'it''s'",
    "{a: [b, {c: d}]}",
    "[[[[[[[[",
    "]]]]",
    "\u{feff}",
    "é",
    "\r\n",
    "<<<<<<< HEAD\n",
    "=======\n",
    "0x1F",
    ".nan",
    "-.inf",
    "1e400",
    "99999999999999999999999",
    "~",
    "null",
    "yes",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(i, bit)| Mutation::FlipBit(i, bit)),
        (any::<Index>(), prop::sample::select(PUNCTUATION))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<Index>(), prop::sample::select(SNIPPETS))
            .prop_map(|(i, s)| Mutation::InsertText(i, s)),
        (any::<Index>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), 1usize..4).prop_map(|(i, n)| Mutation::DuplicateLine(i, n)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

/// Byte offsets of line starts.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|&i| i <= bytes.len())
        .collect()
}

fn line_range(bytes: &[u8], index: &Index) -> std::ops::Range<usize> {
    let starts = line_starts(bytes);
    let n = index.index(starts.len());
    let start = starts[n];
    let end = starts.get(n + 1).copied().unwrap_or(bytes.len());
    start..end
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let at = |i: &Index, len: usize| i.index(len + 1);
    match m {
        Mutation::FlipBit(i, bit) => {
            if !bytes.is_empty() {
                let n = i.index(bytes.len());
                bytes[n] ^= 1 << bit;
            }
        }
        Mutation::Insert(i, b) => {
            let n = at(i, bytes.len());
            bytes.insert(n, *b);
        }
        Mutation::InsertText(i, s) => {
            let n = at(i, bytes.len());
            bytes.splice(n..n, s.bytes());
        }
        Mutation::Delete(i, len) => {
            if !bytes.is_empty() {
                let n = i.index(bytes.len());
                let end = (n + len).min(bytes.len());
                bytes.drain(n..end);
            }
        }
        Mutation::Truncate(i) => {
            let n = at(i, bytes.len());
            bytes.truncate(n);
        }
        Mutation::DuplicateLine(i, times) => {
            let range = line_range(bytes, i);
            let line = bytes[range.clone()].to_vec();
            for _ in 0..*times {
                bytes.splice(range.end..range.end, line.iter().copied());
            }
        }
        Mutation::SwapLines(a, b) => {
            let (ra, rb) = (line_range(bytes, a), line_range(bytes, b));
            if ra.start == rb.start {
                return;
            }
            let (first, second) = if ra.start < rb.start {
                (ra, rb)
            } else {
                (rb, ra)
            };
            let mut out = Vec::with_capacity(bytes.len());
            out.extend_from_slice(&bytes[..first.start]);
            out.extend_from_slice(&bytes[second.clone()]);
            out.extend_from_slice(&bytes[first.end..second.start]);
            out.extend_from_slice(&bytes[first.clone()]);
            out.extend_from_slice(&bytes[second.end..]);
            *bytes = out;
        }
    }
}

/// A real file, edited a few times.
fn mutated_seed() -> impl Strategy<Value = Vec<u8>> {
    (any::<Index>(), prop::collection::vec(mutation(), 1..8)).prop_map(|(seed, mutations)| {
        let seeds = seeds();
        let mut bytes = seeds[seed.index(seeds.len())].clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        bytes
    })
}

/// The head of a valid flag, so that generated values reach the model and the schema.
const FLAG_HEAD: &str = "name: f\nversion: 1.0.0\ndescription: d\nowner: o\ntype: boolean\nlifecycle: draft\nenabled: true\n";

/// A value nested `depth` levels, each level a flow or block sequence or mapping.
fn nested(kinds: &[u8], leaf: &str) -> String {
    let mut text = String::from(leaf);
    for (level, kind) in kinds.iter().enumerate().rev() {
        let indent = "  ".repeat(level + 1);
        text = match kind % 4 {
            0 => format!("[{text}]"),
            1 => format!("{{k: {text}}}"),
            2 => format!("\n{indent}- {}", text.trim_start()),
            _ => format!("\n{indent}k{level}: {}", text.trim_start()),
        };
    }
    text
}

/// Deep nesting: balanced or not, flow or block, around a valid flag's head or alone.
fn deep_yaml() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(any::<u8>(), 0..200),
        prop::sample::select(&["x", "", "*a", "&a x", "[", "]]", "{", ": :"][..]),
        any::<bool>(),
        0usize..3,
    )
        .prop_map(|(kinds, leaf, in_flag, cut)| {
            let value = nested(&kinds, leaf);
            // Sometimes drop a few closing brackets.
            let value = value[..value.len() - cut.min(value.len())].to_owned();
            if in_flag {
                format!("{FLAG_HEAD}annotations:\n  deep: {value}\n")
            } else {
                format!("root: {value}\n")
            }
        })
}

/// "Billion laughs" and friends: chains of anchors, each a list of aliases of the one before,
/// aliases used as keys, merge keys, and aliases to anchors not (yet) defined.
fn alias_yaml() -> impl Strategy<Value = String> {
    (
        1usize..14,
        1usize..14,
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(
            &[
                "",
                "  dangling: *nope\n",
                "  <<: *a0\n",
                "  ? *a0\n  : x\n",
                "  *a0 : x\n",
                "  late: *z\n  z0: &z 1\n",
            ][..],
        ),
    )
        .prop_map(|(levels, width, flow, in_flag, extra)| {
            let mut text = String::new();
            if in_flag {
                text.push_str(FLAG_HEAD);
                text.push_str("annotations:\n");
            } else {
                text.push_str("root:\n");
            }
            text.push_str("  a0: &a0 lol\n");
            for level in 1..levels {
                let prev = level - 1;
                if flow {
                    let items = vec![format!("*a{prev}"); width].join(", ");
                    text.push_str(&format!("  a{level}: &a{level} [{items}]\n"));
                } else {
                    text.push_str(&format!("  a{level}: &a{level}\n"));
                    for _ in 0..width {
                        text.push_str(&format!("    - *a{prev}\n"));
                    }
                }
            }
            text.push_str(extra);
            text
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        load(&bytes);
    }

    #[test]
    fn yaml_punctuation_soup_never_panics(
        bytes in prop::collection::vec(
            prop::sample::select(b"[]{}:-&*!|>'\"#%@,?\t\n\r abc01.".as_slice()),
            0..256,
        )
    ) {
        load(&bytes);
    }

    #[test]
    fn mutated_flag_files_never_panic(bytes in mutated_seed()) {
        load(&bytes);
    }

    #[test]
    fn deep_nesting_never_panics(text in deep_yaml()) {
        load(text.as_bytes());
        // Past the limit it is the depth finding (or a syntax error when unbalanced), never a
        // tree deeper than the limit.
        if let Ok(doc) = yaml::parse(&text) {
            if let Some(root) = &doc.root {
                prop_assert!(depth(root) <= yaml::MAX_DEPTH + 1, "a tree {} deep", depth(root));
            }
        }
    }

    #[test]
    fn alias_chains_never_panic_and_stay_bounded(text in alias_yaml()) {
        load(text.as_bytes());
        if let Ok(doc) = yaml::parse(&text) {
            if let Some(root) = &doc.root {
                // Every alias copy counts against the budget, so the tree stays small.
                prop_assert!(
                    size(root) <= yaml::MAX_ALIAS_NODES + text.len(),
                    "a tree of {} nodes from {} bytes", size(root), text.len()
                );
            }
        }
    }
}

fn depth(node: &Node) -> usize {
    use flagctl::yaml::Value;
    // Iterative: the property is about trees too deep to walk recursively.
    let mut deepest = 0;
    let mut stack = vec![(node, 1usize)];
    while let Some((node, d)) = stack.pop() {
        deepest = deepest.max(d);
        match &node.value {
            Value::Seq(items) => stack.extend(items.iter().map(|n| (n, d + 1))),
            Value::Map(entries) => stack.extend(entries.iter().map(|e| (&e.value, d + 1))),
            _ => {}
        }
    }
    deepest
}

fn size(node: &Node) -> usize {
    use flagctl::yaml::Value;
    let mut count = 0;
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        count += 1;
        match &node.value {
            Value::Seq(items) => stack.extend(items),
            Value::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
            _ => {}
        }
    }
    count
}

/// The files of `examples/broken` load as their README says, through the same entry point the
/// properties above exercise (so that a property passing on an inert loader would be noticed).
#[test]
fn the_loader_reports_the_pathological_examples() {
    let dir = project_root().join("examples/broken/flags/dev");
    let code = |name: &str| {
        let bytes = std::fs::read(dir.join(name)).expect("example file");
        repo::parse_bytes(name, &bytes)
            .map(|_| ())
            .map_err(|f| f.code.as_str())
    };
    assert_eq!(code("alias_bomb.yaml"), Err("yaml/alias-limit"));
    assert_eq!(code("too_deep.yaml"), Err("yaml/too-deep"));
    assert_eq!(code("non_utf8.yaml"), Err("yaml/non-utf8"));
    assert_eq!(code("merge_conflict.yaml"), Err("yaml/merge-conflict"));
    assert_eq!(code("expired.yaml"), Ok(()));
}

#[test]
fn deep_nesting_just_past_the_limit_is_too_deep() {
    let at = |levels: usize| {
        let text = format!("k: {}x{}\n", "[".repeat(levels), "]".repeat(levels));
        yaml::parse(&text)
            .map(|_| ())
            .map_err(|e| <&str>::from(e.code))
    };
    // The root mapping is one level: 63 brackets fit, 64 do not.
    assert_eq!(at(yaml::MAX_DEPTH - 1), Ok(()));
    assert_eq!(at(yaml::MAX_DEPTH), Err("yaml/too-deep"));
    assert_eq!(at(100_000), Err("yaml/too-deep"));
}
