//! `--format sarif`: a SARIF 2.1.0 log, the format code-scanning tools read (GitHub's code
//! scanning tab, IDE viewers). One rule per finding code, with its `explain` text as help.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, PhysicalLocation,
    Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Tool,
    ToolComponent,
};

use super::{Each, Report, locate};
use crate::codes;
use crate::finding::{Code, Finding, Severity};

/// The schema the log declares (and the tests validate it against: `schemas/sarif/`).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base id that result paths are relative to: the top of the git work tree.
const SRCROOT: &str = "%SRCROOT%";

pub fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let rules = Rules::of(report.findings);
    let prefix = locate::work_tree_prefix(&report.root);
    let config = locate::config_path(report);
    let results = report
        .findings
        .iter()
        .map(|f| result(f, rules.index(f.code), &prefix, config.as_deref()));
    let log = Log {
        schema: SCHEMA_URI,
        runs: [LogRun {
            column_kind: "unicodeCodePoints",
            invocations: [Invocation::builder()
                .execution_successful(true)
                .arguments(std::env::args().skip(1).collect::<Vec<_>>())
                .build()],
            original_uri_base_ids: locate::work_tree_uri(&report.root).map(|top| {
                BTreeMap::from([(
                    SRCROOT.to_owned(),
                    ArtifactLocation::builder().uri(top).build(),
                )])
            }),
            results: Each::new(results),
            tool: tool(&rules),
        }],
        version: "2.1.0",
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

/// The log, as serde-sarif's `Sarif` prints it (its fields in that order), with its results
/// written one at a time rather than built first.
#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [LogRun<'a>; 1],
    version: &'static str,
}

/// The run, as serde-sarif's `Run` prints the fields it sets.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogRun<'a> {
    column_kind: &'static str,
    invocations: [Invocation; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<BTreeMap<String, ArtifactLocation>>,
    results: Each<'a, SarifResult>,
    tool: Tool,
}

fn tool(rules: &Rules) -> Tool {
    let driver = ToolComponent::builder()
        .name("flagctl")
        .full_name(format!("flagctl {}", crate::cli::VERSION))
        .version(crate::cli::VERSION)
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(rules.descriptors())
        .build();
    Tool::builder().driver(driver).build()
}

fn result(f: &Finding, rule_index: usize, prefix: &str, config: Option<&str>) -> SarifResult {
    let mut text = f.message.clone();
    if let Some(help) = f.help_text() {
        text.push_str("\nhelp: ");
        text.push_str(&help);
    }
    // Code scanning drops a result without a location: a finding about no file (a commit's
    // policy) points at the configuration that holds the policy.
    let located = match (&f.path, config) {
        (Some(path), _) => Some((&**path, f.line, f.column)),
        (None, Some(config)) => Some((config, Some(1), Some(1))),
        (None, None) => None,
    };
    let locations = located.map(|(path, line, column)| {
        let mut place = PhysicalLocation::builder()
            .artifact_location(
                ArtifactLocation::builder()
                    .uri(locate::uri_reference(&format!("{prefix}{path}")))
                    .uri_base_id(SRCROOT)
                    .build(),
            )
            .build();
        // A region needs a start line; a whole-file finding without one has none.
        place.region = line.map(|line| {
            let mut region = Region::builder().start_line(i64::from(line)).build();
            region.start_column = column.map(i64::from);
            region
        });
        vec![Location::builder().physical_location(place).build()]
    });
    let mut properties = BTreeMap::new();
    for (key, value) in [("flag", &f.flag), ("env", &f.env)] {
        if let Some(value) = value {
            properties.insert(key.to_owned(), serde_json::json!(value));
        }
    }
    let mut result = SarifResult::builder()
        .rule_id(f.code.as_str())
        .rule_index(rule_index as i64)
        .level(level(f.severity))
        .message(Message::builder().text(text).build())
        .build();
    result.locations = locations;
    if !properties.is_empty() {
        result.properties = Some(
            serde_sarif::sarif::PropertyBag::builder()
                .additional_properties(properties)
                .build(),
        );
    }
    result
}

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

/// Every code, in `flagctl explain` order, so that each rule's index is the same in every log.
struct Rules {
    codes: Vec<Code>,
}

impl Rules {
    fn of(findings: &[Finding]) -> Rules {
        let mut codes: Vec<Code> = codes::all().collect();
        for f in findings {
            if !codes.contains(&f.code) {
                codes.push(f.code);
            }
        }
        Rules { codes }
    }

    fn index(&self, code: Code) -> usize {
        self.codes.iter().position(|c| *c == code).unwrap_or(0)
    }

    fn descriptors(&self) -> Vec<ReportingDescriptor> {
        self.codes
            .iter()
            .map(|code| {
                let id = code.as_str();
                let explanation = code.explanation();
                let help = format!("{explanation}\n\n`flagctl explain {id}`");
                ReportingDescriptor::builder()
                    .id(id)
                    .name(rule_name(id))
                    .short_description(
                        MultiformatMessageString::builder()
                            .text(format!("{}.", capitalized(code.summary())))
                            .build(),
                    )
                    .full_description(
                        MultiformatMessageString::builder()
                            .text(explanation)
                            .build(),
                    )
                    .help(
                        MultiformatMessageString::builder()
                            .text(help.clone())
                            .markdown(help)
                            .build(),
                    )
                    .default_configuration(
                        ReportingConfiguration::builder()
                            .level(serde_json::json!(level_name(code.severity())))
                            .build(),
                    )
                    .build()
            })
            .collect()
    }
}

fn level_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `rule/unknown-variant` → `RuleUnknownVariant`, the identifier form SARIF viewers show.
fn rule_name(code: &str) -> String {
    code.split(|c: char| !c.is_ascii_alphanumeric())
        .map(capitalized)
        .collect()
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn rule_names_are_identifiers() {
        assert_eq!(
            super::rule_name("rule/unknown-variant"),
            "RuleUnknownVariant"
        );
        assert_eq!(super::rule_name("yaml/non-utf8"), "YamlNonUtf8");
    }
}
