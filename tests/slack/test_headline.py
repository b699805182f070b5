"""The headline post: what it shows, one post per incident, and coalesced updates (SPEC §6.3)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from core import services
from core.models import ExternalUser, Incident, Severity
from slack.delivery.outbox import post_in_channel
from slack.flows.headline import ids
from slack.flows.headline.blocks import headline_blocks
from slack.flows.headline.jobs import post_headline, schedule_headline_update, update_headline
from slack.models import CommsChannel, HeadlinePost

SITE = "https://response.example.com"


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def shown(blocks: list[dict[str, Any]]) -> str:
    """Everything the blocks say, as one string."""
    return json.dumps(blocks, ensure_ascii=False)


def an_incident(**fields: Any) -> Incident:
    """An unsaved incident: rendering needs no database."""
    defaults: dict[str, Any] = {
        "pk": 12,
        "title": "Payments are failing",
        "reporter": ExternalUser(external_id="U0ALICE"),
        "start_time": dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
    }
    return Incident(**{**defaults, **fields})


# --- Rendering (pure) ----------------------------------------------------------------------------


def test_a_live_incident_shows_its_facts_and_three_buttons():
    incident = an_incident(lead=ExternalUser(external_id="U0LEAD"), severity=Severity.CRITICAL)

    text, blocks = headline_blocks(incident, site_url=SITE)

    assert blocks[0]["text"]["text"] == "*Payments are failing*"
    everything = shown(blocks)
    for expected in (
        "*Reporter:* <@U0ALICE>",
        "*Lead:* <@U0LEAD>",
        "🔥 *Status:* Live",
        "⛈️ *Severity:* Critical",
        f"<{SITE}/incident/12/|Incident 12>",
    ):
        assert expected in everything
    assert [(b["action_id"], b["value"]) for b in buttons(blocks)] == [
        (ids.CREATE_COMMS_CHANNEL, "12"),
        (ids.EDIT_INCIDENT, "12"),
        (ids.CLOSE_INCIDENT, "12"),
    ]
    close = buttons(blocks)[2]
    assert {"title", "text", "confirm", "deny"} <= set(close["confirm"])
    assert text == "Incident 12, reported by <@U0ALICE>, is live: Payments are failing"


def test_unset_lead_and_severity_say_so():
    _, blocks = headline_blocks(an_incident(), site_url=SITE)

    assert "*Lead:* not set" in shown(blocks)
    assert "☁️ *Severity:* not set" in shown(blocks)


def test_a_comms_channel_is_linked_and_its_button_hidden():
    comms = CommsChannel(channel_id="C0COMMS", name="inc-12-payments")

    _, blocks = headline_blocks(an_incident(), comms_channel=comms, site_url=SITE)

    assert "<#C0COMMS>" in shown(blocks)
    assert [b["action_id"] for b in buttons(blocks)] == [ids.EDIT_INCIDENT, ids.CLOSE_INCIDENT]


def test_a_resolved_incident_has_no_buttons():
    incident = an_incident(end_time=dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))

    text, blocks = headline_blocks(incident, site_url=SITE)

    assert buttons(blocks) == []
    assert "💧 *Status:* Resolved" in shown(blocks)
    assert "is resolved" in text


def test_user_text_cannot_ping_or_link():
    _, blocks = headline_blocks(an_incident(title="<!channel> & <http://x|y>"), site_url=SITE)

    assert blocks[0]["text"]["text"] == "*&lt;!channel&gt; &amp; &lt;http://x|y&gt;*"


def test_a_block_gets_a_new_id_when_its_content_changes_and_keeps_it_otherwise():
    # Slack clients may keep showing a block whose id they already know (SPEC §6.3, chat.update).
    incident = an_incident(severity=Severity.MINOR)
    _, before = headline_blocks(incident, site_url=SITE)
    incident.severity = Severity.CRITICAL
    _, after = headline_blocks(incident, site_url=SITE)

    ids_before = [b["block_id"] for b in before]
    ids_after = [b["block_id"] for b in after]
    assert ids_after[0] == ids_before[0]  # the title
    assert ids_after[1] != ids_before[1]  # the facts, severity among them
    assert ids_after[2:] == ids_before[2:]  # the links and the buttons
    assert ids_after[0].startswith("title-") and ids_after[1].startswith("facts-")
    assert [b["action_id"] for b in buttons(after)] == [b["action_id"] for b in buttons(before)]
    assert len(set(ids_after)) == len(ids_after)
    assert all(len(block_id) <= 255 for block_id in ids_after)


# --- Posting and updating ------------------------------------------------------------------------


def declare(**fields: Any) -> Incident:
    return services.incident_declare(
        title="Payments are failing",
        reporter=services.external_user_get_or_create(external_id="U0ALICE"),
        **fields,
    )


def test_several_changes_make_one_update_showing_the_latest_values(fake_slack, jobs):
    incident = declare()
    jobs()
    lead = services.external_user_get_or_create(external_id="U0LEAD")

    services.incident_update(incident=incident, title="Card payments are failing")
    services.incident_update(incident=incident, severity=Severity.MAJOR)
    services.incident_update(incident=incident, lead=lead, summary="502s from the gateway")

    assert ProcrastinateJob.objects.filter(task_name="slack.update_headline").count() == 1
    jobs()
    [update] = fake_slack.calls("chat.update")
    headline = HeadlinePost.objects.get(incident=incident)
    assert (update.params["channel"], update.params["ts"]) == ("C0INCIDENTS", headline.ts)
    everything = shown(update.params["blocks"])
    assert "*Card payments are failing*" in everything
    assert "🌧️ *Severity:* Major" in everything
    assert "*Lead:* <@U0LEAD>" in everything
    assert "Card payments are failing" in update.params["text"]


def test_changes_in_one_transaction_commit_together_with_one_update(fake_slack, jobs):
    incident = declare()
    jobs()

    with transaction.atomic():
        services.incident_update(incident=incident, title="Card payments are failing")
        services.incident_update(incident=incident, severity=Severity.MAJOR)

    incident.refresh_from_db()
    assert (incident.title, incident.severity) == ("Card payments are failing", Severity.MAJOR)
    jobs()
    assert len(fake_slack.calls("chat.update")) == 1


def test_a_change_after_the_update_ran_gets_an_update_of_its_own(fake_slack, jobs):
    incident = declare()
    jobs()
    services.incident_update(incident=incident, severity=Severity.MINOR)
    jobs()

    services.incident_update(incident=incident, severity=Severity.TRIVIAL)
    jobs()

    updates = fake_slack.calls("chat.update")
    assert len(updates) == 2
    assert "Trivial" in shown(updates[1].params["blocks"])


# Job functions called directly need transactional_db: like the worker, they close the database
# connection when they end, which a test wrapped in a transaction would not survive.
def test_the_post_job_run_again_after_a_crash_does_not_post_twice(fake_slack, transactional_db):
    incident = declare()

    post_headline(incident_id=incident.pk)
    post_headline(incident_id=incident.pk)

    assert len(fake_slack.calls("chat.postMessage")) == 1
    assert HeadlinePost.objects.filter(incident=incident).count() == 1


def test_an_update_before_the_headline_exists_does_nothing(fake_slack, transactional_db):
    incident = declare()

    update_headline(incident_id=incident.pk)

    assert fake_slack.calls() == []


def test_the_first_post_shows_changes_made_before_it_ran(fake_slack, jobs):
    incident = declare()
    services.incident_update(incident=incident, title="Card payments are failing")

    jobs()

    [post] = fake_slack.calls("chat.postMessage")
    assert "*Card payments are failing*" in shown(post.params["blocks"])
    # The update queued behind the post finds it and re-renders: no stale headline either way.
    assert all(
        "Card payments" in shown(c.params["blocks"]) for c in fake_slack.calls("chat.update")
    )


def test_a_failed_update_is_tried_again_later_not_lost(fake_slack, jobs):
    incident = declare()
    jobs()
    fake_slack.queue_error("chat.update", "fatal_error")

    services.incident_update(incident=incident, severity=Severity.MAJOR)
    jobs()

    waiting = ProcrastinateJob.objects.get(task_name="slack.update_headline", status="todo")
    assert waiting.args == {"incident_id": incident.pk, "attempt": 2}
    assert waiting.scheduled_at > timezone.now()


def test_an_update_during_a_retry_wait_joins_it(fake_slack, jobs):
    incident = declare()
    jobs()
    fake_slack.queue_error("chat.update", "fatal_error")
    services.incident_update(incident=incident, severity=Severity.MAJOR)
    jobs()

    schedule_headline_update(incident.pk)  # must not raise, nor queue a second update

    assert (
        ProcrastinateJob.objects.filter(task_name="slack.update_headline", status="todo").count()
        == 1
    )


@pytest.mark.parametrize("error", ["message_not_found", "channel_not_found"])
def test_an_update_slack_refuses_for_good_is_not_retried(fake_slack, jobs, error):
    incident = declare()
    jobs()
    fake_slack.queue_error("chat.update", error)

    services.incident_update(incident=incident, severity=Severity.MAJOR)
    jobs()

    assert len(fake_slack.calls("chat.update")) == 1
    assert not ProcrastinateJob.objects.filter(status="todo").exists()


def test_the_headline_goes_ahead_of_a_backlog_of_other_posts(fake_slack, jobs):
    with transaction.atomic():
        for number in range(5):
            post_in_channel("C0BUSY", f"reply {number}")
    declare()

    jobs()

    first = fake_slack.calls("chat.postMessage")[0]
    assert first.params["channel"] != "C0BUSY"
    assert "Payments are failing" in shown(first.params["blocks"])
