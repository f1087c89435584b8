//! The composition root: open the store, build the clients, start the worker, serve, shut down cleanly.

use crate::bot::{
    AgentSurfaceSettings, ApprovalSettings, Deps, FollowPolicy, Quota, QuotaSettings, RetryPolicy,
    StreamSettings,
};
use crate::config::Config;
use crate::http::{self, AppState, Clock};
use crate::leadlex::{LeadLexClient, StreamLimits};
use crate::metrics::Metrics;
use crate::slack::{ResponseUrlPolicy, WebApi};
use crate::socket::SocketMode;
use crate::store::{Retention, Store, StoreSettings};
use crate::worker::{Worker, WorkerHandle};
use anyhow::Context;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The bot, wired and bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    worker: Worker,
    store: Store,
    handle: WorkerHandle,
    /// Set when `SLACK_APP_TOKEN` is: Slack's payloads also arrive over a WebSocket.
    socket: Option<SocketMode>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Clock::system()).await
    }

    pub async fn build_with_clock(config: Config, clock: Clock) -> anyhow::Result<Self> {
        let tuning = &config.tuning;
        let store = Store::open(
            &config.data_dir,
            &StoreSettings {
                cache_bytes: tuning.store_cache_bytes,
                retention: Retention::new(tuning.retention),
                ..StoreSettings::default()
            },
        )?;
        let metrics = Arc::new(Metrics::default());
        let slack = WebApi::new(
            &config.slack_api_url,
            &config.slack_bot_token,
            tuning.slack_timeout,
        )
        .context("cannot build the Slack client")?
        .with_metrics(metrics.clone());
        let leadlex = LeadLexClient::new(
            &config.leadlex_api_url,
            config.leadlex_api_key.clone(),
            tuning.leadlex_timeout,
        )
        .context("cannot build the LeadLex client")?
        .with_metrics(metrics.clone())
        .with_stream_limits(StreamLimits {
            idle: tuning.leadlex_stream_idle_timeout,
            max: tuning.leadlex_stream_max_duration,
        });
        let retry = RetryPolicy {
            max_attempts: tuning.max_attempts,
            base_delay: tuning.retry_base_delay,
            max_delay: tuning.retry_max_delay,
            max_server_wait: tuning.max_rate_limit_wait,
        };
        let approvals = ApprovalSettings {
            approvers: config.approvers.clone(),
            follow: FollowPolicy {
                first_delay: tuning.task_follow_first_delay,
                max_delay: tuning.task_follow_max_delay,
                limit: tuning.task_follow_limit,
            },
        };
        let deps = Arc::new(
            Deps::new(slack, leadlex, store.clone(), retry)
                .with_approvals(approvals)
                .with_placeholder_after(tuning.placeholder_after)
                .with_streaming(StreamSettings {
                    enabled: config.streaming,
                    flush_chars: tuning.stream_flush_chars,
                    flush_interval: tuning.stream_flush_interval,
                })
                .with_agent_surface(AgentSurfaceSettings {
                    prompts_every: tuning.suggested_prompts_every,
                })
                .with_quota(
                    Quota::new(QuotaSettings {
                        per_user: tuning.user_calls_per_minute,
                        per_team: tuning.team_calls_per_minute,
                        window: tuning.quota_window,
                    })
                    .with_metrics(metrics.clone()),
                ),
        );
        let (worker, handle) = Worker::new(deps, tuning.max_concurrent_jobs, tuning.shutdown_grace);
        let worker = worker.with_metrics(metrics.clone());
        let handle = handle.with_bound(crate::worker::QueueBound {
            max_jobs: tuning.max_queued_jobs,
            floor: tuning.min_queued_jobs,
            drain_target: tuning.queue_drain_target,
            // Answered before the request's own time limit runs out, so Slack sees the 503.
            patience: tuning.admission_wait.min(tuning.request_timeout / 2),
        });
        let (socket_connected, socket_status) = watch::channel(false);
        let state = AppState {
            secrets: config.signing_secrets.clone(),
            store: store.clone(),
            worker: handle.clone(),
            max_body_bytes: tuning.max_body_bytes,
            max_queued_jobs: tuning.max_queued_jobs,
            request_timeout: tuning.request_timeout,
            clock,
            response_urls: ResponseUrlPolicy::new(&config.slack_api_url),
            approvers: config.approvers.clone().into(),
            metrics: metrics.clone(),
            socket_connected: config.slack_app_token.is_some().then_some(socket_status),
        };
        let socket = match &config.slack_app_token {
            Some(token) => Some(
                SocketMode::new(state.clone(), &config, token.clone(), socket_connected)
                    .context("cannot build the Socket Mode client")?,
            ),
            None => None,
        };
        let router = http::router(state);
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen_addr))?;
        Ok(Self {
            listener,
            router,
            worker,
            store,
            handle,
            socket,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn worker_handle(&self) -> &WorkerHandle {
        &self.handle
    }

    /// Serves until `shutdown` resolves; then stops accepting, lets running jobs finish (or
    /// leaves them on disk for the next start) and flushes the database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        // Owned by this future: if it is dropped (a crash, in tests), the worker goes with it.
        let mut worker = AbortOnDrop(tokio::spawn(
            self.worker.run(self.store.clone(), stop_rx.clone()),
        ));
        let _sweeper = AbortOnDrop(tokio::spawn(sweep_hourly(self.store.clone(), stop_rx)));
        // Socket Mode stops taking envelopes when HTTP stops taking requests, before the worker stops.
        let (closing_tx, closing_rx) = watch::channel(false);
        let socket = self
            .socket
            .map(|socket| AbortOnDrop(tokio::spawn(socket.run(closing_rx))));
        let shutdown = async move {
            shutdown.await;
            let _ = closing_tx.send(true);
        };
        tracing::info!(addr = %self.listener.local_addr()?, "lexi-slack is listening");
        let served = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await;
        if let Some(mut socket) = socket {
            let _ = (&mut socket.0).await;
        }
        tracing::info!("stopped accepting requests; finishing running jobs");
        let _ = stop_tx.send(true);
        let _ = (&mut worker.0).await;
        self.store.flush().context("cannot flush the database")?;
        tracing::info!("database flushed; bye");
        served.context("the HTTP server failed")
    }
}

/// A spawned task that ends when its owner is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Forgets, once an hour, what is past `LEXI_RETENTION` (see `store::Retention`) so the database
/// stays small however long the bot runs.
async fn sweep_hourly(store: Store, mut stop: watch::Receiver<bool>) {
    let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = every_hour.tick() => {
                // Iterating whole trees is blocking work: keep it off the async workers.
                let store = store.clone();
                let swept = tokio::task::spawn_blocking(move || {
                    store.sweep(crate::store::now_ms())
                })
                .await;
                match swept {
                    Ok(Ok(swept)) if swept.total() == 0 => {}
                    Ok(Ok(swept)) => tracing::debug!(?swept, "forgot records past the retention"),
                    Ok(Err(error)) => tracing::warn!(%error, "cannot sweep the store"),
                    Err(error) => tracing::warn!(%error, "the store sweep stopped"),
                }
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
