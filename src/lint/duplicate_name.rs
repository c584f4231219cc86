use super::{Check, FlagName, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    code: super::Code::DuplicateName,
    severity: Severity::Error,
    summary: "two files in one environment define the same flag",
    explanation: "\
A flag is matched across environments by its `name`, wherever its file sits, so a name may be
used by one file per environment. Two files with the same name leave it undefined which one
flagd would serve, and which one `diff` and `promote` should compare.

Fix: delete or rename one of the two files.",
    check: Check::Repository(check),
};

/// Reports every flag name used by a second file in one environment.
/// The first file (by path) of each (environment, name) is the flag; every later one is a
/// finding.
fn check(names: &[FlagName<'_>], out: &mut Vec<Finding>) {
    let mut first: foldhash::HashMap<(&str, &str), usize> =
        foldhash::HashMap::with_capacity_and_hasher(names.len(), Default::default());
    let mut sorted: Vec<usize> = (0..names.len()).collect();
    sorted.sort_by(|&a, &b| names[a].path.cmp(names[b].path));
    for i in sorted {
        let flag = &names[i];
        if let Some(&original) = first.get(&(flag.env, flag.name)) {
            out.push(duplicate(flag, names[original].path));
        } else {
            first.insert((flag.env, flag.name), i);
        }
    }
}

/// The finding on `flag`, whose name the file at `original` already defines in its environment.
pub fn duplicate(flag: &FlagName<'_>, original: &str) -> Finding {
    Finding::new(
        RULE.code,
        RULE.severity,
        format!("flag \"{}\" is already defined in {original}", flag.name),
    )
    .at(flag.path, flag.pos)
    .in_flag(Some(flag.name), Some(flag.env))
    .help("a flag lives in one file per environment; remove or rename one of them")
}
