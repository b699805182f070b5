"""The lifecycle from Slack (SPEC §14): statuses, roles and milestones, through signed requests.

Every test talks to Response the way Slack does (signed events and interactions), runs the
worker, and looks at what Slack was asked to do and what the database holds.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import zoneinfo

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from core import selectors, services
from core.models import Incident, Milestone, RoleAssignment, TimelineEvent
from slack.delivery.models import FailedAttempt
from slack.flows.lifecycle.lookup import finish_after_lookup
from tests.helpers import load_fixture, make_retries_due, post_interaction
from tests.slack.channel_helpers import (
    COMMS,
    channel_posts,
    incident_with_channel,
    mention,
    reactions_on,
)
from tests.slack.fake_slack import INCIDENTS_CHANNEL_ID
from tests.slack.slack_history import ChannelHistory

NEW_YORK = "America/New_York"


@pytest.fixture
def incident(transactional_db):
    return incident_with_channel()


def fresh(incident: Incident) -> Incident:
    return selectors.incident_get(incident_id=incident.pk)


def answered(client, fake_slack, jobs, text: str, *, user: str = "U0ALICE") -> tuple[str, str]:
    """Say ``@incident <text>``, run the worker: (the reaction, the last reply in the channel)."""
    before = len(channel_posts(fake_slack))
    envelope = mention(client, text, user=user)
    jobs()
    [reaction] = reactions_on(fake_slack, envelope["event"]["ts"])
    replies = channel_posts(fake_slack)[before:]
    return reaction, (replies[-1] if replies else "")


def status_entries(incident: Incident) -> list[str]:
    return list(
        TimelineEvent.objects.filter(incident=incident, metadata__field="status")
        .order_by("time", "id")
        .values_list("text", flat=True)
    )


def users_in(
    zones: dict[str, str], *, missing: tuple[str, ...] = (), deleted: tuple[str, ...] = ()
):
    """A users.info answer: each person's ``tz`` from ``zones``; some unknown, some deactivated."""

    def answer(params):
        user = params["user"]
        if user in missing:
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {
                "id": user,
                "name": user.lower(),
                "deleted": user in deleted,
                "tz": zones.get(user, "Europe/London"),
                "profile": {"display_name": user.lower(), "real_name": f"User {user}"},
            },
        }

    return answer


# --- Statuses ---------------------------------------------------------------------------------


def test_the_whole_lifecycle_of_one_incident(client, incident, fake_slack, jobs):
    say = lambda text: answered(client, fake_slack, jobs, text)  # noqa: E731

    assert say("status fixing") == ("white_check_mark", "Status is now 🛠️ Fixing.")
    assert fresh(incident).status == "fixing"

    assert say("status monitoring") == ("white_check_mark", "Status is now 👀 Monitoring.")
    mitigated = Milestone.objects.get(incident=incident, kind="mitigated")
    assert mitigated.time <= timezone.now()

    reaction, _ = say("status resolved")
    assert reaction == "white_check_mark"
    resolved = fresh(incident)
    assert (resolved.status, resolved.is_live) == ("resolved", False)
    first_end = resolved.end_time
    assert first_end is not None
    # Resolving is closing: the channel is told, as @incident close would.
    assert any("This incident was resolved by <@U0ALICE>" in t for t in channel_posts(fake_slack))

    reaction, reply = say("status investigating the errors are back after the deploy")
    assert (reaction, reply) == (
        "white_check_mark",
        "Reopened: the status is now 🔥 Investigating.",
    )
    reopened = fresh(incident)
    assert (reopened.status, reopened.end_time) == ("investigating", None)
    assert not Milestone.objects.filter(incident=incident, kind="resolved").exists()
    # The mitigated milestone stays: it happened, and the numbers keep it.
    assert Milestone.objects.get(incident=incident, kind="mitigated").time == mitigated.time

    assert say("status resolved")[0] == "white_check_mark"
    assert fresh(incident).status == "resolved"

    entries = status_entries(incident)
    assert entries == [
        "Status changed from investigating to fixing",
        "Status changed from fixing to monitoring",
        "Status changed from monitoring to resolved",
        "Reopened (investigating): the errors are back after the deploy",
        "Status changed from investigating to resolved",
    ]
    reopen = TimelineEvent.objects.get(incident=incident, text__startswith="Reopened")
    assert reopen.metadata["previous_end_time"] == first_end.isoformat()
    assert reopen.author.external_id == "U0ALICE"


def test_a_refused_move_names_the_allowed_moves_and_changes_nothing(
    client, incident, fake_slack, jobs
):
    assert answered(client, fake_slack, jobs, "status triage") == (
        "question",
        "It cannot go from investigating to triage. "
        "From investigating it can go to fixing, monitoring, resolved, merged.",
    )
    assert fresh(incident).status == "investigating"

    answered(client, fake_slack, jobs, "close")
    reaction, reply = answered(client, fake_slack, jobs, "status investigating")
    assert reaction == "question"
    assert reply == "Going from resolved to investigating is a reopen: give a reason."
    reaction, reply = answered(client, fake_slack, jobs, "status fixing")
    assert reaction == "question"
    assert "From resolved it can go to investigating." in reply
    assert fresh(incident).status == "resolved"
    assert status_entries(incident) == ["Status changed from investigating to resolved"]


def test_an_unknown_status_is_answered_with_the_statuses(client, incident, fake_slack, jobs):
    reaction, reply = answered(client, fake_slack, jobs, "status purple")

    assert reaction == "question"
    assert reply.startswith("I don't know the status `purple`. Statuses: triage (")
    for status in ("investigating", "fixing", "monitoring", "resolved", "declined", "merged"):
        assert f"{status} (" in reply
    assert fresh(incident).status == "investigating"


def test_status_alone_says_where_it_is_and_where_it_can_go(client, incident, fake_slack, jobs):
    reaction, reply = answered(client, fake_slack, jobs, "status")

    assert reaction == "white_check_mark"
    assert reply.startswith("Status: 🔥 Investigating (looking for the cause). It can go to: ")


def test_merge_into_another_incident_by_its_number(client, incident, fake_slack, jobs):
    other = services.incident_declare(title="Checkout is slow", reporter=None)

    reaction, reply = answered(client, fake_slack, jobs, "status merged 99999")
    assert reaction == "question"
    assert "I couldn't find incident `99999`" in reply
    assert fresh(incident).status == "investigating"

    reaction, reply = answered(client, fake_slack, jobs, f"status merged #{other.pk}")
    assert reaction == "white_check_mark"
    assert reply == f"🔗 Merged: this incident is now tracked in incident {other.pk}."
    merged = fresh(incident)
    assert (merged.status, merged.merged_into_id, merged.is_live) == ("merged", other.pk, False)
    assert TimelineEvent.objects.filter(
        incident=other, metadata__field="merged_from", metadata__incident=incident.pk
    ).exists()


def test_merge_without_a_target_is_refused(client, incident, fake_slack, jobs):
    assert answered(client, fake_slack, jobs, "status merged") == (
        "question",
        "Say which incident it is merged into.",
    )


def test_close_still_resolves(client, incident, fake_slack, jobs):
    assert answered(client, fake_slack, jobs, "close")[0] == "white_check_mark"
    assert fresh(incident).status == "resolved"


# --- The Status menu on the headline ----------------------------------------------------------


def choose(client, incident: Incident, status: str, *, user: str = "U0ALICE") -> None:
    payload = copy.deepcopy(load_fixture("block_actions_status_menu"))
    payload["user"]["id"] = user
    payload["actions"][0]["selected_option"]["value"] = f"{incident.pk}:{status}"
    payload["actions"][0]["action_ts"] = str(timezone.now().timestamp())
    assert post_interaction(client, payload).status_code == 200


def test_the_status_menu_moves_the_status(client, incident, fake_slack, jobs):
    choose(client, incident, "fixing")
    jobs()

    assert fresh(incident).status == "fixing"
    [entry] = TimelineEvent.objects.filter(incident=incident, metadata__field="status")
    assert entry.author.external_id == "U0ALICE"


def test_choosing_resolved_in_the_menu_is_closing(client, incident, fake_slack, jobs):
    choose(client, incident, "resolved")
    jobs()

    assert fresh(incident).status == "resolved"
    assert any("This incident was resolved by <@U0ALICE>" in t for t in channel_posts(fake_slack))


def test_a_stale_choice_is_refused_to_the_chooser_naming_the_allowed_moves(
    client, incident, fake_slack, jobs
):
    services.incident_close(incident=incident)
    jobs()

    choose(client, incident, "fixing", user="U0BOB")  # from a headline rendered before the close
    jobs()

    assert fresh(incident).status == "resolved"
    [note] = fake_slack.calls("chat.postEphemeral")
    assert (note.params["channel"], note.params["user"]) == (INCIDENTS_CHANNEL_ID, "U0BOB")
    assert note.params["text"].startswith(
        "It cannot go from resolved to fixing. From resolved it can go to investigating."
    )


# --- Roles ------------------------------------------------------------------------------------


def holder(incident: Incident, role: str) -> str | None:
    found = fresh(incident).holder_of(role)
    return found.external_id if found else None


def role_entries(incident: Incident, role: str) -> list[dict]:
    return list(
        TimelineEvent.objects.filter(incident=incident, metadata__field=role)
        .order_by("time", "id")
        .values_list("metadata", flat=True)
    )


def test_a_role_goes_to_the_person_mentioned(client, incident, fake_slack, jobs):
    reaction, reply = answered(client, fake_slack, jobs, "role Comms <@U0CAROL>")

    assert (reaction, reply) == ("white_check_mark", "<@U0CAROL> is now the Communications lead.")
    assert holder(incident, "comms") == "U0CAROL"
    [entry] = role_entries(incident, "comms")
    assert entry["new"]["id"] == "U0CAROL"


def test_lead_still_works_and_alone_means_the_speaker(client, incident, fake_slack, jobs):
    assert answered(client, fake_slack, jobs, "lead <@U0BOB>")[1] == (
        "<@U0BOB> is now leading this incident."
    )
    assert answered(client, fake_slack, jobs, "role lead", user="U0CAROL")[0] == "white_check_mark"
    assert holder(incident, "lead") == "U0CAROL"


def test_roles_lists_every_role_with_its_holder_and_duty(client, incident, fake_slack, jobs):
    answered(client, fake_slack, jobs, "role scribe <@U0DAN>")

    reaction, reply = answered(client, fake_slack, jobs, "roles")

    assert reaction == "white_check_mark"
    lines = reply.splitlines()
    assert lines[0] == "*Roles*"
    assert lines[1].startswith("*Incident lead* (`lead`): _nobody yet_ — Lead the response")
    assert lines[2].startswith("*Communications lead* (`comms`): _nobody yet_ — Keep everyone")
    assert lines[3].startswith("*Scribe* (`scribe`): <@U0DAN> — Keep the record")


@pytest.mark.parametrize(
    "command", ["lead @nobody", "lead bob", "role comms bob", "role comms @nobody", "role comms <@"]
)
def test_a_mention_that_names_nobody_is_refused_and_changes_nothing(
    client, incident, fake_slack, jobs, command
):
    services.role_assign(
        incident=incident,
        role="comms",
        holder=services.external_user_get_or_create(external_id="U0KEEP"),
    )
    services.role_assign(
        incident=incident,
        role="lead",
        holder=services.external_user_get_or_create(external_id="U0KEEP"),
    )
    jobs()

    reaction, reply = answered(client, fake_slack, jobs, command)

    assert reaction == "question"
    assert reply.startswith("I couldn't tell who")
    assert (holder(incident, "lead"), holder(incident, "comms")) == ("U0KEEP", "U0KEEP")
    assert fake_slack.calls("users.info") == []


def test_an_unknown_role_is_answered_with_the_roles(client, incident, fake_slack, jobs):
    assert answered(client, fake_slack, jobs, "role chef <@U0BOB>") == (
        "question",
        "There is no role “chef”. Roles: lead, comms, scribe.",
    )
    assert not RoleAssignment.objects.filter(incident=incident).exists()


@pytest.mark.parametrize("gone", ["missing", "deleted"])
def test_a_role_for_someone_not_in_the_workspace_is_refused(
    client, incident, fake_slack, jobs, gone
):
    fake_slack.on("users.info", users_in({}, **{gone: ("U0GHOST",)}))
    answered(client, fake_slack, jobs, "role comms <@U0KEEP>")

    reaction, reply = answered(client, fake_slack, jobs, "role comms <@U0GHOST>")

    assert reaction == "question"
    assert reply.startswith("<@U0GHOST> is not a member of this workspace")
    assert holder(incident, "comms") == "U0KEEP"
    assert len(role_entries(incident, "comms")) == 1
    invited = [c.params["users"] for c in fake_slack.calls("conversations.invite")]
    assert "U0GHOST" not in ",".join(invited)


def test_two_people_setting_the_same_role_at_once_leave_one_holder_and_both_on_the_timeline(
    client, incident, fake_slack, jobs
):
    # Both commands are first held at their look-up (Slack fails it, the jobs wait for a retry),
    # then released together; each look-up then waits until the other is in flight too, so the
    # two changes are applied by two workers at the same moment.
    both_asked = threading.Barrier(2, timeout=10)
    answer = users_in({})
    racing = ("U0BOB", "U0CAROL")
    phase = {"now": "hold"}

    def held_then_together(params):
        if params["user"] in racing:
            if phase["now"] == "hold":
                return {"ok": False, "error": "internal_error"}
            both_asked.wait()
        return answer(params)

    fake_slack.on("users.info", held_then_together)
    first = mention(client, "role comms <@U0BOB>", user="U0ALICE")
    second = mention(client, "role comms <@U0CAROL>", user="U0DAN")
    jobs()
    waiting = ProcrastinateJob.objects.filter(task_name="slack.finish_after_lookup", status="todo")
    assert waiting.count() == 2

    phase["now"] = "together"
    make_retries_due()
    jobs(concurrency=4)

    holders = RoleAssignment.objects.filter(incident=incident, role__name="comms")
    assert holders.count() == 1, list(FailedAttempt.objects.values("task_name", "message"))
    entries = role_entries(incident, "comms")
    assert sorted(entry["new"]["id"] for entry in entries) == ["U0BOB", "U0CAROL"]
    # Applied one after the other: the second saw the first's holder, and the last one holds it.
    assert entries[0]["old"] is None
    assert entries[1]["old"]["id"] == entries[0]["new"]["id"]
    assert holder(incident, "comms") == entries[1]["new"]["id"]
    for envelope in (first, second):
        assert reactions_on(fake_slack, envelope["event"]["ts"]) == ["white_check_mark"]


def test_a_finishing_job_run_again_after_it_committed_does_nothing_more(incident, fake_slack, jobs):
    # The worker died after the job's transaction committed: procrastinate runs it again.
    arguments = {
        "step": "role",
        "incident_id": incident.pk,
        "speaker_id": "U0ALICE",
        "person_id": "U0BOB",
        "arguments": {"role": "comms", "holder_id": "U0BOB"},
        "channel_id": COMMS,
        "ts": "1700009999.000100",
    }
    finish_after_lookup(**arguments)
    services.role_assign(
        incident=incident,
        role="comms",
        holder=services.external_user_get_or_create(external_id="U0CAROL"),
    )
    finish_after_lookup(**arguments)
    jobs()

    assert holder(incident, "comms") == "U0CAROL"
    assert len(role_entries(incident, "comms")) == 2
    assert channel_posts(fake_slack).count("<@U0BOB> is now the Communications lead.") == 1
    assert reactions_on(fake_slack, "1700009999.000100") == ["white_check_mark"]


def duty_dms(fake_slack, user: str) -> list[str]:
    dm = "D" + user.lstrip("U")
    return [
        c.params["text"] for c in fake_slack.calls("chat.postMessage") if c.params["channel"] == dm
    ]


def test_a_new_holder_is_invited_and_sent_the_duty_by_dm(client, incident, fake_slack, jobs):
    answered(client, fake_slack, jobs, "role comms <@U0CAROL>")

    [invite] = fake_slack.calls("conversations.invite")
    assert (invite.params["channel"], invite.params["users"]) == (COMMS, "U0CAROL")
    [dm] = duty_dms(fake_slack, "U0CAROL")
    assert f"You are now the *Communications lead* of incident {incident.pk}" in dm
    assert "*Your duty:* Keep everyone outside the channel informed" in dm
    assert f"<#{COMMS}>" in dm


def test_the_duty_dm_whose_answer_was_lost_is_not_sent_again(incident, fake_slack, jobs, settings):
    # Slack takes the DM, but its answer comes after the client gave up: the job runs again.
    settings.SLACK_API_TIMEOUT = 0.3
    jobs()  # what declaring queued
    history = ChannelHistory(fake_slack, slow_answers=1)
    services.role_assign(
        incident=incident,
        role="scribe",
        holder=services.external_user_get_or_create(external_id="U0DAN"),
    )

    jobs()
    make_retries_due()
    jobs()

    [dm] = history.posted("D0DAN")
    assert f"You are now the *Scribe* of incident {incident.pk}" in dm["text"]
    duty_job = ProcrastinateJob.objects.get(task_name="slack.send_role_duty")
    assert (duty_job.status, duty_job.attempts) == ("succeeded", 2)  # it did run again
    [invite] = fake_slack.calls("conversations.invite")
    assert invite.params["users"] == "U0DAN"


# --- Milestones -------------------------------------------------------------------------------


@pytest.fixture
def long_running(incident):
    """The incident, started three days ago (so every form below is after the start)."""
    services.milestone_set(
        incident=incident, kind="started", time=timezone.now() - dt.timedelta(days=3)
    )
    return incident


def latest_at(clock: str, zone: dt.tzinfo, now: dt.datetime) -> dt.datetime:
    """The latest moment at ``clock`` (``HH:MM``) in ``zone`` that is not after ``now``."""
    hour, minute = map(int, clock.split(":"))
    local_now = now.astimezone(zone)
    moment = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment if moment <= local_now else moment - dt.timedelta(days=1)


def stored(incident: Incident, kind: str) -> dt.datetime:
    return Milestone.objects.get(incident=incident, kind=kind).time


def test_every_time_form_is_read_in_the_speakers_slack_zone(client, long_running, fake_slack, jobs):
    fake_slack.on("users.info", users_in({"U0ALICE": NEW_YORK}))
    new_york = zoneinfo.ZoneInfo(NEW_YORK)
    yesterday = (timezone.now() - dt.timedelta(days=1)).astimezone(new_york).date()
    forms = {
        "14:05": lambda now: latest_at("14:05", new_york, now),
        "14:05 UTC": lambda now: latest_at("14:05", dt.UTC, now),
        f"{yesterday} 14:05": lambda now: dt.datetime.combine(
            yesterday, dt.time(14, 5), tzinfo=new_york
        ),
        f"{yesterday} 14:05 UTC": lambda now: dt.datetime.combine(
            yesterday, dt.time(14, 5), tzinfo=dt.UTC
        ),
        "10m ago": lambda now: now - dt.timedelta(minutes=10),
        "2h ago": lambda now: now - dt.timedelta(hours=2),
        "now": lambda now: now,
    }
    for form, expected in forms.items():
        before = timezone.now()
        reaction, reply = answered(client, fake_slack, jobs, f"milestone mitigated {form}")
        after = timezone.now()

        assert reaction == "white_check_mark", (form, reply)
        moment = stored(long_running, "mitigated")
        assert expected(before) - dt.timedelta(seconds=1) <= moment <= expected(after), form
        # Confirmed in a date token, which each reader's Slack shows in their own zone.
        assert reply.startswith(f"Mitigated is now <!date^{int(moment.timestamp())}^"), form
        zone_named = "in America/New_York" in reply
        assert zone_named == (form in ("14:05", f"{yesterday} 14:05")), form


def test_a_speaker_whose_zone_is_not_known_yet_is_looked_up_before_the_time_is_read(
    client, long_running, fake_slack, jobs
):
    fake_slack.on("users.info", users_in({"U0ERIN": NEW_YORK}))
    new_york = zoneinfo.ZoneInfo(NEW_YORK)

    before = timezone.now()
    reaction, _ = answered(client, fake_slack, jobs, "milestone detected 14:05", user="U0ERIN")

    assert reaction == "white_check_mark"
    assert stored(long_running, "detected") == latest_at("14:05", new_york, before)
    assert "U0ERIN" in [call.params["user"] for call in fake_slack.calls("users.info")]
    assert services.external_user_get_or_create(external_id="U0ERIN").time_zone == NEW_YORK


def test_a_form_that_does_not_depend_on_the_zone_needs_no_lookup(
    client, long_running, fake_slack, jobs
):
    services.external_user_upsert(external_id="U0ERIN", refreshed_at=timezone.now())
    reaction, _ = answered(client, fake_slack, jobs, "milestone detected 1h ago", user="U0ERIN")

    assert reaction == "white_check_mark"
    assert fake_slack.calls("users.info") == []


def test_an_order_violation_is_refused_naming_both_milestones(
    client, long_running, fake_slack, jobs
):
    started = stored(long_running, "started")
    early = (started - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")

    reaction, reply = answered(client, fake_slack, jobs, f"milestone detected {early} UTC")

    assert reaction == "question"
    assert reply == (
        f"Milestone started ({started:%Y-%m-%d %H:%M} UTC) must not be after "
        f"detected ({early} UTC)."
    )
    assert not Milestone.objects.filter(incident=long_running, kind="detected").exists()


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("milestone lunch 14:05", "I don't know the milestone `lunch`. Milestones: started, "),
        ("milestone detected teatime", "“teatime” is not a time I can read. Try: now, 14:05, "),
        ("milestone detected 25:00 UTC", "“25:00 UTC” is not a time I can read."),
        ("milestone mitigated 2099-01-01 10:00 UTC", "Mitigated cannot be in the future."),
        ("milestone detected", "Say when: `@incident milestone <milestone> <when>`"),
    ],
)
def test_a_milestone_that_cannot_be_set_is_refused_with_the_reason(
    client, long_running, fake_slack, jobs, command, expected
):
    reaction, reply = answered(client, fake_slack, jobs, command)

    assert reaction == "question"
    assert reply.startswith(expected)
    assert set(Milestone.objects.filter(incident=long_running).values_list("kind", flat=True)) == {
        "started",
        "declared",
    }


def test_a_milestone_before_the_start_is_refused(client, incident, fake_slack, jobs):
    started = stored(incident, "started")
    reaction, reply = answered(client, fake_slack, jobs, "milestone mitigated 1h ago")

    assert reaction == "question"
    assert reply.startswith(
        f"Milestone started ({started:%Y-%m-%d %H:%M} UTC) must not be after mitigated"
    )


def test_milestone_alone_lists_them(client, long_running, fake_slack, jobs):
    reaction, reply = answered(client, fake_slack, jobs, "milestone")

    assert reaction == "white_check_mark"
    lines = reply.splitlines()
    assert lines[0] == "*Milestones*"
    assert lines[1].startswith("*Started* — <!date^")
    assert lines[3].startswith("*Declared* — <!date^")
    assert lines[2].startswith("*Detected* — _not set_")


# --- Help -------------------------------------------------------------------------------------


def test_help_lists_the_lifecycle_commands(client, incident, fake_slack, jobs):
    _, reply = answered(client, fake_slack, jobs, "help")

    for line in ("`status` — ", "`role` — ", "`roles` — ", "`lead` — ", "`milestone` — "):
        assert any(row.startswith(line) for row in reply.splitlines()), line


def test_the_lead_named_when_declaring_is_sent_the_duty_too(fake_slack, jobs):
    lead = services.external_user_get_or_create(external_id="U0ERIN")
    declared = services.incident_declare(title="Checkout is slow", reporter=lead, lead=lead)

    jobs()

    [dm] = duty_dms(fake_slack, "U0ERIN")
    assert f"You are now the *Incident lead* of incident {declared.pk}" in dm
