//! `lexi-slack demo --script`: the README's tour runs green, and a step that fails fails the run.

use std::io::Write;
use std::path::Path;

#[tokio::test(flavor = "multi_thread")]
async fn the_scripted_tour_runs_every_step_and_passes() {
    let passed = lexi_slack::demo::run(Some(Path::new("demo/tour.txt")))
        .await
        .expect("the demo starts");
    assert!(passed, "every step of demo/tour.txt succeeds");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_whose_expectation_is_not_met_fails() {
    let mut script = tempfile::NamedTempFile::new().expect("temp file");
    writeln!(script, "hello Lexi\nexpect something Lexi never says\n3").expect("written");
    let passed = lexi_slack::demo::run(Some(script.path()))
        .await
        .expect("the demo starts");
    assert!(
        !passed,
        "an unmet expectation and a missing button fail the run"
    );
}
