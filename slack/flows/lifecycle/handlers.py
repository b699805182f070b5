"""The Status menu on the headline (SPEC §14): a choice moves the status, as the command would.

It lists only the moves a click can make (``blocks.menu_moves``); a choice the incident can no
longer take (someone moved it meanwhile, from an older rendering of the headline) is refused to
the person who chose it, naming the allowed moves. Choosing resolved is closing: the same
service sends the same ``incident_closed`` signal, so the notice and the report DM follow.
"""

from __future__ import annotations

from core import selectors, services
from slack.delivery.outbox import tell_user
from slack.flows.commands.replies import bot
from slack.flows.headline.blocks import incident_not_found
from slack.flows.headline.buttons import clicker_may_see
from slack.flows.lifecycle import blocks, ids
from slack.incoming.parsing import ActionContext
from slack.registry import action_handler
from slack.users import user_for


@action_handler(ids.STATUS_MENU)
def choose_status(context: ActionContext) -> None:
    """Runs in the worker, atomic: the move and what it promises commit together."""
    chosen = blocks.read_menu_value(context.value)
    incident = (
        selectors.incident_list().filter(pk=chosen[0]).first() if chosen is not None else None
    )
    if incident is not None and not clicker_may_see(incident, context.user_id):
        incident = None
    if chosen is None or incident is None:
        _tell(context, incident_not_found(context.value))
        return
    try:
        services.incident_status_set(
            incident=incident, status=chosen[1], actor=user_for(context.user_id)
        )
    except services.TransitionRefused as refused:
        _tell(context, blocks.menu_refused(refused.message, bot()))


def _tell(context: ActionContext, text: str) -> None:
    tell_user.defer(channel_id=context.channel_id, user_id=context.user_id, text=text)
