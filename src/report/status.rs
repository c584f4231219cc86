//! `flagctl status`: one line per flag, one column per environment.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};

use rayon::prelude::*;

use super::human::{Sources, write_finding};
use super::palette::{BOLD, DIM};
use super::stdout::write_ordered;
use super::{Report, diff};
use crate::drift::{self, Cell, StatusRow};
use crate::escape::terminal;

/// Width of the table on a terminal that does not say (`COLUMNS`).
const DEFAULT_WIDTH: usize = 100;
/// Most characters of one environment's column on a terminal.
const CELL: usize = 21;

pub fn write(out: &mut impl Write, report: &Report, rows: &[StatusRow]) -> io::Result<()> {
    let mut sources = Sources::default();
    for f in report
        .findings
        .iter()
        .filter(|f| f.code.of::<drift::Code>().is_none())
    {
        write_finding(out, f, &report.root, &mut sources)?;
    }
    let envs: Vec<Cow<str>> = rows
        .first()
        .map(|r| r.environments.iter().map(|c| terminal(&c.env)).collect())
        .unwrap_or_default();
    // On a terminal, fit its width; elsewhere, never cut anything.
    let fit = io::stdout().is_terminal().then(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(DEFAULT_WIDTH)
    });
    let cells: Vec<Vec<(String, anstyle::Style)>> = rows
        .par_iter()
        .map(|row| row.environments.iter().map(cell_text).collect())
        .collect();
    let mut widths: Vec<usize> = envs.iter().map(|e| e.chars().count()).collect();
    for row in &cells {
        for (width, (text, _)) in widths.iter_mut().zip(row) {
            *width = (*width).max(text.chars().count());
        }
    }
    if fit.is_some() {
        widths.iter_mut().for_each(|w| *w = (*w).min(CELL));
    }
    let longest = rows
        .par_iter()
        .map(|r| terminal(&r.name).chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let name_width = match fit {
        Some(width) => {
            let cells: usize = widths.iter().map(|w| w + 1).sum();
            longest.min(width.saturating_sub(cells + 1).max(12))
        }
        None => longest,
    };
    let mut header = format!("{:<name_width$}", "FLAG");
    for (env, width) in envs.iter().zip(&widths) {
        header.push_str(&format!(" {env:<width$}"));
    }
    writeln!(out, "{BOLD}{}{BOLD:#}", header.trim_end())?;
    // The rows are rendered across the cores, in order.
    write_ordered(out, rows.len(), |out, r| {
        let texts = &cells[r];
        let mut line = format!("{:<name_width$}", cut(&terminal(&rows[r].name), name_width));
        let last = texts.len().saturating_sub(1);
        for (i, ((text, style), width)) in texts.iter().zip(&widths).enumerate() {
            let text = cut(text, *width);
            // Pad inside the style, except the last column: no trailing spaces.
            let padded = if i == last {
                text.trim_end().to_owned()
            } else {
                format!("{text:<width$}")
            };
            line.push_str(&format!(" {style}{padded}{style:#}"));
        }
        writeln!(out, "{line}")
    })?;
    writeln!(
        out,
        "\n{DIM}↑ pending promotion  ≈ declared difference  ~ drift warning  ✗ drift error  — absent{DIM:#}"
    )?;
    writeln!(out, "{}", diff::summary(report))
}

/// `↑ 1.3.0 → 10/90`: drift mark, version, and what an enabled flag serves when no rule matches.
fn cell_text(cell: &Cell) -> (String, anstyle::Style) {
    if !cell.present {
        return ("  —".to_owned(), DIM);
    }
    let (mark, style) = match (cell.drift_severity, cell.drift) {
        (Some(severity), Some(code)) => diff::mark(severity, code.into()),
        _ => (" ", anstyle::Style::new()),
    };
    let version = terminal(cell.version.as_deref().unwrap_or("?"));
    let serving = match (cell.enabled, cell.serves.as_deref()) {
        (Some(false), _) => "disabled".to_owned(),
        (Some(true), Some(serves)) if !serves.is_empty() => format!("→ {}", terminal(serves)),
        (Some(true), _) => "enabled".to_owned(),
        (None, _) => "?".to_owned(),
    };
    (format!("{mark} {version} {serving}"), style)
}

/// `text` cut to `width` characters, with `…` when cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}
