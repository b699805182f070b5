"""The answer to ``@incident escalate``: the teams that can be paged, a button each."""

from __future__ import annotations

from slack import ids
from slack.blocks import escape, mrkdwn, plain


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
                    "action_id": ids.PAGE_TEAM,
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
