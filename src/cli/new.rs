//! `flagctl new NAME --template T [--env dev]`.

use anyhow::{Context, bail};

use super::write::{Confirm, WriteArgs, execute};
use super::{Global, Outcome};
use crate::change::{ChangeError, FileWrite, Operation, Workspace};
use crate::finding::did_you_mean;

pub const TEMPLATES_DIR: &str = "templates";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new flag's name
    name: String,
    /// The blueprint: templates/<TEMPLATE>.yaml
    #[arg(long, short = 't')]
    template: String,
    /// The environment to create it in (default: the first of the chain)
    #[arg(long, short = 'e')]
    env: Option<String>,
    /// A group folder inside the environment (`checkout` → flags/dev/checkout/NAME.yaml)
    #[arg(long)]
    group: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<Outcome> {
    let repo = global.repository()?;
    let env = match &args.env {
        Some(env) => super::environment(&repo.config, env)?.name.clone(),
        None => match repo.config.environments.first() {
            Some(env) => env.name.clone(),
            None => bail!("this repository has no environment to create the flag in"),
        },
    };
    if !repo.config.naming.is_match(&args.name) {
        bail!(
            "\"{}\" does not match the naming pattern `{}`",
            args.name,
            repo.config.naming.as_str()
        );
    }
    if let Some(why) = crate::paths::component_problem(&args.name) {
        bail!(
            "\"{}\" cannot be a flag's file name: {why}",
            args.name.escape_debug()
        );
    }
    if let Some(why) = crate::grammar::flag_name_problem(&args.name) {
        bail!(
            "{} cannot be a flag's name: {why}",
            crate::grammar::quoted(&args.name)
        );
    }
    if let Some(why) = crate::paths::component_problem(&args.template) {
        bail!(
            "\"{}\" is not a template name (templates/<name>.yaml): {why}",
            args.template.escape_debug()
        );
    }
    let group = args
        .group
        .as_deref()
        .map(|g| crate::paths::plain_relative("the group folder", g.trim_end_matches('/')))
        .transpose()?;
    let ws = Workspace::open(repo)?;
    ws.require_reason(&env, args.write.reason.as_deref())?;
    match ws.flag_file(&args.name, &env) {
        Ok(existing) => bail!(
            "\"{}\" already exists in {env}: {}",
            args.name,
            existing.path
        ),
        Err(ChangeError::UnknownFlag { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let template_path = ws
        .repo
        .root
        .join(TEMPLATES_DIR)
        .join(format!("{}.yaml", args.template));
    let template = match read_template(&ws, &template_path) {
        Ok(text) => text,
        Err(TemplateError::Missing) => {
            let known: Vec<String> = std::fs::read_dir(ws.repo.root.join(TEMPLATES_DIR))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| {
                    e.path()
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                })
                .collect();
            let hint = did_you_mean(&args.template, known.iter().map(String::as_str))
                .map(|h| format!(" (did you mean \"{h}\"?)"))
                .unwrap_or_default();
            bail!(
                "no template \"{}\"{hint}; templates: {}",
                args.template,
                if known.is_empty() {
                    "none (add templates/<name>.yaml)".to_owned()
                } else {
                    known.join(", ")
                }
            );
        }
        Err(TemplateError::Refused(e)) => return Err(e),
    };
    let text = with_name(&template, &args.name);
    let flags = ws.repo.flags_path();
    let path = match &group {
        Some(group) => format!("{flags}/{env}/{}/{}.yaml", group.join("/"), args.name),
        None => format!("{flags}/{env}/{}.yaml", args.name),
    };
    let op = Operation {
        subject: format!(
            "new flag {} in {env} from template {}",
            args.name, args.template
        ),
        trailers: Vec::new(),
        files: vec![FileWrite {
            path,
            before: None,
            after: Some(text.into_bytes()),
        }],
    };
    execute(global, &ws, &op, &args.write, Confirm::Never).context("creating the flag")
}

enum TemplateError {
    Missing,
    Refused(anyhow::Error),
}

/// A template's text: a file inside the repository (not a link out of it), within the flag
/// file size limit.
fn read_template(ws: &Workspace, path: &std::path::Path) -> Result<String, TemplateError> {
    if !path.exists() {
        return Err(TemplateError::Missing);
    }
    if !crate::paths::resolves_inside(path, &ws.repo.root) {
        return Err(TemplateError::Refused(anyhow::anyhow!(
            "{} leads outside the repository; a template is a file of the repository",
            ws.repo.relative(path)
        )));
    }
    let bytes = crate::paths::read_limited(path, "a template", crate::repo::MAX_FILE_BYTES)
        .map_err(|e| TemplateError::Refused(e.into()))?;
    String::from_utf8(bytes).map_err(|_| {
        TemplateError::Refused(anyhow::anyhow!("{} is not UTF-8", ws.repo.relative(path)))
    })
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
