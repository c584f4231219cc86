//! `flagctl new`: a flag file written from a template of the repository, under a name that the
//! naming pattern, the file system and the flag grammar all accept.

use crate::change::{ChangeError, FileWrite, Operation, Workspace};
use crate::config::Config;
use crate::finding::did_you_mean;
use crate::paths::PathError;

/// The folder of the templates, at the repository root: `templates/<name>.yaml`.
pub const TEMPLATES_DIR: &str = "templates";

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("\"{name}\" does not match the naming pattern `{pattern}`")]
    Naming { name: String, pattern: String },
    #[error("\"{}\" cannot be a flag's file name: {why}", name.escape_debug())]
    FileName { name: String, why: &'static str },
    #[error("{} cannot be a flag's name: {why}", crate::grammar::quoted(name))]
    FlagName { name: String, why: String },
    #[error("\"{}\" is not a template name (templates/<name>.yaml): {why}", template.escape_debug())]
    TemplateName { template: String, why: &'static str },
    #[error("\"{name}\" already exists in {env}: {path}")]
    Exists {
        name: String,
        env: String,
        path: String,
    },
    #[error("no template \"{template}\"{hint}; templates: {known}")]
    NoTemplate {
        template: String,
        hint: String,
        known: String,
    },
    #[error("{path} leads outside the repository; a template is a file of the repository")]
    TemplateOutside { path: String },
    #[error("{path} is not UTF-8")]
    TemplateNotUtf8 { path: String },
    #[error(transparent)]
    Path(#[from] PathError),
    #[error(transparent)]
    Change(#[from] ChangeError),
}

/// A flag to create: `name` in `env` (in the `group` folder, if any) from `template`, checked
/// before the repository is locked.
#[derive(Debug)]
pub struct NewFlag {
    name: String,
    template: String,
    env: String,
    group: Option<Vec<String>>,
}

impl NewFlag {
    /// Refuses a name or template name that could not make a flag file inside `env`'s folder.
    pub fn new(
        config: &Config,
        name: &str,
        template: &str,
        env: &str,
        group: Option<&str>,
    ) -> Result<NewFlag, CreateError> {
        if !config.naming.is_match(name) {
            return Err(CreateError::Naming {
                name: name.to_owned(),
                pattern: config.naming.as_str().to_owned(),
            });
        }
        if let Some(why) = crate::paths::component_problem(name) {
            return Err(CreateError::FileName {
                name: name.to_owned(),
                why,
            });
        }
        if let Some(why) = crate::grammar::flag_name_problem(name) {
            return Err(CreateError::FlagName {
                name: name.to_owned(),
                why,
            });
        }
        if let Some(why) = crate::paths::component_problem(template) {
            return Err(CreateError::TemplateName {
                template: template.to_owned(),
                why,
            });
        }
        let group = group
            .map(|g| crate::paths::plain_relative("the group folder", g.trim_end_matches('/')))
            .transpose()?
            .map(|parts| parts.into_iter().map(str::to_owned).collect());
        Ok(NewFlag {
            name: name.to_owned(),
            template: template.to_owned(),
            env: env.to_owned(),
            group,
        })
    }

    /// The write that creates the flag, once `env` may take the change (`reason`), has no flag
    /// of this name yet, and the template reads.
    pub fn operation(
        &self,
        ws: &Workspace,
        reason: Option<&str>,
    ) -> Result<Operation, CreateError> {
        let (name, env) = (&self.name, &self.env);
        ws.require_reason(env, reason)?;
        match ws.flag_file(name, env) {
            Ok(existing) => {
                return Err(CreateError::Exists {
                    name: name.clone(),
                    env: env.clone(),
                    path: existing.path,
                });
            }
            Err(ChangeError::UnknownFlag { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let text = with_name(&self.read_template(ws)?, name);
        let flags = ws.repo.flags_path();
        let path = match &self.group {
            Some(group) => format!("{flags}/{env}/{}/{name}.yaml", group.join("/")),
            None => format!("{flags}/{env}/{name}.yaml"),
        };
        Ok(Operation {
            subject: format!("new flag {name} in {env} from template {}", self.template),
            trailers: Vec::new(),
            files: vec![FileWrite {
                path,
                before: None,
                after: Some(text.into_bytes()),
            }],
        })
    }

    /// The template's text: a file inside the repository (not a link out of it), within the flag
    /// file size limit; when there is none, the templates there are.
    fn read_template(&self, ws: &Workspace) -> Result<String, CreateError> {
        let folder = ws.repo.root.join(TEMPLATES_DIR);
        let path = folder.join(format!("{}.yaml", self.template));
        if !path.exists() {
            return Err(self.no_template(&folder));
        }
        if !crate::paths::resolves_inside(&path, &ws.repo.root) {
            return Err(CreateError::TemplateOutside {
                path: ws.repo.relative(&path),
            });
        }
        let bytes = crate::paths::read_limited(&path, "a template", crate::repo::MAX_FILE_BYTES)?;
        String::from_utf8(bytes).map_err(|_| CreateError::TemplateNotUtf8 {
            path: ws.repo.relative(&path),
        })
    }

    /// The refusal of a template that is not in `folder`, naming those that are.
    fn no_template(&self, folder: &std::path::Path) -> CreateError {
        let known: Vec<String> = std::fs::read_dir(folder)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                e.path()
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .collect();
        CreateError::NoTemplate {
            template: self.template.clone(),
            hint: did_you_mean(&self.template, known.iter().map(String::as_str))
                .map(|h| format!(" (did you mean \"{h}\"?)"))
                .unwrap_or_default(),
            known: if known.is_empty() {
                "none (add templates/<name>.yaml)".to_owned()
            } else {
                known.join(", ")
            },
        }
    }
}

/// The template with `name: NAME` as its first key (after the leading comments), replacing any
/// `name:` the template has.
fn with_name(template: &str, name: &str) -> String {
    let mut out = String::new();
    let mut placed = false;
    for line in template.split_inclusive('\n') {
        if line.starts_with("name:") {
            continue;
        }
        if !placed && !line.starts_with('#') && !line.trim().is_empty() {
            out.push_str(&format!("name: {name}\n"));
            placed = true;
        }
        out.push_str(line);
    }
    if !placed {
        out.push_str(&format!("name: {name}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_name_goes_first_after_the_header() {
        let out = super::with_name("# blueprint\nname: x\nversion: 0.1.0\n", "feature_a");
        assert_eq!(out, "# blueprint\nname: feature_a\nversion: 0.1.0\n");
    }
}
