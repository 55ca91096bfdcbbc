//! Clicks on bots' buttons, kept so that the bot can answer each once (a cloudlake extension,
//! wire §7.7d): a `button.report.inline` or `a2ui.button.report` click is remembered in the
//! write that reports it; `POST /bot/answer-click` answers the newest unanswered one of that
//! person on that message within [`ANSWER_WINDOW_MS`], with a notice for them alone (a live
//! frame, never stored) and, if asked, a new content for the message (an edit, as `/bot/edit`).

use super::db::{Connection, OptionalExtension, params};
use super::messages::{Outgoing, edit_bot_message, load};
use super::model::Chat;
use super::record::Record;
use super::{Store, StoreError};

/// How long a click can be answered: Telegram asks for an answer at once; a bot behind a slow
/// webhook retry may take minutes.
pub const ANSWER_WINDOW_MS: i64 = 15 * 60 * 1000;

/// What became of an answer to a click.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerClick {
    /// The notice is on its way to the person, the message edited if asked.
    Answered,
    /// No unanswered click of that person on that message of this bot in the window.
    NoClick,
}

/// Remembers `user_id`'s click on `msg_id` of `bot_id`, and forgets clicks past the window.
pub(crate) fn remember_click(
    conn: &Connection,
    msg_id: &str,
    user_id: &str,
    bot_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM bot_clicks WHERE clicked_at < ?1")?
        .execute(params![now - ANSWER_WINDOW_MS])?;
    conn.prepare_cached(
        "INSERT INTO bot_clicks (msg_id, user_id, bot_id, clicked_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![msg_id, user_id, bot_id, now])?;
    Ok(())
}

impl Store {
    /// `bot_id` answers `user_id`'s click on its message `msg_id`: the newest unanswered click
    /// within the window is marked answered, `notice` goes to that person's live sessions
    /// alone, and `edit`, when given, replaces the message's content as `/bot/edit` would.
    pub async fn answer_click(
        &self,
        bot_id: String,
        msg_id: String,
        user_id: String,
        notice: Option<String>,
        edit: Option<Outgoing>,
        now: i64,
    ) -> Result<AnswerClick, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let click: Option<i64> = conn
                    .prepare_cached(
                        "SELECT id FROM bot_clicks WHERE msg_id = ?1 AND user_id = ?2 \
                         AND bot_id = ?3 AND answered = 0 AND clicked_at >= ?4 \
                         ORDER BY id DESC LIMIT 1",
                    )?
                    .query_row(
                        params![msg_id, user_id, bot_id, now - ANSWER_WINDOW_MS],
                        |row| row.get(0),
                    )
                    .optional()?;
                let Some(click) = click else {
                    return Ok(AnswerClick::NoClick);
                };
                // A click is only remembered on a bot's message that stood then; recalled
                // since, there is nothing to answer.
                let Some(message) = load(conn, &msg_id)?.filter(|m| !m.recalled) else {
                    return Ok(AnswerClick::NoClick);
                };
                let chat = Chat::from_key(&message.chat_key).ok_or_else(|| {
                    StoreError::Corrupt(format!("chat key {:?}", message.chat_key))
                })?;
                // The edit first: when it finds nothing to edit it has written nothing, and
                // the answer is refused whole.
                if let Some(edit) = &edit
                    && !edit_bot_message(tx, &bot_id, &chat, &msg_id, edit)?
                {
                    return Ok(AnswerClick::NoClick);
                }
                tx.conn()
                    .prepare_cached("UPDATE bot_clicks SET answered = 1 WHERE id = ?1")?
                    .execute(params![click])?;
                if let Some(notice) = notice {
                    tx.record(Record::ClickAnswered {
                        chat,
                        user_id,
                        msg_id,
                        notice,
                    });
                }
                Ok(AnswerClick::Answered)
            })
            .await
    }
}
