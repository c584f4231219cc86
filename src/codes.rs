//! Every finding code, gathered from the engines that emit them, for `flagctl explain`.
//!
//! Each engine declares its own codes (see [`crate::finding`]); an engine's enum joins the list
//! in [`all`] with one line.

use crate::finding::{Code, Codes};

fn every<C: Codes>() -> impl Iterator<Item = Code> {
    C::iter().map(Code::from)
}

/// Every code any engine can emit, in the order `flagctl explain` lists them.
pub fn all() -> impl Iterator<Item = Code> {
    every::<crate::yaml::Code>()
        .chain(every::<crate::repo::FsCode>())
        .chain(every::<crate::schema::Code>())
        .chain(every::<crate::drift::Code>())
        .chain(every::<crate::gate::Code>())
        .chain(every::<crate::audit::Code>())
        .chain(every::<crate::lint::Code>())
        .chain(every::<crate::eval::Code>())
        .chain(every::<crate::eval::CompatCode>())
        .chain(every::<crate::eval::spec::Code>())
        .chain(every::<crate::export::Code>())
        .chain(every::<crate::stale::Code>())
        .chain(every::<crate::config::Code>())
}

/// The code named `name`, if an engine has it.
pub fn find(name: &str) -> Option<Code> {
    all().find(|c| c.as_str() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_unique_and_explained() {
        let codes: Vec<Code> = all().collect();
        let mut names: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), codes.len(), "a code is declared twice");
        for code in &codes {
            assert!(!code.summary().is_empty(), "{code} has no summary");
            assert!(!code.explanation().is_empty(), "{code} has no explanation");
            assert!(
                !code.summary().ends_with('.'),
                "{code}: a summary is one phrase, without a full stop"
            );
            let (engine, rest) = code.as_str().split_once('/').unwrap_or_default();
            assert!(
                !engine.is_empty()
                    && engine.bytes().all(|b| b.is_ascii_lowercase())
                    && !rest.is_empty()
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{code} is not engine/kebab-case"
            );
            assert_eq!(find(code.as_str()), Some(*code));
        }
    }

    /// An enum declared with a `prefix = "engine/"` but left out of [`all`] would emit codes
    /// that `flagctl explain` does not know.
    #[test]
    fn every_engine_that_declares_codes_is_gathered() {
        let gathered: Vec<&str> = all().map(Code::engine).collect();
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        for entry in walkdir::WalkDir::new(&src) {
            let entry = entry.expect("the source tree is readable");
            if entry.path().extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).expect("a source file is readable");
            for line in text.lines().map(str::trim_start) {
                // The attribute of a codes enum: `#[strum(serialize_all = "kebab-case", prefix = "drift/")]`.
                let Some((_, rest)) = line
                    .strip_prefix("#[strum(")
                    .and_then(|l| l.split_once("prefix = \""))
                else {
                    continue;
                };
                let engine = rest.split_once('/').map_or(rest, |(engine, _)| engine);
                if !gathered.contains(&engine) {
                    missing.push(format!("{engine} ({})", entry.path().display()));
                }
            }
        }
        assert!(missing.is_empty(), "codes not in codes::all(): {missing:?}");
    }
}
