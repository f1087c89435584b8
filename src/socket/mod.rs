//! Socket Mode: Slack's payloads over a WebSocket the bot opens, for hosts without a public URL.
//!
//! The app-level token (`SLACK_APP_TOKEN`, `xapp-…`) buys a one-time URL from
//! `apps.connections.open`; the WebSocket behind it carries the same payloads HTTP mode receives.
//! Each envelope goes through [`crate::http::dispatch`], the path signed HTTP requests take, and
//! is acknowledged once its job is on disk. The supervisor here keeps one greeted connection:
//! it opens a replacement *before* dropping the old one when Slack asks (or the connection nears
//! its announced lifetime), and backs off after failures.

mod backoff;
mod connection;
mod deliver;
mod frame;
mod open;

pub use open::{OpenError, SocketUrl, open_connection};

use crate::config::Config;
use crate::http::AppState;
use crate::metrics::{SOCKET_CONNECTED, SOCKET_RECONNECTS};
use backoff::Backoff;
use connection::{Connection, Event};
use frame::DisconnectReason;
use secrecy::SecretString;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// The Socket Mode client: run it next to the HTTP server.
pub struct SocketMode {
    state: AppState,
    http: reqwest::Client,
    api_url: String,
    app_token: SecretString,
    timeout: Duration,
    ping_interval: Duration,
    backoff: Backoff,
    connected: watch::Sender<bool>,
}

impl std::fmt::Debug for SocketMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SocketMode(..)")
    }
}

/// Why the next connection is opened, for the reconnect counter.
type Cause = &'static str;

impl SocketMode {
    /// `connected` is the sender of what `/readyz` reads (`AppState::socket_connected`).
    pub fn new(
        state: AppState,
        config: &Config,
        app_token: SecretString,
        connected: watch::Sender<bool>,
    ) -> Result<Self, reqwest::Error> {
        let tuning = &config.tuning;
        Ok(Self {
            state,
            http: crate::outbound::client(tuning.slack_timeout)?,
            api_url: config.slack_api_url.clone(),
            app_token,
            timeout: tuning.slack_timeout,
            ping_interval: tuning.socket_ping_interval,
            backoff: Backoff::new(tuning.socket_backoff_first, tuning.socket_backoff_max),
            connected,
        })
    }

    /// Keeps a connection open until `stop` turns true, then closes every connection gracefully.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let (events_tx, mut events) = mpsc::channel::<(u64, Event)>(64);
        let mut links = Links::default();
        // When to open the next connection: a first one, a replacement, or a retry.
        let mut due = Some(Instant::now());
        let mut cause: Cause = "start";
        // Opening can take up to the Slack timeout twice over: a stop cuts it short.
        let mut stop_opening = stop.clone();
        tracing::info!("Socket Mode is on: connecting to Slack");
        loop {
            links.retiring.retain(|c| !c.is_finished());
            tokio::select! {
                () = stopped(&mut stop) => break,
                () = sleep_until(due), if due.is_some() && links.pending.is_none() => {
                    due = None;
                    let id = links.next_id();
                    let opened = tokio::select! {
                        opened = self.open(id, events_tx.clone()) => opened,
                        () = stopped(&mut stop_opening) => break,
                    };
                    match opened {
                        Ok(connection) => {
                            links.pending = Some(connection);
                            links.hello_by = Some(Instant::now() + self.timeout);
                        }
                        Err(wait) => due = Some(Instant::now() + wait),
                    }
                }
                () = sleep_until(links.hello_by), if links.pending.is_some() => {
                    // A socket that never says hello would otherwise block every reconnect.
                    links.pending = None;
                    let wait = self.backoff.next_delay();
                    tracing::warn!("Slack sent no hello on a new Socket Mode connection; retrying in {wait:?}");
                    due = Some(Instant::now() + wait);
                }
                Some((id, event)) = events.recv() => {
                    self.on_event(&mut links, id, event, &mut due, &mut cause);
                }
            }
        }
        self.set_connected(false);
        let all = links
            .current
            .into_iter()
            .chain(links.pending)
            .chain(links.retiring);
        let closing: Vec<Connection> = all.inspect(Connection::close).collect();
        futures_util::future::join_all(
            closing
                .into_iter()
                .map(|c| c.finished(Duration::from_secs(5))),
        )
        .await;
        tracing::info!("Socket Mode connections closed");
    }

    fn on_event(
        &mut self,
        links: &mut Links,
        id: u64,
        event: Event,
        due: &mut Option<Instant>,
        cause: &mut Cause,
    ) {
        let now = Instant::now();
        match event {
            Event::Hello { connection_time } => {
                if let Some(greeted) = links.pending.take_if(|p| p.id == id) {
                    if links.greeted > 0 {
                        self.state
                            .metrics
                            .inc(SOCKET_RECONNECTS, &[("reason", cause)]);
                    }
                    links.greeted += 1;
                    // The replacement is live: only now is the old connection let go.
                    if let Some(old) = links.current.replace(greeted) {
                        old.close();
                        links.retiring.push(old);
                    }
                    self.backoff.reset();
                    self.set_connected(true);
                    tracing::info!(connection = id, ?connection_time, "Socket Mode connected");
                } else if links.current.as_ref().is_none_or(|c| c.id != id) {
                    return;
                }
                // Refresh before Slack's announced lifetime is up rather than lose a few seconds.
                *due = connection_time.map(|t| now + t.mul_f64(0.9));
                *cause = "expiring";
            }
            Event::Disconnect(reason) => {
                let from_current = links.current.as_ref().is_some_and(|c| c.id == id);
                tracing::info!(
                    connection = id,
                    reason = reason.as_str(),
                    "Slack sent disconnect"
                );
                match reason {
                    DisconnectReason::LinkDisabled => {
                        let wait = self.backoff.max_delay();
                        tracing::error!(
                            "Slack turned Socket Mode off for this app (link_disabled): nothing \
                             reaches the bot until it is turned on again under Socket Mode in the \
                             app's settings; trying again every {wait:?}"
                        );
                        *due = Some(now + wait);
                        *cause = "link_disabled";
                    }
                    DisconnectReason::TooManyWebsockets => {
                        // A replacement now would make it worse: wait for the close, then back off.
                        *cause = "too_many_websockets";
                    }
                    DisconnectReason::Warning
                    | DisconnectReason::RefreshRequested
                    | DisconnectReason::Other(_)
                        if from_current =>
                    {
                        // Open the replacement first; this one goes once the new one is greeted.
                        *due = Some(now);
                        *cause = if reason == DisconnectReason::Warning {
                            "warning"
                        } else {
                            "refresh_requested"
                        };
                    }
                    _ => {}
                }
            }
            Event::Ended { why } => {
                if links.pending.as_ref().is_some_and(|p| p.id == id) {
                    links.pending = None;
                    let wait = self.backoff.next_delay();
                    tracing::warn!(connection = id, %why, "a Socket Mode connection ended before Slack's hello; retrying in {wait:?}");
                    *due = Some(now + wait);
                    *cause = "failed";
                } else if links.current.as_ref().is_some_and(|c| c.id == id) {
                    links.current = None;
                    self.set_connected(false);
                    if links.pending.is_none() {
                        let wait = match *cause {
                            "link_disabled" => self.backoff.max_delay(),
                            _ => self.backoff.next_delay(),
                        };
                        tracing::warn!(connection = id, %why, "Socket Mode connection lost; reconnecting in {wait:?}");
                        *due = Some(now + wait);
                        if !matches!(*cause, "link_disabled" | "too_many_websockets") {
                            *cause = "closed";
                        }
                    }
                }
            }
        }
    }

    /// Buys a URL and connects; on failure, says how long to wait before the next try.
    async fn open(
        &mut self,
        id: u64,
        events: mpsc::Sender<(u64, Event)>,
    ) -> Result<Connection, Duration> {
        let url = match open_connection(&self.http, &self.api_url, &self.app_token).await {
            Ok(url) => url,
            Err(error) => {
                let wait = if error.needs_an_admin() {
                    self.backoff.max_delay()
                } else {
                    error
                        .retry_after()
                        .unwrap_or_else(|| self.backoff.next_delay())
                };
                if error.needs_an_admin() {
                    tracing::error!(%error, "Socket Mode cannot connect; trying again in {wait:?}");
                } else {
                    tracing::warn!(%error, "Socket Mode cannot connect; trying again in {wait:?}");
                }
                return Err(wait);
            }
        };
        let max_message = (self.state.max_body_bytes * 2).max(1024 * 1024);
        match connection::connect(&url, max_message, self.timeout).await {
            Ok(socket) => Ok(Connection::spawn(
                id,
                socket,
                self.state.clone(),
                self.ping_interval,
                events,
            )),
            Err(error) => {
                let wait = self.backoff.next_delay();
                tracing::warn!(%error, "Socket Mode cannot connect; trying again in {wait:?}");
                Err(wait)
            }
        }
    }

    fn set_connected(&self, connected: bool) {
        self.connected.send_replace(connected);
        self.state
            .metrics
            .set(SOCKET_CONNECTED, &[], f64::from(u8::from(connected)));
    }
}

/// The connections the supervisor holds: at most a greeted one, one awaiting Slack's hello, and
/// old ones finishing their acks.
#[derive(Default)]
struct Links {
    current: Option<Connection>,
    pending: Option<Connection>,
    retiring: Vec<Connection>,
    opened: u64,
    /// Connections greeted so far; every one after the first is a reconnect.
    greeted: u64,
    /// When the pending connection must have been greeted by.
    hello_by: Option<Instant>,
}

impl Links {
    fn next_id(&mut self) -> u64 {
        self.opened += 1;
        self.opened
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Resolves once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}
