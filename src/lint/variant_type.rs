use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity};
use crate::model::FlagType;
use crate::yaml::Value;

pub const RULE: Rule = Rule {
    code: super::Code::VariantType,
    severity: Severity::Error,
    summary: "a variant's value does not match the flag's `type`",
    explanation: "\
Every variant of a flag holds a value of the flag's `type`: `true`/`false` for boolean, text
for string, a number for number, a mapping for object. Applications read the flag with a typed
call (`getBooleanValue`, …) and would get a type error, then their code default.

Fix: change the value, or the flag's type (a contract change: bump the major version). Note
that YAML 1.2 reads `yes`, `no`, `on` and `off` as strings.",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    let Some(flag_type) = &cx.flag.flag_type else {
        return;
    };
    for variant in &cx.flag.variants {
        let fits = match (flag_type.value, &variant.value.value) {
            (FlagType::Boolean, Value::Bool(_))
            | (FlagType::String, Value::Str(_))
            | (FlagType::Number, Value::Int(_))
            | (FlagType::Object, Value::Map(_)) => true,
            (FlagType::Number, Value::Float(f)) => f.is_finite(),
            _ => false,
        };
        if !fits {
            let help = match (flag_type.value, variant.value.as_str()) {
                (FlagType::Boolean, Some(s)) => {
                    format!("YAML 1.2 reads `{s}` as a string; write `true` or `false`")
                }
                (FlagType::Number, Some(s)) if s.parse::<f64>().is_ok() => {
                    "remove the quotes to make it a number".to_owned()
                }
                _ => format!(
                    "a {} flag's variants hold {} values",
                    flag_type.value,
                    type_noun(flag_type.value)
                ),
            };
            out.push(
                cx.finding(
                    &RULE,
                    variant.value.pos,
                    format!(
                        "variant \"{}\" is {}, but the flag's type is {}",
                        variant.name,
                        variant.value.describe(),
                        flag_type.value
                    ),
                )
                .help(help),
            );
        }
    }
}

fn type_noun(t: FlagType) -> &'static str {
    match t {
        FlagType::Boolean => "true/false",
        FlagType::String => "string",
        FlagType::Number => "number",
        FlagType::Object => "mapping",
    }
}
