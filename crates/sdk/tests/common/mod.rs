//! A real cloudlake server on 127.0.0.1 (in-process, fresh data directory) and helpers to
//! set up users, groups and bots through its admin and user APIs.

#![allow(dead_code, clippy::unwrap_used)] // each test file uses a different part

use std::net::SocketAddr;

use cloudlake_sdk::Client;
use cloudlake_server::store::Durability;
use cloudlake_server::{Config, Server};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const ADMIN_TOKEN: &str = "test-admin-token";

pub struct TestServer {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub dir: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), "127.0.0.1:0", tweak).await
    }

    /// Starts on `listen` with the data directory `dir` (to restart a stopped server).
    pub async fn start_in(
        dir: tempfile::TempDir,
        listen: &str,
        tweak: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = Config::new(dir.path());
        config.listen = listen.parse().unwrap();
        config.admin_token = Some(ADMIN_TOKEN.into());
        // Tests check behaviour, not power-cut durability.
        config.durability = Durability::Normal;
        tweak(&mut config);
        let server = Server::bind(config).await.unwrap();
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .serve(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        TestServer {
            addr,
            http: reqwest::Client::new(),
            dir: Some(dir),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the server gracefully and hands back its data directory.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        self.dir.take().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn base_url(&self) -> String {
        self.url("/open-apis/v1")
    }

    /// An SDK client for a bot of this server.
    pub fn client(&self, token: &str) -> Client {
        Client::builder(token)
            .base_url(self.base_url())
            .build()
            .unwrap()
    }

    /// A call to cloudlake's own APIs with a bearer token: status and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        (status, value)
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, body) = self
            .call(method, &format!("/admin/v1{path}"), ADMIN_TOKEN, body)
            .await;
        assert!((200..300).contains(&status), "{path}: {status} {body}");
        body
    }

    /// Creates a user; returns their token.
    pub async fn user(&self, id: &str, nickname: &str) -> String {
        let body = self
            .admin(
                Method::POST,
                "/users",
                Some(json!({"id": id, "nickname": nickname})),
            )
            .await;
        body["token"].as_str().unwrap().to_owned()
    }

    /// Creates a group with these members (the first is its owner).
    pub async fn group(&self, id: &str, members: &[&str]) {
        self.admin(
            Method::POST,
            "/groups",
            Some(json!({"id": id, "name": format!("group {id}")})),
        )
        .await;
        for (i, member) in members.iter().enumerate() {
            let role = if i == 0 { "owner" } else { "member" };
            self.admin(
                Method::PUT,
                &format!("/groups/{id}/members/{member}"),
                Some(json!({"role": role})),
            )
            .await;
        }
    }

    /// Creates a bot; returns its token.
    pub async fn bot(&self, id: &str) -> String {
        let body = self
            .admin(
                Method::POST,
                "/bots",
                Some(json!({"id": id, "nickname": format!("bot {id}")})),
            )
            .await;
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn join(&self, bot: &str, group: &str) {
        self.admin(Method::PUT, &format!("/groups/{group}/bots/{bot}"), None)
            .await;
    }

    pub async fn follow(&self, bot: &str, user: &str) {
        self.admin(Method::PUT, &format!("/bots/{bot}/followers/{user}"), None)
            .await;
    }

    /// A user API call (`/api/v1…`) with the user's token.
    pub async fn user_api(
        &self,
        method: Method,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call(method, &format!("/api/v1{path}"), token, body)
            .await
    }

    /// Sends a text message as a user into `/chats/{chat_type}/{chat_id}`; returns its msgId.
    pub async fn user_says(
        &self,
        token: &str,
        chat_type: &str,
        chat_id: &str,
        text: &str,
    ) -> String {
        let (status, body) = self
            .user_api(
                Method::POST,
                token,
                &format!("/chats/{chat_type}/{chat_id}/messages"),
                Some(json!({"contentType": "text", "content": {"text": text}})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["msgId"].as_str().unwrap().to_owned()
    }
}

/// Waits up to 10 s for `check` to give `Some`, polling every 25 ms.
pub async fn eventually<T, F, Fut>(mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the condition did not hold within 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}
