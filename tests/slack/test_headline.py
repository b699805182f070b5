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
from core.lifecycle.statuses import STATUS_EMOJI
from core.models import ExternalUser, Incident, Role, RoleAssignment, Severity
from slack.delivery.outbox import post_in_channel
from slack.flows.headline import ids
from slack.flows.headline.blocks import headline_blocks
from slack.flows.headline.jobs import post_headline, schedule_headline_update, update_headline
from slack.flows.lifecycle.ids import STATUS_MENU
from slack.models import CommsChannel, HeadlinePost

SITE = "https://response.example.com"


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def shown(blocks: list[dict[str, Any]]) -> str:
    """Everything the blocks say, as one string."""
    return json.dumps(blocks, ensure_ascii=False)


def an_incident(*, roles: dict[str, str] | None = None, **fields: Any) -> Incident:
    """An unsaved incident: rendering needs no database. ``roles``: role name → Slack id."""
    defaults: dict[str, Any] = {
        "pk": 12,
        "title": "Payments are failing",
        "reporter": ExternalUser(external_id="U0ALICE"),
        "start_time": dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
    }
    incident = Incident(**{**defaults, **fields})
    labels = {"lead": ("Incident lead", 10), "comms": ("Communications lead", 20)}
    # What a prefetch of ``role_assignments`` would have left on the incident.
    incident._prefetched_objects_cache = {
        "role_assignments": [
            RoleAssignment(
                role=Role(name=name, label=labels[name][0], order=labels[name][1]),
                holder=ExternalUser(external_id=holder),
            )
            for name, holder in (roles or {}).items()
        ]
    }
    return incident


# --- Rendering (pure) ----------------------------------------------------------------------------


def test_a_live_incident_shows_its_facts_buttons_and_status_menu():
    incident = an_incident(roles={"lead": "U0LEAD"}, severity=Severity.CRITICAL)

    text, blocks = headline_blocks(incident, site_url=SITE)

    assert blocks[0]["text"]["text"] == "*Payments are failing*"
    everything = shown(blocks)
    for expected in (
        "*Reporter:* <@U0ALICE>",
        "Incident lead: <@U0LEAD>",
        "*Status:* 🔥 Investigating",
        "⛈️ *Severity:* Critical",
        f"<{SITE}/incident/12/|Incident 12>",
    ):
        assert expected in everything
    assert [(b["action_id"], b.get("value")) for b in buttons(blocks)] == [
        (ids.CREATE_COMMS_CHANNEL, "12"),
        (ids.EDIT_INCIDENT, "12"),
        (ids.CLOSE_INCIDENT, "12"),
        (STATUS_MENU, None),
    ]
    close = buttons(blocks)[2]
    assert {"title", "text", "confirm", "deny"} <= set(close["confirm"])
    assert (
        text == "Incident 12, reported by <@U0ALICE>, is being investigated: Payments are failing"
    )


def test_the_status_menu_offers_exactly_the_moves_a_click_can_make():
    # Merging needs the other incident and a reopen a reason: those are typed, not clicked.
    offered = {
        status: [
            o["value"]
            for o in buttons(headline_blocks(an_incident(status=status), site_url=SITE)[1])[-1][
                "options"
            ]
        ]
        for status in ("triage", "investigating", "fixing", "monitoring")
    }

    assert offered == {
        "triage": ["12:investigating", "12:declined"],
        "investigating": ["12:fixing", "12:monitoring", "12:resolved"],
        "fixing": ["12:investigating", "12:monitoring", "12:resolved"],
        "monitoring": ["12:investigating", "12:fixing", "12:resolved"],
    }


def test_every_held_role_is_shown_in_the_roles_order():
    _, blocks = headline_blocks(
        an_incident(roles={"comms": "U0CAROL", "lead": "U0LEAD"}), site_url=SITE
    )

    [roles] = [b for b in blocks if b["block_id"].startswith("roles-")]
    assert roles["text"]["text"] == (
        "👩‍🚒 *Roles:* Incident lead: <@U0LEAD> · Communications lead: <@U0CAROL>"
    )


def test_a_drill_says_so_in_its_title_facts_and_text():
    text, blocks = headline_blocks(an_incident(drill=True), site_url=SITE)

    assert blocks[0]["text"]["text"] == "🧪 *Drill*: *Payments are failing*"
    assert "🧪 *Drill*: a practice run" in shown(blocks[1])
    assert text.startswith("Drill: Incident 12")


def test_unset_lead_and_severity_say_so():
    _, blocks = headline_blocks(an_incident(), site_url=SITE)

    assert "Incident lead: not set" in shown(blocks)
    assert "☁️ *Severity:* not set" in shown(blocks)


def test_a_comms_channel_is_linked_and_its_button_hidden():
    comms = CommsChannel(channel_id="C0COMMS", name="inc-12-payments")

    _, blocks = headline_blocks(an_incident(), comms_channel=comms, site_url=SITE)

    assert "<#C0COMMS>" in shown(blocks)
    assert [b["action_id"] for b in buttons(blocks)] == [
        ids.EDIT_INCIDENT,
        ids.CLOSE_INCIDENT,
        STATUS_MENU,
    ]


@pytest.mark.parametrize("status", ["resolved", "declined"])
def test_an_incident_that_is_over_has_no_buttons(status):
    incident = an_incident(status=status, end_time=dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))

    text, blocks = headline_blocks(incident, site_url=SITE)

    assert buttons(blocks) == []
    assert f"*Status:* {STATUS_EMOJI[status]} {status.capitalize()}" in shown(blocks)
    assert ("is resolved" if status == "resolved" else "was declined") in text


def test_a_report_of_something_over_keeps_only_edit():
    incident = an_incident(
        status="reported", report_only=True, end_time=dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    )

    _, blocks = headline_blocks(incident, site_url=SITE)

    assert [b["action_id"] for b in buttons(blocks)] == [ids.EDIT_INCIDENT]


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
    assert ids_after[2:] == ids_before[2:]  # the roles, the links and the buttons
    assert ids_after[0].startswith("title-") and ids_after[1].startswith("facts-")
    assert [b["action_id"] for b in buttons(after)] == [b["action_id"] for b in buttons(before)]
    assert len(set(ids_after)) == len(ids_after)
    assert all(len(block_id) <= 255 for block_id in ids_after)


def test_a_status_move_gives_the_facts_and_the_menu_new_ids():
    incident = an_incident()
    _, before = headline_blocks(incident, site_url=SITE)
    incident.status = "fixing"
    _, after = headline_blocks(incident, site_url=SITE)

    assert after[1]["block_id"] != before[1]["block_id"]
    assert after[-1]["block_id"] != before[-1]["block_id"]
    assert after[-1]["block_id"].startswith("incident-actions-")


# --- Posting and updating ------------------------------------------------------------------------


def declare(**fields: Any) -> Incident:
    return services.incident_declare(
        **{"title": "Payments are failing", **fields},
        reporter=services.external_user_get_or_create(external_id="U0ALICE"),
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
    assert "Incident lead: <@U0LEAD>" in everything
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


# --- Storms: one publisher for the central channel (SPEC §19) --------------------------------


def test_waiting_headlines_are_posted_most_severe_first_then_oldest(fake_slack, jobs):
    declare(title="Minor first", severity=Severity.MINOR)
    declare(title="Not judged yet")
    declare(title="Critical second", severity=Severity.CRITICAL)
    declare(title="Minor third", severity=Severity.MINOR)

    jobs()

    titles = [p.params["text"].rsplit(": ", 1)[-1] for p in fake_slack.calls("chat.postMessage")]
    assert titles == ["Critical second", "Minor first", "Minor third", "Not judged yet"]


def test_a_rate_limited_headline_waits_in_the_queue_not_in_a_worker(fake_slack, jobs):
    fake_slack.rate_limit("chat.postMessage", retry_after=30, times=5)
    incident = declare()

    jobs()

    # The 429 was not sat out (30 s): the publisher is deferred for when Slack said, and ended.
    waiting = ProcrastinateJob.objects.get(task_name="slack.post_headline", status="todo")
    assert waiting.scheduled_at > timezone.now() + dt.timedelta(seconds=25)
    assert len(fake_slack.calls("chat.postMessage")) == 1
    headline = HeadlinePost.objects.get(incident=incident)
    assert (headline.ts, headline.tried_at) == ("", None)  # nothing posted, nothing to look for


def test_a_rate_limited_update_waits_without_using_up_its_attempts(fake_slack, jobs):
    incident = declare()
    jobs()
    fake_slack.rate_limit("chat.update", retry_after=30, times=5)

    services.incident_update(incident=incident, severity=Severity.MAJOR)
    jobs()

    waiting = ProcrastinateJob.objects.get(task_name="slack.update_headline", status="todo")
    assert waiting.args == {"incident_id": incident.pk, "attempt": 1}
    assert waiting.scheduled_at > timezone.now() + dt.timedelta(seconds=25)


def test_a_change_the_headline_does_not_show_costs_no_update(fake_slack, jobs):
    incident = declare()
    jobs()

    services.incident_update(incident=incident, summary="The card processor times out")
    jobs()
    assert fake_slack.calls("chat.update") == []

    services.incident_update(incident=incident, severity=Severity.MAJOR)
    jobs()
    assert len(fake_slack.calls("chat.update")) == 1
