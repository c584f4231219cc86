//! Format-preserving edits of flag files: only the lines holding a changed value change;
//! comments, key order, quoting, flow style and line endings elsewhere survive.

use std::str::FromStr;

use yaml_edit::Document;
use yaml_edit::path::YamlPath;

use crate::yaml::{self, Value};

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{path} cannot be edited: it is not valid YAML ({message})")]
    Unparsable { path: String, message: String },
    #[error("{path}: cannot set `{key}`: {message}")]
    Set {
        path: String,
        key: String,
        message: String,
    },
    #[error("{path}: `{key}` holds {found}; {value:?} would make it {given}")]
    WrongType {
        path: String,
        key: String,
        found: String,
        given: String,
        value: String,
    },
}

/// A scalar a user typed (`30`, `true`, `classic`), read as YAML 1.2 reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Scalar {
    pub fn parse(text: &str) -> Scalar {
        let node = yaml::parse(&format!("v: {text}"))
            .ok()
            .and_then(|d| d.root)
            .and_then(|r| r.get("v").cloned());
        match node.map(|n| n.value) {
            Some(Value::Bool(b)) => Scalar::Bool(b),
            Some(Value::Int(i)) => Scalar::Int(i),
            Some(Value::Float(f)) => Scalar::Float(f),
            _ => Scalar::Str(text.to_owned()),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Scalar::Bool(_) => "a boolean",
            Scalar::Int(_) | Scalar::Float(_) => "a number",
            Scalar::Str(_) => "a string",
        }
    }
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Str(s) => f.write_str(s),
        }
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::Float(_) => "a number",
        Value::Str(_) => "a string",
        Value::Null => "null",
        Value::Seq(_) => "a list",
        Value::Map(_) => "a mapping",
    }
}

fn document(path: &str, text: &str) -> Result<Document, EditError> {
    Document::from_str(text).map_err(|e| EditError::Unparsable {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// `text` with its `version` set to `version`, the rest byte for byte.
pub fn set_version(path: &str, text: &str, version: &semver::Version) -> Result<String, EditError> {
    set(
        path,
        text,
        &[("version".to_owned(), Scalar::Str(version.to_string()))],
    )
}

/// Sets each dotted `key` (`rollout.onepage`, `rules.0.serve`) to its value. A key that holds a
/// value of another type (`enabled=maybe`) is refused; a new key is added.
pub fn set(path: &str, text: &str, assignments: &[(String, Scalar)]) -> Result<String, EditError> {
    let current = yaml::parse(text).ok().and_then(|d| d.root);
    let doc = document(path, text)?;
    for (key, value) in assignments {
        let pointer = format!("/{}", key.replace('.', "/"));
        let existing = current.as_ref().and_then(|root| lookup(root, &pointer));
        if let Some(found) = existing {
            let old = kind_of(&found.value);
            if !matches!(found.value, Value::Null) && old != value.kind() {
                return Err(EditError::WrongType {
                    path: path.to_owned(),
                    key: key.clone(),
                    found: old.to_owned(),
                    given: value.kind().to_owned(),
                    value: value.to_string(),
                });
            }
        }
        let result = match value {
            Scalar::Bool(b) => doc.try_set_path(key, *b),
            Scalar::Int(i) => doc.try_set_path(key, *i),
            Scalar::Float(f) => doc.try_set_path(key, *f),
            Scalar::Str(s) => doc.try_set_path(key, s.as_str()),
        };
        result.map_err(|e| EditError::Set {
            path: path.to_owned(),
            key: key.clone(),
            message: e.to_string(),
        })?;
    }
    Ok(doc.to_string())
}

/// The node at `pointer`, if every segment of it exists.
fn lookup<'a>(root: &'a yaml::Node, pointer: &str) -> Option<&'a yaml::Node> {
    let mut node = root;
    for segment in pointer.split('/').skip(1) {
        node = match &node.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == segment).map(|e| &e.value),
            Value::Seq(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }?;
    }
    Some(node)
}

/// `target` with each of `fields` made as in `source`: set where `source` has it, removed where
/// it does not. Untouched fields keep their lines byte for byte.
pub fn take_fields(
    path: &str,
    target: &str,
    source: &str,
    fields: &[String],
) -> Result<String, EditError> {
    let doc = document(path, target)?;
    let from = document(path, source)?;
    let (Some(to_map), Some(from_map)) = (doc.as_mapping(), from.as_mapping()) else {
        return Err(EditError::Unparsable {
            path: path.to_owned(),
            message: "the top level is not a mapping".to_owned(),
        });
    };
    for field in fields {
        match from_map.get(field.as_str()) {
            Some(value) => to_map.set(field.as_str(), &value),
            None => {
                to_map.remove(field.as_str());
            }
        }
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLAG: &str = "# header\nname: f   # the key\nversion: 1.0.0\nenabled: true\nrollout: { on: 10, off: 90 }  # small\nrules:\n  - name: staff\n    serve: on\n";

    #[test]
    fn set_changes_only_the_lines_it_must() {
        let out = set(
            "f.yaml",
            FLAG,
            &[
                ("rollout.on".into(), Scalar::Int(30)),
                ("rollout.off".into(), Scalar::Int(70)),
            ],
        )
        .expect("edits");
        assert_eq!(
            out,
            FLAG.replace("{ on: 10, off: 90 }", "{ on: 30, off: 70 }")
        );
        // Strings that YAML 1.1 readers would take for booleans are written quoted.
        let out = set(
            "f.yaml",
            FLAG,
            &[("rules.0.serve".into(), Scalar::Str("off".into()))],
        )
        .expect("edits");
        assert_eq!(out, FLAG.replace("    serve: on", "    serve: 'off'"));
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let text = FLAG.replace('\n', "\r\n");
        let out = set("f.yaml", &text, &[("enabled".into(), Scalar::Bool(false))]).expect("edits");
        assert_eq!(out, text.replace("enabled: true", "enabled: false"));
    }

    #[test]
    fn a_value_of_another_type_is_refused() {
        let err = set(
            "f.yaml",
            FLAG,
            &[("enabled".into(), Scalar::parse("maybe"))],
        )
        .expect_err("refused");
        assert!(matches!(err, EditError::WrongType { .. }), "{err}");
        assert_eq!(Scalar::parse("on"), Scalar::Str("on".into()));
        assert_eq!(Scalar::parse("30"), Scalar::Int(30));
    }

    #[test]
    fn take_fields_copies_and_removes() {
        let source = "name: f\nversion: 1.1.0\nrequires: \">=4.1\"\nenabled: false\n";
        let out = take_fields(
            "f.yaml",
            FLAG,
            source,
            &["version".into(), "requires".into(), "rules".into()],
        )
        .expect("edits");
        assert!(
            out.starts_with("# header\nname: f   # the key\nversion: 1.1.0\n"),
            "{out}"
        );
        assert!(out.contains("requires: \">=4.1\""), "{out}");
        assert!(!out.contains("rules:"), "{out}");
        assert!(out.contains("enabled: true"), "{out}");
    }
}
