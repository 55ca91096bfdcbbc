//! How a batch of [`Change`]s (and a bot wake-up) travels between nodes: one NATS message per
//! committed batch.
//!
//! The layout is a compact JSON header, a newline, then the frames' texts back to back:
//!
//! ```text
//! {"v":1,"node":"…","seq":7,"commit":[12,0,1],"c":[{"t":"chat","cursor":41,"chat":"g:1","len":230},…],"wake":{…}}\n
//! <230 bytes of frame JSON><…>
//! ```
//!
//! Why not the frames inside the JSON as strings: a frame is JSON already; as a JSON string
//! every quote in it would be escaped on one side and unescaped (copied) on the other. Here
//! a frame is encoded once on the publishing node, and on the receiving node it is a slice of
//! the received message, shared by every recipient's queue as is ([`Frame::Shared`]): no
//! parse, no copy. The header never holds a raw newline (JSON escapes newlines in strings),
//! so the first newline ends it.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use super::Change;
use super::frame::Frame;
use crate::store::Wake;

/// The layout's version; a node refuses messages of another version (nodes of one cluster
/// run one version).
pub const WIRE_VERSION: u8 = 1;

/// What one bus message carries.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The publishing node's id (random per process start).
    pub node: String,
    /// The publishing node's sequence number for committed batches (1, 2, 3, … with no gap
    /// unless a message was lost); `None` for ephemeral frames, which may be dropped.
    pub seq: Option<u64>,
    /// Which part of which cluster commit this is (PostgreSQL; see
    /// [`crate::store::Commit::number`]), by which listeners put commits back in order.
    pub commit: Option<CommitPart>,
    /// The changes, in commit order.
    pub changes: Vec<Change>,
    /// Bots whose deliverers must look at the outbox again.
    pub wake: Option<Wake>,
}

/// A commit's place in the cluster's order: its number, and which of its messages this is (a
/// commit too large for one NATS message is sent as several, in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitPart {
    /// The commit's number.
    pub number: i64,
    /// This message's index among the commit's messages, from 0.
    pub part: u32,
    /// How many messages the commit was sent as.
    pub parts: u32,
}

impl CommitPart {
    /// The message that comes after this one in the cluster's order: the next part of the
    /// same commit, or the next commit's first.
    pub fn successor(self) -> (i64, u32) {
        if self.part + 1 < self.parts {
            (self.number, self.part + 1)
        } else {
            (self.number + 1, 0)
        }
    }
}

/// Why a bus message could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// No newline ends the header.
    #[error("no header")]
    NoHeader,
    /// The header is not the expected JSON.
    #[error("bad header: {0}")]
    Header(#[from] serde_json::Error),
    /// Another layout version.
    #[error("wire version {0}, this node reads {WIRE_VERSION}")]
    Version(u8),
    /// The frame lengths do not add up to the body.
    #[error("frame lengths do not match the body")]
    Length,
    /// A frame is not UTF-8.
    #[error("a frame is not UTF-8")]
    Utf8,
    /// A commit's part number is not below its number of parts.
    #[error("a commit part beyond its parts")]
    Commit,
    /// A closed session's hash is not 64 hex digits.
    #[error("a closed session is not 64 hex digits")]
    Session,
}

/// 32 bytes as 64 lowercase hex digits.
fn hex32(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The inverse of [`hex32`].
fn unhex32(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[derive(Serialize, Deserialize)]
struct Header {
    v: u8,
    node: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    /// `[number, part, parts]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    commit: Option<(i64, u32, u32)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    c: Vec<WireChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wake: Option<WireWake>,
}

/// A [`Change`] without its frame text (`len` bytes of the body hold it).
#[derive(Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum WireChange {
    Chat {
        cursor: i64,
        chat: String,
        len: usize,
    },
    State {
        chat: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
        len: usize,
    },
    Joined {
        user: String,
        chat: String,
    },
    Left {
        user: String,
        chat: String,
    },
    ChatClosed {
        chat: String,
    },
    UserClosed {
        user: String,
        /// The ended credential's token hash, hex; absent: every session of the user (and
        /// what a node from before sign-out closed one session reads as that, closing more).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
    },
}

#[derive(Serialize, Deserialize)]
struct WireWake {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    bots: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    dispatcher: bool,
}

/// Encodes a batch. Each message frame is encoded here, once (off the writer thread: this
/// runs on the publishing thread). A frame that does not encode is left out and logged, as
/// the gateway would.
pub fn encode(batch: &Batch) -> Bytes {
    let mut frames: Vec<Bytes> = Vec::new();
    let mut header = Header {
        v: WIRE_VERSION,
        node: batch.node.clone(),
        seq: batch.seq,
        commit: batch.commit.map(|c| (c.number, c.part, c.parts)),
        c: Vec::with_capacity(batch.changes.len()),
        wake: batch.wake.as_ref().map(|w| WireWake {
            bots: w.bots.clone(),
            dispatcher: w.dispatcher,
        }),
    };
    for change in &batch.changes {
        let wire = match change {
            Change::Chat {
                cursor,
                chat_key,
                frame,
            } => match frame.encode_shared() {
                Ok(text) => {
                    let text = Bytes::from(text);
                    let len = text.len();
                    frames.push(text);
                    WireChange::Chat {
                        cursor: *cursor,
                        chat: chat_key.clone(),
                        len,
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, chat = %chat_key, "a live frame does not encode");
                    continue;
                }
            },
            Change::ChatState {
                chat_key,
                only_user,
                frame,
            } => {
                frames.push(Bytes::copy_from_slice(frame.as_bytes()));
                WireChange::State {
                    chat: chat_key.clone(),
                    user: only_user.clone(),
                    len: frame.len(),
                }
            }
            Change::Joined { user_id, chat_key } => WireChange::Joined {
                user: user_id.clone(),
                chat: chat_key.clone(),
            },
            Change::Left { user_id, chat_key } => WireChange::Left {
                user: user_id.clone(),
                chat: chat_key.clone(),
            },
            Change::ChatClosed { chat_key } => WireChange::ChatClosed {
                chat: chat_key.clone(),
            },
            Change::UserClosed { user_id, session } => WireChange::UserClosed {
                user: user_id.clone(),
                session: session.as_ref().map(hex32),
            },
        };
        header.c.push(wire);
    }
    let body: usize = frames.iter().map(Bytes::len).sum();
    let mut out = BytesMut::with_capacity(128 + 64 * header.c.len() + body).writer();
    // Plain structs of strings and numbers: serializing them cannot fail.
    if let Err(e) = serde_json::to_writer(&mut out, &header) {
        tracing::error!(error = %e, "a bus header does not encode");
    }
    let mut out = out.into_inner();
    out.put_u8(b'\n');
    for frame in frames {
        out.put(frame);
    }
    out.freeze()
}

/// Decodes a bus message. The frames are slices of `payload` (no copy), except board and
/// stream-preview frames, which the gateway takes as `Arc<str>`.
pub fn decode(payload: Bytes) -> Result<Batch, WireError> {
    let end = payload
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(WireError::NoHeader)?;
    let header: Header = serde_json::from_slice(&payload[..end])?;
    if header.v != WIRE_VERSION {
        return Err(WireError::Version(header.v));
    }
    let body = payload.slice(end + 1..);
    let mut at = 0usize;
    let mut take = |len: usize| -> Result<Bytes, WireError> {
        let stop = at.checked_add(len).ok_or(WireError::Length)?;
        if stop > body.len() {
            return Err(WireError::Length);
        }
        let piece = body.slice(at..stop);
        at = stop;
        Ok(piece)
    };
    let mut changes = Vec::with_capacity(header.c.len());
    for wire in header.c {
        changes.push(match wire {
            WireChange::Chat { cursor, chat, len } => Change::Chat {
                cursor,
                chat_key: chat,
                frame: Frame::Shared(Utf8Bytes::try_from(take(len)?).map_err(|_| WireError::Utf8)?),
            },
            WireChange::State { chat, user, len } => Change::ChatState {
                chat_key: chat,
                only_user: user,
                frame: Arc::from(std::str::from_utf8(&take(len)?).map_err(|_| WireError::Utf8)?),
            },
            WireChange::Joined { user, chat } => Change::Joined {
                user_id: user,
                chat_key: chat,
            },
            WireChange::Left { user, chat } => Change::Left {
                user_id: user,
                chat_key: chat,
            },
            WireChange::ChatClosed { chat } => Change::ChatClosed { chat_key: chat },
            WireChange::UserClosed { user, session } => Change::UserClosed {
                user_id: user,
                session: match session {
                    Some(hex) => Some(unhex32(&hex).ok_or(WireError::Session)?),
                    None => None,
                },
            },
        });
    }
    if at != body.len() {
        return Err(WireError::Length);
    }
    let commit = match header.commit {
        Some((number, part, parts)) if part < parts => Some(CommitPart {
            number,
            part,
            parts,
        }),
        Some(_) => return Err(WireError::Commit),
        None => None,
    };
    Ok(Batch {
        node: header.node,
        seq: header.seq,
        commit,
        changes,
        wake: header.wake.map(|w| Wake {
            bots: w.bots,
            dispatcher: w.dispatcher,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change as comparable text, frames included byte for byte.
    fn describe(change: &Change) -> String {
        match change {
            Change::Chat {
                cursor,
                chat_key,
                frame,
            } => format!(
                "chat {cursor} {chat_key} {}",
                frame.encode().expect("encodes")
            ),
            Change::ChatState {
                chat_key,
                only_user,
                frame,
            } => format!("state {chat_key} {only_user:?} {frame}"),
            Change::Joined { user_id, chat_key } => format!("joined {user_id} {chat_key}"),
            Change::Left { user_id, chat_key } => format!("left {user_id} {chat_key}"),
            Change::ChatClosed { chat_key } => format!("closed {chat_key}"),
            Change::UserClosed { user_id, session } => {
                format!("user closed {user_id} {session:?}")
            }
        }
    }

    fn sample() -> Batch {
        Batch {
            node: "node-1".into(),
            seq: Some(42),
            commit: Some(CommitPart {
                number: 9_007_199_254,
                part: 1,
                parts: 3,
            }),
            changes: vec![
                Change::Chat {
                    cursor: 7,
                    chat_key: "g:群组".into(),
                    frame: Frame::Encoded(Arc::from(
                        r#"{"type":"message","text":"你好，世界 🌊 \"quoted\"\nline"}"#,
                    )),
                },
                Change::ChatState {
                    chat_key: "g:1".into(),
                    only_user: Some("用户-7".into()),
                    frame: Arc::from(r#"{"type":"board","content":"看板 ✓"}"#),
                },
                Change::ChatState {
                    chat_key: "p:b:u".into(),
                    only_user: None,
                    frame: Arc::from(""),
                },
                Change::Joined {
                    user_id: "u1".into(),
                    chat_key: "g:1".into(),
                },
                Change::Left {
                    user_id: "u2".into(),
                    chat_key: "g:1".into(),
                },
                Change::Chat {
                    cursor: 8,
                    chat_key: "g:1".into(),
                    frame: Frame::Encoded(Arc::from("{}")),
                },
                Change::ChatClosed {
                    chat_key: "g:2".into(),
                },
                Change::UserClosed {
                    user_id: "u3".into(),
                    session: None,
                },
                Change::UserClosed {
                    user_id: "u4".into(),
                    session: Some([0xa5; 32]),
                },
            ],
            wake: Some(Wake {
                bots: vec!["b1".into(), "机器人".into()],
                dispatcher: true,
            }),
        }
    }

    #[test]
    fn a_batch_survives_the_round_trip_byte_for_byte() {
        let batch = sample();
        let decoded = decode(encode(&batch)).expect("decodes");
        assert_eq!(decoded.node, batch.node);
        assert_eq!(decoded.seq, batch.seq);
        assert_eq!(decoded.commit, batch.commit);
        assert_eq!(decoded.wake, batch.wake);
        let before: Vec<String> = batch.changes.iter().map(describe).collect();
        let after: Vec<String> = decoded.changes.iter().map(describe).collect();
        assert_eq!(before, after);
        // Received frames are slices of the message, ready for the sockets.
        assert!(matches!(
            decoded.changes[0],
            Change::Chat {
                frame: Frame::Shared(_),
                ..
            }
        ));
    }

    #[test]
    fn an_empty_batch_and_a_wake_alone_survive_too() {
        for batch in [
            Batch {
                node: "n".into(),
                ..Batch::default()
            },
            Batch {
                node: "n".into(),
                seq: Some(1),
                commit: None,
                changes: Vec::new(),
                wake: Some(Wake {
                    bots: Vec::new(),
                    dispatcher: true,
                }),
            },
        ] {
            let decoded = decode(encode(&batch)).expect("decodes");
            assert_eq!(decoded.seq, batch.seq);
            assert_eq!(decoded.wake, batch.wake);
            assert!(decoded.changes.is_empty());
        }
    }

    #[test]
    fn damaged_messages_are_refused() {
        let good = encode(&sample());
        assert!(matches!(
            decode(good.slice(..good.len() - 1)),
            Err(WireError::Length)
        ));
        let mut longer = good.to_vec();
        longer.push(b'x');
        assert!(matches!(
            decode(Bytes::from(longer)),
            Err(WireError::Length)
        ));
        assert!(matches!(
            decode(Bytes::from_static(b"no newline")),
            Err(WireError::NoHeader)
        ));
        assert!(matches!(
            decode(Bytes::from_static(b"{\"v\":2,\"node\":\"n\"}\n")),
            Err(WireError::Version(2))
        ));
        assert!(matches!(
            decode(Bytes::from_static(
                b"{\"v\":1,\"node\":\"n\",\"commit\":[5,2,2]}\n"
            )),
            Err(WireError::Commit)
        ));
        assert!(matches!(
            decode(Bytes::from_static(b"[1]\n")),
            Err(WireError::Header(_))
        ));
        let huge = br#"{"v":1,"node":"n","c":[{"t":"chat","cursor":1,"chat":"g","len":18446744073709551615},{"t":"chat","cursor":2,"chat":"g","len":2}]}
ab"#;
        assert!(matches!(
            decode(Bytes::from_static(huge)),
            Err(WireError::Length)
        ));
        let bad_utf8 = b"{\"v\":1,\"node\":\"n\",\"c\":[{\"t\":\"chat\",\"cursor\":1,\"chat\":\"g\",\"len\":1}]}\n\xff";
        assert!(matches!(
            decode(Bytes::from_static(bad_utf8)),
            Err(WireError::Utf8)
        ));
    }
}
