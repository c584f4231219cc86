//! Which app versions can use which flags (`flagctl compat`): each flag's `requires` against
//! the versions asked about.

use crate::finding::Finding;

use super::{CompatCode, Environment};

/// A flag of one environment against the app versions asked about.
#[derive(Debug)]
pub struct Compatibility {
    pub flag: String,
    /// The app versions that understand the flag (`None`: every one).
    pub requires: Option<String>,
    pub enabled: bool,
    /// Per version asked about, in order: whether it can use the flag; `None` where `requires`
    /// is not a valid range.
    pub usable: Vec<Option<bool>>,
}

impl Compatibility {
    /// Whether some version asked about cannot use the flag (or cannot be told).
    pub fn excludes_any(&self) -> bool {
        self.usable.iter().any(|u| *u != Some(true))
    }
}

/// Every flag of `env` that compiled, against `versions`, with a finding for each enabled flag
/// that a version cannot use.
pub fn judge(
    env: &Environment,
    versions: &[semver::Version],
) -> (Vec<Compatibility>, Vec<Finding>) {
    let mut flags = Vec::new();
    let mut findings = Vec::new();
    for (name, compiled) in &env.flags {
        let Ok(program) = &compiled.program else {
            continue;
        };
        let requires = program.metadata.requires.clone();
        let range = requires.as_deref().map(semver::VersionReq::parse);
        let usable: Vec<Option<bool>> = versions
            .iter()
            .map(|v| match &range {
                None => Some(true),
                Some(Ok(req)) => Some(req.matches(v)),
                Some(Err(_)) => None,
            })
            .collect();
        for (version, ok) in versions.iter().zip(&usable) {
            if *ok == Some(false) && program.enabled {
                findings.push(
                    Finding::of(
                        CompatCode::Unsupported,
                        format!(
                            "app {version} cannot use \"{name}\" (requires {}), which is enabled in {}",
                            requires.as_deref().unwrap_or_default(),
                            env.name
                        ),
                    )
                    .at(compiled.path.as_str(), crate::yaml::Pos::START)
                    .in_flag(Some(name), Some(&env.name))
                    .help("that app gets its code default; keep the flag off for it, or widen `requires`"),
                );
            }
        }
        flags.push(Compatibility {
            flag: name.clone(),
            requires,
            enabled: program.enabled,
            usable,
        });
    }
    (flags, findings)
}

/// The table's columns: the flag, its range, and one per app version. Table headers are static
/// text; a handful of version headers live until the process ends.
pub fn columns(versions: &[semver::Version]) -> Vec<&'static str> {
    let mut columns = vec!["flag", "requires"];
    columns.extend(
        versions
            .iter()
            .map(|v| &*Box::leak(format!("app {v}").into_boxed_str())),
    );
    columns
}

/// The table's rows: every flag with `matrix`, else the flags some version cannot use.
pub fn rows(flags: &[Compatibility], matrix: bool) -> Vec<Vec<String>> {
    let cell = |ok: &Option<bool>| match ok {
        Some(true) => "yes",
        Some(false) => "no",
        None => "invalid range",
    };
    flags
        .iter()
        .filter(|f| matrix || f.excludes_any())
        .map(|f| {
            let mut row = vec![
                f.flag.clone(),
                f.requires.clone().unwrap_or_else(|| "any".to_owned()),
            ];
            row.extend(f.usable.iter().map(|u| cell(u).to_owned()));
            row
        })
        .collect()
}
