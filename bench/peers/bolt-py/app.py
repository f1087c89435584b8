"""Bolt for Python doing lexi-slack's job, in its most common production setup: the Flask adapter
served by gunicorn's sync workers (`gunicorn -w 3 app:flask_app`; 2 x cores + 1 for the one core
it gets). Bolt's own `app.start()` server is, by its docs, for development only.

On each app_mention: Bolt acks, then runs the listener on its thread pool (process_before_response
is False, the default for a long-running server): ask LeadLex's Lexi (POST /v1/lexi/chat, urllib
like slack_sdk itself), post the answer in the thread (chat.postMessage). Token verification is
left on: each worker calls auth.test once, at start.

bench/run starts it with the environment lexi-bench sets: SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN,
SLACK_API_URL, LEADLEX_API_URL, LEADLEX_API_KEY.
"""

import json
import os
import re
import urllib.request

from flask import Flask, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient

LEADLEX_URL = os.environ["LEADLEX_API_URL"]
LEADLEX_KEY = os.environ["LEADLEX_API_KEY"]
MENTION = re.compile(r"^\s*<@[A-Z0-9]+>\s*")

app = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    token=os.environ["SLACK_BOT_TOKEN"],
    client=WebClient(
        token=os.environ["SLACK_BOT_TOKEN"],
        base_url=os.environ["SLACK_API_URL"] + "/",
    ),
)


@app.event("app_mention")
def answer(event, body, client):
    message = MENTION.sub("", event.get("text", ""))
    req = urllib.request.Request(
        LEADLEX_URL + "/v1/lexi/chat",
        data=json.dumps({"message": message}).encode(),
        method="POST",
        headers={
            "Authorization": "Bearer " + LEADLEX_KEY,
            "Content-Type": "application/json",
            "Idempotency-Key": body["event_id"],
        },
    )
    with urllib.request.urlopen(req, timeout=90) as res:
        data = json.load(res)["data"]
    client.chat_postMessage(
        channel=event["channel"],
        thread_ts=event.get("thread_ts") or event["ts"],
        text=data["response"],
    )


flask_app = Flask(__name__)
handler = SlackRequestHandler(app)


@flask_app.route("/slack/events", methods=["POST"])
def slack_events():
    return handler.handle(request)
