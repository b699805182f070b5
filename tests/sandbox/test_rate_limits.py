"""Slack's rate limits in the sandbox, through real HTTP with ``slack_sdk``: off by default; on,
per-method tiers and the per-channel posting rate, answered 429 with ``Retry-After``.

The sandbox's clock is stopped (``StoppedClock``), so no bucket refills while a test makes its
calls, however slow the machine; the test moves it on to let calls through again.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.config import Config
from sandbox.rate_limits import POST_BURST, TIER_PER_MINUTE
from sandbox.server import Sandbox


class StoppedClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(sandbox: Sandbox) -> StoppedClock:
    stopped = StoppedClock()
    sandbox.rate_limits.clock = stopped
    return stopped


@pytest.fixture
def limited(sandbox: Sandbox, clock: StoppedClock) -> Sandbox:
    control(sandbox, "/sandbox/rate_limits", {"enabled": True})
    return sandbox


def control(sandbox: Sandbox, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (loopback)
        sandbox.config.public_url + path, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
        return json.loads(answer.read())


def refused(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


def post(web: WebClient, channel: str = "C0INCIDENTS"):
    return lambda: web.chat_postMessage(channel=channel, text="update")


def test_limits_are_off_by_default(web, sandbox, clock):
    assert control(sandbox, "/sandbox/rate_limits") == {"enabled": False}
    for _ in range(POST_BURST * 3):
        assert web.chat_postMessage(channel="C0INCIDENTS", text="update")["ok"]


def test_the_environment_turns_them_on():
    environment = {"SLACK_SIGNING_SECRET": "s", "SANDBOX_RATE_LIMITS": "1"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        assert Config.from_environment().rate_limits is True
        patch.setenv("SANDBOX_RATE_LIMITS", "")
        assert Config.from_environment().rate_limits is False


def test_posts_to_one_channel_are_limited_to_a_short_burst_then_one_a_second(web, limited, clock):
    for _ in range(POST_BURST):
        assert post(web)()["ok"]
    error = refused(post(web))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "1"
    assert error.response["error"] == "ratelimited"

    # Another channel has a limit of its own.
    assert post(web, "C0GENERAL")()["ok"]

    clock.now += 1  # one more post a second
    assert post(web)()["ok"]
    assert refused(post(web)).response.status_code == 429


def test_a_refused_call_does_nothing_and_is_logged_as_429(web, limited, clock):
    for _ in range(POST_BURST + 1):
        with contextlib.suppress(SlackApiError):
            post(web)()
    # The channel holds only what was let through.
    messages = control(limited, "/sandbox/channels/C0INCIDENTS/messages")
    assert [m["text"] for m in messages].count("update") == POST_BURST
    statuses = [call["status"] for call in limited.call_log("chat.postMessage")]
    assert statuses == [200] * POST_BURST + [429]


@pytest.mark.parametrize(
    ("tier", "call"),
    [
        (2, lambda web: web.conversations_list()),
        (3, lambda web: web.conversations_info(channel="C0INCIDENTS")),
        (4, lambda web: web.users_info(user="U0BOB")),
    ],
    ids=["conversations.list", "conversations.info", "users.info"],
)
def test_other_methods_follow_their_tier(web, limited, clock, tier, call):
    per_minute = TIER_PER_MINUTE[tier]
    for _ in range(per_minute):
        assert call(web)["ok"]
    error = refused(lambda: call(web))
    assert error.response.status_code == 429
    # One call a minute / per_minute: the next is due that many seconds on, rounded up.
    assert int(error.response.headers["Retry-After"]) == -(-60 // per_minute)
    clock.now += 60 / per_minute
    assert call(web)["ok"]


def test_switching_them_off_lets_every_call_through(web, limited, clock):
    for _ in range(POST_BURST):
        post(web)()
    assert refused(post(web)).response.status_code == 429
    assert control(limited, "/sandbox/rate_limits", {"enabled": False}) == {"enabled": False}
    assert post(web)()["ok"]
