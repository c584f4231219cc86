//! Integration tests: the real `flagctl` binary run on the example repositories and on small
//! repositories built in temporary folders, plus property tests of the loader (`loader_props`).
//!
//! Every test builds on `support` (one repository builder, one run result, one refusal check):
//! every command runs with a scrubbed environment (no `NO_COLOR`, `CLICOLOR*`, `FLAGCTL_NOW` from
//! the caller's shell), from the project root or a repository built in a temporary folder.

mod action;
mod apply_fuzz;
mod attack;
mod broken;
mod change;
mod config_errors;
mod contract;
mod dashboard;
mod drift;
mod editor;
mod explain;
mod formats;
mod history;
mod hostile_output;
mod init;
mod interrupt;
mod loader_props;
mod merge;
mod props;
mod repos;
mod sarif;
mod serve;
mod shallow;
mod snippets;
mod support;
mod validate;
mod webhook;
