//! An environment's flags and segments, read from the repository and compiled into [`Program`]s.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde_json::Value;

use super::{
    Check, Condition, Metadata, Program, RuleProgram, Target, Targeting, Test, Unservable,
    check_of, integer_weights, js,
};
use crate::finding::Finding;
use crate::model::{self, Flag, FlagType, Segment, Serve};
use crate::repo::{FileKind, RepoError, Repository, SourceFile};
use crate::yaml::{Node, Pos};

/// The largest total weight flagd's `fractional` accepts (`2^31 - 1`).
const MAX_TOTAL_WEIGHT: u64 = 2_147_483_647;

/// One environment's flags by name: each compiled, or the findings that say why it cannot be.
#[derive(Debug)]
pub struct Environment {
    pub name: String,
    pub flags: BTreeMap<String, Compiled>,
}

/// A flag file of the environment, compiled or not.
#[derive(Debug)]
pub struct Compiled {
    /// The file, relative to the repository root.
    pub path: String,
    pub program: Result<Program, Vec<Finding>>,
}

/// Reads environment `env` of `repo`: its flag files and the segments it sees (shared ones,
/// overridden by `segments/<env>/`). Files that cannot be read or compiled are kept with their
/// findings, under their file stem when their name cannot be read.
pub fn load(repo: &Repository, env: &str) -> Result<Environment, RepoError> {
    let files = repo.files()?;
    let mut segments: HashMap<String, (bool, Segment)> = HashMap::new();
    for file in files.iter().filter(|f| f.kind == FileKind::Segment) {
        let overriding = match &file.env {
            None => false,
            Some(e) if e == env => true,
            Some(_) => continue,
        };
        let Ok(parsed) = repo.parse(file) else {
            continue;
        };
        let segment = Segment::from_node(&parsed.root);
        let name = segment
            .name
            .as_ref()
            .map_or_else(|| file.stem().to_owned(), |n| n.value.clone());
        match segments.get(&name) {
            Some((true, _)) if !overriding => {}
            _ => {
                segments.insert(name, (overriding, segment));
            }
        }
    }
    let segments: HashMap<String, Segment> =
        segments.into_iter().map(|(k, (_, s))| (k, s)).collect();
    let flag_files: Vec<&SourceFile> = files
        .iter()
        .filter(|f| f.kind == FileKind::Flag && f.env.as_deref() == Some(env))
        .collect();
    let compiled: Vec<(String, Compiled)> = flag_files
        .par_iter()
        .map(|file| {
            let (name, program) = match repo.parse(file) {
                Err(finding) => (file.stem().to_owned(), Err(vec![*finding])),
                Ok(parsed) => {
                    let flag = Flag::from_node(&parsed.root);
                    let name = flag.name().unwrap_or(file.stem()).to_owned();
                    let program = compile(&flag, &parsed.root, &segments).map_err(|problems| {
                        problems
                            .into_iter()
                            .map(|u| {
                                Finding::of(u.code, u.message)
                                    .at(file.path.as_str(), u.pos)
                                    .in_flag(Some(&name), Some(env))
                            })
                            .collect()
                    });
                    (name, program)
                }
            };
            (
                name,
                Compiled {
                    path: file.path.clone(),
                    program,
                },
            )
        })
        .collect();
    Ok(Environment {
        name: env.to_owned(),
        flags: compiled.into_iter().collect(),
    })
}

/// Compiles one flag. Every reason it cannot be served is returned, not just the first.
pub fn compile(
    flag: &Flag,
    root: &Node,
    segments: &HashMap<String, Segment>,
) -> Result<Program, Vec<Unservable>> {
    let mut problems = Vec::new();
    let key = flag.name().unwrap_or_default().to_owned();
    if key.is_empty() {
        problems.push(invalid(root.pos, "the flag has no `name`"));
    }
    let flag_type = flag.flag_type.as_ref().map(|t| t.value);
    if flag_type.is_none() {
        problems.push(invalid(root.pos, "the flag has no valid `type`"));
    }
    let variants = typed_variants(flag, flag_type, &mut problems);
    if variants.is_empty() {
        problems.push(invalid(root.pos, "the flag has no variants"));
    }
    let default = default_variant(flag, root, &mut problems);
    let rules: Vec<RuleProgram> = flag
        .rules
        .iter()
        .enumerate()
        .filter_map(|(index, rule)| rule_program(flag, index, rule, segments, &mut problems))
        .collect();
    let fallthrough = match &flag.fallthrough {
        Some(serve) => target(flag, serve, &mut problems),
        // A boolean flag that says nothing serves `on` when enabled (SPEC §2).
        None if flag_type == Some(FlagType::Boolean) && flag.variant("on").is_some() => {
            Some(Target::Variant("on".to_owned()))
        }
        None => None,
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let targeting = match (rules.is_empty(), fallthrough) {
        (true, Some(Target::Variant(v))) => Targeting::Static(v),
        (_, fallthrough) => Targeting::Rules { rules, fallthrough },
    };
    Ok(Program {
        key,
        flag_type: flag_type.unwrap_or(FlagType::Boolean),
        variants,
        default,
        enabled: flag.enabled.unwrap_or(false),
        targeting,
        metadata: Metadata {
            version: flag.version.as_ref().map(|v| v.value.clone()),
            lifecycle: flag.lifecycle.as_ref().map(|l| l.value),
            owner: root.get("owner").and_then(Node::as_str).map(str::to_owned),
            kind: flag.kind,
            requires: flag.requires.as_ref().map(|r| r.value.clone()),
        },
    })
}

/// Why a flag cannot be served, at `pos`.
fn invalid(pos: Pos, message: impl Into<String>) -> Unservable {
    Unservable {
        code: super::Code::InvalidFlag.into(),
        message: message.into(),
        pos,
    }
}

/// The variants with their values, each checked against the flag's `type`.
fn typed_variants(
    flag: &Flag,
    flag_type: Option<FlagType>,
    problems: &mut Vec<Unservable>,
) -> Vec<(String, Value)> {
    let mut variants = Vec::new();
    for variant in &flag.variants {
        let value = variant.value.to_json();
        let fits = match flag_type {
            Some(FlagType::Boolean) => value.is_boolean(),
            Some(FlagType::String) => value.is_string(),
            Some(FlagType::Number) => value.is_number(),
            Some(FlagType::Object) => value.is_object(),
            None => true,
        };
        if !fits {
            problems.push(invalid(
                variant.value.pos,
                format!(
                    "variant \"{}\" is {}, not a {} value",
                    variant.name,
                    variant.value.describe(),
                    flag_type.map_or("", |t| t.as_str())
                ),
            ));
        }
        variants.push((variant.name.clone(), value));
    }
    variants
}

/// The `default` variant's name ("" with a problem when it is missing or unknown).
fn default_variant(flag: &Flag, root: &Node, problems: &mut Vec<Unservable>) -> String {
    match &flag.default {
        Some(d) if flag.variant(&d.value).is_some() => d.value.clone(),
        Some(d) => {
            problems.push(invalid(
                d.pos,
                format!("default variant \"{}\" is not in variants", d.value),
            ));
            String::new()
        }
        None => {
            problems.push(invalid(root.pos, "the flag has no `default` variant"));
            String::new()
        }
    }
}

/// What `serve` hands out: a variant, or a rollout in flagd's integer weights.
fn target(flag: &Flag, serve: &Serve, problems: &mut Vec<Unservable>) -> Option<Target> {
    let known = |name: &str| flag.variant(name).is_some();
    match serve {
        Serve::Variant(v) if known(&v.value) => Some(Target::Variant(v.value.clone())),
        Serve::Variant(v) => {
            problems.push(invalid(
                v.pos,
                format!("serves \"{}\", which is not in variants", v.value),
            ));
            None
        }
        Serve::Rollout { weights, pos } => {
            for w in weights.iter().filter(|w| !known(&w.variant.value)) {
                problems.push(invalid(
                    w.variant.pos,
                    format!(
                        "the rollout names \"{}\", which is not in variants",
                        w.variant.value
                    ),
                ));
            }
            let percents: Vec<f64> = weights.iter().map(|w| w.percent.value).collect();
            let integers = integer_weights(&percents);
            if integers.iter().sum::<u64>() > MAX_TOTAL_WEIGHT {
                problems.push(invalid(
                    *pos,
                    "the rollout's weights are too large for flagd",
                ));
            }
            Some(Target::Rollout(
                weights
                    .iter()
                    .map(|w| w.variant.value.clone())
                    .zip(integers)
                    .collect(),
            ))
        }
    }
}

/// One rule's tests (segment, tenants, conditions, in that order) and target; `None` with a
/// problem when it cannot be served.
fn rule_program(
    flag: &Flag,
    index: usize,
    rule: &model::Rule,
    segments: &HashMap<String, Segment>,
    problems: &mut Vec<Unservable>,
) -> Option<RuleProgram> {
    let name = rule
        .name
        .clone()
        .unwrap_or_else(|| format!("rule {}", index + 1));
    let mut tests = Vec::new();
    if let Some(segment) = &rule.segment {
        match segments.get(&segment.value) {
            Some(s) => tests.push(Test::Segment {
                name: segment.value.clone(),
                conditions: conditions(
                    &s.conditions,
                    &name,
                    problems,
                    Some((&segment.value, segment.pos)),
                ),
            }),
            None => problems.push(invalid(
                segment.pos,
                format!(
                    "rule \"{name}\" names segment \"{}\", which is not defined",
                    segment.value
                ),
            )),
        }
    }
    if !rule.tenants.is_empty() {
        tests.push(Test::Tenants(rule.tenants.clone()));
    }
    tests.extend(
        conditions(&rule.conditions, &name, problems, None)
            .into_iter()
            .map(Test::Condition),
    );
    let target = match &rule.serve {
        Some(serve) => target(flag, serve, problems),
        None => {
            problems.push(invalid(
                rule.pos,
                format!("rule \"{name}\" says nothing to serve (`serve` or `rollout`)"),
            ));
            None
        }
    }?;
    Some(RuleProgram {
        name,
        tests,
        target,
    })
}

fn conditions(
    written: &[model::Condition],
    rule: &str,
    problems: &mut Vec<Unservable>,
    segment: Option<(&str, Pos)>,
) -> Vec<Condition> {
    written
        .iter()
        .filter_map(|c| match check_of(c.op, &c.operand.to_json()) {
            Ok(check) => Some(Condition {
                attribute: c.attribute.clone(),
                path: js::split_path(&c.attribute),
                check,
            }),
            Err(why) => {
                let (place, pos) = match segment {
                    Some((s, pos)) => (format!("rule \"{rule}\" (through segment \"{s}\")"), pos),
                    None => (format!("rule \"{rule}\""), c.pos),
                };
                problems.push(Unservable {
                    code: crate::export::Code::Regex.into(),
                    message: format!("{place}: the condition on \"{}\" uses {why}", c.attribute),
                    pos,
                });
                None
            }
        })
        .collect()
}

impl Check {
    /// The operand as written, for messages.
    pub fn operand(&self) -> Value {
        match self {
            Check::Equals(v)
            | Check::NotEquals(v)
            | Check::StartsWith(v)
            | Check::EndsWith(v)
            | Check::Semver(_, v, _)
            | Check::Compare(_, v) => v.clone(),
            Check::In(list) | Check::NotIn(list) => Value::Array(list.clone()),
        }
    }
}
