//! `cloudlake admin`: a client of the server's admin API.

use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use cloudlake_server::config::{ADMIN_TOKEN_FILE, DEFAULT_DATA_DIR};
use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};

/// Options of `admin`.
#[derive(Args)]
pub struct AdminArgs {
    /// The server's base URL.
    #[arg(
        long,
        env = "CLOUDLAKE_SERVER",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    server: Url,
    /// The admin token. Without it, the token file of --data-dir is read.
    #[arg(
        long,
        env = "CLOUDLAKE_ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    admin_token: Option<String>,
    /// The server's data directory, to find the admin token when none is given.
    #[arg(long, env = "CLOUDLAKE_DATA_DIR", default_value = DEFAULT_DATA_DIR, global = true)]
    data_dir: PathBuf,
    /// Print the result as one JSON object.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Resource,
}

#[derive(Subcommand)]
enum Resource {
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Groups and their members.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Bots, their tokens, followers and groups.
    #[command(subcommand)]
    Bot(BotCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints its ID and token.
    Create {
        /// The ID to use (default: a random 7-digit ID).
        #[arg(long)]
        id: Option<String>,
        /// The display name.
        #[arg(long)]
        nickname: String,
    },
    /// List users.
    List,
    /// Show one user.
    Show {
        /// The user ID.
        id: String,
    },
    /// Delete a user (their messages stay in history).
    Delete {
        /// The user ID.
        id: String,
    },
    /// Give a user a new token; the old one stops working.
    RotateToken {
        /// The user ID.
        id: String,
    },
    /// Let a user sign in to the web client with a password, read from the first line of
    /// standard input (never from the command line, where other users and the shell
    /// history would see it). Their open sessions end.
    SetPassword {
        /// The user ID.
        id: String,
        /// Remove the password instead: token sign-in only.
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Subcommand)]
enum GroupCommand {
    /// Create a group; prints its ID.
    Create {
        /// The ID to use (default: a random 9-digit ID).
        #[arg(long)]
        id: Option<String>,
        /// The group's name.
        #[arg(long)]
        name: String,
        /// Let users join and leave by themselves.
        #[arg(long)]
        open: bool,
    },
    /// List groups.
    List,
    /// Show one group with its members and bots.
    Show {
        /// The group ID.
        id: String,
    },
    /// Delete a group and its history.
    Delete {
        /// The group ID.
        id: String,
    },
    /// Add a user to a group, or change their role.
    AddMember {
        /// The group ID.
        group: String,
        /// The user ID.
        user: String,
        /// The member's role.
        #[arg(long, default_value = "member", value_parser = ["member", "administrator", "owner"])]
        role: String,
    },
    /// Remove a user from a group.
    RemoveMember {
        /// The group ID.
        group: String,
        /// The user ID.
        user: String,
    },
}

#[derive(Subcommand)]
enum BotCommand {
    /// Create a bot; prints its ID and token.
    Create {
        /// The ID to use (default: a random 8-digit ID).
        #[arg(long)]
        id: Option<String>,
        /// The display name.
        #[arg(long)]
        nickname: String,
        /// Where its events are POSTed.
        #[arg(long)]
        webhook: Option<String>,
    },
    /// List bots.
    List,
    /// Show one bot with its followers and groups.
    Show {
        /// The bot ID.
        id: String,
    },
    /// Delete a bot (its messages stay in history).
    Delete {
        /// The bot ID.
        id: String,
    },
    /// Give a bot a new token; the old one stops working at once.
    RotateToken {
        /// The bot ID.
        id: String,
    },
    /// Set what the bot may do in a group it is in (the group administration API). Flags not
    /// given are turned off: the command states the whole set.
    Permissions {
        /// The bot ID.
        bot: String,
        /// The group ID.
        group: String,
        /// Allow `/group/gag-member`.
        #[arg(long)]
        allow_gag_member: bool,
        /// Allow `/group/remove-member`.
        #[arg(long)]
        allow_remove_member: bool,
        /// Allow `/group/msg-type-limit`.
        #[arg(long)]
        allow_edit_group_info: bool,
        /// Allow `/group/tag/create`, `edit`, `delete`, `user-relate`, `user-relate-cancel`.
        #[arg(long)]
        allow_group_tag_manage: bool,
        /// Allow all of the above.
        #[arg(long)]
        all: bool,
    },
    /// A user adds the bot as a friend.
    Follow {
        /// The bot ID.
        bot: String,
        /// The user ID.
        user: String,
    },
    /// A user removes the bot as a friend.
    Unfollow {
        /// The bot ID.
        bot: String,
        /// The user ID.
        user: String,
    },
    /// Add the bot to a group.
    JoinGroup {
        /// The bot ID.
        bot: String,
        /// The group ID.
        group: String,
    },
    /// Remove the bot from a group.
    LeaveGroup {
        /// The bot ID.
        bot: String,
        /// The group ID.
        group: String,
    },
    /// Give the bot a slash command (or change one): `/NAME …` messages become
    /// message.receive.instruction, with the text Yunhu sends for the command's kind; a form
    /// command's filled-in form becomes one with contentType form and its formJson.
    AddCommand {
        /// The bot ID.
        bot: String,
        /// The command's name, without the slash.
        name: String,
        /// `normal`: the bot gets the preset text and what the user typed after `/NAME`;
        /// `direct`: the bot gets `/NAME` alone, and the command takes no input;
        /// `form` (自定义输入): the user fills in the fields given with --field or --form.
        #[arg(long, value_parser = ["normal", "direct", "form"], default_value = "normal")]
        kind: String,
        /// A normal command's preset text (默认文字), put before the user's input.
        #[arg(long, default_value = "")]
        preset_text: String,
        /// A normal command's hint text (提示文字), the input box's placeholder.
        #[arg(long, default_value = "")]
        hint_text: String,
        /// A form field, `ID:TYPE[:LABEL[:OPTION,OPTION…]]` with TYPE input, textarea, radio,
        /// checkbox, switch or select (options for radio, checkbox and select); repeat it for
        /// each field, in order. Implies --kind form.
        #[arg(long = "field", value_name = "ID:TYPE[:LABEL[:OPTIONS]]")]
        fields: Vec<String>,
        /// The form's fields as the admin API takes them, a JSON array of
        /// `{"id", "type", "label"?, "options"?, "default"?}` (for defaults). Implies --kind form.
        #[arg(long, conflicts_with = "fields")]
        form: Option<String>,
    },
    /// Remove a slash command from the bot.
    RemoveCommand {
        /// The bot ID.
        bot: String,
        /// The command's name.
        name: String,
    },
    /// List the bot's slash commands.
    Commands {
        /// The bot ID.
        bot: String,
    },
    /// Add a button to the end of the bot's shortcut menu (above the input box in its
    /// chats): pressing it sends the bot bot.shortcut.menu. Prints its menuId.
    AddMenu {
        /// The bot ID.
        bot: String,
        /// The button's caption.
        name: String,
        /// `button` (menuType 1): each press is reported; `toggle` (2): on or off, its state
        /// rides in content.menu of the user's later messages; `dropdown` (3): one of
        /// --option, likewise.
        #[arg(long = "type", value_parser = ["button", "toggle", "dropdown"], default_value = "button")]
        menu_type: String,
        /// A drop-down's choice; repeat it for each, in order.
        #[arg(long = "option")]
        options: Vec<String>,
    },
    /// Remove a button from the bot's shortcut menu.
    RemoveMenu {
        /// The bot ID.
        bot: String,
        /// The button's menuId (see `menus`).
        menu_id: String,
    },
    /// List the bot's shortcut menu: menuId and caption, in order.
    Menus {
        /// The bot ID.
        bot: String,
    },
    /// Show or set the bot's per-group settings form, which a group's owner and administrators
    /// fill in from the group's info (the bot then gets bot.setting with the values).
    /// Without --field, --form or --clear it shows the form.
    SettingsForm {
        /// The bot ID.
        bot: String,
        /// A field, `ID:TYPE[:LABEL[:OPTION,OPTION…]]` as for `add-command`; repeat it for
        /// each field, in order. Replaces the whole form.
        #[arg(long = "field", value_name = "ID:TYPE[:LABEL[:OPTIONS]]")]
        fields: Vec<String>,
        /// The fields as the admin API takes them, a JSON array (for defaults).
        #[arg(long, conflicts_with = "fields")]
        form: Option<String>,
        /// Remove the form, and every group's values of it.
        #[arg(long, conflicts_with_all = ["fields", "form"])]
        clear: bool,
    },
    /// Show or change where the bot's events go (webhook URL, or the bot WebSocket when
    /// none) and which event types it wants.
    Webhook {
        /// The bot ID.
        bot: String,
        /// The new webhook URL.
        #[arg(long, conflicts_with = "clear")]
        url: Option<String>,
        /// Remove the webhook URL: events then wait for the bot WebSocket.
        #[arg(long)]
        clear: bool,
        /// The wanted event types, comma-separated; `all` for every type.
        #[arg(long, value_delimiter = ',')]
        events: Option<Vec<String>>,
    },
    /// Show the bot's deliveries: pending count, last error, dead letters.
    Deliveries {
        /// The bot ID.
        bot: String,
    },
    /// Deliver events again: one dead letter, or everything that happened in a time range.
    Replay {
        /// The bot ID.
        bot: String,
        /// The eventId of a dead letter.
        #[arg(long, conflicts_with_all = ["since", "until"], required_unless_present = "since")]
        event: Option<String>,
        /// The range's start: back from now (`10m`, `2h`, `3d`), an RFC 3339 time
        /// (`2026-12-06T08:30:00Z`, `2026-12-06T16:30:00+08:00`), a date (`2026-12-06`, UTC
        /// midnight) or epoch ms.
        #[arg(long, value_parser = crate::when::instant)]
        since: Option<i64>,
        /// The range's end, in the same forms (default: now).
        #[arg(long, requires = "since", value_parser = crate::when::instant)]
        until: Option<i64>,
    },
    /// Show (or, with --rotate, replace) the bot's webhook signing secret (`whsec_…`).
    Secret {
        /// The bot ID.
        bot: String,
        /// Make a new secret; signatures with the old one stop at once.
        #[arg(long)]
        rotate: bool,
    },
}

/// One admin API call: method, path segments under `/admin/v1`, optional body.
struct Call {
    method: Method,
    path: Vec<String>,
    body: Option<Value>,
    /// How to print the result for people.
    human: Box<dyn Fn(&Value) -> String>,
}

impl Call {
    fn new(method: Method, path: &[&str], human: impl Fn(&Value) -> String + 'static) -> Self {
        Call {
            method,
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            body: None,
            human: Box::new(human),
        }
    }

    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let token = admin_token(&args)?;
    let call = call_for(args.command)?;
    let result = execute(&args.server, &token, &call).await?;
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        println!("{}", (call.human)(&result));
    }
    Ok(())
}

/// The first line of standard input, without its line ending.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(password)
}

fn admin_token(args: &AdminArgs) -> anyhow::Result<String> {
    if let Some(token) = args
        .admin_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        return Ok(token.to_owned());
    }
    let path = args.data_dir.join(ADMIN_TOKEN_FILE);
    let token = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no admin token: pass --admin-token or set CLOUDLAKE_ADMIN_TOKEN (could not read {})",
            path.display()
        )
    })?;
    Ok(token.trim().to_owned())
}

/// A form's fields from `--form` (JSON, as the admin API takes them) or the `--field`s;
/// `None` when neither was given.
fn form_fields(form: Option<String>, fields: &[String]) -> anyhow::Result<Option<Value>> {
    Ok(match form {
        Some(json) => Some(
            serde_json::from_str::<Value>(&json)
                .context("--form is not JSON (a list of fields)")?,
        ),
        None if fields.is_empty() => None,
        None => Some(Value::Array(
            fields
                .iter()
                .map(|f| form_field(f))
                .collect::<anyhow::Result<_>>()?,
        )),
    })
}

/// One `--field ID:TYPE[:LABEL[:OPTION,OPTION…]]` as the admin API's form field. The server
/// checks the field itself (types, options), so that the CLI and the API refuse alike.
fn form_field(spec: &str) -> anyhow::Result<Value> {
    let mut parts = spec.splitn(4, ':');
    let (Some(id), Some(kind)) = (parts.next(), parts.next()) else {
        bail!("--field {spec:?} is not ID:TYPE[:LABEL[:OPTION,OPTION…]]");
    };
    let mut field = json!({"id": id, "type": kind});
    if let Some(label) = parts.next().filter(|l| !l.is_empty()) {
        field["label"] = json!(label);
    }
    if let Some(options) = parts.next() {
        field["options"] = json!(options.split(',').collect::<Vec<_>>());
    }
    Ok(field)
}

fn call_for(resource: Resource) -> anyhow::Result<Call> {
    use Method as M;
    Ok(match resource {
        Resource::User(cmd) => match cmd {
            UserCommand::Create { id, nickname } => {
                Call::new(M::POST, &["users"], created("user", "userId"))
                    .body(json!({"id": id, "nickname": nickname}))
            }
            UserCommand::List => Call::new(M::GET, &["users"], |v| {
                list(v, "users", "userId", "nickname")
            }),
            UserCommand::Show { id } => Call::new(M::GET, &["users", &id], pretty),
            UserCommand::Delete { id } => Call::new(M::DELETE, &["users", &id], done),
            UserCommand::RotateToken { id } => {
                Call::new(M::POST, &["users", &id, "token"], new_token)
            }
            UserCommand::SetPassword { id, clear: true } => {
                Call::new(M::DELETE, &["users", &id, "password"], done)
            }
            UserCommand::SetPassword { id, clear: false } => {
                Call::new(M::PUT, &["users", &id, "password"], done)
                    .body(json!({"password": password_from_stdin()?}))
            }
        },
        Resource::Group(cmd) => match cmd {
            GroupCommand::Create { id, name, open } => {
                Call::new(M::POST, &["groups"], created("group", "groupId"))
                    .body(json!({"id": id, "name": name, "open": open}))
            }
            GroupCommand::List => Call::new(M::GET, &["groups"], |v| {
                list(v, "groups", "groupId", "name")
            }),
            GroupCommand::Show { id } => Call::new(M::GET, &["groups", &id], pretty),
            GroupCommand::Delete { id } => Call::new(M::DELETE, &["groups", &id], done),
            GroupCommand::AddMember { group, user, role } => {
                Call::new(M::PUT, &["groups", &group, "members", &user], done)
                    .body(json!({"role": role}))
            }
            GroupCommand::RemoveMember { group, user } => {
                Call::new(M::DELETE, &["groups", &group, "members", &user], done)
            }
        },
        Resource::Bot(cmd) => match cmd {
            BotCommand::Create {
                id,
                nickname,
                webhook,
            } => Call::new(M::POST, &["bots"], created("bot", "botId"))
                .body(json!({"id": id, "nickname": nickname, "webhookUrl": webhook})),
            BotCommand::List => {
                Call::new(M::GET, &["bots"], |v| list(v, "bots", "botId", "nickname"))
            }
            BotCommand::Show { id } => Call::new(M::GET, &["bots", &id], pretty),
            BotCommand::Delete { id } => Call::new(M::DELETE, &["bots", &id], done),
            BotCommand::RotateToken { id } => {
                Call::new(M::POST, &["bots", &id, "token"], new_token)
            }
            BotCommand::Permissions {
                bot,
                group,
                allow_gag_member,
                allow_remove_member,
                allow_edit_group_info,
                allow_group_tag_manage,
                all,
            } => Call::new(
                M::PUT,
                &["groups", &group, "bots", &bot, "permissions"],
                pretty,
            )
            .body(json!({
                "allowGagMember": all || allow_gag_member,
                "allowRemoveMember": all || allow_remove_member,
                "allowEditGroupInfo": all || allow_edit_group_info,
                "allowGroupTagManage": all || allow_group_tag_manage,
            })),
            BotCommand::Follow { bot, user } => {
                Call::new(M::PUT, &["bots", &bot, "followers", &user], done)
            }
            BotCommand::Unfollow { bot, user } => {
                Call::new(M::DELETE, &["bots", &bot, "followers", &user], done)
            }
            BotCommand::JoinGroup { bot, group } => {
                Call::new(M::PUT, &["groups", &group, "bots", &bot], done)
            }
            BotCommand::LeaveGroup { bot, group } => {
                Call::new(M::DELETE, &["groups", &group, "bots", &bot], done)
            }
            BotCommand::AddCommand {
                bot,
                name,
                kind,
                preset_text,
                hint_text,
                fields,
                form,
            } => {
                let form = form_fields(form, &fields)?;
                let mut body = json!({"name": name, "kind": kind, "presetText": preset_text});
                if !hint_text.is_empty() {
                    body["hintText"] = json!(hint_text);
                }
                if let Some(form) = form {
                    body["kind"] = json!("form");
                    body["form"] = form;
                }
                Call::new(M::POST, &["bots", &bot, "commands"], |v| {
                    format!(
                        "command /{} ({}) has commandId {}",
                        v["name"].as_str().unwrap_or("?"),
                        v["kind"].as_str().unwrap_or("?"),
                        v["commandId"]
                    )
                })
                .body(body)
            }
            BotCommand::RemoveCommand { bot, name } => {
                Call::new(M::DELETE, &["bots", &bot, "commands", &name], done)
            }
            BotCommand::Commands { bot } => Call::new(M::GET, &["bots", &bot, "commands"], |v| {
                list(v, "commands", "name", "commandId")
            }),
            BotCommand::AddMenu {
                bot,
                name,
                menu_type,
                options,
            } => {
                let number = match menu_type.as_str() {
                    "toggle" => 2,
                    "dropdown" => 3,
                    _ => 1,
                };
                Call::new(M::POST, &["bots", &bot, "menus"], |v| {
                    format!(
                        "menu button {} (menuType {}) has menuId {}",
                        v["name"].as_str().unwrap_or("?"),
                        v["menuType"],
                        v["menuId"].as_str().unwrap_or("?")
                    )
                })
                .body(json!({"name": name, "menuType": number, "options": options}))
            }
            BotCommand::RemoveMenu { bot, menu_id } => {
                Call::new(M::DELETE, &["bots", &bot, "menus", &menu_id], done)
            }
            BotCommand::Menus { bot } => Call::new(M::GET, &["bots", &bot, "menus"], |v| {
                list(v, "menus", "menuId", "name")
            }),
            BotCommand::SettingsForm {
                bot,
                fields,
                form,
                clear,
            } => {
                let path = ["bots", bot.as_str(), "settings-form"];
                let show = |v: &Value| match v["fields"].as_array() {
                    Some(fields) if !fields.is_empty() => fields
                        .iter()
                        .map(|f| {
                            format!(
                                "{} ({}) {}",
                                f["id"].as_str().unwrap_or("?"),
                                f["type"].as_str().unwrap_or("?"),
                                f["label"].as_str().unwrap_or("")
                            )
                            .trim_end()
                            .to_owned()
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                    _ => "no settings form".to_owned(),
                };
                match (form_fields(form, &fields)?, clear) {
                    (None, false) => Call::new(M::GET, &path, show),
                    (form, _) => Call::new(M::PUT, &path, show)
                        .body(json!({"fields": form.unwrap_or_else(|| json!([]))})),
                }
            }
            BotCommand::Webhook {
                bot,
                url,
                clear,
                events,
            } => webhook_call(bot, url, clear, events),
            BotCommand::Deliveries { bot } => {
                Call::new(M::GET, &["bots", &bot, "deliveries"], deliveries)
            }
            BotCommand::Replay {
                bot,
                event,
                since,
                until,
            } => {
                let body = match event {
                    Some(event) => json!({"eventId": event}),
                    None => json!({"since": since, "until": until}),
                };
                Call::new(M::POST, &["bots", &bot, "replay"], |v| {
                    format!("replayed {}", v["replayed"])
                })
                .body(body)
            }
            BotCommand::Secret { bot, rotate } => {
                let method = if rotate { M::POST } else { M::GET };
                Call::new(method, &["bots", &bot, "secret"], |v| {
                    v["secret"].as_str().unwrap_or("?").to_owned()
                })
            }
        },
    })
}

/// `bot webhook`: a GET without changes, else a PUT with only the fields given.
fn webhook_call(
    bot: String,
    url: Option<String>,
    clear: bool,
    events: Option<Vec<String>>,
) -> Call {
    let human = |v: &Value| {
        let url = v["webhookUrl"]
            .as_str()
            .unwrap_or("(none: the bot WebSocket)");
        let events = match v["eventTypes"].as_array() {
            Some(types) => types
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
            None => "all".to_owned(),
        };
        format!("webhook: {url}\nevents: {events}")
    };
    if url.is_none() && !clear && events.is_none() {
        return Call::new(Method::GET, &["bots", &bot, "webhook"], human);
    }
    let mut body = serde_json::Map::new();
    if clear {
        body.insert("url".into(), Value::Null);
    } else if let Some(url) = url {
        body.insert("url".into(), json!(url));
    }
    if let Some(events) = events {
        let all = events.iter().any(|e| e == "all" || e == "*");
        body.insert(
            "eventTypes".into(),
            if all { Value::Null } else { json!(events) },
        );
    }
    Call::new(Method::PUT, &["bots", &bot, "webhook"], human).body(Value::Object(body))
}

/// Sends the call; a 204 reads as `{"ok": true}`, an error status becomes the error's message.
async fn execute(server: &Url, token: &str, call: &Call) -> anyhow::Result<Value> {
    let mut url = server.clone();
    {
        let mut segments = url
            .path_segments_mut()
            .map_err(|()| anyhow!("--server {server} cannot be a base URL"))?;
        segments
            .pop_if_empty()
            .extend(["admin", "v1"])
            .extend(&call.path);
    }
    let mut request = reqwest::Client::new()
        .request(call.method.clone(), url.clone())
        .bearer_auth(token);
    if let Some(body) = &call.body {
        request = request.json(body);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("cannot reach the server at {server}"))?;
    let status = response.status();
    if status == StatusCode::NO_CONTENT {
        return Ok(json!({"ok": true}));
    }
    let body: Value = response
        .json()
        .await
        .with_context(|| format!("the server's answer to {} {url} is not JSON", call.method))?;
    if !status.is_success() {
        let message = body
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("(no message)");
        bail!("{} ({status})", message);
    }
    Ok(body)
}

fn created(kind: &'static str, id_key: &'static str) -> impl Fn(&Value) -> String {
    move |v| {
        let id = v[id_key].as_str().unwrap_or("?");
        match v["token"].as_str() {
            Some(token) => format!("created {kind} {id}\ntoken: {token}"),
            None => format!("created {kind} {id}"),
        }
    }
}

fn new_token(v: &Value) -> String {
    format!("new token: {}", v["token"].as_str().unwrap_or("?"))
}

fn list(v: &Value, key: &str, id_key: &str, name_key: &str) -> String {
    let items = v[key].as_array().map(Vec::as_slice).unwrap_or_default();
    if items.is_empty() {
        return format!("no {key}");
    }
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    items
        .iter()
        .map(|item| format!("{}\t{}", text(&item[id_key]), text(&item[name_key])))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `bot deliveries` for people: where events go, the counts, the last error (a line only when
/// there is one), and the dead letters one per line, newest first.
fn deliveries(v: &Value) -> String {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let count = |key: &str| v[key].as_u64().unwrap_or(0);
    let mut out = format!("bot {}\n", text(&v["botId"]));
    match v["webhookUrl"].as_str() {
        Some(url) => out.push_str(&format!("events go to: webhook {url}\n")),
        None => out.push_str("events go to: the bot WebSocket (no webhook)\n"),
    }
    let types = match v["eventTypes"].as_array() {
        Some(types) => types.iter().map(text).collect::<Vec<_>>().join(", "),
        None => "all".to_owned(),
    };
    out.push_str(&format!("event types: {types}\n"));
    out.push_str(&format!(
        "delivered {}  pending {}  dead {}  skipped {}",
        count("delivered"),
        count("pending"),
        count("dead"),
        count("skipped")
    ));
    if let Some(error) = v["lastError"].as_str() {
        out.push_str(&format!("\nlast error: {error}"));
    }
    let dead = v["deadLetters"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if !dead.is_empty() {
        out.push_str("\ndead letters, newest first (replay one with `bot replay BOT --event ID`):");
        for letter in dead {
            let attempts = letter["attempts"].as_u64().unwrap_or(0);
            out.push_str(&format!(
                "\n  {}  {}  {}  {attempts} attempt{}  {}",
                letter["createdAt"]
                    .as_i64()
                    .map_or_else(|| "?".to_owned(), crate::when::utc),
                text(&letter["eventId"]),
                text(&letter["eventType"]),
                if attempts == 1 { "" } else { "s" },
                letter["lastError"].as_str().unwrap_or("")
            ));
        }
    }
    out
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

fn done(_: &Value) -> String {
    "ok".to_owned()
}
