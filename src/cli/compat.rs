//! `flagctl compat --env E [--app VERSION] [--matrix]`: which flags an app version cannot use
//! (their `requires` excludes it), or the flags × `app_versions` matrix.

use anyhow::bail;

use super::{Global, Outcome, printed};
use crate::eval::compat;
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
    let (flags, findings) = compat::judge(&env, &versions);
    let table = Table {
        key: "compat",
        columns: compat::columns(&versions),
        rows: compat::rows(&flags, args.matrix),
        listing: Listing::Compat {
            flags: &flags,
            versions: &versions,
        },
    };
    let report = Report::new("compat", &findings, env.flags.len(), repo.root.clone())
        .with_view(View::Table(&table));
    printed(report::print(&report, global.format, global.color))?;
    Ok(Outcome::from_counts(
        crate::finding::Counts::of(&findings),
        global.strict,
    ))
}
