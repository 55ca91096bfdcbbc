//! Sign-in and sign-out: `POST /session` trades a user token, or a user ID and the password
//! the admin set, for a session token; `DELETE /session` ends it.
//!
//! The session token works wherever the user token does (bearer header, the live socket's
//! `?token=`). It also comes back as an HttpOnly cookie, which only `/media/…` reads: a
//! browser loads images by URL and cannot add a header to that request.

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use serde_json::json;

use super::{SESSION_COOKIE, bearer, session_cookie, user_for_credential};
use crate::api::AppState;
use crate::api::problem::Problem;
use crate::clock::now_ms;
use crate::secret::{TokenHash, new_token, verify_password};
use crate::store::User;

/// How long a session lasts.
pub(crate) const SESSION_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

/// Password attempts per user ID per minute. Past that, 429 until the quota refills, so a
/// password cannot be guessed online.
const ATTEMPTS_PER_MINUTE: u32 = 10;

/// The longest password accepted (argon2 takes any length; this bounds the work).
pub(crate) const MAX_PASSWORD_CHARS: usize = 256;

/// Counts password attempts per user ID.
#[derive(Clone)]
pub(crate) struct SignInLimiter(Arc<DefaultKeyedRateLimiter<String>>);

impl SignInLimiter {
    /// A limiter of [`ATTEMPTS_PER_MINUTE`] per user ID.
    pub(crate) fn new() -> Self {
        let quota =
            Quota::per_minute(NonZeroU32::new(ATTEMPTS_PER_MINUTE).unwrap_or(NonZeroU32::MIN));
        SignInLimiter(Arc::new(RateLimiter::keyed(quota)))
    }

    fn allows(&self, user_id: &str) -> bool {
        let limiter = &self.0;
        // Keys of users who stopped trying are dropped now and then, so the map stays small
        // whatever IDs are tried.
        if limiter.len() > 10_000 {
            limiter.retain_recent();
        }
        limiter.check_key(&user_id.to_owned()).is_ok()
    }
}

/// What `POST /session` accepts.
#[derive(Deserialize)]
#[serde(untagged)]
enum SignIn {
    /// The user's own token.
    Token { token: String },
    /// A user ID and the password the admin set.
    Password {
        #[serde(rename = "userId")]
        user_id: String,
        password: String,
    },
}

/// `POST /session`: 201 with `{sessionToken, expiresAt, user}` and the session cookie.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    Extension(limiter): Extension<SignInLimiter>,
    raw: Bytes,
) -> Result<Response, Problem> {
    const WRONG: &str = "wrong user ID or password, or wrong token";
    let body: SignIn = serde_json::from_slice(&raw).map_err(|_| {
        Problem::BadRequest(
            "send {\"token\": \"…\"} or {\"userId\": \"…\", \"password\": \"…\"}".into(),
        )
    })?;
    let user = match body {
        SignIn::Token { token } => user_for_credential(&state, token.trim()).await?,
        SignIn::Password { user_id, password } => {
            if password.chars().count() > MAX_PASSWORD_CHARS {
                return Err(Problem::Unauthorized(WRONG));
            }
            if !limiter.allows(&user_id) {
                return Err(Problem::TooManyRequests(format!(
                    "too many sign-in attempts for this user; wait a minute (at most {ATTEMPTS_PER_MINUTE} per minute)"
                )));
            }
            check_password(&state, user_id, password).await?
        }
    };
    let user = user.ok_or(Problem::Unauthorized(WRONG))?;
    let token = new_token();
    let now = now_ms();
    let expires_at = now + SESSION_TTL_MS;
    state
        .store
        .create_session(user.user_id.clone(), TokenHash::of(&token), now, expires_at)
        .await?;
    let cookie = cookie(&state, &token, SESSION_TTL_MS / 1000);
    let mut response = (
        StatusCode::CREATED,
        Json(json!({"sessionToken": token, "expiresAt": expires_at, "user": user})),
    )
        .into_response();
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The user, if `password` is theirs. A user without a password, or no such user, costs the
/// same time as a wrong password: the answer does not tell which IDs exist.
async fn check_password(
    state: &AppState,
    user_id: String,
    password: String,
) -> Result<Option<User>, Problem> {
    let found = state.store.user_password(user_id).await?;
    let ok = tokio::task::spawn_blocking(move || match found {
        Some((user, phc)) => verify_password(&password, &phc).then_some(user),
        None => {
            // A real argon2 run whose result is ignored, to take the same time.
            let _ = verify_password(&password, DECOY_HASH);
            None
        }
    })
    .await
    .map_err(|_| Problem::Internal("the password check task panicked".into()))?;
    Ok(ok)
}

/// Any valid hash with the default parameters: only its cost matters.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$kI2zrpe22MUebhRcfnZ0jg$9L9VMZPdcNeQOCx214qHMXzm6I8mtmdyF7IcNX5l3jY";

/// `DELETE /session`: ends the session presented (bearer or cookie) and clears the cookie.
/// 204 whether or not it was still open, so signing out twice is harmless.
pub(crate) async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let mut ended = Ok(());
    for token in [bearer(&headers), session_cookie(&headers)]
        .into_iter()
        .flatten()
    {
        if let Err(e) = state.store.delete_session(TokenHash::of(&token)).await {
            ended = Err(e);
        }
    }
    if let Err(e) = ended {
        return Problem::from(e).into_response();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(cleared) = HeaderValue::from_str(&cookie(&state, "", 0)) {
        response.headers_mut().insert(SET_COOKIE, cleared);
    }
    response
}

/// The `Set-Cookie` value carrying a session token (empty with age 0: clearing it). `Secure`
/// when the server is reached over HTTPS.
fn cookie(state: &AppState, token: &str, max_age_secs: i64) -> String {
    let secure = if state.media.urls().is_https() {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    )
}
