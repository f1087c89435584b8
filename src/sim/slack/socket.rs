//! Socket Mode in the fake Slack: `/socket` is a WebSocket that greets with `hello`, delivers the
//! envelopes a test pushes, and records the acks the bot sends back.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use crate::sim::server::Core;

/// The fake's Socket Mode side; every method acts on the newest open connection, as Slack may
/// deliver on any one of them.
#[derive(Clone)]
pub struct FakeSocket {
    shared: Arc<State>,
}

struct State {
    inner: Mutex<Inner>,
    /// Bumped on every connection, close and received frame, so waits need no polling.
    changes: watch::Sender<u64>,
    core: Arc<Core>,
}

#[derive(Default)]
struct Inner {
    links: Vec<Link>,
    /// Acks (frames with an `envelope_id`) in arrival order.
    acks: Vec<Value>,
    /// Anything else the bot sent.
    other: Vec<String>,
    /// The hello each connection got, in order (`num_connections` counts the ones open then).
    hellos: Vec<Value>,
    next_envelope: u64,
    /// `approximate_connection_time` in the hello, seconds.
    connection_time: u64,
    /// Whether new connections are left without a hello (a broken Slack host might be).
    silent: bool,
}

struct Link {
    outbox: mpsc::UnboundedSender<Command>,
    open: bool,
}

enum Command {
    Send(String),
    /// Ends the TCP connection without a close frame, as a crashed Slack host would.
    Drop,
}

/// No connection is open to send on.
#[derive(Debug, Clone, thiserror::Error)]
#[error("no Socket Mode connection is open")]
pub struct NoConnection;

/// What a test waited for did not happen in time.
#[derive(Debug, Clone, thiserror::Error)]
#[error("timed out after {waited:?} waiting for {what}; acks so far: {acks:?}")]
pub struct SocketTimeout {
    pub what: String,
    pub waited: Duration,
    pub acks: Vec<Value>,
}

impl FakeSocket {
    pub(super) fn new(core: Arc<Core>) -> Self {
        let inner = Inner {
            connection_time: 3600,
            ..Inner::default()
        };
        Self {
            shared: Arc::new(State {
                inner: Mutex::new(inner),
                changes: watch::Sender::new(0),
                core,
            }),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn changed(&self) {
        self.shared.changes.send_modify(|n| *n += 1);
    }

    /// Connections accepted so far, closed ones included.
    pub fn connections(&self) -> usize {
        self.inner().links.len()
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.inner().links.iter().filter(|l| l.open).count()
    }

    /// The `approximate_connection_time` (seconds) later hellos announce (default 3600).
    pub fn set_connection_time(&self, seconds: u64) {
        self.inner().connection_time = seconds;
    }

    /// Whether later connections get their `hello` (default yes).
    pub fn set_greeting(&self, greet: bool) {
        self.inner().silent = !greet;
    }

    /// Sends an envelope of `kind` (`events_api`, `slash_commands`, `interactive`) carrying
    /// `payload`; returns its envelope id. Slash commands accept a response payload, as on Slack.
    pub fn send_envelope(&self, kind: &str, payload: Value) -> Result<String, NoConnection> {
        let id = {
            let mut inner = self.inner();
            inner.next_envelope += 1;
            format!("env-{}", inner.next_envelope)
        };
        let envelope = json!({
            "envelope_id": id, "type": kind, "payload": payload,
            "accepts_response_payload": kind == "slash_commands",
            "retry_attempt": 0, "retry_reason": "",
        });
        self.send_text(&envelope.to_string())?;
        Ok(id)
    }

    /// Sends `{"type":"disconnect","reason":…}`.
    pub fn send_disconnect(&self, reason: &str) -> Result<(), NoConnection> {
        let frame =
            json!({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-sim"}});
        self.send_text(&frame.to_string())
    }

    /// Sends any text frame, well-formed or not.
    pub fn send_text(&self, text: &str) -> Result<(), NoConnection> {
        self.command(Command::Send(text.to_owned()))
    }

    /// Cuts the newest connection off without a close frame.
    pub fn drop_connection(&self) -> Result<(), NoConnection> {
        self.command(Command::Drop)
    }

    fn command(&self, command: Command) -> Result<(), NoConnection> {
        let inner = self.inner();
        let link = inner
            .links
            .iter()
            .rev()
            .find(|l| l.open)
            .ok_or(NoConnection)?;
        link.outbox.send(command).map_err(|_| NoConnection)
    }

    /// Every ack received, in order.
    pub fn acks(&self) -> Vec<Value> {
        self.inner().acks.clone()
    }

    /// The ack of one envelope, if it came.
    pub fn ack_for(&self, envelope_id: &str) -> Option<Value> {
        self.inner()
            .acks
            .iter()
            .find(|a| a["envelope_id"] == envelope_id)
            .cloned()
    }

    /// The hello sent on each connection, in order.
    pub fn hellos(&self) -> Vec<Value> {
        self.inner().hellos.clone()
    }

    /// Text frames from the bot that are not acks.
    pub fn other_frames(&self) -> Vec<String> {
        self.inner().other.clone()
    }

    /// Waits until `check` finds what it looks for, re-checking on every socket change.
    pub async fn wait_until<T>(
        &self,
        what: &str,
        deadline: Duration,
        check: impl Fn(&Self) -> Option<T>,
    ) -> Result<T, SocketTimeout> {
        let mut changes = self.shared.changes.subscribe();
        let waited = tokio::time::timeout(deadline, async {
            loop {
                changes.borrow_and_update();
                if let Some(found) = check(self) {
                    return found;
                }
                if changes.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        })
        .await;
        waited.map_err(|_| SocketTimeout {
            what: what.to_owned(),
            waited: deadline,
            acks: self.acks(),
        })
    }

    /// Waits for the ack of `envelope_id`.
    pub async fn wait_for_ack(
        &self,
        envelope_id: &str,
        deadline: Duration,
    ) -> Result<Value, SocketTimeout> {
        self.wait_until(&format!("the ack of {envelope_id}"), deadline, |s| {
            s.ack_for(envelope_id)
        })
        .await
    }

    /// Waits until `n` connections were accepted and the newest is open.
    pub async fn wait_for_connections(
        &self,
        n: usize,
        deadline: Duration,
    ) -> Result<(), SocketTimeout> {
        self.wait_until(&format!("{n} connection(s)"), deadline, |s| {
            let inner = s.inner();
            (inner.links.len() >= n && inner.links.last().is_some_and(|l| l.open)).then_some(())
        })
        .await
    }

    /// The `/socket` route: upgrades, then serves the connection.
    pub(super) fn accept(&self, upgrade: WebSocketUpgrade) -> Response {
        let fake = self.clone();
        upgrade.on_upgrade(move |socket| async move { fake.serve(socket).await })
    }

    async fn serve(self, mut socket: WebSocket) {
        let (outbox, mut commands) = mpsc::unbounded_channel();
        let (index, hello, silent) = {
            let mut inner = self.inner();
            inner.links.push(Link { outbox, open: true });
            let open = inner.links.iter().filter(|l| l.open).count();
            let hello = json!({
                "type": "hello", "num_connections": open,
                "connection_info": {"app_id": "A0LEXI"},
                "debug_info": {"host": "applink-sim", "build_number": 1,
                               "approximate_connection_time": inner.connection_time},
            });
            if !inner.silent {
                inner.hellos.push(hello.clone());
            }
            (inner.links.len() - 1, hello, inner.silent)
        };
        if silent
            || socket
                .send(Message::Text(hello.to_string().into()))
                .await
                .is_ok()
        {
            self.changed();
            loop {
                tokio::select! {
                    command = commands.recv() => match command {
                        Some(Command::Send(text)) => {
                            if socket.send(Message::Text(text.into())).await.is_err() {
                                break;
                            }
                        }
                        Some(Command::Drop) | None => break,
                    },
                    frame = socket.recv() => match frame {
                        Some(Ok(Message::Text(text))) => self.received(text.as_str()),
                        Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                        Some(Ok(_)) => {}
                    },
                    () = self.shared.core.until_shutdown() => break,
                }
            }
        }
        if let Some(link) = self.inner().links.get_mut(index) {
            link.open = false;
        }
        self.changed();
    }

    fn received(&self, text: &str) {
        {
            let mut inner = self.inner();
            match serde_json::from_str::<Value>(text) {
                Ok(frame) if frame.get("envelope_id").is_some() => inner.acks.push(frame),
                _ => inner.other.push(text.to_owned()),
            }
        }
        self.changed();
    }
}
