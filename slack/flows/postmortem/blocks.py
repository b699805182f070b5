"""What the postmortem flow says in Slack. Pure builders: no settings, database or Slack."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.models import PostmortemStatus
from slack.block_kit import Block, date_token, escape, mrkdwn, plain, postmortem_url
from slack.flows.postmortem import ids

# What a postmortem asks of the channel in each state.
ASK_BY_STATUS = {
    PostmortemStatus.DRAFT: "is a *draft*: write it together while it is fresh",
    PostmortemStatus.IN_REVIEW: "is *in review*: read it and say what is missing",
    PostmortemStatus.PUBLISHED: "is *published*: what the team learnt, for everyone to read",
}


def _follow_ups(count: int) -> str:
    return f"{count} follow-up{'' if count == 1 else 's'}"


def postmortem_link(
    *, incident_id: int, status: str, untriaged: int, overdue: int, site_url: str
) -> str:
    """The answer to ``@incident postmortem``: the link, its state, and what holds it up."""
    url = postmortem_url(incident_id, site_url)
    lines = [f":memo: <{url}|The postmortem of incident {incident_id}> {ASK_BY_STATUS[status]}."]
    if untriaged and status != PostmortemStatus.PUBLISHED:
        lines.append(
            f"{_follow_ups(untriaged)} still need{'s' if untriaged == 1 else ''} an owner and a "
            "due date (or to be marked won't do) before it can be published."
        )
    if overdue:
        lines.append(f":alarm_clock: {_follow_ups(overdue)} overdue.")
    return "\n".join(lines)


# --- The daily overdue DM ---------------------------------------------------------------------

# Slack allows 50 blocks a message: the heading, one section per follow-up, and a closing line.
MAX_LISTED = 40
# A follow-up's text as the DM quotes it; the postmortem holds the rest.
MAX_DETAILS_CHARS = 300


@dataclass(frozen=True)
class OverdueItem:
    """One follow-up as the DM lists it."""

    action_id: int
    details: str
    incident_id: int
    incident_title: str
    due_at: dt.datetime
    priority: str
    # "done" or "won't do" once it is no longer open (redrawn after a click); "" while open.
    settled: str = ""


def mark_done_value(digest_id: int, action_id: int) -> str:
    """The button's value: which DM (to redraw it) and which follow-up."""
    return f"{digest_id}:{action_id}"


def read_mark_done_value(value: str) -> tuple[int, int] | None:
    digest, _, action = value.partition(":")
    if not (digest.isdigit() and action.isdigit()):
        return None
    return int(digest), int(action)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAILS_CHARS else text[: MAX_DETAILS_CHARS - 1] + "…"


def _item_block(item: OverdueItem, digest_id: int, site_url: str) -> Block:
    url = f"{postmortem_url(item.incident_id, site_url)}#action-{item.action_id}"
    facts = [
        f"Incident {item.incident_id}, {escape(item.incident_title)}",
        f"due {date_token(item.due_at)}",
    ]
    if item.priority:
        facts.append(f"priority {item.priority}")
    block: Block = {
        "type": "section",
        "block_id": f"follow-up-{item.action_id}",
        "text": mrkdwn(f"*<{url}|{escape(_short(item.details))}>*\n{' · '.join(facts)}"),
    }
    if item.settled:
        block["text"]["text"] += f"\n:white_check_mark: {item.settled.capitalize()}"
    else:
        block["accessory"] = {
            "type": "button",
            "action_id": ids.MARK_DONE,
            "text": plain("Mark done"),
            "value": mark_done_value(digest_id, item.action_id),
        }
    return block


def overdue_dm(
    *, digest_id: int, items: list[OverdueItem], site_url: str
) -> tuple[str, list[Block]]:
    """(text, blocks) of the DM listing an owner's overdue follow-ups, each with **Mark done**
    until it is done."""
    open_count = sum(not item.settled for item in items)
    heading = (
        f":alarm_clock: {_follow_ups(open_count)} you own "
        f"{'is' if open_count == 1 else 'are'} past due."
        if open_count
        else ":white_check_mark: Nothing in this list is left open. Thank you!"
    )
    listed = items[:MAX_LISTED]
    blocks: list[Block] = [
        {"type": "section", "text": mrkdwn(f"*{heading}*")},
        *(_item_block(item, digest_id, site_url) for item in listed),
    ]
    more = len(items) - len(listed)
    hint = "Mark each done here once it is, or change its owner or due date on its postmortem."
    if more:
        hint = f"And {more} more, on their postmortems. {hint}"
    blocks.append({"type": "context", "elements": [mrkdwn(hint)]})
    return heading, blocks


def follow_up_gone(value: str) -> str:
    return f"I can't find that follow-up ({escape(value)}) any more: it may have been removed."
