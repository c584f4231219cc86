//! Properties of the engines on generated flags, through the library (`flagctl::...`):
//! - every generated valid flag, written in any style, passes the schema and every rule;
//! - `bump` classifies any set of edits as its largest part (a variant added is minor; one
//!   removed, a variant's value, the default or the type changed is major; metadata alone is a
//!   patch; state alone needs no bump), however either side is written;
//! - `set`'s editor changes only the lines of the keys it sets: every other byte of the file
//!   (comments, key order, quoting, CRLF) stays as it was.

use flagctl::change::bump::{Level, classify, shortfall};
use flagctl::change::edit::{Scalar, set};
use flagctl::yaml::{self, Node};
use proptest::prelude::*;
use proptest::sample::{Index, Selector};
use serde_json::Value as Json;

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(if std::env::var_os("CI").is_some() {
        256
    } else {
        64
    })
}

// ---------------------------------------------------------------------------------------------
// A flag, and the ways to write it

#[derive(Debug, Clone, Copy, PartialEq)]
enum Type {
    Boolean,
    String,
    Number,
    Object,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::Boolean => "boolean",
            Type::String => "string",
            Type::Number => "number",
            Type::Object => "object",
        }
    }
}

/// What a rule or the fallthrough serves.
#[derive(Debug, Clone)]
enum Serves {
    One(String),
    Split(Vec<(String, u32)>),
}

#[derive(Debug, Clone)]
struct Flag {
    name: String,
    version: (u32, u32, u32),
    description: String,
    owner: String,
    kind: &'static str,
    lifecycle: &'static str,
    ty: Type,
    /// Declared variants: name and value (YAML text of the value, unquoted); none for a boolean
    /// flag that uses the implied `on` / `off`.
    variants: Vec<(String, Value)>,
    default: Option<String>,
    tags: Vec<String>,
    enabled: bool,
    rules: Vec<(String, String, Serves)>,
    fallthrough: Option<Serves>,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(String),
    Int(i64),
    Map(String, i64),
}

/// How a flag is written: none of it changes what the flag is.
#[derive(Debug, Clone)]
struct Style {
    /// Top-level keys in this order (a permutation, by index).
    order: Vec<usize>,
    quote: u8,
    comments: bool,
    flow_maps: bool,
    crlf: bool,
}

const WORDS: &[&str] = &[
    "alpha", "bravo", "checkout", "delta", "echo", "flow", "gamma", "home", "india", "kilo",
    "lima", "mobile", "nova", "oscar", "page", "quick", "romeo", "search", "tango", "web",
];

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS).prop_map(str::to_owned)
}

fn snake(parts: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(word(), parts).prop_map(|w| w.join("_"))
}

fn value_of(ty: Type) -> BoxedStrategy<Value> {
    match ty {
        Type::Boolean => unreachable!("boolean flags use on and off"),
        Type::String => word().prop_map(|w| Value::Text(format!("v{w}"))).boxed(),
        Type::Number => (-1000i64..1000).prop_map(Value::Int).boxed(),
        Type::Object => (word(), 0i64..100)
            .prop_map(|(k, v)| Value::Map(k, v))
            .boxed(),
    }
}

/// Weights summing to 100 over `names` (some may be 0).
fn split(names: Vec<String>) -> impl Strategy<Value = Serves> {
    let n = names.len();
    prop::collection::vec(0u32..=100, n.saturating_sub(1)).prop_map(move |mut cuts| {
        cuts.sort_unstable();
        let mut last = 0;
        let mut weights = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let end = cuts.get(i).copied().unwrap_or(100);
            weights.push((name.clone(), end - last));
            last = end;
        }
        Serves::Split(weights)
    })
}

fn serves(names: Vec<String>) -> impl Strategy<Value = Serves> {
    prop_oneof![
        prop::sample::select(names.clone()).prop_map(Serves::One),
        split(names),
    ]
}

fn flag() -> impl Strategy<Value = Flag> {
    let ty = prop_oneof![
        Just(Type::Boolean),
        Just(Type::String),
        Just(Type::Number),
        Just(Type::Object),
    ];
    ty.prop_flat_map(|ty| {
        let variants = if ty == Type::Boolean {
            Just(Vec::new()).boxed()
        } else {
            prop::collection::btree_map(word(), value_of(ty), 1..5)
                .prop_map(|m| m.into_iter().map(|(k, v)| (format!("v{k}"), v)).collect())
                .boxed()
        };
        (Just(ty), variants)
    })
    .prop_flat_map(|(ty, variants)| {
        let names: Vec<String> = if ty == Type::Boolean {
            vec!["on".to_owned(), "off".to_owned()]
        } else {
            variants.iter().map(|(n, _)| n.clone()).collect()
        };
        let default = if ty == Type::Boolean {
            Just(None).boxed()
        } else {
            prop::sample::select(names.clone()).prop_map(Some).boxed()
        };
        let rule = (word(), word(), serves(names.clone()));
        let fallthrough = if ty == Type::Boolean {
            prop::option::of(serves(names.clone())).boxed()
        } else {
            serves(names.clone()).prop_map(Some).boxed()
        };
        (
            (
                snake(1..=3),
                (0u32..5, 0u32..20, 0u32..20),
                prop::collection::vec(word(), 1..6).prop_map(|w| w.join(" ")),
                word().prop_map(|w| format!("team-{w}")),
                prop::sample::select(&["release", "experiment", "ops", "permission"][..]),
                prop::sample::select(&["draft", "pending", "approved", "deprecated"][..]),
            ),
            (
                Just(ty),
                Just(variants),
                default,
                prop::collection::btree_set(word(), 0..3),
                any::<bool>(),
                prop::collection::vec(rule, 0..3),
                fallthrough,
            ),
        )
    })
    .prop_map(
        |(
            (name, version, description, owner, kind, lifecycle),
            (ty, variants, default, tags, enabled, rules, fallthrough),
        )| Flag {
            name,
            version,
            description,
            owner,
            kind,
            lifecycle,
            ty,
            variants,
            default,
            tags: tags.into_iter().collect(),
            enabled,
            rules,
            fallthrough,
        },
    )
}

fn style() -> impl Strategy<Value = Style> {
    (
        Just((0..TOP_KEYS).collect::<Vec<usize>>()).prop_shuffle(),
        0u8..3,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(order, quote, comments, flow_maps, crlf)| Style {
            order,
            quote,
            comments,
            flow_maps,
            crlf,
        })
}

const TOP_KEYS: usize = 14;

impl Style {
    /// A plain string, quoted as this style quotes (words only: any quoting reads the same).
    fn text(&self, s: &str) -> String {
        match self.quote {
            0 => s.to_owned(),
            1 => format!("'{s}'"),
            _ => format!("\"{s}\""),
        }
    }

    fn value(&self, v: &Value) -> String {
        match v {
            Value::Text(s) => self.text(s),
            Value::Int(i) => i.to_string(),
            Value::Map(k, i) => format!("{{ {k}: {i} }}"),
        }
    }

    /// A mapping of `entries` (already written values) under `key`, at `indent`.
    fn map(&self, key: &str, entries: &[(String, String)], indent: &str) -> String {
        if self.flow_maps {
            let inner: Vec<String> = entries.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            format!("{indent}{key}: {{ {} }}\n", inner.join(", "))
        } else {
            let mut out = format!("{indent}{key}:\n");
            for (k, v) in entries {
                out.push_str(&format!("{indent}  {k}: {v}\n"));
            }
            out
        }
    }

    fn serves(&self, s: &Serves, indent: &str) -> String {
        match s {
            Serves::One(v) => format!("{indent}serve: {}\n", self.text(v)),
            Serves::Split(weights) => {
                let entries: Vec<(String, String)> = weights
                    .iter()
                    .map(|(k, w)| (k.clone(), w.to_string()))
                    .collect();
                self.map("rollout", &entries, indent)
            }
        }
    }

    fn comment(&self, text: &str) -> String {
        if self.comments {
            format!("  # {text}")
        } else {
            String::new()
        }
    }
}

impl Flag {
    fn write(&self, style: &Style) -> String {
        let (a, b, c) = self.version;
        let mut parts: Vec<String> = vec![String::new(); TOP_KEYS];
        parts[0] = format!("name: {}\n", style.text(&self.name));
        parts[1] = format!("version: {a}.{b}.{c}{}\n", style.comment("the contract"));
        parts[2] = format!("description: {}\n", style.text(&self.description));
        parts[3] = format!(
            "owner: {}{}\n",
            style.text(&self.owner),
            style.comment("who")
        );
        parts[4] = format!("kind: {}\n", self.kind);
        parts[5] = format!("lifecycle: {}\n", self.lifecycle);
        parts[6] = format!("type: {}\n", self.ty.name());
        if !self.variants.is_empty() {
            let entries: Vec<(String, String)> = self
                .variants
                .iter()
                .map(|(k, v)| (k.clone(), style.value(v)))
                .collect();
            parts[7] = style.map("variants", &entries, "");
        }
        if let Some(default) = &self.default {
            parts[8] = format!("default: {}\n", style.text(default));
        }
        if !self.tags.is_empty() {
            let tags: Vec<String> = self.tags.iter().map(|t| style.text(t)).collect();
            parts[9] = format!("tags: [{}]\n", tags.join(", "));
        }
        parts[10] = format!("enabled: {}{}\n", self.enabled, style.comment("state"));
        if !self.rules.is_empty() {
            let mut out = "rules:\n".to_owned();
            for (name, domain, serves) in &self.rules {
                out.push_str(&format!("  - name: {}\n", style.text(name)));
                out.push_str(&format!(
                    "    when: [{{ attribute: email, op: ends_with, value: {} }}]\n",
                    style.text(&format!("{domain}.com"))
                ));
                out.push_str(&style.serves(serves, "    "));
            }
            parts[11] = out;
        }
        if let Some(f) = &self.fallthrough {
            parts[12] = style.serves(f, "");
        }
        if style.comments {
            parts[13] = "\n# the end of the flag\n".to_owned();
        }
        let mut text = if style.comments {
            format!("# {}: a generated flag\n", self.name)
        } else {
            String::new()
        };
        for &i in &style.order {
            text.push_str(&parts[i]);
        }
        if style.crlf {
            text = text.replace('\n', "\r\n");
        }
        text
    }

    fn names(&self) -> Vec<String> {
        if self.variants.is_empty() {
            vec!["on".to_owned(), "off".to_owned()]
        } else {
            self.variants.iter().map(|(n, _)| n.clone()).collect()
        }
    }
}

fn root(text: &str) -> Node {
    yaml::parse(text)
        .unwrap_or_else(|e| panic!("the generated flag does not parse ({e:?}):\n{text}"))
        .root
        .unwrap_or_else(|| panic!("an empty document:\n{text}"))
}

// ---------------------------------------------------------------------------------------------
// Schema and rules

/// Validates `text` as `flags/dev/<name>.yaml` of an otherwise empty repository.
fn findings_of(flag: &Flag, text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join(format!("flags/dev/{}.yaml", flag.name));
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("create folders");
    std::fs::write(&path, text).expect("write the flag");
    let repo = flagctl::repo::Repository::open(dir.path()).expect("a flag repository");
    let files = repo.files().expect("the files of the repository");
    assert_eq!(files.len(), 1, "the flag is read: {files:?}");
    let now: jiff::Timestamp = crate::support::NOW.parse().expect("NOW");
    let linter = flagctl::lint::Linter::new(&repo, now).expect("the linter");
    linter
        .validate(&repo, &files)
        .findings
        .iter()
        .map(|f| format!("{f:?}"))
        .collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_generated_valid_flag_passes_the_schema_and_every_rule(
        flag in flag(),
        style in style(),
    ) {
        let text = flag.write(&style);
        let findings = findings_of(&flag, &text);
        prop_assert!(findings.is_empty(), "{findings:#?}\n{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// bump

/// One edit of a flag, and the bump it needs on its own.
#[derive(Debug, Clone)]
enum Edit {
    AddVariant(Index),
    RemoveVariant(Selector),
    ChangeVariantValue(Selector),
    ChangeDefault(Selector),
    ChangeType,
    Describe(String),
    ChangeOwner(String),
    Tag(String),
    Toggle,
    Reroute(Selector),
    AddRule(String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::AddVariant),
        any::<Selector>().prop_map(Edit::RemoveVariant),
        any::<Selector>().prop_map(Edit::ChangeVariantValue),
        any::<Selector>().prop_map(Edit::ChangeDefault),
        Just(Edit::ChangeType),
        word().prop_map(Edit::Describe),
        word().prop_map(Edit::ChangeOwner),
        word().prop_map(Edit::Tag),
        Just(Edit::Toggle),
        any::<Selector>().prop_map(Edit::Reroute),
        word().prop_map(Edit::AddRule),
    ]
}

/// The variants of `flag` that the generator made (added ones are named `new…`).
fn original_variants(flag: &Flag) -> Vec<String> {
    flag.variants
        .iter()
        .map(|(n, _)| n.clone())
        .filter(|n| n.starts_with('v'))
        .collect()
}

/// Applies `edit` to `flag`; returns the level it needs, or `None` when it does not apply to
/// this flag (e.g. removing the last variant).
fn apply(flag: &mut Flag, edit: &Edit) -> Option<Level> {
    let declared = !flag.variants.is_empty();
    match edit {
        Edit::AddVariant(at) => {
            if !declared {
                return None;
            }
            let name = format!("new{}", flag.variants.len());
            if flag.variants.iter().any(|(n, _)| *n == name) {
                return None;
            }
            let value = flag.variants[0].1.clone();
            flag.variants
                .insert(at.index(flag.variants.len() + 1), (name, value));
            Some(Level::Minor)
        }
        Edit::RemoveVariant(pick) => {
            // One the old flag has (removing one just added would undo the addition).
            let old: Vec<String> = original_variants(flag);
            if flag.variants.len() < 2 || old.is_empty() {
                return None;
            }
            let victim = pick.select(old);
            flag.variants.retain(|(n, _)| *n != victim);
            Some(Level::Major)
        }
        Edit::ChangeVariantValue(pick) => {
            let old: Vec<String> = original_variants(flag);
            if old.is_empty() {
                return None;
            }
            let name = pick.select(old);
            let (_, v) = flag.variants.iter_mut().find(|(n, _)| *n == name)?;
            *v = match v {
                Value::Text(s) => Value::Text(format!("{s}x")),
                Value::Int(n) => Value::Int(*n + 1),
                Value::Map(k, n) => Value::Map(k.clone(), *n + 1),
            };
            Some(Level::Major)
        }
        Edit::ChangeDefault(pick) => {
            let current = flag.default.clone()?;
            let other = pick.select(flag.names());
            if other == current {
                return None;
            }
            flag.default = Some(other);
            Some(Level::Major)
        }
        Edit::ChangeType => {
            flag.ty = match flag.ty {
                Type::Boolean => return None,
                Type::String => Type::Object,
                Type::Number => Type::String,
                Type::Object => Type::Number,
            };
            Some(Level::Major)
        }
        Edit::Describe(w) => {
            flag.description = format!("{} {w}", flag.description);
            Some(Level::Patch)
        }
        Edit::ChangeOwner(w) => {
            let owner = format!("team-{w}-2");
            if owner == flag.owner {
                return None;
            }
            flag.owner = owner;
            Some(Level::Patch)
        }
        Edit::Tag(w) => {
            let tag = format!("t{w}");
            if flag.tags.contains(&tag) {
                return None;
            }
            flag.tags.push(tag);
            Some(Level::Patch)
        }
        Edit::Toggle => {
            flag.enabled = !flag.enabled;
            Some(Level::None)
        }
        Edit::Reroute(pick) => {
            let to = pick.select(flag.names());
            flag.fallthrough = Some(Serves::One(to));
            Some(Level::None)
        }
        Edit::AddRule(w) => {
            let to = flag.names()[0].clone();
            flag.rules.push((w.clone(), w.clone(), Serves::One(to)));
            Some(Level::None)
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn bump_needs_the_largest_bump_of_its_edits_however_the_files_are_written(
        old in flag(),
        edits in prop::collection::vec(edit(), 0..4),
        old_style in style(),
        new_style in style(),
    ) {
        let mut new = old.clone();
        let mut expected = Level::None;
        let mut applied = Vec::new();
        for edit in &edits {
            // The default or the type changed twice may be back where it was.
            let again = matches!(edit, Edit::ChangeDefault(_) | Edit::ChangeType)
                && applied
                    .iter()
                    .any(|e| std::mem::discriminant(*e) == std::mem::discriminant(edit));
            if again {
                continue;
            }
            if let Some(level) = apply(&mut new, edit) {
                expected = expected.max(level);
                applied.push(edit);
            }
        }
        let (before, after) = (old.write(&old_style), new.write(&new_style));
        let (level, reasons) = classify(&root(&before), &root(&after));
        prop_assert_eq!(
            level, expected,
            "edits {:?}, reasons {:?}\n--- before\n{}\n--- after\n{}", applied, reasons, before, after
        );
        prop_assert_eq!(reasons.is_empty(), expected == Level::None, "{:?}", reasons);

        // The version rule `check` applies and `set` follows: the unchanged version falls
        // short by exactly the level, and the version it names as the target passes.
        let short = shortfall(&root(&before), &root(&after));
        let (major, minor, patch) = old.version;
        let base = semver::Version::new(major.into(), minor.into(), patch.into());
        prop_assert_eq!(
            short.as_ref().map(|s| (s.needed, s.target.clone())),
            (expected != Level::None).then(|| (expected, expected.apply(&base)))
        );
        if let Some(short) = short {
            let mut bumped = new.clone();
            let t = &short.target;
            bumped.version = (t.major as u32, t.minor as u32, t.patch as u32);
            let bumped = bumped.write(&new_style);
            prop_assert!(shortfall(&root(&before), &root(&bumped)).is_none(), "{}", bumped);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// set's editor

/// One assignment `set` can make to an existing key of `flag`: the dotted key, the value, and
/// the value as JSON (to compare with the file read back).
fn assignments(flag: &Flag) -> Vec<(String, Scalar, Json)> {
    let mut out = vec![
        (
            "enabled".to_owned(),
            Scalar::Bool(!flag.enabled),
            Json::Bool(!flag.enabled),
        ),
        (
            "description".to_owned(),
            Scalar::Str("Edited by set".to_owned()),
            Json::from("Edited by set"),
        ),
        (
            "owner".to_owned(),
            Scalar::Str("team-edited".to_owned()),
            Json::from("team-edited"),
        ),
    ];
    if let Some(Serves::Split(weights)) = &flag.fallthrough {
        for (name, w) in weights {
            let new = (w + 7) % 101;
            out.push((
                format!("rollout.{name}"),
                Scalar::Int(i64::from(new)),
                Json::from(new),
            ));
        }
    }
    if let Some(Serves::One(_)) = &flag.fallthrough {
        let to = flag.names().last().cloned().unwrap_or_default();
        out.push(("serve".to_owned(), Scalar::Str(to.clone()), Json::from(to)));
    }
    for (name, v) in &flag.variants {
        if let Value::Int(n) = v {
            out.push((
                format!("variants.{name}"),
                Scalar::Int(n + 1),
                Json::from(n + 1),
            ));
        }
    }
    out
}

/// The lines of `text`, each with its line ending.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn set_changes_only_the_lines_of_the_keys_it_sets(
        flag in flag(),
        style in style(),
        picks in prop::collection::vec(any::<Selector>(), 1..4),
    ) {
        let text = flag.write(&style);
        let choices = assignments(&flag);
        let mut chosen: Vec<(String, Scalar, Json)> = Vec::new();
        for pick in &picks {
            let one = pick.select(choices.clone());
            if !chosen.iter().any(|(k, _, _)| *k == one.0) {
                chosen.push(one);
            }
        }
        let old_root = root(&text);
        let pointer = |key: &str| format!("/{}", key.replace('.', "/"));
        let touched: Vec<usize> = chosen
            .iter()
            .map(|(key, _, _)| old_root.locate(&pointer(key)).pos.line as usize - 1)
            .collect();
        let edits: Vec<(String, Scalar)> =
            chosen.iter().map(|(k, v, _)| (k.clone(), v.clone())).collect();
        let edited = set("flags/dev/f.yaml", &text, &edits)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;

        // Every line but those of the keys set is the same, byte for byte.
        let (before, after) = (lines(&text), lines(&edited));
        prop_assert_eq!(before.len(), after.len(), "--- before\n{}\n--- after\n{}", text, edited);
        for (i, (a, b)) in before.iter().zip(&after).enumerate() {
            if !touched.contains(&i) {
                prop_assert_eq!(a, b, "line {} changed\n--- before\n{}\n--- after\n{}", i + 1, text, edited);
            }
        }
        // What was set reads back; everything else reads as before.
        let mut expected = old_root.to_json();
        for (key, _, value) in &chosen {
            *expected.pointer_mut(&pointer(key)).expect("the key exists") = value.clone();
        }
        prop_assert_eq!(root(&edited).to_json(), expected, "--- after\n{}", edited);
    }
}
