//! Prometheus metrics at `/metrics`: requests by route template, method and status class, their
//! durations, and the audit log's size. No personal data: routes are templates, not paths.
//!
//! Served to loopback clients, or to API tokens with the `metrics:read` scope (always the latter
//! behind a reverse proxy, where every peer looks like loopback).

use crate::state::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::atomic::AtomicI64;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram>,
    log_entries: Gauge<i64, AtomicI64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("baomi");
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
        });
        let log_entries = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status class",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request durations by route",
            durations.clone(),
        );
        registry.register(
            "audit_log_entries",
            "Entries in the tamper-evident audit log",
            log_entries.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            log_entries,
        }
    }
}

/// Counts every request (a tower layer).
pub async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_string();
    let method = req.method().as_str().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = format!("{}xx", resp.status().as_u16() / 100);
    st.metrics
        .requests
        .get_or_create(&RequestLabels {
            route: route.clone(),
            method,
            status,
        })
        .inc();
    st.metrics
        .durations
        .get_or_create(&RouteLabels { route })
        .observe(start.elapsed().as_secs_f64());
    resp
}

/// `GET /metrics` in the Prometheus text format.
pub async fn serve(State(st): State<AppState>, req: Request) -> Response {
    let loopback = !st.cfg.behind_tls_proxy
        && req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .is_some_and(|c| c.0.ip().is_loopback());
    if !loopback {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        match crate::tokens::lookup(&st.db, bearer.trim()).await {
            Ok(Some(t)) if t.allows("metrics:read") => {}
            Ok(Some(_)) => return StatusCode::FORBIDDEN.into_response(),
            Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
            Err(e) => return e.into_response(),
        }
    }
    if let Some(log) = st.audit.log() {
        st.metrics.log_entries.set(log.head().size as i64);
    }
    let mut body = String::new();
    if prometheus_client::encoding::text::encode(&mut body, &st.metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}
