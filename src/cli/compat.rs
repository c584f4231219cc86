//! `flagctl compat --env E [--app VERSION] [--matrix]`: which flags an app version cannot use
//! (their `requires` excludes it), or the flags × `app_versions` matrix.

use anyhow::bail;
use serde_json::json;

use super::{Global, Outcome, printed};
use crate::finding::Finding;
use crate::report::{self, Listing, Report, Table, View};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The environment
    #[arg(long, short = 'e')]
    env: String,
    /// An app version (repeatable); default: `app_versions` of flagctl.yaml
    #[arg(long, value_name = "VERSION")]
    app: Vec<String>,
    /// Every flag against every version, not just the flags a version cannot use
    #[arg(long)]
    matrix: bool,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    super::environment(&repo.config, &args.env)?;
    let versions: Vec<semver::Version> = if args.app.is_empty() {
        repo.config.app_versions.clone()
    } else {
        args.app
            .iter()
            .map(|v| {
                semver::Version::parse(v.trim_start_matches('v')).map_err(|e| {
                    anyhow::anyhow!("--app {v:?} is not a version (MAJOR.MINOR.PATCH): {e}")
                })
            })
            .collect::<anyhow::Result<_>>()?
    };
    if versions.is_empty() {
        bail!("name an app version with --app VERSION, or list app_versions in flagctl.yaml");
    }
    let env = crate::eval::load(&repo, &args.env)?;
    let mut findings = Vec::new();
    let mut rows = Vec::new();
    let mut json_rows = Vec::new();
    for (name, compiled) in &env.flags {
        let (requires, enabled) = match &compiled.program {
            Ok(p) => (p.metadata.requires.clone(), p.enabled),
            Err(_) => continue,
        };
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
            if *ok == Some(false) && enabled {
                findings.push(
                    Finding::of(
                        crate::eval::CompatCode::Unsupported,
                        format!(
                            "app {version} cannot use \"{name}\" (requires {}), which is enabled in {}",
                            requires.as_deref().unwrap_or_default(),
                            env.name
                        ),
                    )
                    .at(&compiled.path, crate::yaml::Pos::START)
                    .in_flag(Some(name), Some(&env.name))
                    .help("that app gets its code default; keep the flag off for it, or widen `requires`"),
                );
            }
        }
        let cell = |ok: &Option<bool>| match ok {
            Some(true) => "yes",
            Some(false) => "no",
            None => "invalid range",
        };
        let excluded = usable.iter().any(|u| *u != Some(true));
        if args.matrix || excluded {
            let mut row = vec![
                name.clone(),
                requires.clone().unwrap_or_else(|| "any".to_owned()),
            ];
            row.extend(usable.iter().map(|u| cell(u).to_owned()));
            rows.push(row);
        }
        json_rows.push(json!({
            "flag": name,
            "requires": requires,
            "enabled": enabled,
            "versions": versions.iter().zip(&usable).map(|(v, u)| (v.to_string(), json!(u))).collect::<serde_json::Map<_, _>>(),
        }));
    }
    let mut columns = vec!["flag", "requires"];
    // Table headers are static text; a handful of version headers live until the process ends.
    columns.extend(
        versions
            .iter()
            .map(|v| &*Box::leak(format!("app {v}").into_boxed_str())),
    );
    let table = Table {
        key: "compat",
        columns,
        rows,
        listing: Listing::Rows(json!(json_rows)),
    };
    let report = Report::new("compat", &findings, env.flags.len(), repo.root.clone())
        .with_view(View::Table(&table));
    printed(report::print(&report, global.format, global.color))?;
    Ok(Outcome::from_counts(
        crate::finding::Counts::of(&findings),
        global.strict,
    ))
}
