//! `--format junit` for `flagctl test`: one test suite per spec file, one test case per case and
//! environment, failures with their message; specs that could not run are errored suites.

use std::collections::BTreeMap;
use std::io::{self, Write};

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
            escape(spec),
            cases.len()
        )?;
        for case in cases {
            let name = format!("{} [{}] {}", case.flag, case.env, case.name);
            let file = format!(r#" file="{}" line="{}""#, escape(spec), case.pos.line);
            match &case.failure {
                None => writeln!(
                    out,
                    r#"    <testcase name="{}" classname="{}"{file}/>"#,
                    escape(&name),
                    escape(&case.flag)
                )?,
                Some(message) => {
                    writeln!(
                        out,
                        r#"    <testcase name="{}" classname="{}"{file}>"#,
                        escape(&name),
                        escape(&case.flag)
                    )?;
                    writeln!(
                        out,
                        r#"      <failure message="{}" type="test/failed"/>"#,
                        escape(message)
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
            escape(path)
        )?;
        writeln!(
            out,
            r#"    <testcase name="{}" classname="spec"><error message="{}" type="{}"/></testcase>"#,
            escape(path),
            escape(&finding.message),
            escape(finding.code.as_str())
        )?;
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// Text as XML attribute content; characters XML 1.0 cannot hold are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn attribute_text_is_escaped() {
        assert_eq!(
            super::escape("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;"
        );
    }
}
