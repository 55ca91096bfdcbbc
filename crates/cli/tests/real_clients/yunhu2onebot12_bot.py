"""yunhu2onebot12 (PyPI): its `Converter` turns each Yunhu webhook into a OneBot 12 event, and
the handlers here read only the OneBot 12 event it produced (never `yunhu_raw`). It converts
events and has no send API, so the reply scenarios do not apply to it."""

import threading

from yunhu2onebot12 import Converter

import common

converter = Converter()


def on_webhook(body):
    event = converter.convert(body, common.BOT_ID)
    if event is None:
        common.record("unconverted", event_type=body.get("header", {}).get("eventType"))
        return
    kind = (event["type"], event["detail_type"])
    if event["type"] == "message" and "yunhu_command" in event:
        command = event["yunhu_command"]
        common.record("command", name=command["name"], args=command["args"], sender=event["user_id"])
    elif event["type"] == "message":
        segments = event["message"]
        common.record(
            "message",
            chat_type=event["detail_type"],
            chat_id=event.get("group_id"),
            sender=event["user_id"],
            content_type=segments[0]["type"] if segments else None,
            text=event["alt_message"],
            msg_id=event["message_id"],
        )
    elif kind == ("notice", "friend_increase"):
        common.record("follow", user=event["user_id"], nickname=event["user_nickname"])
    elif kind == ("notice", "group_member_increase"):
        common.record("join", user=event["user_id"], group=event["group_id"])
    elif kind == ("notice", "yunhu_button_click"):
        common.record(
            "click",
            user=event["user_id"],
            value=event["yunhu_button"]["value"],
            msg_id=event["message_id"],
        )
    elif kind == ("notice", "yunhu_bot_setting"):
        common.record("setting", group=event["group_id"], setting=event["yunhu_setting"])
    else:
        common.record("other", type=event["type"], detail_type=event["detail_type"])


common.serve_webhook(on_webhook)
common.ready("yunhu2onebot12")
threading.Event().wait()  # until the harness kills the process
