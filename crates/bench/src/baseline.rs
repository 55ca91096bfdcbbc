//! The baseline for the ratio row: a bare axum handler that parses and validates the same
//! batch_send JSON with the same parser and answers the same response shape, with no storage,
//! no authentication and no fan-out. cloudlake's throughput divided by this one's, measured in
//! the same run, is the cost of everything cloudlake does beyond HTTP and JSON.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use cloudlake_protocol::{BatchSendData, BatchSendRequest, Envelope, MessageInfo};

static NEXT: AtomicU64 = AtomicU64::new(1);

async fn batch_send(body: Bytes) -> axum::Json<serde_json::Value> {
    let reply = match BatchSendRequest::parse(&body) {
        Ok(req) => {
            let success_list: Vec<MessageInfo> = req
                .recv_ids
                .into_iter()
                .map(|recv_id| MessageInfo {
                    // 32 hex characters, like a real msgId.
                    msg_id: format!("{:032x}", NEXT.fetch_add(1, Ordering::Relaxed)),
                    recv_id,
                    recv_type: req.recv_type,
                })
                .collect();
            serde_json::to_value(Envelope::success(BatchSendData {
                success_count: success_list.len() as u64,
                success_list,
            }))
        }
        Err(e) => serde_json::to_value(Envelope::<()>::error(e)),
    };
    axum::Json(reply.unwrap_or_default())
}

/// Serves the baseline on `listen` until the process ends.
pub async fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    anyhow::ensure!(
        listen.ip().is_loopback(),
        "the baseline listens on loopback only"
    );
    let app = Router::new().route("/open-apis/v1/bot/batch_send", post(batch_send));
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("baseline listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// Binds the baseline on an ephemeral loopback port and serves it in the background.
pub async fn spawn() -> anyhow::Result<SocketAddr> {
    let app = Router::new().route("/open-apis/v1/bot/batch_send", post(batch_send));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}
