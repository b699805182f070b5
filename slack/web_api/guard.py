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
from collections.abc import Callable, Iterator

# What is running, described only when a call is refused: describing a function reads its
# source file, far too slow to do for every handler run.
Describe = Callable[[], str]

_forbidden_in: contextvars.ContextVar[Describe | None] = contextvars.ContextVar(
    "slack_calls_forbidden_in", default=None
)


class SlackCallInTransaction(RuntimeError):
    """A Slack call was made by a handler that runs inside a transaction."""


@contextlib.contextmanager
def slack_calls_forbidden(handler: Describe) -> Iterator[None]:
    """Inside the block, any Slack Web API call raises ``SlackCallInTransaction``, naming
    ``handler()``."""
    token = _forbidden_in.set(handler)
    try:
        yield
    finally:
        _forbidden_in.reset(token)


def check_slack_call_allowed(method: str) -> None:
    """Raise if the code running now may not call Slack (the client calls this first)."""
    describe = _forbidden_in.get()
    if describe is not None:
        raise SlackCallInTransaction(
            f"{method} was called by {describe()}, which runs inside a transaction (atomic=True): "
            "defer the Slack work as a job (post_in_channel, react, a @job of its own), or "
            "declare the handler atomic=False."
        )
