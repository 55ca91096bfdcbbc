//! Receiving events on the bot WebSocket (`/subscribe?token=`), reconnecting when it breaks.
//!
//! Every text frame is one event envelope (wire §7.1). Like Yunhu's own clients, the
//! subscriber pings every 30 s and reconnects after a close or a failure, waiting longer each
//! time (with jitter) until an event arrives again.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use cloudlake_protocol::{Code, Envelope, EventEnvelope};
use futures_util::{SinkExt, StreamExt};
use reqwest::Url;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite};

use crate::Error;
use crate::error::redact;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Where and how to subscribe. Make one with [`Client::subscriber`](crate::Client::subscriber)
/// or [`Subscriber::new`]; its `Debug` never shows the token.
#[derive(Clone)]
pub struct Subscriber {
    url: Url,
    token: String,
    ping_every: Duration,
    min_delay: Duration,
    max_delay: Duration,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("url", &self.url.as_str())
            .field("token", &"***")
            .finish_non_exhaustive()
    }
}

impl Subscriber {
    /// A subscriber for `url` (e.g. `wss://ws.jwzhd.com/subscribe`, or
    /// `ws://127.0.0.1:8080/subscribe` for cloudlake); the token is added as `?token=`.
    pub fn new(url: Url, token: impl Into<String>) -> Self {
        Subscriber {
            url,
            token: token.into(),
            ping_every: Duration::from_secs(30),
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }

    /// How long to wait before reconnecting: `min` after the first failure, doubling up to
    /// `max` (defaults 1 s and 30 s).
    pub fn reconnect_delay(mut self, min: Duration, max: Duration) -> Self {
        self.min_delay = min;
        self.max_delay = max.max(min);
        self
    }

    /// How often to send a ping (default 30 s, as Yunhu's clients do).
    pub fn ping_every(mut self, every: Duration) -> Self {
        self.ping_every = every.max(Duration::from_millis(10));
        self
    }

    /// Connects once; an error here (a refused token, nothing listening) is returned at once
    /// rather than retried, so that a misconfigured bot fails fast.
    pub async fn connect(self) -> Result<Subscription, Error> {
        let ws = self.open().await?;
        let start = Instant::now() + self.ping_every;
        let mut ping = tokio::time::interval_at(start, self.ping_every);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let delays = self.delays();
        Ok(Subscription {
            config: self,
            ws: Some(ws),
            ping,
            delays,
            reconnects: 0,
        })
    }

    fn delays(&self) -> ExponentialBackoff {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .without_max_times()
            .with_jitter()
            .build()
    }

    async fn open(&self) -> Result<Ws, Error> {
        let mut url = self.url.clone();
        url.query_pairs_mut().append_pair("token", &self.token);
        match tokio_tungstenite::connect_async(url.as_str()).await {
            Ok((ws, _)) => Ok(ws),
            // cloudlake refuses a bad token with the bot API's envelope instead of switching
            // protocols: surface its code and msg.
            Err(tungstenite::Error::Http(resp)) => {
                let refusal = resp
                    .body()
                    .as_deref()
                    .and_then(|body| serde_json::from_slice::<Envelope<Value>>(body).ok())
                    .and_then(|envelope| envelope.into_result().err());
                Err(match refusal {
                    Some(api) => Error::Api(api),
                    None => {
                        Error::WebSocket(format!("HTTP {} instead of a WebSocket", resp.status()))
                    }
                })
            }
            Err(e) => Err(Error::WebSocket(redact(&e.to_string(), &self.token))),
        }
    }
}

/// A live subscription: [`next`](Self::next) gives event after event, reconnecting as needed.
pub struct Subscription {
    config: Subscriber,
    ws: Option<Ws>,
    ping: Interval,
    delays: ExponentialBackoff,
    reconnects: u64,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("subscriber", &self.config)
            .field("connected", &self.ws.is_some())
            .field("reconnects", &self.reconnects)
            .finish()
    }
}

impl Subscription {
    /// The next event. A broken or closed connection is renewed without returning; the only
    /// error is a refusal by the server (such as `1003` for a token that stopped working),
    /// after which the subscription is over. Cancel-safe: dropping the future loses no event
    /// that was already read.
    pub async fn next(&mut self) -> Result<EventEnvelope, Error> {
        loop {
            let Some(ws) = self.ws.as_mut() else {
                self.reconnect().await?;
                continue;
            };
            tokio::select! {
                frame = ws.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        // Only event envelopes are sent (wire §7.1); anything else is skipped.
                        if let Ok(envelope) = serde_json::from_str::<EventEnvelope>(text.as_str()) {
                            self.delays = self.config.delays();
                            return Ok(envelope);
                        }
                    }
                    Some(Ok(Message::Close(_)) | Err(_)) | None => self.ws = None,
                    // Pongs, pings (answered by tungstenite) and binary frames.
                    Some(Ok(_)) => {}
                },
                _ = self.ping.tick() => {
                    if ws.send(Message::Ping(Default::default())).await.is_err() {
                        self.ws = None;
                    }
                }
            }
        }
    }

    /// How many times the connection has been renewed.
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// Closes the connection cleanly.
    pub async fn close(mut self) {
        if let Some(mut ws) = self.ws.take() {
            let _ = ws.close(None).await;
        }
    }

    async fn reconnect(&mut self) -> Result<(), Error> {
        loop {
            let delay = self.delays.next().unwrap_or(self.config.max_delay);
            tokio::time::sleep(delay).await;
            match self.config.open().await {
                Ok(ws) => {
                    self.ws = Some(ws);
                    self.reconnects += 1;
                    return Ok(());
                }
                Err(Error::Api(e)) if e.code != Code::RATE_LIMITED => return Err(Error::Api(e)),
                Err(_) => continue,
            }
        }
    }
}
