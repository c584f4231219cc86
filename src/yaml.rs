//! Reading YAML 1.2 into a small tree whose every node knows its line and column.
//!
//! The tree is built straight from `saphyr-parser` events with an explicit stack (no recursion, so
//! 100,000 nested brackets are a finding, not a stack overflow), scalars are resolved by YAML 1.2's
//! core schema (`on`/`yes` stay strings), duplicate keys are caught as each mapping is built, and
//! aliases are expanded against a budget (billion laughs is a finding, not an out-of-memory).

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::finding::Severity;

mod like;

pub use like::parse_like;

/// Nesting deeper than this is `yaml/too-deep`: no flag needs it, and it bounds every walk.
pub const MAX_DEPTH: usize = 64;
/// Nodes an alias may copy into a document, in all, before it is `yaml/alias-limit`.
pub const MAX_ALIAS_NODES: usize = 10_000;

/// A 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, column: 1 };

    fn from_span(span: &Span) -> Pos {
        Pos {
            line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
            column: u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        }
    }

    /// The position of byte `offset` in `text` (which must lie on a character boundary or be the
    /// first invalid byte of a UTF-8 prefix).
    pub fn at_offset(text: &[u8], offset: usize) -> Pos {
        let before = &text[..offset.min(text.len())];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

/// A value of the document and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping, in source order.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

/// As JSON: keys in the order of a `serde_json` map (sorted), so that the text written straight
/// from a node is the text of its [`Node::to_json`]. A float JSON cannot hold is `null`.
impl serde::Serialize for Node {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match &self.value {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Float(f) if f.is_finite() => serializer.serialize_f64(*f),
            Value::Float(_) => serializer.serialize_unit(),
            Value::Str(s) => serializer.serialize_str(s),
            Value::Seq(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut sorted: Vec<&Entry> = entries.iter().collect();
                sorted.sort_unstable_by(|a, b| a.key.cmp(&b.key));
                let mut map = serializer.serialize_map(Some(sorted.len()))?;
                for entry in sorted {
                    map.serialize_entry(&entry.key, &entry.value)?;
                }
                map.end()
            }
        }
    }
}

/// Why a text could not be read as YAML; `code` is the finding code.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
    pub pos: Pos,
}

/// The codes of the YAML layer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "yaml/")]
pub enum Code {
    /// The YAML parser could not read the file; the position is where it gave up, which is often just
    /// after the real mistake (an unclosed quote or bracket, a missing `:`, a wrong indentation).
    /// Nothing else in the file is checked until it parses.
    #[strum(message = "the file is not valid YAML")]
    Syntax,
    /// YAML forbids a key twice in one mapping, and parsers disagree on which one wins (many keep the
    /// last silently). flagctl keeps neither silently: the second occurrence is the finding.
    #[strum(message = "a key appears twice in one mapping")]
    DuplicateKey,
    /// YAML indents with spaces only; a tab in the indentation makes the file invalid.
    #[strum(message = "a tab is used for indentation")]
    TabIndent,
    /// Flag files are UTF-8. The position is the first byte that is not; it usually comes from an
    /// editor saving in Latin-1 or Windows-1252.
    #[strum(message = "the file is not UTF-8")]
    NonUtf8,
    /// A merge left `<<<<<<<`/`=======`/`>>>>>>>` markers in the file. Resolve the conflict (keep one
    /// side, or combine them), remove the markers, and validate again.
    #[strum(message = "the file holds git merge-conflict markers")]
    MergeConflict,
    /// YAML aliases (`*name`) copy an anchored value (`&name`); nested aliases multiply (a "billion
    /// laughs" bomb grows to gigabytes from a few lines). flagctl stops after 10,000 copied values.
    #[strum(message = "anchors and aliases expand past the limit")]
    AliasLimit,
    /// No flag needs more than a few levels of nesting; past 64 the file is rejected, so that no input
    /// can exhaust the stack of flagctl or of any tool reading the file after it.
    #[strum(message = "values nest deeper than 64 levels")]
    TooDeep,
    /// A flag file is a few hundred bytes. Files over 1 MiB are not read: they are almost certainly
    /// not a flag, and reading them would slow every command down.
    #[strum(message = "the file is larger than 1 MiB")]
    TooLarge,
    /// The file holds no YAML value (it is empty, or only comments). Write the flag, or delete the file.
    #[strum(message = "the file is empty")]
    Empty,
    /// A flag or segment file is a mapping of keys (`name: …`, `version: …`), not a list or a single value.
    #[strum(message = "the top level of the file is not a mapping")]
    NotAMapping,
}

impl crate::finding::Codes for Code {
    fn severity(self) -> Severity {
        match self {
            Code::Syntax
            | Code::DuplicateKey
            | Code::TabIndent
            | Code::NonUtf8
            | Code::MergeConflict
            | Code::AliasLimit
            | Code::TooDeep
            | Code::TooLarge
            | Code::Empty
            | Code::NotAMapping => Severity::Error,
        }
    }
}

/// A document read from text: its root (`None` for an empty document) and the duplicate keys met on
/// the way (the first occurrence is kept, as every other key of the mapping is).
#[derive(Debug, Default, PartialEq)]
pub struct Document {
    pub root: Option<Node>,
    pub duplicate_keys: Vec<YamlError>,
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The entry under `key`, when this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key == key)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// What the node is, in a message: `string "yes"`, `a mapping`.
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => format!("boolean {b}"),
            Value::Int(i) => format!("number {i}"),
            Value::Float(f) => format!("number {f}"),
            Value::Str(s) => format!("string {s:?}"),
            Value::Seq(_) => "a list".to_owned(),
            Value::Map(_) => "a mapping".to_owned(),
        }
    }

    /// The node found by following an RFC 6901 JSON pointer, and the position a finding about it
    /// should use. An unresolved tail stops at the deepest node reached.
    pub fn locate(&self, pointer: &str) -> &Node {
        let mut node = self;
        for raw in pointer.split('/').skip(1) {
            let segment = raw.replace("~1", "/").replace("~0", "~");
            let next = match &node.value {
                Value::Map(entries) => entries.iter().find(|e| e.key == segment).map(|e| &e.value),
                Value::Seq(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            match next {
                Some(child) => node = child,
                None => break,
            }
        }
        node
    }

    /// The node as JSON, for the schema validator. Depth is bounded by [`MAX_DEPTH`].
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// A hash of the value alone: positions, key order and number spelling (`1` vs `1.0`) do not
    /// count, so two environments' copies of a field compare equal when they mean the same.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        // Seeded once per run at random: fingerprints are compared within a run only, and a
        // collision cannot be prepared in advance to hide a difference.
        static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let seed =
            *SEED.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0u8));
        let mut h = foldhash::quality::FixedState::with_seed(seed).build_hasher();
        match &self.value {
            Value::Null => 0u8.hash(&mut h),
            Value::Bool(b) => (1u8, b).hash(&mut h),
            Value::Int(i) => (2u8, (*i as f64).to_bits()).hash(&mut h),
            Value::Float(f) => (2u8, f.to_bits()).hash(&mut h),
            Value::Str(s) => (3u8, s).hash(&mut h),
            Value::Seq(items) => {
                4u8.hash(&mut h);
                for item in items {
                    item.fingerprint().hash(&mut h);
                }
            }
            Value::Map(entries) => {
                let mut pairs: Vec<(&str, u64)> = entries
                    .iter()
                    .map(|e| (e.key.as_str(), e.value.fingerprint()))
                    .collect();
                pairs.sort_unstable();
                (5u8, pairs).hash(&mut h);
            }
        }
        h.finish()
    }

    /// Each key of a mapping with the fingerprint of its value (none for other values).
    pub fn entry_fingerprints(&self) -> Vec<(String, u64)> {
        self.as_map()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.fingerprint()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn size(&self) -> usize {
        match &self.value {
            Value::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Value::Map(entries) => 1 + entries.iter().map(|e| e.value.size()).sum::<usize>(),
            _ => 1,
        }
    }
}

/// Checks that come before the parser: a text the parser would misread or reject less clearly.
fn precheck(text: &str) -> Result<(), YamlError> {
    let bytes = text.as_bytes();
    for marker in ["<<<<<<<", ">>>>>>>"] {
        let at = if text.starts_with(marker) {
            Some(0)
        } else {
            text.find(&format!("\n{marker}")).map(|i| i + 1)
        };
        if let Some(offset) = at {
            return Err(YamlError {
                code: Code::MergeConflict,
                message: "unresolved git merge-conflict marker".to_owned(),
                help: Some("resolve the conflict (keep one side, remove the markers), then run `flagctl validate` again".to_owned()),
                pos: Pos::at_offset(bytes, offset),
            });
        }
    }
    Ok(())
}

/// The first tab used as indentation at or before `line`, if any.
fn tab_indent_before(text: &str, line: u32) -> Option<Pos> {
    for (index, content) in text.lines().enumerate().take(line as usize) {
        let indent = content.len() - content.trim_start_matches([' ', '\t']).len();
        if let Some(col) = content[..indent].find('\t') {
            return Some(Pos {
                line: u32::try_from(index + 1).unwrap_or(u32::MAX),
                column: u32::try_from(col + 1).unwrap_or(u32::MAX),
            });
        }
    }
    None
}

/// A collection being built.
struct Frame {
    pos: Pos,
    anchor: usize,
    kind: FrameKind,
}

enum FrameKind {
    Seq(Vec<Node>),
    Map {
        entries: Vec<Entry>,
        pending_key: Option<(String, Pos)>,
        seen: Option<HashSet<String>>,
    },
}

/// Mappings up to this size look for duplicates by scanning; larger ones keep a set.
const LINEAR_KEY_SCAN: usize = 16;

/// Reads one YAML document from `text`.
pub fn parse(text: &str) -> Result<Document, YamlError> {
    precheck(text)?;
    parse_events(text).map_err(|err| {
        if err.code != Code::Syntax {
            return err;
        }
        // The scanner bounds flow nesting itself, before the tree's depth check sees it.
        if err.message.contains("recursion limit") {
            return too_deep(flow_depth_exceeded(text).unwrap_or(err.pos));
        }
        // A tab on the line after a plain scalar is reported at the scalar.
        if let Some(pos) = tab_indent_before(text, err.pos.line.saturating_add(1)) {
            return YamlError {
                code: Code::TabIndent,
                message: "tab character used for indentation".to_owned(),
                help: Some("YAML indents with spaces only; replace the tab with spaces".to_owned()),
                pos,
            };
        }
        err
    })
}

/// Where flow brackets first nest past [`MAX_DEPTH`] (quotes and comments aside), if they do.
fn flow_depth_exceeded(text: &str) -> Option<Pos> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut comment = false;
    for (offset, c) in text.char_indices() {
        match (quote, c) {
            (_, '\n') => {
                comment = false;
                if quote == Some('\'') || quote == Some('"') {
                    continue;
                }
            }
            _ if comment => {}
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '#') => comment = true,
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(Pos::at_offset(text.as_bytes(), offset));
                }
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn too_deep(pos: Pos) -> YamlError {
    YamlError {
        code: Code::TooDeep,
        message: format!("nesting deeper than {MAX_DEPTH} levels"),
        help: Some("flag files need a few levels; flatten this value".to_owned()),
        pos,
    }
}

fn parse_events(text: &str) -> Result<Document, YamlError> {
    let mut parser = Parser::new_from_str(text).keep_tags(true);
    let mut builder = TreeBuilder::default();
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| syntax_error(&e))?;
        builder.event(event, Pos::from_span(&span))?;
    }
    Ok(builder.doc)
}

/// The parser's own error, as a `yaml/syntax` finding where it gave up.
fn syntax_error(e: &saphyr_parser::ScanError) -> YamlError {
    YamlError {
        code: Code::Syntax,
        message: e.info().to_owned(),
        help: None,
        pos: Pos {
            line: u32::try_from(e.marker().line()).unwrap_or(u32::MAX),
            column: u32::try_from(e.marker().col() + 1).unwrap_or(u32::MAX),
        },
    }
}

/// The tree under construction: open collections, anchored values, the alias budget left.
struct TreeBuilder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_budget: usize,
    documents: usize,
    doc: Document,
}

impl Default for TreeBuilder {
    fn default() -> Self {
        TreeBuilder {
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_budget: MAX_ALIAS_NODES,
            documents: 0,
            doc: Document::default(),
        }
    }
}

impl TreeBuilder {
    /// Takes one parser event: opens or closes a collection, or completes a value.
    fn event(&mut self, event: Event<'_>, pos: Pos) -> Result<(), YamlError> {
        let (node, anchor) = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {
                return Ok(());
            }
            Event::DocumentStart(_) => return self.document_start(pos),
            Event::SequenceStart(anchor, _) => {
                return self.open(FrameKind::Seq(Vec::new()), anchor, pos);
            }
            Event::MappingStart(anchor, _) => {
                let map = FrameKind::Map {
                    entries: Vec::new(),
                    pending_key: None,
                    seen: None,
                };
                return self.open(map, anchor, pos);
            }
            Event::SequenceEnd | Event::MappingEnd => match self.close() {
                Some(closed) => closed,
                None => return Ok(()),
            },
            Event::Scalar(text, style, anchor, tag) => {
                let verbatim =
                    style != ScalarStyle::Plain || tag.as_ref().is_some_and(|t| t.suffix == "str");
                // The scanner hands over an owned string: moved into the tree, not copied.
                let text = text.into_owned();
                let value = if verbatim {
                    Value::Str(text)
                } else {
                    resolve_plain(text)
                };
                (Node { value, pos }, anchor)
            }
            Event::Alias(id) => (self.alias(id, pos)?, 0),
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.attach(node)
    }

    /// A flag file holds one document; a second `---` is a finding.
    fn document_start(&mut self, pos: Pos) -> Result<(), YamlError> {
        self.documents += 1;
        if self.documents > 1 {
            return Err(YamlError {
                code: Code::Syntax,
                message: "more than one YAML document in the file".to_owned(),
                help: Some(
                    "a flag file holds exactly one document; remove the extra `---`".to_owned(),
                ),
                pos,
            });
        }
        Ok(())
    }

    fn open(&mut self, kind: FrameKind, anchor: usize, pos: Pos) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(too_deep(pos));
        }
        self.stack.push(Frame { pos, anchor, kind });
        Ok(())
    }

    /// The collection just closed, with its anchor.
    fn close(&mut self) -> Option<(Node, usize)> {
        let frame = self.stack.pop()?;
        let value = match frame.kind {
            FrameKind::Seq(items) => Value::Seq(items),
            FrameKind::Map { entries, .. } => Value::Map(entries),
        };
        Some((
            Node {
                value,
                pos: frame.pos,
            },
            frame.anchor,
        ))
    }

    /// A copy of the anchored value, paid for from the alias budget.
    fn alias(&mut self, id: usize, pos: Pos) -> Result<Node, YamlError> {
        let Some(target) = self.anchors.get(&id) else {
            return Err(YamlError {
                code: Code::Syntax,
                message: "alias to an unknown anchor".to_owned(),
                help: None,
                pos,
            });
        };
        let size = target.size();
        if size > self.alias_budget {
            return Err(YamlError {
                code: Code::AliasLimit,
                message: format!("aliases expand past {MAX_ALIAS_NODES} values (an alias bomb?)"),
                help: Some("write the values out, or use fewer nested aliases".to_owned()),
                pos,
            });
        }
        self.alias_budget -= size;
        let mut copy = target.clone();
        copy.pos = pos;
        Ok(copy)
    }

    /// Puts a completed value where it belongs: the root, the next item of a list, or a key or
    /// value of a mapping.
    fn attach(&mut self, node: Node) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => self.doc.root = Some(node),
            Some(Frame {
                kind: FrameKind::Seq(items),
                ..
            }) => items.push(node),
            Some(Frame {
                kind:
                    FrameKind::Map {
                        entries,
                        pending_key,
                        seen,
                    },
                ..
            }) => match pending_key.take() {
                None => {
                    let pos = node.pos;
                    *pending_key = Some((key_text(node)?, pos));
                }
                Some((key, key_pos)) => {
                    if let Some(duplicate) = insert_entry(entries, seen, key, key_pos, node) {
                        self.doc.duplicate_keys.push(duplicate);
                    }
                }
            },
        }
        Ok(())
    }
}

/// The text of a mapping key; a list or mapping as a key is a finding.
fn key_text(node: Node) -> Result<String, YamlError> {
    Ok(match node.value {
        Value::Str(s) => s,
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Seq(_) | Value::Map(_) => {
            return Err(YamlError {
                code: Code::Syntax,
                message: "a list or mapping used as a mapping key".to_owned(),
                help: Some("keys of flag files are plain names".to_owned()),
                pos: node.pos,
            });
        }
    })
}

/// Adds `key: value` to a mapping being built, unless the key is already there: then the
/// first is kept and the duplicate is returned as a finding.
fn insert_entry(
    entries: &mut Vec<Entry>,
    seen: &mut Option<HashSet<String>>,
    key: String,
    key_pos: Pos,
    value: Node,
) -> Option<YamlError> {
    let duplicate = match seen {
        Some(set) => !set.insert(key.clone()),
        None => entries.iter().any(|e| e.key == key),
    };
    if duplicate {
        return Some(YamlError {
            code: Code::DuplicateKey,
            message: format!("duplicate key \"{key}\""),
            help: Some("a key may appear once per mapping; remove one of them".to_owned()),
            pos: key_pos,
        });
    }
    if seen.is_none() && entries.len() >= LINEAR_KEY_SCAN {
        let mut set: HashSet<String> = entries.iter().map(|e| e.key.clone()).collect();
        set.insert(key.clone());
        *seen = Some(set);
    }
    entries.push(Entry {
        key,
        key_pos,
        value,
    });
    None
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    resolve_number(&text).unwrap_or(Value::Str(text))
}

/// A plain scalar read as a core-schema integer or float, if it is one.
fn resolve_number(text: &str) -> Option<Value> {
    let first = *text.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok().map(Value::Int)
    } else if let Some(oct) = text.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok().map(Value::Int)
    } else if is_core_int(text) {
        Some(text.parse::<i64>().map_or_else(
            |_| Value::Float(text.parse().unwrap_or(f64::NAN)),
            Value::Int,
        ))
    } else if is_core_float(text) {
        text.parse::<f64>().ok().map(Value::Float)
    } else {
        None
    }
}

/// `[-+]?[0-9]+`
fn is_core_int(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_core_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(frac) if int.is_empty() => !frac.is_empty() && all_digits(frac),
        Some(frac) => !int.is_empty() && all_digits(int) && all_digits(frac),
        None => !int.is_empty() && all_digits(int),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        !digits.is_empty() && all_digits(digits)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        parse(text).expect("parses").root.expect("has a root")
    }

    #[test]
    fn core_schema_keeps_yes_no_on_off_as_strings() {
        let doc =
            root("a: yes\nb: on\nc: off\nd: no\ne: true\nf: 2027-03-01\ng: 1.0\nh: 0x1F\ni: ~\n");
        assert_eq!(doc.get("a").and_then(Node::as_str), Some("yes"));
        assert_eq!(doc.get("b").and_then(Node::as_str), Some("on"));
        assert_eq!(doc.get("c").and_then(Node::as_str), Some("off"));
        assert_eq!(doc.get("d").and_then(Node::as_str), Some("no"));
        assert_eq!(doc.get("e").and_then(Node::as_bool), Some(true));
        assert_eq!(doc.get("f").and_then(Node::as_str), Some("2027-03-01"));
        assert_eq!(doc.get("g").map(|n| &n.value), Some(&Value::Float(1.0)));
        assert_eq!(doc.get("h").map(|n| &n.value), Some(&Value::Int(31)));
        assert_eq!(doc.get("i").map(|n| &n.value), Some(&Value::Null));
    }

    #[test]
    fn nodes_are_json_with_their_keys_sorted() {
        let doc = root("z: [1, 2.5, .nan]\na:\n  c: \"x\\ty\"\n  b: ~\nm: -.inf\n");
        let text = r#"{"a":{"b":null,"c":"x\ty"},"m":null,"z":[1,2.5,null]}"#;
        assert_eq!(serde_json::to_string(&doc).ok().as_deref(), Some(text));
        assert_eq!(doc.to_json().to_string(), text);
    }

    #[test]
    fn quoted_scalars_are_strings() {
        let doc = root("a: \"true\"\nb: '10'\n");
        assert_eq!(doc.get("a").and_then(Node::as_str), Some("true"));
        assert_eq!(doc.get("b").and_then(Node::as_str), Some("10"));
    }

    #[test]
    fn positions_are_one_based_and_point_at_values() {
        let doc = root("name: x\nrules:\n  - serve: on\n");
        let serve = doc.locate("/rules/0/serve");
        assert_eq!(
            serve.pos,
            Pos {
                line: 3,
                column: 12
            }
        );
        assert_eq!(
            doc.entry("rules").map(|e| e.key_pos),
            Some(Pos { line: 2, column: 1 })
        );
    }

    #[test]
    fn duplicate_keys_point_at_the_second_and_keep_the_first() {
        let doc = parse("a: 1\nb: 2\na: 3\n").expect("parses");
        assert_eq!(doc.duplicate_keys.len(), 1);
        assert_eq!(doc.duplicate_keys[0].pos, Pos { line: 3, column: 1 });
        assert_eq!(
            doc.root.and_then(|r| r.get("a").cloned()).map(|n| n.value),
            Some(Value::Int(1))
        );
    }

    #[test]
    fn duplicate_keys_are_found_in_large_mappings() {
        let mut text: String = (0..100).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k42: again\n");
        let doc = parse(&text).expect("parses");
        assert_eq!(doc.duplicate_keys.len(), 1);
        assert_eq!(doc.duplicate_keys[0].pos.line, 101);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let err = parse(&text).expect_err("too deep");
        assert_eq!(err.code, Code::TooDeep);
    }

    #[test]
    fn alias_bombs_stop_at_the_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                vec![format!("*a{prev}"); 10].join(", ")
            ));
        }
        let err = parse(&text).expect_err("alias bomb");
        assert_eq!(err.code, Code::AliasLimit);
    }

    #[test]
    fn merge_conflict_markers_are_named() {
        let err =
            parse("name: x\n<<<<<<< HEAD\nenabled: true\n=======\nenabled: false\n>>>>>>> b\n")
                .expect_err("conflict");
        assert_eq!(err.code, Code::MergeConflict);
        assert_eq!(err.pos, Pos { line: 2, column: 1 });
    }

    #[test]
    fn tab_indentation_is_named_at_the_tab() {
        let err = parse("rules:\n  - name: a\n\t  serve: b\n").expect_err("tab");
        assert_eq!(err.code, Code::TabIndent);
        assert_eq!(err.pos, Pos { line: 3, column: 1 });
    }

    #[test]
    fn fingerprints_ignore_positions_and_key_order() {
        let a = root("v: {on: 10, off: 90}\n");
        let b = root("\n\nv:\n  off: 90.0\n  on: 10\n");
        let c = root("v: {on: 90, off: 10}\n");
        assert_eq!(
            a.get("v").map(Node::fingerprint),
            b.get("v").map(Node::fingerprint)
        );
        assert_ne!(
            a.get("v").map(Node::fingerprint),
            c.get("v").map(Node::fingerprint)
        );
    }

    #[test]
    fn offsets_map_to_character_columns() {
        let text = "a: é\nbb: x".as_bytes();
        assert_eq!(Pos::at_offset(text, 9), Pos { line: 2, column: 4 });
        assert_eq!(Pos::at_offset(text, 6), Pos { line: 2, column: 1 });
    }
}
