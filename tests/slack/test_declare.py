"""/incident, the report modal, and editing from the headline (SPEC §6.1, 6.2, 6.7)."""

from __future__ import annotations

import copy
import json
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from core import services
from core.models import Incident, Severity, TimelineEvent
from slack.flows.declare import ids
from slack.flows.declare.blocks import edit_modal, report_modal
from slack.flows.headline import ids as headline_ids
from slack.flows.updates import ids as update_ids
from slack.incoming import after_response
from slack.models import HeadlinePost
from tests.helpers import load_fixture, post_form, post_interaction
from tests.worker_process import database_url

# The last part of the command's response URL, which the stand-in records as the "method".
RESPONSE_URL_KEY = "respond-1234"


def slash_command(text: str) -> dict[str, str]:
    """The command as Slack sends it; its response URL leads to the stand-in Slack."""
    fields = {**load_fixture("slash_command"), "text": text}
    base = settings.SLACK_API_BASE_URL.rstrip("/").rsplit("/", 1)[0]
    return {**fields, "response_url": f"{base}/commands/T0001/{RESPONSE_URL_KEY}"}


def submission(**values: Any) -> dict[str, Any]:
    """The report modal's submission, with some inputs' element states replaced."""
    payload = copy.deepcopy(load_fixture("declare_view_submission"))
    state = payload["view"]["state"]["values"]
    for action_id, element in values.items():
        state[action_id][action_id] = element
    return payload


def text_input(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def option(value: str) -> dict[str, Any]:
    return {"selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}}


def edit_submission(incident: Incident, **values: Any) -> dict[str, Any]:
    payload = submission(**values)
    view = payload["view"]
    view["callback_id"] = ids.EDIT_MODAL
    view["private_metadata"] = json.dumps({"incident_id": incident.pk})
    del view["state"]["values"]["report_kind"]  # the edit modal does not ask
    return payload


def click(action_id: str, value: str, *, user: str = "U0BOB") -> dict[str, Any]:
    payload = copy.deepcopy(load_fixture("declare_headline_click"))
    payload["user"]["id"] = user
    payload["actions"][0].update(action_id=action_id, value=value)
    return payload


def input_block(view: dict[str, Any], action_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("element", {}).get("action_id") == action_id)


def buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The headline's buttons (action id, value); its Status menu is not one."""
    return [
        (element["action_id"], element["value"])
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "button"
    ]


# --- /incident -----------------------------------------------------------------------------------


def test_incident_command_answers_at_once_and_then_opens_the_report_modal(client, fake_slack):
    response = post_form(client, "/slack/slash_command", slash_command("payments are failing"))

    assert response.status_code == 200
    assert response.content == b""
    [call] = fake_slack.wait_for_calls("views.open")
    assert call.params["trigger_id"] == "13345224609.738474920.8088930838d88f008e0"
    view = call.params["view"]
    assert view["callback_id"] == ids.REPORT_MODAL
    title = input_block(view, "title")["element"]
    assert title["initial_value"] == "payments are failing"
    assert title["max_length"] == 200
    assert json.loads(view["private_metadata"]) == {"channel_id": "C0GENERAL"}
    assert [b["element"]["action_id"] for b in view["blocks"]] == [
        "title",
        "report_kind",
        "triage",
        "drill",
        "private",
        "summary",
        "impact",
        "lead",
        "severity",
    ]


def test_a_command_text_too_long_for_a_title_is_kept_whole_in_the_summary(client, fake_slack):
    # 300 characters, and the 200th falls inside a word: nothing typed is lost, no word is cut.
    text = " ".join(["payments"] * 33) + " fail"
    assert len(text) == 301 and text[199] != " "

    post_form(client, "/slack/slash_command", slash_command(text))

    [call] = fake_slack.wait_for_calls("views.open")
    view = call.params["view"]
    title = input_block(view, "title")
    prefilled = title["element"]["initial_value"]
    assert len(prefilled) <= title["element"]["max_length"] == 200
    assert prefilled == " ".join(["payments"] * 22) + "…"  # cut between words, and says so
    assert "shortened" in title["hint"]["text"]
    assert input_block(view, "summary")["element"]["initial_value"] == text


def test_a_command_text_that_fits_is_the_title_alone(client, fake_slack):
    text = "x" * 200

    post_form(client, "/slack/slash_command", slash_command(f"  {text} "))

    [call] = fake_slack.wait_for_calls("views.open")
    view = call.params["view"]
    assert input_block(view, "title")["element"]["initial_value"] == text
    assert "hint" not in input_block(view, "title")
    assert "initial_value" not in input_block(view, "summary")["element"]


def test_incident_help_answers_with_usage_and_calls_no_slack(client, fake_slack):
    response = post_form(client, "/slack/slash_command", slash_command("  Help "))

    assert response.status_code == 200
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert "/incident <what's happening>" in answer["text"]
    after_response.wait_idle()
    assert fake_slack.calls() == []


def told_through_the_response_url(fake_slack) -> str:
    """What the person was told later, through the command's response URL (ephemeral)."""
    [call] = fake_slack.wait_for_calls(RESPONSE_URL_KEY)
    assert call.params["response_type"] == "ephemeral"
    return call.params["text"]


@pytest.mark.parametrize("error", ["expired_trigger_id", "internal_error"])
def test_a_modal_that_cannot_be_opened_is_explained_to_the_user(client, fake_slack, error):
    fake_slack.queue_error("views.open", error)

    response = post_form(client, "/slack/slash_command", slash_command("payments are failing"))

    assert response.status_code == 200
    assert "couldn't open the incident form" in told_through_the_response_url(fake_slack)


# What the person is told for each way a trigger id can be refused (slack-platform.md §3.2).
TRIGGER_REFUSALS = [
    ("expired_trigger_id", "within 3 seconds"),
    ("exchanged_trigger_id", "already used"),
    ("invalid_trigger_id", "not valid"),
]


@pytest.mark.parametrize(("error", "said"), TRIGGER_REFUSALS)
def test_each_refused_trigger_is_explained_for_what_it_is(client, fake_slack, error, said):
    fake_slack.queue_error("views.open", error)

    post_form(client, "/slack/slash_command", slash_command("payments are failing"))

    told = told_through_the_response_url(fake_slack)
    assert said in told
    others = [text for code, text in TRIGGER_REFUSALS if code != error]
    assert not any(text in told for text in others)


def test_opening_the_modal_gives_up_before_the_trigger_expires(client, fake_slack, settings):
    # The trigger lasts 3 s: a slow views.open is not waited on for SLACK_API_TIMEOUT.
    settings.SLACK_API_TIMEOUT = 10
    fake_slack.stall("views.open", 2.5)

    post_form(client, "/slack/slash_command", slash_command("payments are failing"))

    assert "couldn't open the incident form" in told_through_the_response_url(fake_slack)


def test_a_rate_limited_modal_is_not_retried_after_the_trigger_expired(client, fake_slack):
    fake_slack.rate_limit("views.open", retry_after=1)

    post_form(client, "/slack/slash_command", slash_command("payments are failing"))

    assert "couldn't open the incident form" in told_through_the_response_url(fake_slack)
    assert len(fake_slack.calls("views.open")) == 1


@pytest.mark.django_db  # the edit modal reads the incident's lead, a role held
def test_the_modals_ask_for_these_fields_in_this_order():
    # The ids Slack sees, in order: a new row in fields.py shows up here, in both modals.
    report = report_modal()
    edit = edit_modal(Incident(pk=7, title="Payments are failing"))

    report_ids = [block["block_id"] for block in report["blocks"]]
    edit_ids = [block["block_id"] for block in edit["blocks"]]
    assert report_ids == [
        "title",
        "report_kind",
        "triage",
        "drill",
        "private",
        "summary",
        "impact",
        "lead",
        "severity",
    ]
    # Neither box: the status moves by @incident status, and a drill stays what it was declared.
    assert edit_ids == ["title", "summary", "impact", "lead", "severity"]
    blocks = report["blocks"] + edit["blocks"]
    assert all(block["element"]["action_id"] == block["block_id"] for block in blocks)
    assert list(json.loads(edit["private_metadata"])["shown"]) == edit_ids


# --- Submission ----------------------------------------------------------------------------------


def test_submission_declares_at_once_and_posts_the_headline_in_a_job(client, fake_slack, jobs):
    response = post_interaction(client, submission())

    assert response.status_code == 200
    assert response.content == b""  # closes the modal
    incident = Incident.objects.select_related("reporter").get()
    assert (incident.title, incident.summary, incident.severity) == (
        "Payments are failing",
        "Card payments return 502 since 09:12.",
        Severity.MAJOR,
    )
    assert (incident.reporter.external_id, incident.lead.external_id) == ("U0ALICE", "U0LEAD")
    assert not incident.report_only
    assert (incident.status, incident.drill) == ("investigating", False)  # neither box ticked
    assert fake_slack.calls() == []  # nothing talks to Slack before the worker runs

    jobs()

    [post] = headline_posts(fake_slack)
    assert post.params["channel"] == "C0INCIDENTS"
    assert "*Payments are failing*" in json.dumps(post.params["blocks"])
    assert "Payments are failing" in post.params["text"]
    assert buttons(post.params["blocks"]) == [
        (headline_ids.CREATE_COMMS_CHANNEL, str(incident.pk)),
        (headline_ids.EDIT_INCIDENT, str(incident.pk)),
        (headline_ids.CLOSE_INCIDENT, str(incident.pk)),
        (update_ids.SHARE_UPDATE, str(incident.pk)),
        (update_ids.FOLLOW, str(incident.pk)),
        (update_ids.UNFOLLOW, str(incident.pk)),
    ]
    headline = HeadlinePost.objects.get(incident=incident)
    assert headline.channel_id == "C0INCIDENTS"
    assert headline.ts and headline.posted_at
    [thanks] = fake_slack.calls("chat.postEphemeral")
    assert (thanks.params["channel"], thanks.params["user"]) == ("C0GENERAL", "U0ALICE")
    assert "Thanks for raising the incident" in thanks.params["text"]
    assert f"/archives/C0INCIDENTS/p{headline.ts.replace('.', '')}" in thanks.params["text"]


@pytest.mark.django_db
@pytest.mark.parametrize("title", ["", "   ", None, "x" * 201, " " + "y" * 201 + " "])
def test_a_missing_or_too_long_title_is_refused_in_the_modal(client, fake_slack, title):
    response = post_interaction(client, submission(title=text_input(title)))

    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["title"]
    assert Incident.objects.count() == 0
    assert ProcrastinateJob.objects.count() == 0
    assert fake_slack.calls() == []


@pytest.mark.django_db
def test_a_title_of_200_characters_once_trimmed_is_accepted(client, fake_slack):
    response = post_interaction(client, submission(title=text_input("  " + "z" * 200 + "\n")))

    assert response.content == b""
    assert Incident.objects.get().title == "z" * 200


@pytest.mark.django_db
def test_an_unknown_severity_is_refused_under_its_field(client, fake_slack):
    severity = {"type": "static_select", **option("9")}

    answer = post_interaction(client, submission(severity=severity)).json()

    assert list(answer["errors"]) == ["severity"]
    assert Incident.objects.count() == 0


def test_a_report_of_something_over_gets_no_comms_channel_button(client, fake_slack, jobs):
    kind = {"type": "radio_buttons", **option("report")}

    post_interaction(client, submission(report_kind=kind))
    jobs()

    incident = Incident.objects.get()
    assert incident.report_only
    [post] = headline_posts(fake_slack)
    actions = [action_id for action_id, _ in buttons(post.params["blocks"])]
    assert headline_ids.CREATE_COMMS_CHANNEL not in actions
    assert headline_ids.CLOSE_INCIDENT not in actions  # already over
    assert "Reported" in json.dumps(post.params["blocks"])


def test_thanks_go_by_dm_when_the_bot_cannot_post_in_that_channel(client, fake_slack, jobs):
    fake_slack.queue_error("chat.postEphemeral", "channel_not_found")

    post_interaction(client, submission())
    jobs()

    dms = [c for c in fake_slack.calls("chat.postMessage") if c.params["channel"] == "U0ALICE"]
    assert len(dms) == 1
    assert "Thanks for raising the incident" in dms[0].params["text"]


# --- The "not sure yet" and "drill" boxes --------------------------------------------------------


def ticked_submission(**values: Any) -> dict[str, Any]:
    """The report modal's submission with both boxes ticked, as Slack sends it."""
    payload = load_fixture("declare_view_submission_boxes")
    state = payload["view"]["state"]["values"]
    for action_id, element in values.items():
        state[action_id][action_id] = element
    return payload


def unticked() -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": []}


def test_the_report_modal_offers_both_boxes_unticked(client, fake_slack):
    post_form(client, "/slack/slash_command", slash_command("payments are failing"))

    [call] = fake_slack.wait_for_calls("views.open")
    view = call.params["view"]
    for action_id, said in [("triage", "Not sure yet"), ("drill", "This is a drill")]:
        block = input_block(view, action_id)
        assert block["optional"] is True  # Slack would otherwise insist on a tick
        element = block["element"]
        assert element["type"] == "checkboxes"
        [box] = element["options"]
        assert box["text"]["text"] == said
        assert "initial_options" not in element  # Slack refuses an empty list


@pytest.mark.django_db
def test_not_sure_yet_declares_in_triage_and_the_drill_box_a_drill(client, fake_slack):
    response = post_interaction(client, ticked_submission())

    assert response.content == b""
    incident = Incident.objects.get()
    assert (incident.status, incident.drill, incident.is_live) == ("triage", True, True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("box", "expected"),
    [("triage", ("investigating", True)), ("drill", ("triage", False))],
)
def test_each_box_decides_only_its_own_part(client, fake_slack, box, expected):
    post_interaction(client, ticked_submission(**{box: unticked()}))

    incident = Incident.objects.get()
    assert (incident.status, incident.drill) == expected


@pytest.mark.django_db
def test_a_report_of_something_over_ignores_not_sure_yet(client, fake_slack):
    kind = {"type": "radio_buttons", **option("report")}

    response = post_interaction(client, ticked_submission(report_kind=kind))

    assert response.content == b""
    incident = Incident.objects.get()
    assert (incident.status, incident.report_only, incident.drill) == ("reported", True, True)


@pytest.mark.django_db
def test_a_box_with_an_option_it_never_offered_is_refused_under_it(client, fake_slack):
    forged = {"type": "checkboxes", "selected_options": [{"value": "maybe"}]}

    answer = post_interaction(client, ticked_submission(drill=forged)).json()

    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["drill"]
    assert Incident.objects.count() == 0


# --- Edit ----------------------------------------------------------------------------------------


@pytest.fixture
def incident(db) -> Incident:
    return services.incident_declare(
        title="Payments are failing",
        reporter=services.external_user_get_or_create(external_id="U0ALICE"),
        summary="Card payments return 502.",
        lead=services.external_user_get_or_create(external_id="U0LEAD"),
        severity=Severity.MINOR,
    )


def test_the_edit_button_opens_the_modal_prefilled(client, fake_slack, incident):
    response = post_interaction(client, click(headline_ids.EDIT_INCIDENT, str(incident.pk)))

    assert response.status_code == 200
    [call] = fake_slack.calls("views.open")  # in the request: the trigger id expires in 3 s
    view = call.params["view"]
    assert view["callback_id"] == ids.EDIT_MODAL
    assert json.loads(view["private_metadata"])["incident_id"] == incident.pk
    assert input_block(view, "title")["element"]["initial_value"] == "Payments are failing"
    assert input_block(view, "summary")["element"]["initial_value"] == "Card payments return 502."
    assert input_block(view, "lead")["element"]["initial_user"] == "U0LEAD"
    assert input_block(view, "severity")["element"]["initial_option"]["value"] == "3"
    assert not any(b["block_id"] == "report_kind" for b in view["blocks"])


def test_edit_button_failures_are_told_to_the_clicker(client, fake_slack, jobs, incident):
    fake_slack.queue_error("views.open", "expired_trigger_id")

    post_interaction(client, click(headline_ids.EDIT_INCIDENT, str(incident.pk)))
    jobs()

    [note] = fake_slack.calls("chat.postEphemeral")
    assert note.params["user"] == "U0BOB"
    assert f"couldn't open the form to edit incident {incident.pk}" in note.params["text"]


@pytest.mark.parametrize(("error", "said"), TRIGGER_REFUSALS)
def test_a_refused_trigger_on_the_edit_button_is_explained(
    client, fake_slack, jobs, incident, error, said
):
    fake_slack.queue_error("views.open", error)

    post_interaction(client, click(headline_ids.EDIT_INCIDENT, str(incident.pk)))
    jobs()

    [note] = fake_slack.calls("chat.postEphemeral")
    assert said in note.params["text"]
    assert not any(text in note.params["text"] for code, text in TRIGGER_REFUSALS if code != error)


def block_ids(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """Each headline block's id, by the stable part before its content hash."""
    return {block["block_id"].rsplit("-", 1)[0]: block["block_id"] for block in blocks}


def test_an_edit_gives_new_block_ids_only_to_the_headline_blocks_it_changed(
    client, fake_slack, jobs, incident
):
    jobs()  # the headline is posted
    [post] = headline_posts(fake_slack)
    payload = edit_submission(
        incident,
        title=text_input("Payments are failing"),
        summary=text_input("Card payments return 502."),
        severity={"type": "static_select", **option("1")},  # minor -> critical
    )
    post_interaction(client, payload)
    jobs()

    [update] = fake_slack.calls("chat.update")
    before, after = block_ids(post.params["blocks"]), block_ids(update.params["blocks"])
    assert before.keys() == after.keys() >= {"title", "facts", "incident-actions"}
    assert after["facts"] != before["facts"]
    assert after["title"] == before["title"]
    assert after["incident-actions"] == before["incident-actions"]
    assert buttons(update.params["blocks"]) == buttons(post.params["blocks"])


def test_saving_the_edit_modal_updates_the_incident_timeline_and_headline(
    client, fake_slack, jobs, incident
):
    jobs()  # the headline is posted
    response = post_interaction(
        client,
        edit_submission(
            incident,
            title=text_input("Card payments are failing"),
            summary=text_input("Card payments return 502."),
            severity={"type": "static_select", **option("1")},
        ),
    )

    assert response.content == b""
    incident.refresh_from_db()
    assert (incident.title, incident.severity) == ("Card payments are failing", Severity.CRITICAL)
    changes = TimelineEvent.objects.filter(incident=incident).order_by("metadata__field")
    assert [(e.metadata["field"], e.author.external_id) for e in changes] == [
        ("severity", "U0ALICE"),
        ("title", "U0ALICE"),
    ]

    jobs()

    [update] = fake_slack.calls("chat.update")
    assert update.params["ts"] == HeadlinePost.objects.get(incident=incident).ts
    assert "*Card payments are failing*" in json.dumps(update.params["blocks"])
    assert "Critical" in json.dumps(update.params["blocks"])


def test_saving_keeps_what_others_changed_while_the_modal_was_open(client, fake_slack, incident):
    post_interaction(client, click(headline_ids.EDIT_INCIDENT, str(incident.pk)))
    shown = fake_slack.last_call("views.open").params["view"]["private_metadata"]
    services.incident_update(incident=incident, severity=Severity.CRITICAL)  # @incident sev 1
    payload = edit_submission(
        incident,
        title=text_input("Card payments are failing"),
        summary=text_input("Card payments return 502."),
        severity={"type": "static_select", **option("3")},  # as the modal showed it
    )
    payload["view"]["private_metadata"] = shown

    post_interaction(client, payload)

    incident.refresh_from_db()
    assert (incident.title, incident.severity) == ("Card payments are failing", Severity.CRITICAL)


def test_an_edit_cannot_make_an_incident_a_drill_nor_move_its_status(client, fake_slack, incident):
    # A submission carrying ticked boxes (an edit modal never shows them) changes neither.
    payload = edit_submission(
        incident,
        title=text_input("Payments are failing"),
        summary=text_input("Card payments return 502."),
        severity={"type": "static_select", **option("3")},
    )
    boxes = load_fixture("declare_view_submission_boxes")["view"]["state"]["values"]
    payload["view"]["state"]["values"].update(triage=boxes["triage"], drill=boxes["drill"])

    response = post_interaction(client, payload)

    assert response.content == b""
    incident.refresh_from_db()
    assert (incident.status, incident.drill) == ("investigating", False)


@pytest.mark.django_db
def test_an_edit_with_an_empty_title_is_refused_and_changes_nothing(client, fake_slack, incident):
    answer = post_interaction(client, edit_submission(incident, title=text_input(""))).json()

    assert list(answer["errors"]) == ["title"]
    incident.refresh_from_db()
    assert incident.title == "Payments are failing"
    assert not TimelineEvent.objects.filter(incident=incident).exists()


def test_a_submission_that_lost_its_database_connection_is_declared_once(
    client, fake_slack, transactional_db, monkeypatch
):
    declare = services.incident_declare
    cut = []

    def declare_after_a_cut(**fields):
        # The first time, the server drops the connection under the request (a failover, say).
        if not cut:
            cut.append(connection.connection.info.backend_pid)
            with psycopg.connect(database_url(), autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [cut[0]])
        return declare(**fields)

    monkeypatch.setattr(services, "incident_declare", declare_after_a_cut)

    response = post_interaction(client, submission())

    assert response.status_code == 200
    assert cut, "the connection was cut"
    assert Incident.objects.count() == 1


def headline_posts(fake_slack) -> list:
    """Posts into the central channel (a lead named in the form is also sent their duty)."""
    return [
        call
        for call in fake_slack.calls("chat.postMessage")
        if call.params["channel"] == "C0INCIDENTS"
    ]
