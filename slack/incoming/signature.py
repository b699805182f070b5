"""Verifying that a request really comes from Slack (SPEC §4, slack-platform.md §1)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

# Slack's replay window: a request older (or newer) than this is refused.
MAX_AGE_SECONDS = 5 * 60


def compute_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The ``v0=…`` value Slack sends for this body and timestamp."""
    basestring = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), basestring, hashlib.sha256).hexdigest()


def verify_signature(
    *,
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: float | None = None,
) -> bool:
    """True when ``signature`` is Slack's signature of ``body`` made within the replay window.

    Never raises: missing headers, a non-numeric timestamp or an empty secret all return False.
    """
    if not secret or not timestamp or not signature:
        return False
    if not timestamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    expected = compute_signature(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, signature)


def verify_headers(*, secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    return verify_signature(
        secret=secret,
        body=body,
        timestamp=headers.get("X-Slack-Request-Timestamp"),
        signature=headers.get("X-Slack-Signature"),
    )
