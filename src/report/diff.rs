//! `flagctl diff`: drift grouped by environment pair, each differing field as a unified diff.

use std::io::{self, Write};
use std::sync::Arc;

use similar::{ChangeTag, TextDiff};

use super::human::{Sources, write_finding};
use super::markdown::{self, cell, code};
use super::palette::{self, ADDED, BOLD, DIM, GUTTER, OK, REMOVED};
use super::stdout::write_ordered;
use super::{Report, View, plural};
use crate::drift;
use crate::escape::{is_invisible, terminal};
use crate::eval::Attr;
use crate::finding::{Code, FieldValue, Finding, Severity};

pub fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let mut sources = Sources::default();
    let (drift, other): (Vec<&Finding>, Vec<&Finding>) =
        report.findings.iter().partition(|f| upstream(f).is_some());
    for f in other {
        write_finding(out, f, &report.root, &mut sources)?;
    }
    // Each finding is written on its own, with its pair's heading when it starts a pair.
    write_ordered(out, drift.len(), |out, i| {
        let f = drift[i];
        let (from, to) = pair(f);
        if i == 0 || pair(drift[i - 1]) != (from, to) {
            if i > 0 {
                writeln!(out)?;
            }
            writeln!(out, "{BOLD}{} → {}{BOLD:#}", terminal(from), terminal(to))?;
        }
        write_drift(out, f)
    })?;
    if !drift.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary(report))
}

/// `12 flags in sync, 3 pending promotion, 1 drift error`.
pub(super) fn summary(report: &Report) -> String {
    let (in_sync, pending) = match report.view {
        View::Diff { in_sync, pending }
        | View::Status {
            in_sync, pending, ..
        } => (in_sync, pending),
        View::Findings | View::Table(_) => (0, 0),
    };
    let errors = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error && f.code.of::<drift::Code>().is_some())
        .count();
    let other_errors = report.counts.errors - errors;
    let style = if report.counts.errors > 0 {
        palette::severity(Severity::Error)
    } else {
        OK
    };
    let mut text = format!(
        "{style}{}{style:#} {} in sync, {pending} pending promotion, {}",
        if report.counts.errors > 0 {
            "✗"
        } else {
            "✓"
        },
        plural(in_sync, "flag"),
        plural(errors, "drift error"),
    );
    if other_errors > 0 {
        text.push_str(&format!(", {}", plural(other_errors, "other error")));
    }
    if report.counts.warnings > 0 {
        text.push_str(&format!(", {}", plural(report.counts.warnings, "warning")));
    }
    text
}

fn upstream(f: &Finding) -> Option<&str> {
    f.upstream.as_deref()
}

/// The environments a drift finding compares: upstream, downstream.
fn pair(f: &Finding) -> (&str, &str) {
    (
        upstream(f).unwrap_or_default(),
        f.env.as_deref().unwrap_or_default(),
    )
}

/// The mark of a drift finding in listings: pending, declared, warning, error.
pub(super) fn mark(severity: Severity, code: Code) -> (&'static str, anstyle::Style) {
    match (severity, code.of::<drift::Code>()) {
        (Severity::Info, Some(drift::Code::Declared)) => ("≈", DIM),
        (Severity::Info, _) => ("↑", palette::severity(Severity::Info)),
        (Severity::Warning, _) => ("~", palette::severity(Severity::Warning)),
        (Severity::Error, _) => ("✗", palette::severity(Severity::Error)),
    }
}

fn write_drift(out: &mut impl Write, f: &Finding) -> io::Result<()> {
    let (symbol, style) = mark(f.severity, f.code);
    writeln!(
        out,
        "  {style}{symbol}{style:#} {BOLD}{}{BOLD:#}  {}  {DIM}[{}]{DIM:#}",
        terminal(f.flag.as_deref().unwrap_or_default()),
        terminal(&f.message),
        f.code
    )?;
    if let (Some(path), Some(line), Some(col)) = (&f.path, f.line, f.column) {
        writeln!(
            out,
            "      {GUTTER}-->{GUTTER:#} {}:{line}:{col}",
            terminal(path)
        )?;
    }
    for field in fields(f) {
        let name = &field.field;
        let before = text(value_of(&field.upstream).as_ref());
        let after = text(value_of(&field.downstream).as_ref());
        writeln!(out, "      {BOLD}{}{BOLD:#}", terminal(name))?;
        // Upstream is where the flag is going from: show what promoting would change downstream.
        line_changes(&after, &before, |tag, line| {
            let line = line.trim_end_matches('\n');
            match tag {
                ChangeTag::Delete => writeln!(out, "      {REMOVED}- {line}{REMOVED:#}"),
                ChangeTag::Insert => writeln!(out, "      {ADDED}+ {line}{ADDED:#}"),
                ChangeTag::Equal => writeln!(out, "      {DIM}  {line}{DIM:#}"),
            }
        })?;
    }
    if let Some(help) = f.help_text() {
        if f.severity > Severity::Info {
            writeln!(
                out,
                "      {GUTTER}={GUTTER:#} {BOLD}help{BOLD:#}: {}",
                terminal(&help)
            )?;
        }
    }
    Ok(())
}

/// Each line of `old` and `new` as the line diff from one to the other gives it (a line keeps its
/// line break). A value of one line on each side (a version, a description, `enabled`) needs no
/// diff: the same line, or the old line out and the new one in.
fn line_changes(
    old: &str,
    new: &str,
    mut emit: impl FnMut(ChangeTag, &str) -> io::Result<()>,
) -> io::Result<()> {
    let one_line = |text: &str| text.lines().nth(1).is_none();
    if !(one_line(old) && one_line(new)) {
        for change in TextDiff::from_lines(old, new).iter_all_changes() {
            emit(change.tag(), change.value())?;
        }
        return Ok(());
    }
    if old == new {
        if !old.is_empty() {
            emit(ChangeTag::Equal, old)?;
        }
        return Ok(());
    }
    if !old.is_empty() {
        emit(ChangeTag::Delete, old)?;
    }
    if !new.is_empty() {
        emit(ChangeTag::Insert, new)?;
    }
    Ok(())
}

/// A field's value as YAML-like lines (empty when the field is absent).
fn text(value: Option<&Attr>) -> String {
    let mut out = String::new();
    match value {
        None | Some(Attr::Null) => {}
        Some(v) => yaml_lines(v, 0, &mut out),
    }
    out
}

/// The differing fields of a drift finding.
fn fields(f: &Finding) -> impl Iterator<Item = &FieldValue> {
    f.fields.iter().flat_map(|values| &values.0)
}

fn scalar(v: &Attr) -> String {
    match v {
        Attr::String(s) if needs_quotes(s) => serde_json::to_string(s).unwrap_or_default(),
        Attr::String(s) => s.clone().into_owned(),
        Attr::Array(items) if items.is_empty() => "[]".to_owned(),
        Attr::Object(map) if map.is_empty() => "{}".to_owned(),
        Attr::Array(items) if !is_block(v) => {
            format!(
                "[{}]",
                items.iter().map(scalar).collect::<Vec<_>>().join(", ")
            )
        }
        other => other.to_string(),
    }
}

fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.trim() != s
        || s.contains([':', '#', '"', '\''])
        || s.chars().any(is_invisible)
        || matches!(s, "true" | "false" | "null" | "~")
        || s.parse::<f64>().is_ok()
}

/// Appends `v` to `out` as lines (each ending in a line break) indented `indent` levels.
fn yaml_lines(v: &Attr, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match v {
        Attr::Object(map) if !map.is_empty() => {
            for (k, child) in map.iter() {
                if is_block(child) {
                    out.extend([&pad, &*terminal(k), ":\n"]);
                    yaml_lines(child, indent + 1, out);
                } else {
                    out.extend([&pad, &*terminal(k), ": ", &scalar(child), "\n"]);
                }
            }
        }
        Attr::Array(items) if is_block(v) => {
            for item in items {
                let start = out.len();
                yaml_lines(item, indent + 1, out);
                // The item's first line carries the dash in place of its indentation.
                let first = &out[start..];
                let first = &first[..first.find('\n').unwrap_or(first.len())];
                let indented = first.len() - first.trim_start().len();
                if out.len() == start {
                    out.extend([&pad, "-\n"]);
                } else {
                    out.replace_range(start..start + indented, &format!("{pad}- "));
                }
            }
        }
        other => out.extend([&pad, &scalar(other), "\n"]),
    }
}

/// Whether a value is written as a block (nested lines) rather than inline.
fn is_block(v: &Attr) -> bool {
    let composite = |v: &Attr| matches!(v, Attr::Array(_) | Attr::Object(_));
    match v {
        Attr::Object(map) => !map.is_empty(),
        Attr::Array(items) => items.iter().any(composite),
        _ => false,
    }
}

/// One side of a differing field read back from its JSON text (see `FieldValue`), its strings
/// borrowed and its keys in the text's order (the order they are shown in); `None` where the
/// file lacks the field.
fn value_of(side: &Option<Arc<str>>) -> Option<Attr<'_>> {
    serde_json::from_str(side.as_deref()?).ok()
}

/// `--format markdown` for `diff` and `status`: what a reviewer reads in ten seconds.
pub fn write_markdown(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let icon = markdown::verdict(report.counts);
    writeln!(
        out,
        "### {icon} flagctl {}: {}\n",
        report.command,
        strip(&summary(report))
    )?;
    if report.findings.is_empty() {
        return Ok(());
    }
    writeln!(out, "| | Flag | Where | What | Change |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    write_ordered(out, report.findings.len(), |out, i| {
        let f = &report.findings[i];
        let icon = match (f.severity, f.code.of::<drift::Code>()) {
            (Severity::Info, Some(drift::Code::Declared)) => "≈",
            (Severity::Info, _) => "⏳",
            (Severity::Warning, _) => "⚠️",
            (Severity::Error, _) => "❌",
        };
        let place = match upstream(f) {
            Some(up) => cell(&format!("{up} → {}", f.env.as_deref().unwrap_or_default())),
            None => f.path.as_deref().map(code).unwrap_or_default(),
        };
        let change: Vec<String> = fields(f)
            .map(|field| {
                let short = |v: Option<&Attr>| match v {
                    None | Some(Attr::Null) => "—".to_owned(),
                    Some(v) => {
                        let s = scalar(v);
                        if s.chars().count() > 40 {
                            "…".to_owned()
                        } else {
                            s
                        }
                    }
                };
                format!(
                    "{}: {} → {}",
                    code(&field.field),
                    cell(&short(value_of(&field.downstream).as_ref())),
                    cell(&short(value_of(&field.upstream).as_ref()))
                )
            })
            .collect();
        writeln!(
            out,
            "| {icon} | {} | {place} | {} <sub>{}</sub> | {} |",
            // A finding of the whole comparison (`drift/age-unknown`) names no flag.
            f.flag.as_deref().map_or_else(|| "—".to_owned(), code),
            cell(&f.message),
            f.code,
            change.join("<br>")
        )
    })
}

/// The summary without its colored mark.
fn strip(summary: &str) -> String {
    let plain = anstream::adapter::strip_str(summary).to_string();
    plain.trim_start_matches(['✓', '✗', ' ']).to_owned()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use similar::{ChangeTag, TextDiff};

    fn shown(json: &str) -> String {
        super::text(super::value_of(&Some(json.into())).as_ref())
    }

    #[test]
    fn values_render_as_yaml_lines() {
        assert_eq!(
            shown(r#"{"classic":90,"onepage":10}"#),
            "classic: 90\nonepage: 10\n"
        );
        let rules = r#"[{"name":"staff","serve":"on"}]"#;
        assert_eq!(shown(rules), "- name: staff\n  serve: on\n");
        assert_eq!(shown(r#"">=4.2.0""#), ">=4.2.0\n");
        assert_eq!(shown(r#""1.0""#), "\"1.0\"\n");
        assert_eq!(
            shown(r#"{"a":[[1,2.5],{"b":null}],"c":"x\ny"}"#),
            "a:\n  - [1, 2.5]\n  - b: null\nc: \"x\\ny\"\n"
        );
        assert_eq!(super::text(None), "");
    }

    fn changes(old: &str, new: &str) -> Vec<(ChangeTag, String)> {
        let mut out = Vec::new();
        super::line_changes(old, new, |tag, line| {
            out.push((tag, line.to_owned()));
            Ok(())
        })
        .unwrap_or_default();
        out
    }

    /// JSON values of every kind, nested.
    fn json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value as Json;
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(Json::from),
            any::<u64>().prop_map(Json::from),
            any::<f64>().prop_map(Json::from),
            ".{0,8}".prop_map(Json::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..4)
                    .prop_map(|map| Json::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// A value read back from its JSON text is that value: written as JSON again, it is the
        /// same text.
        #[test]
        fn values_read_back_whole(json in json()) {
            let text: Option<std::sync::Arc<str>> = Some(json.to_string().into());
            let value = super::value_of(&text);
            prop_assert_eq!(value.map(|v| v.to_string()), text.as_deref().map(str::to_owned));
        }

        /// Every change is the one the line diff gives, one-line values included.
        #[test]
        fn line_changes_are_the_line_diffs(
            old in "(a|b|ab|\n|a\n|b\n|a\nb\n|\n\n){0,3}",
            new in "(a|b|ab|\n|a\n|b\n|a\nb\n|\n\n){0,3}",
        ) {
            let expected: Vec<(ChangeTag, String)> = TextDiff::from_lines(&old, &new)
                .iter_all_changes()
                .map(|c| (c.tag(), c.value().to_owned()))
                .collect();
            prop_assert_eq!(changes(&old, &new), expected);
        }
    }
}
