"""ErisPulse with its Yunhu adapter (PyPI ErisPulse + ErisPulse-YunhuAdapter), receiving events
over cloudlake's bot WebSocket (`/subscribe`, the adapter's default `ws` mode). Configured the
way its users do, in `config/config.toml` of the working directory (a temp dir of the harness),
with the three base URLs pointed at cloudlake and ErisPulse's own HTTP server kept on
127.0.0.1. Handlers are ordinary ErisPulse `command` / `message` / `notice` handlers."""

import asyncio
import os

import common

os.makedirs("config", exist_ok=True)
with open("config/config.toml", "w") as f:
    f.write(
        f"""
[ErisPulse.server]
host = "127.0.0.1"
port = {common.HOOK_PORT}

[ErisPulse.logger]
level = "INFO"

[Yunhu_Adapter]
base_url = "{common.BASE}/open-apis/v1"
web_api_base_url = "{common.BASE}"
ws_base_url = "{common.BASE.replace("http://", "ws://")}/subscribe"

[Yunhu_Adapter.accounts.cloudlake]
token = "{common.BOT_TOKEN}"
mode = "ws"
enabled = true
"""
    )

from ErisPulse import sdk  # noqa: E402  (reads the config written above)
from ErisPulse.Core.Event import command, message, meta, notice  # noqa: E402


def command_handler(name):
    """An ErisPulse `command(name)` handler reporting the command and its arguments."""

    @command(name)
    async def on_command_event(event):
        common.record(
            "command",
            name=event.get_command_name(),
            args=" ".join(event.get_command_args()),
            sender=event.get_user_id(),
        )


for name in common.COMMANDS:
    command_handler(name)


def segment(event, kind):
    """The first message segment of `kind` in the OneBot 12 event, or None."""
    return next((s for s in event.get_message() if s.get("type") == kind), None)


@message.on_message()
async def on_message(event):
    if event.is_command():
        return
    form = segment(event, "yunhu_form")
    if form:
        # A filled-in form command (wire §7.4), as the adapter converts it: its fields with
        # the values it reads from formJson.
        common.record("form", **form["data"], sender=event.get_user_id())
        return
    text = event.get_text()
    first = next((s for s in event.get_message() if s.get("type") not in ("reply", "mention")), {})
    reply = segment(event, "reply")
    common.record(
        "message",
        chat_type=event.get_detail_type(),
        chat_id=event.get_group_id(),
        sender=event.get_user_id(),
        content_type=first.get("type"),
        text=text.strip(),
        to_me=event.has_mention(),
        at=event.get_mentions(),
        parent_id=reply["data"]["message_id"] if reply else None,
        msg_id=event.get("message_id"),
    )
    what = text.strip()
    try:
        if what == "say text":
            result = await event.reply("text reply")
        elif what == "say markdown":
            result = await event.reply("**markdown** reply", method="Markdown")
        elif what == "say html":
            result = await event.reply("<b>html</b> reply", method="Html")
        elif what == "say buttons":
            # Yunhu's own button rows, which the adapter passes through. (Its cross-platform
            # rows, {"label", "type": "callback"}, become {"label", "action_type": 2, "action",
            # "value"}, keys Yunhu's API documents nowhere: cloudlake refuses them with 1002;
            # see docs/compatibility.md.)
            result = await event.reply(
                common.BUTTONS_TEXT, method="Text", via=[("Buttons", common.BUTTONS)]
            )
        elif first.get("type") == "image":
            what = "image"
            result = await event.reply(first["data"]["url"], method="Image")
        else:
            return
        common.record("sent", what=what, code=1 if ok(result) else None, result=repr(result))
    except Exception as e:
        common.record("sent", what=what, code=None, error=f"{type(e).__name__}: {e}")


def ok(result):
    """Whether the adapter's standard response says the send succeeded."""
    return isinstance(result, dict) and (result.get("status") == "ok" or result.get("retcode") == 0)


@notice.on_notice()
async def on_notice(event):
    detail = event.get_detail_type()
    if detail == "friend_increase":
        common.record("follow", user=event.get_user_id())
    elif detail == "group_member_increase":
        common.record("join", user=event.get_user_id(), group=event.get_group_id())
    elif detail == "yunhu_button_click":
        common.record(
            "click",
            user=event.get_user_id(),
            value=event.get("yunhu_button", {}).get("value"),
            msg_id=event.get("message_id"),
        )
    elif detail == "yunhu_shortcut_menu":
        # A shortcut-menu press (wire §7.8), as the adapter converts it.
        common.record(
            "menu",
            user=event.get_user_id(),
            group=event.get_group_id(),
            menu=event.get("yunhu_menu"),
        )
    elif detail == "yunhu_a2ui_button":
        # A click on a button of an A2UI card (wire §7.10), as the adapter converts it.
        common.record(
            "a2ui",
            user=event.get_user_id(),
            msg_id=event.get("message_id"),
            a2ui=event.get("yunhu_a2ui"),
        )
    elif detail == "yunhu_bot_setting":
        # A group's settings of the bot (wire §7.9), as the adapter converts it.
        common.record("setting", group=event.get_group_id(), setting=event.get("yunhu_setting"))
    else:
        common.record("notice", detail_type=detail)


@meta.on_connect()
async def on_connect(event):
    # The bot's WebSocket to cloudlake is open: events reach the handlers from now on.
    common.ready("ErisPulse-YunhuAdapter")


async def main():
    await sdk.run()


asyncio.run(main())
