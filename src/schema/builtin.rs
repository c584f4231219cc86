//! The built-in flag and segment schemas, checked directly on the spanned tree.
//!
//! Converting every file to a `serde_json::Value` for the validator costs more than parsing it.
//! Almost every file is valid, so these functions answer only "does the file hold?", exactly as
//! the JSON Schema in `schemas/` would on the file's JSON (`Node::to_json`); when they say no, the
//! validator runs and words the violations. A test holds them to the schema's own verdict.

use crate::yaml::{Entry, Node, Value};

/// Whether `node` holds `schemas/flag.schema.json`.
pub fn flag_holds(node: &Node) -> bool {
    let Some(entries) = node.as_map() else {
        return false;
    };
    const REQUIRED: [&str; 7] = [
        "name",
        "version",
        "description",
        "owner",
        "type",
        "lifecycle",
        "enabled",
    ];
    if !REQUIRED.iter().all(|key| has(entries, key)) {
        return false;
    }
    // `allOf`: a flag of a type other than boolean names its variants and default.
    let typed = node
        .get("type")
        .and_then(Node::as_str)
        .is_some_and(|t| matches!(t, "string" | "number" | "object"));
    if typed && !(has(entries, "variants") && has(entries, "default")) {
        return false;
    }
    entries.iter().all(|e| {
        let v = &e.value;
        match e.key.as_str() {
            "name" | "description" | "owner" | "default" | "requires" | "serve" => non_empty(v),
            "version" => v.as_str().is_some(),
            "kind" => one_of(v, &["release", "experiment", "ops", "permission"]),
            "lifecycle" => one_of(v, &["draft", "pending", "approved", "deprecated"]),
            "type" => one_of(v, &["boolean", "string", "number", "object"]),
            "variants" => v
                .as_map()
                .is_some_and(|m| !m.is_empty() && m.iter().all(|e| variant_name(&e.key))),
            "expires" => v.as_str().is_some_and(date_pattern),
            "tags" => v.as_seq().is_some_and(|items| {
                items.iter().all(|i| i.as_str().is_some())
                    && items
                        .iter()
                        .enumerate()
                        .all(|(n, i)| !items[..n].iter().any(|j| j.as_str() == i.as_str()))
            }),
            "annotations" => v.as_map().is_some(),
            "enabled" => v.as_bool().is_some(),
            "rules" => v.as_seq().is_some_and(|rules| rules.iter().all(rule)),
            "rollout" => rollout(v),
            _ => false,
        }
    })
}

/// Whether `node` holds `schemas/segment.schema.json`.
pub fn segment_holds(node: &Node) -> bool {
    let Some(entries) = node.as_map() else {
        return false;
    };
    ["name", "description", "when"]
        .iter()
        .all(|key| has(entries, key))
        && entries.iter().all(|e| match e.key.as_str() {
            "name" | "description" => non_empty(&e.value),
            "when" => conditions(&e.value),
            _ => false,
        })
}

fn has(entries: &[Entry], key: &str) -> bool {
    entries.iter().any(|e| e.key == key)
}

/// `{ "type": "string", "minLength": 1 }`
fn non_empty(node: &Node) -> bool {
    node.as_str().is_some_and(|s| !s.is_empty())
}

fn one_of(node: &Node, options: &[&str]) -> bool {
    node.as_str().is_some_and(|s| options.contains(&s))
}

/// A JSON number: an integer or a finite float (the others become `null` in JSON).
fn number(node: &Node) -> bool {
    match node.value {
        Value::Int(_) => true,
        Value::Float(f) => f.is_finite(),
        _ => false,
    }
}

/// `^[A-Za-z0-9][A-Za-z0-9_.-]*$`
fn variant_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
fn date_pattern(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// `#/$defs/rollout`
fn rollout(node: &Node) -> bool {
    node.as_map()
        .is_some_and(|m| !m.is_empty() && m.iter().all(|e| number(&e.value)))
}

/// `#/$defs/rule`
fn rule(node: &Node) -> bool {
    node.as_map().is_some_and(|entries| {
        entries.iter().all(|e| {
            let v = &e.value;
            match e.key.as_str() {
                "name" => v.as_str().is_some(),
                "segment" | "serve" => non_empty(v),
                "tenants" => v
                    .as_seq()
                    .is_some_and(|t| !t.is_empty() && t.iter().all(|i| i.as_str().is_some())),
                "when" => conditions(v),
                "rollout" => rollout(v),
                _ => false,
            }
        })
    })
}

/// `#/$defs/conditions`
fn conditions(node: &Node) -> bool {
    node.as_seq()
        .is_some_and(|items| !items.is_empty() && items.iter().all(condition))
}

/// `#/$defs/condition`
fn condition(node: &Node) -> bool {
    const OPS: &[&str] = &[
        "eq",
        "neq",
        "in",
        "not_in",
        "starts_with",
        "ends_with",
        "matches",
        "semver_eq",
        "semver_gt",
        "semver_gte",
        "semver_lt",
        "semver_lte",
        "lt",
        "lte",
        "gt",
        "gte",
    ];
    let scalar = |v: &Node| v.as_str().is_some() || v.as_bool().is_some() || number(v);
    node.as_map().is_some_and(|entries| {
        has(entries, "attribute")
            && has(entries, "op")
            && entries.iter().all(|e| {
                let v = &e.value;
                match e.key.as_str() {
                    "attribute" => non_empty(v),
                    "op" => one_of(v, OPS),
                    "value" => scalar(v),
                    "values" => v.as_seq().is_some_and(|items| items.iter().all(scalar)),
                    _ => false,
                }
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;

    /// A flag using every key and every nested definition of the schema.
    const FULL: &str = r#"name: f
version: 1.0.0
description: d
owner: o
kind: release
lifecycle: approved
type: string
variants: { a: x, b.2-c_d: y }
default: a
requires: ">=1.2"
expires: 2031-01-02
tags: [x, y]
annotations: { any: [1, {deep: true}] }
enabled: true
rules:
  - name: r
    segment: s
    tenants: [t1]
    when:
      - { attribute: a, op: eq, value: x }
      - { attribute: b, op: in, values: [1, 2.5, true, s] }
      - { attribute: c, op: semver_gte, value: 1 }
    serve: a
  - rollout: { a: 10, b.2-c_d: 90.0 }
serve: a
rollout: { a: 50, b.2-c_d: 50 }
"#;

    /// Values of every kind a YAML file can hold, to put in place of each value of `FULL`.
    const REPLACEMENTS: &[&str] = &[
        "~",
        "true",
        "false",
        "0",
        "-3",
        "1.5",
        ".nan",
        ".inf",
        "\"\"",
        "x",
        "\"1.0\"",
        "release",
        "draft",
        "boolean",
        "object",
        "2031-01-02",
        "2031-1-02",
        "\"2031-01-02\\n\"",
        "eq",
        "[]",
        "[x]",
        "[x, x]",
        "[1]",
        "[{attribute: a, op: eq}]",
        "[{attribute: a}]",
        "[{op: eq, attribute: '', value: 1}]",
        "[{attribute: a, op: lt, value: [1]}]",
        "[{attribute: a, op: lt, values: [null]}]",
        "[{attribute: a, op: lt, extra: 1}]",
        "[{serve: a}]",
        "[{serve: ''}]",
        "[{tenants: []}]",
        "[{tenants: [1]}]",
        "[{rollout: {a: x}}]",
        "[{rollout: {}}]",
        "[{bogus: 1}]",
        "[{name: 1}]",
        "{}",
        "{a: 1}",
        "{a: .inf}",
        "{_a: 1}",
        "{a b: 1}",
        "{'': 1}",
        "{a: x}",
    ];

    fn verdicts(schema: &Schema, holds: fn(&Node) -> bool, text: &str) {
        let root = crate::yaml::parse(text)
            .expect("parses")
            .root
            .expect("a root");
        assert_eq!(
            holds(&root),
            schema.check(&root, &root.to_json()).is_empty(),
            "the direct check and the schema disagree on:\n{text}"
        );
    }

    /// `FULL` with the value on each line (or the whole line) replaced in turn.
    fn variations(base: &str) -> Vec<String> {
        let lines: Vec<&str> = base.lines().collect();
        let mut out = vec![base.to_owned()];
        for (i, line) in lines.iter().enumerate() {
            let mut without = lines.clone();
            without.remove(i);
            out.push(without.join("\n"));
            if let Some((key, _)) = line.split_once(": ") {
                for value in REPLACEMENTS {
                    let mut changed = lines.clone();
                    let replaced = format!("{key}: {value}");
                    changed[i] = &replaced;
                    out.push(changed.join("\n"));
                }
            }
        }
        out.push(format!("{base}unknown: 1\n"));
        out.push(
            base.replace("type: string", "type: boolean")
                .replace("variants", "x-variants"),
        );
        out.push(base.replace("default: a\n", ""));
        out.push(
            base.replace("type: string", "type: boolean")
                .replace("default: a\n", ""),
        );
        out
    }

    #[test]
    fn the_direct_flag_check_agrees_with_the_schema() {
        let schema = Schema::flag();
        for text in variations(FULL) {
            if crate::yaml::parse(&text).is_ok_and(|d| d.root.is_some()) {
                verdicts(&schema, flag_holds, &text);
            }
        }
    }

    #[test]
    fn the_direct_segment_check_agrees_with_the_schema() {
        let schema = Schema::segment();
        let base = "name: s\ndescription: d\nwhen:\n  - { attribute: a, op: eq, value: x }\n";
        for text in variations(base) {
            if crate::yaml::parse(&text).is_ok_and(|d| d.root.is_some()) {
                verdicts(&schema, segment_holds, &text);
            }
        }
    }
}
