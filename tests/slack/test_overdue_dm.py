"""The daily overdue DM (SPEC §16): one DM a day per owner of overdue follow-ups, once it is
morning where they are, through ``/slack/cron_minute`` and the worker; **Mark done** through a
signed click. The clock is the test's."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import services
from core.models import Action, ActionPriority, ActionStatus
from slack.flows.postmortem import ids
from slack.flows.postmortem.blocks import MAX_DETAILS_CHARS, OverdueItem, overdue_dm
from slack.flows.postmortem.models import OverdueDigest
from slack.flows.postmortem.sweep import sweep_overdue
from tests.helpers import load_fixture, post_interaction

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in London
CRON = {"HTTP_AUTHORIZATION": "Bearer test-cron-token"}


@pytest.fixture
def clock(monkeypatch):
    """``clock(hours)`` sets every thread's now to that long after T0."""
    now = {"at": T0}
    monkeypatch.setattr(timezone, "now", lambda: now["at"])

    def at(hours: float) -> None:
        now["at"] = T0 + dt.timedelta(hours=hours)

    return at


def person(slack_id: str, *, zone: str = "", deleted: bool = False):
    user = services.external_user_upsert(external_id=slack_id, display_name=slack_id[2:].lower())
    user.time_zone, user.deleted = zone, deleted
    user.save()
    return user


def follow_up(incident, details, owner, *, due_days_ago: float, **fields) -> Action:
    due = T0 - dt.timedelta(days=due_days_ago)
    return services.action_log(
        incident=incident, details=details, owner=owner, due_at=due, **fields
    )


def tick() -> int:
    response = Client().post("/slack/cron_minute", **CRON)
    assert response.status_code == 200
    return response.json()["overdue_dms"]


def dms_to(fake_slack, channel: str) -> list[dict]:
    return [
        c.params for c in fake_slack.calls("chat.postMessage") if c.params["channel"] == channel
    ]


def listed(blocks: list[dict]) -> list[tuple[str, bool]]:
    """(the follow-up's text as linked, whether it has a Mark done button) of each listed one."""
    return [
        (block["text"]["text"].split("|", 1)[1].split(">", 1)[0], "accessory" in block)
        for block in blocks
        if block.get("block_id", "").startswith("follow-up-")
    ]


@pytest.fixture
def fire(transactional_db):
    return services.incident_declare(title="Payments <are> failing", reporter=None)


def test_each_owner_gets_one_dm_a_day_listing_what_is_overdue(clock, fire, fake_slack, jobs):
    bob, carol = person("U0BOB"), person("U0CAROL")
    other = services.incident_declare(title="Search is slow", reporter=None)
    late = follow_up(other, "Alert on *errors*", bob, due_days_ago=1, priority=ActionPriority.HIGH)
    later = follow_up(fire, "Write the <runbook>", bob, due_days_ago=3)
    follow_up(fire, "Not due yet", bob, due_days_ago=-1)
    follow_up(fire, "Already done", bob, due_days_ago=2, status=ActionStatus.DONE)
    follow_up(fire, "Not doing it", bob, due_days_ago=2, status=ActionStatus.WONT_DO)
    follow_up(fire, "Carol's", carol, due_days_ago=1)
    follow_up(fire, "Left the company", person("U0DAVE", deleted=True), due_days_ago=1)
    services.action_log(incident=fire, details="Nobody's", due_at=T0 - dt.timedelta(days=1))

    assert tick() == 2
    jobs()

    [dm] = dms_to(fake_slack, "D0BOB")
    assert dm["text"] == ":alarm_clock: 2 follow-ups you own are past due."
    # Oldest due first, each linked to its place on its postmortem, with a Mark done button.
    assert listed(dm["blocks"]) == [
        ("Write the &lt;runbook&gt;", True),
        ("Alert on *errors*", True),
    ]
    text = json.dumps(dm["blocks"])
    assert f"http://testserver/incident/{fire.pk}/postmortem/#action-{later.pk}" in text
    assert f"Incident {fire.pk}, Payments &lt;are&gt; failing" in text
    assert "priority high" in text
    [button] = [b["accessory"] for b in dm["blocks"] if "accessory" in b][1:]
    digest = OverdueDigest.objects.get(owner=bob)
    assert (button["action_id"], button["value"]) == (ids.MARK_DONE, f"{digest.pk}:{late.pk}")
    assert len(dms_to(fake_slack, "D0CAROL")) == 1
    opened = sorted(c.params["users"] for c in fake_slack.calls("conversations.open"))
    assert opened == ["U0BOB", "U0CAROL"]

    for hours in (0.02, 6, 13.9):  # later the same day: nothing more
        clock(hours)
        assert tick() == 0
    clock(24)  # the next morning, still overdue: the next DM
    assert tick() == 2
    jobs()
    assert len(dms_to(fake_slack, "D0BOB")) == 2


def test_the_dm_waits_for_nine_in_the_morning_where_the_owner_is(clock, fire, fake_slack, jobs):
    follow_up(fire, "West coast", person("U0WEST", zone="America/Los_Angeles"), due_days_ago=1)
    follow_up(fire, "Tokyo", person("U0EAST", zone="Asia/Tokyo"), due_days_ago=1)

    clock(-1.5)  # 08:30 UTC: 17:30 in Tokyo, 00:30 in Los Angeles
    assert tick() == 1
    clock(6.5)  # 16:30 UTC: 08:30 in Los Angeles, 01:30 (the next day) in Tokyo
    assert tick() == 0
    clock(7)  # 17:00 UTC: 09:00 in Los Angeles
    assert tick() == 1
    clock(15)  # 01:00 UTC on the 3rd: still the 2nd in Los Angeles, 10:00 on the 3rd in Tokyo
    assert tick() == 1
    jobs()
    assert [len(dms_to(fake_slack, dm)) for dm in ("D0WEST", "D0EAST")] == [1, 2]
    days = OverdueDigest.objects.values_list("owner__external_id", "day").order_by("day", "id")
    assert list(days) == [
        ("U0EAST", dt.date(2026, 3, 2)),
        ("U0WEST", dt.date(2026, 3, 2)),
        ("U0EAST", dt.date(2026, 3, 3)),
    ]


def test_a_dm_whose_follow_ups_were_done_meanwhile_is_not_sent(clock, fire, fake_slack, jobs):
    action = follow_up(fire, "Done before the worker ran", person("U0BOB"), due_days_ago=1)
    assert tick() == 1
    services.action_update(action=action, status=ActionStatus.DONE)
    jobs()
    assert dms_to(fake_slack, "D0BOB") == []


# --- Mark done ------------------------------------------------------------------------------


def click(value: str, *, channel: str = "D0BOB", ts: str = "1700000500.000200") -> dict:
    payload = copy.deepcopy(load_fixture("overdue_dm_mark_done_click"))
    payload["container"].update(channel_id=channel, message_ts=ts)
    payload["channel"]["id"] = channel
    payload["actions"][0]["value"] = value
    return payload


def test_mark_done_marks_the_follow_up_done_and_redraws_the_dm(
    client, clock, fire, fake_slack, jobs
):
    bob = person("U0BOB")
    first = follow_up(fire, "First", bob, due_days_ago=2)
    second = follow_up(fire, "Second", bob, due_days_ago=1)
    tick()
    jobs()
    [dm] = dms_to(fake_slack, "D0BOB")
    value = next(b["accessory"]["value"] for b in dm["blocks"] if "accessory" in b)
    fake_slack.reset()

    assert post_interaction(client, click(value)).status_code == 200
    assert fake_slack.calls() == []  # the click is answered at once; the rest in the worker
    jobs()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (ActionStatus.DONE, ActionStatus.OPEN)
    assert first.done_at == T0
    [update] = fake_slack.calls("chat.update")
    assert (update.params["channel"], update.params["ts"]) == ("D0BOB", "1700000500.000200")
    assert listed(update.params["blocks"]) == [("First", False), ("Second", True)]
    assert ":white_check_mark: Done" in json.dumps(update.params["blocks"])
    assert update.params["text"] == ":alarm_clock: 1 follow-up you own is past due."

    # Clicking again (an old copy of the message) changes nothing and redraws the same.
    fake_slack.reset()
    again = click(value)
    again["actions"][0]["action_ts"] = "1700000530.000001"
    post_interaction(client, again)
    jobs()
    first.refresh_from_db()
    assert first.status == ActionStatus.DONE and first.done_at == T0
    assert listed(fake_slack.calls("chat.update")[-1].params["blocks"])[0] == ("First", False)


def test_mark_done_leaves_a_wont_do_follow_up_as_it_is(client, clock, fire, fake_slack, jobs):
    action = follow_up(fire, "Maybe", person("U0BOB"), due_days_ago=1)
    tick()
    jobs()
    services.action_update(action=action, status=ActionStatus.WONT_DO)
    digest = OverdueDigest.objects.get()

    post_interaction(client, click(f"{digest.pk}:{action.pk}"))
    jobs()

    action.refresh_from_db()
    assert action.status == ActionStatus.WONT_DO
    [update] = fake_slack.calls("chat.update")
    assert ":white_check_mark: Won't do" in json.dumps(update.params["blocks"])
    assert (
        update.params["text"] == ":white_check_mark: Nothing in this list is left open. Thank you!"
    )


@pytest.mark.parametrize("value", ["nonsense", "1:999999"])
def test_mark_done_of_an_unknown_follow_up_says_so(client, fake_slack, jobs, value):
    post_interaction(client, click(value))
    jobs()
    [note] = fake_slack.calls("chat.postEphemeral")
    assert note.params["user"] == "U0BOB" and "can't find that follow-up" in note.params["text"]
    assert fake_slack.calls("chat.update") == []


def test_a_long_list_stays_within_slacks_fifty_blocks():
    items = [
        OverdueItem(i, "x" * 5000, 1, "Fire", T0, "", settled="done" if i % 2 else "")
        for i in range(120)
    ]
    text, blocks = overdue_dm(digest_id=1, items=items, site_url="http://testserver")
    assert len(blocks) <= 50
    assert text == ":alarm_clock: 60 follow-ups you own are past due."
    assert "And 80 more, on their postmortems." in blocks[-1]["elements"][0]["text"]
    assert all(len(b["text"]["text"]) < MAX_DETAILS_CHARS + 400 for b in blocks[1:-1])


def test_the_sweep_makes_as_many_queries_for_two_owners_as_for_twelve(clock, fire):
    def owners(first: int, count: int) -> None:
        for n in range(first, first + count):
            follow_up(fire, f"Follow-up {n}", person(f"U0P{n:03d}"), due_days_ago=1)

    owners(0, 2)
    with CaptureQueriesContext(connection) as few:
        assert sweep_overdue() == 2
    clock(24)
    owners(2, 10)
    with CaptureQueriesContext(connection) as many:
        assert sweep_overdue() == 12
    assert len(many.captured_queries) == len(few.captured_queries)
