"""The official Python SDK (PyPI `yunhu`): its `Subscription` dispatches webhooks to handlers,
its `Openapi` (base URL pointed at cloudlake, the one change a Yunhu bot makes) replies."""

import threading

from yunhu.openapi import Openapi
from yunhu.subscription import Subscription

import common

openapi = Openapi(common.BOT_TOKEN)
openapi.baseUrl = common.BASE + "/open-apis/v1"
sub = Subscription()


def target(event):
    """Where to answer a message event: the group, or the user in a private chat."""
    chat = event["chat"]
    if chat["chatType"] == "group":
        return chat["chatId"], "group"
    return event["sender"]["senderId"], "user"


def answered(response):
    """The bot API's answer to a send, as the SDK returns it (a `requests.Response`)."""
    body = response.json()
    return {"status": response.status_code, "code": body.get("code"), "msg": body.get("msg")}


@sub.onMessageNormal
def on_message(event):
    message = event["message"]
    content = message["content"]
    common.record(
        "message",
        chat_type=event["chat"]["chatType"],
        chat_id=event["chat"]["chatId"],
        sender=event["sender"]["senderId"],
        content_type=message["contentType"],
        text=content.get("text"),
        at=content.get("at"),
        # The SDK has no notion of "to me": a handler reads the mention list itself.
        to_me=common.BOT_ID in (content.get("at") or []),
        parent_id=message.get("parentId"),
        parent=content.get("parent"),
        msg_id=message["msgId"],
        # The user's shortcut-menu choices for this bot in the chat (wire §7.3), if any.
        menu=content.get("menu"),
    )
    recv_id, recv_type = target(event)
    text = content.get("text")
    if text in common.REPLIES:
        kind, reply = common.REPLIES[text]
        r = openapi.sendMessage(recv_id, recv_type, kind, {"text": reply})
        common.record("sent", what=text, **answered(r))
    elif text == "say buttons":
        r = openapi.sendMessage(
            recv_id, recv_type, "text", {"text": common.BUTTONS_TEXT, "buttons": common.BUTTONS}
        )
        common.record("sent", what=text, **answered(r))
    elif message["contentType"] == "image":
        key = common.image_key_of(content["imageName"])
        r = openapi.sendMessage(recv_id, recv_type, "image", {"imageKey": key})
        common.record("sent", what="image", **answered(r))


@sub.onMessageInstruction
def on_command(event):
    message = event["message"]
    # The SDK hands over the raw event: the argument is the content's text, as Yunhu sends it
    # (`raw`: no library parsed it).
    common.record(
        "command",
        raw=True,
        name=message.get("commandName"),
        command_id=message.get("commandId"),
        args=message["content"].get("text"),
        chat_type=event["chat"]["chatType"],
        sender=event["sender"]["senderId"],
        # A form command (wire §7.4) carries what the user filled in, not text.
        content_type=message["contentType"],
        form=message["content"].get("formJson"),
    )


@sub.onBotFollowed
def on_follow(event):
    common.record("follow", user=event["userId"], nickname=event.get("nickname"))


@sub.onGroupJoin
def on_join(event):
    common.record("join", user=event["userId"], group=event["chatId"])


@sub.onBotShortcutMenuEvent
def on_menu(event):
    # wire §7.8: every field of the sample, sendTime in seconds.
    common.record(
        "menu",
        bot=event["botId"],
        menu_id=event["menuId"],
        menu_type=event["menuType"],
        menu_action=event["menuAction"],
        chat_id=event["chatId"],
        chat_type=event["chatType"],
        sender_type=event["senderType"],
        sender=event["senderId"],
        send_time=event["sendTime"],
    )


@sub.onButtonReportInline
def on_click(event):
    common.record("click", user=event["userId"], value=event["value"], msg_id=event["msgId"])


class Request:
    """What `Subscription.listen` takes: a Flask-like request with `get_json()`."""

    def __init__(self, body):
        self.body = body

    def get_json(self):
        return self.body


common.serve_webhook(lambda body: sub.listen(Request(body)))
common.ready("yunhu")
threading.Event().wait()  # until the harness kills the process
