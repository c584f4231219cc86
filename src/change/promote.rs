//! Promotion: bringing flags from one environment into the next, as a reviewable plan.

use serde::{Deserialize, Serialize};

use super::edit::{self, Scalar};
use super::{ChangeError, FileWrite, Operation, Workspace};
use crate::config::Environment;
use crate::finding::did_you_mean;
use crate::git::Git;
use crate::inventory::{Category, FlagFile, Inventory, category};
use crate::model::Lifecycle;
use crate::repo::parse_bytes;

/// Which flags to promote.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Every flag with something to promote.
    All,
    Names(Vec<String>),
}

/// A promotion, computed and locked to what it read: saved by `promote --plan FILE`, applied
/// by `flagctl apply FILE` only if nothing moved since.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub version: u32,
    pub from: String,
    pub to: String,
    pub with_state: bool,
    /// Promoting against the chain's direction (`--allow-backport`).
    pub backport: bool,
    /// The commit the plan was made at.
    pub head: String,
    pub flags: Vec<PlannedFlag>,
    /// Flags asked for (or found by `--all`) that are left as they are, and why.
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedFlag {
    pub name: String,
    pub from_path: String,
    pub from_blob: String,
    pub to_path: String,
    /// The target's blob id, or `None` for a flag new to the target.
    pub to_blob: Option<String>,
    pub from_version: String,
    pub to_version: Option<String>,
    /// The target file's new content.
    pub after: String,
    /// The target file's content when the plan was made.
    pub before: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

impl Plan {
    /// The change the plan makes.
    pub fn operation(&self) -> Operation {
        let names: Vec<&str> = self.flags.iter().map(|f| f.name.as_str()).collect();
        let listed = if names.len() > 4 {
            format!("{} and {} more", names[..3].join(", "), names.len() - 3)
        } else {
            names.join(", ")
        };
        let mut trailers = vec![(
            "Flagctl-Promoted-From".to_owned(),
            format!("{}@{}", self.from, self.head),
        )];
        if self.backport {
            trailers.push(("Flagctl-Backport".to_owned(), "true".to_owned()));
        }
        Operation {
            subject: format!("promote {} → {}: {listed}", self.from, self.to),
            trailers,
            files: self
                .flags
                .iter()
                .map(|f| FileWrite {
                    path: f.to_path.clone(),
                    before: f.before.clone().map(String::into_bytes),
                    after: Some(f.after.clone().into_bytes()),
                })
                .collect(),
        }
    }
}

/// Plans the promotion of `selection` from `from` to `to`.
pub fn plan(
    ws: &Workspace,
    from: &str,
    to: &str,
    selection: &Selection,
    with_state: bool,
    allow_backport: bool,
) -> Result<Plan, ChangeError> {
    let config = &ws.repo.config;
    let position = |env: &str| config.environments.iter().position(|e| e.name == env);
    if position(from).is_none() {
        return Err(ChangeError::Refused(format!(
            "unknown environment \"{from}\""
        )));
    }
    let backport = position(from) > position(to);
    if backport && !allow_backport {
        return Err(ChangeError::Refused(format!(
            "{from} is downstream of {to}: changes flow {to} → {from}; promote the other way, or pass --allow-backport (the commit records it)"
        )));
    }
    let target = config
        .environment(to)
        .ok_or_else(|| ChangeError::Refused(format!("unknown environment \"{to}\"")))?;
    let inventory = Inventory::load(&ws.repo, &[from, to])?;
    let promotion = Promotion {
        ws,
        inventory: &inventory,
        from,
        to,
        target,
        selection,
        with_state,
        backport,
    };
    let head = ws.git.head()?.id;
    let mut planned = Vec::new();
    let mut skipped = Vec::new();
    for name in promotion.names() {
        match promotion.flag(&name)? {
            Step::Promote(flag) => planned.push(*flag),
            Step::Skip(reason) => skipped.push(Skipped { name, reason }),
            Step::InSync => {}
        }
    }
    let touched: Vec<&str> = planned
        .iter()
        .flat_map(|f: &PlannedFlag| [f.from_path.as_str(), f.to_path.as_str()])
        .collect();
    ws.require_clean(&touched)?;
    Ok(Plan {
        version: 1,
        from: from.to_owned(),
        to: to.to_owned(),
        with_state,
        backport,
        head,
        flags: planned,
        skipped,
    })
}

/// A promotion being planned: what it reads and what it was asked.
struct Promotion<'a> {
    ws: &'a Workspace,
    inventory: &'a Inventory,
    from: &'a str,
    to: &'a str,
    target: &'a Environment,
    selection: &'a Selection,
    with_state: bool,
    backport: bool,
}

/// What the promotion does with one flag.
enum Step {
    Promote(Box<PlannedFlag>),
    /// Left as it is, with the reason shown.
    Skip(String),
    /// Already the same (and not asked for by name): nothing to say.
    InSync,
}

impl Promotion<'_> {
    fn find(&self, env: &str, name: &str) -> Option<&FlagFile> {
        self.inventory
            .flags
            .iter()
            .find(|f| f.env == env && f.name() == name)
    }

    /// The flags asked for, or with `--all` every flag of FROM that TO lacks or differs in.
    fn names(&self) -> Vec<String> {
        match self.selection {
            // A flag named twice is promoted once.
            Selection::Names(names) => {
                let mut once: Vec<String> = Vec::with_capacity(names.len());
                for name in names {
                    if !once.contains(name) {
                        once.push(name.clone());
                    }
                }
                once
            }
            Selection::All => {
                let mut names: Vec<String> = self
                    .inventory
                    .flags
                    .iter()
                    .filter(|f| f.env == self.from)
                    .filter(|f| match self.find(self.to, f.name()) {
                        None => true,
                        Some(t) => !f.same_bytes(t),
                    })
                    .map(|f| f.name().to_owned())
                    .collect();
                names.sort();
                names.dedup();
                names
            }
        }
    }

    /// Plans one flag: refused (by name), skipped (by `--all`), in sync, or promoted.
    fn flag(&self, name: &str) -> Result<Step, ChangeError> {
        let source = self.source(name)?;
        let source_text = read_text(self.ws, &source.path)?;
        let existing = self.find(self.to, name);
        if let Some(reason) = self.refusal(name, source, &source_text, existing) {
            return match self.selection {
                Selection::Names(_) => Err(ChangeError::Refused(reason)),
                Selection::All => Ok(Step::Skip(reason)),
            };
        }
        let (to_path, before, after) = self.target_content(source, &source_text, existing)?;
        if before.as_deref() == Some(after.as_str()) {
            return Ok(match self.selection {
                Selection::Names(_) => Step::Skip(format!("already in sync with {}", self.from)),
                Selection::All => Step::InSync,
            });
        }
        Ok(Step::Promote(Box::new(PlannedFlag {
            name: name.to_owned(),
            from_path: source.path.to_string(),
            from_blob: Git::blob_id(source_text.as_bytes()),
            to_blob: before.as_deref().map(|b| Git::blob_id(b.as_bytes())),
            to_path,
            from_version: source.digest.version.to_string(),
            to_version: existing.map(|e| e.digest.version.to_string()),
            after,
            before,
        })))
    }

    /// The flag's file in FROM, or an error naming the closest one.
    fn source(&self, name: &str) -> Result<&FlagFile, ChangeError> {
        self.find(self.from, name).ok_or_else(|| {
            let known = self
                .inventory
                .flags
                .iter()
                .filter(|f| f.env == self.from)
                .map(FlagFile::name);
            let hint = did_you_mean(name, known)
                .map(|h| format!(" (did you mean \"{h}\"?)"))
                .unwrap_or_default();
            ChangeError::UnknownFlag {
                name: name.to_owned(),
                env: self.from.to_owned(),
                hint,
            }
        })
    }

    /// Why the flag may not go to TO: a draft, a lifecycle TO does not allow, or TO newer.
    fn refusal(
        &self,
        name: &str,
        source: &FlagFile,
        source_text: &str,
        existing: Option<&FlagFile>,
    ) -> Option<String> {
        let (from, to) = (self.from, self.to);
        let lifecycle = parse_bytes(&source.path, source_text.as_bytes())
            .ok()
            .and_then(|p| {
                p.root
                    .get("lifecycle")
                    .and_then(|l| l.as_str())
                    .and_then(Lifecycle::parse)
            });
        match lifecycle {
            Some(Lifecycle::Draft) => {
                return Some(format!(
                    "\"{name}\" is a draft in {from}; move it to pending first"
                ));
            }
            Some(l) if !self.target.allows(l) => {
                return Some(format!(
                    "\"{name}\" is {l} in {from}, which {to} does not allow"
                ));
            }
            _ => {}
        }
        let existing = existing?;
        (existing.digest.version > source.digest.version && !self.backport).then(|| {
            format!(
                "{to} has \"{name}\" {}, newer than {from}'s {}; bring that change upstream first",
                existing.digest.version, source.digest.version
            )
        })
    }

    /// The target file's path, its content now (if it exists) and after the promotion.
    fn target_content(
        &self,
        source: &FlagFile,
        source_text: &str,
        existing: Option<&FlagFile>,
    ) -> Result<(String, Option<String>, String), ChangeError> {
        match existing {
            Some(existing) => {
                let before = read_text(self.ws, &existing.path)?;
                let fields = fields_to_take(source_text, &before, self.with_state);
                let after = edit::take_fields(&existing.path, &before, source_text, &fields)?;
                Ok((existing.path.to_string(), Some(before), after))
            }
            None => {
                let path = retarget(&source.path, self.from, self.to, &self.ws.repo.flags_path());
                let enabled = source.digest.enabled == Some(true);
                // Deploying a flag is not releasing it: it arrives disabled unless asked.
                let after = if enabled && !self.with_state {
                    edit::set(
                        &path,
                        source_text,
                        &[("enabled".to_owned(), Scalar::Bool(false))],
                    )?
                } else {
                    source_text.to_owned()
                };
                Ok((path, None, after))
            }
        }
    }
}

/// A saved plan is user input: the promotion is planned again from its environments and flag
/// names alone, and refused unless that gives the very plan saved (every path, blob id and
/// new content): an edited plan cannot write anywhere a promotion would not.
pub fn replan(ws: &Workspace, saved: &Plan) -> Result<Plan, ChangeError> {
    let config = &ws.repo.config;
    for env in [&saved.from, &saved.to] {
        if config.environment(env).is_none() {
            return Err(ChangeError::Refused(format!(
                "the plan names environment \"{}\", which this repository does not have",
                env.escape_debug()
            )));
        }
    }
    if saved.from == saved.to {
        return Err(ChangeError::Refused(
            "the plan promotes an environment into itself".to_owned(),
        ));
    }
    let head = ws.git.head()?.id;
    if head != saved.head {
        return Err(ChangeError::Refused(format!(
            "the plan was made at commit {} but HEAD is now {}: make a new plan",
            short(&saved.head).escape_debug(),
            short(&head)
        )));
    }
    let names: Vec<String> = saved.flags.iter().map(|f| f.name.clone()).collect();
    let mut fresh = plan(
        ws,
        &saved.from,
        &saved.to,
        &Selection::Names(names),
        saved.with_state,
        saved.backport,
    )?;
    if fresh.backport != saved.backport || fresh.flags.len() != saved.flags.len() {
        return Err(ChangeError::Refused(
            "the plan does not match the promotion it names (it was edited, or flags changed since): make a new plan".to_owned(),
        ));
    }
    for (now, then) in fresh.flags.iter().zip(&saved.flags) {
        let moved = now.from_blob != then.from_blob || now.to_blob != then.to_blob;
        let same = now.name == then.name
            && now.from_path == then.from_path
            && now.to_path == then.to_path
            && !moved
            && now.after == then.after
            && now.before == then.before;
        if !same {
            let why = if moved && now.name == then.name {
                format!(
                    "{} or {} changed since the plan was made",
                    now.from_path, now.to_path
                )
            } else {
                "the plan's paths or contents are not what the promotion makes (was it edited?)"
                    .to_owned()
            };
            return Err(ChangeError::Refused(format!(
                "\"{}\": {why}: make a new plan",
                now.name
            )));
        }
    }
    fresh.skipped.clear();
    Ok(fresh)
}

/// The first 12 characters of a commit id (of user text, in a plan: never cut inside one).
fn short(id: &str) -> &str {
    let end = id.char_indices().nth(12).map_or(id.len(), |(i, _)| i);
    &id[..end]
}

fn read_text(ws: &Workspace, path: &str) -> Result<String, ChangeError> {
    let bytes = std::fs::read(ws.repo.root.join(path))
        .map_err(|e| ChangeError::Refused(format!("cannot read {path}: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|_| ChangeError::Refused(format!("{path} is not UTF-8; run flagctl validate")))
}

/// The top-level fields a promotion takes from the source: the version, contract and metadata
/// (and state with `--with-state`), present in either file.
fn fields_to_take(source: &str, target: &str, with_state: bool) -> Vec<String> {
    let keys = |text: &str| -> Vec<String> {
        parse_bytes("", text.as_bytes())
            .ok()
            .and_then(|p| {
                p.root
                    .as_map()
                    .map(|m| m.iter().map(|e| e.key.clone()).collect())
            })
            .unwrap_or_default()
    };
    let mut fields: Vec<String> = Vec::new();
    for key in keys(source).into_iter().chain(keys(target)) {
        let wanted = match category(&key) {
            None => true,
            Some(Category::State) => with_state,
            Some(Category::Contract | Category::Metadata) => true,
        };
        if wanted && !fields.contains(&key) {
            fields.push(key);
        }
    }
    fields
}

/// `flags/staging/checkout/x.yaml` → `flags/prod/checkout/x.yaml`.
fn retarget(path: &str, from: &str, to: &str, flags_dir: &str) -> String {
    let prefix = format!("{flags_dir}/{from}/");
    match path.strip_prefix(&prefix) {
        Some(rest) => format!("{flags_dir}/{to}/{rest}"),
        None => path.to_owned(),
    }
}
