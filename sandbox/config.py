"""The sandbox's settings, read from the environment once at start."""

from __future__ import annotations

import os
from dataclasses import dataclass

TRUE_WORDS = {"1", "true", "yes", "on"}


def _env(name: str, default: str) -> str:
    # An empty variable means "not set", as it does for Response's own settings.
    return os.environ.get(name) or default


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8999
    response_url: str = "http://127.0.0.1:8000"
    signing_secret: str = "sandbox-signing-secret"  # noqa: S105 (a local stand-in's)
    token: str = "xoxb-sandbox"  # noqa: S105 (Response's default against a sandbox)
    state_file: str = ""
    channel_name: str = "incidents"
    bot_name: str = "incident"
    # Slack's own numbers; tests shorten them.
    ack_timeout: float = 3.0
    retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0)
    trigger_ttl: float = 3.0
    response_url_ttl: float = 30 * 60
    response_url_uses: int = 5
    # Slack's own rate limits (sandbox/rate_limits.py): off, so that trying Response is never
    # slowed; the storm benchmark turns them on.
    rate_limits: bool = False

    @property
    def public_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @classmethod
    def from_environment(cls) -> Config:
        secret = os.environ.get("SLACK_SIGNING_SECRET")
        if not secret:
            raise SystemExit(
                "SLACK_SIGNING_SECRET is required: the sandbox signs what it sends to Response "
                "with the same secret Response verifies with."
            )
        return cls(
            host=_env("SANDBOX_HOST", "127.0.0.1"),
            port=int(_env("SANDBOX_PORT", "8999")),
            response_url=_env("SANDBOX_RESPONSE_URL", "http://127.0.0.1:8000").rstrip("/"),
            signing_secret=secret,
            token=_env("SLACK_TOKEN", "xoxb-sandbox"),
            state_file=_env("SANDBOX_STATE_FILE", ""),
            channel_name=_env("INCIDENT_CHANNEL_NAME", "incidents").lstrip("#"),
            bot_name=_env("INCIDENT_BOT_NAME", "incident"),
            rate_limits=_env("SANDBOX_RATE_LIMITS", "0").strip().lower() in TRUE_WORDS,
        )
