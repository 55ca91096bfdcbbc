//! Creating what a run needs through the admin API: a bot, groups, users and their relations.

use anyhow::{Context, bail};
use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use crate::loopback::require_loopback;

/// How many admin calls run at once while setting up.
const SETUP_CONCURRENCY: usize = 32;

/// An admin API client.
#[derive(Clone)]
pub struct Admin {
    http: reqwest::Client,
    base: Url,
    token: String,
}

impl Admin {
    /// A client of the server at `base` (loopback only).
    pub fn new(base: Url, token: String) -> anyhow::Result<Self> {
        require_loopback(&base)?;
        Ok(Admin {
            http: reqwest::Client::new(),
            base,
            token,
        })
    }

    /// The server's base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let url = self.base.join(&format!("admin/v1/{path}"))?;
        let mut req = self
            .http
            .request(method.clone(), url)
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!("{method} {path}: {status} {text}");
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    /// `PUT admin/v1/{path}` with a JSON body; returns the answer.
    pub async fn put(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(Method::PUT, path, Some(body)).await
    }

    /// Creates a bot; returns `(bot_id, token)`.
    pub async fn bot(&self, nickname: &str) -> anyhow::Result<(String, String)> {
        let bot = self
            .call(Method::POST, "bots", Some(json!({"nickname": nickname})))
            .await?;
        Ok((string(&bot, "botId")?, string(&bot, "token")?))
    }

    /// Creates `n` groups with the bot in each; returns their IDs.
    pub async fn groups_with_bot(&self, bot_id: &str, n: usize) -> anyhow::Result<Vec<String>> {
        stream::iter(0..n)
            .map(|i| async move {
                let group = self
                    .call(
                        Method::POST,
                        "groups",
                        Some(json!({"name": format!("bench {i}")})),
                    )
                    .await?;
                let id = string(&group, "groupId")?;
                self.call(Method::PUT, &format!("groups/{id}/bots/{bot_id}"), None)
                    .await?;
                Ok::<_, anyhow::Error>(id)
            })
            .buffered(SETUP_CONCURRENCY)
            .try_collect()
            .await
    }

    /// Creates `n` users; each follows the bot, and joins `group` when given. Returns
    /// `(user_id, token)` pairs.
    pub async fn users(
        &self,
        bot_id: &str,
        group: Option<&str>,
        n: usize,
    ) -> anyhow::Result<Vec<(String, String)>> {
        stream::iter(0..n)
            .map(|i| async move {
                let user = self
                    .call(
                        Method::POST,
                        "users",
                        Some(json!({"nickname": format!("bench user {i}")})),
                    )
                    .await?;
                let id = string(&user, "userId")?;
                self.call(Method::PUT, &format!("bots/{bot_id}/followers/{id}"), None)
                    .await?;
                if let Some(group) = group {
                    self.call(Method::PUT, &format!("groups/{group}/members/{id}"), None)
                        .await?;
                }
                Ok::<_, anyhow::Error>((id, string(&user, "token")?))
            })
            .buffered(SETUP_CONCURRENCY)
            .try_collect()
            .await
    }
}

fn string(v: &Value, key: &str) -> anyhow::Result<String> {
    v[key]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no {key} in {v}"))
}
