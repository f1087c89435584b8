//! Fuzz bodies: each feeds arbitrary bytes to one input surface through the functions the request path uses, and panics when an invariant breaks.
//!
//! `fuzz/` (cargo-fuzz, outside the main build) calls these from its targets, and this module's
//! tests run every committed seed and regression input through them in CI, so the bodies keep
//! compiling and keep holding. A panic here is a finding, never a request-path
//! panic: nothing in the bot calls this module.

mod events;
mod followups;
mod markdown;
mod signature;

pub use crate::http::fuzzing::{interaction_payload, slash_command};
pub use events::events_body;
pub(crate) use followups::check_text as followups_text;
pub use followups::followups_arguments;
pub use markdown::{markdown_answer, well_formed_mrkdwn};
pub use signature::signature;

/// One fuzz body: arbitrary bytes in, a panic out when an invariant breaks.
pub type Body = fn(&[u8]);

/// Every fuzz target by the name of its `fuzz/fuzz_targets/*.rs` file and corpus directory.
pub const TARGETS: &[(&str, Body)] = &[
    ("signature", signature),
    ("events_body", events_body),
    ("slash_command", slash_command),
    ("interaction_payload", interaction_payload),
    ("followups_arguments", followups_arguments),
    ("markdown_answer", markdown_answer),
];

/// The body of the target called `name`.
pub fn body(name: &str) -> Option<Body> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// Error sentences quote the user's text back, cut short: a hostile paste must not come back
/// whole. Generous against the longest sentence plus two quoted snippets.
pub(crate) const SHOWN_ERROR_MAX_CHARS: usize = 400;

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// `fuzz/seeds/<target>/*` (the starting corpora) and `fuzz/regressions/<target>/*` (inputs
    /// that once broke an invariant), by target.
    fn committed_inputs(kind: &str) -> Vec<(String, PathBuf)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz")
            .join(kind);
        let mut inputs = Vec::new();
        for dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let target = dir.file_name().to_string_lossy().into_owned();
            for file in std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                inputs.push((target.clone(), file.path()));
            }
        }
        inputs.sort();
        inputs
    }

    #[test]
    fn every_committed_seed_and_regression_input_holds_its_targets_invariants() {
        let seeds = committed_inputs("seeds");
        let regressions = committed_inputs("regressions");
        for (name, _) in TARGETS {
            assert!(
                seeds.iter().any(|(target, _)| target == name),
                "no seeds for the {name} target"
            );
        }
        for (target, path) in seeds.iter().chain(&regressions) {
            let body = body(target).unwrap_or_else(|| panic!("{target}: no such fuzz target"));
            let data = std::fs::read(path).unwrap();
            // A failure names the input, so `cargo fuzz run <target> <path>` reproduces it.
            let outcome = std::panic::catch_unwind(|| body(&data));
            assert!(outcome.is_ok(), "{} breaks {target}", path.display());
        }
    }

    #[test]
    fn every_fuzz_target_file_has_a_body_and_every_body_a_target_file() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|f| {
                f.file_name()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_owned()
            })
            .collect();
        files.sort();
        let mut names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
        names.sort();
        assert_eq!(files, names);
    }
}
