//! `flagctl.yaml`: the project configuration, with the defaults of SPEC §1.
//!
//! A broken configuration is an error (exit 2), not a finding: nothing else can be judged without it.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use crate::model::{Kind, Lifecycle};
use crate::schema::Schema;
use crate::time::{Date, Lifetime};
use crate::yaml::{self, Node, Pos};

pub const CONFIG_FILE: &str = "flagctl.yaml";
pub const DEFAULT_ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];
pub const DEFAULT_NAMING: &str = "^[a-z][a-z0-9]*(_[a-z0-9]+)*$";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}:{}:{}: {message}", pos.line, pos.column)]
    Invalid {
        path: PathBuf,
        pos: Pos,
        message: String,
    },
    #[error("this repository requires flagctl {required}, but this is flagctl {running}")]
    Version { required: String, running: String },
}

/// One environment of the promotion chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub name: String,
    /// How long an upstream change may wait before it is an error here (`None`: forever).
    pub max_lag: Option<Lifetime>,
    /// Lifecycles a flag may have here (`None`: any).
    pub allowed_lifecycle: Option<Vec<Lifecycle>>,
    pub require_reason: bool,
    pub approvals: u32,
    pub approvers: Vec<crate::grammar::Owner>,
}

impl Environment {
    fn named(name: &str) -> Environment {
        Environment {
            name: name.to_owned(),
            max_lag: None,
            allowed_lifecycle: None,
            require_reason: false,
            approvals: 0,
            approvers: Vec::new(),
        }
    }

    pub fn allows(&self, lifecycle: Lifecycle) -> bool {
        self.allowed_lifecycle
            .as_ref()
            .is_none_or(|allowed| allowed.contains(&lifecycle))
    }
}

/// A declared, intended difference between environments.
#[derive(Debug, Clone, PartialEq)]
pub struct AllowDrift {
    pub flag: String,
    pub envs: Vec<String>,
    pub fields: Vec<String>,
    pub reason: String,
    pub until: Option<Date>,
    pub pos: Pos,
}

/// A silenced finding.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Ignore {
    pub code: String,
    pub flag: Option<String>,
    pub env: Option<String>,
    pub path: Option<String>,
    pub reason: String,
    /// Where the entry's `code` is written in `flagctl.yaml`.
    #[serde(skip)]
    pub pos: Pos,
}

/// The codes of the configuration's own findings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "config/")]
pub enum Code {
    /// An `ignore:` entry in `flagctl.yaml` that silenced no finding, reported as ruff reports an
    /// unused `noqa`: the finding it was written for is gone (the flag was fixed, renamed or
    /// retired), or the entry never matched (a misspelt code, flag, env or path), and a stale
    /// entry would silence the next, unrelated finding of its kind without review.
    ///
    /// A command reports only the entries whose code it judges in full: `validate` the `yaml/`,
    /// `fs/`, `schema/` and `rule/` codes (of the whole repository, not a narrowed PATH), `diff`
    /// and `status` the `drift/` codes (of the whole chain, not one named pair), `stale` the
    /// `stale/` codes (`stale/unreferenced` only with `--code`).
    ///
    /// Fix: remove the entry, or correct what it names.
    #[strum(message = "an ignore entry in flagctl.yaml silences nothing")]
    UnusedIgnore,
}

impl crate::finding::Codes for Code {
    fn severity(self) -> crate::finding::Severity {
        match self {
            Code::UnusedIgnore => crate::finding::Severity::Warning,
        }
    }
}

impl Ignore {
    pub fn matches(&self, finding: &crate::finding::Finding) -> bool {
        let same = |want: &Option<String>, have: &Option<std::sync::Arc<str>>| {
            want.as_deref().is_none_or(|w| have.as_deref() == Some(w))
        };
        self.code == finding.code.as_str()
            && same(&self.flag, &finding.flag)
            && same(&self.env, &finding.env)
            && same(&self.path, &finding.path)
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the configuration was read from, if anywhere.
    pub file: Option<PathBuf>,
    pub flags_dir: PathBuf,
    pub schema: Option<PathBuf>,
    pub tests_dir: PathBuf,
    /// The promotion chain, upstream first.
    pub environments: Vec<Environment>,
    /// Whether `environments` was written (else it is whichever default folders exist).
    pub explicit_environments: bool,
    pub naming: Regex,
    pub kinds: Vec<(Kind, Lifetime)>,
    pub app_versions: Vec<semver::Version>,
    pub allow_drift: Vec<AllowDrift>,
    pub ignore: Vec<Ignore>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            file: None,
            flags_dir: PathBuf::from("flags"),
            schema: None,
            tests_dir: PathBuf::from("tests/flags"),
            environments: DEFAULT_ENVIRONMENTS
                .iter()
                .map(|n| Environment::named(n))
                .collect(),
            explicit_environments: false,
            naming: Regex::new(DEFAULT_NAMING)
                .unwrap_or_else(|e| unreachable!("the default naming pattern compiles: {e}")),
            kinds: Vec::new(),
            app_versions: Vec::new(),
            allow_drift: Vec::new(),
            ignore: Vec::new(),
        }
    }
}

/// `flagctl.yaml` as written; checked against the config schema before it is read.
#[derive(Deserialize)]
struct RawConfig {
    flags_dir: Option<String>,
    schema: Option<String>,
    required_version: Option<String>,
    tests_dir: Option<String>,
    environments: Option<Vec<RawEnvironment>>,
    naming: Option<String>,
    #[serde(default)]
    kinds: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    app_versions: Vec<String>,
    #[serde(default)]
    allow_drift: Vec<RawAllowDrift>,
    #[serde(default)]
    ignore: Vec<Ignore>,
}

#[derive(Deserialize)]
struct RawEnvironment {
    name: String,
    max_lag: Option<String>,
    allowed_lifecycle: Option<Vec<String>>,
    #[serde(default)]
    require_reason: bool,
    #[serde(default)]
    approvals: u32,
    #[serde(default)]
    approvers: Vec<String>,
}

#[derive(Deserialize)]
struct RawAllowDrift {
    flag: String,
    #[serde(default)]
    envs: Vec<String>,
    #[serde(default)]
    fields: Vec<String>,
    reason: String,
    until: Option<String>,
}

/// `flagctl.yaml` as parsed, to read its raw values with errors placed at the value.
struct Written<'a> {
    path: &'a Path,
    root: &'a Node,
}

impl Written<'_> {
    fn invalid(&self, pointer: &str, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_owned(),
            pos: self.root.locate(pointer).pos,
            message,
        }
    }

    /// Refuses a repository that requires a flagctl other than this one.
    fn require_version(&self, required: &str) -> Result<(), ConfigError> {
        let req = semver::VersionReq::parse(required)
            .map_err(|e| self.invalid("/required_version", format!("not a semver range: {e}")))?;
        let running = env!("CARGO_PKG_VERSION");
        let version = semver::Version::parse(running)
            .unwrap_or_else(|e| unreachable!("the package version is semver: {e}"));
        if req.matches(&version) {
            Ok(())
        } else {
            Err(ConfigError::Version {
                required: required.to_owned(),
                running: running.to_owned(),
            })
        }
    }

    /// A folder or file the configuration names (at `/key`): it lies inside the repository.
    fn inside(&self, key: &str, text: &str) -> Result<PathBuf, ConfigError> {
        crate::paths::plain_relative("the path", text.trim_end_matches('/'))
            .map(|parts| parts.iter().collect())
            .map_err(|e| self.invalid(&format!("/{key}"), e.to_string()))
    }

    /// A duration written at `pointer` (a kind's lifetime, an environment's `max_lag`).
    fn lifetime(&self, pointer: &str, text: &str) -> Result<Lifetime, ConfigError> {
        Lifetime::parse(text).ok_or_else(|| {
            self.invalid(
                pointer,
                format!("not a duration: {text:?} (<n>h, <n>d or <n>w up to a thousand years, or permanent)"),
            )
        })
    }

    /// The promotion chain as written, each name once.
    fn environments(&self, envs: Vec<RawEnvironment>) -> Result<Vec<Environment>, ConfigError> {
        let mut chain: Vec<Environment> = Vec::with_capacity(envs.len());
        for (i, env) in envs.into_iter().enumerate() {
            if chain.iter().any(|e| e.name == env.name) {
                return Err(self.invalid(
                    &format!("/environments/{i}/name"),
                    format!("environment \"{}\" is listed twice", env.name),
                ));
            }
            let max_lag = env
                .max_lag
                .map(|lag| self.lifetime(&format!("/environments/{i}/max_lag"), &lag))
                .transpose()?;
            let approvers = env
                .approvers
                .iter()
                .enumerate()
                .map(|(j, text)| {
                    crate::grammar::Owner::parse(text).map_err(|e| {
                        self.invalid(&format!("/environments/{i}/approvers/{j}"), e.to_string())
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let allowed_lifecycle = env
                .allowed_lifecycle
                .map(|names| names.iter().filter_map(|n| Lifecycle::parse(n)).collect());
            chain.push(Environment {
                name: env.name,
                max_lag,
                allowed_lifecycle,
                require_reason: env.require_reason,
                approvals: env.approvals,
                approvers,
            });
        }
        Ok(chain)
    }

    /// The declared differences, each naming environments of `config`'s chain.
    fn allow_drift(
        &self,
        config: &Config,
        entries: Vec<RawAllowDrift>,
    ) -> Result<Vec<AllowDrift>, ConfigError> {
        let mut allowed = Vec::with_capacity(entries.len());
        for (i, entry) in entries.into_iter().enumerate() {
            let pointer = format!("/allow_drift/{i}");
            if let Some(env) = entry.envs.iter().find(|e| config.environment(e).is_none()) {
                return Err(self.invalid(
                    &format!("{pointer}/envs"),
                    format!(
                        "unknown environment \"{env}\" (known: {})",
                        config.environment_names().join(", ")
                    ),
                ));
            }
            let until = entry
                .until
                .map(|d| {
                    Date::parse(&d).ok_or_else(|| {
                        self.invalid(&format!("{pointer}/until"), format!("not a date: {d:?}"))
                    })
                })
                .transpose()?;
            allowed.push(AllowDrift {
                flag: entry.flag,
                envs: entry.envs,
                fields: entry.fields,
                reason: entry.reason,
                until,
                pos: self.root.locate(&pointer).pos,
            });
        }
        Ok(allowed)
    }
}

impl Config {
    /// Reads `flagctl.yaml` in `root`, or the defaults when there is none.
    pub fn load(root: &Path) -> Result<Config, ConfigError> {
        let path = root.join(CONFIG_FILE);
        if !path.exists() {
            return Ok(Config::default());
        }
        let bytes = crate::paths::read_limited(&path, CONFIG_FILE, crate::repo::MAX_FILE_BYTES)
            .map_err(|e| ConfigError::Read {
                path: path.clone(),
                cause: std::io::Error::other(e.to_string()),
            })?;
        Self::parse(&path, &bytes)
    }

    /// Parses the bytes of a configuration file named `path` (for messages).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Config, ConfigError> {
        let invalid = |pos: Pos, message: String| ConfigError::Invalid {
            path: path.to_owned(),
            pos,
            message,
        };
        let text = std::str::from_utf8(bytes).map_err(|e| {
            invalid(
                Pos::at_offset(bytes, e.valid_up_to()),
                "not valid UTF-8".to_owned(),
            )
        })?;
        let doc = yaml::parse(text).map_err(|e| invalid(e.pos, e.message))?;
        if let Some(dup) = doc.duplicate_keys.first() {
            return Err(invalid(dup.pos, dup.message.clone()));
        }
        let Some(root) = doc.root else {
            return Ok(Config {
                file: Some(path.to_owned()),
                ..Config::default()
            });
        };
        let json = root.to_json();
        if let Some(v) = Schema::config().check(&root, &json).into_iter().next() {
            let help = v.help.map(|h| format!(" ({h})")).unwrap_or_default();
            return Err(invalid(v.pos, format!("{}{help}", v.message)));
        }
        let raw: RawConfig =
            serde_json::from_value(json).map_err(|e| invalid(root.pos, e.to_string()))?;
        Self::from_raw(path, &root, raw)
    }

    fn from_raw(path: &Path, root: &Node, raw: RawConfig) -> Result<Config, ConfigError> {
        let at = Written { path, root };
        if let Some(required) = &raw.required_version {
            at.require_version(required)?;
        }
        let mut config = Config {
            file: Some(path.to_owned()),
            ..Config::default()
        };
        if let Some(dir) = raw.flags_dir {
            config.flags_dir = at.inside("flags_dir", &dir)?;
        }
        config.schema = raw.schema.map(|s| at.inside("schema", &s)).transpose()?;
        if let Some(dir) = raw.tests_dir {
            config.tests_dir = at.inside("tests_dir", &dir)?;
        }
        if let Some(pattern) = raw.naming {
            config.naming = Regex::new(&pattern).map_err(|e| {
                at.invalid("/naming", format!("not a valid regular expression: {e}"))
            })?;
        }
        if let Some(envs) = raw.environments {
            config.explicit_environments = true;
            config.environments = at.environments(envs)?;
        }
        for (name, lifetime) in raw.kinds {
            let kind = Kind::parse(&name)
                .ok_or_else(|| at.invalid("/kinds", format!("unknown kind {name:?}")))?;
            config
                .kinds
                .push((kind, at.lifetime(&format!("/kinds/{name}"), &lifetime)?));
        }
        for (i, version) in raw.app_versions.iter().enumerate() {
            let parsed = semver::Version::parse(version).map_err(|e| {
                at.invalid(
                    &format!("/app_versions/{i}"),
                    format!("not a semver version: {e}"),
                )
            })?;
            config.app_versions.push(parsed);
        }
        config.allow_drift = at.allow_drift(&config, raw.allow_drift)?;
        config.ignore = raw.ignore;
        for (i, entry) in config.ignore.iter_mut().enumerate() {
            entry.pos = root.locate(&format!("/ignore/{i}/code")).pos;
        }
        Ok(config)
    }

    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    pub fn environment_names(&self) -> Vec<&str> {
        self.environments.iter().map(|e| e.name.as_str()).collect()
    }

    /// Whether a finding is silenced by an `ignore` entry.
    pub fn ignores(&self, finding: &crate::finding::Finding) -> bool {
        self.ignore.iter().any(|i| i.matches(finding))
    }

    /// Takes out the findings an `ignore` entry silences, and reports each entry that silenced
    /// none although the command judged every finding of its code (`judged`).
    pub fn silence(
        &self,
        findings: &mut Vec<crate::finding::Finding>,
        judged: impl Fn(&str) -> bool,
    ) {
        let mut used = vec![false; self.ignore.len()];
        findings.retain(|f| {
            let mut silenced = false;
            for (entry, used) in self.ignore.iter().zip(&mut used) {
                if entry.matches(f) {
                    *used = true;
                    silenced = true;
                }
            }
            !silenced
        });
        for (entry, _) in self
            .ignore
            .iter()
            .zip(used)
            .filter(|(e, used)| !used && judged(&e.code))
        {
            let scope: Vec<String> = [
                ("flag", &entry.flag),
                ("env", &entry.env),
                ("path", &entry.path),
            ]
            .into_iter()
            .filter_map(|(key, value)| value.as_ref().map(|v| format!("{key} {v:?}")))
            .collect();
            let scope = if scope.is_empty() {
                String::new()
            } else {
                format!(" ({})", scope.join(", "))
            };
            findings.push(
                crate::finding::Finding::of(
                    Code::UnusedIgnore,
                    format!(
                        "the ignore entry for {:?}{scope} silences nothing",
                        entry.code
                    ),
                )
                .at(CONFIG_FILE, entry.pos)
                .help("remove the entry, or correct the code, flag, env or path it names"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("flagctl.yaml"), text.as_bytes())
    }

    #[test]
    fn an_empty_file_means_the_defaults() {
        let config = parse("").expect("valid");
        assert_eq!(config.environment_names(), ["dev", "staging", "prod"]);
        assert!(!config.explicit_environments);
    }

    #[test]
    fn environments_and_policies_are_read() {
        let config = parse(
            "environments:\n  - name: dev\n  - name: prod\n    max_lag: 14d\n    allowed_lifecycle: [approved]\n    approvals: 1\n",
        )
        .expect("valid");
        let prod = config.environment("prod").expect("prod");
        assert_eq!(prod.max_lag, Lifetime::parse("14d"));
        assert!(prod.allows(Lifecycle::Approved));
        assert!(!prod.allows(Lifecycle::Draft));
        assert_eq!(prod.approvals, 1);
    }

    #[test]
    fn errors_point_at_the_bad_value() {
        let err = parse("environments:\n  - name: dev\n    max_lag: soon\n").expect_err("invalid");
        let text = err.to_string();
        assert!(text.starts_with("flagctl.yaml:3:14:"), "{text}");
    }

    #[test]
    fn unknown_keys_are_refused_with_a_suggestion() {
        let err = parse("flag_dir: flags\n").expect_err("invalid").to_string();
        assert!(
            err.contains("unknown key \"flag_dir\"") && err.contains("flags_dir"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_naming_pattern_is_refused() {
        assert!(parse("naming: '[a-'\n").is_err());
    }
}
