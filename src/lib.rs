//! flagctl: feature flags as code in git.
//!
//! Data flows one way: [`config`] → [`repo`] (files → spanned [`yaml`] trees) → [`model`] (typed
//! flags) → engines ([`lint`]) → [`report`] → exit code. Engines return [`finding::Finding`]s as
//! values; only reporters print.

pub mod audit;
pub mod change;
pub mod cli;
pub mod codeowners;
pub mod codes;
pub mod config;
pub mod dashboard;
pub mod drift;
pub mod escape;
pub mod eval;
pub mod events;
pub mod export;
pub mod finding;
pub mod gate;
pub mod git;
pub mod grammar;
pub mod history;
pub mod inventory;
pub mod lint;
pub mod merge;
pub mod model;
pub mod paths;
pub mod repo;
pub mod report;
pub mod scaffold;
pub mod schema;
pub mod schema_bundle;
pub mod stale;
pub mod time;
pub mod yaml;
