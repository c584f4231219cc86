use super::{Check, FileContext, Rule};
use crate::finding::{Finding, Severity, did_you_mean};
use crate::model::Serve;
use crate::yaml::Pos;

pub const RULE: Rule = Rule {
    code: super::Code::UnknownVariant,
    severity: Severity::Error,
    summary: "`default`, `serve` or a `rollout` names a variant the flag does not have",
    explanation: "\
Every variant a flag serves, as its `default`, in a `serve:` or as a key of a `rollout:`, must be
one of its `variants` (for a boolean flag without `variants`: `on` or `off`). Otherwise flagd
cannot resolve the value and applications fall back to their code default, silently.

Fix: correct the typo, or add the variant to `variants` (a contract change: bump the version).",
    check: Check::File(check),
};

fn check(cx: &FileContext, out: &mut Vec<Finding>) {
    let flag = cx.flag;
    if flag.variants.is_empty() {
        // Missing or malformed `variants` is the schema's finding.
        return;
    }
    let mut report = |what: &str, name: &str, pos: Pos| {
        if flag.variant(name).is_some() {
            return;
        }
        let names: Vec<&str> = flag.variants.iter().map(|v| v.name.as_str()).collect();
        let help = match did_you_mean(name, names.iter().copied()) {
            Some(hint) => format!("did you mean \"{hint}\"?"),
            None => format!("variants: {}", names.join(", ")),
        };
        out.push(
            cx.finding(
                &RULE,
                pos,
                format!("{what} variant \"{name}\" is not in variants"),
            )
            .help(help),
        );
    };
    if let Some(default) = &flag.default {
        report("default", &default.value, default.pos);
    }
    for serve in flag.serves() {
        match serve {
            Serve::Variant(v) => report("served", &v.value, v.pos),
            Serve::Rollout { weights, .. } => {
                for w in weights {
                    report("rollout", &w.variant.value, w.variant.pos);
                }
            }
        }
    }
}
