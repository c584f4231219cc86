//! Typed flags and segments, read leniently from a spanned YAML tree.
//!
//! A field of the wrong shape reads as absent here: the schema pass reports it, and the rules
//! judge only what they can read, so one mistake yields one finding.

use std::fmt;

use crate::yaml::{Node, Pos, Value};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub pos: Pos,
}

macro_rules! keyword_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword_enum!(
    /// What values a flag serves.
    FlagType { Boolean = "boolean", String = "string", Number = "number", Object = "object" }
);
keyword_enum!(
    /// Why a flag exists; decides how long it may live (`kinds` in `flagctl.yaml`).
    Kind { Release = "release", Experiment = "experiment", Ops = "ops", Permission = "permission" }
);
keyword_enum!(
    /// Where a flag is in its life; only ever moves forward.
    Lifecycle { Draft = "draft", Pending = "pending", Approved = "approved", Deprecated = "deprecated" }
);
keyword_enum!(
    /// A condition's operator.
    Op {
        Eq = "eq", Neq = "neq", In = "in", NotIn = "not_in", StartsWith = "starts_with",
        EndsWith = "ends_with", Matches = "matches", SemverEq = "semver_eq", SemverGt = "semver_gt",
        SemverGte = "semver_gte", SemverLt = "semver_lt", SemverLte = "semver_lte", Lt = "lt",
        Lte = "lte", Gt = "gt", Gte = "gte",
    }
);

/// One named value a flag can serve.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub name: String,
    /// Where the variant's name is written (or the flag's start for implied boolean variants).
    pub pos: Pos,
    pub value: Node,
}

/// What a rule or the fallthrough serves.
#[derive(Debug, Clone, PartialEq)]
pub enum Serve {
    Variant(Spanned<String>),
    /// Variant weights in percent, in source order; `pos` is the `rollout` mapping.
    Rollout {
        weights: Vec<Weight>,
        pos: Pos,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Weight {
    pub variant: Spanned<String>,
    pub percent: Spanned<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub attribute: String,
    pub op: Op,
    /// `value` or `values`, as written.
    pub operand: Node,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: Option<String>,
    pub pos: Pos,
    pub segment: Option<Spanned<String>>,
    pub tenants: Vec<String>,
    pub conditions: Vec<Condition>,
    pub serve: Option<Serve>,
}

/// A flag as one environment holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    pub name: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
    pub kind: Kind,
    pub lifecycle: Option<Spanned<Lifecycle>>,
    pub flag_type: Option<Spanned<FlagType>>,
    /// Declared variants, or for a boolean flag that declares none, `on: true` and `off: false`.
    pub variants: Vec<Variant>,
    pub default: Option<Spanned<String>>,
    pub requires: Option<Spanned<String>>,
    pub expires: Option<Spanned<String>>,
    pub enabled: Option<bool>,
    pub rules: Vec<Rule>,
    pub fallthrough: Option<Serve>,
}

impl Flag {
    pub fn from_node(root: &Node) -> Flag {
        let flag_type = spanned_keyword(root, "type", FlagType::parse);
        let mut variants: Vec<Variant> = root
            .get("variants")
            .and_then(Node::as_map)
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| Variant {
                        name: e.key.clone(),
                        pos: e.key_pos,
                        value: e.value.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let is_boolean = flag_type
            .as_ref()
            .is_some_and(|t| t.value == FlagType::Boolean);
        let mut default = spanned_str(root, "default");
        if is_boolean && root.get("variants").is_none() {
            variants = [("on", true), ("off", false)]
                .into_iter()
                .map(|(name, value)| Variant {
                    name: name.to_owned(),
                    pos: root.pos,
                    value: Node {
                        value: Value::Bool(value),
                        pos: root.pos,
                    },
                })
                .collect();
            if default.is_none() {
                default = Some(Spanned {
                    value: "off".to_owned(),
                    pos: root.pos,
                });
            }
        }
        Flag {
            name: spanned_str(root, "name"),
            version: spanned_str(root, "version"),
            kind: root
                .get("kind")
                .and_then(Node::as_str)
                .and_then(Kind::parse)
                .unwrap_or(Kind::Release),
            lifecycle: spanned_keyword(root, "lifecycle", Lifecycle::parse),
            flag_type,
            variants,
            default,
            requires: spanned_str(root, "requires"),
            expires: spanned_str(root, "expires"),
            enabled: root.get("enabled").and_then(Node::as_bool),
            rules: root
                .get("rules")
                .and_then(Node::as_seq)
                .map(|rules| rules.iter().map(Rule::from_node).collect())
                .unwrap_or_default(),
            fallthrough: Serve::from_parent(root),
        }
    }

    pub fn variant(&self, name: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.name == name)
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_ref().map(|n| n.value.as_str())
    }

    /// Every `serve` and `rollout` of the flag: its rules' in order, then the fallthrough.
    pub fn serves(&self) -> impl Iterator<Item = &Serve> {
        self.rules
            .iter()
            .filter_map(|r| r.serve.as_ref())
            .chain(self.fallthrough.as_ref())
    }
}

impl Rule {
    fn from_node(node: &Node) -> Rule {
        Rule {
            name: node.get("name").and_then(Node::as_str).map(str::to_owned),
            pos: node.pos,
            segment: spanned_str(node, "segment"),
            tenants: node
                .get("tenants")
                .and_then(Node::as_seq)
                .map(|t| {
                    t.iter()
                        .filter_map(Node::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            conditions: conditions(node),
            serve: Serve::from_parent(node),
        }
    }
}

impl Serve {
    /// The `serve:` or `rollout:` of a flag or rule (`serve` wins if both are written; the schema
    /// and rules report that).
    fn from_parent(parent: &Node) -> Option<Serve> {
        if let Some(variant) = spanned_str(parent, "serve") {
            return Some(Serve::Variant(variant));
        }
        let rollout = parent.get("rollout")?;
        let weights = rollout
            .as_map()?
            .iter()
            .filter_map(|e| {
                Some(Weight {
                    variant: Spanned {
                        value: e.key.clone(),
                        pos: e.key_pos,
                    },
                    percent: Spanned {
                        value: e.value.as_f64()?,
                        pos: e.value.pos,
                    },
                })
            })
            .collect();
        Some(Serve::Rollout {
            weights,
            pos: rollout.pos,
        })
    }
}

/// What a flag says about its owner, purpose and life, and whom it serves: what `stale` and the
/// dashboard judge, read from the same parse as drift.
#[derive(Debug, Clone, PartialEq)]
pub struct Traits {
    pub description: Option<String>,
    pub owner: Option<String>,
    pub kind: Kind,
    pub lifecycle: Option<Spanned<Lifecycle>>,
    pub expires: Option<Spanned<String>>,
    pub enabled: Option<bool>,
    /// The variant every user gets, when every user gets the same one: a disabled flag's
    /// `default`, or the one variant all of an enabled flag's rules and fallthrough serve (a
    /// `serve:`, or a rollout with one variant at 100 %).
    pub everyone: Option<String>,
}

impl Traits {
    pub fn from_node(root: &Node) -> Traits {
        let text = |key: &str| root.get(key).and_then(Node::as_str).map(str::to_owned);
        let enabled = root.get("enabled").and_then(Node::as_bool);
        let boolean = root.get("type").and_then(Node::as_str) == Some("boolean");
        let everyone = match enabled {
            Some(false) => text("default").or_else(|| boolean.then(|| "off".to_owned())),
            Some(true) => {
                let fallthrough = match Serve::from_parent(root) {
                    Some(serve) => single(&serve),
                    None if boolean => Some("on".to_owned()),
                    None => None,
                };
                let rules: Vec<Option<String>> = root
                    .get("rules")
                    .and_then(Node::as_seq)
                    .map(|rules| {
                        rules
                            .iter()
                            .filter_map(Serve::from_parent)
                            .map(|s| single(&s))
                            .collect()
                    })
                    .unwrap_or_default();
                fallthrough.filter(|f| rules.iter().all(|r| r.as_ref() == Some(f)))
            }
            None => None,
        };
        Traits {
            description: text("description"),
            owner: text("owner").filter(|o| !o.trim().is_empty()),
            kind: text("kind")
                .as_deref()
                .and_then(Kind::parse)
                .unwrap_or(Kind::Release),
            lifecycle: spanned_keyword(root, "lifecycle", Lifecycle::parse),
            expires: spanned_str(root, "expires"),
            enabled,
            everyone,
        }
    }
}

/// The one variant a serve gives everyone it applies to: `serve: X`, or a rollout with one
/// variant at 100 % and the others at 0.
fn single(serve: &Serve) -> Option<String> {
    match serve {
        Serve::Variant(v) => Some(v.value.clone()),
        Serve::Rollout { weights, .. } => {
            let mut given = weights.iter().filter(|w| w.percent.value > 0.0);
            let only = given.next()?;
            (given.next().is_none() && only.percent.value >= 100.0)
                .then(|| only.variant.value.clone())
        }
    }
}

/// A named audience, shared by every environment unless overridden in `segments/<env>/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub name: Option<Spanned<String>>,
    pub conditions: Vec<Condition>,
}

impl Segment {
    pub fn from_node(root: &Node) -> Segment {
        Segment {
            name: spanned_str(root, "name"),
            conditions: conditions(root),
        }
    }
}

fn conditions(parent: &Node) -> Vec<Condition> {
    let Some(items) = parent.get("when").and_then(Node::as_seq) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|c| {
            Some(Condition {
                attribute: c.get("attribute")?.as_str()?.to_owned(),
                op: Op::parse(c.get("op")?.as_str()?)?,
                operand: c.get("values").or_else(|| c.get("value"))?.clone(),
                pos: c.pos,
            })
        })
        .collect()
}

fn spanned_str(node: &Node, key: &str) -> Option<Spanned<String>> {
    let value = node.get(key)?;
    Some(Spanned {
        value: value.as_str()?.to_owned(),
        pos: value.pos,
    })
}

fn spanned_keyword<T>(node: &Node, key: &str, parse: fn(&str) -> Option<T>) -> Option<Spanned<T>> {
    let value = node.get(key)?;
    Some(Spanned {
        value: parse(value.as_str()?)?,
        pos: value.pos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    fn flag(text: &str) -> Flag {
        Flag::from_node(&yaml::parse(text).expect("parses").root.expect("root"))
    }

    #[test]
    fn boolean_flags_without_variants_get_on_and_off() {
        let f = flag("name: f\ntype: boolean\nenabled: true\n");
        let names: Vec<&str> = f.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["on", "off"]);
        assert_eq!(f.default.map(|d| d.value).as_deref(), Some("off"));
        assert_eq!(f.kind, Kind::Release);
    }

    #[test]
    fn rules_and_rollouts_keep_their_positions() {
        let f = flag(
            "type: string\nvariants: {a: x, b: y}\nrules:\n  - segment: staff\n    serve: a\nrollout: {a: 10, b: 90}\n",
        );
        assert_eq!(f.rules[0].segment.as_ref().map(|s| s.pos.line), Some(4));
        let Some(Serve::Rollout { weights, .. }) = &f.fallthrough else {
            panic!("rollout expected")
        };
        assert_eq!(weights[1].percent.value, 90.0);
        assert_eq!(
            weights[1].variant.pos,
            Pos {
                line: 6,
                column: 18
            }
        );
        assert_eq!(f.serves().count(), 2);
    }

    fn traits(text: &str) -> Traits {
        Traits::from_node(&yaml::parse(text).expect("parses").root.expect("root"))
    }

    #[test]
    fn who_gets_what_everyone_gets() {
        let served = |text: &str| traits(text).everyone;
        assert_eq!(
            served("type: boolean\nenabled: true\n").as_deref(),
            Some("on")
        );
        assert_eq!(
            served("type: boolean\nenabled: false\n").as_deref(),
            Some("off")
        );
        assert_eq!(
            served("type: string\ndefault: a\nenabled: false\nrollout: {a: 10, b: 90}\n")
                .as_deref(),
            Some("a")
        );
        assert_eq!(
            served("type: string\nenabled: true\nrollout: {a: 10, b: 90}\n"),
            None
        );
        assert_eq!(
            served("type: string\nenabled: true\nrollout: {a: 0, b: 100}\n").as_deref(),
            Some("b")
        );
        // A rule serving something else means not everyone gets the same.
        assert_eq!(
            served("type: string\nenabled: true\nrules:\n  - serve: a\nserve: b\n"),
            None
        );
        assert_eq!(
            served("type: string\nenabled: true\nrules:\n  - rollout: {b: 100}\nserve: b\n")
                .as_deref(),
            Some("b")
        );
        assert_eq!(served("type: string\nenabled: true\n"), None);
    }
}
