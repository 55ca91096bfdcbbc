//! The schema, as an ordered list of migrations applied at start-up.
//!
//! The applied count lives in SQLite's `user_version` header field, so a migration runs exactly
//! once and the whole list is applied in one transaction: a crash mid-way leaves the old schema.

use rusqlite::Connection as SqliteConnection;

use super::StoreError;
use super::db::Connection;
use super::numbers::last_cursor;

/// Each entry moves the schema one version forward. Never edit an entry that has shipped:
/// append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the directory (users, groups, bots and their relations) and messages.
    r#"
    CREATE TABLE users (
        id          TEXT PRIMARY KEY,
        nickname    TEXT NOT NULL,
        avatar_url  TEXT NOT NULL DEFAULT '',
        token_hash  BLOB NOT NULL UNIQUE,
        created_at  INTEGER NOT NULL
    );
    -- "groups" is an SQL keyword (window frames); chat_groups avoids quoting it everywhere.
    CREATE TABLE chat_groups (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        avatar_url  TEXT NOT NULL DEFAULT '',
        created_at  INTEGER NOT NULL
    );
    CREATE TABLE group_members (
        group_id    TEXT NOT NULL REFERENCES chat_groups(id) ON DELETE CASCADE,
        user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role        TEXT NOT NULL CHECK (role IN ('owner', 'administrator', 'member')),
        joined_at   INTEGER NOT NULL,
        PRIMARY KEY (group_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX group_members_by_user ON group_members(user_id);
    CREATE TABLE bots (
        id          TEXT PRIMARY KEY,
        nickname    TEXT NOT NULL,
        avatar_url  TEXT NOT NULL DEFAULT '',
        token_hash  BLOB NOT NULL UNIQUE,
        webhook_url TEXT,
        created_at  INTEGER NOT NULL
    );
    -- A user "added the bot as a friend": the bot may message them privately.
    CREATE TABLE bot_followers (
        bot_id      TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
        user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        followed_at INTEGER NOT NULL,
        PRIMARY KEY (bot_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX bot_followers_by_user ON bot_followers(user_id);
    CREATE TABLE group_bots (
        group_id    TEXT NOT NULL REFERENCES chat_groups(id) ON DELETE CASCADE,
        bot_id      TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
        joined_at   INTEGER NOT NULL,
        PRIMARY KEY (group_id, bot_id)
    ) WITHOUT ROWID;
    CREATE INDEX group_bots_by_bot ON group_bots(bot_id);

    -- One row per chat: a group ('g:<groupId>') or a bot-user pair ('p:<botId>:<userId>').
    -- last_seq hands out the chat's gap-free sequence numbers.
    CREATE TABLE chats (
        chat_key    TEXT PRIMARY KEY,
        last_seq    INTEGER NOT NULL
    ) WITHOUT ROWID;
    -- A group message is one row whatever the group's size (store once, fan out on read).
    -- id is the global order, a cursor for replay across chats.
    CREATE TABLE messages (
        id           INTEGER PRIMARY KEY,
        msg_id       TEXT NOT NULL UNIQUE,
        chat_key     TEXT NOT NULL,
        seq          INTEGER NOT NULL,
        sender_type  TEXT NOT NULL CHECK (sender_type IN ('user', 'bot')),
        sender_id    TEXT NOT NULL,
        content_type TEXT NOT NULL,
        content      TEXT NOT NULL,
        parent_id    TEXT NOT NULL DEFAULT '',
        command_id   INTEGER NOT NULL DEFAULT 0,
        command_name TEXT NOT NULL DEFAULT '',
        send_time    INTEGER NOT NULL,
        edit_time    INTEGER,
        recall_time  INTEGER,
        UNIQUE (chat_key, seq)
    );
    "#,
    // 2: live delivery and the events users cause.
    r#"
    -- Users may join (and leave) an open group by themselves; a closed one only via the admin.
    ALTER TABLE chat_groups ADD COLUMN open INTEGER NOT NULL DEFAULT 0;
    -- A bot's slash commands; the row id is the commandId its events carry.
    CREATE TABLE bot_commands (
        id          INTEGER PRIMARY KEY,
        bot_id      TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        UNIQUE (bot_id, name)
    );
    -- Everything that happened to messages, in commit order. Its id is the cursor a live
    -- client resumes from: replay is "every entry after my cursor in my chats".
    CREATE TABLE chat_log (
        id          INTEGER PRIMARY KEY,
        chat_key    TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('message', 'edit', 'recall')),
        msg_id      TEXT NOT NULL,
        at          INTEGER NOT NULL
    );
    CREATE INDEX chat_log_by_chat ON chat_log (chat_key, id);
    -- How far each user has read each chat.
    CREATE TABLE read_markers (
        user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        chat_key    TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        PRIMARY KEY (user_id, chat_key)
    ) WITHOUT ROWID;
    -- Events for bots, written in the same transaction as what caused them. payload is the
    -- exact Yunhu envelope to deliver.
    CREATE TABLE outbox (
        id          INTEGER PRIMARY KEY,
        bot_id      TEXT NOT NULL,
        event_id    TEXT NOT NULL UNIQUE,
        event_type  TEXT NOT NULL,
        payload     TEXT NOT NULL,
        created_at  INTEGER NOT NULL
    );
    CREATE INDEX outbox_by_bot ON outbox (bot_id, id);
    -- Boards: chat_key '*' is the bot's global board (board-all); member_id '' means every
    -- member of the chat.
    CREATE TABLE boards (
        bot_id       TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
        chat_key     TEXT NOT NULL,
        member_id    TEXT NOT NULL DEFAULT '',
        content_type TEXT NOT NULL,
        content      TEXT NOT NULL,
        expire_at    INTEGER NOT NULL DEFAULT 0,
        updated_at   INTEGER NOT NULL,
        PRIMARY KEY (bot_id, chat_key, member_id)
    ) WITHOUT ROWID;
    "#,
    // 3: uploads (media) and group administration by bots (issue 5).
    r#"
    -- One row per (content, uploading bot, kind): the key is the SHA-256 of the bytes, so the
    -- same bytes uploaded twice share one blob; the row records who may send it and as what.
    CREATE TABLE media (
        media_key   TEXT NOT NULL,
        bot_id      TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
        kind        TEXT NOT NULL CHECK (kind IN ('image', 'video', 'file')),
        size        INTEGER NOT NULL,
        name        TEXT NOT NULL DEFAULT '',
        mime        TEXT NOT NULL,
        width       INTEGER,
        height      INTEGER,
        duration    INTEGER,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (media_key, bot_id, kind)
    ) WITHOUT ROWID;
    -- What the operator lets a bot do in a group it is in; gone when the bot leaves.
    CREATE TABLE group_bot_permissions (
        group_id              TEXT NOT NULL,
        bot_id                TEXT NOT NULL,
        allow_gag_member      INTEGER NOT NULL DEFAULT 0,
        allow_remove_member   INTEGER NOT NULL DEFAULT 0,
        allow_edit_group_info INTEGER NOT NULL DEFAULT 0,
        allow_group_tag_manage INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (group_id, bot_id),
        FOREIGN KEY (group_id, bot_id) REFERENCES group_bots(group_id, bot_id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    -- A muted member: until_ms NULL means until unmuted. Leaving the group ends the gag.
    CREATE TABLE group_gags (
        group_id    TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        until_ms    INTEGER,
        set_by_bot  TEXT NOT NULL,
        set_at      INTEGER NOT NULL,
        PRIMARY KEY (group_id, user_id),
        FOREIGN KEY (group_id, user_id) REFERENCES group_members(group_id, user_id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    -- The message types members may send, comma-joined; no row means any type.
    CREATE TABLE group_msg_type_limits (
        group_id    TEXT PRIMARY KEY REFERENCES chat_groups(id) ON DELETE CASCADE,
        types       TEXT NOT NULL
    ) WITHOUT ROWID;
    -- id is the tagId the API hands out.
    CREATE TABLE group_tags (
        id          INTEGER PRIMARY KEY,
        group_id    TEXT NOT NULL REFERENCES chat_groups(id) ON DELETE CASCADE,
        tag         TEXT NOT NULL,
        color       TEXT NOT NULL DEFAULT '',
        "desc"      TEXT NOT NULL DEFAULT '',
        sort        INTEGER NOT NULL DEFAULT 0,
        created_at  INTEGER NOT NULL,
        UNIQUE (group_id, tag)
    );
    CREATE TABLE group_tag_members (
        tag_id      INTEGER NOT NULL REFERENCES group_tags(id) ON DELETE CASCADE,
        group_id    TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        PRIMARY KEY (tag_id, user_id),
        FOREIGN KEY (group_id, user_id) REFERENCES group_members(group_id, user_id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    "#,
    // 4: delivering events to bots (webhooks and the bot WebSocket).
    r#"
    -- Delivery state per event. 'skipped': the bot does not want this event type.
    ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'delivered', 'dead', 'skipped'));
    ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN last_error TEXT;
    ALTER TABLE outbox ADD COLUMN delivered_at INTEGER;
    -- Only pending rows are indexed for delivery: per bot by due time (is anything due, and
    -- when next?) and per bot in event order (what to send).
    CREATE INDEX outbox_pending_due ON outbox (bot_id, next_attempt_at) WHERE state = 'pending';
    CREATE INDEX outbox_pending_by_bot ON outbox (bot_id, id) WHERE state = 'pending';
    CREATE INDEX outbox_by_bot_time ON outbox (bot_id, created_at);
    -- The webhook signing key (raw bytes). It cannot be hashed like a token: signing needs
    -- the key itself. NULL until first needed; made then.
    ALTER TABLE bots ADD COLUMN webhook_secret BLOB;
    -- The event types the bot wants, comma-separated; NULL means every type.
    ALTER TABLE bots ADD COLUMN event_types TEXT;
    "#,
    // 5: uploads by users, who may see which media, password sign-in and sessions.
    r#"
    -- Media rows gain an owner type: users upload too. The rows outlive their uploader, since
    -- messages that carry the media still have to be served (hence no foreign key).
    CREATE TABLE media_v5 (
        media_key   TEXT NOT NULL,
        owner_type  TEXT NOT NULL CHECK (owner_type IN ('bot', 'user')),
        owner_id    TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('image', 'video', 'file')),
        size        INTEGER NOT NULL,
        name        TEXT NOT NULL DEFAULT '',
        mime        TEXT NOT NULL,
        width       INTEGER,
        height      INTEGER,
        duration    INTEGER,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (media_key, owner_type, owner_id, kind)
    ) WITHOUT ROWID;
    INSERT INTO media_v5
        SELECT media_key, 'bot', bot_id, kind, size, name, mime, width, height, duration, created_at
        FROM media;
    DROP TABLE media;
    ALTER TABLE media_v5 RENAME TO media;
    -- Which chats carry each upload: whoever is in one of them may fetch it.
    CREATE TABLE message_media (
        media_key   TEXT NOT NULL,
        chat_key    TEXT NOT NULL,
        PRIMARY KEY (media_key, chat_key)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO message_media (media_key, chat_key)
        SELECT json_extract(content, '$.etag'), chat_key FROM messages
        WHERE json_valid(content) AND json_type(content, '$.etag') = 'text';
    -- Keys the server makes for itself (the media URL signing key), created on first use.
    CREATE TABLE server_keys (
        name        TEXT PRIMARY KEY,
        key         BLOB NOT NULL
    ) WITHOUT ROWID;
    -- A password the admin set (an argon2 PHC string); NULL: token sign-in only.
    ALTER TABLE users ADD COLUMN password_hash TEXT;
    -- Signed-in browsers and clients: a session token stands in for the user token.
    CREATE TABLE user_sessions (
        token_hash  BLOB PRIMARY KEY,
        user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX user_sessions_by_user ON user_sessions (user_id);
    "#,
    // 6: the same tables with their CHECKs spelled as ORs. SQLite evaluates `x IN ('a', 'b',
    // 'c')` (three or more constants) through an ephemeral index built on every row written:
    // profiling showed that at a quarter of a batch_send's writer time in the chat log alone.
    r#"
    CREATE TABLE chat_log_v6 (
        id          INTEGER PRIMARY KEY,
        chat_key    TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind = 'message' OR kind = 'edit' OR kind = 'recall'),
        msg_id      TEXT NOT NULL,
        at          INTEGER NOT NULL
    );
    INSERT INTO chat_log_v6 (id, chat_key, kind, msg_id, at)
        SELECT id, chat_key, kind, msg_id, at FROM chat_log;
    DROP TABLE chat_log;
    ALTER TABLE chat_log_v6 RENAME TO chat_log;
    CREATE INDEX chat_log_by_chat ON chat_log (chat_key, id);

    CREATE TABLE outbox_v6 (
        id              INTEGER PRIMARY KEY,
        bot_id          TEXT NOT NULL,
        event_id        TEXT NOT NULL UNIQUE,
        event_type      TEXT NOT NULL,
        payload         TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        state           TEXT NOT NULL DEFAULT 'pending'
            CHECK (state = 'pending' OR state = 'delivered' OR state = 'dead' OR state = 'skipped'),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        delivered_at    INTEGER
    );
    INSERT INTO outbox_v6 (id, bot_id, event_id, event_type, payload, created_at, state, attempts,
                           next_attempt_at, last_error, delivered_at)
        SELECT id, bot_id, event_id, event_type, payload, created_at, state, attempts,
               next_attempt_at, last_error, delivered_at FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v6 RENAME TO outbox;
    CREATE INDEX outbox_by_bot ON outbox (bot_id, id);
    CREATE INDEX outbox_pending_due ON outbox (bot_id, next_attempt_at) WHERE state = 'pending';
    CREATE INDEX outbox_pending_by_bot ON outbox (bot_id, id) WHERE state = 'pending';
    CREATE INDEX outbox_by_bot_time ON outbox (bot_id, created_at);
    "#,
    // 7: a chat's last sequence number is read from the messages' (chat_key, seq) index (and
    // remembered by the writer), not kept in a counter row written with every message.
    r#"
    DROP TABLE chats;
    "#,
    // 8: new messages are their own chat log entries (the same in PostgreSQL's migration 3).
    FOLD_LOG_INTO_MESSAGES,
    // 9: messages and boards keep the HTML rendered when they were written (PostgreSQL's 4).
    RENDERED_HTML,
    // 10: how a command is invoked (PostgreSQL's migration 5).
    COMMAND_KINDS,
    // 11: hint texts, form commands and shortcut menus (PostgreSQL's migration 7).
    COMMAND_FORMS_AND_MENUS,
    // 12: direct messages between two users (PostgreSQL's migration 8).
    r#"
    CREATE TABLE direct_chats (
        user_lo     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        user_hi     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (user_lo, user_hi),
        CHECK (user_lo < user_hi)
    ) WITHOUT ROWID;
    CREATE INDEX direct_chats_by_hi ON direct_chats (user_hi);
    "#,
    // 13: reactions to messages, and their changes in the chat log (PostgreSQL's migration 9).
    r#"
    CREATE TABLE chat_log_v13 (
        id          INTEGER PRIMARY KEY,
        chat_key    TEXT NOT NULL,
        kind        TEXT NOT NULL
            CHECK (kind = 'message' OR kind = 'edit' OR kind = 'recall' OR kind = 'reaction'),
        msg_id      TEXT NOT NULL,
        at          INTEGER NOT NULL
    );
    INSERT INTO chat_log_v13 (id, chat_key, kind, msg_id, at)
        SELECT id, chat_key, kind, msg_id, at FROM chat_log;
    DROP TABLE chat_log;
    ALTER TABLE chat_log_v13 RENAME TO chat_log;
    CREATE INDEX chat_log_by_chat ON chat_log (chat_key, id);
    "#,
    // 14: who reacted to which message with what (PostgreSQL's migration 9).
    MESSAGE_REACTIONS,
    // 15: a bot's description, shown with its profile (PostgreSQL's migration 10).
    BOT_DESCRIPTION,
    // 16: a bot's settings form and each group's values of it (PostgreSQL's migration 11).
    BOT_SETTINGS,
    // 17: clicks on bots' buttons, for the bot to answer (PostgreSQL's migration 12).
    r#"
    CREATE TABLE bot_clicks (
        id          INTEGER PRIMARY KEY,
        msg_id      TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        bot_id      TEXT NOT NULL,
        clicked_at  INTEGER NOT NULL,
        answered    INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX bot_clicks_by_message ON bot_clicks (msg_id, user_id);
    CREATE INDEX bot_clicks_by_time ON bot_clicks (clicked_at);
    "#,
];

/// SQLite's migration 16 and PostgreSQL's 11 (issue 20): the per-group settings form a bot
/// declares (fields as a form command's, JSON, checked in code), and the values a group's
/// administrator saved for it, per group and bot (wire §7.9). They go with the group or the
/// bot; the bot leaving the group deletes them in code. Spelled alike in both databases.
const BOT_SETTINGS: &str = r#"
ALTER TABLE bots ADD COLUMN settings_form TEXT NOT NULL DEFAULT '[]';
CREATE TABLE bot_group_settings (
    group_id    TEXT NOT NULL REFERENCES chat_groups(id) ON DELETE CASCADE,
    bot_id      TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    settings    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (group_id, bot_id)
);
CREATE INDEX bot_group_settings_by_bot ON bot_group_settings (bot_id);
"#;

/// SQLite's migration 15 and PostgreSQL's 10: what a bot is for, in a sentence or a few, shown
/// to people with its profile (the group's info); set by the admin.
const BOT_DESCRIPTION: &str = r#"
ALTER TABLE bots ADD COLUMN description TEXT NOT NULL DEFAULT '';
"#;

/// SQLite's migration 14 (PostgreSQL's 9 makes the same table in its types): who reacted to which message with what.
/// The row id orders a message's reactions as they were given (each emoji where it was first
/// given; its people, first first), the same on both engines. A message's reactions go with
/// it (a deleted group), and a user's with them.
const MESSAGE_REACTIONS: &str = r#"
CREATE TABLE message_reactions (
    id          INTEGER PRIMARY KEY,
    msg_id      TEXT NOT NULL REFERENCES messages(msg_id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    emoji       TEXT NOT NULL,
    at          BIGINT NOT NULL,
    UNIQUE (msg_id, user_id, emoji)
);
CREATE INDEX message_reactions_by_user ON message_reactions (user_id);
"#;

/// The searchable text of a PostgreSQL `messages` row (`$content`, its `content` column as a
/// statement names it), as the search index's indexer (`store::pg_index`), its migrations
/// and `store::search`'s scans spell it. `jsonb` refuses the escape `\u0000` that JSON allows
/// (and serde writes for a NUL in a text); turned into `\ufffd`, which escapes the same way
/// wherever it stands, the content stays valid JSON, and no message fails to be indexed.
macro_rules! pg_search_text {
    ($content:literal) => {
        concat!(
            "(replace(",
            $content,
            r", '\u0000', '\ufffd')::jsonb ->> 'text')"
        )
    };
}
pub(crate) use pg_search_text;

/// PostgreSQL's migration 6: a trigram index (`pg_trgm`, in Debian's `postgresql` package and
/// trusted, so a database owner may create it) over the text of the visible text, markdown
/// and HTML messages. It serves `ILIKE '%…%'` for patterns of three or more characters, in
/// any script; PostgreSQL keeps it in step with inserts, edits and recalls by itself.
const PG_SEARCH_INDEX: &str = concat!(
    "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n",
    "CREATE INDEX messages_search_trgm ON messages USING gin (",
    pg_search_text!("content"),
    " gin_trgm_ops) WHERE recall_time IS NULL AND content_type IN ('text', 'markdown', 'html');\n"
);

/// PostgreSQL's migration 14: the trigram index of migration 6 moves from `messages`, where
/// every insert and edit in the writer's transaction paid for it, to `message_search`, which
/// an indexer brings up to date after the commits (`store::pg_index`), up to the watermark in
/// `search_state`. The rows there are made here from the messages as they stand, and the
/// watermark set to the last cursor: the index starts complete.
const PG_SEARCH_TABLE: &str = concat!(
    "CREATE TABLE message_search (\n",
    "    id          BIGINT PRIMARY KEY,\n",
    "    text        TEXT COLLATE \"C\" NOT NULL\n",
    ");\n",
    "INSERT INTO message_search (id, text) SELECT id, ",
    pg_search_text!("content"),
    " FROM messages WHERE recall_time IS NULL AND content_type IN ('text', 'markdown', 'html') \
     AND ",
    pg_search_text!("content"),
    " IS NOT NULL;\n",
    "CREATE INDEX message_search_trgm ON message_search USING gin (text gin_trgm_ops);\n",
    "CREATE TABLE search_state (\n",
    "    id          INT PRIMARY KEY CHECK (id = 1),\n",
    "    watermark   BIGINT NOT NULL\n",
    ");\n",
    "INSERT INTO search_state (id, watermark) SELECT 1, (",
    last_cursor!(),
    ");\n",
    "DROP INDEX messages_search_trgm;\n"
);

/// SQLite's migration 8 and PostgreSQL's 3: written once, in SQL both engines take.
const FOLD_LOG_INTO_MESSAGES: &str = r#"
-- A new message is its own chat log entry: its id is its cursor, drawn from the one sequence
-- the log's edits and recalls (which stay in chat_log) draw from too, so a send writes two
-- B-trees less per recipient. Existing messages take the id of their log entry, so the
-- cursors clients hold stay valid; one with no entry (none should exist) goes above them all.
CREATE INDEX chat_log_by_msg ON chat_log (msg_id);
UPDATE messages SET id = -id;
UPDATE messages SET id = COALESCE(
    (SELECT l.id FROM chat_log l WHERE l.kind = 'message' AND l.msg_id = messages.msg_id),
    (SELECT COALESCE(MAX(id), 0) FROM chat_log) - id);
-- The highest cursor ever handed out, when the rows that had it are gone (a deleted group):
-- cursors must never go back below one a client holds.
CREATE TABLE cursor_floor (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    last        BIGINT NOT NULL
);
INSERT INTO cursor_floor (id, last) SELECT 1, COALESCE(MAX(id), 0) FROM chat_log;
DELETE FROM chat_log WHERE kind = 'message';
DROP INDEX chat_log_by_msg;
"#;

/// SQLite's migration 9 and PostgreSQL's 4.
const RENDERED_HTML: &str = r#"
-- The sanitized HTML of a message or board, rendered once before it was written and served as
-- is on every read (rendering is the costliest step of a message, and unbounded input made it
-- costlier than any read should be). '' means there is nothing to mark up; NULL, a row written
-- before this migration, which the server renders once at start-up (`service::rendering`).
ALTER TABLE messages ADD COLUMN html TEXT;
ALTER TABLE boards ADD COLUMN html TEXT;
"#;

/// SQLite's migration 10 and PostgreSQL's 5. Yunhu's two kinds of text command (wire §7.4): `direct` sends `/name` alone, `normal`
/// sends its preset text followed by what the user typed. The kind is checked in code, not by
/// a CHECK constraint, so that a later kind (form commands) needs no table rebuild in SQLite.
const COMMAND_KINDS: &str = r#"
ALTER TABLE bot_commands ADD COLUMN kind TEXT NOT NULL DEFAULT 'normal';
ALTER TABLE bot_commands ADD COLUMN preset_text TEXT NOT NULL DEFAULT '';
"#;

/// SQLite's migration 11 and PostgreSQL's 7 (issue 20). A normal command's hint text (the
/// input box's placeholder) and a form command's fields (JSON, checked in code like the kind);
/// a bot's shortcut-menu buttons (wire §7.8), and each user's current choice of a toggle or
/// drop-down button in a chat, which rides in `content.menu` of their later messages there.
/// The types are spelled alike in both databases (`BIGINT` is an integer to SQLite).
const COMMAND_FORMS_AND_MENUS: &str = r#"
ALTER TABLE bot_commands ADD COLUMN hint_text TEXT NOT NULL DEFAULT '';
ALTER TABLE bot_commands ADD COLUMN form TEXT NOT NULL DEFAULT '[]';
CREATE TABLE bot_menus (
    menu_id     TEXT PRIMARY KEY,
    bot_id      TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    name        TEXT NOT NULL,
    menu_type   BIGINT NOT NULL,
    options     TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX bot_menus_by_bot ON bot_menus (bot_id, position);
CREATE TABLE menu_states (
    chat_key    TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    menu_id     TEXT NOT NULL REFERENCES bot_menus(menu_id) ON DELETE CASCADE,
    value       TEXT NOT NULL,
    PRIMARY KEY (chat_key, user_id, menu_id)
);
"#;

/// PostgreSQL's schema, as its own list of migrations (version in `schema_version`). The
/// first is SQLite's migrations 1–7 as they stand, in PostgreSQL's types (`BIGINT`, `BYTEA`,
/// identity columns); text compares byte-wise (`COLLATE "C"`), as in SQLite, so listings sort
/// the same on both. Never edit an entry that has shipped: append a new one.
pub(crate) const POSTGRES_MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE users (
    id            TEXT COLLATE "C" PRIMARY KEY,
    nickname      TEXT COLLATE "C" NOT NULL,
    avatar_url    TEXT COLLATE "C" NOT NULL DEFAULT '',
    token_hash    BYTEA NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    password_hash TEXT COLLATE "C"
);
-- rowid: SQLite's implicit row number, which the web API hands out as a numeric ID.
CREATE TABLE chat_groups (
    rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL,
    avatar_url  TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    open        BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE group_members (
    group_id    TEXT COLLATE "C" NOT NULL REFERENCES chat_groups(id) ON DELETE CASCADE,
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        TEXT COLLATE "C" NOT NULL CHECK (role IN ('owner', 'administrator', 'member')),
    joined_at   BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id);
CREATE TABLE bots (
    rowid          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id             TEXT COLLATE "C" PRIMARY KEY,
    nickname       TEXT COLLATE "C" NOT NULL,
    avatar_url     TEXT COLLATE "C" NOT NULL DEFAULT '',
    token_hash     BYTEA NOT NULL UNIQUE,
    webhook_url    TEXT COLLATE "C",
    created_at     BIGINT NOT NULL,
    webhook_secret BYTEA,
    event_types    TEXT COLLATE "C"
);
CREATE TABLE bot_followers (
    bot_id      TEXT COLLATE "C" NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    followed_at BIGINT NOT NULL,
    PRIMARY KEY (bot_id, user_id)
);
CREATE INDEX bot_followers_by_user ON bot_followers (user_id);
CREATE TABLE group_bots (
    group_id    TEXT COLLATE "C" NOT NULL REFERENCES chat_groups(id) ON DELETE CASCADE,
    bot_id      TEXT COLLATE "C" NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    joined_at   BIGINT NOT NULL,
    PRIMARY KEY (group_id, bot_id)
);
CREATE INDEX group_bots_by_bot ON group_bots (bot_id);
CREATE TABLE messages (
    id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    msg_id       TEXT COLLATE "C" NOT NULL UNIQUE,
    chat_key     TEXT COLLATE "C" NOT NULL,
    seq          BIGINT NOT NULL,
    sender_type  TEXT COLLATE "C" NOT NULL CHECK (sender_type IN ('user', 'bot')),
    sender_id    TEXT COLLATE "C" NOT NULL,
    content_type TEXT COLLATE "C" NOT NULL,
    content      TEXT COLLATE "C" NOT NULL,
    parent_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    command_id   BIGINT NOT NULL DEFAULT 0,
    command_name TEXT COLLATE "C" NOT NULL DEFAULT '',
    send_time    BIGINT NOT NULL,
    edit_time    BIGINT,
    recall_time  BIGINT,
    UNIQUE (chat_key, seq)
);
CREATE TABLE bot_commands (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    bot_id      TEXT COLLATE "C" NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    name        TEXT COLLATE "C" NOT NULL,
    UNIQUE (bot_id, name)
);
CREATE TABLE chat_log (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    chat_key    TEXT COLLATE "C" NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL CHECK (kind IN ('message', 'edit', 'recall')),
    msg_id      TEXT COLLATE "C" NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX chat_log_by_chat ON chat_log (chat_key, id);
CREATE TABLE read_markers (
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    chat_key    TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    PRIMARY KEY (user_id, chat_key)
);
CREATE TABLE outbox (
    id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    bot_id          TEXT COLLATE "C" NOT NULL,
    event_id        TEXT COLLATE "C" NOT NULL UNIQUE,
    event_type      TEXT COLLATE "C" NOT NULL,
    payload         TEXT COLLATE "C" NOT NULL,
    created_at      BIGINT NOT NULL,
    state           TEXT COLLATE "C" NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'delivered', 'dead', 'skipped')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT COLLATE "C",
    delivered_at    BIGINT
);
CREATE INDEX outbox_by_bot ON outbox (bot_id, id);
CREATE INDEX outbox_pending_due ON outbox (bot_id, next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_pending_by_bot ON outbox (bot_id, id) WHERE state = 'pending';
CREATE INDEX outbox_by_bot_time ON outbox (bot_id, created_at);
CREATE TABLE boards (
    bot_id       TEXT COLLATE "C" NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    chat_key     TEXT COLLATE "C" NOT NULL,
    member_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    content_type TEXT COLLATE "C" NOT NULL,
    content      TEXT COLLATE "C" NOT NULL,
    expire_at    BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (bot_id, chat_key, member_id)
);
CREATE TABLE media (
    media_key   TEXT COLLATE "C" NOT NULL,
    owner_type  TEXT COLLATE "C" NOT NULL CHECK (owner_type IN ('bot', 'user')),
    owner_id    TEXT COLLATE "C" NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL CHECK (kind IN ('image', 'video', 'file')),
    size        BIGINT NOT NULL,
    name        TEXT COLLATE "C" NOT NULL DEFAULT '',
    mime        TEXT COLLATE "C" NOT NULL,
    width       BIGINT,
    height      BIGINT,
    duration    BIGINT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (media_key, owner_type, owner_id, kind)
);
CREATE TABLE message_media (
    media_key   TEXT COLLATE "C" NOT NULL,
    chat_key    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (media_key, chat_key)
);
CREATE TABLE group_bot_permissions (
    group_id               TEXT COLLATE "C" NOT NULL,
    bot_id                 TEXT COLLATE "C" NOT NULL,
    allow_gag_member       BIGINT NOT NULL DEFAULT 0,
    allow_remove_member    BIGINT NOT NULL DEFAULT 0,
    allow_edit_group_info  BIGINT NOT NULL DEFAULT 0,
    allow_group_tag_manage BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, bot_id),
    FOREIGN KEY (group_id, bot_id) REFERENCES group_bots (group_id, bot_id) ON DELETE CASCADE
);
CREATE TABLE group_gags (
    group_id    TEXT COLLATE "C" NOT NULL,
    user_id     TEXT COLLATE "C" NOT NULL,
    until_ms    BIGINT,
    set_by_bot  TEXT COLLATE "C" NOT NULL,
    set_at      BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id),
    FOREIGN KEY (group_id, user_id) REFERENCES group_members (group_id, user_id) ON DELETE CASCADE
);
CREATE TABLE group_msg_type_limits (
    group_id    TEXT COLLATE "C" PRIMARY KEY REFERENCES chat_groups(id) ON DELETE CASCADE,
    types       TEXT COLLATE "C" NOT NULL
);
CREATE TABLE group_tags (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    group_id    TEXT COLLATE "C" NOT NULL REFERENCES chat_groups(id) ON DELETE CASCADE,
    tag         TEXT COLLATE "C" NOT NULL,
    color       TEXT COLLATE "C" NOT NULL DEFAULT '',
    "desc"      TEXT COLLATE "C" NOT NULL DEFAULT '',
    sort        BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    UNIQUE (group_id, tag)
);
CREATE TABLE group_tag_members (
    tag_id      BIGINT NOT NULL REFERENCES group_tags(id) ON DELETE CASCADE,
    group_id    TEXT COLLATE "C" NOT NULL,
    user_id     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tag_id, user_id),
    FOREIGN KEY (group_id, user_id) REFERENCES group_members (group_id, user_id) ON DELETE CASCADE
);
CREATE TABLE server_keys (
    name        TEXT COLLATE "C" PRIMARY KEY,
    key         BYTEA NOT NULL
);
CREATE TABLE user_sessions (
    token_hash  BYTEA PRIMARY KEY,
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX user_sessions_by_user ON user_sessions (user_id);
"#,
    // 2: which node delivers each bot's webhook events (one at a time, in event order).
    r#"
CREATE TABLE delivery_leases (
    bot_id      TEXT COLLATE "C" PRIMARY KEY,
    node        TEXT COLLATE "C" NOT NULL,
    until_ms    BIGINT NOT NULL
);
"#,
    // 3: new messages are their own chat log entries (SQLite's migration 8).
    FOLD_LOG_INTO_MESSAGES,
    // 4: messages and boards keep the HTML rendered when they were written (SQLite's 9).
    RENDERED_HTML,
    // 5: how a command is invoked (SQLite's migration 10).
    COMMAND_KINDS,
    // 6: the search index (SQLite's is a file of its own: `store::index`).
    PG_SEARCH_INDEX,
    // 7: hint texts, form commands and shortcut menus (SQLite's migration 11).
    COMMAND_FORMS_AND_MENUS,
    // 8: direct messages between two users (SQLite's migration 12).
    PG_DIRECT_CHATS,
    // 9: reactions to messages, and their changes in the chat log (SQLite's 13 and 14).
    r#"
ALTER TABLE chat_log DROP CONSTRAINT chat_log_kind_check;
ALTER TABLE chat_log ADD CONSTRAINT chat_log_kind_check
    CHECK (kind IN ('message', 'edit', 'recall', 'reaction'));
CREATE TABLE message_reactions (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    msg_id      TEXT COLLATE "C" NOT NULL REFERENCES messages(msg_id) ON DELETE CASCADE,
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    emoji       TEXT COLLATE "C" NOT NULL,
    at          BIGINT NOT NULL,
    UNIQUE (msg_id, user_id, emoji)
);
CREATE INDEX message_reactions_by_user ON message_reactions (user_id);
"#,
    // 10: a bot's description (SQLite's 15).
    BOT_DESCRIPTION,
    // 11: a bot's settings form and each group's values of it (SQLite's 16).
    BOT_SETTINGS,
    // 12: clicks on bots' buttons, for the bot to answer (SQLite's 17). Kept for the answer
    // window only (`store::clicks`); no foreign keys, so that a click outlives nothing.
    r#"
CREATE TABLE bot_clicks (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    msg_id      TEXT COLLATE "C" NOT NULL,
    user_id     TEXT COLLATE "C" NOT NULL,
    bot_id      TEXT COLLATE "C" NOT NULL,
    clicked_at  BIGINT NOT NULL,
    answered    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX bot_clicks_by_message ON bot_clicks (msg_id, user_id);
CREATE INDEX bot_clicks_by_time ON bot_clicks (clicked_at);
"#,
    // 13: the cluster's commit counter (no SQLite counterpart: one writer needs none). See
    // `store::writer`'s `next_commit_number`.
    r#"
CREATE TABLE cluster_commits (
    id          INT PRIMARY KEY CHECK (id = 1),
    last        BIGINT NOT NULL
);
INSERT INTO cluster_commits (id, last) VALUES (1, 0);
"#,
    // 14: the search index leaves `messages` for a table of its own, kept by an indexer off
    // the writer (`store::pg_index` says why).
    PG_SEARCH_TABLE,
];

/// Direct messages between two users: one row per ordered pair (`user_lo < user_hi`, compared
/// bytewise in both engines: SQLite's default collation, PostgreSQL's "C"), so that the pair
/// has one chat whoever starts it. It goes with either user; their messages stay in the log
/// like a deleted group's until then (and are unreachable after: no one is in the chat).
/// Each side has an index, for the user's chat list and `USER_CHAT_KEYS`.
const PG_DIRECT_CHATS: &str = r#"
CREATE TABLE direct_chats (
    user_lo     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_hi     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_lo, user_hi),
    CHECK (user_lo < user_hi)
);
CREATE INDEX direct_chats_by_hi ON direct_chats (user_hi);
"#;

/// The advisory lock nodes take while migrating, so that nodes starting together migrate
/// once ("clm" in ASCII; any constant shared by all nodes would do).
const MIGRATION_LOCK: i64 = 0x0063_6c6d;

/// Brings a PostgreSQL database to the newest schema. Several nodes may start at once: they
/// take turns (an advisory lock), and each applies only what is still missing.
pub(crate) fn migrate_postgres(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
    let result = apply_postgres(conn);
    let _ = conn.take_failed();
    conn.execute_batch(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
    result
}

fn apply_postgres(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
    let applied: Option<i64> = conn
        .prepare_cached("SELECT MAX(version) FROM schema_version")?
        .query_row([], |row| row.get(0))?;
    let applied = usize::try_from(applied.unwrap_or(0))
        .map_err(|_| StoreError::Corrupt(format!("schema version {applied:?}")))?;
    if applied > POSTGRES_MIGRATIONS.len() {
        return Err(StoreError::Corrupt(format!(
            "the database has schema version {applied}, newer than this build knows ({}); \
             run a newer cloudlake",
            POSTGRES_MIGRATIONS.len()
        )));
    }
    for (i, sql) in POSTGRES_MIGRATIONS.iter().enumerate().skip(applied) {
        // Each migration and its version row commit together.
        conn.execute_batch(&format!(
            "BEGIN; {sql}; INSERT INTO schema_version (version) VALUES ({}); COMMIT;",
            i + 1
        ))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })?;
    }
    Ok(())
}

/// Brings the database to the newest schema.
pub(crate) fn migrate(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let applied = usize::try_from(applied)
        .map_err(|_| StoreError::Corrupt(format!("schema version {applied}")))?;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Corrupt(format!(
            "the database has schema version {applied}, newer than this build knows ({}); \
             run a newer cloudlake",
            MIGRATIONS.len()
        )));
    }
    if applied == MIGRATIONS.len() {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
    for sql in &MIGRATIONS[applied..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database that stopped at migration 7 (every message also a chat log row), upgraded:
    /// messages take their log entry's id, so the cursors clients hold keep their meaning.
    #[test]
    fn migration_8_keeps_every_cursor_a_client_may_hold() {
        let mut conn = SqliteConnection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        for sql in &MIGRATIONS[..7] {
            tx.execute_batch(sql).unwrap();
        }
        tx.pragma_update(None, "user_version", 7).unwrap();
        tx.commit().unwrap();
        // Two chats, interleaved; m2 was edited; the newest entry's message was deleted with
        // its group (migration 7's code kept that entry as the high-water mark).
        conn.execute_batch(
            "INSERT INTO messages (msg_id, chat_key, seq, sender_type, sender_id, content_type, \
               content, send_time) VALUES \
               ('m1', 'g:a', 1, 'bot', 'b', 'text', '{}', 0), \
               ('m2', 'g:b', 1, 'bot', 'b', 'text', '{}', 0), \
               ('m3', 'g:a', 2, 'bot', 'b', 'text', '{}', 0); \
             INSERT INTO chat_log (id, chat_key, kind, msg_id, at) VALUES \
               (10, 'g:a', 'message', 'm1', 0), (11, 'g:b', 'message', 'm2', 0), \
               (12, 'g:b', 'edit', 'm2', 0), (13, 'g:a', 'message', 'm3', 0), \
               (14, 'g:gone', 'message', 'm-gone', 0);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let ids: Vec<(String, i64)> = conn
            .prepare("SELECT msg_id, id FROM messages ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let expected = [("m1", 10), ("m2", 11), ("m3", 13)].map(|(m, id)| (m.to_owned(), id));
        assert_eq!(ids, expected);
        let log: Vec<(i64, String)> = conn
            .prepare("SELECT id, kind FROM chat_log ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            log,
            [(12, "edit".to_owned())],
            "only edits and recalls stay"
        );
        let last: i64 = conn
            .query_row(crate::store::numbers::LAST_CURSOR, [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            last, 14,
            "the deleted group's newest cursor is still the floor"
        );
    }
}
