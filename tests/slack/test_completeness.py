"""Everything Response answers is registered, and every process knows every job the same way.

The names below are what Slack and the queue hold on to: action ids live in messages already
posted, callback ids in open modals, job names in queued rows. A rename here is a change of
contract, so each is pinned; and a flow whose module is not imported would silently answer
nothing, which these tests notice.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings
from procrastinate.contrib.django import app

from slack import registry
from slack.apps import NOT_IMPORTED_AT_START, app_modules
from slack.manifest import BOT_EVENTS

SLACK_DIR = Path(__file__).resolve().parents[2] / "slack"

SLASH_COMMANDS = ["/incident"]
INCIDENT_COMMANDS = [
    "action",
    "catch-up",
    "catchup",
    "close",
    "duration",
    "esc",
    "escalate",
    "follow",
    "help",
    "impact",
    "lead",
    "milestone",
    "postmortem",
    "rename",
    "role",
    "roles",
    "sev",
    "severity",
    "sp",
    "status",
    "statuspage",
    "summary",
    "unfollow",
    "update",
]
ACTIONS = [
    "close-incident-button",
    "create-comms-channel-button",
    "edit-incident-button",
    "follow-incident-button",
    "follow-up-mark-done-button",
    "incident-status-menu",
    "page-on-call-button",
    "page-team-button",
    "private-approve-access-button",
    "private-deny-access-button",
    "private-request-access-button",
    "share-update-button",
    "statuspage-open-button",
    "unfollow-incident-button",
]
VIEWS = [
    "incident-edit-modal",
    "incident-report-modal",
    "share-update-modal",
    "statuspage-modal",
]
EVENTS = [
    "app_mention",
    "channel_rename",
    "group_rename",
    "member_joined_channel",
    "member_left_channel",
    "message",
    "pin_added",
    "pin_removed",
]
REMINDERS = [
    "slack.flows.reminders.handlers.remind_no_lead",
    "slack.flows.reminders.handlers.remind_no_severity",
    "slack.flows.reminders.handlers.remind_still_open",
]
JOBS = [
    "slack.add_reaction",
    "slack.ask_for_report",
    "slack.comms_bookmark",
    "slack.comms_describe",
    "slack.comms_invite",
    "slack.create_comms_channel",
    "slack.finish_after_lookup",
    "slack.fold_incident_tallies",
    "slack.post_headline",
    "slack.post_message",
    "slack.post_update_in_headline_thread",
    "slack.process_action",
    "slack.process_event",
    "slack.prune_failed_attempts",
    "slack.prune_processed_events",
    "slack.redraw_overdue_dm",
    "slack.refresh_user",
    "slack.refresh_user_groups",
    "slack.rename_comms_channel",
    "slack.requeue_stalled_jobs",
    "slack.send_access_request",
    "slack.send_catch_up",
    "slack.send_overdue_dm",
    "slack.send_resolution_to_follower",
    "slack.send_role_duty",
    "slack.send_update_to_follower",
    "slack.show_access_decision",
    "slack.statuspage_load_form",
    "slack.statuspage_submit",
    "slack.tell_by_dm",
    "slack.tell_user",
    "slack.thank_reporter",
    "slack.update_headline",
]


def _plugin_free(keys: list[str]) -> list[str]:
    # The example plugin's words, registered by some tests, are not built in.
    return sorted(key for key in keys if key not in {"runbook", "rb"} and "examples." not in key)


def test_every_built_in_name_is_registered_and_pinned():
    assert _plugin_free(registry.slash_commands.keys()) == SLASH_COMMANDS
    assert _plugin_free(registry.incident_commands.keys()) == INCIDENT_COMMANDS
    assert _plugin_free(registry.action_handlers.keys()) == ACTIONS
    assert _plugin_free(registry.view_handlers.keys()) == VIEWS
    assert _plugin_free(registry.event_handlers.keys()) == EVENTS
    assert _plugin_free(registry.notifications.keys()) == REMINDERS


def test_every_job_name_is_registered_and_pinned():
    ours = sorted(name for name in app.tasks if name.startswith("slack."))
    assert ours == JOBS


def _event_type(subscription: str) -> str:
    # message.channels / message.groups arrive as events of type "message".
    return subscription.split(".")[0]


def test_every_event_the_manifest_subscribes_to_has_a_handler():
    unhandled = [s for s in BOT_EVENTS if not registry.event_handlers.get(_event_type(s))]
    assert unhandled == []


def test_every_handled_event_is_subscribed_to():
    subscribed = {_event_type(subscription) for subscription in BOT_EVENTS}
    assert sorted(set(EVENTS) - subscribed) == []


def _declared_jobs() -> set[str]:
    """The names given to ``@job("…")`` anywhere in slack/, read from the source."""
    names = set()
    for path in SLACK_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and getattr(decorator.func, "id", "") == "job"
                    and decorator.args
                    and isinstance(decorator.args[0], ast.Constant)
                ):
                    names.add(decorator.args[0].value)
    return names


def test_every_job_in_the_source_is_known_to_this_process():
    # The worker starts Django the way this test process did; what it knows, this knows.
    declared = _declared_jobs()
    assert len(declared) == len(JOBS)
    assert declared <= set(app.tasks)


def test_jobs_are_known_by_one_mechanism_the_walk_over_every_module():
    # No module list to keep in step: procrastinate's own discovery is off, and the app's start
    # walks every module file of slack/ (migrations aside).
    assert settings.PROCRASTINATE_AUTODISCOVER_MODULE_NAME == ""
    assert not list(SLACK_DIR.rglob("tasks.py"))
    files = {
        ".".join(path.relative_to(SLACK_DIR.parent).with_suffix("").parts).removesuffix(".__init__")
        for path in SLACK_DIR.rglob("*.py")
    }
    expected = {name for name in files if not name.startswith(NOT_IMPORTED_AT_START)} - {"slack"}
    assert set(app_modules()) == expected
