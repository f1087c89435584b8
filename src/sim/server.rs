//! The machinery both simulated servers share: recording, scripted answers, gates, serving, stopping.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::conn::{Conn, SimListener, kill};
use super::fault::{FaultKind, FaultPlan, Faults, Flavor};
use super::record::{
    Canned, Fault, Gate, GateInner, Recorded, Timeout, method_matches, path_matches,
};

/// Bodies larger than this are refused (413) after being recorded as empty.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The recorder, the script and the gates of one simulated server.
pub(crate) struct Core {
    state: Mutex<CoreState>,
    /// Bumped on every recorded request, so `wait_for` wakes without polling.
    arrivals: watch::Sender<u64>,
    /// Bumped after every answer, so a test can wait for the state a request changed.
    answers: watch::Sender<u64>,
    shutdown: watch::Sender<bool>,
}

#[derive(Default)]
struct CoreState {
    requests: Vec<Recorded>,
    canned: VecDeque<(String, String, Canned)>,
    gates: Vec<Arc<GateInner>>,
    faults: Faults,
}

impl Core {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(CoreState::default()),
            arrivals: watch::Sender::new(0),
            answers: watch::Sender::new(0),
            shutdown: watch::Sender::new(false),
        })
    }

    fn lock(&self) -> MutexGuard<'_, CoreState> {
        // A panicking test thread must not take the simulator down with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, rec: Recorded) {
        self.lock().requests.push(rec);
        self.arrivals.send_modify(|n| *n += 1);
    }

    /// Records a request and picks its answer on arrival: a scripted one first, else a fault
    /// (from an outage or the fault plan, noted on the record), else none (the routes answer).
    fn arrive(&self, mut rec: Recorded) -> Option<Canned> {
        let (method, path) = (rec.method.clone(), rec.path.clone());
        let picked = {
            let mut st = self.lock();
            let canned = take_canned(&mut st, &method, &path);
            let picked = canned.or_else(|| {
                let (kind, canned) = st.faults.draw(&method, &path)?;
                rec.fault = Some(kind);
                Some(canned)
            });
            st.requests.push(rec);
            picked
        };
        self.arrivals.send_modify(|n| *n += 1);
        picked
    }

    pub(crate) fn set_faults(&self, plan: Option<FaultPlan>, flavor: Flavor) {
        self.lock().faults.set_plan(plan, flavor);
    }

    pub(crate) fn set_outage(&self, on: bool, flavor: Flavor) {
        self.lock().faults.set_outage(on, flavor);
    }

    pub(crate) fn faults_injected(&self) -> std::collections::BTreeMap<FaultKind, u64> {
        self.lock().faults.injected()
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    pub(crate) fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.lock()
            .requests
            .iter()
            .filter(|r| path_matches(path, &r.path))
            .cloned()
            .collect()
    }

    pub(crate) fn count(&self, path: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|r| path_matches(path, &r.path))
            .count()
    }

    pub(crate) fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    pub(crate) async fn wait_for(
        &self,
        path: &str,
        n: usize,
        deadline: Duration,
    ) -> Result<Vec<Recorded>, Timeout> {
        let mut rx = self.arrivals.subscribe();
        let waited = tokio::time::timeout(deadline, async {
            loop {
                rx.borrow_and_update();
                let hits = self.requests_to(path);
                if hits.len() >= n {
                    return hits;
                }
                if rx.changed().await.is_err() {
                    // Unreachable while `self` lives; keep the future pending rather than spin.
                    std::future::pending::<()>().await;
                }
            }
        })
        .await;
        waited.map_err(|_| {
            let all = self.requests();
            Timeout {
                path: path.to_owned(),
                wanted: n,
                matched: all.iter().filter(|r| path_matches(path, &r.path)).count(),
                waited: deadline,
                seen: all
                    .iter()
                    .map(|r| format!("{} {}", r.method, r.path))
                    .collect(),
            }
        })
    }

    pub(crate) fn answers(&self) -> u64 {
        *self.answers.borrow()
    }

    /// Waits until more than `seen` requests were answered, or `max_wait` passes.
    pub(crate) async fn answered_beyond(&self, seen: u64, max_wait: std::time::Duration) {
        let mut rx = self.answers.subscribe();
        let _ = tokio::time::timeout(max_wait, rx.wait_for(|n| *n > seen)).await;
    }

    pub(crate) fn enqueue(&self, method: &str, path: &str, canned: Canned) {
        self.lock()
            .canned
            .push_back((method.to_owned(), path.to_owned(), canned));
    }

    pub(crate) fn hold(&self, path: &str) -> Gate {
        let inner = Arc::new(GateInner::new(path.to_owned()));
        let mut st = self.lock();
        st.gates.retain(|g| !g.is_open());
        st.gates.push(inner.clone());
        Gate { inner }
    }

    fn gates_for(&self, path: &str) -> Vec<Arc<GateInner>> {
        self.lock()
            .gates
            .iter()
            .filter(|g| !g.is_open() && path_matches(&g.pattern, path))
            .cloned()
            .collect()
    }

    /// Resolves once the server is asked to stop; long waits select on it so shutdown is prompt.
    pub(crate) async fn until_shutdown(&self) {
        let mut rx = self.shutdown.subscribe();
        let _ = rx.wait_for(|stop| *stop).await;
    }

    pub(crate) fn is_stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    async fn play(&self, canned: Canned, conn: Option<Conn>) -> Response {
        if let Some(d) = canned.delay {
            tokio::select! {
                () = tokio::time::sleep(d) => {}
                () = self.until_shutdown() => return kill(conn),
            }
        }
        match canned.fault {
            // The faults that do the work first are played in `intercept`.
            Some(Fault::Reset | Fault::LoseAnswer | Fault::HangAfterDoing) => kill(conn),
            Some(Fault::Hang) => {
                self.until_shutdown().await;
                kill(conn)
            }
            None => {
                let status = StatusCode::from_u16(canned.status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let mut resp = (status, canned.body).into_response();
                for (k, v) in &canned.headers {
                    if let (Ok(k), Ok(v)) = (
                        HeaderName::from_bytes(k.as_bytes()),
                        HeaderValue::from_str(v),
                    ) {
                        resp.headers_mut().insert(k, v);
                    }
                }
                resp
            }
        }
    }
}

fn take_canned(st: &mut CoreState, method: &str, path: &str) -> Option<Canned> {
    let i = st
        .canned
        .iter()
        .position(|(m, p, _)| method_matches(m, method) && path_matches(p, path))?;
    st.canned.remove(i).map(|(_, _, c)| c)
}

/// Records, holds and answers from the script before the server's own routes see a request.
async fn intercept(State(core): State<Arc<Core>>, req: Request, next: Next) -> Response {
    let conn = req
        .extensions()
        .get::<ConnectInfo<Conn>>()
        .map(|c| c.0.clone());
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        core.record(Recorded::from_parts(&parts, bytes::Bytes::new()));
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let path = parts.uri.path().to_owned();
    // Chosen on arrival, so scripted answers follow arrival order even when requests are held.
    let canned = core.arrive(Recorded::from_parts(&parts, bytes.clone()));
    for gate in core.gates_for(&path) {
        tokio::select! {
            () = gate.pass() => {}
            () = core.until_shutdown() => return kill(conn),
        }
    }
    let response = match canned {
        Some(Canned {
            fault: Some(fault @ (Fault::LoseAnswer | Fault::HangAfterDoing)),
            ..
        }) => {
            let _done = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            if matches!(fault, Fault::HangAfterDoing) {
                core.until_shutdown().await;
            }
            kill(conn)
        }
        Some(canned) => core.play(canned, conn).await,
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    };
    core.answers.send_modify(|n| *n += 1);
    response
}

/// Wraps a server's routes with recording, scripting and gates.
pub(crate) fn with_recording(router: Router, core: Arc<Core>) -> Router {
    router.layer(middleware::from_fn_with_state(core, intercept))
}

/// A running server; stops (gracefully, ending held and hanging requests) when dropped.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) core: Arc<Core>,
    task: Option<JoinHandle<()>>,
}

impl Running {
    pub(crate) async fn serve(addr: SocketAddr, app: Router, core: Arc<Core>) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let mut stop = core.shutdown.subscribe();
        let make = app.into_make_service_with_connect_info::<Conn>();
        let task = tokio::spawn(async move {
            let signal = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            let served = axum::serve(SimListener(listener), make)
                .with_graceful_shutdown(signal)
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "simulated server stopped with an error");
            }
        });
        Ok(Self {
            addr,
            core,
            task: Some(task),
        })
    }

    /// Stops accepting, ends held requests, and waits for open connections to close.
    pub(crate) async fn shutdown(mut self) {
        self.core.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.core.shutdown.send_replace(true);
    }
}

/// The request-inspection and scripting methods both fakes expose under the same names.
/// `$norm` maps a caller's path to the server's path (identity for LeadLex); `$flavor` is the
/// service whose manner faults are answered in.
macro_rules! shared_sim_api {
    ($norm:expr, $flavor:expr) => {
        /// Every request received so far, in arrival order.
        pub fn requests(&self) -> Vec<$crate::sim::Recorded> {
            self.running.core.requests()
        }

        /// The requests whose path matches `path` (exact, or `*` for one segment).
        pub fn requests_to(&self, path: &str) -> Vec<$crate::sim::Recorded> {
            self.running.core.requests_to(&$norm(path))
        }

        /// How many requests matched `path`.
        pub fn count(&self, path: &str) -> usize {
            self.running.core.count(&$norm(path))
        }

        /// Forgets the recorded requests (scripts, gates and state stay).
        pub fn clear_requests(&self) {
            self.running.core.clear_requests()
        }

        /// Resolves as soon as at least `n` requests to `path` were recorded.
        pub async fn wait_for(
            &self,
            path: &str,
            n: usize,
            deadline: std::time::Duration,
        ) -> Result<Vec<$crate::sim::Recorded>, $crate::sim::Timeout> {
            self.running.core.wait_for(&$norm(path), n, deadline).await
        }

        /// How many requests this server has answered so far.
        pub fn answers(&self) -> u64 {
            self.running.core.answers()
        }

        /// Waits until the server answered more than `seen` requests (or `max_wait` passes):
        /// lets a test re-check the state a request changes without polling on a timer.
        pub async fn answered_beyond(&self, seen: u64, max_wait: std::time::Duration) {
            self.running.core.answered_beyond(seen, max_wait).await
        }

        /// Scripts a one-shot answer for `method` (or `"*"`) on `path` (exact, or `*` for one
        /// segment), used before the default behaviour; FIFO per route.
        pub fn enqueue(&self, method: &str, path: &str, canned: $crate::sim::Canned) {
            self.running.core.enqueue(method, &$norm(path), canned)
        }

        /// Holds requests to `path` (recorded on arrival) until the gate is released or dropped.
        pub fn hold(&self, path: &str) -> $crate::sim::Gate {
            self.running.core.hold(&$norm(path))
        }

        /// The bound address.
        pub fn addr(&self) -> std::net::SocketAddr {
            self.running.addr
        }

        /// Fails a share of later calls as `plan` says (replacing any earlier plan); `None` stops.
        pub fn set_faults(&self, plan: Option<$crate::sim::FaultPlan>) {
            let plan = plan.map(|mut p| {
                for (_, path) in &mut p.routes {
                    *path = $norm(path);
                }
                p
            });
            self.running.core.set_faults(plan, $flavor)
        }

        /// While on, every call fails, alternately with a 503 and a connection reset.
        pub fn set_outage(&self, on: bool) {
            self.running.core.set_outage(on, $flavor)
        }

        /// How many calls each kind of fault answered so far (outages included).
        pub fn faults_injected(&self) -> std::collections::BTreeMap<$crate::sim::FaultKind, u64> {
            self.running.core.faults_injected()
        }

        /// Stops the server and waits for its connections to close.
        pub async fn shutdown(self) {
            self.running.shutdown().await
        }
    };
}

pub(crate) use shared_sim_api;
