//! Flag tests (`flagctl test`): YAML specs of contexts and the answers they must get.
//!
//! ```yaml
//! flag: experiment_checkout_flow
//! envs: [staging, prod]          # optional: every environment that has the flag
//! cases:
//!   - name: staff get the one-page flow
//!     context: { email: ann@shopwell.io }
//!     variant: onepage           # any of variant, value, reason
//! ```
//!
//! Every case also runs with the flag disabled, where it must serve `default`: a flag can always
//! be switched off safely.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Context, Environment, Program, Reason};
use crate::finding::{Finding, Severity};
use crate::repo::Repository;
use crate::yaml::{Node, Pos};

/// Where `flagctl test --record` keeps test outcomes: a git note on the commit tested, which
/// `log` and `report` read back.
pub const NOTES_REF: &str = "refs/notes/flagctl-tests";

/// Flag tests' finding codes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "test/")]
pub enum Code {
    /// A case of a flag test (`tests/flags/*.yaml`, run by `flagctl test`) evaluated its context and
    /// got another variant, value or reason than it expects, in the environment named. Every case
    /// also runs with the flag disabled, where it must get the flag's `default`.
    ///
    /// Fix the flag, or the expectation if the change was intended.
    #[strum(message = "a flag test case got another answer than it expects")]
    Failed,
    /// A flag test spec must be a mapping with `flag` (a flag of the repository), optional `envs`
    /// (environments that have the flag), and `cases`: each a mapping with an optional `name`, a
    /// `context` object, and at least one of `variant`, `value`, `reason`.
    #[strum(message = "a flag test spec cannot be run")]
    InvalidSpec,
}

impl crate::finding::Codes for Code {
    fn severity(self) -> Severity {
        Severity::Error
    }
}

/// One case's outcome in one environment.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    pub spec: String,
    pub flag: String,
    pub env: String,
    pub name: String,
    pub pos: Pos,
    /// Why it failed; `None` when it passed.
    pub failure: Option<String>,
}

/// What running specs found: outcomes of the cases that ran, and findings (failures and specs
/// that could not run).
#[derive(Debug, Default)]
pub struct Run {
    pub outcomes: Vec<CaseOutcome>,
    pub findings: Vec<Finding>,
}

/// Runs the spec at repository-relative `path` with text `text` against `envs` at `now` (Unix
/// seconds, for `$flagd.timestamp`).
pub fn run(path: &str, text: &[u8], envs: &BTreeMap<String, Environment>, now: i64, run: &mut Run) {
    let invalid = |pos: Pos, message: String| Finding::of(Code::InvalidSpec, message).at(path, pos);
    let root = match crate::repo::parse_bytes(path, text) {
        Ok(parsed) => parsed.root,
        Err(finding) => {
            run.findings.push(*finding);
            return;
        }
    };
    let Some(flag) = root.get("flag").and_then(Node::as_str) else {
        run.findings
            .push(invalid(root.pos, "the spec names no `flag`".to_owned()));
        return;
    };
    let targets = targets(&root, flag, envs, &mut |pos, message| {
        run.findings.push(invalid(pos, message));
    });
    let Some(cases) = root.get("cases").and_then(Node::as_seq) else {
        run.findings
            .push(invalid(root.pos, "the spec has no `cases` list".to_owned()));
        return;
    };
    for (index, case) in cases.iter().enumerate() {
        let name = case
            .get("name")
            .and_then(Node::as_str)
            .map_or_else(|| format!("case {}", index + 1), str::to_owned);
        let context = match case.get("context").map(Node::to_json) {
            None => serde_json::Map::new(),
            Some(Value::Object(map)) => map,
            Some(_) => {
                run.findings.push(invalid(
                    case.get("context").map_or(case.pos, |n| n.pos),
                    format!("case \"{name}\": `context` must be a mapping"),
                ));
                continue;
            }
        };
        let expected = Expected {
            variant: case.get("variant").and_then(Node::as_str),
            value: case.get("value").map(Node::to_json),
            reason: case.get("reason").and_then(Node::as_str),
        };
        if expected.variant.is_none() && expected.value.is_none() && expected.reason.is_none() {
            run.findings.push(invalid(
                case.pos,
                format!("case \"{name}\" expects nothing: give `variant`, `value` or `reason`"),
            ));
            continue;
        }
        for (env, program) in &targets {
            let (wrong, rule) = expected.mismatches(program, &context, now);
            let failure = (!wrong.is_empty()).then(|| {
                format!(
                    "case \"{name}\" in {}: expected {} (rule: {})",
                    env.name,
                    wrong.join("; expected "),
                    rule.unwrap_or("none")
                )
            });
            if let Some(message) = &failure {
                run.findings.push(
                    Finding::of(Code::Failed, message.clone())
                        .at(path, case.pos)
                        .in_flag(Some(flag), Some(&env.name)),
                );
            }
            run.outcomes.push(CaseOutcome {
                spec: path.to_owned(),
                flag: flag.to_owned(),
                env: env.name.clone(),
                name: name.clone(),
                pos: case.pos,
                failure,
            });
        }
    }
}

/// The environments a spec runs in, with the flag's program in each: those it names under
/// `envs`, else every environment that has the flag. What cannot run goes to `problem`.
fn targets<'e>(
    root: &Node,
    flag: &str,
    envs: &'e BTreeMap<String, Environment>,
    problem: &mut dyn FnMut(Pos, String),
) -> Vec<(&'e Environment, &'e Program)> {
    let named: Option<Vec<(String, Pos)>> = root.get("envs").map(|e| match e.as_seq() {
        Some(items) => items
            .iter()
            .map(|i| (i.as_str().unwrap_or_default().to_owned(), i.pos))
            .collect(),
        None => vec![(e.as_str().unwrap_or_default().to_owned(), e.pos)],
    });
    let mut targets = Vec::new();
    let mut add =
        |env: &'e Environment, pos: Pos, problem: &mut dyn FnMut(Pos, String)| match program(
            env, flag,
        ) {
            Ok(p) => targets.push((env, p)),
            Err(why) => problem(pos, why),
        };
    match named {
        Some(named) => {
            for (name, pos) in named {
                match envs.get(&name) {
                    Some(env) => add(env, pos, problem),
                    None => problem(pos, format!("no environment \"{name}\"")),
                }
            }
        }
        None => {
            let with_flag: Vec<&Environment> = envs
                .values()
                .filter(|e| e.flags.contains_key(flag))
                .collect();
            if with_flag.is_empty() {
                let hint = crate::finding::did_you_mean(
                    flag,
                    envs.values()
                        .flat_map(|e| e.flags.keys().map(String::as_str)),
                )
                .map(|h| format!(" (did you mean \"{h}\"?)"))
                .unwrap_or_default();
                problem(
                    root.get("flag").map_or(root.pos, |n| n.pos),
                    format!("no environment has a flag \"{flag}\"{hint}"),
                );
            }
            for env in with_flag {
                add(env, root.pos, problem);
            }
        }
    }
    targets
}

/// What a case expects: any of variant, value and reason.
struct Expected<'s> {
    variant: Option<&'s str>,
    value: Option<Value>,
    reason: Option<&'s str>,
}

impl Expected<'_> {
    /// What `program` got wrong for `context` (each "what, got what"), including the reversible
    /// test: switched off, the flag serves its default. With the rule that matched.
    fn mismatches<'p>(
        &self,
        program: &'p Program,
        context: &serde_json::Map<String, Value>,
        now: i64,
    ) -> (Vec<String>, Option<&'p str>) {
        let context = Context::from(context);
        let got = program.evaluate(&context, now);
        let mut wrong = Vec::new();
        if let Some(v) = self.variant {
            if got.variant != Some(v) {
                wrong.push(format!(
                    "variant {v:?}, got {:?}",
                    got.variant.unwrap_or("none")
                ));
            }
        }
        if let Some(v) = &self.value {
            if got.value != Some(v) {
                wrong.push(format!(
                    "value {v}, got {}",
                    got.value
                        .map_or_else(|| "none".to_owned(), Value::to_string)
                ));
            }
        }
        if let Some(r) = self.reason {
            if got.reason.as_str() != r {
                wrong.push(format!("reason {r}, got {}", got.reason));
            }
        }
        let mut off = program.clone();
        off.enabled = false;
        let disabled = off.evaluate(&context, now);
        if disabled.variant != Some(program.default.as_str()) || disabled.reason != Reason::Disabled
        {
            wrong.push(format!(
                "disabled, the default {:?}, got {:?}",
                program.default,
                disabled.variant.unwrap_or("none")
            ));
        }
        (wrong, got.rule)
    }
}

fn program<'e>(env: &'e Environment, flag: &str) -> Result<&'e Program, String> {
    match env.flags.get(flag).map(|c| &c.program) {
        None => Err(format!("{} has no flag \"{flag}\"", env.name)),
        Some(Ok(p)) => Ok(p),
        Some(Err(findings)) => Err(format!(
            "\"{flag}\" in {} cannot be evaluated: {}",
            env.name,
            findings.first().map_or("", |f| f.message.as_str())
        )),
    }
}

/// Why a set of specs could not be run at all (as opposed to a spec that is wrong: a finding).
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("{0}: no such spec file or folder")]
    Missing(String),
    #[error("reading {path}")]
    Walk {
        path: String,
        #[source]
        source: walkdir::Error,
    },
    #[error("reading {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} is outside the repository")]
    Outside(String),
    #[error(transparent)]
    Repo(#[from] crate::repo::RepoError),
}

/// The spec files `roots` name: a file as it is, and every `.yaml`/`.yml` file below a folder,
/// in name order.
pub fn files(roots: &[PathBuf]) -> Result<Vec<PathBuf>, SuiteError> {
    let mut specs = Vec::new();
    for root in roots {
        if root.is_file() {
            specs.push(root.clone());
            continue;
        }
        if !root.is_dir() {
            return Err(SuiteError::Missing(root.display().to_string()));
        }
        for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
            let entry = entry.map_err(|source| SuiteError::Walk {
                path: root.display().to_string(),
                source,
            })?;
            let path = entry.path();
            if entry.file_type().is_file()
                && path.extension().is_some_and(|e| e == "yaml" || e == "yml")
            {
                specs.push(path.to_owned());
            }
        }
    }
    Ok(specs)
}

/// Every environment of `repo`, loaded for evaluation, by name.
pub fn environments(repo: &Repository) -> Result<BTreeMap<String, Environment>, SuiteError> {
    let mut envs = BTreeMap::new();
    for env in repo.config.environment_names() {
        envs.insert(env.to_owned(), super::load(repo, env)?);
    }
    Ok(envs)
}

/// Runs the spec files `specs` against `envs` at `now` (Unix seconds). A spec must be inside the
/// repository, as the outcomes name it by its path there.
pub fn run_files(
    repo: &Repository,
    specs: &[PathBuf],
    envs: &BTreeMap<String, Environment>,
    now: i64,
) -> Result<Run, SuiteError> {
    let root = std::fs::canonicalize(&repo.root).unwrap_or_else(|_| repo.root.clone());
    let unreadable = |path: &Path| {
        let path = path.display().to_string();
        move |source| SuiteError::Read { path, source }
    };
    let mut outcome = Run::default();
    for path in specs {
        let real = std::fs::canonicalize(path).map_err(unreadable(path))?;
        if !real.starts_with(&root) {
            return Err(SuiteError::Outside(path.display().to_string()));
        }
        let bytes = std::fs::read(&real).map_err(unreadable(path))?;
        run(&repo.relative(&real), &bytes, envs, now, &mut outcome);
    }
    Ok(outcome)
}

impl Run {
    /// How many cases failed.
    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.failure.is_some()).count()
    }

    /// The findings of specs that could not run (as opposed to cases that failed).
    pub fn broken_specs(&self) -> Vec<Finding> {
        self.findings
            .iter()
            .filter(|f| f.code.is(Code::InvalidSpec))
            .cloned()
            .collect()
    }

    /// The outcome of `specs` spec files in one line, as `--record` keeps it.
    pub fn note(&self, specs: usize) -> String {
        let failed = self.failed();
        let verdict = if failed == 0 && self.findings.is_empty() {
            "passed"
        } else {
            "failed"
        };
        format!(
            "flagctl test: {verdict}, {}/{} cases in {specs} specs\n",
            self.outcomes.len() - failed,
            self.outcomes.len(),
        )
    }
}
