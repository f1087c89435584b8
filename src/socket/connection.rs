//! One Socket Mode WebSocket: reads frames, runs envelopes concurrently, writes their acks, pings a quiet peer, closes gracefully.

use super::deliver::{Outcome, deliver};
use super::frame::{self, DisconnectReason, Frame};
use super::open::SocketUrl;
use crate::http::AppState;
use crate::metrics::SOCKET_ENVELOPES;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a closing connection waits for its running envelopes to be acknowledged: past
/// Slack's 3-second deadline an ack is pointless, Slack has already redelivered.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// What a connection tells the supervisor, tagged with its id.
#[derive(Debug)]
pub(super) enum Event {
    Hello {
        connection_time: Option<Duration>,
    },
    Disconnect(DisconnectReason),
    /// The connection is over; `why` is for the log.
    Ended {
        why: String,
    },
}

/// Why the WebSocket handshake failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum ConnectError {
    // tungstenite's messages name the failure, never the URL (whose ticket is a secret).
    #[error("WebSocket handshake failed: {0}")]
    Handshake(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("WebSocket handshake timed out")]
    Timeout,
}

/// Opens the WebSocket (TLS by rustls for `wss://`).
pub(super) async fn connect(
    url: &SocketUrl,
    max_message_bytes: usize,
    timeout: Duration,
) -> Result<Socket, ConnectError> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(max_message_bytes))
        .max_frame_size(Some(max_message_bytes));
    let handshake = tokio_tungstenite::connect_async_with_config(url.expose(), Some(config), true);
    match tokio::time::timeout(timeout, handshake).await {
        Ok(Ok((socket, _response))) => Ok(socket),
        Ok(Err(error)) => Err(ConnectError::Handshake(error)),
        Err(_) => Err(ConnectError::Timeout),
    }
}

/// A running connection; dropping it cuts it off (its unacked envelopes are redelivered by Slack).
pub(super) struct Connection {
    pub id: u64,
    close: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Connection {
    pub(super) fn spawn(
        id: u64,
        socket: Socket,
        state: AppState,
        ping_interval: Duration,
        events: mpsc::Sender<(u64, Event)>,
    ) -> Self {
        let (close, closing) = watch::channel(false);
        let run = Run {
            id,
            state,
            ping_interval,
            events,
        };
        let task = tokio::spawn(run.serve(socket, closing));
        Self { id, close, task }
    }

    /// Asks for a graceful close: running envelopes are acknowledged first.
    pub(super) fn close(&self) {
        self.close.send_replace(true);
    }

    pub(super) fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits (at most `within`) for the connection to end after [`Connection::close`].
    pub(super) async fn finished(mut self, within: Duration) {
        let _ = tokio::time::timeout(within, &mut self.task).await;
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Run {
    id: u64,
    state: AppState,
    ping_interval: Duration,
    events: mpsc::Sender<(u64, Event)>,
}

impl Run {
    async fn serve(self, mut socket: Socket, mut closing: watch::Receiver<bool>) {
        let why = self.serve_until_closed(&mut socket, &mut closing).await;
        tracing::debug!(connection = self.id, %why, "Socket Mode connection ended");
        let _ = self.events.send((self.id, Event::Ended { why })).await;
    }

    async fn serve_until_closed(
        &self,
        socket: &mut Socket,
        closing: &mut watch::Receiver<bool>,
    ) -> String {
        let mut running: JoinSet<Outcome> = JoinSet::new();
        let mut ticks =
            tokio::time::interval_at(Instant::now() + self.ping_interval, self.ping_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        let mut pinged_at: Option<Instant> = None;
        let mut close_by: Option<Instant> = None;
        loop {
            if close_by.is_some() && running.is_empty() {
                return close(socket, "closed by the bot").await;
            }
            tokio::select! {
                frame = socket.next() => {
                    let message = match frame {
                        None => return "closed by Slack".to_owned(),
                        Some(Err(error)) => return format!("read failed: {error}"),
                        Some(Ok(message)) => message,
                    };
                    last_heard = Instant::now();
                    pinged_at = None;
                    if let Message::Text(text) = &message {
                        self.on_text(text.as_str(), &mut running).await;
                    } else if let Message::Binary(_) = message {
                        self.unreadable("a binary frame");
                    }
                    // Pings are answered by tungstenite on the next read; a close frame is
                    // answered too, and the stream then ends.
                }
                Some(done) = running.join_next(), if !running.is_empty() => match done {
                    Ok(Outcome::Ack(ack)) => {
                        if let Err(error) = socket.send(Message::text(ack)).await {
                            return format!("cannot send an ack: {error}");
                        }
                    }
                    Ok(Outcome::Withhold) => {}
                    Err(error) => {
                        // Unacked, so Slack delivers it again; the connection carries on.
                        tracing::error!(%error, "a Socket Mode envelope's handler failed");
                    }
                },
                _ = ticks.tick() => {
                    if pinged_at.is_some() {
                        return "no answer to a ping: the connection has stalled".to_owned();
                    }
                    if last_heard.elapsed() >= self.ping_interval {
                        if let Err(error) = socket.send(Message::Ping(Default::default())).await {
                            return format!("cannot ping: {error}");
                        }
                        pinged_at = Some(Instant::now());
                    }
                }
                changed = closing.changed(), if close_by.is_none() => {
                    // A dropped sender means the supervisor is gone: close all the same.
                    let _ = changed;
                    close_by = Some(Instant::now() + CLOSE_GRACE);
                }
                () = sleep_until(close_by), if close_by.is_some() => {
                    // Still running past Slack's deadline: let them finish on their own (their
                    // jobs are persisted or not; Slack redelivers what was not acked).
                    running.detach_all();
                    return close(socket, "closed by the bot, envelopes still running").await;
                }
            }
        }
    }

    async fn on_text(&self, text: &str, running: &mut JoinSet<Outcome>) {
        match frame::parse(text) {
            Ok(Frame::Envelope(envelope)) => {
                let state = self.state.clone();
                running.spawn(async move { deliver(&state, &envelope).await });
            }
            Ok(Frame::Hello { connection_time }) => {
                let _ = self
                    .events
                    .send((self.id, Event::Hello { connection_time }))
                    .await;
            }
            Ok(Frame::Disconnect(reason)) => {
                let _ = self.events.send((self.id, Event::Disconnect(reason))).await;
            }
            Ok(Frame::Other(kind)) => {
                tracing::debug!(%kind, "ignoring a Socket Mode frame of a type the bot does not use");
            }
            Err(error) => self.unreadable(&error.to_string()),
        }
    }

    fn unreadable(&self, why: &str) {
        tracing::warn!(%why, "ignoring an unreadable Socket Mode frame");
        self.state
            .metrics
            .inc(SOCKET_ENVELOPES, &[("outcome", "unreadable")]);
    }
}

/// Sends a close frame and waits briefly for Slack's, so the close is clean on both ends.
async fn close(socket: &mut Socket, why: &str) -> String {
    let _ = socket.close(None).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    why.to_owned()
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `wss://` goes through rustls (ring, webpki roots): building its client must not panic, and
    /// a peer that is not TLS is a handshake error like any other.
    #[tokio::test]
    async fn a_wss_handshake_with_a_peer_that_speaks_no_tls_is_an_error_not_a_panic() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let (mut stream, _) = listener.accept().await.unwrap();
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        });
        let url = SocketUrl::new(&format!("wss://{addr}/link/?ticket=secret-ticket"));
        let error = connect(&url, 1024 * 1024, Duration::from_secs(5))
            .await
            .expect_err("not TLS");
        assert!(matches!(error, ConnectError::Handshake(_)), "{error}");
        assert!(!error.to_string().contains("secret-ticket"), "{error}");
        peer.await.unwrap();
    }
}
