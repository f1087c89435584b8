//! Connections a simulated server can drop on purpose: how `Canned::reset()` closes a socket unanswered.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Kills the connection the request came on; the returned response is never written.
pub(crate) fn kill(conn: Option<Conn>) -> Response {
    if let Some(conn) = conn {
        conn.kill();
    }
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// Lets a handler drop its own connection: `Canned::reset()` and interrupted waits.
#[derive(Clone, Default)]
pub(crate) struct Conn(Arc<ConnState>);

#[derive(Default)]
struct ConnState {
    killed: AtomicBool,
    reader: Mutex<Option<Waker>>,
}

impl Conn {
    fn kill(&self) {
        self.0.killed.store(true, Ordering::SeqCst);
        let waker = self
            .0
            .reader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn killed(&self) -> bool {
        self.0.killed.load(Ordering::SeqCst)
    }
}

impl Connected<IncomingStream<'_, SimListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        stream.io().conn.clone()
    }
}

pub(crate) struct SimListener(pub(crate) TcpListener);

impl Listener for SimListener {
    type Io = SimIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (SimIo, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (
                        SimIo {
                            inner: stream,
                            conn: Conn::default(),
                        },
                        addr,
                    );
                }
                // Out of file descriptors and the like: back off briefly instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A TCP stream that fails every operation once its connection is killed, so hyper drops it
/// without writing the response; zero linger turns the close into a reset.
pub(crate) struct SimIo {
    inner: TcpStream,
    conn: Conn,
}

impl SimIo {
    fn reset(&self) -> io::Error {
        let _ = self.inner.set_zero_linger();
        io::Error::new(io::ErrorKind::ConnectionReset, "simulated reset")
    }
}

impl AsyncRead for SimIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.conn.killed() {
            return Poll::Ready(Err(this.reset()));
        }
        *this.conn.0.reader.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SimIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.conn.killed() {
            return Poll::Ready(Err(this.reset()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.conn.killed() {
            return Poll::Ready(Err(this.reset()));
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.conn.killed() {
            return Poll::Ready(Err(this.reset()));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.conn.killed() {
            return Poll::Ready(Err(this.reset()));
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}
