//! A real cloudlake server on 127.0.0.1 with a fresh data directory, and helpers to drive it.

#![allow(dead_code, clippy::unwrap_used)] // each test binary uses a different part

use std::net::SocketAddr;

use cloudlake_server::config::ServiceUrl;
use cloudlake_server::store::Durability;
use cloudlake_server::{Config, Server};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const ADMIN_TOKEN: &str = "test-admin-token";

/// The PostgreSQL server the suite runs against instead of SQLite, when set (CI runs the
/// suite both ways): `postgres://user@host:port/postgres`.
pub const TEST_DATABASE_ENV: &str = "CLOUDLAKE_TEST_DATABASE_URL";

/// Whether this run stores in PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var_os(TEST_DATABASE_ENV).is_some()
}

/// With [`TEST_DATABASE_ENV`] set: the URL of a database of its own for the server whose data
/// directory is `dir`, created if missing. The name follows from the directory, so a server
/// restarted on the same directory finds its data again.
pub fn test_database(dir: &std::path::Path) -> Option<String> {
    use std::hash::{Hash, Hasher};
    let base = std::env::var(TEST_DATABASE_ENV).ok()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut hasher);
    std::process::id().hash(&mut hasher);
    let name = format!("cl_{:016x}", hasher.finish());
    let (server, _) = base.rsplit_once('/').expect("a postgres://…/db URL");
    // The client runs a runtime of its own: not on the test's runtime thread.
    let admin = base.clone();
    let create = format!("CREATE DATABASE {name}");
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        if let Err(e) = client.batch_execute(&create) {
            // 42P04: it exists (a restart on the same directory).
            let code = e.code().map(|c| c.code().to_owned());
            assert_eq!(code.as_deref(), Some("42P04"), "{e:?}");
        }
    })
    .join()
    .unwrap();
    Some(format!("{server}/{name}"))
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, tweak).await
    }

    pub async fn start_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::new(dir.path());
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.admin_token = Some(ADMIN_TOKEN.into());
        // Tests check behaviour, not power-cut durability; NORMAL keeps them quick.
        config.durability = Durability::Normal;
        if let Some(url) = test_database(dir.path()) {
            config.database_url = Some(ServiceUrl::new(url));
        }
        // Every test through the NATS bus instead of in process (a parity check, by hand):
        // CLOUDLAKE_TEST_ALL_ON_NATS=nats://127.0.0.1:4222. A subject per server: each has
        // its own storage.
        if let Ok(url) = std::env::var("CLOUDLAKE_TEST_ALL_ON_NATS") {
            config.nats_url = Some(ServiceUrl::new(url));
            config.nats_subject = format!("cloudlake.test.{}", uuid::Uuid::new_v4().simple());
        }
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
            dir,
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
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    // ---- admin API ----

    /// A call to cloudlake's own APIs: status and parsed JSON body (`Null` when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
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

    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call(method, &format!("/admin/v1{path}"), ADMIN_TOKEN, body)
            .await
    }

    pub async fn user(&self, id: &str, nickname: &str) -> String {
        let (status, body) = self
            .admin(
                reqwest::Method::POST,
                "/users",
                Some(json!({"id": id, "nickname": nickname})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn group(&self, id: &str, members: &[&str]) {
        let (status, body) = self
            .admin(
                reqwest::Method::POST,
                "/groups",
                Some(json!({"id": id, "name": format!("group {id}")})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        for member in members {
            let (status, body) = self
                .admin(
                    reqwest::Method::PUT,
                    &format!("/groups/{id}/members/{member}"),
                    None,
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
    }

    /// Creates a bot and returns its token.
    pub async fn bot(&self, id: &str) -> String {
        let (status, body) = self
            .admin(
                reqwest::Method::POST,
                "/bots",
                Some(json!({"id": id, "nickname": format!("bot {id}")})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn join(&self, bot: &str, group: &str) {
        let (status, body) = self
            .admin(
                reqwest::Method::PUT,
                &format!("/groups/{group}/bots/{bot}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    pub async fn follow(&self, bot: &str, user: &str) {
        let (status, body) = self
            .admin(
                reqwest::Method::PUT,
                &format!("/bots/{bot}/followers/{user}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    // ---- bot API ----

    /// POSTs raw bytes to a bot API path (`/bot/send`, …) with `?token=` and returns the
    /// parsed envelope, after checking it is HTTP 200 with `Content-Type: application/json`.
    pub async fn post_raw(&self, path: &str, token: &str, body: impl Into<reqwest::Body>) -> Value {
        let resp = self
            .http
            .post(self.url(&format!("/open-apis/v1{path}?token={token}")))
            .body(body)
            .send()
            .await
            .unwrap();
        envelope(resp).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(self.url(&format!("/open-apis/v1{path}?token={token}")))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        envelope(resp).await
    }

    /// GET `/bot/messages` with the query pairs given (the token is added).
    pub async fn messages(&self, token: &str, query: &[(&str, &str)]) -> Value {
        let resp = self
            .http
            .get(self.url("/open-apis/v1/bot/messages"))
            .query(&[("token", token)])
            .query(query)
            .send()
            .await
            .unwrap();
        envelope(resp).await
    }

    /// The msgIds of a chat's whole visible history, newest first.
    pub async fn history_ids(&self, token: &str, chat_type: &str, chat_id: &str) -> Vec<String> {
        let reply = self
            .messages(
                token,
                &[
                    ("chat-id", chat_id),
                    ("chat-type", chat_type),
                    ("before", "1000"),
                ],
            )
            .await;
        assert_eq!(reply["code"], 1, "{reply}");
        reply["data"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["msgId"].as_str().unwrap().to_owned())
            .collect()
    }
}

pub async fn envelope(resp: reqwest::Response) -> Value {
    assert_eq!(resp.status().as_u16(), 200, "bot API replies are HTTP 200");
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    resp.json().await.unwrap()
}

pub fn text(recv_type: &str, recv_id: &str, text: &str) -> Value {
    json!({"recvId": recv_id, "recvType": recv_type, "contentType": "text", "content": {"text": text}})
}

pub fn is_msg_id(id: &Value) -> bool {
    id.as_str().is_some_and(|s| {
        s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

// ---- live WebSocket clients ----

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl TestServer {
    /// Opens a user's live WebSocket and returns it with its `hello` frame.
    pub async fn live(&self, user_token: &str, cursor: Option<i64>) -> (Ws, Value) {
        let mut url = format!("ws://{}/api/v1/live?token={user_token}", self.addr);
        if let Some(cursor) = cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let hello = next_frame(&mut ws).await.expect("hello");
        assert_eq!(hello["type"], "hello", "{hello}");
        (ws, hello)
    }

    /// A user API call with the user's token.
    pub async fn user_api(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call(method, &format!("/api/v1{path}"), token, body)
            .await
    }

    /// Every event in the outbox, oldest first, as parsed envelopes.
    pub fn outbox(&self, bot_id: &str) -> Vec<Value> {
        db_rows(
            self.dir.path(),
            &format!("SELECT payload FROM outbox WHERE bot_id = '{bot_id}' ORDER BY id"),
        )
        .into_iter()
        .map(|row| serde_json::from_str(row[0].as_str().unwrap()).unwrap())
        .collect()
    }

    /// Rows of a query on this server's database, whichever engine it is on.
    pub fn db_rows(&self, sql: &str) -> Vec<Vec<Value>> {
        db_rows(self.dir.path(), sql)
    }
}

/// Rows of `sql` (no parameters: write values inline) on the database of the server whose data
/// directory is `dir` (SQLite, or its PostgreSQL database under [`TEST_DATABASE_ENV`]), each
/// column as JSON: integers, text, booleans (PostgreSQL) and null.
pub fn db_rows(dir: &std::path::Path, sql: &str) -> Vec<Vec<Value>> {
    if let Some(url) = test_database(dir) {
        let sql = sql.to_owned();
        return std::thread::spawn(move || {
            use postgres::types::Type;
            let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let rows = client.query(sql.as_str(), &[]).unwrap();
            rows.iter()
                .map(|row| {
                    (0..row.len())
                        .map(|i| match *row.columns()[i].type_() {
                            Type::INT8 => json!(row.get::<_, Option<i64>>(i)),
                            Type::INT4 => json!(row.get::<_, Option<i32>>(i)),
                            Type::BOOL => json!(row.get::<_, Option<bool>>(i)),
                            _ => json!(row.get::<_, Option<String>>(i)),
                        })
                        .collect()
                })
                .collect()
        })
        .join()
        .unwrap();
    }
    let db = rusqlite::Connection::open_with_flags(
        dir.join(cloudlake_server::store::DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = db.prepare(sql).unwrap();
    let columns = stmt.column_count();
    stmt.query_map([], |row| {
        Ok((0..columns)
            .map(|i| match row.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(n) => json!(n),
                rusqlite::types::ValueRef::Real(f) => json!(f),
                rusqlite::types::ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
                rusqlite::types::ValueRef::Blob(b) => json!(b),
            })
            .collect())
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// Runs statements (`;`-separated, no parameters) on the database of the server whose data
/// directory is `dir`, whichever engine it is on: how a test puts rows in a state the API
/// cannot.
pub fn db_execute(dir: &std::path::Path, sql: &str) {
    if let Some(url) = test_database(dir) {
        let sql = sql.to_owned();
        // A plain thread: the client runs a runtime of its own.
        return std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            client.batch_execute(&sql).unwrap();
        })
        .join()
        .unwrap();
    }
    let db = rusqlite::Connection::open(dir.join(cloudlake_server::store::DB_FILE)).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    db.execute_batch(sql).unwrap();
}

/// The tables of the server's database whose data directory is `dir`.
pub fn db_tables(dir: &std::path::Path) -> Vec<String> {
    let sql = if on_postgres() {
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' ORDER BY 1"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    };
    db_rows(dir, sql)
        .into_iter()
        .map(|row| row[0].as_str().unwrap().to_owned())
        .collect()
}

/// The next text frame, or `None` if none comes within 5 s (generous for a loaded machine;
/// only a failing test waits that long).
pub async fn next_frame(ws: &mut Ws) -> Option<Value> {
    use futures_util::StreamExt;
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
            .await
            .ok()??;
        match msg.unwrap() {
            tokio_tungstenite::tungstenite::Message::Text(text) => {
                return Some(serde_json::from_str(&text).unwrap());
            }
            tokio_tungstenite::tungstenite::Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// Whether nothing arrives within `ms` milliseconds.
pub async fn quiet(ws: &mut Ws, ms: u64) -> bool {
    use futures_util::StreamExt;
    tokio::time::timeout(std::time::Duration::from_millis(ms), ws.next())
        .await
        .is_err()
}
