//! The unofficial web API adapters call (wire §6.11; Yunhu's `chat-web-go.jwzhd.com/v1`):
//! `POST /v1/bot/bot-info`, `POST /v1/group/group-info`, `GET /v1/user/homepage`. No token,
//! as on Yunhu. Answers are the Yunhu envelope with every field nonebot's models require
//! (nonebot does not start a bot unless bot-info answers code 1).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::HOST;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use crate::store::StoreError;

/// The web API routes, to be nested under `/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bot/bot-info", post(bot_info).get(bot_info))
        .route("/group/group-info", post(group_info).get(group_info))
        .route("/user/homepage", get(homepage).post(homepage))
}

fn ok(data: Value) -> Response {
    Json(json!({"code": 1, "msg": "success", "data": data})).into_response()
}

fn failed(msg: &str) -> Response {
    Json(json!({"code": -1, "msg": msg})).into_response()
}

/// HTTP 200 like every other answer here: nonebot reads bot-info at start-up and raises on
/// any non-2xx status before it reads the body.
fn store_failed(e: StoreError) -> Response {
    tracing::error!(error = %e, "web API call failed in storage");
    failed("服务器内部错误")
}

/// An ID given as a string or a number, from the JSON body (or the query string).
fn id_from(body: &Bytes, query: &[(String, String)], key: &str) -> Option<String> {
    let from_body = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| match v.get(key)? {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
    from_body
        .or_else(|| {
            query
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_owned())
        })
        .filter(|s| !s.is_empty())
}

/// Where this server is reached, for the `uri` fields (as the client addressed it).
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// `POST /v1/bot/bot-info` `{"botId"}`.
async fn bot_info(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(bot_id) = id_from(&body, &query, "botId") else {
        return failed("机器人不存在");
    };
    match state.store.bot_info(bot_id).await {
        Ok(Some(bot)) => ok(json!({"bot": {
            "id": bot.row_id,
            "botId": bot.bot_id,
            "nickname": bot.nickname,
            "nicknameId": bot.row_id,
            "avatarId": 0,
            "avatarUrl": bot.avatar_url,
            // Never the bot's token: this API has no authentication (Yunhu sends "" too).
            "token": "",
            "link": "",
            "introduction": "",
            "createBy": "",
            // Seconds, as Yunhu's web API shows it (the bot API uses ms).
            "createTime": bot.created_at / 1000,
            "headcount": bot.headcount,
            "private": 0,
            "uri": format!("{}/open-apis/v1/bot/send?token=", base_url(&headers)),
            "checkChatInfoRecord": {"id": 0, "chatId": "", "chatType": 0, "checkWay": "", "reason": "", "status": 0, "createTime": 0, "updateTime": 0},
        }})),
        Ok(None) => failed("机器人不存在"),
        Err(e) => store_failed(e),
    }
}

/// `POST /v1/group/group-info` `{"groupId"}`.
async fn group_info(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(group_id) = id_from(&body, &query, "groupId") else {
        return failed("群组不存在");
    };
    match state.store.group_info(group_id).await {
        Ok(Some(group)) => ok(json!({"group": {
            "id": group.row_id,
            "groupId": group.group_id,
            "name": group.name,
            "introduction": "",
            "createBy": group.owner,
            "createTime": group.created_at / 1000,
            "avatarId": 0,
            "del_flag": 0,
            "avatarUrl": group.avatar_url,
            "headcount": group.headcount,
            "readHistory": 1,
            "alwaysAgree": 1,
            "categoryId": 0,
            "category": "",
            "private": 0,
            "banId": 0,
            "gag": 0,
            "gagBy": "",
            "msgTypeLimit": "",
            "uri": format!("{}/v1/group/group-info", base_url(&headers)),
        }})),
        Ok(None) => failed("群组不存在"),
        Err(e) => store_failed(e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HomepageQuery {
    user_id: Option<String>,
}

/// `GET /v1/user/homepage?userId=`. An unknown user is code 1 with empty fields (as Yunhu).
async fn homepage(State(state): State<AppState>, Query(q): Query<HomepageQuery>) -> Response {
    let user_id = q.user_id.map(|s| s.trim().to_owned()).unwrap_or_default();
    let user = if user_id.is_empty() {
        None
    } else {
        match state.store.user(user_id.clone()).await {
            Ok(user) => user,
            Err(e) => return store_failed(e),
        }
    };
    let (nickname, avatar_url, register_time) = match &user {
        Some(u) => (
            u.nickname.clone(),
            u.avatar_url.clone(),
            u.created_at / 1000,
        ),
        None => (String::new(), String::new(), 0),
    };
    let register_text = if user.is_some() {
        date_text(register_time)
    } else {
        String::new()
    };
    ok(json!({"user": {
        "userId": if user.is_some() { user_id } else { String::new() },
        "nickname": nickname,
        "avatarUrl": avatar_url,
        "registerTime": register_time,
        "registerTimeText": register_text,
        "onLineDay": 0,
        "continuousOnLineDay": 0,
        "medals": [],
        "isVip": 0,
    }}))
}

/// `YYYY-MM-DD` (UTC) of an epoch time in seconds; a time outside jiff's range (years −9999
/// to 9999) as `""`.
fn date_text(epoch_secs: i64) -> String {
    jiff::Timestamp::from_second(epoch_secs)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::date_text(0), "1970-01-01");
        assert_eq!(super::date_text(1_756_785_691), "2025-09-02");
        assert_eq!(super::date_text(951_782_400), "2000-02-29");
    }
}
