"""Shared by the real-client scripts of the conformance suite (crates/cli/tests/real_clients.rs).

Each script runs one real Yunhu client against a `cloudlake serve` on loopback, configured from
the environment the harness sets:

    CLOUDLAKE_BASE   http://127.0.0.1:PORT (the server)
    BOT_ID, BOT_TOKEN
    HOOK_PORT        where a webhook client listens (127.0.0.1)

and reports on stdout, one JSON object a line, what the client's OWN handlers received
(`record(...)`), so the Rust side asserts what the client saw, not what cloudlake sent.
The scripts react to fixed trigger texts by replying through the client's own send API:

    "say text" / "say markdown" / "say html" / "say buttons"   a reply of that kind
    an image message                                           the same image sent back
"""

import importlib.metadata
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BASE = os.environ["CLOUDLAKE_BASE"]
BOT_ID = os.environ["BOT_ID"]
BOT_TOKEN = os.environ["BOT_TOKEN"]
HOOK_PORT = int(os.environ.get("HOOK_PORT", "0"))

# The replies each trigger asks for: (content type, text). The Rust side checks history for them.
REPLIES = {
    "say text": ("text", "text reply"),
    "say markdown": ("markdown", "**markdown** reply"),
    "say html": ("html", "<b>html</b> reply"),
}
BUTTONS_TEXT = "pick one"
# The bot's commands (the harness adds them with `cloudlake admin bot add-command`): normal,
# direct, and normal with a preset text.
COMMANDS = ["weather", "ping", "forecast"]
BUTTONS = [[{"text": "Tea", "actionType": 3, "value": "tea"}]]

# A 5x4 PNG (its header: all an image probe reads), for clients that upload an image themselves.
PNG = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR" + bytes([0, 0, 0, 5, 0, 0, 0, 4, 8, 6, 0, 0, 0, 0, 0, 0, 0])

_lock = threading.Lock()


def record(kind, **fields):
    """Reports one thing a handler of the client received (or did) as a JSON line."""
    with _lock:
        sys.stdout.write(json.dumps({"kind": kind, **fields}, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def ready(distribution):
    """Reports that the client listens, with the installed version of its distribution."""
    record("ready", client=distribution, version=importlib.metadata.version(distribution))


def image_key_of(image_name):
    """The upload key in an event's `imageName` (`<key>.<ext>`), as nonebot derives it."""
    return image_name.rsplit(".", 1)[0]


def serve_webhook(on_event):
    """Serves webhooks on 127.0.0.1:HOOK_PORT in a thread, calling `on_event(body_dict)` for each
    POST (answering 200 first, as Yunhu's clients do). Returns the server."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            try:
                on_event(json.loads(body))
            except Exception as e:  # a handler failure is a finding, not a crash
                record("error", where="webhook handler", error=repr(e))

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", HOOK_PORT), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
