//! The web client and the admin console: static files from `web/`, embedded in the binary,
//! served at `/` (the chat client), `/admin` (the console) and `/static/…` (their scripts,
//! styles and images), every one with a strict Content-Security-Policy.

use axum::Router;
use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, HeaderMap};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

/// The files under the repository's `web/` directory. In debug builds rust-embed reads them
/// from disk, so editing a file shows on reload; release builds carry them inside.
#[derive(RustEmbed)]
#[folder = "../../web/"]
struct Assets;

/// The web routes, merged into the application's router (whatever its state: these need none).
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/",
            get(|h: HeaderMap| async move { page("index.html", &h) }),
        )
        .route(
            "/admin",
            get(|h: HeaderMap| async move { page("admin.html", &h) }),
        )
        .route("/static/{*path}", get(asset))
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    // The HTML pages are served only at their routes; everything else by its path.
    if path.ends_with(".html") {
        return StatusCode::NOT_FOUND.into_response();
    }
    page(&path, &headers)
}

fn page(path: &str, headers: &HeaderMap) -> Response {
    let Some(file) = Assets::get(path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mut response = (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type(path))),
            // Files change with the binary; a reload must pick up a new build's scripts.
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        file.data.into_owned(),
    )
        .into_response();
    let out = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(headers)) {
        out.insert(HeaderName::from_static("content-security-policy"), csp);
    }
    out.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    out.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    out.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
    response
}

/// The policy: scripts, styles and fonts from this origin only (no inline script, no inline
/// event handlers, no `eval`); images and videos from anywhere over http(s) (bots send links
/// to their own hosts); network access to this origin and its WebSocket; never framed.
fn content_security_policy(headers: &HeaderMap) -> String {
    // `'self'` covers ws(s) of the same host in current browsers; naming the host as well
    // keeps older ones working. A Host header that is not a plain host[:port] is left out.
    let live = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .map(|h| format!(" ws://{h} wss://{h}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; \
         media-src 'self' https: http:; connect-src 'self'{live}; object-src 'none'; \
         frame-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}
