"""No Slack call inside a handler's transaction.

An atomic handler (``slack.registry.Context``) commits what it writes together with the jobs it
defers: a retried delivery then does everything once. A Slack call made inside that transaction
would escape it: repeated on every retry, and done even when the transaction rolls back. So the
dispatcher runs atomic handlers under :func:`slack_calls_forbidden`, and the client refuses every
call made there with :class:`SlackCallInTransaction`, which names the handler and the fix.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

_forbidden_in: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "slack_calls_forbidden_in", default=None
)


class SlackCallInTransaction(RuntimeError):
    """A Slack call was made by a handler that runs inside a transaction."""


@contextlib.contextmanager
def slack_calls_forbidden(handler: str) -> Iterator[None]:
    """Inside the block, any Slack Web API call raises ``SlackCallInTransaction``."""
    token = _forbidden_in.set(handler)
    try:
        yield
    finally:
        _forbidden_in.reset(token)


def check_slack_call_allowed(method: str) -> None:
    """Raise if the code running now may not call Slack (the client calls this first)."""
    handler = _forbidden_in.get()
    if handler is not None:
        raise SlackCallInTransaction(
            f"{method} was called by {handler}, which runs inside a transaction (atomic=True): "
            "defer the Slack work as a job (post_in_channel, react, a @job of its own), or "
            "declare the handler atomic=False."
        )
