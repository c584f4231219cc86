//! Promotion: bringing flags from one environment into the next, as a reviewable plan.

use serde::{Deserialize, Serialize};

use super::edit::{self, Scalar};
use super::{ChangeError, FileWrite, Operation, Workspace};
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
    let find = |env: &str, name: &str| {
        inventory
            .flags
            .iter()
            .find(|f| f.env == env && f.name() == name)
    };

    let names: Vec<String> = match selection {
        Selection::Names(names) => names.clone(),
        Selection::All => {
            let mut names: Vec<String> = inventory
                .flags
                .iter()
                .filter(|f| f.env == from)
                .filter(|f| match find(to, f.name()) {
                    None => true,
                    Some(t) => !inventory.same_bytes(f, t),
                })
                .map(|f| f.name().to_owned())
                .collect();
            names.sort();
            names.dedup();
            names
        }
    };

    let head = ws.git.head()?.id;
    let mut planned = Vec::new();
    let mut skipped = Vec::new();
    for name in &names {
        let Some(source) = find(from, name) else {
            let known: Vec<&str> = inventory
                .flags
                .iter()
                .filter(|f| f.env == from)
                .map(FlagFile::name)
                .collect();
            let hint = did_you_mean(name, known.iter().copied())
                .map(|h| format!(" (did you mean \"{h}\"?)"))
                .unwrap_or_default();
            return Err(ChangeError::UnknownFlag {
                name: name.clone(),
                env: from.to_owned(),
                hint,
            });
        };
        let source_text = read_text(ws, &source.path)?;
        let lifecycle = parse_bytes(&source.path, source_text.as_bytes())
            .ok()
            .and_then(|p| {
                p.root
                    .get("lifecycle")
                    .and_then(|l| l.as_str())
                    .and_then(Lifecycle::parse)
            });
        let refuse = |reason: String| -> Result<(), ChangeError> {
            match selection {
                Selection::Names(_) => Err(ChangeError::Refused(reason)),
                Selection::All => Ok(()),
            }
        };
        match lifecycle {
            Some(Lifecycle::Draft) => {
                let reason = format!("\"{name}\" is a draft in {from}; move it to pending first");
                refuse(reason.clone())?;
                skipped.push(Skipped {
                    name: name.clone(),
                    reason,
                });
                continue;
            }
            Some(l) if !target.allows(l) => {
                let reason = format!("\"{name}\" is {l} in {from}, which {to} does not allow");
                refuse(reason.clone())?;
                skipped.push(Skipped {
                    name: name.clone(),
                    reason,
                });
                continue;
            }
            _ => {}
        }
        let existing = find(to, name);
        if let Some(existing) = existing {
            if existing.digest.version > source.digest.version && !backport {
                let reason = format!(
                    "{to} has \"{name}\" {}, newer than {from}'s {}; bring that change upstream first",
                    existing.digest.version, source.digest.version
                );
                refuse(reason.clone())?;
                skipped.push(Skipped {
                    name: name.clone(),
                    reason,
                });
                continue;
            }
        }
        let (to_path, before, after) = match existing {
            Some(existing) => {
                let before = read_text(ws, &existing.path)?;
                let fields = fields_to_take(&source_text, &before, with_state);
                let after = edit::take_fields(&existing.path, &before, &source_text, &fields)?;
                (existing.path.clone(), Some(before), after)
            }
            None => {
                let path = retarget(&source.path, from, to, &ws.repo.flags_path());
                let enabled = source.digest.enabled == Some(true);
                // Deploying a flag is not releasing it: it arrives disabled unless asked.
                let after = if enabled && !with_state {
                    edit::set(
                        &path,
                        &source_text,
                        &[("enabled".to_owned(), Scalar::Bool(false))],
                    )?
                } else {
                    source_text.clone()
                };
                (path, None, after)
            }
        };
        if before.as_deref() == Some(after.as_str()) {
            if let Selection::Names(_) = selection {
                skipped.push(Skipped {
                    name: name.clone(),
                    reason: format!("already in sync with {from}"),
                });
            }
            continue;
        }
        planned.push(PlannedFlag {
            name: name.clone(),
            from_path: source.path.clone(),
            from_blob: Git::blob_id(source_text.as_bytes()),
            to_blob: before.as_deref().map(|b| Git::blob_id(b.as_bytes())),
            to_path,
            from_version: source.digest.version.to_string(),
            to_version: existing.map(|e| e.digest.version.to_string()),
            after,
            before,
        });
    }
    let touched: Vec<&str> = planned
        .iter()
        .flat_map(|f| [f.from_path.as_str(), f.to_path.as_str()])
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

/// Refuses a saved plan if anything it read has moved since it was made.
pub fn check_fresh(ws: &Workspace, plan: &Plan) -> Result<(), ChangeError> {
    let head = ws.git.head()?.id;
    if head != plan.head {
        return Err(ChangeError::Refused(format!(
            "the plan was made at commit {} but HEAD is now {}: make a new plan",
            short(&plan.head),
            short(&head)
        )));
    }
    for flag in &plan.flags {
        let from = std::fs::read(ws.repo.root.join(&flag.from_path))
            .ok()
            .map(|b| Git::blob_id(&b));
        let to = std::fs::read(ws.repo.root.join(&flag.to_path))
            .ok()
            .map(|b| Git::blob_id(&b));
        if from.as_deref() != Some(flag.from_blob.as_str()) || to != flag.to_blob {
            return Err(ChangeError::Refused(format!(
                "\"{}\" changed since the plan was made ({} or {}): make a new plan",
                flag.name, flag.from_path, flag.to_path
            )));
        }
    }
    let touched: Vec<&str> = plan.flags.iter().map(|f| f.to_path.as_str()).collect();
    ws.require_clean(&touched)
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
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
