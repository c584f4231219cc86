//! The dashboard as a static site: `index.html` (inline CSS and JavaScript, the data embedded as
//! JSON; no server, no network: a Content-Security-Policy forbids every fetch) and `report.json`.
//! Written atomically inside the folder named, and nowhere else.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::dashboard::Dashboard;
use crate::escape::{Markup, markup};

const CSS: &str = include_str!("html/page.css");
const JS: &str = include_str!("html/page.js");

/// The page, with `dashboard` embedded.
pub fn page(dashboard: &Dashboard) -> Result<String, serde_json::Error> {
    let data = script_json(&serde_json::to_string(dashboard)?);
    let head = dashboard
        .head
        .as_ref()
        .map(|h| {
            format!(
                " at commit {} ({})",
                &h.commit[..h.commit.len().min(12)],
                h.time
            )
        })
        .unwrap_or_default();
    let title = markup(&dashboard.title, Markup::Text);
    let meta = markup(
        &format!(
            "{} flags × {} environments; generated {}{head}",
            dashboard.summary.flags, dashboard.summary.environments, dashboard.generated
        ),
        Markup::Text,
    );
    Ok(format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="flagctl {version}">
<title>Flag health: {title}</title>
<style>
{CSS}</style>
</head>
<body>
<a class="skip" href="#flags-title">Skip to the flags</a>
<header>
<h1>Flag health: {title}</h1>
<p class="meta">{meta}</p>
</header>
<main id="app">
<noscript><p>This dashboard draws its tables with JavaScript; <a href="report.json">report.json</a> beside it holds the same data.</p></noscript>
</main>
<footer>Made by <code>flagctl report</code>. The data is also in <a href="report.json">report.json</a>.</footer>
<script type="application/json" id="flagctl-data">{data}</script>
<script>
{JS}</script>
</body>
</html>
"##,
        version = env!("CARGO_PKG_VERSION"),
    ))
}

/// JSON safe inside a `<script>` element: no `<` (so no `</script>` or `<!--`), `>` or `&`, and
/// no line separators that older JavaScript parsers choke on. Still the same JSON value.
fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("{0} is a file; name a folder for the report")]
    NotAFolder(String),
    #[error(
        "{0} is a symbolic link; name the folder itself, so that the report is written where it is named"
    )]
    Link(String),
    #[error("writing {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("encoding the report: {0}")]
    Json(#[from] serde_json::Error),
}

/// A file written, and its size in bytes.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Writes `index.html` and `report.json` into `dir` (made if missing), each complete or not at
/// all: written beside under a temporary name, then renamed into place. A `dir` that is a file
/// or a symbolic link is refused before anything is written.
pub fn write_site(dir: &Path, dashboard: &Dashboard) -> Result<Vec<Written>, SiteError> {
    let shown = dir.display().to_string();
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(SiteError::Link(shown)),
        Ok(meta) if !meta.is_dir() => return Err(SiteError::NotAFolder(shown)),
        Ok(_) => {}
        Err(_) => std::fs::create_dir_all(dir).map_err(|source| SiteError::Io {
            path: shown.clone(),
            source,
        })?,
    }
    let mut json = serde_json::to_vec_pretty(dashboard)?;
    json.push(b'\n');
    let files: [(&str, Vec<u8>); 2] = [
        ("report.json", json),
        ("index.html", page(dashboard)?.into_bytes()),
    ];
    let mut staged: Vec<(PathBuf, PathBuf, u64)> = Vec::new();
    for (name, bytes) in &files {
        let target = dir.join(name);
        let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        if let Err(source) = stage(&temp, bytes) {
            let _ = std::fs::remove_file(&temp);
            for (t, _, _) in &staged {
                let _ = std::fs::remove_file(t);
            }
            return Err(SiteError::Io {
                path: target.display().to_string(),
                source,
            });
        }
        staged.push((temp, target, bytes.len() as u64));
    }
    let mut written = Vec::new();
    for (i, (temp, target, bytes)) in staged.iter().enumerate() {
        if let Err(source) = std::fs::rename(temp, target) {
            for (t, _, _) in &staged[i..] {
                let _ = std::fs::remove_file(t);
            }
            return Err(SiteError::Io {
                path: target.display().to_string(),
                source,
            });
        }
        written.push(Written {
            path: target.clone(),
            bytes: *bytes,
        });
    }
    Ok(written)
}

/// Writes a new file (never through an existing file or link) and flushes it to disk.
fn stage(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script() {
        let text = r#"{"d":"</script><script>alert(1)</script> & <!-- \u2028"}"#;
        let safe = script_json(text);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        let original: serde_json::Value = serde_json::from_str(text).expect("JSON");
        assert_eq!(back, original);
    }
}
