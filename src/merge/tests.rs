//! The merge's laws over generated flags and edits, and its answers on a few known cases.

use std::collections::HashSet;

use proptest::prelude::*;

use super::*;
use crate::config::Config;
use crate::lint::Linter;
use crate::repo::{FileKind, Repository, SourceFile};

/// A flag of the generator: every edit below keeps it valid.
#[derive(Debug, Clone)]
struct Model {
    version: (u32, u32, u32),
    description: String,
    enabled: bool,
    variants: Vec<(String, String)>,
    annotations: Vec<(String, String)>,
    rules: Vec<(String, String)>,
    rollout: Vec<(String, u32)>,
    flow: bool,
}

const VARIANTS: &[&str] = &["a", "b", "c", "d", "on"];
const RULES: &[&str] = &["r1", "r2", "r3", "staff first", "pilot"];
const ANNOTATIONS: &[&str] = &["jira", "team", "doc"];

impl Model {
    fn render(&self) -> String {
        let (x, y, z) = self.version;
        let mut out = format!(
            "# A generated flag.\nname: f\nversion: {x}.{y}.{z}\ndescription: {}\nowner: team-test   # who answers\nkind: release\nlifecycle: approved\ntype: string\nvariants:\n",
            self.description
        );
        for (name, value) in &self.variants {
            out.push_str(&format!("  {name}: \"{value}\"\n"));
        }
        out.push_str(&format!("default: {}\n", self.variants[0].0));
        if !self.annotations.is_empty() {
            out.push_str("annotations:\n");
            for (k, v) in &self.annotations {
                out.push_str(&format!("  {k}: {v}\n"));
            }
        }
        out.push_str(&format!("enabled: {}\n", self.enabled));
        if !self.rules.is_empty() {
            out.push_str("rules:\n");
            for (name, serve) in &self.rules {
                out.push_str(&format!(
                    "  - name: {name}   # why\n    segment: staff\n    serve: {serve}\n"
                ));
            }
        }
        let weights: Vec<String> = self
            .rollout
            .iter()
            .map(|(v, w)| format!("{v}: {w}"))
            .collect();
        if self.flow {
            out.push_str(&format!(
                "rollout: {{ {} }}   # fallthrough\n",
                weights.join(", ")
            ));
        } else {
            out.push_str("rollout:\n");
            for w in weights {
                out.push_str(&format!("  {w}\n"));
            }
        }
        out
    }

    fn used(&self, variant: &str) -> bool {
        self.variants[0].0 == variant
            || self.rules.iter().any(|(_, s)| s == variant)
            || self.rollout.iter().any(|(v, _)| v == variant)
    }

    fn apply(&mut self, edit: &Edit) {
        let pick = |n: u8, len: usize| n as usize % len.max(1);
        match *edit {
            Edit::Describe(n) => self.description = format!("Described anew {n}"),
            Edit::Toggle => self.enabled = !self.enabled,
            Edit::Bump(n) => {
                self.version = match n % 3 {
                    0 => (self.version.0 + 1, 0, 0),
                    1 => (self.version.0, self.version.1 + 1, 0),
                    _ => (self.version.0, self.version.1, self.version.2 + 1),
                }
            }
            Edit::AddVariant(n) => {
                let name = VARIANTS[pick(n, VARIANTS.len())];
                if !self.variants.iter().any(|(v, _)| v == name) {
                    self.variants.push((name.to_owned(), format!("{name}-{n}")));
                }
            }
            Edit::RemoveVariant(n) => {
                let i = pick(n, self.variants.len());
                if self.variants.len() > 2 && !self.used(&self.variants[i].0.clone()) {
                    self.variants.remove(i);
                }
            }
            Edit::ChangeVariant(n, m) => {
                let i = pick(n, self.variants.len());
                self.variants[i].1 = format!("value {m}");
            }
            Edit::Reweigh(n, m) => {
                let to = self.variants[pick(m, self.variants.len())].0.clone();
                let from = pick(n, self.rollout.len());
                let moved = self.rollout[from].1.min(10);
                self.rollout[from].1 -= moved;
                match self.rollout.iter_mut().find(|(v, _)| *v == to) {
                    Some(entry) => entry.1 += moved,
                    None => self.rollout.push((to, moved)),
                }
            }
            Edit::AddRule(n, m) => {
                let name = RULES[pick(n, RULES.len())];
                if !self.rules.iter().any(|(r, _)| r == name) {
                    let serve = self.variants[pick(m, self.variants.len())].0.clone();
                    let at = pick(m, self.rules.len() + 1);
                    self.rules.insert(at, (name.to_owned(), serve));
                }
            }
            Edit::RemoveRule(n) => {
                if !self.rules.is_empty() {
                    let i = pick(n, self.rules.len());
                    self.rules.remove(i);
                }
            }
            Edit::ChangeRule(n, m) => {
                if !self.rules.is_empty() {
                    let i = pick(n, self.rules.len());
                    self.rules[i].1 = self.variants[pick(m, self.variants.len())].0.clone();
                }
            }
            Edit::Annotate(n, m) => {
                let key = ANNOTATIONS[pick(n, ANNOTATIONS.len())];
                match self.annotations.iter_mut().find(|(k, _)| k == key) {
                    Some(entry) if m % 4 == 0 => {
                        let k = entry.0.clone();
                        self.annotations.retain(|(a, _)| *a != k);
                    }
                    Some(entry) => entry.1 = format!("note-{m}"),
                    None => self.annotations.push((key.to_owned(), format!("note-{m}"))),
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Describe(u8),
    Toggle,
    Bump(u8),
    AddVariant(u8),
    RemoveVariant(u8),
    ChangeVariant(u8, u8),
    Reweigh(u8, u8),
    AddRule(u8, u8),
    RemoveRule(u8),
    ChangeRule(u8, u8),
    Annotate(u8, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<u8>().prop_map(Edit::Describe),
        Just(Edit::Toggle),
        any::<u8>().prop_map(Edit::Bump),
        any::<u8>().prop_map(Edit::AddVariant),
        any::<u8>().prop_map(Edit::RemoveVariant),
        (any::<u8>(), any::<u8>()).prop_map(|(n, m)| Edit::ChangeVariant(n, m)),
        (any::<u8>(), any::<u8>()).prop_map(|(n, m)| Edit::Reweigh(n, m)),
        (any::<u8>(), any::<u8>()).prop_map(|(n, m)| Edit::AddRule(n, m)),
        any::<u8>().prop_map(Edit::RemoveRule),
        (any::<u8>(), any::<u8>()).prop_map(|(n, m)| Edit::ChangeRule(n, m)),
        (any::<u8>(), any::<u8>()).prop_map(|(n, m)| Edit::Annotate(n, m)),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    (
        2usize..=4,
        0usize..=3,
        0usize..=2,
        1usize..=3,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(variants, rules, annotations, weighted, enabled, flow)| {
            let variants: Vec<(String, String)> = VARIANTS[..variants]
                .iter()
                .map(|v| ((*v).to_owned(), format!("{v}-value")))
                .collect();
            let weighted = weighted.min(variants.len());
            let mut rollout: Vec<(String, u32)> = variants[..weighted]
                .iter()
                .map(|(v, _)| (v.clone(), 100 / weighted as u32))
                .collect();
            rollout[0].1 += 100 % weighted as u32;
            Model {
                version: (1, 0, 0),
                description: "A flag".to_owned(),
                enabled,
                rules: RULES[..rules]
                    .iter()
                    .enumerate()
                    .map(|(i, r)| ((*r).to_owned(), variants[i % variants.len()].0.clone()))
                    .collect(),
                annotations: ANNOTATIONS[..annotations]
                    .iter()
                    .map(|k| ((*k).to_owned(), "x".to_owned()))
                    .collect(),
                variants,
                rollout,
                flow,
            }
        })
}

/// The schema and rules, as a flag file `flags/dev/f.yaml` of a default repository sees them.
struct Checker {
    repo: Repository,
    linter: Linter,
    file: SourceFile,
    segments: HashSet<(Option<String>, String)>,
}

impl Checker {
    fn new() -> Checker {
        let repo = Repository {
            root: std::path::PathBuf::from("."),
            config: Config::default(),
        };
        let now =
            jiff::Timestamp::from_second(1_767_225_600).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let linter = Linter::new(&repo, now).expect("the built-in schemas compile");
        Checker {
            repo,
            linter,
            file: SourceFile {
                kind: FileKind::Flag,
                path: "flags/dev/f.yaml".to_owned(),
                env: Some("dev".to_owned()),
                symlink: false,
            },
            segments: [(None, "staff".to_owned())].into_iter().collect(),
        }
    }

    fn errors(&self, text: &str) -> Vec<Finding> {
        self.linter
            .check_content(&self.repo, &self.file, text.as_bytes(), &self.segments)
            .into_iter()
            .filter(|f| f.severity == crate::finding::Severity::Error)
            .collect()
    }

    fn merge(&self, base: &str, ours: &str, theirs: &str) -> Result<Merged, Unmergeable> {
        merge(
            base.as_bytes(),
            ours.as_bytes(),
            theirs.as_bytes(),
            &Labels::default(),
            &|t| self.errors(t),
        )
    }
}

fn value(text: &str) -> Option<u64> {
    crate::yaml::parse(text).ok()?.root.map(|r| r.fingerprint())
}

/// `text` with every conflict resolved toward `ours` (or theirs).
fn resolve(text: &str, ours: bool) -> String {
    let mut out = String::new();
    let mut side = None;
    for line in text.split_inclusive('\n') {
        match () {
            _ if line.starts_with("<<<<<<< ") => side = Some(true),
            _ if line.starts_with("=======") && side.is_some() => side = Some(false),
            _ if line.starts_with(">>>>>>> ") => side = None,
            _ if side.is_none_or(|s| s == ours) => out.push_str(line),
            _ => {}
        }
    }
    out
}

fn edited(base: &Model, edits: &[Edit]) -> String {
    let mut model = base.clone();
    for e in edits {
        model.apply(e);
    }
    model.render()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn merges_obey_their_laws(
        base in model(),
        ours_edits in proptest::collection::vec(edit(), 0..4),
        theirs_edits in proptest::collection::vec(edit(), 0..4),
    ) {
        let checker = Checker::new();
        let o = base.render();
        let (a, b) = (edited(&base, &ours_edits), edited(&base, &theirs_edits));
        for side in [&o, &a, &b] {
            prop_assert!(checker.errors(side).is_empty(), "generated an invalid flag:\n{side}\n{:?}", checker.errors(side));
        }

        // merge(O, A, A) = A and merge(O, O, B) = B.
        let same = checker.merge(&o, &a, &a).expect("merges");
        prop_assert_eq!(&same.outcome, &Outcome::Clean { text: a.clone(), notes: Vec::new() });
        match checker.merge(&o, &o, &b).expect("merges").outcome {
            Outcome::Clean { text, .. } => prop_assert_eq!(text, b.clone()),
            other => prop_assert!(false, "merge(O, O, B) conflicted: {other:?}"),
        }

        // merge(O, A, B) and merge(O, B, A) agree, up to the sides of a conflict.
        let ab = checker.merge(&o, &a, &b).expect("merges");
        let ba = checker.merge(&o, &b, &a).expect("merges");
        match (&ab.outcome, &ba.outcome) {
            (Outcome::Clean { text: x, .. }, Outcome::Clean { text: y, .. }) => {
                prop_assert_eq!(value(x), value(y), "\n{}\n---\n{}", x, y);
                prop_assert!(checker.errors(x).is_empty(), "a clean merge does not validate:\n{x}\n{:?}", checker.errors(x));
            }
            (Outcome::Conflicted { text: x, conflicts: cx }, Outcome::Conflicted { text: y, conflicts: cy }) => {
                let mut fields_x: Vec<&str> = cx.iter().map(|c| c.field.as_str()).collect();
                let mut fields_y: Vec<&str> = cy.iter().map(|c| c.field.as_str()).collect();
                fields_x.sort_unstable();
                fields_y.sort_unstable();
                prop_assert_eq!(fields_x, fields_y);
                for c in cx {
                    prop_assert!(cy.iter().any(|d| d.field == c.field && d.ours == c.theirs && d.theirs == c.ours), "{c:?} not mirrored in {cy:?}");
                }
                // Each side of the markers is a flag file again, and the two merges hold the
                // same two resolutions.
                prop_assert_eq!(value(&resolve(x, true)), value(&resolve(y, false)), "\n{}\n---\n{}", x, y);
                prop_assert_eq!(value(&resolve(x, false)), value(&resolve(y, true)));
                prop_assert!(value(&resolve(x, true)).is_some(), "{}", x);
            }
            (x, y) => prop_assert!(false, "one merge is clean, the other not:\n{x:?}\n{y:?}"),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        base in proptest::collection::vec(any::<u8>(), 0..200),
        ours in "[a-z: \\n{}\\[\\],#-]{0,120}",
        theirs in "[a-z: \\n{}\\[\\],#-]{0,120}",
    ) {
        let checker = Checker::new();
        let _ = checker.merge(&String::from_utf8_lossy(&base), &ours, &theirs);
    }
}

#[test]
fn an_empty_ancestor_merges_two_additions() {
    let checker = Checker::new();
    let model = Model {
        version: (1, 0, 0),
        description: "A flag".to_owned(),
        enabled: true,
        variants: vec![("a".into(), "x".into()), ("b".into(), "y".into())],
        annotations: Vec::new(),
        rules: Vec::new(),
        rollout: vec![("a".into(), 100)],
        flow: true,
    };
    let text = model.render();
    let merged = checker.merge("", &text, &text).expect("merges");
    assert!(matches!(merged.outcome, Outcome::Clean { .. }));
    let mut other = model.clone();
    other.enabled = false;
    let merged = checker.merge("", &text, &other.render()).expect("merges");
    let Outcome::Conflicted { conflicts, .. } = merged.outcome else {
        panic!("two different additions merged")
    };
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].field, "enabled");
}

#[test]
fn control_characters_in_values_are_escaped_in_messages() {
    let checker = Checker::new();
    let base = "name: f\ndescription: a\n";
    let merged = checker
        .merge(
            base,
            "name: f\ndescription: \"b\\e[2J\"\n",
            "name: f\ndescription: c\u{202e}\n",
        )
        .expect("merges");
    let Outcome::Conflicted { conflicts, .. } = merged.outcome else {
        panic!("a conflict was merged")
    };
    let message = conflicts[0].to_string();
    assert!(
        !message.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{message:?}"
    );
    assert!(
        message.contains("\\u{1b}[2J") && message.contains("\\u{202e}"),
        "{message}"
    );
}

#[test]
fn our_comment_keeps_their_value() {
    let checker = Checker::new();
    let base = "name: f\nenabled: true\ndescription: a\n";
    let ours = "name: f\nenabled: true   # on since the launch\ndescription: a\n";
    let theirs = "name: f\nenabled: false\ndescription: a\n";
    let merged = checker.merge(base, ours, theirs).expect("merges");
    let Outcome::Clean { text, .. } = merged.outcome else {
        panic!("a comment and a value conflicted")
    };
    assert_eq!(
        text,
        "name: f\nenabled: false   # on since the launch\ndescription: a\n"
    );
}
