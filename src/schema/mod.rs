//! The shared JSON Schemas (compiled into the binary, extended by the repository's own) and the
//! one place that turns a schema error into a finding at the offending value's line and column.

use std::collections::HashMap;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value as Json;

use crate::finding::{Severity, did_you_mean};
use crate::yaml::{Node, Pos};

mod builtin;

pub const FLAG_SCHEMA: &str = include_str!("../../schemas/flag.schema.json");
pub const SEGMENT_SCHEMA: &str = include_str!("../../schemas/segment.schema.json");
pub const CONFIG_SCHEMA: &str = include_str!("../../schemas/config.schema.json");

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("{name} is not valid JSON: {source}")]
    Json {
        name: String,
        source: serde_json::Error,
    },
    #[error("{name} is not a usable JSON Schema: {message}")]
    Compile { name: String, message: String },
}

/// The codes of the shared JSON Schema: one per keyword a flag, segment or repository schema can
/// fail, named after the keyword in kebab case.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case", prefix = "schema/")]
pub enum Code {
    /// The shared schema lists every key a flag, rule, condition or segment may have; anything else is
    /// most likely a typo (`descripton`), and would otherwise be ignored silently. The help line
    /// suggests the nearest allowed key. A team's own fields belong under `annotations:`.
    #[strum(message = "a key the schema does not allow")]
    UnknownKey,
    /// A key the schema requires is missing; the finding points at the mapping that lacks it. A flag
    /// needs `name`, `version`, `description`, `owner`, `type`, `lifecycle` and `enabled`; a
    /// condition needs `attribute` and `op`.
    #[strum(message = "a required key is missing")]
    Required,
    /// A value has the wrong type: a string where a number belongs, a list where a mapping does.
    /// Remember that YAML 1.2 reads `yes`/`no`/`on`/`off` as strings, not booleans, and that a
    /// quoted number is a string.
    #[strum(message = "a value has the wrong type")]
    Type,
    /// The value is not one of those the schema allows (a `type`, a `lifecycle`, a `kind`); the help
    /// line suggests the nearest allowed one.
    #[strum(message = "a value is not one of the allowed values")]
    Enum,
    /// The value differs from the one value the schema allows here.
    #[strum(message = "a value differs from the one allowed value")]
    Const,
    /// A string does not match the schema's regular expression (a variant name, an `expires`
    /// date); the message gives the pattern.
    #[strum(message = "a string does not match its pattern")]
    Pattern,
    /// A string is shorter than the schema allows; most often an empty string where a name or a
    /// description is needed.
    #[strum(message = "a string is too short")]
    MinLength,
    /// A string is longer than the schema allows.
    #[strum(message = "a string is too long")]
    MaxLength,
    /// A string is not in the format the schema names (a date, an email address, a URI).
    #[strum(message = "a string is not in the expected format")]
    Format,
    /// A number is smaller than the schema allows.
    #[strum(message = "a number is too small")]
    Minimum,
    /// A number is larger than the schema allows.
    #[strum(message = "a number is too large")]
    Maximum,
    /// A number is not above the schema's exclusive lower bound.
    #[strum(message = "a number is not above its bound")]
    ExclusiveMinimum,
    /// A number is not below the schema's exclusive upper bound.
    #[strum(message = "a number is not below its bound")]
    ExclusiveMaximum,
    /// A number is not a multiple of the step the schema asks for.
    #[strum(message = "a number is not a multiple of its step")]
    MultipleOf,
    /// A list has fewer items than the schema asks for (an empty `when:` or `tenants:` of a rule).
    #[strum(message = "a list has too few items")]
    MinItems,
    /// A list has more items than the schema allows.
    #[strum(message = "a list has too many items")]
    MaxItems,
    /// A list holds the same item twice where each must be unique (`tags`).
    #[strum(message = "a list repeats an item")]
    UniqueItems,
    /// A list has items past those the schema describes.
    #[strum(message = "a list has items the schema does not allow")]
    AdditionalItems,
    /// A list has items no part of the schema accounts for.
    #[strum(message = "a list has items the schema does not evaluate")]
    UnevaluatedItems,
    /// A list lacks an item matching the schema's `contains`.
    #[strum(message = "a list lacks a required kind of item")]
    Contains,
    /// A mapping has fewer entries than the schema asks for (an empty `variants:` or `rollout:`).
    #[strum(message = "a mapping has too few entries")]
    MinProperties,
    /// A mapping has more entries than the schema allows.
    #[strum(message = "a mapping has too many entries")]
    MaxProperties,
    /// A key of a mapping breaks the schema's rule for key names (a variant name with spaces).
    #[strum(message = "a key's name breaks the schema")]
    PropertyNames,
    /// The value matches none of the alternatives the schema offers.
    #[strum(message = "a value matches none of its alternatives")]
    AnyOf,
    /// The value matches none, or more than one, of the alternatives of which exactly one must
    /// match.
    #[strum(message = "a value does not match exactly one alternative")]
    OneOf,
    /// The value matches a shape the schema forbids.
    #[strum(message = "a value has a forbidden shape")]
    Not,
    /// The schema allows no value at all here (`false`): the key should not be there.
    #[strum(message = "no value is allowed here")]
    FalseSchema,
    /// A string is not in the encoding the schema names (such as base64).
    #[strum(message = "a string is not in its content encoding")]
    ContentEncoding,
    /// A string does not hold the media type the schema names (such as JSON).
    #[strum(message = "a string does not hold its media type")]
    ContentMediaType,
    /// A `$ref` of the repository's own schema (`schema:` in flagctl.yaml) could not be followed
    /// while checking a value. Make the reference point at a definition the schema holds.
    #[strum(message = "a schema reference cannot be followed")]
    Ref,
    /// A keyword outside JSON Schema, from a validator extension, failed; the message names it.
    /// flagctl registers no such keyword itself.
    #[strum(message = "a value breaks a keyword outside JSON Schema")]
    Custom,
}

impl crate::finding::Codes for Code {
    fn severity(self) -> Severity {
        // A schema is a contract: every violation is an error.
        Severity::Error
    }
}

impl Code {
    /// The code of a schema error.
    pub fn of(kind: &ValidationErrorKind) -> Code {
        use ValidationErrorKind as K;
        match kind {
            K::AdditionalProperties { .. } | K::UnevaluatedProperties { .. } => Code::UnknownKey,
            K::Required { .. } => Code::Required,
            K::Type { .. } => Code::Type,
            K::Enum { .. } => Code::Enum,
            K::Constant { .. } => Code::Const,
            K::Pattern { .. } | K::BacktrackLimitExceeded { .. } | K::RegexEngineFailure { .. } => {
                Code::Pattern
            }
            K::MinLength { .. } => Code::MinLength,
            K::MaxLength { .. } => Code::MaxLength,
            K::Format { .. } => Code::Format,
            K::Minimum { .. } => Code::Minimum,
            K::Maximum { .. } => Code::Maximum,
            K::ExclusiveMinimum { .. } => Code::ExclusiveMinimum,
            K::ExclusiveMaximum { .. } => Code::ExclusiveMaximum,
            K::MultipleOf { .. } => Code::MultipleOf,
            K::MinItems { .. } => Code::MinItems,
            K::MaxItems { .. } => Code::MaxItems,
            K::UniqueItems => Code::UniqueItems,
            K::AdditionalItems { .. } => Code::AdditionalItems,
            K::UnevaluatedItems { .. } => Code::UnevaluatedItems,
            K::Contains => Code::Contains,
            K::MinProperties { .. } => Code::MinProperties,
            K::MaxProperties { .. } => Code::MaxProperties,
            K::PropertyNames { .. } => Code::PropertyNames,
            K::AnyOf { .. } => Code::AnyOf,
            K::OneOfMultipleValid { .. } | K::OneOfNotValid { .. } => Code::OneOf,
            K::Not { .. } => Code::Not,
            K::FalseSchema => Code::FalseSchema,
            K::ContentEncoding { .. } | K::FromUtf8 { .. } => Code::ContentEncoding,
            K::ContentMediaType { .. } => Code::ContentMediaType,
            K::Referencing(_) => Code::Ref,
            K::Custom { .. } => Code::Custom,
        }
    }
}

/// A compiled schema and its JSON (kept to name the keys a mapping allows, for did-you-mean).
pub struct Schema {
    validator: jsonschema::Validator,
    documents: Vec<Json>,
    /// For a built-in schema: whether a tree holds it, answered without the validator.
    holds: Option<fn(&Node) -> bool>,
}

/// A schema error, placed.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
    pub pos: Pos,
}

impl Schema {
    /// Compiles `text` (named `name` in errors); `others` are schemas it may `$ref` by `$id`.
    pub fn compile(name: &str, text: &str, others: &[&str]) -> Result<Schema, SchemaError> {
        let parse = |text: &str| {
            serde_json::from_str::<Json>(text).map_err(|source| SchemaError::Json {
                name: name.to_owned(),
                source,
            })
        };
        let root = parse(text)?;
        let mut documents = vec![root];
        for other in others {
            documents.push(parse(other)?);
        }
        let compile_error = |message: String| SchemaError::Compile {
            name: name.to_owned(),
            message,
        };
        let mut registry = jsonschema::Registry::new();
        for doc in &documents[1..] {
            if let Some(id) = doc.get("$id").and_then(Json::as_str) {
                registry = registry
                    .add(id, doc.clone())
                    .map_err(|e| compile_error(e.to_string()))?;
            }
        }
        let registry = registry
            .prepare()
            .map_err(|e| compile_error(e.to_string()))?;
        let validator = jsonschema::options()
            .with_registry(&registry)
            .build(&documents[0])
            .map_err(|e| compile_error(e.to_string()))?;
        Ok(Schema {
            validator,
            documents,
            holds: None,
        })
    }

    pub fn flag() -> Schema {
        let schema = Self::compile("the built-in flag schema", FLAG_SCHEMA, &[])
            .unwrap_or_else(|e| unreachable!("the built-in schema compiles: {e}"));
        Schema {
            holds: Some(builtin::flag_holds),
            ..schema
        }
    }

    pub fn segment() -> Schema {
        let schema = Self::compile(
            "the built-in segment schema",
            SEGMENT_SCHEMA,
            &[FLAG_SCHEMA],
        )
        .unwrap_or_else(|e| unreachable!("the built-in schema compiles: {e}"));
        Schema {
            holds: Some(builtin::segment_holds),
            ..schema
        }
    }

    pub fn config() -> Schema {
        Self::compile("the built-in config schema", CONFIG_SCHEMA, &[])
            .unwrap_or_else(|e| unreachable!("the built-in schema compiles: {e}"))
    }

    /// Whether this schema is the same document as `other` (so it need not run twice).
    pub fn same_as(&self, other: &Schema) -> bool {
        self.documents[0] == other.documents[0]
    }

    /// Every violation of `node`, in document order. The tree is converted to JSON (once, into
    /// `json`, for the next schema too) only when it may break the schema: a built-in schema
    /// answers for a tree that holds it directly.
    pub fn check_tree(&self, node: &Node, json: &mut Option<Json>) -> Vec<Violation> {
        if self.holds.is_some_and(|holds| holds(node)) {
            return Vec::new();
        }
        self.check(node, json.get_or_insert_with(|| node.to_json()))
    }

    /// Every violation of `node` (already converted to `json`), in document order.
    pub fn check(&self, node: &Node, json: &Json) -> Vec<Violation> {
        if self.validator.is_valid(json) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for error in self.validator.iter_errors(json) {
            let pointer = error.instance_path().as_str();
            let target = node.locate(pointer);
            match error.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected }
                | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                    let allowed = self.allowed_keys(error.schema_path().as_str());
                    // Where each key is, looked up once: a mapping may hold thousands.
                    let key_pos: HashMap<&str, Pos> = target
                        .as_map()
                        .unwrap_or_default()
                        .iter()
                        .rev()
                        .map(|e| (e.key.as_str(), e.key_pos))
                        .collect();
                    for key in unexpected {
                        let pos = key_pos.get(key.as_str()).copied().unwrap_or(target.pos);
                        let hint = did_you_mean(key, allowed.iter().map(String::as_str));
                        out.push(Violation {
                            code: Code::UnknownKey,
                            message: format!("unknown key \"{key}\"{}", place(pointer)),
                            help: Some(match hint {
                                Some(hint) => format!("did you mean \"{hint}\"?"),
                                None if allowed.is_empty() => "remove this key".to_owned(),
                                None => format!("allowed keys here: {}", allowed.join(", ")),
                            }),
                            pos,
                        });
                    }
                }
                kind => {
                    let (message, help) = describe(kind, target, pointer);
                    out.push(Violation {
                        code: Code::of(kind),
                        message,
                        help,
                        pos: target.pos,
                    });
                }
            }
        }
        out.sort_by_key(|v| v.pos);
        out.dedup();
        out
    }

    /// The property names the schema object at `schema_path` (minus its last keyword) declares.
    fn allowed_keys(&self, schema_path: &str) -> Vec<String> {
        let mut current = &self.documents[0];
        let mut segments: Vec<&str> = schema_path.split('/').skip(1).collect();
        segments.pop();
        for segment in segments {
            current = if segment == "$ref" {
                match current
                    .get("$ref")
                    .and_then(Json::as_str)
                    .and_then(|r| self.resolve(r))
                {
                    Some(target) => target,
                    None => return Vec::new(),
                }
            } else {
                let next = match current {
                    Json::Object(map) => map.get(segment),
                    Json::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                    _ => None,
                };
                match next {
                    Some(next) => next,
                    None => return Vec::new(),
                }
            };
        }
        current
            .get("properties")
            .and_then(Json::as_object)
            .map(|props| props.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A `$ref` to this schema's own `#/...` or to another loaded schema by the end of its `$id`.
    fn resolve(&self, reference: &str) -> Option<&Json> {
        let (document, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let doc = if document.is_empty() {
            &self.documents[0]
        } else {
            self.documents.iter().find(|d| {
                d.get("$id")
                    .and_then(Json::as_str)
                    .is_some_and(|id| id == document || id.ends_with(&format!("/{document}")))
            })?
        };
        doc.pointer(fragment)
    }
}

/// ` in rules[0].when[1]`, for messages about nested values.
fn place(pointer: &str) -> String {
    if pointer.is_empty() {
        return String::new();
    }
    let mut out = String::from(" in ");
    for (i, segment) in pointer.split('/').skip(1).enumerate() {
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if i > 0 {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}

fn describe(kind: &ValidationErrorKind, node: &Node, pointer: &str) -> (String, Option<String>) {
    let at = if pointer.is_empty() {
        String::new()
    } else {
        format!("{}: ", place(pointer).trim_start_matches(" in "))
    };
    match kind {
        ValidationErrorKind::Required { property } => {
            let key = property.as_str().unwrap_or_default();
            (
                format!("missing required key \"{key}\"{}", place(pointer)),
                Some(format!("add `{key}:` to this mapping")),
            )
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                jsonschema::error::TypeKind::Single(t) => t.to_string(),
                jsonschema::error::TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            let help = match node.as_str() {
                Some(s) if expected == "boolean" && is_yaml11_bool(s) => Some(format!(
                    "YAML 1.2 reads `{s}` as a string; write `true` or `false`"
                )),
                Some(s) if expected == "number" && s.parse::<f64>().is_ok() => {
                    Some("remove the quotes to make it a number".to_owned())
                }
                _ => None,
            };
            (
                format!("{at}expected {expected}, found {}", node.describe()),
                help,
            )
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<&str> = options
                .as_array()
                .map(|o| o.iter().filter_map(Json::as_str).collect())
                .unwrap_or_default();
            let help = node
                .as_str()
                .and_then(|s| did_you_mean(s, options.iter().copied()))
                .map(|hint| format!("did you mean \"{hint}\"?"))
                .or_else(|| Some(format!("expected one of: {}", options.join(", "))));
            (
                format!("{at}{} is not an allowed value", node.describe()),
                help,
            )
        }
        ValidationErrorKind::Pattern { pattern } => (
            format!(
                "{at}{} does not match the pattern `{pattern}`",
                node.describe()
            ),
            None,
        ),
        ValidationErrorKind::MinLength { .. } => (format!("{at}must not be empty"), None),
        ValidationErrorKind::MinItems { limit } => (
            format!(
                "{at}needs at least {limit} item{}",
                if *limit == 1 { "" } else { "s" }
            ),
            None,
        ),
        ValidationErrorKind::MinProperties { limit } => (
            format!(
                "{at}needs at least {limit} entr{}",
                if *limit == 1 { "y" } else { "ies" }
            ),
            None,
        ),
        ValidationErrorKind::UniqueItems => (format!("{at}has repeated items"), None),
        _ => {
            let detail = match kind {
                ValidationErrorKind::PropertyNames { error } => error.to_string(),
                _ => format!(
                    "{} fails the schema's `{}` keyword",
                    node.describe(),
                    kind.keyword()
                ),
            };
            (format!("{at}{detail}"), None)
        }
    }
}

fn is_yaml11_bool(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "yes" | "no" | "on" | "off" | "y" | "n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    fn violations(schema: &Schema, text: &str) -> Vec<Violation> {
        let root = yaml::parse(text).expect("parses").root.expect("root");
        schema.check(&root, &root.to_json())
    }

    const VALID: &str = "name: f\nversion: 1.0.0\ndescription: d\nowner: o\ntype: boolean\nlifecycle: draft\nenabled: true\n";

    #[test]
    fn a_valid_flag_has_no_violations() {
        assert!(violations(&Schema::flag(), VALID).is_empty());
    }

    #[test]
    fn unknown_keys_point_at_the_key_with_a_suggestion() {
        let text = format!("{VALID}tgas: [x]\n");
        let v = violations(&Schema::flag(), &text);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].code, Code::UnknownKey);
        assert_eq!(v[0].pos, Pos { line: 8, column: 1 });
        assert_eq!(v[0].help.as_deref(), Some("did you mean \"tags\"?"));
    }

    #[test]
    fn unknown_keys_in_referenced_definitions_get_suggestions() {
        let text = format!("{VALID}rules:\n  - segmnt: staff\n    serve: on\n");
        let v = violations(&Schema::flag(), &text);
        assert_eq!(v[0].code, Code::UnknownKey);
        assert_eq!(v[0].help.as_deref(), Some("did you mean \"segment\"?"));
        assert_eq!(v[0].pos, Pos { line: 9, column: 5 });
    }

    #[test]
    fn yes_is_a_string_and_the_help_says_so() {
        let v = violations(
            &Schema::flag(),
            &VALID.replace("enabled: true", "enabled: yes"),
        );
        assert_eq!(v[0].code, Code::Type);
        assert_eq!(
            v[0].pos,
            Pos {
                line: 7,
                column: 10
            }
        );
        assert!(
            v[0].help
                .as_deref()
                .unwrap_or_default()
                .contains("YAML 1.2")
        );
    }

    #[test]
    fn missing_keys_point_at_the_mapping() {
        let v = violations(&Schema::flag(), &VALID.replace("owner: o\n", ""));
        assert_eq!(v[0].code, Code::Required);
        assert!(v[0].message.contains("\"owner\""));
    }

    #[test]
    fn segments_reference_the_flag_schema_conditions() {
        let schema = Schema::segment();
        let ok = "name: s\ndescription: d\nwhen:\n  - { attribute: a, op: eq, value: x }\n";
        assert!(violations(&schema, ok).is_empty());
        let bad = ok.replace("op: eq", "op: equals");
        assert_eq!(violations(&schema, &bad)[0].code, Code::Enum);
    }
}
