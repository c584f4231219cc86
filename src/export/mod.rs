//! An environment as a flagd flag file (SPEC §8): what flagd, its in-process providers and
//! OFREP serve, giving every user what `flagctl eval` gives them.
//!
//! Each [`Program`] becomes one flag: its rules one `targeting` expression (`if` over the rules,
//! first match wins), segments `$evaluators` referenced with `$ref`, tenants the attribute
//! `tenant`, semver operators `sem_ver`, rollouts `fractional`. A disabled flag is exported
//! static, serving its `default` (flagd's own `DISABLED` would hand callers their code default).
//! The document's keys are sorted, so one repository state gives the same bytes.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::eval::{Check, Condition, Environment, Program, Target, Targeting, Test};
use crate::eval::{TENANT_ATTRIBUTE, js::Relation, semver::SemverOp};
use crate::finding::{Finding, Severity};

/// The export's finding codes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "export/")]
pub enum Code {
    /// flagd's targeting language (JSONLogic with flagd's `fractional`, `sem_ver`, `starts_with` and
    /// `ends_with`) has no regular expressions, so a flag whose rule, or whose rule's segment, uses
    /// `op: matches` cannot be served by flagd the way flagctl evaluates it. `flagctl export` refuses
    /// such a flag (nothing is written) and `flagctl eval` does not evaluate it; `flagctl validate`
    /// warns about it (`rule/regex`).
    ///
    /// Fix: express the condition with `eq`, `in`, `starts_with` or `ends_with` (a list of domains
    /// with `in` on an attribute your application sends, rather than a pattern over an email).
    #[strum(message = "a flag uses `matches`, which flagd cannot evaluate")]
    Regex,
    /// Before writing, `flagctl export` checks its output against flagd's published JSON schemas
    /// (vendored in `schemas/flagd/`). A flag that breaks them (for example a `semver_*` condition
    /// whose value is not a version) is refused with the schema's message, and nothing is written.
    #[strum(message = "the exported file would not validate against flagd's schema")]
    Invalid,
}

impl crate::finding::Codes for Code {
    fn severity(self) -> Severity {
        Severity::Error
    }
}

/// flagd's published schemas, vendored byte for byte (see `schemas/flagd/README.md`).
const FLAGS_SCHEMA: &str = include_str!("../../schemas/flagd/flags.json");
const TARGETING_SCHEMA: &str = include_str!("../../schemas/flagd/targeting.json");
const SCHEMA_URL: &str = "https://flagd.dev/schema/v0/flags.json";

/// What an export records about where it came from.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// The commit the files were read at (`HEAD`), if in git.
    pub commit: Option<String>,
    /// Whether flag files differed from that commit.
    pub dirty: bool,
}

/// The flagd flag file of `env`, or the findings that stop it (every flag that cannot be
/// compiled, and every schema violation).
pub fn flagd(env: &Environment, provenance: &Provenance) -> Result<Value, Vec<Finding>> {
    let mut findings = Vec::new();
    let mut programs = Vec::new();
    for (name, compiled) in &env.flags {
        match &compiled.program {
            Ok(program) => programs.push(program),
            Err(problems) => findings.extend(problems.iter().cloned().map(|f| {
                if f.flag.is_none() {
                    f.in_flag(Some(name), Some(&env.name))
                } else {
                    f
                }
            })),
        }
    }
    if !findings.is_empty() {
        return Err(findings);
    }
    let document = document(&env.name, &programs, provenance);
    let violations = validate(&document);
    if violations.is_empty() {
        Ok(document)
    } else {
        Err(violations)
    }
}

/// The flagd document for `programs` (no validation).
pub fn document(env: &str, programs: &[&Program], provenance: &Provenance) -> Value {
    let mut evaluators = BTreeMap::new();
    let mut flags = Map::new();
    for program in programs {
        flags.insert(program.key.clone(), flag(program, &mut evaluators));
    }
    let mut metadata = Map::new();
    metadata.insert("flagSetId".into(), json!(env));
    metadata.insert("environment".into(), json!(env));
    if let Some(commit) = &provenance.commit {
        metadata.insert("commit".into(), json!(commit));
    }
    if provenance.dirty {
        metadata.insert("dirty".into(), json!(true));
    }
    metadata.insert("generator".into(), json!("flagctl"));
    let mut root = Map::new();
    root.insert("$schema".into(), json!(SCHEMA_URL));
    if !evaluators.is_empty() {
        root.insert(
            "$evaluators".into(),
            Value::Object(evaluators.into_iter().collect()),
        );
    }
    root.insert("flags".into(), Value::Object(flags));
    root.insert("metadata".into(), Value::Object(metadata));
    sorted(Value::Object(root))
}

/// One flag as flagd reads it.
fn flag(program: &Program, evaluators: &mut BTreeMap<String, Value>) -> Value {
    let variants: Map<String, Value> = program.variants.iter().cloned().collect();
    let mut metadata = Map::new();
    if let Some(version) = &program.metadata.version {
        metadata.insert("version".into(), json!(version));
    }
    if let Some(lifecycle) = program.metadata.lifecycle {
        metadata.insert("lifecycle".into(), json!(lifecycle.as_str()));
    }
    if let Some(owner) = &program.metadata.owner {
        metadata.insert("owner".into(), json!(owner));
    }
    metadata.insert("kind".into(), json!(program.metadata.kind.as_str()));
    metadata.insert("type".into(), json!(program.flag_type.as_str()));
    metadata.insert("enabled".into(), json!(program.enabled));
    let mut out = Map::new();
    out.insert("state".into(), json!("ENABLED"));
    out.insert("variants".into(), Value::Object(variants));
    out.insert("metadata".into(), Value::Object(metadata));
    match (&program.targeting, program.enabled) {
        (_, false) => {
            out.insert("defaultVariant".into(), json!(program.default));
        }
        (Targeting::Static(variant), true) => {
            out.insert("defaultVariant".into(), json!(variant));
        }
        (Targeting::Rules { rules, fallthrough }, true) => {
            out.insert("defaultVariant".into(), json!(program.default));
            let mut branches = Vec::new();
            for rule in rules {
                let tests: Vec<Value> = rule.tests.iter().map(|t| test(t, evaluators)).collect();
                branches.push(match tests.len() {
                    0 => json!(true),
                    1 => tests.into_iter().next().unwrap_or(Value::Null),
                    _ => json!({ "and": tests }),
                });
                branches.push(target(&rule.target));
            }
            let targeting = match (branches.is_empty(), fallthrough) {
                (true, Some(t)) => target(t),
                (true, None) => Value::Null,
                (false, Some(t)) => {
                    branches.push(target(t));
                    json!({ "if": branches })
                }
                (false, None) => {
                    branches.push(Value::Null);
                    json!({ "if": branches })
                }
            };
            if !targeting.is_null() {
                out.insert("targeting".into(), targeting);
            }
        }
    }
    Value::Object(out)
}

fn target(target: &Target) -> Value {
    match target {
        Target::Variant(v) => json!(v),
        Target::Rollout(weights) => json!({
            "fractional": weights.iter().map(|(v, w)| json!([v, w])).collect::<Vec<_>>()
        }),
    }
}

/// A test as JSONLogic; a segment becomes a `$ref` to its evaluator, unless flagd-core's textual
/// `$ref` substitution would mangle it (JavaScript's `replaceAll` reads `$&`, `$'`, `` $` ``
/// and `$$` in the replacement), in which case it is written in place.
fn test(test: &Test, evaluators: &mut BTreeMap<String, Value>) -> Value {
    match test {
        Test::Segment { name, conditions } => {
            let expression = json!({ "and": conditions.iter().map(condition).collect::<Vec<_>>() });
            let text = expression.to_string();
            let mangled = ["$&", "$'", "$`", "$$"].iter().any(|p| text.contains(p))
                || serde_json::to_string(name).ok() != Some(format!("\"{name}\""));
            if mangled {
                expression
            } else {
                evaluators.insert(name.clone(), expression);
                json!({ "$ref": name })
            }
        }
        Test::Tenants(tenants) => json!({ "in": [var(TENANT_ATTRIBUTE), tenants] }),
        Test::Condition(c) => condition(c),
    }
}

fn var(attribute: &str) -> Value {
    json!({ "var": attribute })
}

fn condition(c: &Condition) -> Value {
    let attribute = var(&c.attribute);
    match &c.check {
        Check::Equals(v) => json!({ "===": [attribute, v] }),
        Check::NotEquals(v) => json!({ "!==": [attribute, v] }),
        Check::In(list) => json!({ "in": [attribute, list] }),
        Check::NotIn(list) => json!({ "!": { "in": [attribute, list] } }),
        Check::StartsWith(v) => json!({ "starts_with": [attribute, v] }),
        Check::EndsWith(v) => json!({ "ends_with": [attribute, v] }),
        Check::Semver(op, written, normalized) => {
            let operand = normalized
                .as_ref()
                .map_or_else(|| written.clone(), |v| json!(v.to_string()));
            json!({ "sem_ver": [attribute, semver_symbol(*op), operand] })
        }
        Check::Compare(relation, v) => {
            let mut expression = Map::new();
            expression.insert(relation_symbol(*relation).into(), json!([attribute, v]));
            Value::Object(expression)
        }
    }
}

fn semver_symbol(op: SemverOp) -> &'static str {
    op.symbol()
}

fn relation_symbol(relation: Relation) -> &'static str {
    relation.symbol()
}

/// `value` with every object's keys sorted (whatever order serde_json's map keeps).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let entries: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Checks `document` against flagd's schemas; each violation is a finding naming the flag.
pub fn validate(document: &Value) -> Vec<Finding> {
    let validator = match validator() {
        Ok(v) => v,
        Err(message) => return vec![Finding::of(Code::Invalid, message)],
    };
    validator
        .iter_errors(document)
        .map(|e| {
            let pointer = e.instance_path().to_string();
            let flag = pointer
                .strip_prefix("/flags/")
                .and_then(|rest| rest.split('/').next())
                .map(|k| k.replace("~1", "/").replace("~0", "~"));
            Finding::of(
                Code::Invalid,
                format!("flagd's schema refuses {pointer}: {e}"),
            )
            .help("flagd would not load this file; fix the flag, then export again")
            .in_flag(flag.as_deref(), None)
        })
        .collect()
}

fn validator() -> Result<jsonschema::Validator, String> {
    let parse = |text: &str| serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
    let flags = parse(FLAGS_SCHEMA)?;
    let targeting = parse(TARGETING_SCHEMA)?;
    let id_of = |schema: &Value| {
        schema
            .get("$id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| "a vendored flagd schema has no $id".to_owned())
    };
    let (flags_id, targeting_id) = (id_of(&flags)?, id_of(&targeting)?);
    let registry = jsonschema::Registry::new()
        .add(targeting_id, targeting)
        .map_err(|e| e.to_string())?
        .add(flags_id.clone(), flags)
        .map_err(|e| e.to_string())?
        .prepare()
        .map_err(|e| e.to_string())?;
    // Through a reference, so that `./targeting.json` resolves against the schema's own $id.
    jsonschema::options()
        .with_registry(&registry)
        .build(&json!({ "$ref": flags_id }))
        .map_err(|e| e.to_string())
}

/// The document as the file's bytes: pretty, keys sorted, one trailing newline.
pub fn to_bytes(document: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(document).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The plain JSON export: every flag's answer data, as flagctl reads it (`--format json`).
pub fn plain(env: &Environment, provenance: &Provenance) -> Result<Value, Vec<Finding>> {
    // The same document as flagd's, which is already plain JSON; it is not schema-checked twice.
    let document = flagd(env, provenance)?;
    Ok(json!({ "version": 1, "environment": env.name, "flagd": document }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flagds_schema_accepts_what_flagd_loads_and_refuses_the_rest() {
        let good = json!({
            "flags": { "f": {
                "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off",
                "targeting": { "if": [ { "sem_ver": [ { "var": "v" }, ">=", "1.2.0" ] }, "on", null ] }
            } }
        });
        assert_eq!(validate(&good), Vec::<Finding>::new());
        let mut bad = good.clone();
        bad["flags"]["f"]["targeting"]["if"][0]["sem_ver"][2] = json!("1.2");
        bad["flags"]["f"]["variants"]["on"] = json!("yes");
        let findings = validate(&bad);
        assert!(!findings.is_empty());
        assert!(
            findings
                .iter()
                .all(|f| f.code.is(Code::Invalid) && f.flag.as_deref() == Some("f"))
        );
    }
}
