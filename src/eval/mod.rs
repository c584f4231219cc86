//! Evaluating flags for a context (SPEC §8): what flagd answers on `flagctl export`'s file.
//!
//! A flag is compiled once into a [`Program`], the typed form of what the export writes as flagd
//! JSONLogic (one `if` over the rules, segments as `$evaluators`, rollouts as `fractional`), and
//! evaluated directly: every operator follows `@openfeature/flagd-core` 4 and its JSONLogic engine
//! ([`js`]), including missing attributes (`null`), mixed types, and comparisons that throw.

pub mod batch;
pub mod compat;
pub mod context;
pub mod hash;
pub mod js;
pub mod load;
pub mod semver;
pub mod spec;

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::model::{FlagType, Kind, Lifecycle, Op};
use crate::yaml::Pos;

pub use context::{Attr, Context};
pub use load::{Environment, load};

/// Why a flag served what it served: flagd's resolution reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// The flag has no targeting: the one variant it serves.
    Static,
    /// Targeting chose the variant (a rule, a percentage split, or the fallthrough).
    TargetingMatch,
    /// Targeting chose none (a rollout without a `targetingKey`): the `default` variant.
    Default,
    /// The flag is disabled: its `default` variant.
    Disabled,
    /// Targeting failed (a comparison flagd refuses): applications get their code default.
    Error,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Static => "STATIC",
            Reason::TargetingMatch => "TARGETING_MATCH",
            Reason::Default => "DEFAULT",
            Reason::Disabled => "DISABLED",
            Reason::Error => "ERROR",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A flag of one environment, ready to evaluate and to export.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub key: String,
    pub flag_type: FlagType,
    /// Variant names and values, in the order written.
    pub variants: Vec<(String, Value)>,
    /// What a disabled flag serves, and what targeting that chooses nothing falls back to.
    pub default: String,
    pub enabled: bool,
    pub targeting: Targeting,
    pub metadata: Metadata,
}

/// The metadata flagd carries with a flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub version: Option<String>,
    pub lifecycle: Option<Lifecycle>,
    pub owner: Option<String>,
    pub kind: Kind,
    /// The app versions that understand the flag (a semver range), if it says.
    pub requires: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Targeting {
    /// No targeting: this variant, always (`STATIC`).
    Static(String),
    /// Rules in order (first match wins), then the fallthrough, if any.
    Rules {
        rules: Vec<RuleProgram>,
        fallthrough: Option<Target>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleProgram {
    /// The rule's `name`, or `rule N` (1-based) for an unnamed one.
    pub name: String,
    /// All must hold, in this order (the order flagd evaluates them in).
    pub tests: Vec<Test>,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// A segment's conditions, all of which must hold (none: the segment matches nobody).
    Segment {
        name: String,
        conditions: Vec<Condition>,
    },
    /// The context attribute `tenant` is one of these.
    Tenants(Vec<String>),
    Condition(Condition),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// As written (`user.country`), and split as JSONLogic's `var` splits it.
    pub attribute: String,
    pub path: Vec<String>,
    pub check: Check,
}

/// What a condition checks, with its operand as written (JSON).
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// `eq`: `===`, no coercion.
    Equals(Value),
    /// `neq`: `!==`.
    NotEquals(Value),
    /// `in`: the list `includes` the attribute (same type and value).
    In(Vec<Value>),
    /// `not_in`: `!` of the above.
    NotIn(Vec<Value>),
    /// flagd's `starts_with` / `ends_with`: both sides must be strings.
    StartsWith(Value),
    EndsWith(Value),
    /// flagd's `sem_ver` against the operand; `None` where the operand is no version.
    Semver(semver::SemverOp, Value, Option<semver::NodeVersion>),
    /// `<`, `<=`, `>`, `>=` with JavaScript's coercions.
    Compare(js::Relation, Value),
}

/// What a rule or the fallthrough serves.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Variant(String),
    /// flagd `fractional` buckets: integer weights in the rollout's proportions.
    Rollout(Vec<(String, u64)>),
}

/// Why a flag cannot be compiled (and so neither evaluated nor exported).
#[derive(Debug, Clone, PartialEq)]
pub struct Unservable {
    pub code: crate::finding::Code,
    pub message: String,
    pub pos: Pos,
}

/// One evaluation's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution<'p> {
    pub value: Option<&'p Value>,
    pub variant: Option<&'p str>,
    pub reason: Reason,
    /// The rule that matched (`None` for the fallthrough and flags without targeting).
    pub rule: Option<&'p str>,
    /// Why targeting failed, with reason [`Reason::Error`].
    pub error: Option<String>,
}

/// Evaluation's finding codes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "eval/")]
pub enum Code {
    /// The flag lacks something flagd needs to serve it (a name, a type, variants, a `default` that
    /// is one of its variants, something to serve for every rule), or names a variant or segment
    /// that does not exist, or has variant values of the wrong type. `flagctl validate` reports the
    /// same problems with more detail; fix them there first.
    #[strum(message = "a flag cannot be evaluated or exported as written")]
    InvalidFlag,
}

impl crate::finding::Codes for Code {
    fn severity(self) -> crate::finding::Severity {
        crate::finding::Severity::Error
    }
}

/// `flagctl compat`'s finding codes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "compat/")]
pub enum CompatCode {
    /// `requires` names the app versions that understand a flag (a semver range, `>=4.2.0`). An app
    /// outside it does not know the flag: it gets the default written in its code, whatever the
    /// flag serves. `flagctl compat --env E --app VERSION` reports each enabled flag the version
    /// cannot use; `--matrix` shows every flag against every version of `app_versions`. `--strict`
    /// makes these warnings fail the command, for a release check in CI.
    #[strum(message = "an enabled flag's `requires` excludes an app version")]
    Unsupported,
}

impl crate::finding::Codes for CompatCode {
    fn severity(self) -> crate::finding::Severity {
        crate::finding::Severity::Warning
    }
}

/// The context attribute `tenants` match.
pub const TENANT_ATTRIBUTE: &str = "tenant";
/// The attribute percentages bucket by.
pub const TARGETING_KEY: &str = "targetingKey";

impl Program {
    pub fn variant_value(&self, name: &str) -> Option<&Value> {
        self.variants
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Evaluates the flag for `context` (a JSON object) at `now` (Unix seconds, for
    /// `$flagd.timestamp`).
    pub fn evaluate(&self, context: &Context, now: i64) -> Resolution<'_> {
        if !self.enabled {
            return self.serve(&self.default, Reason::Disabled, None);
        }
        let (rules, fallthrough) = match &self.targeting {
            Targeting::Static(variant) => return self.serve(variant, Reason::Static, None),
            Targeting::Rules { rules, fallthrough } => (rules, fallthrough),
        };
        let scope = Scope {
            context,
            flag_key: &self.key,
            now,
        };
        for rule in rules {
            match scope.all(&rule.tests) {
                Ok(true) => return self.target(&rule.target, Some(&rule.name), &scope),
                Ok(false) => {}
                Err(error) => {
                    return Resolution {
                        value: None,
                        variant: None,
                        reason: Reason::Error,
                        rule: Some(&rule.name),
                        error: Some(error),
                    };
                }
            }
        }
        match fallthrough {
            Some(target) => self.target(target, None, &scope),
            None => self.serve(&self.default, Reason::Default, None),
        }
    }

    fn target<'p>(
        &'p self,
        target: &'p Target,
        rule: Option<&'p str>,
        scope: &Scope,
    ) -> Resolution<'p> {
        match target {
            Target::Variant(variant) => self.serve(variant, Reason::TargetingMatch, rule),
            Target::Rollout(weights) => {
                match scope.bucket_by().and_then(|by| hash::pick(&by, weights)) {
                    Some(variant) => self.serve(variant, Reason::TargetingMatch, rule),
                    None => self.serve(&self.default, Reason::Default, rule),
                }
            }
        }
    }

    fn serve<'p>(
        &'p self,
        variant: &'p str,
        reason: Reason,
        rule: Option<&'p str>,
    ) -> Resolution<'p> {
        Resolution {
            value: self.variant_value(variant),
            variant: Some(variant),
            reason,
            rule,
            error: None,
        }
    }
}

/// What targeting sees: the context with flagd's `$flagd` properties.
struct Scope<'c> {
    context: &'c Context<'c>,
    flag_key: &'c str,
    now: i64,
}

impl Scope<'_> {
    /// What `fractional` hashes: flag key + `String(targetingKey)`, or nothing when the key is
    /// missing or falsy (JavaScript's `!targetingKey`: `""`, `0`, `false`, `null`).
    fn bucket_by(&self) -> Option<String> {
        let key = self.context.get(TARGETING_KEY)?;
        let falsy = match key {
            Attr::Null => true,
            Attr::Bool(b) => !b,
            Attr::Number(n) => js::as_number(n) == 0.0,
            Attr::String(s) => s.is_empty(),
            Attr::Array(_) | Attr::Object(_) => false,
        };
        (!falsy).then(|| {
            let mut by = String::with_capacity(self.flag_key.len() + 32);
            by.push_str(self.flag_key);
            js::write_string(key, &mut by);
            by
        })
    }

    /// `and` over `tests`: stops at the first that fails (later ones are never evaluated, so
    /// they cannot fail the evaluation either).
    fn all(&self, tests: &[Test]) -> Result<bool, String> {
        for test in tests {
            let holds = match test {
                Test::Segment { conditions, .. } => {
                    !conditions.is_empty() && self.all_conditions(conditions)?
                }
                Test::Tenants(tenants) => match self.context.get(TENANT_ATTRIBUTE) {
                    Some(Attr::String(t)) => tenants.iter().any(|x| x == t),
                    _ => false,
                },
                Test::Condition(c) => self.holds(c)?,
            };
            if !holds {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn all_conditions(&self, conditions: &[Condition]) -> Result<bool, String> {
        for c in conditions {
            if !self.holds(c)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn holds(&self, condition: &Condition) -> Result<bool, String> {
        let flagd;
        let found = match condition.path.split_first() {
            Some((first, rest)) if first == "$flagd" => {
                flagd = Attr::Object(Context::from_pairs(vec![
                    ("flagKey".into(), Attr::String(self.flag_key.into())),
                    ("timestamp".into(), Attr::Number(self.now.into())),
                ]));
                js::lookup(&flagd, rest)
            }
            Some((first, rest)) => match self.context.get(first) {
                Some(value) => js::lookup(value, rest),
                None => js::Lookup::Missing,
            },
            None => js::Lookup::Missing,
        };
        let value = found.to_value();
        check(&condition.check, &value).map_err(|js::NotComparable| {
            format!(
                "attribute \"{}\" is {}, which flagd cannot compare with {}: the evaluation fails",
                condition.attribute,
                value,
                condition.check.operand()
            )
        })
    }
}

/// Whether `check` holds for `value` (`null` for a missing attribute).
fn check(check: &Check, value: &Attr) -> Result<bool, js::NotComparable> {
    Ok(match check {
        Check::Equals(operand) => js::strict_equals(value, operand),
        Check::NotEquals(operand) => !js::strict_equals(value, operand),
        Check::In(list) => list.iter().any(|x| js::strict_equals(value, x)),
        Check::NotIn(list) => !list.iter().any(|x| js::strict_equals(value, x)),
        Check::StartsWith(operand) => match (value, operand) {
            (Attr::String(v), Value::String(o)) => v.starts_with(o.as_str()),
            _ => false,
        },
        Check::EndsWith(operand) => match (value, operand) {
            (Attr::String(v), Value::String(o)) => v.ends_with(o.as_str()),
            _ => false,
        },
        Check::Semver(op, _, operand) => match (semver::NodeVersion::normalize(value), operand) {
            (Some(v), Some(o)) => op.holds(v.compare(o)),
            _ => false,
        },
        Check::Compare(relation, operand) => js::compare(*relation, value, &Attr::from(operand))?,
    })
}

/// The `Check` of an operator and its operand, or why it has none in flagd.
pub fn check_of(op: Op, operand: &Value) -> Result<Check, String> {
    use semver::SemverOp;
    let list = || match operand {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    let semver = |op: SemverOp| {
        Check::Semver(
            op,
            operand.clone(),
            semver::NodeVersion::normalize(&Attr::from(operand)),
        )
    };
    Ok(match op {
        Op::Eq => Check::Equals(operand.clone()),
        Op::Neq => Check::NotEquals(operand.clone()),
        Op::In => Check::In(list()),
        Op::NotIn => Check::NotIn(list()),
        Op::StartsWith => Check::StartsWith(operand.clone()),
        Op::EndsWith => Check::EndsWith(operand.clone()),
        Op::SemverEq => semver(SemverOp::Eq),
        Op::SemverGt => semver(SemverOp::Gt),
        Op::SemverGte => semver(SemverOp::Gte),
        Op::SemverLt => semver(SemverOp::Lt),
        Op::SemverLte => semver(SemverOp::Lte),
        Op::Lt => Check::Compare(js::Relation::Lt, operand.clone()),
        Op::Lte => Check::Compare(js::Relation::Lte, operand.clone()),
        Op::Gt => Check::Compare(js::Relation::Gt, operand.clone()),
        Op::Gte => Check::Compare(js::Relation::Gte, operand.clone()),
        Op::Matches => {
            return Err(
                "`matches` (a regular expression), which flagd has no operator for".to_owned(),
            );
        }
    })
}

/// Integer weights in the proportions of `percents` (negative ones count as 0, as in flagd):
/// scaled by the smallest power of ten that makes every weight whole, up to a millionth of a
/// percent.
pub fn integer_weights(percents: &[f64]) -> Vec<u64> {
    let clamp = |p: f64| if p.is_finite() && p > 0.0 { p } else { 0.0 };
    let scale = (0..=6)
        .map(|k| 10f64.powi(k))
        .find(|scale| {
            percents
                .iter()
                .all(|&p| (clamp(p) * scale - (clamp(p) * scale).round()).abs() < 1e-6)
        })
        .unwrap_or(1e6);
    percents
        .iter()
        // Saturating float-to-int conversion; weights beyond i32 are refused by the compiler.
        .map(|&p| (clamp(p) * scale).round() as u64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_keep_their_proportions_as_integers() {
        assert_eq!(integer_weights(&[10.0, 90.0]), [10, 90]);
        assert_eq!(integer_weights(&[12.5, 87.5]), [125, 875]);
        assert_eq!(integer_weights(&[33.3, 33.3, 33.4]), [333, 333, 334]);
        assert_eq!(integer_weights(&[-5.0, 105.0]), [0, 105]);
    }
}

#[cfg(test)]
mod properties {
    use std::collections::HashMap;

    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;
    use crate::model::{Flag, Segment};

    const FLAG: &str = "\
name: f
version: 1.0.0
type: string
variants: { a: alpha, b: beta, c: gamma }
default: a
enabled: true
rules:
  - name: segment
    segment: s
    serve: b
  - tenants: [acme]
    serve: c
  - when:
      - { attribute: n, op: gte, value: 5 }
      - { attribute: v, op: semver_gt, value: \"1.2.3\" }
      - { attribute: s, op: starts_with, value: x }
      - { attribute: u.p, op: in, values: [1, \"1\", true] }
      - { attribute: w, op: lt, value: \"m\" }
    rollout: { a: 33.3, b: 33.3, c: 33.4 }
rollout: { b: 50, c: 50 }
";

    fn program() -> Program {
        let root = crate::yaml::parse(FLAG)
            .ok()
            .and_then(|d| d.root)
            .expect("the test flag parses");
        let segment_root = crate::yaml::parse(
            "name: s\nwhen:\n  - { attribute: e, op: ends_with, value: \"@x.io\" }\n",
        )
        .ok()
        .and_then(|d| d.root)
        .expect("the test segment parses");
        let segments = HashMap::from([("s".to_owned(), Segment::from_node(&segment_root))]);
        load::compile(&Flag::from_node(&root), &root, &segments).expect("the test flag compiles")
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            any::<i64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            prop_oneof![
                Just("5"),
                Just("1.2.4"),
                Just("v2.0.0"),
                Just("x1"),
                Just("acme"),
                Just("a@x.io")
            ]
            .prop_map(|s| Value::String(s.to_owned())),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![Just("p".to_owned()), ".{0,4}".prop_map(String::from)],
                    inner,
                    0..4
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn context() -> impl Strategy<Value = serde_json::Map<String, Value>> {
        proptest::collection::btree_map(
            prop_oneof![
                Just("targetingKey"),
                Just("tenant"),
                Just("n"),
                Just("v"),
                Just("s"),
                Just("u"),
                Just("w"),
                Just("e"),
                Just("$flagd")
            ]
            .prop_map(str::to_owned),
            json(),
            0..8,
        )
        .prop_map(|m| m.into_iter().collect())
    }

    proptest! {
        /// Any context gets an answer: a variant of the flag with its value, or flagd's error.
        #[test]
        fn evaluation_never_panics(context in context()) {
            let program = program();
            let r = program.evaluate(&Context::from(&context), 1_700_000_000);
            match r.reason {
                Reason::Error => prop_assert!(r.value.is_none() && r.error.is_some()),
                _ => {
                    let variant = r.variant.expect("a variant");
                    prop_assert_eq!(r.value, program.variant_value(variant));
                }
            }
        }

        /// A context read from a request's text (borrowing its strings) gets the answer the same
        /// context gets as `serde_json` values (`flagctl eval --context` and `flagctl test`).
        #[test]
        fn contexts_read_from_text_answer_as_values_do(context in context()) {
            let program = program();
            let text = serde_json::to_string(&context).expect("serializes");
            let read: Attr = serde_json::from_str(&text).expect("reads");
            let Attr::Object(read) = read else { panic!("an object reads as one") };
            prop_assert_eq!(
                program.evaluate(&read, 1_700_000_000),
                program.evaluate(&Context::from(&context), 1_700_000_000)
            );
        }

        /// The same flags export to the same bytes, whatever order they are listed in.
        #[test]
        fn export_is_deterministic(reverse in any::<bool>(), commit in "[0-9a-f]{40}") {
            let a = program();
            let mut b = program();
            b.key = "g".to_owned();
            let provenance = crate::export::Provenance { commit: Some(commit), dirty: false };
            let order = if reverse { vec![&b, &a] } else { vec![&a, &b] };
            let first = crate::export::to_bytes(&crate::export::document("prod", &order, &provenance));
            let second = crate::export::to_bytes(&crate::export::document("prod", &[&a, &b], &provenance));
            prop_assert_eq!(first, second);
        }
    }
}
