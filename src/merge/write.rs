//! Writing a merge: our text, with their blocks spliced in where they take a whole key, and
//! their keys and rules set into ours with the lossless editor where both changed a key. Every
//! text written is read back and compared with the merge decided: a difference is refused.

use std::str::FromStr;

use yaml_edit::Document;

use super::blocks::Blocks;
use super::plan::{FieldPlan, Pick, Plan, RulePlan, Sides, intended, rule_names, sides_names};
use super::{Conflict, ConflictKind, Labels, Side, Unmergeable, show};
use crate::finding::Finding;
use crate::yaml::Node;

fn unwritable(field: &str) -> Unmergeable {
    Unmergeable::Unwritable {
        field: crate::escape::terminal(field).into_owned(),
    }
}

fn root_of(text: &str) -> Option<Node> {
    crate::yaml::parse(text).ok()?.root
}

/// `text` ending in a line break (an empty text stays empty).
fn line_ended(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    }
}

/// `text` with `key`'s block replaced by `block` (`None`: removed); a key `text` lacks goes after
/// the nearest key before it in `order` that `text` has.
fn splice(
    text: &str,
    key: &str,
    block: Option<&str>,
    order: &[&str],
) -> Result<String, Unmergeable> {
    let root = root_of(text);
    let blocks = Blocks::cut(text, root.as_ref()).ok_or_else(|| unwritable(key))?;
    let block = block.map(line_ended).unwrap_or_default();
    let (at, end) = match blocks.range(key) {
        Some(range) => (range.start, range.end),
        None => {
            let position = order.iter().position(|k| *k == key).unwrap_or(0);
            let at = order[..position]
                .iter()
                .rev()
                .find_map(|prev| blocks.range(prev))
                .map_or(blocks.preamble.end, |r| r.end);
            (at, at)
        }
    };
    let before = line_ended(&text[..at]);
    Ok(format!("{before}{block}{}", &text[end..]))
}

/// The merged text, with each conflict resolved toward `resolution`.
pub(crate) fn render(sides: &Sides, plan: &Plan, resolution: Side) -> Result<String, Unmergeable> {
    let order: Vec<&str> = plan.keys.iter().map(|(k, _)| k.as_str()).collect();
    let mut text = sides.ours.text.clone();
    if plan.preamble.resolve(resolution) == Side::Theirs {
        let preamble = sides.block(Side::Theirs, None).unwrap_or_default();
        let end = Blocks::cut(&text, sides.ours.root.as_ref())
            .map(|b| b.preamble.end)
            .ok_or_else(|| unwritable("the comments before the first key"))?;
        text = format!("{preamble}{}", &text[end..]);
    }
    let mut edited = false;
    for (key, field) in &plan.keys {
        let theirs = sides.block(Side::Theirs, Some(key));
        match field {
            FieldPlan::Whole(pick) => {
                if pick.resolve(resolution) == Side::Theirs {
                    text = splice(&text, key, theirs, &order)?;
                }
            }
            FieldPlan::TheirValue => edited = true,
            FieldPlan::Map(_) | FieldPlan::Rules(_) => {
                let wanted = intended(sides, key, field, resolution).is_some();
                let has = sides.ours.get(key).is_some();
                if wanted && !has {
                    text = splice(&text, key, theirs, &order)?;
                } else if !wanted && has {
                    text = splice(&text, key, None, &order)?;
                }
                edited |= wanted;
            }
        }
    }
    if edited {
        text = edit(sides, plan, &text, resolution)?;
    }
    verify(sides, plan, &text, resolution)?;
    Ok(text)
}

/// Sets the keys and rules both sides changed into `text`, as decided.
fn edit(sides: &Sides, plan: &Plan, text: &str, resolution: Side) -> Result<String, Unmergeable> {
    let parse = |t: &str, what: &str| Document::from_str(t).map_err(|_| unwritable(what));
    let doc = parse(text, "the merged file")?;
    let ours = parse(&sides.ours.text, "our side")?;
    let theirs = parse(&sides.theirs.text, "their side")?;
    let document = |side: Side| if side == Side::Ours { &ours } else { &theirs };
    let root = doc
        .as_mapping()
        .ok_or_else(|| unwritable("the merged file"))?;
    for (key, field) in &plan.keys {
        // The side whose block `text` holds for this key.
        let carrier = if sides.ours.get(key).is_some() {
            Side::Ours
        } else {
            Side::Theirs
        };
        match field {
            FieldPlan::Whole(_) => {}
            FieldPlan::TheirValue => {
                let value = theirs.as_mapping().and_then(|m| m.get(key.as_str()));
                let value = value.ok_or_else(|| unwritable(key))?;
                root.set(key.as_str(), &value);
            }
            FieldPlan::Map(picks) => {
                let Some(mapping) = root.get_mapping(key.as_str()) else {
                    continue;
                };
                let holds = |side: Side, k: &str| {
                    sides
                        .version(side)
                        .get(key)
                        .and_then(|m| m.get(k))
                        .map(Node::fingerprint)
                };
                for (i, (k, pick)) in picks.iter().enumerate() {
                    let side = pick.resolve(resolution);
                    if holds(side, k) == holds(carrier, k) {
                        continue;
                    }
                    let source = document(side)
                        .as_mapping()
                        .and_then(|m| m.get_mapping(key.as_str()))
                        .and_then(|m| m.find_entry_by_key(k.as_str()));
                    let Some(source) = source else {
                        mapping.remove(k.as_str());
                        continue;
                    };
                    let (Some(name), Some(value)) = (source.key_node(), source.value_node()) else {
                        return Err(unwritable(&format!("{key}.{k}")));
                    };
                    if holds(carrier, k).is_some() {
                        mapping.set(k.as_str(), &value);
                        continue;
                    }
                    let before = picks[..i]
                        .iter()
                        .rev()
                        .map(|(p, _)| p.as_str())
                        .find(|p| mapping.contains_key(*p));
                    match before {
                        Some(prev) => {
                            mapping.insert_after(prev, &name, &value);
                        }
                        None => mapping.insert_at_index(0, &name, &value),
                    }
                }
            }
            FieldPlan::Rules(rule_plan) => {
                let Some(sequence) = root.get_sequence(key.as_str()) else {
                    continue;
                };
                edit_rules(sides, rule_plan, &sequence, carrier, resolution, &document)?;
            }
        }
    }
    Ok(doc.to_string())
}

/// Turns the rules of `carrier` in `sequence` into the merged rules, rule by rule.
fn edit_rules<'d>(
    sides: &Sides,
    plan: &RulePlan,
    sequence: &yaml_edit::Sequence,
    carrier: Side,
    resolution: Side,
    document: &dyn Fn(Side) -> &'d Document,
) -> Result<(), Unmergeable> {
    let [b, o, t] = [Side::Base, Side::Ours, Side::Theirs].map(|s| rule_names(sides, s));
    let target = plan.target(sides_names(&b, &o, &t), resolution);
    let names = |side: Side| if side == Side::Ours { &o } else { &t };
    let node = |side: Side, name: &str| {
        let index = names(side).iter().position(|n| n == name)?;
        document(side)
            .as_mapping()?
            .get_sequence("rules")?
            .get(index)
    };
    let fingerprint = |side: Side, name: &str| {
        let index = names(side).iter().position(|n| n == name)?;
        sides
            .version(side)
            .get("rules")?
            .as_seq()?
            .get(index)
            .map(Node::fingerprint)
    };
    let mut current: Vec<String> = names(carrier).clone();
    for i in (0..current.len()).rev() {
        if !target.iter().any(|(n, _)| *n == current[i]) {
            sequence.remove(i);
            current.remove(i);
        }
    }
    for (i, (name, side)) in target.iter().enumerate() {
        let same_place = current.get(i) == Some(name);
        if same_place && fingerprint(*side, name) == fingerprint(carrier, name) {
            continue;
        }
        if let Some(j) = current.iter().position(|n| n == name) {
            sequence.remove(j);
            current.remove(j);
        }
        let value = node(*side, name).ok_or_else(|| unwritable(&format!("rules[{name}]")))?;
        sequence.insert(i, &value);
        current.insert(i, name.clone());
    }
    Ok(())
}

/// Refuses a text that does not hold exactly the merge decided.
fn verify(sides: &Sides, plan: &Plan, text: &str, resolution: Side) -> Result<(), Unmergeable> {
    let root = root_of(text).ok_or_else(|| unwritable("the merged file"))?;
    let mut present = 0;
    for (key, field) in &plan.keys {
        let want = intended(sides, key, field, resolution);
        if want.as_ref().map(Node::fingerprint) != root.get(key).map(Node::fingerprint) {
            return Err(unwritable(key));
        }
        present += usize::from(want.is_some());
    }
    if root.as_map().map_or(0, <[_]>::len) != present || Blocks::cut(text, Some(&root)).is_none() {
        return Err(unwritable("the top-level keys"));
    }
    Ok(())
}

/// Whether the merge leaves a conflict in `field`.
fn conflicted(field: &FieldPlan) -> bool {
    match field {
        FieldPlan::Whole(pick) => *pick == Pick::Conflict,
        FieldPlan::TheirValue => false,
        FieldPlan::Map(picks) => picks.iter().any(|(_, p)| *p == Pick::Conflict),
        FieldPlan::Rules(rules) => {
            rules.order_conflict || rules.picks.iter().any(|(_, p)| *p == Pick::Conflict)
        }
    }
}

fn markers(ours: Option<&str>, theirs: Option<&str>, labels: &Labels) -> String {
    let side = |text: Option<&str>| line_ended(text.unwrap_or_default());
    format!(
        "<<<<<<< {}\n{}=======\n{}>>>>>>> {}\n",
        labels.ours,
        side(ours),
        side(theirs),
        labels.theirs
    )
}

/// The merge with git's markers around each conflicting top-level key: above, the merge with
/// our side of every conflict; below, with theirs.
pub(crate) fn mark_conflicts(
    sides: &Sides,
    plan: &Plan,
    labels: &Labels,
) -> Result<String, Unmergeable> {
    let texts = [Side::Ours, Side::Theirs].map(|side| render(sides, plan, side));
    let [ours, theirs] = texts;
    let (ours, theirs) = (ours?, theirs?);
    let cut = |text: &str| {
        Blocks::cut(text, root_of(text).as_ref()).ok_or_else(|| unwritable("the top-level keys"))
    };
    let (ours_blocks, theirs_blocks) = (cut(&ours)?, cut(&theirs)?);
    let block = |text: &'_ str, blocks: &Blocks, key: &str| -> Option<String> {
        blocks
            .range(key)
            .and_then(|r| text.get(r))
            .map(str::to_owned)
    };
    let mut out = String::new();
    let (ours_pre, theirs_pre) = (
        &ours[ours_blocks.preamble.clone()],
        &theirs[theirs_blocks.preamble.clone()],
    );
    if plan.preamble == Pick::Conflict {
        out.push_str(&markers(Some(ours_pre), Some(theirs_pre), labels));
    } else {
        out.push_str(ours_pre);
    }
    for (key, field) in &plan.keys {
        let (o, t) = (
            block(&ours, &ours_blocks, key),
            block(&theirs, &theirs_blocks, key),
        );
        if conflicted(field) && o != t {
            out = line_ended(&out);
            out.push_str(&markers(o.as_deref(), t.as_deref(), labels));
        } else if let Some(o) = o {
            out = line_ended(&out);
            out.push_str(&o);
        }
    }
    Ok(out)
}

/// Codes whose findings involve the variants as well as the place they point at.
const ABOUT_VARIANTS: &[&str] = &["rule/unknown-variant", "rule/variant-type"];

/// The merged `text`, which validates on neither side's account, with markers around the keys
/// the new findings point at: each side's own block of them.
pub(crate) fn mark_invalid(
    sides: &Sides,
    text: &str,
    introduced: &[Finding],
    labels: &Labels,
) -> Result<(String, Vec<Conflict>), Unmergeable> {
    let root = root_of(text);
    let blocks =
        Blocks::cut(text, root.as_ref()).ok_or_else(|| unwritable("the top-level keys"))?;
    let value = |side: Side, key: &str| sides.version(side).get(key);
    let differs = |key: &str| {
        value(Side::Ours, key).map(Node::fingerprint)
            != value(Side::Theirs, key).map(Node::fingerprint)
    };
    let mut conflicts = Vec::new();
    let mut marked: Vec<String> = Vec::new();
    for finding in introduced {
        let key = finding
            .line
            .and_then(|line| blocks.key_at_line(text, line))
            .unwrap_or("name")
            .to_owned();
        conflicts.push(Conflict {
            field: key.clone(),
            kind: ConflictKind::Invalid {
                code: finding.code.to_string(),
                message: finding.message.clone(),
            },
            ours: value(Side::Ours, &key).map(show),
            theirs: value(Side::Theirs, &key).map(show),
        });
        let mut keys = vec![key];
        if ABOUT_VARIANTS.contains(&finding.code.as_str()) {
            keys.push("variants".to_owned());
        }
        for key in keys {
            if !marked.contains(&key) && differs(&key) {
                marked.push(key);
            }
        }
    }
    if marked.is_empty() {
        marked = blocks
            .entries
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| differs(k))
            .collect();
    }
    let mut out = text[blocks.preamble.clone()].to_owned();
    for (key, range) in &blocks.entries {
        out = line_ended(&out);
        if marked.contains(key) {
            out.push_str(&markers(
                sides.block(Side::Ours, Some(key)),
                sides.block(Side::Theirs, Some(key)),
                labels,
            ));
        } else {
            out.push_str(&text[range.clone()]);
        }
    }
    Ok((out, conflicts))
}
