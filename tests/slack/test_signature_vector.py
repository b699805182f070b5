"""Slack's request signature checked against Slack's own documented example, not against our code.

The rest of the suite signs requests with our ``compute_signature``, so a wrong algorithm used
both to sign and to check would pass there. This vector comes from Slack's "Verifying requests
from Slack" page; the expected value was confirmed independently with
``slack_sdk.signature.SignatureVerifier.generate_signature`` and with
``printf 'v0:1531420618:<body>' | openssl dgst -sha256 -hmac 8f742231b10e8888abcd99yyyzzz85a5``.
"""

from __future__ import annotations

import types

import pytest

# The one import of the slack package: the module that verifies (its ``time`` is patched below).
from slack.incoming import signature

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TIMESTAMP = "1531420618"
BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554"
    b"%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
EXPECTED = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
VECTOR_TIME = float(TIMESTAMP)
REPLAY_WINDOW = 5 * 60


def verify(*, sig: str = EXPECTED, timestamp: str = TIMESTAMP, now: float = VECTOR_TIME) -> bool:
    return signature.verify_signature(
        secret=SECRET, body=BODY, timestamp=timestamp, signature=sig, now=now
    )


def flip(hex_digit: str) -> str:
    return "0" if hex_digit != "0" else "1"


def test_slacks_documented_example_is_accepted_at_its_time():
    assert verify()


@pytest.mark.parametrize("position", [len("v0="), len(EXPECTED) - 1], ids=["first", "last"])
def test_one_flipped_hex_digit_is_refused(position):
    tampered = EXPECTED[:position] + flip(EXPECTED[position]) + EXPECTED[position + 1 :]
    assert tampered != EXPECTED

    assert not verify(sig=tampered)


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        pytest.param(-REPLAY_WINDOW, True, id="signed-5-minutes-before-now"),
        pytest.param(REPLAY_WINDOW, True, id="signed-5-minutes-after-now"),
        pytest.param(-REPLAY_WINDOW - 1, False, id="signed-5-minutes-1-second-before-now"),
        pytest.param(REPLAY_WINDOW + 1, False, id="signed-5-minutes-1-second-after-now"),
    ],
)
def test_the_replay_window_is_five_minutes_either_way(offset, accepted):
    # The vector's own timestamp and signature, checked by a clock that far away from it.
    assert verify(now=VECTOR_TIME - offset) is accepted


def post_the_vector(client):
    return client.generic(
        "POST",
        "/slack/slash_command",
        BODY,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_SLACK_REQUEST_TIMESTAMP=TIMESTAMP,
        HTTP_X_SLACK_SIGNATURE=EXPECTED,
    )


@pytest.fixture
def vector_secret(settings):
    settings.SLACK_SIGNING_SECRET = SECRET


@pytest.mark.django_db
def test_the_slash_command_endpoint_accepts_the_vector_at_its_time(
    client, vector_secret, monkeypatch
):
    monkeypatch.setattr(signature, "time", types.SimpleNamespace(time=lambda: VECTOR_TIME))

    response = post_the_vector(client)

    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_the_slash_command_endpoint_refuses_the_vector_today(client, vector_secret):
    # The same request, now years stale: what made the request above pass was the clock alone.
    assert post_the_vector(client).status_code == 403
