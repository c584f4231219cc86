//! Listings (`log`, `audit`) as aligned columns, or a Markdown table.

use std::borrow::Cow;
use std::io::{self, Write};

use super::Table;
use super::markdown::cell;
use super::palette::BOLD;
use crate::escape::terminal;

pub fn write(out: &mut impl Write, table: &Table) -> io::Result<()> {
    if table.rows.is_empty() {
        return writeln!(out, "(no {})", table.key);
    }
    // Cells hold commit subjects, authors and reasons: anyone's text.
    let rows: Vec<Vec<Cow<str>>> = table
        .rows
        .iter()
        .map(|row| row.iter().map(|cell| terminal(cell)).collect())
        .collect();
    let mut widths: Vec<usize> = table.columns.iter().map(|c| c.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i == last {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        text.trim_end().to_owned()
    };
    writeln!(out, "{BOLD}{}{BOLD:#}", line(table.columns.clone()))?;
    for row in &rows {
        writeln!(out, "{}", line(row.iter().map(AsRef::as_ref).collect()))?;
    }
    writeln!(out)
}

pub fn write_markdown(out: &mut impl Write, table: &Table) -> io::Result<()> {
    writeln!(out, "| {} |", table.columns.join(" | "))?;
    writeln!(out, "|{}|", vec!["---"; table.columns.len()].join("|"))?;
    for row in &table.rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    writeln!(out)
}
