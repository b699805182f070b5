"""The sandbox's user groups (slack-platform.md, usergroups.*): made through the control API, read
and replaced through the Web API as Slack does, and read by Response's refresh."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from core.models import SlackUserGroup
from slack.user_groups import refresh_user_groups
from tests.sandbox.conftest import TOKEN
from tests.sandbox.test_control import call


def seed(sandbox, handle: str, users: list[str], **fields):
    return call(
        sandbox, "POST", "/sandbox/usergroups", {"handle": handle, "users": users, **fields}
    )


def test_a_seeded_group_is_listed_with_its_members_only_when_asked(sandbox, web):
    made = seed(sandbox, "oncall", ["U0ALICE", "U0BOB"], name="On call")
    assert made["id"].startswith("S")

    (listed,) = web.usergroups_list()["usergroups"]
    assert (listed["id"], listed["handle"], listed["name"]) == (made["id"], "oncall", "On call")
    assert "users" not in listed and "user_count" not in listed
    (with_users,) = web.usergroups_list(include_users=True, include_count=True)["usergroups"]
    assert with_users["users"] == ["U0ALICE", "U0BOB"] and with_users["user_count"] == 2
    assert web.usergroups_users_list(usergroup=made["id"])["users"] == ["U0ALICE", "U0BOB"]


def test_update_replaces_the_whole_member_list(sandbox, web):
    made = seed(sandbox, "oncall", ["U0ALICE", "U0BOB"])

    web.usergroups_users_update(usergroup=made["id"], users=["U0CAROL"])

    assert web.usergroups_users_list(usergroup=made["id"])["users"] == ["U0CAROL"]


def test_disabled_groups_are_left_out_unless_asked_for(sandbox, web):
    seed(sandbox, "retired", [], disabled=True)

    assert web.usergroups_list()["usergroups"] == []
    (retired,) = web.usergroups_list(include_disabled=True)["usergroups"]
    assert retired["date_delete"] > 0


def test_unknown_groups_and_members_are_refused_as_slack_does(sandbox, web):
    with pytest.raises(SlackApiError) as unknown:
        web.usergroups_users_list(usergroup="S0NOPE")
    assert unknown.value.response["error"] == "no_such_subteam"
    made = seed(sandbox, "oncall", [])
    with pytest.raises(SlackApiError) as stranger:
        web.usergroups_users_update(usergroup=made["id"], users=["U0NOBODY"])
    assert stranger.value.response["error"] == "user_not_found"


def test_on_a_free_plan_user_groups_are_unavailable(sandbox, web):
    call(sandbox, "POST", "/sandbox/plan", {"paid": False})

    with pytest.raises(SlackApiError) as refused:
        web.usergroups_list()
    assert refused.value.response["error"] == "plan_upgrade_required"


def test_responses_refresh_reads_the_sandboxs_groups(sandbox, transactional_db, settings):
    settings.SLACK_API_BASE_URL = sandbox.config.public_url + "/api/"
    settings.SLACK_TOKEN = TOKEN
    made = seed(sandbox, "oncall", ["U0ALICE", "U0BOB"], name="On call")
    seed(sandbox, "retired", ["U0CAROL"], disabled=True)

    refresh_user_groups(timestamp=0)

    oncall = SlackUserGroup.objects.get(external_id=made["id"])
    assert (oncall.handle, oncall.name, oncall.disabled) == ("oncall", "On call", False)
    assert sorted(oncall.members.values_list("external_id", flat=True)) == ["U0ALICE", "U0BOB"]
    retired = SlackUserGroup.objects.get(handle="retired")
    assert retired.disabled and retired.members.count() == 0
