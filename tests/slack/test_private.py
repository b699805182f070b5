"""Private incidents in Slack (SPEC §18), through signed requests, the worker and a stand-in
Slack: the Private box, the private channel, a central post that says nothing, Request access
and the lead's Approve / Deny, and the channel's members as who may see it."""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.models import Permission as DjangoPermission
from django.contrib.contenttypes.models import ContentType

from core import services
from core.access import Acting, may_see
from core.models import (
    AccessRequest,
    AccessRequestStatus,
    ExternalUser,
    Incident,
    SlackUserGroup,
)
from slack.flows.private import ids
from slack.models import CommsChannel
from tests.helpers import load_fixture, post_event, post_form, post_interaction
from tests.races import Race
from tests.slack.channel_helpers import event_from
from tests.slack.fake_slack import INCIDENTS_CHANNEL_ID
from tests.ui import builders

DECLARER, LEAD, OUTSIDER, STRANGER = "U0ALICE", "U0LEAD", "U0OUTSIDER", "U0STRANGER"
TITLE = "Payroll export leaks salaries"
SUMMARY = "The nightly export is world-readable"


# --- Payloads ------------------------------------------------------------------------------------


def slash_command(text: str = "") -> dict[str, str]:
    return {**load_fixture("slash_command"), "text": text}


def private_submission(*, user: str = DECLARER, ticked: bool = True) -> dict[str, Any]:
    """The report modal submitted with the Private box ticked, the lead and a summary."""
    payload = copy.deepcopy(load_fixture("declare_view_submission"))
    payload["user"]["id"] = user
    state = payload["view"]["state"]["values"]
    state["title"]["title"]["value"] = TITLE
    state["summary"]["summary"]["value"] = SUMMARY
    state["private"] = {
        "private": {
            "type": "checkboxes",
            "selected_options": [{"value": "yes"}] if ticked else [],
        }
    }
    return payload


_clicks = itertools.count(1)


def click(action_id: str, value: str, *, user: str, channel: str = INCIDENTS_CHANNEL_ID):
    """A click as Slack sends it; each its own (Slack tells two clicks apart by action_ts)."""
    payload = copy.deepcopy(load_fixture("declare_headline_click"))
    payload["user"]["id"] = user
    payload["channel"] = {"id": channel, "name": "dm"}
    payload["container"]["channel_id"] = channel
    payload["actions"][0].update(
        action_id=action_id, value=value, action_ts=f"1700000{next(_clicks):03d}.000100"
    )
    return payload


# --- Reading the stand-in Slack ------------------------------------------------------------------


def central_posts(fake_slack) -> list[str]:
    """Everything sent to the central channel (posts, edits, thread replies), as JSON text."""
    return [
        json.dumps(call.params, ensure_ascii=False)
        for method in ("chat.postMessage", "chat.update")
        for call in fake_slack.calls(method)
        if call.params.get("channel") == INCIDENTS_CHANNEL_ID
    ]


def dms_to(fake_slack, user: str) -> list[dict]:
    """Messages posted in the DM the stand-in opens with ``user``."""
    dm = "D" + user.lstrip("U")
    return [c.params for c in fake_slack.calls("chat.postMessage") if c.params["channel"] == dm]


def requests_to(fake_slack, user: str) -> list[dict]:
    """The Request access DMs ``user`` got (a lead also gets their role's duty by DM)."""
    return [dm for dm in dms_to(fake_slack, user) if "asks to see" in dm["text"]]


def ephemerals_to(fake_slack, user: str) -> list[str]:
    return [
        c.params["text"] for c in fake_slack.calls("chat.postEphemeral") if c.params["user"] == user
    ]


def invited(fake_slack) -> list[str]:
    return [
        u for c in fake_slack.calls("conversations.invite") for u in c.params["users"].split(",")
    ]


def buttons(blocks: list[dict]) -> list[tuple[str, str]]:
    return [
        (element["action_id"], element["value"])
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def block_ids(view: dict) -> list[str]:
    return [block["block_id"] for block in view["blocks"]]


# --- Set-up --------------------------------------------------------------------------------------


def declare_private_permission() -> DjangoPermission:
    permission, _ = DjangoPermission.objects.get_or_create(
        codename="declare_private",
        content_type=ContentType.objects.get_for_model(Incident),
        defaults={"name": "Can declare private incidents"},
    )
    return permission


def grant_declare_private(external_id: str) -> ExternalUser:
    """A Slack user whose linked login's group is granted ``declare_private``."""
    person = builders.login_user(external_id.lower())
    group, _ = Group.objects.get_or_create(name="private-declarers")
    group.permissions.add(declare_private_permission())
    person.groups.add(group)
    user = services.external_user_get_or_create(external_id=external_id)
    user.owner = person
    user.save(update_fields=["owner"])
    return user


@pytest.fixture
def private_incident(client, fake_slack, jobs) -> Incident:
    """Declared private from the modal (open policy), its channel made, its headline posted."""
    response = post_interaction(client, private_submission())
    assert response.status_code == 200 and response.content == b""
    jobs()
    return Incident.objects.get()


def request_access(client, incident: Incident, jobs, *, user: str = OUTSIDER) -> AccessRequest:
    post_interaction(client, click(ids.REQUEST_ACCESS, str(incident.pk), user=user))
    jobs()
    return AccessRequest.objects.get(incident=incident, requester__external_id=user)


def decide(client, action_id: str, request: AccessRequest, *, user: str = LEAD):
    lead_dm = "D" + LEAD.lstrip("U")
    return post_interaction(client, click(action_id, str(request.pk), user=user, channel=lead_dm))


# --- The Private box -----------------------------------------------------------------------------


def test_the_private_box_is_offered_when_everyone_may_declare(client, fake_slack):
    post_form(client, "/slack/slash_command", slash_command("payroll"))

    [call] = fake_slack.wait_for_calls("views.open")
    assert "private" in block_ids(call.params["view"])


@pytest.mark.django_db
def test_restricted_without_the_grant_the_box_is_not_offered(client, fake_slack, settings):
    settings.ACCESS_POLICY = "restricted"
    post_form(client, "/slack/slash_command", slash_command("payroll"))

    [call] = fake_slack.wait_for_calls("views.open")
    ids_shown = block_ids(call.params["view"])
    assert "private" not in ids_shown and "title" in ids_shown


@pytest.mark.django_db
def test_restricted_with_the_grant_the_box_is_offered(client, fake_slack, settings):
    settings.ACCESS_POLICY = "restricted"
    grant_declare_private("U0ALICE")  # the slash command fixture's user
    post_form(client, "/slack/slash_command", slash_command("payroll"))

    [call] = fake_slack.wait_for_calls("views.open")
    assert "private" in block_ids(call.params["view"])


@pytest.mark.django_db
def test_a_forged_private_submission_is_refused_and_creates_nothing(client, fake_slack, settings):
    settings.ACCESS_POLICY = "restricted"

    response = post_interaction(client, private_submission())

    answer = response.json()
    assert answer["response_action"] == "errors"
    assert "declare_private" in answer["errors"]["title"]
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_a_granted_person_declares_a_private_incident(client, fake_slack, settings):
    settings.ACCESS_POLICY = "restricted"
    grant_declare_private(DECLARER)

    response = post_interaction(client, private_submission())

    assert response.content == b""
    incident = Incident.objects.get()
    assert incident.private
    assert may_see(incident, Acting.for_slack_user(ExternalUser.objects.get(external_id=DECLARER)))


# --- The channel and the central channel ---------------------------------------------------------


def test_a_private_incident_gets_a_private_channel_with_declarer_and_lead(
    private_incident, fake_slack
):
    [create] = fake_slack.calls("conversations.create")
    assert str(create.params["is_private"]).lower() in ("1", "true")
    assert {DECLARER, LEAD} <= set(invited(fake_slack))
    assert CommsChannel.objects.filter(incident=private_incident).exists()
    lead = ExternalUser.objects.get(external_id=LEAD)
    assert may_see(private_incident, Acting.for_slack_user(lead))  # recorded from the invite


def test_a_public_incident_still_gets_a_public_channel_on_request(client, fake_slack, jobs):
    post_interaction(client, private_submission(ticked=False))
    jobs()

    incident = Incident.objects.get()
    assert not incident.private
    assert fake_slack.calls("conversations.create") == []  # only the headline's button makes one


def test_the_central_channel_learns_only_that_a_private_incident_was_declared(
    private_incident, fake_slack, jobs
):
    services.incident_update(incident=private_incident, summary="Now also the pension export")
    jobs()

    posts = central_posts(fake_slack)
    # The headline, and any edit of it: the private headline shows nothing the change touched,
    # so today no edit is sent at all (an unchanged rendering costs no chat.update).
    assert posts
    for post in posts:
        for secret in (TITLE, SUMMARY, "pension", LEAD, "inc-", "Severity", "Major"):
            assert secret not in post
    headline = next(
        c.params
        for c in fake_slack.calls("chat.postMessage")
        if c.params["channel"] == INCIDENTS_CHANNEL_ID
    )
    assert "private incident was declared" in headline["text"]
    assert buttons(headline["blocks"]) == [(ids.REQUEST_ACCESS, str(private_incident.pk))]


def test_an_update_of_a_private_incident_is_not_posted_under_its_headline(
    private_incident, fake_slack, jobs
):
    services.update_share(
        incident=private_incident,
        author=ExternalUser.objects.get(external_id=LEAD),
        impact="Salaries of the finance team",
        what_changed="Export disabled",
        next_steps="Rotate the bucket",
        next_update_in=None,
    )
    jobs()

    assert not any("Export disabled" in post for post in central_posts(fake_slack))
    channel = CommsChannel.objects.get(incident=private_incident).channel_id
    assert any(
        "Export disabled" in json.dumps(c.params)
        for c in fake_slack.calls("chat.postMessage")
        if c.params["channel"] == channel
    )


# --- Request access ------------------------------------------------------------------------------


def test_request_access_asks_the_lead_and_approval_lets_the_person_in(
    client, private_incident, fake_slack, jobs
):
    request = request_access(client, private_incident, jobs)

    [dm] = requests_to(fake_slack, LEAD)
    assert f"<@{OUTSIDER}>" in dm["text"]
    assert buttons(dm["blocks"]) == [
        (ids.APPROVE_ACCESS, str(request.pk)),
        (ids.DENY_ACCESS, str(request.pk)),
    ]
    assert "asked the lead" in ephemerals_to(fake_slack, OUTSIDER)[-1]
    before = len(invited(fake_slack))

    decide(client, ids.APPROVE_ACCESS, request)
    jobs()

    channel = CommsChannel.objects.get(incident=private_incident).channel_id
    assert invited(fake_slack)[before:] == [OUTSIDER]
    assert fake_slack.calls("conversations.invite")[-1].params["channel"] == channel
    [told] = dms_to(fake_slack, OUTSIDER)
    assert "You're in" in told["text"]
    request.refresh_from_db()
    assert request.status == AccessRequestStatus.APPROVED
    # … and the person can read the document in the browser.
    person = builders.login_user("outsider")
    ExternalUser.objects.filter(external_id=OUTSIDER).update(owner=person)
    client.force_login(person)
    assert client.get(f"/incident/{private_incident.pk}/").status_code == 200


def test_before_approval_the_requester_gets_a_404(client, private_incident, fake_slack, jobs):
    request_access(client, private_incident, jobs)
    person = builders.login_user("outsider")
    ExternalUser.objects.filter(external_id=OUTSIDER).update(owner=person)
    client.force_login(person)

    assert client.get(f"/incident/{private_incident.pk}/").status_code == 404


def test_deny_tells_the_requester_and_lets_nobody_in(client, private_incident, fake_slack, jobs):
    request = request_access(client, private_incident, jobs)
    before = len(invited(fake_slack))

    decide(client, ids.DENY_ACCESS, request)
    jobs()

    assert invited(fake_slack)[before:] == []
    [told] = dms_to(fake_slack, OUTSIDER)
    assert "did not let you in" in told["text"]
    outsider = ExternalUser.objects.get(external_id=OUTSIDER)
    assert not may_see(private_incident, Acting.for_slack_user(outsider))


def test_asking_twice_asks_the_lead_once(client, private_incident, fake_slack, jobs):
    request_access(client, private_incident, jobs)
    request_access(client, private_incident, jobs)

    assert len(requests_to(fake_slack, LEAD)) == 1
    assert "not decided yet" in ephemerals_to(fake_slack, OUTSIDER)[-1]


@pytest.mark.parametrize("decision", [ids.APPROVE_ACCESS, ids.DENY_ACCESS])
def test_a_click_by_someone_other_than_the_lead_is_refused_and_changes_nothing(
    client, private_incident, fake_slack, jobs, decision
):
    request = request_access(client, private_incident, jobs)
    before = len(invited(fake_slack))

    decide(client, decision, request, user=STRANGER)
    decide(client, decision, request, user=OUTSIDER)  # nor may one approve oneself
    jobs()

    request.refresh_from_db()
    assert request.status == AccessRequestStatus.PENDING
    assert invited(fake_slack)[before:] == []
    for user in (STRANGER, OUTSIDER):
        assert "Only the lead" in ephemerals_to(fake_slack, user)[-1]
    assert dms_to(fake_slack, OUTSIDER) == []


@pytest.mark.parametrize("value", ["not-a-number", "987654"])
def test_a_tampered_request_value_is_refused(client, private_incident, fake_slack, jobs, value):
    request = request_access(client, private_incident, jobs)

    post_interaction(client, click(ids.APPROVE_ACCESS, value, user=LEAD))
    jobs()

    assert "couldn't find that request" in ephemerals_to(fake_slack, LEAD)[-1]
    request.refresh_from_db()
    assert request.status == AccessRequestStatus.PENDING


@pytest.mark.parametrize("value", ["public", "not-a-number", "987654"])
def test_request_access_naming_no_private_incident_asks_nobody(client, fake_slack, jobs, value):
    public = services.incident_declare(title="Payments are failing", reporter=None)
    named = str(public.pk) if value == "public" else value

    post_interaction(client, click(ids.REQUEST_ACCESS, named, user=OUTSIDER))
    jobs()

    assert "not a private incident" in ephemerals_to(fake_slack, OUTSIDER)[-1]
    assert not AccessRequest.objects.exists()


def test_someone_granted_declare_private_may_decide(client, private_incident, fake_slack, jobs):
    request = request_access(client, private_incident, jobs)
    grant_declare_private(STRANGER)

    decide(client, ids.APPROVE_ACCESS, request, user=STRANGER)
    jobs()

    request.refresh_from_db()
    assert request.status == AccessRequestStatus.APPROVED


def test_someone_granted_declare_private_by_a_slack_user_group_may_decide(
    client, private_incident, fake_slack, jobs
):
    request = request_access(client, private_incident, jobs)
    declarers = Group.objects.create(name="private-declarers")
    declarers.permissions.add(declare_private_permission())
    oncall = SlackUserGroup.objects.create(external_id="S0ONCALL", handle="oncall", group=declarers)
    oncall.members.add(services.external_user_get_or_create(external_id=STRANGER))

    decide(client, ids.APPROVE_ACCESS, request, user=STRANGER)
    jobs()

    request.refresh_from_db()
    assert request.status == AccessRequestStatus.APPROVED
    assert request.decided_by.external_id == STRANGER


def test_without_a_lead_the_declarer_is_asked_and_decides(client, fake_slack, jobs):
    payload = private_submission()
    payload["view"]["state"]["values"]["lead"]["lead"]["selected_user"] = None
    post_interaction(client, payload)
    jobs()
    incident = Incident.objects.get()
    assert incident.lead is None

    request = request_access(client, incident, jobs)
    assert len(requests_to(fake_slack, DECLARER)) == 1
    post_interaction(client, click(ids.APPROVE_ACCESS, str(request.pk), user=LEAD))
    post_interaction(client, click(ids.APPROVE_ACCESS, str(request.pk), user=DECLARER))
    jobs()

    request.refresh_from_db()
    assert (request.status, request.decided_by.external_id) == ("approved", DECLARER)


def test_a_second_click_after_the_decision_is_answered_not_repeated(
    client, private_incident, fake_slack, jobs
):
    request = request_access(client, private_incident, jobs)
    before = len(invited(fake_slack))

    decide(client, ids.APPROVE_ACCESS, request)
    jobs()
    decide(client, ids.APPROVE_ACCESS, request)
    decide(client, ids.DENY_ACCESS, request)
    jobs()

    assert invited(fake_slack)[before:] == [OUTSIDER]
    assert len(dms_to(fake_slack, OUTSIDER)) == 1
    assert "already approved" in ephemerals_to(fake_slack, LEAD)[-1]
    request.refresh_from_db()
    assert request.status == AccessRequestStatus.APPROVED


def test_two_clicks_at_once_make_one_decision(client, private_incident, fake_slack, jobs):
    request = request_access(client, private_incident, jobs)
    lead = ExternalUser.objects.get(external_id=LEAD)

    def approve():
        return services.access_request_decide(request_id=request.pk, decider=lead, approve=True)

    def deny():
        return services.access_request_decide(request_id=request.pk, decider=lead, approve=False)

    race = Race(approve, deny).start().join()

    assert len(race.errors) == 1 and isinstance(race.errors[0], services.AccessAlreadyDecided)
    request.refresh_from_db()
    assert request.status in (AccessRequestStatus.APPROVED, AccessRequestStatus.DENIED)


def test_two_requests_at_once_make_one(client, private_incident, jobs):
    outsider = services.external_user_get_or_create(external_id=OUTSIDER)

    def ask():
        return services.access_request_open(incident=private_incident, requester=outsider)

    race = Race(ask, ask).start().join()

    assert race.errors == []
    assert sorted(asked.created for asked in race.results) == [False, True]
    assert AccessRequest.objects.filter(incident=private_incident).count() == 1


def test_someone_already_in_is_told_so(client, private_incident, fake_slack, jobs):
    post_interaction(client, click(ids.REQUEST_ACCESS, str(private_incident.pk), user=LEAD))
    jobs()

    assert "already see" in ephemerals_to(fake_slack, LEAD)[-1]
    assert not AccessRequest.objects.exists()


# --- Forged headline clicks ----------------------------------------------------------------------


def test_an_outsiders_forged_edit_or_follow_click_finds_no_incident(
    client, private_incident, fake_slack, jobs
):
    before = len(fake_slack.calls("views.open"))
    for action_id in ("edit-incident-button", "follow-incident-button", "close-incident-button"):
        post_interaction(client, click(action_id, str(private_incident.pk), user=OUTSIDER))
    jobs()

    assert len(fake_slack.calls("views.open")) == before
    told = ephemerals_to(fake_slack, OUTSIDER)
    assert told and all("couldn't find incident" in text for text in told)
    private_incident.refresh_from_db()
    assert private_incident.is_live
    assert not private_incident.followers.exists()


def test_an_outsiders_forged_edit_submission_changes_nothing(client, private_incident, jobs):
    payload = private_submission(user=OUTSIDER, ticked=False)
    view = payload["view"]
    view["callback_id"] = "incident-edit-modal"
    view["private_metadata"] = json.dumps({"incident_id": private_incident.pk})
    view["state"]["values"]["title"]["title"]["value"] = "Renamed by an outsider"
    for name in ("report_kind", "private"):
        del view["state"]["values"][name]

    answer = post_interaction(client, payload).json()

    assert "no longer exists" in answer["errors"]["title"]
    private_incident.refresh_from_db()
    assert private_incident.title == TITLE


# --- Membership ----------------------------------------------------------------------------------


def test_joining_and_leaving_the_private_channel_grants_and_takes_away(
    client, private_incident, jobs
):
    channel = CommsChannel.objects.get(incident=private_incident).channel_id
    joined = event_from("event_member_joined_channel", user="U0DAVE", channel=channel)
    post_event(client, joined)
    jobs()
    dave = ExternalUser.objects.get(external_id="U0DAVE")
    assert may_see(private_incident, Acting.for_slack_user(dave))

    left = event_from("event_member_joined_channel", user="U0DAVE", channel=channel)
    left["event"]["type"] = "member_left_channel"
    post_event(client, left)
    jobs()

    assert not may_see(private_incident, Acting.for_slack_user(dave))


def test_the_declarer_keeps_access_after_leaving_the_channel(client, private_incident, jobs):
    channel = CommsChannel.objects.get(incident=private_incident).channel_id
    left = event_from("event_member_joined_channel", user=DECLARER, channel=channel)
    left["event"]["type"] = "member_left_channel"
    post_event(client, left)
    jobs()

    alice = ExternalUser.objects.get(external_id=DECLARER)
    assert may_see(private_incident, Acting.for_slack_user(alice))
