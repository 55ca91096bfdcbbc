"""nonebot2 + nonebot-adapter-yunhu (PyPI), configured as a Yunhu user configures it, with the
two base URLs pointed at cloudlake (the adapter hard-codes Yunhu's hosts, so a user monkeypatches
`Adapter.get_api_url` and `Adapter.get_bot_info`; docs/wire.md §10). Its handlers are ordinary
nonebot matchers; what each receives is reported with `common.record`."""

import nonebot
from nonebot import on_command, on_message, on_notice
from nonebot.adapters import Message as BaseMessage
from nonebot.compat import type_validate_python
from nonebot.drivers import URL, Request
from nonebot.params import CommandArg

from nonebot.adapters.yunhu import Adapter
from nonebot.adapters.yunhu.bot import Bot
from nonebot.adapters.yunhu.event import (
    BotFollowedNoticeEvent,
    ButtonReportNoticeEvent,
    GroupJoinNoticeEvent,
    MessageEvent,
    TipNoticeEvent,
)
from nonebot.adapters.yunhu.message import MessageSegment
from nonebot.adapters.yunhu.models import BotInfo

import common

# The one change to point the bot at cloudlake: the two base URLs.
Adapter.get_api_url = lambda self, path: URL(common.BASE).joinpath("open-apis/v1/", path)


async def get_bot_info(self, bot_config):
    response = await self.send_request(
        Request("POST", common.BASE + "/v1/bot/bot-info", json={"botId": bot_config.app_id})
    )
    return type_validate_python(BotInfo, response)


Adapter.get_bot_info = get_bot_info

nonebot.init(
    driver="~fastapi+~httpx",
    host="127.0.0.1",
    port=common.HOOK_PORT,
    log_level="INFO",
    # Yunhu's adapter puts the command name (without "/") in front of the argument, so Yunhu
    # bots on nonebot accept commands without a start character, as here.
    command_start={"/", ""},
    command_sep={"."},
    yunhu_bots=[{"app_id": common.BOT_ID, "token": common.BOT_TOKEN}],
)
nonebot.get_driver().register_adapter(Adapter)


@nonebot.get_driver().on_bot_connect
async def connected(bot: Bot):
    common.ready("nonebot-adapter-yunhu")


def command_matcher(name):
    """An `on_command(name)` matcher reporting the command and its argument."""
    matcher = on_command(name, priority=1, block=True)

    @matcher.handle()
    async def on_command_event(event: MessageEvent, args: BaseMessage = CommandArg()):
        common.record(
            "command",
            name=name,
            args=args.extract_plain_text().strip(),
            event_type=event.header.eventType,
            sender=event.get_user_id(),
        )


for name in common.COMMANDS:
    command_matcher(name)


messages = on_message(priority=5, block=True)


@messages.handle()
async def on_any_message(bot: Bot, event: MessageEvent):
    message = event.event.message
    content = message.content
    common.record(
        "message",
        chat_type=message.chatType,
        chat_id=message.chatId,
        sender=event.get_user_id(),
        content_type=message.contentType,
        text=event.get_plaintext(),
        to_me=event.is_tome(),
        at=getattr(content, "at", None),
        # nonebot looks the quoted message up itself (bot/messages) and keeps it only when the
        # bot sent it: the reply's ID is what the adapter found, not just the event's field.
        parent_id=event.reply.msgId if event.reply else None,
        msg_id=message.msgId,
    )
    text = event.get_plaintext()
    try:
        if text == "say text":
            result = await bot.send(event, "text reply")
        elif text == "say markdown":
            result = await bot.send(event, MessageSegment.markdown("**markdown** reply"))
        elif text == "say html":
            result = await bot.send(event, MessageSegment.html("<b>html</b> reply"))
        elif text == "say buttons":
            # The adapter keeps a text beside buttons only as markdown or html after them.
            result = await bot.send(
                event,
                MessageSegment.buttons(common.BUTTONS) + MessageSegment.markdown(common.BUTTONS_TEXT),
            )
        elif text == "say text and image":
            # Text beside an image: the adapter uploads the image and sends markdown with the
            # Yunhu CDN URL it builds from the key (https://chat-img.jwznb.com/<key>.png).
            result = await bot.send(event, "look " + MessageSegment.image(raw=common.PNG))
        elif message.contentType == "image":
            # What echo plugins do: send the received message back as it is.
            text = "image"
            result = await bot.send(event, event.get_message())
        elif text in ("call wrong method", "call unknown path"):
            api, method = ("bot/send", "GET") if text == "call wrong method" else ("bot/nothing", "POST")
            try:
                await bot.call_api(api, method=method, json={})
                common.record("api_error", what=text, type=None)
            except Exception as e:
                common.record("api_error", what=text, type=type(e).__name__, error=str(e))
            return
        else:
            return
        common.record("sent", what=text, code=result.code, msg=result.msg)
    except Exception as e:
        common.record("sent", what=text, code=None, error=f"{type(e).__name__}: {e}")


notices = on_notice(priority=5, block=True)


@notices.handle()
async def on_any_notice(event):
    data = event.event
    if isinstance(event, BotFollowedNoticeEvent):
        common.record("follow", user=data.userId, nickname=data.nickname)
    elif isinstance(event, GroupJoinNoticeEvent):
        common.record("join", user=data.userId, group=data.chatId)
    elif isinstance(event, ButtonReportNoticeEvent):
        common.record("click", user=data.userId, value=data.value, msg_id=data.msgId)
    elif isinstance(event, TipNoticeEvent):
        common.record("tip", content=data.content, group=data.chatId, event=repr(data))
    else:
        common.record("notice", event_type=event.header.eventType)


nonebot.run()
