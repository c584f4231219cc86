//! `flagctl eval FLAG --env E [--context JSON | -c key=value …]` and
//! `flagctl eval --env E --batch FILE|-` (JSON Lines in and out, in order, on every core).

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{Global, Outcome, printed};
use crate::escape::terminal;
use crate::eval::batch::Answer;
use crate::eval::{self, Environment, Resolution};
use crate::finding::did_you_mean;
use crate::report::{self, Format, Report};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flag to evaluate (not with --batch)
    #[arg(required_unless_present = "batch", conflicts_with = "batch")]
    flag: Option<String>,
    /// The environment
    #[arg(long, short = 'e')]
    env: String,
    /// The evaluation context, a JSON object (`{"targetingKey": "user-1", "country": "de"}`)
    #[arg(long, value_name = "JSON", conflicts_with = "batch")]
    context: Option<String>,
    /// One context attribute (repeatable); the value is read as JSON when it is JSON
    /// (`seats=50`, `beta=true`, `name="50"`), else as text (`country=de`)
    #[arg(short = 'c', value_name = "KEY=VALUE", conflicts_with = "batch")]
    attributes: Vec<String>,
    /// Evaluate JSON Lines `{"flag": KEY, "context": {...}}` from FILE (`-` for stdin), writing
    /// one JSON line per input line, in order
    #[arg(long, value_name = "FILE")]
    batch: Option<PathBuf>,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    super::environment(&repo.config, &args.env)?;
    let env = eval::load(&repo, &args.env)?;
    let now = crate::time::now()?.as_second();
    if let Some(batch) = &args.batch {
        return run_batch(&env, batch, now);
    }
    let name = args.flag.as_deref().unwrap_or_default();
    let context = context(args.context.as_deref(), &args.attributes)?;
    let Some(compiled) = env.flags.get(name) else {
        let hint = did_you_mean(name, env.flags.keys().map(String::as_str))
            .map(|h| format!(" (did you mean \"{h}\"?)"))
            .unwrap_or_default();
        bail!("no flag \"{name}\" in {}{hint}", env.name);
    };
    let program = match &compiled.program {
        Ok(program) => program,
        Err(findings) => {
            let report = Report::new("eval", findings, 1, repo.root.clone());
            printed(report::print(&report, global.format, global.color))?;
            return Ok(Outcome::Failed);
        }
    };
    let resolution = program.evaluate(&eval::Context::from(&context), now);
    let mut out = io::stdout().lock();
    printed(match global.format {
        Format::Json => write_json(&mut out, name, &env.name, &resolution),
        _ => write_human(&mut out, name, &env.name, &resolution),
    })?;
    Ok(Outcome::Clean)
}

/// The context from `--context` and `-c` (which win over `--context`'s keys).
fn context(json: Option<&str>, attributes: &[String]) -> anyhow::Result<Map<String, Value>> {
    let mut context = match json {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text).context("reading --context")? {
            Value::Object(map) => map,
            other => bail!(
                "--context must be a JSON object ({{\"targetingKey\": \"user-1\", …}}), not {}",
                eval::Attr::from(&other).kind()
            ),
        },
    };
    for attribute in attributes {
        let Some((key, value)) = attribute.split_once('=') else {
            bail!("-c takes KEY=VALUE (got {attribute:?})");
        };
        if key.is_empty() {
            bail!("-c takes KEY=VALUE with a key (got {attribute:?})");
        }
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
        context.insert(key.to_owned(), value);
    }
    Ok(context)
}

fn write_human(out: &mut impl Write, flag: &str, env: &str, r: &Resolution) -> io::Result<()> {
    let (flag, env) = (terminal(flag), terminal(env));
    match r.value {
        Some(value) => writeln!(out, "{flag} in {env}: {value}")?,
        None => writeln!(
            out,
            "{flag} in {env}: no value (flagd answers with the application's default)"
        )?,
    }
    if let Some(variant) = r.variant {
        writeln!(out, "  variant  {}", terminal(variant))?;
    }
    writeln!(out, "  reason   {}", r.reason)?;
    writeln!(
        out,
        "  rule     {}",
        terminal(r.rule.unwrap_or(match r.reason {
            eval::Reason::TargetingMatch | eval::Reason::Default => "(fallthrough)",
            _ => "(none)",
        }))
    )?;
    if let Some(error) = &r.error {
        writeln!(out, "  error    {}", terminal(&error.to_string()))?;
    }
    Ok(())
}

fn write_json(out: &mut impl Write, flag: &str, env: &str, r: &Resolution) -> io::Result<()> {
    #[derive(Serialize)]
    struct Envelope<'a> {
        version: u32,
        findings: [(); 0],
        evaluation: Answer<'a>,
        env: &'a str,
    }
    let envelope = Envelope {
        version: 1,
        findings: [],
        evaluation: Answer::of(flag, r),
        env,
    };
    serde_json::to_writer_pretty(&mut *out, &envelope)?;
    writeln!(out)
}

fn run_batch(env: &Environment, input: &std::path::Path, now: i64) -> anyhow::Result<Outcome> {
    let out = io::stdout().lock();
    if input.as_os_str() == "-" {
        eval::batch::run(env, io::stdin().lock(), out, now)?;
    } else {
        let file =
            std::fs::File::open(input).with_context(|| format!("reading {}", input.display()))?;
        eval::batch::run(env, file, out, now)?;
    }
    Ok(Outcome::Clean)
}
