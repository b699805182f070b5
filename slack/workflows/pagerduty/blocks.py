"""PagerDuty's messages: the answer to ``@incident escalate`` (the teams that can be paged, a
button each) and the Page on-call button it adds to the headline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack.block_kit import Block, escape, mrkdwn, plain

if TYPE_CHECKING:
    from core.models import Incident

# Buttons of the escalation message and of the headline.
PAGE_TEAM = "page-team-button"
PAGE_ON_CALL = "page-on-call-button"


def escalation_message(incident_id: int, teams: list) -> tuple[str, list[dict]]:
    if not teams:
        return "No escalation teams are set up yet: an admin can add them.", []
    blocks: list[dict] = [
        {"type": "section", "text": mrkdwn("*Who do you need?* These teams can be paged:")}
    ]
    for team in teams:
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(f"*{escape(team.name)}*\n{escape(team.summary)}".strip()),
                "accessory": {
                    "type": "button",
                    "text": plain(f"📟 Page {team.name}"[:75]),
                    "action_id": PAGE_TEAM,
                    "value": f"{incident_id}:{team.pk}",
                    "confirm": {
                        "title": plain("Page this team?"),
                        "text": mrkdwn(f"You may be waking someone in *{escape(team.name)}* up."),
                        "confirm": plain("Page them"),
                        "deny": plain("Not now"),
                    },
                },
            }
        )
    return "Teams that can be paged: " + ", ".join(t.name for t in teams), blocks


def page_on_call_button(incident: Incident) -> Block:
    button = {
        "type": "button",
        "text": plain("📟 Page on-call"),
        "action_id": PAGE_ON_CALL,
        "value": str(incident.pk),
    }
    button["confirm"] = {
        "title": plain("Page the on-call engineer?"),
        "text": mrkdwn("This pages whoever is on call through PagerDuty, day or night."),
        "confirm": plain("Page them"),
        "deny": plain("Not now"),
    }
    return button
