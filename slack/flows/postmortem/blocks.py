"""What the postmortem flow says in Slack. Pure builders: no settings, database or Slack."""

from __future__ import annotations

from core.models import PostmortemStatus
from slack.block_kit import postmortem_url

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
