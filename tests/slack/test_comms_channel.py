"""The "Create comms channel" button, through signed requests, the worker and a stand-in Slack
(SPEC §6.4)."""

from __future__ import annotations

import copy
import datetime as dt
import time

import pytest
from procrastinate.contrib.django import app as procrastinate_app
from procrastinate.contrib.django.models import ProcrastinateJob

from core import selectors, services
from core.models import Severity
from slack.flows.comms_channel import jobs as comms
from slack.flows.comms_channel.blocks import welcome_message
from slack.models import CommsChannel
from slack.web_api.errors import SlackServerError
from tests.helpers import load_fixture, post_interaction
from tests.slack.fake_slack import BOT_USER_ID, INCIDENTS_CHANNEL_ID

REPORTER, LEAD, CLICKER = "U0REPORTER", "U0LEAD", "U0ALICE"
TITLE = "Payments are failing"


def declare(**fields):
    people = {
        "reporter": services.external_user_upsert(external_id=REPORTER, display_name="rita"),
        "lead": services.external_user_upsert(external_id=LEAD, display_name="lee"),
    }
    defaults = {
        "title": TITLE,
        "summary": "Card payments answer 500",
        "severity": Severity.MAJOR,
        **people,
    }
    return services.incident_declare(**{**defaults, **fields})


def click(client, incident, *, user=CLICKER, action_ts="1700000020.123456"):
    payload = copy.deepcopy(load_fixture("comms_create_channel_click"))
    payload["user"]["id"] = user
    payload["actions"][0]["value"] = str(incident.pk)
    payload["actions"][0]["action_ts"] = action_ts
    response = post_interaction(client, payload)
    assert response.status_code == 200
    return response


def base_name(incident) -> str:
    return f"inc-{incident.pk}-payments-are-failing"


def doc_url(incident) -> str:
    return f"http://testserver/incident/{incident.pk}/"


def in_channel(fake_slack, method: str, channel: str, key: str = "channel") -> list:
    return [call for call in fake_slack.calls(method) if call.params.get(key) == channel]


def invited(fake_slack, channel: str) -> list[str]:
    users = []
    for call in in_channel(fake_slack, "conversations.invite", channel):
        users += str(call.params["users"]).split(",")
    return users


def ephemerals_to(fake_slack, user: str) -> list[str]:
    return [
        c.params["text"] for c in fake_slack.calls("chat.postEphemeral") if c.params["user"] == user
    ]


def job_states(task_name: str) -> list[str]:
    return list(
        ProcrastinateJob.objects.filter(task_name=task_name).values_list("status", flat=True)
    )


def run_jobs_two_at_a_time() -> None:
    """A worker running two jobs at once, as two workers would, until nothing is ready."""
    worker_connector = procrastinate_app.connector.get_worker_connector()
    with procrastinate_app.replace_connector(worker_connector) as worker_app:
        worker_app.run_worker(
            wait=False, concurrency=2, install_signal_handlers=False, listen_notify=False
        )


# --- The whole flow ------------------------------------------------------------------------------


def test_a_click_creates_and_sets_up_the_channel_in_the_worker(client, fake_slack, jobs):
    incident = declare()
    jobs()  # the headline post
    before = len(fake_slack.calls())

    click(client, incident)

    assert fake_slack.calls()[before:] == []  # nothing reaches Slack inside the request
    jobs()

    creates = fake_slack.calls("conversations.create")
    assert [c.params["name"] for c in creates] == [base_name(incident)]
    comms_channel = CommsChannel.objects.get(incident=incident)
    channel = comms_channel.channel_id
    assert comms_channel.name == base_name(incident)
    assert channel.startswith("C")

    assert sorted(invited(fake_slack, channel)) == sorted([REPORTER, LEAD, CLICKER])
    assert BOT_USER_ID not in invited(fake_slack, channel)

    (topic,) = in_channel(fake_slack, "conversations.setTopic", channel)
    assert topic.params["topic"] == f"{TITLE} - {doc_url(incident)}"
    (purpose,) = in_channel(fake_slack, "conversations.setPurpose", channel)
    assert TITLE in purpose.params["purpose"]
    assert doc_url(incident) in purpose.params["purpose"]

    (welcome,) = in_channel(fake_slack, "chat.postMessage", channel)
    assert "@incident help" in welcome.params["text"]
    assert f"<@{LEAD}>" in welcome.params["text"]
    assert "Card payments answer 500" in str(welcome.params["blocks"])

    (bookmark,) = in_channel(fake_slack, "bookmarks.add", channel, key="channel_id")
    assert bookmark.params["link"] == doc_url(incident)
    assert bookmark.params["title"] == "Incident document"

    # The headline is updated (in place) after the channel exists.
    updates = in_channel(fake_slack, "chat.update", INCIDENTS_CHANNEL_ID)
    assert updates
    assert updates[-1].at >= creates[0].at
    assert channel in str(updates[-1].params)

    assert fake_slack.calls("chat.postEphemeral") == []
    assert fake_slack.errors == []


def test_two_clicks_make_one_channel(client, fake_slack, jobs):
    incident = declare()

    click(client, incident, user=CLICKER, action_ts="1700000020.000001")
    click(client, incident, user="U0BOB", action_ts="1700000021.000002")
    jobs()

    assert len(fake_slack.calls("conversations.create")) == 1
    comms_channel = CommsChannel.objects.get(incident=incident)
    # The second clicker is told where the channel is.
    assert ephemerals_to(fake_slack, "U0BOB") == [
        f"Incident {incident.pk} already has a comms channel: <#{comms_channel.channel_id}>."
    ]
    assert len(in_channel(fake_slack, "chat.postMessage", comms_channel.channel_id)) == 1
    assert len(fake_slack.calls("bookmarks.add")) == 1


def test_two_clicks_handled_at_the_same_time_make_one_channel(client, fake_slack, jobs):
    incident = declare()
    # Creating the channel takes a while, so two jobs that ran side by side would both create.
    fake_slack.stall("conversations.create", 0.5, times=2)

    click(client, incident, user=CLICKER, action_ts="1700000020.000001")
    click(client, incident, user="U0BOB", action_ts="1700000021.000002")
    for _ in range(5):
        run_jobs_two_at_a_time()
    jobs()

    assert len(fake_slack.calls("conversations.create")) == 1
    assert CommsChannel.objects.filter(incident=incident).count() == 1
    assert job_states("slack.create_comms_channel") == ["succeeded", "succeeded"]


def test_a_click_on_a_stale_button_says_where_the_channel_is(client, fake_slack, jobs):
    incident = declare()
    click(client, incident)
    jobs()
    channel = CommsChannel.objects.get(incident=incident).channel_id

    click(client, incident, user="U0CAROL", action_ts="1700000099.000001")
    jobs()

    assert len(fake_slack.calls("conversations.create")) == 1
    (note,) = in_channel(fake_slack, "chat.postEphemeral", INCIDENTS_CHANNEL_ID)
    assert note.params["user"] == "U0CAROL"
    assert f"<#{channel}>" in note.params["text"]


# --- Names ---------------------------------------------------------------------------------------


def test_a_taken_name_moves_on_to_the_next_suffix(client, fake_slack, jobs):
    incident = declare()
    fake_slack.queue_error("conversations.create", "name_taken")

    click(client, incident)
    jobs()

    names = [c.params["name"] for c in fake_slack.calls("conversations.create")]
    assert names == [base_name(incident), f"{base_name(incident)}-2"]
    comms_channel = CommsChannel.objects.get(incident=incident)
    assert comms_channel.name == f"{base_name(incident)}-2"
    assert len(in_channel(fake_slack, "chat.postMessage", comms_channel.channel_id)) == 1


def listed(fake_slack, *channels):
    fake_slack.on(
        "conversations.list",
        lambda params: {
            "ok": True,
            "channels": list(channels),
            "response_metadata": {"next_cursor": ""},
        },
    )


def existing_channel(name, *, channel_id="C0EARLIER", creator=BOT_USER_ID, created=None):
    return {
        "id": channel_id,
        "name": name,
        "is_channel": True,
        "is_private": False,
        "is_archived": False,
        "is_member": True,
        "created": int(created if created is not None else time.time()),
        "creator": creator,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
    }


def test_a_channel_left_by_an_attempt_that_failed_is_adopted_not_duplicated(
    client, fake_slack, jobs
):
    incident = declare()
    # The bot created the channel a moment ago, but that attempt never recorded it.
    listed(fake_slack, existing_channel(base_name(incident)))
    fake_slack.queue_error("conversations.create", "name_taken")

    click(client, incident)
    jobs()

    assert len(fake_slack.calls("conversations.create")) == 1
    comms_channel = CommsChannel.objects.get(incident=incident)
    assert (comms_channel.channel_id, comms_channel.name) == ("C0EARLIER", base_name(incident))
    assert sorted(invited(fake_slack, "C0EARLIER")) == sorted([REPORTER, LEAD, CLICKER])
    assert len(in_channel(fake_slack, "chat.postMessage", "C0EARLIER")) == 1


@pytest.mark.parametrize(
    "channel",
    [
        pytest.param({"creator": "U0SOMEONE"}, id="created-by-a-person"),
        pytest.param({"created": time.time() - 86400 * 30}, id="older-than-the-incident"),
    ],
)
def test_someone_elses_channel_with_our_name_is_left_alone(client, fake_slack, jobs, channel):
    incident = declare()
    listed(fake_slack, existing_channel(base_name(incident), **channel))
    fake_slack.queue_error("conversations.create", "name_taken")

    click(client, incident)
    jobs()

    assert CommsChannel.objects.get(incident=incident).name == f"{base_name(incident)}-2"
    assert invited(fake_slack, "C0EARLIER") == []


def test_a_channel_another_incident_has_is_not_adopted(client, fake_slack, jobs):
    other = declare(title="Something else")
    CommsChannel.objects.create(incident=other, channel_id="C0EARLIER", name="inc-x")
    incident = declare()
    listed(fake_slack, existing_channel(base_name(incident)))
    fake_slack.queue_error("conversations.create", "name_taken")

    click(client, incident)
    jobs()

    assert CommsChannel.objects.get(incident=incident).name == f"{base_name(incident)}-2"


def test_a_retry_after_a_crash_between_creating_and_recording_adopts_the_channel(
    fake_slack, jobs, monkeypatch
):
    """A Slack that remembers its channels, and a first attempt that dies before recording."""
    incident = declare()
    channels: dict[str, dict] = {}

    def create(params):
        name = params["name"]
        if name in channels:
            return {"ok": False, "error": "name_taken"}
        channels[name] = existing_channel(name, channel_id=f"C{len(channels) + 1:04d}")
        return {"ok": True, "channel": channels[name]}

    fake_slack.on("conversations.create", create)
    listed_now = lambda params: {  # noqa: E731
        "ok": True,
        "channels": list(channels.values()),
        "response_metadata": {"next_cursor": ""},
    }
    fake_slack.on("conversations.list", listed_now)
    record = comms._record

    def crash(*args, **kwargs):
        raise ConnectionError("the worker died")

    monkeypatch.setattr(comms, "_record", crash)
    with pytest.raises(ConnectionError):
        comms.ensure_comms_channel(incident_id=incident.pk, requested_by=CLICKER)
    monkeypatch.setattr(comms, "_record", record)
    comms.ensure_comms_channel(incident_id=incident.pk, requested_by=CLICKER)

    assert list(channels) == [base_name(incident)]
    assert CommsChannel.objects.get(incident=incident).channel_id == "C0001"


def test_when_every_name_is_taken_the_clicker_is_told_and_the_job_gives_up(
    client, fake_slack, jobs
):
    incident = declare()
    fake_slack.on("conversations.create", lambda params: {"ok": False, "error": "name_taken"})

    click(client, incident)
    jobs()

    assert len(fake_slack.calls("conversations.create")) == comms.MAX_SUFFIX  # plain, -2 … -20
    assert not CommsChannel.objects.filter(incident=incident).exists()
    (note,) = ephemerals_to(fake_slack, CLICKER)
    assert "could not create the channel" in note
    assert f"#{base_name(incident)}-{comms.MAX_SUFFIX}" in note
    assert job_states("slack.create_comms_channel") == ["failed"]  # not retried


# --- Invites -------------------------------------------------------------------------------------


def test_everyone_is_invited_in_one_call(client, fake_slack, jobs):
    incident = declare()

    click(client, incident)
    jobs()

    channel = CommsChannel.objects.get(incident=incident).channel_id
    calls = in_channel(fake_slack, "conversations.invite", channel)
    assert len(calls) == 1
    assert sorted(calls[0].params["users"].split(",")) == sorted([REPORTER, LEAD, CLICKER])


def refusal(user: str, error: str) -> dict:
    """One person's entry in Slack's partial-failure answer to conversations.invite."""
    return {"user": user, "ok": False, "error": error}


def test_already_in_channel_counts_as_invited_and_the_rest_happens(client, fake_slack, jobs):
    incident = declare()
    fake_slack.queue_error(
        "conversations.invite", "already_in_channel", errors=[refusal(LEAD, "already_in_channel")]
    )

    click(client, incident)
    jobs()

    channel = CommsChannel.objects.get(incident=incident).channel_id
    retried = in_channel(fake_slack, "conversations.invite", channel)[-1]
    assert sorted(retried.params["users"].split(",")) == sorted([REPORTER, CLICKER])
    assert in_channel(fake_slack, "conversations.setTopic", channel)
    assert in_channel(fake_slack, "chat.postMessage", channel)
    assert in_channel(fake_slack, "bookmarks.add", channel, key="channel_id")
    assert job_states("slack.comms_invite") == ["succeeded"]


def test_one_refused_invite_does_not_stop_the_others(client, fake_slack, jobs):
    incident = declare()
    fake_slack.queue_error(
        "conversations.invite",
        "user_not_found",
        errors=[refusal(REPORTER, "user_not_found"), refusal(LEAD, "cant_invite")],
    )

    click(client, incident)
    jobs()

    channel = CommsChannel.objects.get(incident=incident).channel_id
    retried = in_channel(fake_slack, "conversations.invite", channel)[-1]
    assert retried.params["users"] == CLICKER
    assert job_states("slack.comms_invite") == ["succeeded"]


def test_the_same_person_is_invited_once_and_unknown_people_are_skipped(client, fake_slack, jobs):
    lead = services.external_user_upsert(external_id=CLICKER, display_name="alice")
    incident = declare(reporter=None, lead=lead)

    click(client, incident)
    jobs()

    channel = CommsChannel.objects.get(incident=incident).channel_id
    assert invited(fake_slack, channel) == [CLICKER]


def test_an_invite_slack_could_not_answer_is_retried(transactional_db, fake_slack):
    fake_slack.queue_error("conversations.invite", "internal_error")

    with pytest.raises(SlackServerError):
        comms.invite_people(channel_id="C0COMMS", user_ids=[REPORTER, LEAD])

    # Everyone was still tried; the retry invites again, which Slack takes as already done.
    assert invited(fake_slack, "C0COMMS") == [REPORTER, LEAD]


# --- Refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(
            lambda: services.incident_close(incident=declare()), "is resolved", id="closed"
        ),
        pytest.param(
            lambda: declare(report_only=True), "report of something already over", id="report"
        ),
    ],
)
def test_no_channel_for_a_closed_or_report_only_incident(client, fake_slack, jobs, make, reason):
    incident = make()

    click(client, incident)
    jobs()

    assert fake_slack.calls("conversations.create") == []
    assert not CommsChannel.objects.filter(incident=incident).exists()
    (note,) = in_channel(fake_slack, "chat.postEphemeral", INCIDENTS_CHANNEL_ID)
    assert note.params["user"] == CLICKER
    assert reason in note.params["text"]


def test_a_button_with_a_bad_incident_id_does_nothing(client, fake_slack, jobs):
    payload = copy.deepcopy(load_fixture("comms_create_channel_click"))
    payload["actions"][0]["value"] = "not-a-number"

    assert post_interaction(client, payload).status_code == 200
    jobs()

    assert fake_slack.calls("conversations.create") == []
    assert job_states("slack.process_action") == ["succeeded"]


# --- Topic, purpose and welcome ------------------------------------------------------------------


@pytest.mark.django_db
def test_topic_and_purpose_stay_within_slacks_limit_and_keep_the_link(settings):
    settings.SITE_URL = "https://response.tools.example.com/incident-management"
    incident = declare(title="x" * 200)
    link = f"{settings.SITE_URL}/incident/{incident.pk}/"

    for text in (comms.topic_for(incident), comms.purpose_for(incident)):
        assert len(text) <= 250
        assert text.endswith(link)
        assert "x…" in text


@pytest.mark.django_db
def test_the_welcome_message_reads_well_without_a_lead_or_severity():
    incident = declare(title="Login <b>broken</b> & slow", lead=None, severity=None, summary="")

    text, blocks = welcome_message(incident, document_url=doc_url(incident), bot_name="incident")

    assert text == (
        f"Welcome to the channel of incident {incident.pk}: Login &lt;b&gt;broken&lt;/b&gt; "
        "&amp; slow. Status: 🔥 Investigating. Severity: not set yet. Lead: nobody yet. "
        "Type @incident help to see what I can do here."
    )
    rendered = str(blocks)
    assert "`@incident lead`" in rendered
    assert "`@incident summary <text>`" in rendered
    assert doc_url(incident) in rendered
    assert blocks[-1]["elements"][0]["action_id"] == "share-update-button"  # SPEC §15


@pytest.mark.django_db
def test_the_welcome_message_shows_severity_and_lead():
    incident = declare(severity=Severity.CRITICAL)

    text, _ = welcome_message(incident, document_url=doc_url(incident), bot_name="@bot")

    assert "Severity: ⛈️ Critical." in text
    assert f"Lead: <@{LEAD}>." in text
    assert "Type @bot help" in text


@pytest.mark.django_db
def test_the_welcome_message_shows_the_status_every_role_and_a_drill():
    incident = declare(drill=True)
    services.role_assign(
        incident=incident,
        role="comms",
        holder=services.external_user_get_or_create(external_id="U0CAROL"),
    )
    incident = selectors.incident_get(incident_id=incident.pk)

    text, blocks = welcome_message(incident, document_url=doc_url(incident), bot_name="incident")

    assert text.startswith("This is a drill. Welcome")
    assert blocks[0]["text"]["text"].startswith("🧪 Drill · 🔥 Incident")
    rendered = str(blocks)
    assert "🧪 *Drill*: this is a practice run" in rendered
    assert "*Status*\\n🔥 Investigating" in rendered
    assert f"Incident lead: <@{LEAD}>\\nCommunications lead: <@U0CAROL>" in rendered


def test_a_channel_created_before_the_incident_is_not_ours(db, fake_slack):
    incident = declare()
    earlier = incident.report_time - dt.timedelta(hours=1)

    assert comms.is_ours(existing_channel("n", created=time.time()), incident)
    assert not comms.is_ours(existing_channel("n", created=earlier.timestamp()), incident)
    assert not comms.is_ours({**existing_channel("n"), "is_archived": True}, incident)
