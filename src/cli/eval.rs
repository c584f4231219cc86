//! `flagctl eval FLAG --env E [--context JSON | -c key=value …]` and
//! `flagctl eval --env E --batch FILE|-` (JSON Lines in and out, in order, on every core).

use std::io::{self, BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Global, Outcome, printed};
use crate::escape::terminal;
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
    let resolution = program.evaluate(&context, now);
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
                kind(&other)
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

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
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

/// One answer, as a batch line and in `--format json`.
#[derive(Serialize)]
struct Answer<'a> {
    flag: Option<&'a str>,
    value: Option<&'a Value>,
    variant: Option<&'a str>,
    reason: Option<&'static str>,
    rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The input line, where it could not be evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
}

impl<'a> Answer<'a> {
    fn of(flag: &'a str, r: &Resolution<'a>) -> Answer<'a> {
        Answer {
            flag: Some(flag),
            value: r.value,
            variant: r.variant,
            reason: Some(r.reason.as_str()),
            rule: r.rule,
            error: r.error.clone(),
            line: None,
        }
    }

    fn refused(flag: Option<&'a str>, line: usize, error: String) -> Answer<'a> {
        Answer {
            flag,
            value: None,
            variant: None,
            reason: None,
            rule: None,
            error: Some(format!("line {line}: {error}")),
            line: Some(line),
        }
    }
}

/// One input line of a batch.
#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    flag: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    context: Option<Value>,
}

/// Lines evaluated together: enough to keep every core busy, few enough to stream.
const CHUNK: usize = 16 * 1024;

fn run_batch(env: &Environment, input: &std::path::Path, now: i64) -> anyhow::Result<Outcome> {
    let reader: Box<dyn BufRead> = if input.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        let file =
            std::fs::File::open(input).with_context(|| format!("reading {}", input.display()))?;
        Box::new(io::BufReader::with_capacity(1 << 20, file))
    };
    let mut out = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
    let mut lines = reader.split(b'\n');
    let mut number = 0usize;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        for line in lines.by_ref().take(CHUNK) {
            number += 1;
            let mut line = line.with_context(|| format!("reading line {number}"))?;
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            chunk.push((number, line));
        }
        if chunk.is_empty() {
            break;
        }
        let answers: Vec<Vec<u8>> = chunk
            .par_iter()
            .map(|(number, line)| answer_line(env, *number, line, now))
            .collect();
        for answer in answers {
            printed(out.write_all(&answer))?;
        }
    }
    printed(out.flush())?;
    Ok(Outcome::Clean)
}

/// The JSON line answering one input line.
fn answer_line(env: &Environment, number: usize, line: &[u8], now: i64) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(128);
    let write = |bytes: &mut Vec<u8>, answer: &Answer| {
        // Serializing these plain values cannot fail; an empty line would still keep the order.
        let _ = serde_json::to_writer(&mut *bytes, answer);
        bytes.push(b'\n');
    };
    let request: Request = match serde_json::from_slice(line) {
        Ok(request) => request,
        Err(e) => {
            let why = if e.is_data() {
                format!("expected {{\"flag\": KEY, \"context\": {{…}}}}: {e}")
            } else {
                format!("not JSON: {e}")
            };
            write(&mut bytes, &Answer::refused(None, number, why));
            return bytes;
        }
    };
    let Some(flag) = request.flag.as_deref() else {
        write(
            &mut bytes,
            &Answer::refused(None, number, "no \"flag\"".to_owned()),
        );
        return bytes;
    };
    let empty = Map::new();
    let context = match &request.context {
        None => &empty,
        Some(Value::Object(map)) => map,
        Some(other) => {
            let why = format!("\"context\" must be a JSON object, not {}", kind(other));
            write(&mut bytes, &Answer::refused(Some(flag), number, why));
            return bytes;
        }
    };
    match env.flags.get(flag).map(|c| &c.program) {
        None => {
            let hint = did_you_mean(flag, env.flags.keys().map(String::as_str))
                .map(|h| format!(" (did you mean \"{h}\"?)"))
                .unwrap_or_default();
            let why = format!("no flag \"{flag}\" in {}{hint}", env.name);
            write(&mut bytes, &Answer::refused(Some(flag), number, why));
        }
        Some(Err(findings)) => {
            let why = findings.first().map_or_else(
                || "the flag cannot be evaluated".to_owned(),
                |f| f.message.clone(),
            );
            write(&mut bytes, &Answer::refused(Some(flag), number, why));
        }
        Some(Ok(program)) => {
            let resolution = program.evaluate(context, now);
            write(&mut bytes, &Answer::of(flag, &resolution));
        }
    }
    bytes
}
