"""**Mark done** on a follow-up in the overdue DM (SPEC §16)."""

from __future__ import annotations

from core import selectors, services
from core.models import ActionStatus
from slack.delivery.outbox import tell_user
from slack.flows.postmortem import blocks, ids
from slack.flows.postmortem.jobs import redraw_overdue_dm
from slack.incoming.parsing import ActionContext
from slack.registry import action_handler


@action_handler(ids.MARK_DONE)
def mark_done(context: ActionContext) -> None:
    """Runs in the worker, atomic: the follow-up is done and the DM's redraw promised together.

    Only an open follow-up becomes done; one marked won't do meanwhile stays so. Either way the
    DM is redrawn to show it as it is.
    """
    value = blocks.read_mark_done_value(context.value)
    action = selectors.action_list().filter(pk=value[1]).first() if value else None
    if value is None or action is None:
        tell_user.defer(
            channel_id=context.channel_id,
            user_id=context.user_id,
            text=blocks.follow_up_gone(context.value),
        )
        return
    if action.status == ActionStatus.OPEN:
        services.action_update(action=action, status=ActionStatus.DONE)
    redraw_overdue_dm.defer(
        digest_id=value[0], channel_id=context.channel_id, ts=context.message_ts
    )
