//! Sign-in and sign-out: `POST /session` trades a user token, or a user ID and the password
//! the admin set, for a session token; `DELETE /session` ends it.
//!
//! The session token works wherever the user token does (bearer header, the live socket's
//! `?token=`). It also comes back as an HttpOnly cookie, which only `/media/…` reads: a
//! browser loads images by URL and cannot add a header to that request.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Extension, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Semaphore;

use super::{SESSION_COOKIE, bearer, session_cookie, user_for_credential};
use crate::api::AppState;
use crate::api::problem::Problem;
use crate::clock::now_ms;
use crate::secret::{TokenHash, new_token, verify_password};
use crate::store::User;

/// How long a session lasts.
pub(crate) const SESSION_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

/// Password attempts per user ID and client address per minute. Past that, 429 until the
/// quota refills, so a password cannot be guessed online; keyed by address too, so that
/// someone guessing elsewhere cannot lock the real user out.
const ATTEMPTS_PER_MINUTE: u32 = 10;

/// Password attempts per client address per minute, whatever the user IDs: one address
/// cannot make the server hash for every ID it can name.
const ATTEMPTS_PER_ADDRESS_PER_MINUTE: u32 = 30;

/// Password hashes running at once, server-wide. Each argon2id run takes ~19 MiB for tens
/// of milliseconds: 200 at once added 1.07 GiB (issue 22).
const CONCURRENT_HASHES: usize = 4;

/// How long an attempt waits for a hash to be free before it is told to come back (503).
const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The longest password accepted (argon2 takes any length; this bounds the work).
pub(crate) const MAX_PASSWORD_CHARS: usize = 256;

/// Counts password attempts per user ID and address and per address, and bounds the hashes
/// that run at once.
#[derive(Clone)]
pub(crate) struct SignInLimiter {
    per_user: Arc<DefaultKeyedRateLimiter<(String, IpAddr)>>,
    per_address: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    hashes: Arc<Semaphore>,
}

/// Why a password attempt is not checked.
enum Refusal {
    /// This address tried this user's password too often.
    UserFromAddress,
    /// This address tried too many passwords.
    Address,
}

impl SignInLimiter {
    /// A limiter of [`ATTEMPTS_PER_MINUTE`] per user ID and address, and
    /// [`ATTEMPTS_PER_ADDRESS_PER_MINUTE`] per address.
    pub(crate) fn new() -> Self {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        SignInLimiter {
            per_user: Arc::new(RateLimiter::keyed(per_minute(ATTEMPTS_PER_MINUTE))),
            per_address: Arc::new(RateLimiter::keyed(per_minute(
                ATTEMPTS_PER_ADDRESS_PER_MINUTE,
            ))),
            hashes: Arc::new(Semaphore::new(CONCURRENT_HASHES)),
        }
    }

    fn allows(&self, user_id: &str, peer: IpAddr) -> Result<(), Refusal> {
        let address = client_address(peer);
        // Keys of those who stopped trying are dropped now and then, so the maps stay small
        // whatever IDs and addresses are tried.
        if self.per_user.len() > 10_000 {
            self.per_user.retain_recent();
        }
        if self.per_address.len() > 10_000 {
            self.per_address.retain_recent();
        }
        self.per_address
            .check_key(&address)
            .map_err(|_| Refusal::Address)?;
        self.per_user
            .check_key(&(user_id.to_owned(), address))
            .map_err(|_| Refusal::UserFromAddress)
    }
}

/// The address limits count by: the peer's IPv4 address, or its IPv6 /64 (what one host or
/// customer is given).
fn client_address(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
        v4 => v4,
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
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
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
            match limiter.allows(&user_id, peer.ip()) {
                Ok(()) => {}
                Err(Refusal::UserFromAddress) => {
                    return Err(Problem::TooManyRequests(format!(
                        "too many sign-in attempts for this user; wait a minute (at most {ATTEMPTS_PER_MINUTE} per minute)"
                    )));
                }
                Err(Refusal::Address) => {
                    return Err(Problem::TooManyRequests(format!(
                        "too many sign-in attempts from this address; wait a minute (at most {ATTEMPTS_PER_ADDRESS_PER_MINUTE} per minute)"
                    )));
                }
            }
            // The hash waits its turn here, holding nothing but the request.
            let Ok(Ok(_hashing)) =
                tokio::time::timeout(HASH_WAIT, Arc::clone(&limiter.hashes).acquire_owned()).await
            else {
                return Err(Problem::Busy(
                    "too many sign-ins at once; try again in a few seconds".into(),
                ));
            };
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
