"""Block Kit and texts of the private incident flow. Pure: no settings, no database, no Slack.

What goes where everyone can read it (the central channel, the headline's thread) names the
incident's number and nothing else: no title, summary, impact, severity, people or channel.
The number is needed to ask for access and to talk about the incident; severity is left out
because it says how bad something is that its team chose to keep quiet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack.block_kit import Block, escape, mention, mrkdwn, plain
from slack.flows.private import ids

if TYPE_CHECKING:
    from core.models import AccessRequest, Incident


def private_headline(incident: Incident) -> tuple[str, list[Block]]:
    """``(fallback text, blocks)`` of a private incident's headline: that it was declared, and
    a Request access button. It renders the same whatever happens to the incident."""
    text = f"A private incident was declared (incident {incident.pk})."
    return text, [
        {
            "type": "section",
            "block_id": "private-headline",
            "text": mrkdwn(
                f"🔒 *A private incident was declared* (incident {incident.pk}).\n"
                "Its details are shared only with the people working on it."
            ),
        },
        {
            "type": "actions",
            "block_id": "private-headline-actions",
            "elements": [
                {
                    "type": "button",
                    "text": plain("🔑 Request access"),
                    "action_id": ids.REQUEST_ACCESS,
                    "value": str(incident.pk),
                }
            ],
        },
    ]


def access_request_dm(request: AccessRequest) -> tuple[str, list[Block]]:
    """The DM to the lead: who asks to see which incident, with Approve and Deny."""
    incident = request.incident
    text = (
        f"{mention(request.requester.external_id)} asks to see private incident "
        f"{incident.pk}: {escape(incident.title)}"
    )
    return text, [
        {"type": "section", "text": mrkdwn(f"🔑 {text}")},
        {
            "type": "actions",
            "block_id": f"access-request-{request.pk}",
            "elements": [
                _decision_button("Approve", ids.APPROVE_ACCESS, request, "primary"),
                _decision_button("Deny", ids.DENY_ACCESS, request, "danger"),
            ],
        },
    ]


def _decision_button(text: str, action_id: str, request: AccessRequest, style: str) -> Block:
    return {
        "type": "button",
        "text": plain(text),
        "action_id": action_id,
        "value": str(request.pk),
        "style": style,
    }


def decided_dm(request: AccessRequest) -> tuple[str, list[Block]]:
    """The lead's DM once decided: the buttons give way to the decision."""
    decider = mention(request.decided_by.external_id) if request.decided_by else "Someone"
    text = (
        f"{decider} {request.status} {mention(request.requester.external_id)}'s request to see "
        f"private incident {request.incident_id}."
    )
    return text, [{"type": "section", "text": mrkdwn(f"🔑 {text}")}]


# --- Texts to the person who clicked -----------------------------------------------------------


def asked_lead(incident_id: int) -> str:
    return (
        f"I've asked the lead of incident {incident_id} to let you in. You'll get a message "
        "when they decide."
    )


def still_waiting(incident_id: int) -> str:
    return f"You already asked to see incident {incident_id}; the lead has not decided yet."


def already_in(incident_id: int, document_url: str) -> str:
    return f"You can already see incident {incident_id}: <{document_url}|its document>."


def approved(incident_id: int, document_url: str, channel_id: str | None) -> str:
    channel = f" I've invited you to <#{channel_id}>." if channel_id else ""
    return (
        f"✅ You're in: the lead let you see private incident {incident_id}.{channel} "
        f"Its document: <{document_url}|incident {incident_id}>."
    )


def denied(incident_id: int) -> str:
    return f"The lead of private incident {incident_id} did not let you in."


def no_such_request() -> str:
    return "I couldn't find that request to see an incident; nothing was changed."


def not_private(incident_id: str) -> str:
    return f"Incident {escape(incident_id)} is not a private incident I know of."


def refused(message: str) -> str:
    return f":no_entry: {message}"


def already_decided(message: str) -> str:
    return f"{message} Nothing was changed."


def as_kwargs(rendered: tuple[str, list[Block]]) -> dict[str, Any]:
    text, blocks = rendered
    return {"text": text, "blocks": blocks}
