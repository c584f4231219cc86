//! `--format junit` for `flagctl test`: one test suite per spec file, one test case per case and
//! environment, failures with their message; specs that could not run are errored suites.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::escape::{Markup, markup};
use crate::eval::spec::CaseOutcome;
use crate::finding::Finding;

pub fn write(out: &mut impl Write, outcomes: &[CaseOutcome], broken: &[Finding]) -> io::Result<()> {
    let mut suites: BTreeMap<&str, Vec<&CaseOutcome>> = BTreeMap::new();
    for outcome in outcomes {
        suites.entry(&outcome.spec).or_default().push(outcome);
    }
    let failures = outcomes.iter().filter(|o| o.failure.is_some()).count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="flagctl test" tests="{}" failures="{failures}" errors="{}">"#,
        outcomes.len(),
        broken.len()
    )?;
    for (spec, cases) in &suites {
        let failed = cases.iter().filter(|c| c.failure.is_some()).count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{failed}" errors="0">"#,
            markup(spec, Markup::Attribute),
            cases.len()
        )?;
        for case in cases {
            let name = format!("{} [{}] {}", case.flag, case.env, case.name);
            let file = format!(
                r#" file="{}" line="{}""#,
                markup(spec, Markup::Attribute),
                case.pos.line
            );
            match &case.failure {
                None => writeln!(
                    out,
                    r#"    <testcase name="{}" classname="{}"{file}/>"#,
                    markup(&name, Markup::Attribute),
                    markup(&case.flag, Markup::Attribute)
                )?,
                Some(message) => {
                    writeln!(
                        out,
                        r#"    <testcase name="{}" classname="{}"{file}>"#,
                        markup(&name, Markup::Attribute),
                        markup(&case.flag, Markup::Attribute)
                    )?;
                    writeln!(
                        out,
                        r#"      <failure message="{}" type="test/failed"/>"#,
                        markup(message, Markup::Attribute)
                    )?;
                    writeln!(out, "    </testcase>")?;
                }
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    for finding in broken {
        let path = finding.path.as_deref().unwrap_or("flagctl test");
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="1" failures="0" errors="1">"#,
            markup(path, Markup::Attribute)
        )?;
        writeln!(
            out,
            r#"    <testcase name="{}" classname="spec"><error message="{}" type="{}"/></testcase>"#,
            markup(path, Markup::Attribute),
            markup(&finding.message, Markup::Attribute),
            markup(finding.code.as_str(), Markup::Attribute)
        )?;
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}
