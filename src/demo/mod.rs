//! `lexi-slack demo`: the real bot over loopback HTTP against the built-in Slack and LeadLex simulators, driven from a terminal.
//!
//! Nothing here is a second bot: [`Application`] is built exactly as `serve` builds it, from a
//! [`Config`] whose URLs point at [`FakeSlack`] and [`FakeLeadLex`] (the fakes the integration
//! tests use), with a temporary data directory. [`session::Session`] plays a Slack user.

mod session;

use crate::config::Config;
use crate::sim::{FakeLeadLex, FakeSlack};
use crate::startup::Application;
use anyhow::Context;
use session::Session;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The demo's signing secret: requests are signed like Slack's, verified by the real edge.
pub(crate) const SIGNING_SECRET: &str = "demo-signing-secret";

const GREETING: &str = "\
lexi-slack demo: the real bot, simulated Slack and LeadLex, no network, no credentials.
You are Dana (@dana) in #demo-sales. Type:
  a message             mention @Lexi in a new thread      e.g. find 20 CEOs at law firms in New York
  > a reply             reply in the last thread           e.g. > only the ones in Manhattan
  /followups <contact>  e.g. /followups jane@acme.law
  /lexi <subcommand>    e.g. /lexi status, /lexi context list <uuid>, /lexi tasks
  a number              click that numbered button
  !credits N            (simulator) set the workspace's Lexi credits, e.g. !credits 0 for a 402
  quit                  leave";

/// Runs the demo: interactive on stdin, or the lines of `script`. Ok(false) if a step failed.
pub async fn run(script: Option<&Path>) -> anyhow::Result<bool> {
    let slack = Arc::new(
        FakeSlack::start()
            .await
            .context("cannot start the Slack simulator")?,
    );
    let leadlex = Arc::new(
        FakeLeadLex::start()
            .await
            .context("cannot start the LeadLex simulator")?,
    );
    let data = tempfile::tempdir().context("cannot create a temporary data directory")?;
    let config = demo_config(&slack, &leadlex, data.path())?;
    let app = Application::build(config).await?;
    let addr = app.local_addr()?;
    let worker = app.worker_handle().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let mut session = Session::new(addr, slack, leadlex, worker)?;

    // Interactive input is read line by line as typed; a script is read whole.
    let interactive = script.is_none();
    let mut all_ok = true;
    if interactive {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        println!("{GREETING}\n");
        prompt();
        while let Some(line) = rx.recv().await {
            if matches!(line.trim(), "quit" | "exit") {
                break;
            }
            if let Err(error) = session.step(&line).await {
                println!("✗ {error:#}");
            }
            prompt();
        }
    } else if let Some(path) = script {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        for line in text.lines() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            println!("dana> {line}");
            if let Err(error) = session.step(line).await {
                println!("✗ {error:#}");
                all_ok = false;
            }
        }
    }
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    Ok(all_ok)
}

fn prompt() {
    use std::io::Write;
    print!("dana> ");
    let _ = std::io::stdout().flush();
}

fn demo_config(slack: &FakeSlack, leadlex: &FakeLeadLex, dir: &Path) -> anyhow::Result<Config> {
    let vars: HashMap<&str, String> = HashMap::from([
        ("SLACK_SIGNING_SECRET", SIGNING_SECRET.to_owned()),
        ("SLACK_BOT_TOKEN", "xoxb-demo".to_owned()),
        ("LEADLEX_API_KEY", "wbk_demo".to_owned()),
        ("SLACK_API_URL", slack.base_url()),
        ("LEADLEX_API_URL", leadlex.base_url()),
        ("LISTEN_ADDR", "127.0.0.1:0".to_owned()),
        ("DATA_DIR", dir.display().to_string()),
    ]);
    let mut config = Config::from_lookup(|name| vars.get(name).cloned())
        .map_err(|e| anyhow::anyhow!("demo configuration: {e}"))?;
    // A demo's audience waits seconds, not minutes, for a retry or an approved task to finish.
    config.tuning.retry_base_delay = Duration::from_millis(200);
    config.tuning.retry_max_delay = Duration::from_secs(1);
    config.tuning.task_follow_first_delay = Duration::from_millis(200);
    config.tuning.task_follow_max_delay = Duration::from_millis(500);
    Ok(config)
}
