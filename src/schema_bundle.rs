//! The JSON Schema a file is checked against, as one self-contained document an editor or any
//! other validator can read (`flagctl schema`): the built-in schema, with the repository's own
//! additions (`schema:` in flagctl.yaml) applied on top for flags, and the flag definitions a
//! segment shares copied in.

use serde_json::{Map, Value as Json};

use crate::repo::Repository;
use crate::schema::{CONFIG_SCHEMA, FLAG_SCHEMA, SEGMENT_SCHEMA};

/// Which kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileKind {
    /// A flag file, `flags/<env>/[group/]<name>.yaml`.
    Flag,
    /// A segment file, `segments/[<env>/]<name>.yaml`.
    Segment,
    /// The project configuration, `flagctl.yaml`.
    Config,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read the repository's schema {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the repository's schema {path} is not a JSON object: {detail}")]
    Invalid { path: String, detail: String },
}

/// The schema files of `kind` are checked against in `repo` (or outside any repository).
pub fn effective(kind: FileKind, repo: Option<&Repository>) -> Result<Json, BundleError> {
    let builtin = |text: &str| {
        serde_json::from_str::<Json>(text)
            .unwrap_or_else(|e| unreachable!("the built-in schemas are JSON: {e}"))
    };
    match kind {
        FileKind::Config => Ok(builtin(CONFIG_SCHEMA)),
        FileKind::Segment => Ok(with_flag_definitions(
            builtin(SEGMENT_SCHEMA),
            &builtin(FLAG_SCHEMA),
        )),
        FileKind::Flag => {
            let base = builtin(FLAG_SCHEMA);
            let Some(path) = repo.and_then(|r| r.config.schema.as_ref().map(|p| (r, p))) else {
                return Ok(base);
            };
            let (repo, path) = path;
            let name = path.display().to_string();
            let text = std::fs::read_to_string(repo.root.join(path)).map_err(|source| {
                BundleError::Read {
                    path: name.clone(),
                    source,
                }
            })?;
            let own: Json = serde_json::from_str(&text).map_err(|e| BundleError::Invalid {
                path: name.clone(),
                detail: e.to_string(),
            })?;
            if !own.is_object() {
                return Err(BundleError::Invalid {
                    path: name,
                    detail: "expected an object".to_owned(),
                });
            }
            Ok(on_top(base, own, &name))
        }
    }
}

/// `base` with `own` added as one more `allOf` entry (both must hold, as `validate` checks both);
/// nothing when `own` is the built-in schema itself, as `flagctl init` writes it.
fn on_top(mut base: Json, mut own: Json, name: &str) -> Json {
    if own == base {
        return base;
    }
    let Some(root) = base.as_object_mut() else {
        return base;
    };
    let all_of = root
        .entry("allOf")
        .or_insert_with(|| Json::Array(Vec::new()));
    if !all_of.is_array() {
        *all_of = Json::Array(vec![all_of.take()]);
    }
    let Json::Array(entries) = all_of else {
        return base;
    };
    // `own` moves from a document root to `#/allOf/N`: its own references follow it, and it stops
    // being a resource of its own (two documents with the built-in's `$id` would clash).
    let at = format!("/allOf/{}", entries.len());
    rebase_refs(&mut own, &at);
    if let Some(map) = own.as_object_mut() {
        map.remove("$id");
        map.remove("$schema");
        map.insert(
            "$comment".to_owned(),
            Json::String(format!("the repository's additions, from {name}")),
        );
    }
    entries.push(own);
    base
}

/// Rewrites every `$ref` to `#…` inside `value` to `#<at>…`.
fn rebase_refs(value: &mut Json, at: &str) {
    match value {
        Json::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Json::String(target) if key == "$ref" && target.starts_with('#') => {
                        *target = format!("#{at}{}", &target[1..]);
                    }
                    _ => rebase_refs(child, at),
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(|item| rebase_refs(item, at)),
        _ => {}
    }
}

/// The segment schema with the flag schema's definitions copied into its own `$defs`, and its
/// references to `flag.schema.json#/$defs/…` made local, so it needs no other document.
fn with_flag_definitions(mut segment: Json, flag: &Json) -> Json {
    localize_refs(&mut segment, "flag.schema.json#");
    if let (Some(root), Some(defs)) = (
        segment.as_object_mut(),
        flag.get("$defs").and_then(Json::as_object),
    ) {
        let own = root
            .entry("$defs")
            .or_insert_with(|| Json::Object(Map::new()));
        if let Some(own) = own.as_object_mut() {
            for (name, def) in defs {
                own.entry(name.clone()).or_insert_with(|| def.clone());
            }
        }
    }
    segment
}

fn localize_refs(value: &mut Json, document: &str) {
    match value {
        Json::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Json::String(target) if key == "$ref" && target.starts_with(document) => {
                        *target = format!("#{}", &target[document.len()..]);
                    }
                    _ => localize_refs(child, document),
                }
            }
        }
        Json::Array(items) => items
            .iter_mut()
            .for_each(|item| localize_refs(item, document)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;
    use crate::yaml;

    fn compiled(json: &Json) -> Schema {
        Schema::compile("bundle", &json.to_string(), &[]).expect("the bundle compiles alone")
    }

    fn violations(schema: &Schema, text: &str) -> Vec<String> {
        let root = yaml::parse(text).expect("parses").root.expect("root");
        schema
            .check(&root, &root.to_json())
            .into_iter()
            .map(|v| <&'static str>::from(v.code).to_owned())
            .collect()
    }

    #[test]
    fn the_segment_schema_stands_alone() {
        let bundle = effective(FileKind::Segment, None).expect("built-in");
        let text = bundle.to_string();
        assert!(!text.contains("flag.schema.json#"), "{text}");
        let schema = compiled(&bundle);
        let ok = "name: s\ndescription: d\nwhen:\n  - { attribute: a, op: eq, value: x }\n";
        assert!(violations(&schema, ok).is_empty());
        assert_eq!(
            violations(&schema, &ok.replace("op: eq", "op: equals")),
            ["schema/enum"]
        );
    }

    #[test]
    fn additions_apply_on_top_and_keep_their_own_references() {
        let base: Json = serde_json::from_str(FLAG_SCHEMA).expect("json");
        let own = serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://flagctl.dev/schemas/flag.schema.json",
            "properties": { "owner": { "$ref": "#/$defs/team" } },
            "$defs": { "team": { "type": "string", "pattern": "^team-" } }
        });
        let merged = on_top(base.clone(), own, "schemas/flag.schema.json");
        let schema = compiled(&merged);
        let flag = "name: f\nversion: 1.0.0\ndescription: d\nowner: team-a\ntype: boolean\nlifecycle: draft\nenabled: true\n";
        assert!(violations(&schema, flag).is_empty());
        assert_eq!(
            violations(&schema, &flag.replace("team-a", "payments")),
            ["schema/pattern"]
        );
        // The built-in rules still hold.
        assert_eq!(
            violations(&schema, &flag.replace("enabled: true", "enabled: yes")),
            ["schema/type"]
        );
        assert_eq!(on_top(base.clone(), base.clone(), "x"), base);
    }
}
