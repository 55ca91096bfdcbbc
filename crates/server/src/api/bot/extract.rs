//! Extractors of the bot API: the calling bot (from `?token=`), the raw body, the query pairs.
//! Each one fails with the envelope, never with axum's plain-text rejections.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use cloudlake_protocol::ApiError;

use super::reply::Failure;
use crate::api::AppState;
use crate::store::Bot;

/// The bot whose token is in the query string (wire §2: POST requests too).
pub(crate) struct AuthedBot(pub Bot);

impl FromRequestParts<AppState> for AuthedBot {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let token = query_value(parts, "token");
        Ok(AuthedBot(
            state.messaging.authenticate(token.as_deref()).await?,
        ))
    }
}

/// The first value of `key` in the query string, decoded; borrowed from the URI unless it
/// was percent-encoded. What every bot call reads first, so it decodes nothing else.
pub(crate) fn query_value<'a>(parts: &'a Parts, key: &str) -> Option<Cow<'a, str>> {
    form_urlencoded::parse(parts.uri.query()?.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, value)| value)
}

/// The query string as `(key, value)` pairs; a malformed query reads as empty.
pub(crate) fn query_pairs(parts: &Parts) -> Vec<(String, String)> {
    Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map(|Query(pairs)| pairs)
        .unwrap_or_default()
}

/// The query string as an extractor.
pub(crate) struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Failure> {
        Ok(QueryPairs(query_pairs(parts)))
    }
}

/// The request body as bytes, whatever its Content-Type (wire §12 item 2): the protocol
/// parsers decide what it means. Over the size limit it is refused without being read whole.
pub(crate) struct Body(pub Bytes);

impl FromRequest<AppState> for Body {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Failure> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Body(bytes)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::body_too_large(state.max_body_bytes).into())
            }
            Err(rejection) => Err(ApiError::invalid_param(format!(
                "请求体读取失败: {}",
                rejection.body_text()
            ))
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts(uri: &str) -> Parts {
        Request::builder().uri(uri).body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_first_value_of_a_key_is_read_and_decoded() {
        let p = parts("/open-apis/v1/bot/send?a=1&token=ab%2Bc&token=other");
        assert_eq!(query_value(&p, "token").as_deref(), Some("ab+c"));
        assert_eq!(query_value(&p, "a").as_deref(), Some("1"));
        assert_eq!(query_value(&p, "b"), None);
        assert_eq!(query_value(&parts("/open-apis/v1/bot/send"), "token"), None);
        assert_eq!(
            query_value(&parts("/x?token="), "token").as_deref(),
            Some("")
        );
    }
}
