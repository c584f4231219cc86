//! Deciding the merge, field by field, before any text is written.

use super::blocks::Blocks;
use super::{Conflict, ConflictKind, Side, Version, same_value, show};
use crate::yaml::{Entry, Node, Value};

/// Top-level keys whose own keys are fields of their own.
const NESTED: &[&str] = &["variants", "annotations", "rollout"];

/// The three versions and their blocks (`[base, ours, theirs]`).
pub(crate) struct Sides<'a> {
    pub base: &'a Version,
    pub ours: &'a Version,
    pub theirs: &'a Version,
    pub blocks: [Blocks; 3],
}

impl Sides<'_> {
    pub fn version(&self, side: Side) -> &Version {
        match side {
            Side::Base => self.base,
            Side::Ours => self.ours,
            Side::Theirs => self.theirs,
        }
    }

    fn blocks(&self, side: Side) -> &Blocks {
        &self.blocks[side as usize]
    }

    /// The text of `key`'s block on `side` (`None`: the preamble).
    pub fn block(&self, side: Side, key: Option<&str>) -> Option<&str> {
        let blocks = self.blocks(side);
        let range = match key {
            None => blocks.preamble.clone(),
            Some(key) => blocks.range(key)?,
        };
        self.version(side).text.get(range)
    }

    pub fn keys(&self, side: Side) -> Vec<&str> {
        self.blocks(side)
            .entries
            .iter()
            .map(|(k, _)| k.as_str())
            .collect()
    }
}

/// Which side a field (or a nested key, or a rule) takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    Ours,
    Theirs,
    /// Both changed it, differently: decided by whoever resolves the conflict.
    Conflict,
}

impl Pick {
    pub fn resolve(self, resolution: Side) -> Side {
        match self {
            Pick::Ours => Side::Ours,
            Pick::Theirs => Side::Theirs,
            Pick::Conflict => resolution,
        }
    }
}

/// What becomes of one top-level key.
#[derive(Debug, Clone)]
pub(crate) enum FieldPlan {
    /// The whole block from one side (or a conflict between the two blocks).
    Whole(Pick),
    /// Merged key by key; the picks in the order ours, then theirs, wrote the keys.
    Map(Vec<(String, Pick)>),
    /// Merged rule by rule.
    Rules(RulePlan),
    /// Our block (its comments) holding their value: they changed the value, we only the text
    /// around it.
    TheirValue,
}

#[derive(Debug, Clone)]
pub(crate) struct RulePlan {
    pub picks: Vec<(String, Pick)>,
    /// The side whose order the rules follow, when one side alone moved rules (else the side
    /// conflicts are resolved toward: ours for a clean merge).
    pub reordered: Option<Side>,
    /// Both sides moved rules, differently.
    pub order_conflict: bool,
}

pub(crate) struct Plan {
    /// The preamble (comments before the first key).
    pub preamble: Pick,
    /// Every top-level key of either side (and the ancestor), in the merged order.
    pub keys: Vec<(String, FieldPlan)>,
    pub conflicts: Vec<Conflict>,
    pub notes: Vec<String>,
}

/// Three-way choice over any comparable value: the side that changed it, or a conflict.
fn pick<T: PartialEq>(base: T, ours: T, theirs: T) -> Pick {
    if ours == theirs || theirs == base {
        Pick::Ours
    } else if ours == base {
        Pick::Theirs
    } else {
        Pick::Conflict
    }
}

fn fingerprint(node: Option<&Node>) -> Option<u64> {
    node.map(Node::fingerprint)
}

impl Plan {
    pub fn of(sides: &Sides) -> Plan {
        let mut plan = Plan {
            preamble: pick(
                sides.block(Side::Base, None),
                sides.block(Side::Ours, None),
                sides.block(Side::Theirs, None),
            ),
            keys: Vec::new(),
            conflicts: Vec::new(),
            notes: Vec::new(),
        };
        if plan.preamble == Pick::Conflict {
            plan.conflicts.push(Conflict {
                field: "the comments before the first key".to_owned(),
                kind: ConflictKind::BothChanged,
                ours: sides
                    .block(Side::Ours, None)
                    .map(|t| crate::escape::terminal(t.trim()).into_owned()),
                theirs: sides
                    .block(Side::Theirs, None)
                    .map(|t| crate::escape::terminal(t.trim()).into_owned()),
            });
        }
        for key in merged_order(
            &sides.keys(Side::Base),
            &sides.keys(Side::Ours),
            &sides.keys(Side::Theirs),
        ) {
            let field = plan.field(sides, &key);
            plan.keys.push((key, field));
        }
        plan
    }

    fn field(&mut self, sides: &Sides, key: &str) -> FieldPlan {
        let text = |side| sides.block(side, Some(key));
        match pick(text(Side::Base), text(Side::Ours), text(Side::Theirs)) {
            Pick::Conflict => {}
            decided => return FieldPlan::Whole(decided),
        }
        // Both sides rewrote the block: judge the values.
        let value = |side| sides.version(side).get(key);
        let (base, ours, theirs) = (value(Side::Base), value(Side::Ours), value(Side::Theirs));
        if key == "version"
            && fingerprint(ours) != fingerprint(base)
            && fingerprint(theirs) != fingerprint(base)
        {
            if same_value(sides.ours, sides.theirs) {
                return FieldPlan::Whole(Pick::Ours);
            }
            self.conflict(key.to_owned(), ConflictKind::BothBumped, ours, theirs);
            return FieldPlan::Whole(Pick::Conflict);
        }
        let decided = pick(fingerprint(base), fingerprint(ours), fingerprint(theirs));
        let scalar = |node: Option<&Node>| {
            node.is_some_and(|n| !matches!(n.value, Value::Map(_) | Value::Seq(_)))
        };
        if decided == Pick::Theirs && scalar(ours) && scalar(theirs) {
            return FieldPlan::TheirValue;
        }
        if decided != Pick::Conflict {
            return FieldPlan::Whole(decided);
        }
        if NESTED.contains(&key) {
            if let [Some(b), Some(o), Some(t)] = [base, ours, theirs].map(map_entries) {
                return FieldPlan::Map(self.map(key, [b, o, t]));
            }
        }
        if key == "rules" {
            if let [Some(b), Some(o), Some(t)] = [base, ours, theirs].map(named_rules) {
                return FieldPlan::Rules(self.rules([b, o, t]));
            }
        }
        self.conflict(key.to_owned(), ConflictKind::BothChanged, ours, theirs);
        FieldPlan::Whole(Pick::Conflict)
    }

    fn conflict(
        &mut self,
        field: String,
        kind: ConflictKind,
        ours: Option<&Node>,
        theirs: Option<&Node>,
    ) {
        self.conflicts.push(Conflict {
            field,
            kind,
            ours: ours.map(show),
            theirs: theirs.map(show),
        });
    }

    fn map(&mut self, key: &str, [base, ours, theirs]: [Vec<&Entry>; 3]) -> Vec<(String, Pick)> {
        let find = |entries: &[&Entry], k: &str| -> Option<u64> {
            entries
                .iter()
                .find(|e| e.key == k)
                .map(|e| e.value.fingerprint())
        };
        let names =
            |entries: &[&Entry]| -> Vec<String> { entries.iter().map(|e| e.key.clone()).collect() };
        let order = merged_order(&names(&base), &names(&ours), &names(&theirs));
        let mut picks = Vec::with_capacity(order.len());
        for k in order {
            let decided = pick(find(&base, &k), find(&ours, &k), find(&theirs, &k));
            if decided == Pick::Conflict {
                let node = |entries: &[&Entry]| {
                    entries.iter().find(|e| e.key == k).map(|e| e.value.clone())
                };
                let (o, t) = (node(&ours), node(&theirs));
                self.conflict(
                    format!("{key}.{}", field_name(&k)),
                    ConflictKind::BothChanged,
                    o.as_ref(),
                    t.as_ref(),
                );
            }
            picks.push((k, decided));
        }
        picks
    }

    fn rules(&mut self, [base, ours, theirs]: [Vec<(&str, &Node)>; 3]) -> RulePlan {
        fn find<'n>(rules: &[(&str, &'n Node)], name: &str) -> Option<&'n Node> {
            rules.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
        }
        let names = |rules: &[(&str, &Node)]| -> Vec<String> {
            rules.iter().map(|(n, _)| (*n).to_owned()).collect()
        };
        let (b, o, t) = (names(&base), names(&ours), names(&theirs));
        let mut picks = Vec::new();
        for name in merged_order(&b, &o, &t) {
            let (ours_rule, theirs_rule) = (find(&ours, &name), find(&theirs, &name));
            let decided = pick(
                fingerprint(find(&base, &name)),
                fingerprint(ours_rule),
                fingerprint(theirs_rule),
            );
            if decided == Pick::Conflict {
                self.conflict(
                    format!("rules[{}]", quoted(&name)),
                    ConflictKind::BothChanged,
                    ours_rule,
                    theirs_rule,
                );
            }
            picks.push((name, decided));
        }
        // The rules both sides hold must come in one order: the side that moved rules of the
        // ancestor decides it; if neither or both did, differing orders are a conflict.
        let shared = |list: &[String], other: &[String]| -> Vec<String> {
            list.iter().filter(|n| other.contains(n)).cloned().collect()
        };
        let ours_moved = reordered(&b, &o);
        let theirs_moved = reordered(&b, &t);
        let order_conflict = shared(&o, &t) != shared(&t, &o) && ours_moved == theirs_moved;
        let reordered = match (ours_moved, theirs_moved) {
            (true, false) => Some(Side::Ours),
            (false, true) => Some(Side::Theirs),
            _ => None,
        };
        if order_conflict {
            self.conflicts.push(Conflict {
                field: "rules".to_owned(),
                kind: ConflictKind::RuleOrder,
                ours: Some(crate::escape::terminal(&o.join(", ")).into_owned()),
                theirs: Some(crate::escape::terminal(&t.join(", ")).into_owned()),
            });
        }
        let plan = RulePlan {
            picks,
            reordered,
            order_conflict,
        };
        let added = |list: &[String]| -> Vec<String> {
            list.iter()
                .filter(|n| !(b.contains(n) || (o.contains(n) && t.contains(n))))
                .cloned()
                .collect()
        };
        let (ours_added, theirs_added) = (added(&o), added(&t));
        if !ours_added.is_empty() && !theirs_added.is_empty() && !order_conflict {
            let merged: Vec<String> = plan
                .target(sides_names(&b, &o, &t), Side::Ours)
                .into_iter()
                .map(|(n, _)| quoted(&n))
                .collect();
            self.notes.push(format!(
                "both sides added rules ({} ours, {} theirs); the first match wins, so check their order: {}",
                ours_added.iter().map(|n| quoted(n)).collect::<Vec<_>>().join(", "),
                theirs_added.iter().map(|n| quoted(n)).collect::<Vec<_>>().join(", "),
                merged.join(", ")
            ));
        }
        plan
    }
}

/// The rule names of each side, for [`RulePlan::target`].
pub(crate) struct RuleNames<'a> {
    pub base: &'a [String],
    pub ours: &'a [String],
    pub theirs: &'a [String],
}

pub(crate) fn sides_names<'a>(b: &'a [String], o: &'a [String], t: &'a [String]) -> RuleNames<'a> {
    RuleNames {
        base: b,
        ours: o,
        theirs: t,
    }
}

impl RulePlan {
    /// The rules of the merge in order, each with the side whose text it takes, when conflicts
    /// are resolved toward `resolution`.
    pub fn target(&self, names: RuleNames, resolution: Side) -> Vec<(String, Side)> {
        let kept: Vec<(&str, Side)> = self
            .picks
            .iter()
            .filter_map(|(name, p)| {
                let side = p.resolve(resolution);
                let list = if side == Side::Ours {
                    names.ours
                } else {
                    names.theirs
                };
                list.contains(name).then_some((name.as_str(), side))
            })
            .collect();
        let source = |name: &str| kept.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
        let primary = self.reordered.unwrap_or(resolution);
        let (first, other) = if primary == Side::Theirs {
            (names.theirs, names.ours)
        } else {
            (names.ours, names.theirs)
        };
        let mut list: Vec<&str> = first
            .iter()
            .map(String::as_str)
            .filter(|n| source(n).is_some())
            .collect();
        // Rules only the other side has, each after the rule it follows there; beside rules the
        // first side added at the same place, in name order (so either side merging gives one
        // order).
        let first_only =
            |n: &str| !names.base.iter().any(|b| b == n) && !other.iter().any(|o| o == n);
        for (i, name) in other.iter().enumerate() {
            if source(name).is_none() || list.contains(&name.as_str()) {
                continue;
            }
            let mut at = other[..i]
                .iter()
                .rev()
                .find_map(|prev| list.iter().position(|n| n == prev))
                .map_or(0, |p| p + 1);
            while at < list.len() && first_only(list[at]) && list[at] < name.as_str() {
                at += 1;
            }
            list.insert(at, name);
        }
        list.into_iter()
            .filter_map(|n| Some((n.to_owned(), source(n)?)))
            .collect()
    }
}

/// The merged order of keys: ours's, with keys only theirs (or only the ancestor) has placed
/// after the key they follow there.
pub(crate) fn merged_order<S: AsRef<str>>(base: &[S], ours: &[S], theirs: &[S]) -> Vec<String> {
    let mut list: Vec<String> = ours.iter().map(|s| s.as_ref().to_owned()).collect();
    for other in [theirs, base] {
        for (i, key) in other.iter().enumerate() {
            let key = key.as_ref();
            if list.iter().any(|k| k == key) {
                continue;
            }
            let at = other[..i]
                .iter()
                .rev()
                .find_map(|prev| list.iter().position(|k| k == prev.as_ref()))
                .map_or(0, |p| p + 1);
            list.insert(at, key.to_owned());
        }
    }
    list
}

/// Whether `side` put the rules it shares with `base` in another order.
fn reordered(base: &[String], side: &[String]) -> bool {
    let shared = |list: &[String], other: &[String]| -> Vec<String> {
        list.iter().filter(|n| other.contains(n)).cloned().collect()
    };
    shared(base, side) != shared(side, base)
}

/// The entries of a mapping value (an absent value is an empty mapping); `None` if it is
/// something else.
fn map_entries(node: Option<&Node>) -> Option<Vec<&Entry>> {
    match node {
        None => Some(Vec::new()),
        Some(node) => Some(node.as_map()?.iter().collect()),
    }
}

/// Rules by name, if every rule has a name of its own (else `rules` is one field).
fn named_rules(node: Option<&Node>) -> Option<Vec<(&str, &Node)>> {
    let Some(node) = node else {
        return Some(Vec::new());
    };
    let mut rules: Vec<(&str, &Node)> = Vec::new();
    for rule in node.as_seq()? {
        let name = rule.get("name")?.as_str()?;
        if rules.iter().any(|(n, _)| *n == name) {
            return None;
        }
        rules.push((name, rule));
    }
    Some(rules)
}

/// A nested key as a field name: bare when it is a plain word, else quoted.
fn field_name(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_owned()
    } else {
        format!("[{}]", quoted(key))
    }
}

fn quoted(text: &str) -> String {
    format!(
        "\"{}\"",
        crate::escape::terminal(&text.replace('"', "\\\""))
    )
}

/// The value a merged top-level key should hold, when conflicts are resolved toward
/// `resolution` (`None`: absent).
pub(crate) fn intended(
    sides: &Sides,
    key: &str,
    field: &FieldPlan,
    resolution: Side,
) -> Option<Node> {
    let value = |side: Side| sides.version(side).get(key);
    match field {
        FieldPlan::Whole(p) => value(p.resolve(resolution)).cloned(),
        FieldPlan::TheirValue => value(Side::Theirs).cloned(),
        FieldPlan::Map(picks) => {
            let entries: Vec<Entry> = picks
                .iter()
                .filter_map(|(k, p)| {
                    let side = p.resolve(resolution);
                    let entry = value(side)?.entry(k)?;
                    Some(entry.clone())
                })
                .collect();
            let present = kept_key(sides, key) || !entries.is_empty();
            present.then_some(Node {
                value: Value::Map(entries),
                pos: crate::yaml::Pos::START,
            })
        }
        FieldPlan::Rules(plan) => {
            let [b, o, t] = [Side::Base, Side::Ours, Side::Theirs].map(|s| rule_names(sides, s));
            let rules: Vec<Node> = plan
                .target(sides_names(&b, &o, &t), resolution)
                .into_iter()
                .filter_map(|(name, side)| {
                    named_rules(value(side))?
                        .into_iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, r)| r.clone())
                })
                .collect();
            let present = kept_key(sides, key) || !rules.is_empty();
            present.then_some(Node {
                value: Value::Seq(rules),
                pos: crate::yaml::Pos::START,
            })
        }
    }
}

/// Whether a key merged by its contents stays when it ends up empty: as the sides' presence of
/// it merges.
pub(crate) fn kept_key(sides: &Sides, key: &str) -> bool {
    let present = |side: Side| sides.version(side).get(key).is_some();
    if present(Side::Ours) == present(Side::Base) {
        present(Side::Theirs)
    } else {
        present(Side::Ours)
    }
}

/// The rule names of `side`, in its order.
pub(crate) fn rule_names(sides: &Sides, side: Side) -> Vec<String> {
    named_rules(sides.version(side).get("rules"))
        .unwrap_or_default()
        .into_iter()
        .map(|(n, _)| n.to_owned())
        .collect()
}
