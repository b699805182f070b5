"""Permissions from Slack (SPEC §18): each named permission, under both policies, through signed
requests and the worker, granted through a login's group or through a mapped Slack user group.

One row per permission says how a Slack user triggers it and how to tell it happened. Under
``restricted`` a user without it is told ephemerally, naming the permission, and nothing changes.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.models import Permission as AuthPermission
from procrastinate.contrib.django.models import ProcrastinateJob

from core import services
from core.access import Acting, Permission, acting_as, allowed, current, require
from core.models import ExternalUser, Incident, Severity, SlackUserGroup
from slack import registry
from slack.delivery.jobs import job
from slack.incoming import after_response
from slack.user_groups import refresh_user_groups
from slack.workflows import config
from slack.workflows.models import Workflow
from slack.workflows.pagerduty import blocks as pagerduty_blocks
from slack.workflows.statuspage import blocks as statuspage_blocks
from tests.helpers import load_fixture, post_form, post_interaction
from tests.slack.channel_helpers import COMMS, incident_with_channel, mention
from tests.slack.workflows.fake_pagerduty import FakePagerDuty

ALICE = "U0ALICE"
_clicks = itertools.count(1)


# --- Granting ----------------------------------------------------------------------------------


def group_holding(permission: str) -> Group:
    group, _ = Group.objects.get_or_create(name=f"holders of {permission}")
    group.permissions.add(
        AuthPermission.objects.get(content_type__app_label="core", codename=permission)
    )
    return group


def grant_through_login(permission: str, slack_id: str = ALICE) -> None:
    """The Slack user's linked login is in a group holding ``permission``."""
    person = get_user_model().objects.create_user(username=f"{slack_id.lower()}@example.com")
    person.groups.add(group_holding(permission))
    ExternalUser.objects.update_or_create(external_id=slack_id, defaults={"owner": person})


def grant_through_user_group(permission: str, fake_slack, slack_id: str = ALICE) -> None:
    """The Slack user is in ``@oncall`` (as Slack says, read by the refresh), mapped to a group
    holding ``permission``."""
    fake_slack.on(
        "usergroups.list",
        lambda params: {
            "ok": True,
            "usergroups": [
                {"id": "S0ONCALL", "handle": "oncall", "name": "On call", "date_delete": 0}
            ],
        },
    )
    fake_slack.on("usergroups.users.list", lambda params: {"ok": True, "users": [slack_id]})
    refresh_user_groups(timestamp=0)
    SlackUserGroup.objects.filter(external_id="S0ONCALL").update(group=group_holding(permission))


# --- Triggers --------------------------------------------------------------------------------


def click(client, action_id: str, value: str, user: str = ALICE) -> None:
    payload = copy.deepcopy(load_fixture("declare_headline_click"))
    payload["user"]["id"] = user
    payload["channel"]["id"] = payload["container"]["channel_id"] = COMMS
    payload["actions"][0].update(
        action_id=action_id, value=value, action_ts=f"17000019{next(_clicks):02d}.000001"
    )
    assert post_interaction(client, payload).status_code == 200


def enable(name: str, **values: str) -> None:
    config.workflow_rows_ensure()
    config.workflow_configure(workflow=Workflow.objects.get(name=name), enabled=True, values=values)


@dataclass(frozen=True)
class Row:
    permission: Permission
    trigger: Callable  # (client, incident, world) -> None
    happened: Callable  # (incident, world, fake_slack) -> bool


def _fresh(incident: Incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def _posted_statuspage_prompt(fake_slack) -> bool:
    return any(
        b.get("accessory", {}).get("action_id") == statuspage_blocks.OPEN_BUTTON
        for c in fake_slack.calls("chat.postMessage")
        if c.params["channel"] == COMMS
        for b in c.params.get("blocks") or []
    )


ROWS = [
    Row(
        Permission.CHANGE_SEVERITY,
        trigger=lambda client, incident, world: mention(client, "severity critical"),
        happened=lambda incident, world, fake: _fresh(incident).severity == Severity.CRITICAL,
    ),
    Row(
        Permission.RESOLVE,
        trigger=lambda client, incident, world: mention(client, "close"),
        happened=lambda incident, world, fake: _fresh(incident).end_time is not None,
    ),
    Row(
        Permission.PAGE,
        trigger=lambda client, incident, world: click(
            client, pagerduty_blocks.PAGE_ON_CALL, str(incident.pk)
        ),
        happened=lambda incident, world, fake: len(world["pagerduty"].events) == 1,
    ),
    Row(
        Permission.STATUSPAGE,
        trigger=lambda client, incident, world: mention(client, "statuspage"),
        happened=lambda incident, world, fake: _posted_statuspage_prompt(fake),
    ),
]


@pytest.fixture
def world(transactional_db, settings):
    """An incident with its channel, PagerDuty and Statuspage enabled, PagerDuty faked."""
    with FakePagerDuty() as pagerduty:
        settings.PAGERDUTY_EVENTS_URL = pagerduty.url
        enable("pagerduty", routing_key="R0UTINGKEYONCALL0000000000000000")
        enable("statuspage", api_key="sp-api-key-0123456789", page_id="pagepage0123")
        yield {
            "pagerduty": pagerduty,
            "incident": incident_with_channel(severity=Severity.MINOR),
        }


def ephemerals_to(fake_slack, user: str) -> list[str]:
    return [
        c.params["text"] for c in fake_slack.calls("chat.postEphemeral") if c.params["user"] == user
    ]


def by_permission(row: Row) -> str:
    return str(row.permission)


@pytest.mark.parametrize("row", ROWS, ids=by_permission)
def test_open_everyone_may(client, fake_slack, jobs, world, row, settings):
    settings.ACCESS_POLICY = "open"
    row.trigger(client, world["incident"], world)
    jobs()
    assert row.happened(world["incident"], world, fake_slack)
    assert not any("permission" in text for text in ephemerals_to(fake_slack, ALICE))


@pytest.mark.parametrize("row", ROWS, ids=by_permission)
def test_restricted_and_not_granted_is_told_and_nothing_changes(
    client, fake_slack, jobs, world, row, settings
):
    settings.ACCESS_POLICY = "restricted"
    grant_through_login("declare_private")  # a login with other permissions is not enough
    before = Incident.objects.values().get(pk=world["incident"].pk)

    row.trigger(client, world["incident"], world)
    jobs()

    assert not row.happened(world["incident"], world, fake_slack)
    assert Incident.objects.values().get(pk=world["incident"].pk) == before
    (refusal,) = ephemerals_to(fake_slack, ALICE)
    assert f"`{row.permission}` permission" in refusal
    assert world["pagerduty"].events == []


@pytest.mark.parametrize("row", ROWS, ids=by_permission)
def test_restricted_and_granted_through_the_linked_logins_group(
    client, fake_slack, jobs, world, row, settings
):
    settings.ACCESS_POLICY = "restricted"
    grant_through_login(row.permission)

    row.trigger(client, world["incident"], world)
    jobs()

    assert row.happened(world["incident"], world, fake_slack)
    assert ephemerals_to(fake_slack, ALICE) == []


@pytest.mark.parametrize("row", ROWS, ids=by_permission)
def test_restricted_and_granted_through_a_mapped_slack_user_group(
    client, fake_slack, jobs, world, row, settings
):
    settings.ACCESS_POLICY = "restricted"
    grant_through_user_group(row.permission, fake_slack)

    row.trigger(client, world["incident"], world)
    jobs()

    assert row.happened(world["incident"], world, fake_slack)
    assert ephemerals_to(fake_slack, ALICE) == []


def test_a_slash_command_refusal_is_the_ephemeral_answer(client, fake_slack, world, settings):
    """Refused in the request itself: Slack's answer is the refusal, seen only by them."""
    settings.ACCESS_POLICY = "restricted"

    def needs_configure(command):
        require(Permission.CONFIGURE)
        return "configured"

    registry.slash_commands.register("/perm-test", needs_configure, atomic=False)
    try:
        answer = post_form(
            client,
            "/slack/slash_command",
            {"command": "/perm-test", "user_id": ALICE, "channel_id": COMMS, "text": ""},
        ).json()
    finally:
        registry.slash_commands.unregister("/perm-test")
    assert answer["response_type"] == "ephemeral"
    assert "`configure` permission" in answer["text"]


# --- Who acts in the worker -------------------------------------------------------------------

seen_acting: list[Acting] = []


@job("tests.who_acts")
def who_acts() -> None:
    seen_acting.append(current())


def test_a_job_deferred_for_a_slack_user_runs_as_them(jobs, transactional_db):
    seen_acting.clear()
    user = ExternalUser.objects.create(external_id=ALICE)
    with acting_as(Acting.for_slack_user(user)):
        who_acts.defer()
    who_acts.defer()  # deferred by the system

    jobs()

    as_alice, as_system = seen_acting
    assert as_alice.slack_user.external_id == ALICE and as_alice.via == "slack"
    assert as_system.is_system


def test_a_job_refused_in_the_worker_tells_the_user_by_dm_and_is_not_retried(
    jobs, fake_slack, transactional_db, settings
):
    settings.ACCESS_POLICY = "restricted"
    incident = incident_with_channel(severity=Severity.MINOR)
    user = ExternalUser.objects.create(external_id=ALICE)
    with acting_as(Acting.for_slack_user(user)):
        severity_change.defer(incident_id=incident.pk)

    jobs()

    assert _fresh(incident).severity == Severity.MINOR
    (dm,) = [c for c in fake_slack.calls("chat.postMessage") if c.params["channel"] == ALICE]
    assert "`change_severity` permission" in dm.params["text"]


@job("tests.severity_change")
def severity_change(incident_id: int) -> None:
    services.incident_update(
        incident=Incident.objects.get(pk=incident_id), severity=Severity.CRITICAL
    )


# --- Slack user groups ------------------------------------------------------------------------


def test_the_refresh_stores_groups_and_members_and_a_group_gone_grants_nothing(
    fake_slack, transactional_db, settings
):
    settings.ACCESS_POLICY = "restricted"
    grant_through_user_group(Permission.PAGE, fake_slack)
    alice = ExternalUser.objects.get(external_id=ALICE)
    assert allowed(Acting.for_slack_user(alice), Permission.PAGE)
    assert not allowed(Acting.for_slack_user(alice), Permission.RESOLVE)
    (listed,) = fake_slack.calls("usergroups.list")
    assert listed.params["include_disabled"] in ("1", "true", True)

    fake_slack.on("usergroups.list", lambda params: {"ok": True, "usergroups": []})
    refresh_user_groups(timestamp=0)

    assert SlackUserGroup.objects.get(external_id="S0ONCALL").disabled
    assert not allowed(Acting.for_slack_user(alice), Permission.PAGE)


def test_a_workspace_without_user_groups_keeps_what_it_had(fake_slack, transactional_db):
    grant_through_user_group(Permission.PAGE, fake_slack)
    fake_slack.on("usergroups.list", lambda params: {"ok": False, "error": "plan_upgrade_required"})

    assert refresh_user_groups(timestamp=0) == []
    assert SlackUserGroup.objects.get(external_id="S0ONCALL").members.count() == 1


def test_a_refresh_that_cannot_reach_slack_waits_for_the_next_run_not_a_retry(
    fake_slack, jobs, settings
):
    """The periodic refresh reads everything again ten minutes on: a failed one is not retried,
    so it never piles up behind a Slack that cannot be reached, nor keeps the queue busy."""
    settings.SLACK_API_BASE_URL = "http://127.0.0.1:9/api/"  # nothing listens there
    refresh_user_groups.defer(timestamp=0)

    jobs()

    assert list(ProcrastinateJob.objects.values_list("task_name", "status")) == [
        ("slack.refresh_user_groups", "failed")
    ]


def test_declare_private_is_granted_like_the_others(fake_slack, transactional_db, settings):
    """Checked by the private incidents' declaration; granted here like every permission."""
    settings.ACCESS_POLICY = "restricted"
    grant_through_user_group(Permission.DECLARE_PRIVATE, fake_slack)
    grant_through_login(Permission.DECLARE_PRIVATE, slack_id="U0BOB")
    for slack_id in (ALICE, "U0BOB"):
        user = ExternalUser.objects.select_related("owner").get(external_id=slack_id)
        assert allowed(Acting.for_slack_user(user), Permission.DECLARE_PRIVATE)
    carol = ExternalUser.objects.create(external_id="U0CAROL")
    assert not allowed(Acting.for_slack_user(carol), Permission.DECLARE_PRIVATE)


def test_slacks_endpoints_act_as_the_system_until_a_handler_runs_as_the_user(
    client, fake_slack, transactional_db, world
):
    """Not as whoever is signed in to the browser: the delivery's own job carries no actor,
    and the worker runs its handler as the user the payload names."""
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "x"))
    click(client, pagerduty_blocks.PAGE_ON_CALL, str(world["incident"].pk))

    (accepted,) = ProcrastinateJob.objects.filter(task_name="slack.process_action")
    assert "acting" not in accepted.args


def test_work_done_just_after_the_answer_is_still_the_users(transactional_db):
    seen: list[Acting] = []
    user = ExternalUser.objects.create(external_id=ALICE)
    with acting_as(Acting.for_slack_user(user)):
        after_response.soon(lambda: seen.append(current()))
    after_response.wait_idle()

    assert seen[0].slack_user == user
