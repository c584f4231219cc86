//! `flagctl explain [CODE]`.

use std::io::Write;

use anyhow::bail;

use super::{Outcome, printed};
use crate::codes;
use crate::finding::did_you_mean;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A finding code, e.g. `rule/unknown-variant`; without it, every code is listed
    code: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let mut out = std::io::stdout().lock();
    let Some(code) = args.code else {
        for code in codes::all() {
            printed(writeln!(
                out,
                "{:<24} {:<8} {}",
                code.as_str(),
                code.severity().as_str(),
                code.summary()
            ))?;
        }
        return Ok(Outcome::Clean);
    };
    let Some(doc) = codes::find(&code) else {
        let hint = did_you_mean(&code, codes::all().map(|c| c.as_str()))
            .map(|c| format!(" (did you mean {c}?)"))
            .unwrap_or_default();
        bail!("unknown code {code:?}{hint}; `flagctl explain` lists them all");
    };
    printed(writeln!(
        out,
        "{code} ({})\n\n{}.\n\n{}",
        doc.severity().as_str(),
        capitalize(doc.summary()),
        doc.explanation()
    ))?;
    Ok(Outcome::Clean)
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
