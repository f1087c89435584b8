//! Drives slack-morphism's typed Web API methods over our reqwest client, against `SLACK_API_URL`.
//!
//! slack-morphism's own connector brings a second HTTP stack (hyper-rustls) and its own rate
//! controller; this one reuses the bot's reqwest/rustls client, honours the configurable base URL
//! (so tests and the demo point it at the simulator) and reports 429s with their `Retry-After`,
//! leaving retry policy to the worker, which owns the job's schedule.

use crate::metrics::Metrics;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use reqwest::{RequestBuilder, StatusCode};
use slack_morphism::errors::{
    SlackClientApiError, SlackClientError, SlackClientHttpError, SlackClientHttpProtocolError,
    SlackClientProtocolError, SlackClientSystemError, SlackRateLimitError,
};
use slack_morphism::multipart_form::FileMultipartData;
use slack_morphism::prelude::{SlackClientId, SlackClientSecret};
use slack_morphism::{
    ClientResult, SlackClientApiCallContext, SlackClientHttpConnector, SlackEnvelopeMessage,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// Slack answers are small JSON documents; anything larger is refused rather than buffered.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct ReqwestConnector {
    http: reqwest::Client,
    api_url: String,
    metrics: Option<Arc<Metrics>>,
    /// Each Web API method's URL, parsed once: parsing `{api_url}/{method}` on every call was
    /// ~7,500 instructions of the ~80,000 a Slack call costs (callgrind).
    method_urls: Arc<Mutex<HashMap<String, Url>>>,
}

/// The bot calls a dozen methods; a bound keeps a caller that invents names from growing it.
const MAX_CACHED_METHODS: usize = 64;

impl ReqwestConnector {
    pub fn new(http: reqwest::Client, api_url: &str) -> Self {
        Self {
            http,
            api_url: api_url.trim_end_matches('/').to_owned(),
            metrics: None,
            method_urls: Arc::default(),
        }
    }

    /// Counts every call, by method and status, with its latency, in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    async fn send<RS>(
        &self,
        request: RequestBuilder,
        context: &SlackClientApiCallContext<'_>,
    ) -> ClientResult<RS>
    where
        RS: for<'de> serde::de::Deserialize<'de>,
    {
        let request = match context.token {
            Some(token) => request.bearer_auth(&token.token_value.0),
            None => request,
        };
        let (http, request) = request.build_split();
        let request = request.map_err(protocol_error)?;
        let Some(metrics) = &self.metrics else {
            return self.execute(http, request).await;
        };
        let method = self.method_label(request.url());
        let started = std::time::Instant::now();
        let result = self.execute(http, request).await;
        let status = match &result {
            Ok(_) => "ok".to_owned(),
            Err(SlackClientError::ApiError(e)) => e.code.clone(),
            Err(SlackClientError::RateLimitError(_)) => "ratelimited".to_owned(),
            Err(SlackClientError::HttpError(e)) => e.status_code.as_str().to_owned(),
            Err(_) => "transport".to_owned(),
        };
        metrics.inc(
            crate::metrics::SLACK_CALLS,
            &[("method", &method), ("status", &status)],
        );
        metrics.observe(
            crate::metrics::SLACK_LATENCY,
            &[("method", &method)],
            started.elapsed(),
        );
        result
    }

    /// The Web API method a URL calls; a `response_url` is one label, whatever its path.
    fn method_label(&self, url: &Url) -> String {
        url.as_str()
            .strip_prefix(&self.api_url)
            .and_then(|rest| rest.strip_prefix('/'))
            .map(|rest| rest.split(['?', '/']).next().unwrap_or_default())
            .filter(|m| !m.is_empty() && m.len() <= 64 && m.contains('.'))
            .unwrap_or("response_url")
            .to_owned()
    }

    async fn execute<RS>(
        &self,
        http: reqwest::Client,
        request: reqwest::Request,
    ) -> ClientResult<RS>
    where
        RS: for<'de> serde::de::Deserialize<'de>,
    {
        let response = http.execute(request).await.map_err(protocol_error)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = read_capped(response).await?;
        let text = || Some(String::from_utf8_lossy(&body).chars().take(2_000).collect());

        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(SlackClientError::RateLimitError(
                SlackRateLimitError::new()
                    .opt_retry_after(retry_after)
                    .opt_http_response_body(text()),
            ));
        }
        if !status.is_success() {
            return Err(SlackClientError::HttpError(
                SlackClientHttpError::new(status).opt_http_response_body(text()),
            ));
        }
        // response_url answers a bare `ok`; treat any non-JSON 2xx from it as an empty success.
        let body: &[u8] = if body.first() == Some(&b'{') {
            &body
        } else {
            b"{\"ok\":true}"
        };
        let envelope: SlackEnvelopeMessage = serde_json::from_slice(body).map_err(|e| {
            SlackClientError::ProtocolError(SlackClientProtocolError::new(e).opt_json_body(text()))
        })?;
        if !envelope.ok {
            let errors = envelope.errors_as_strings();
            let code = envelope.error.unwrap_or_else(|| "unknown_error".into());
            if code == "ratelimited" || code == "rate_limited" {
                return Err(SlackClientError::RateLimitError(
                    SlackRateLimitError::new()
                        .with_code(code)
                        .opt_retry_after(retry_after),
                ));
            }
            return Err(SlackClientError::ApiError(
                SlackClientApiError::new(code)
                    .opt_errors(errors)
                    .opt_warnings(envelope.warnings)
                    .opt_http_response_body(text()),
            ));
        }
        serde_json::from_slice(body).map_err(|e| {
            SlackClientError::ProtocolError(SlackClientProtocolError::new(e).opt_json_body(text()))
        })
    }
}

fn protocol_error(error: reqwest::Error) -> SlackClientError {
    SlackClientError::HttpProtocolError(
        SlackClientHttpProtocolError::new().with_cause(Box::new(error)),
    )
}

async fn read_capped(mut response: reqwest::Response) -> ClientResult<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(protocol_error)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(SlackClientError::SystemError(
                SlackClientSystemError::new().with_message("Slack response too large".into()),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl SlackClientHttpConnector for ReqwestConnector {
    fn http_get_uri<'a, RS>(
        &'a self,
        full_uri: Url,
        context: SlackClientApiCallContext<'a>,
    ) -> BoxFuture<'a, ClientResult<RS>>
    where
        RS: for<'de> serde::de::Deserialize<'de> + Send + 'a,
    {
        async move { self.send(self.http.get(full_uri), &context).await }.boxed()
    }

    fn http_get_with_client_secret<'a, RS>(
        &'a self,
        full_uri: Url,
        client_id: &'a SlackClientId,
        client_secret: &'a SlackClientSecret,
    ) -> BoxFuture<'a, ClientResult<RS>>
    where
        RS: for<'de> serde::de::Deserialize<'de> + Send + 'a,
    {
        async move {
            let span = tracing::Span::current();
            let context = SlackClientApiCallContext {
                rate_control_params: None,
                token: None,
                tracing_span: &span,
                is_sensitive_url: false,
            };
            let request = self
                .http
                .get(full_uri)
                .basic_auth(&client_id.0, Some(&client_secret.0));
            self.send(request, &context).await
        }
        .boxed()
    }

    fn http_post_uri<'a, RQ, RS>(
        &'a self,
        full_uri: Url,
        request_body: &'a RQ,
        context: SlackClientApiCallContext<'a>,
    ) -> BoxFuture<'a, ClientResult<RS>>
    where
        RQ: serde::ser::Serialize + Send + Sync,
        RS: for<'de> serde::de::Deserialize<'de> + Send + 'a,
    {
        async move {
            let body = serde_json::to_vec(request_body)
                .map_err(|e| SlackClientError::ProtocolError(SlackClientProtocolError::new(e)))?;
            let request = self
                .http
                .post(full_uri)
                .header("content-type", "application/json; charset=utf-8")
                .body(body);
            self.send(request, &context).await
        }
        .boxed()
    }

    fn http_post_uri_multipart_form<'a, 'p, RS, PT, TS>(
        &'a self,
        _full_uri: Url,
        _file: Option<FileMultipartData<'p>>,
        _params: &'p PT,
        _context: SlackClientApiCallContext<'a>,
    ) -> BoxFuture<'a, ClientResult<RS>>
    where
        RS: for<'de> serde::de::Deserialize<'de> + Send + 'a,
        PT: std::iter::IntoIterator<Item = (&'p str, Option<TS>)> + Clone,
        TS: AsRef<str> + 'p + Send,
    {
        // The bot uploads no files.
        std::future::ready(Err(SlackClientError::SystemError(
            SlackClientSystemError::new().with_message("file uploads are not supported".into()),
        )))
        .boxed()
    }

    fn http_post_uri_binary<'a, 'p, RS>(
        &'a self,
        full_uri: Url,
        content_type: String,
        data: &'a [u8],
        context: SlackClientApiCallContext<'a>,
    ) -> BoxFuture<'a, ClientResult<RS>>
    where
        RS: for<'de> serde::de::Deserialize<'de> + Send + 'a,
    {
        async move {
            let request = self
                .http
                .post(full_uri)
                .header("content-type", content_type)
                .body(data.to_vec());
            self.send(request, &context).await
        }
        .boxed()
    }

    fn create_method_uri_path(&self, method_relative_uri: &str) -> ClientResult<Url> {
        let cached = lock(&self.method_urls).get(method_relative_uri).cloned();
        if let Some(url) = cached {
            return Ok(url);
        }
        let url: Url = format!("{}/{method_relative_uri}", self.api_url)
            .parse()
            .map_err(|e: url::ParseError| {
                SlackClientError::SystemError(
                    SlackClientSystemError::new().with_message(format!("bad Slack API URL: {e}")),
                )
            })?;
        let mut urls = lock(&self.method_urls);
        if urls.len() < MAX_CACHED_METHODS {
            urls.insert(method_relative_uri.to_owned(), url.clone());
        }
        Ok(url)
    }
}

/// A poisoned lock still holds valid URLs.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
