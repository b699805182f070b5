"""Posting an incident on Statuspage from its channel (SPEC §9), against a local stand-in."""

from __future__ import annotations

import copy
import itertools
import json

import pytest
from django.db import connection
from django.test import override_settings

from core.models import Severity, TimelineEvent
from slack.workflows import config
from slack.workflows.models import StatuspageIncident, Workflow
from slack.workflows.statuspage import blocks
from tests.helpers import load_fixture, post_interaction
from tests.slack.channel_helpers import COMMS, channel_posts, incident_with_channel, mention
from tests.slack.workflows.fake_statuspage import PAGE_ID, FakeStatuspage

API_KEY = "sp-api-key-0123456789"
API, CARD, WEBSITE = "cmp0api00001", "cmp0card0001", "cmp0web00001"

_clicks = itertools.count(1)


# --- Driving it as Slack would ------------------------------------------------------------------


def click_open(client, incident_id: int, user: str = "U0ALICE"):
    """Click "Create/Update Statuspage" in the comms channel."""
    payload = copy.deepcopy(load_fixture("declare_headline_click"))
    payload["user"]["id"] = user
    payload["channel"]["id"] = payload["container"]["channel_id"] = COMMS
    payload["actions"][0].update(
        action_id=blocks.OPEN_BUTTON,
        value=str(incident_id),
        action_ts=f"17000019{next(_clicks):02d}.000001",
    )
    assert post_interaction(client, payload).status_code == 200


def shown_form(fake_slack) -> dict:
    """The view the last ``views.update`` put in the modal, with the id Slack gave it."""
    call = fake_slack.calls("views.update")[-1]
    return {**call.params["view"], "id": call.params["view_id"]}


def submit_form(client, view: dict, *, user: str = "U0ALICE", **answers):
    """Submit ``view`` as Slack would: ``answers`` by action id (components by their own id),
    every other input as the form showed it. Returns Slack's answer (None: the modal closes)."""
    payload = copy.deepcopy(load_fixture("statuspage_view_submission"))
    payload["user"]["id"] = user
    payload["view"].update(
        id=view["id"],
        blocks=view["blocks"],
        private_metadata=view["private_metadata"],
        hash=f"1700000{next(_clicks):03d}.a1B2c3D4",
    )
    values = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        action_id = block["element"]["action_id"]
        key = action_id.removeprefix(blocks.COMPONENT_INPUT_PREFIX)
        values[block["block_id"]] = {action_id: _state(block["element"], answers.get(key))}
    payload["view"]["state"]["values"] = values
    response = post_interaction(client, payload)
    assert response.status_code == 200
    return json.loads(response.content) if response.content else None


def _state(element: dict, answer: str | None) -> dict:
    if element["type"] == "plain_text_input":
        value = answer if answer is not None else element.get("initial_value")
        return {"type": "plain_text_input", "value": value}
    option = element.get("initial_option")
    if answer is not None:
        option = next((o for o in element["options"] if o["value"] == answer), None) or {
            "text": {"type": "plain_text", "text": answer},
            "value": answer,
        }
    return {"type": "static_select", "selected_option": option}


def open_form(client, fake_slack, jobs, incident_id: int) -> dict:
    click_open(client, incident_id)
    jobs()
    return shown_form(fake_slack)


def ephemerals(fake_slack, user: str = "U0ALICE") -> list[str]:
    return [
        c.params["text"] for c in fake_slack.calls("chat.postEphemeral") if c.params["user"] == user
    ]


def enable_statuspage(**values: str) -> None:
    config.workflow_rows_ensure()
    config.workflow_configure(
        workflow=Workflow.objects.get(name="statuspage"),
        enabled=True,
        values={"api_key": API_KEY, "page_id": PAGE_ID, **values},
    )


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def statuspage(settings):
    with FakeStatuspage() as fake:
        settings.STATUSPAGE_API_BASE_URL = fake.base_url
        settings.STATUSPAGE_API_TIMEOUT = 0.5
        yield fake


@pytest.fixture
def enabled(transactional_db):
    enable_statuspage()


@pytest.fixture
def incident(transactional_db):
    return incident_with_channel(severity=Severity.MAJOR)


# --- The command and the modal -------------------------------------------------------------------


def test_the_command_offers_to_create_a_statuspage_incident(
    client, fake_slack, jobs, enabled, incident
):
    mention(client, "sp")
    jobs()

    (post,) = [c for c in fake_slack.calls("chat.postMessage") if c.params["channel"] == COMMS]
    (button,) = [b["accessory"] for b in post.params["blocks"] if "accessory" in b]
    assert button["action_id"] == blocks.OPEN_BUTTON
    assert button["value"] == str(incident.pk)
    assert button["text"]["text"] == "Create Statuspage incident"


def test_the_command_without_the_workflow_says_how_to_enable_it(client, fake_slack, jobs, incident):
    mention(client, "statuspage")
    jobs()

    assert any(
        "an admin can enable the statuspage workflow" in t for t in channel_posts(fake_slack)
    )
    assert [c.params["name"] for c in fake_slack.calls("reactions.add")] == ["question"]


def test_the_modal_opens_loading_and_is_filled_with_the_pages_components(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    click_open(client, incident.pk)

    (opened,) = fake_slack.calls("views.open")  # in the request: the trigger expires in 3 s
    assert "Loading components" in json.dumps(opened.params["view"])
    assert statuspage.requests == []  # Statuspage is asked by the worker, not in the request
    jobs()

    (fetch,) = statuspage.requests
    assert (fetch.method, fetch.path) == ("GET", f"/v1/pages/{PAGE_ID}/components")
    assert fetch.headers["Authorization"] == f"OAuth {API_KEY}"
    assert fetch.query == {"page": ["1"], "per_page": ["100"]}
    form = shown_form(fake_slack)
    inputs = {b["block_id"]: b for b in form["blocks"] if b["type"] == "input"}
    components = {
        block_id.removeprefix(blocks.COMPONENT_INPUT_PREFIX): (
            block["label"]["text"],
            block["element"]["initial_option"]["value"],
        )
        for block_id, block in inputs.items()
        if block_id.startswith(blocks.COMPONENT_INPUT_PREFIX)
    }
    assert components == {  # the "Payments" group is not offered
        API: ("API", "operational"),
        CARD: ("Card payments", "degraded_performance"),
        WEBSITE: ("Website", "operational"),
    }
    assert inputs[blocks.NAME_INPUT]["element"]["initial_value"] == "Payments are failing"
    assert inputs[blocks.STATUS_INPUT]["element"]["initial_option"]["value"] == "investigating"
    assert inputs[blocks.IMPACT_INPUT]["element"]["initial_option"]["value"] == "major"


def test_a_large_page_is_read_page_by_page_and_the_form_keeps_within_slacks_limits(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    template = statuspage.components[0]
    statuspage.components = [
        {**template, "id": f"cmp{n:09d}", "name": f"Service {n}"} for n in range(150)
    ]

    form = open_form(client, fake_slack, jobs, incident.pk)

    assert [r.query["page"] for r in statuspage.requests] == [["1"], ["2"]]
    assert len(form["blocks"]) <= 100
    assert "Only the first 90 of 150 components fit here." in json.dumps(form["blocks"])


def test_the_form_replaces_the_loading_view_it_was_opened_with(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    fake_slack.queue("views.open", {"ok": True, "view": {"id": "V0LOADING", "hash": "1700.h4sh"}})

    click_open(client, incident.pk)
    jobs()

    (update,) = fake_slack.calls("views.update")
    assert (update.params["view_id"], update.params["hash"]) == ("V0LOADING", "1700.h4sh")
    assert update.params["view"]["callback_id"] == blocks.MODAL


def test_a_form_closed_while_loading_is_left_alone(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    fake_slack.queue_error("views.update", "not_found")

    click_open(client, incident.pk)
    jobs()

    assert len(fake_slack.calls("views.update")) == 1  # not retried
    assert ephemerals(fake_slack) == []


def test_a_button_clicked_after_the_workflow_was_disabled_says_so(
    client, fake_slack, jobs, incident, statuspage
):
    click_open(client, incident.pk)
    jobs()

    assert fake_slack.calls("views.open") == []
    (told,) = ephemerals(fake_slack)
    assert "an admin can enable the statuspage workflow" in told


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (401, {"message": "Could not authenticate"}, "Statuspage refused the API key"),
        (500, {"message": "Internal error"}, "Statuspage answered 500"),
        (None, 2, "Statuspage did not answer in time"),
    ],
)
def test_a_component_fetch_failure_shows_why_in_the_modal(
    client, fake_slack, jobs, enabled, incident, statuspage, status, body, reason
):
    if status is None:
        statuspage.stall(body)
    else:
        statuspage.reply(status, body)

    form = open_form(client, fake_slack, jobs, incident.pk)

    text = json.dumps(form["blocks"])
    assert "Could not load the page's components" in text and reason in text
    assert "submit" not in form


# --- Creating and updating ---------------------------------------------------------------------


def test_create_then_update_a_statuspage_incident_with_component_statuses(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    form = open_form(client, fake_slack, jobs, incident.pk)
    answer = submit_form(
        client,
        form,
        statuspage_name="Card payments failing",
        statuspage_message="Some card payments fail at checkout.",
        **{API: "partial_outage"},
    )
    assert answer is None  # the modal closes; Statuspage is told by the worker
    jobs()

    (create,) = statuspage.calls("POST")
    assert create.path == f"/v1/pages/{PAGE_ID}/incidents"
    assert create.headers["Authorization"] == f"OAuth {API_KEY}"
    assert create.headers["Content-Type"] == "application/json"
    assert create.body == {
        "incident": {
            "name": "Card payments failing",
            "status": "investigating",
            "body": "Some card payments fail at checkout.",
            "impact_override": "major",
            "components": {API: "partial_outage", CARD: "degraded_performance"},
            "component_ids": [API, CARD],
            # Which Response incident it is for: a retry finds it by this, never creates twice.
            "metadata": {"response": {"incident_id": str(incident.pk)}},
        }
    }
    link = StatuspageIncident.objects.get(incident=incident)
    (statuspage_id,) = statuspage.incidents
    assert (link.statuspage_id, link.page_id, link.status) == (
        statuspage_id,
        PAGE_ID,
        "investigating",
    )
    assert link.shortlink == statuspage.incidents[statuspage_id]["shortlink"]
    (notice,) = [t for t in channel_posts(fake_slack) if "Statuspage" in t]
    assert "<@U0ALICE> posted *Card payments failing* on Statuspage" in notice
    assert link.shortlink in notice
    assert "API: Operational → Partial outage" in notice

    # The button now offers an update, and the form starts from the linked incident.
    mention(client, "sp")
    jobs()
    assert "Update Statuspage" in json.dumps(fake_slack.calls("chat.postMessage")[-1].params)
    form = open_form(client, fake_slack, jobs, incident.pk)
    assert "Card payments failing" in json.dumps(form["blocks"])
    submit_form(
        client,
        form,
        statuspage_status="identified",
        statuspage_message="We found the faulty deploy.",
        **{API: "operational"},
    )
    jobs()

    (update,) = statuspage.calls("PATCH")
    assert update.path == f"/v1/pages/{PAGE_ID}/incidents/{statuspage_id}"
    assert update.headers["Authorization"] == f"OAuth {API_KEY}"
    assert update.body == {
        "incident": {
            "status": "identified",
            "body": "We found the faulty deploy.",
            "components": {API: "operational"},
            "component_ids": [API],
        }
    }
    assert len(statuspage.calls("POST")) == 1
    link.refresh_from_db()
    assert link.status == "identified"
    notice = channel_posts(fake_slack)[-1]
    assert "updated *Card payments failing*" in notice
    assert "Status: Investigating → Identified" in notice
    assert "API: Partial outage → Operational" in notice
    notes = TimelineEvent.objects.filter(incident=incident, text__contains="Statuspage")
    assert notes.count() == 2


def test_a_resolved_statuspage_incident_cannot_be_changed_from_here(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    form = open_form(client, fake_slack, jobs, incident.pk)
    submit_form(client, form, statuspage_message="Looking into it.")
    jobs()
    stale_form = open_form(client, fake_slack, jobs, incident.pk)
    submit_form(client, stale_form, statuspage_status="resolved", statuspage_message="Fixed.")
    jobs()
    assert StatuspageIncident.objects.get().status == "resolved"
    requests_so_far = len(statuspage.requests)

    # The command says so instead of offering the button.
    mention(client, "sp")
    jobs()
    reply = channel_posts(fake_slack)[-1]
    assert "can't be changed from here" in reply
    assert blocks.OPEN_BUTTON not in json.dumps(fake_slack.calls("chat.postMessage")[-1].params)

    # An old button does not open the form.
    opened = len(fake_slack.calls("views.open"))
    click_open(client, incident.pk)
    jobs()
    assert len(fake_slack.calls("views.open")) == opened
    assert any("can't be changed from here" in t for t in ephemerals(fake_slack))

    # A form opened before it was resolved is refused.
    answer = submit_form(client, stale_form, statuspage_status="monitoring")
    assert answer["response_action"] == "errors"
    assert "can't be changed from here" in answer["errors"][blocks.STATUS_INPUT]
    jobs()
    assert len(statuspage.requests) == requests_so_far


def test_an_update_racing_the_resolution_is_refused(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    form = open_form(client, fake_slack, jobs, incident.pk)
    submit_form(client, form, statuspage_message="Looking into it.")
    jobs()
    form = open_form(client, fake_slack, jobs, incident.pk)

    # Both pass the form's checks before either reaches Statuspage.
    submit_form(client, form, statuspage_status="resolved", statuspage_message="Fixed.")
    submit_form(client, form, statuspage_status="monitoring", user="U0BOB")
    jobs()

    assert [r.body["incident"]["status"] for r in statuspage.calls("PATCH")] == ["resolved"]
    (told,) = ephemerals(fake_slack, "U0BOB")
    assert told.startswith("Could not update Statuspage: ")
    assert "resolved" in told


def test_an_incident_resolved_on_statuspage_itself_is_not_reopened(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    form = open_form(client, fake_slack, jobs, incident.pk)
    submit_form(client, form, statuspage_message="Looking into it.")
    jobs()
    form = open_form(client, fake_slack, jobs, incident.pk)
    (statuspage_id,) = statuspage.incidents
    statuspage.incidents[statuspage_id]["status"] = "resolved"  # someone resolved it there

    submit_form(client, form, statuspage_status="monitoring", statuspage_message="Better now.")
    jobs()

    assert statuspage.calls("PATCH") == []
    (told,) = ephemerals(fake_slack)
    assert "can't be changed from here" in told
    assert StatuspageIncident.objects.get().status == "resolved"


def test_the_form_says_so_when_the_incident_was_resolved_on_statuspage(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    form = open_form(client, fake_slack, jobs, incident.pk)
    submit_form(client, form, statuspage_message="Looking into it.")
    jobs()
    (statuspage_id,) = statuspage.incidents
    statuspage.incidents[statuspage_id]["status"] = "postmortem"

    form = open_form(client, fake_slack, jobs, incident.pk)

    assert "can't be changed from here" in json.dumps(form["blocks"])
    assert "submit" not in form


# --- Bad input and failures --------------------------------------------------------------------


def test_bad_input_comes_back_as_errors_under_the_fields(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    form = open_form(client, fake_slack, jobs, incident.pk)

    answer = submit_form(
        client,
        form,
        statuspage_name="   ",
        statuspage_message="",
        statuspage_impact="catastrophic",
        **{API: "on_fire"},
    )

    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {
        blocks.NAME_INPUT,
        blocks.MESSAGE_INPUT,
        blocks.IMPACT_INPUT,
        blocks.component_input(API),
    }
    jobs()
    assert statuspage.calls("POST") == []


def test_an_update_that_changes_nothing_is_refused(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    form = open_form(client, fake_slack, jobs, incident.pk)
    submit_form(client, form, statuspage_message="Looking into it.")
    jobs()
    form = open_form(client, fake_slack, jobs, incident.pk)

    answer = submit_form(client, form)

    assert answer == {
        "response_action": "errors",
        "errors": {
            blocks.MESSAGE_INPUT: "Nothing would change: write a message or change a field."
        },
    }


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (lambda sp: sp.reply(401, {"message": "Could not authenticate"}), "refused the API key"),
        (
            lambda sp: sp.reply(422, {"message": "Name can't be blank"}),
            "Statuspage refused it: Name can't be blank",
        ),
        (lambda sp: sp.reply(500, {"message": "oops"}), "Statuspage answered 500"),
        (lambda sp: sp.stall(2), "Statuspage did not answer in time"),
    ],
    ids=["401", "422", "500", "timeout"],
)
def test_a_failed_create_reaches_whoever_asked_with_the_reason(
    client, fake_slack, jobs, enabled, incident, statuspage, script, reason
):
    form = open_form(client, fake_slack, jobs, incident.pk)
    script(statuspage)

    submit_form(client, form, statuspage_message="Looking into it.", user="U0CAROL")
    jobs()

    (told,) = ephemerals(fake_slack, "U0CAROL")
    assert told.startswith("Could not create the Statuspage incident: ")
    assert reason in told
    assert not StatuspageIncident.objects.exists()
    assert not any("on Statuspage" in t for t in channel_posts(fake_slack))


def test_an_unreachable_statuspage_is_explained(
    client, fake_slack, jobs, enabled, incident, statuspage, settings
):
    form = open_form(client, fake_slack, jobs, incident.pk)
    settings.STATUSPAGE_API_BASE_URL = "http://127.0.0.1:9/v1/"  # nothing listens there

    submit_form(client, form, statuspage_message="Looking into it.")
    jobs()

    (told,) = ephemerals(fake_slack)
    assert "Statuspage could not be reached" in told


def test_a_submission_after_the_workflow_was_disabled_is_explained(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    form = open_form(client, fake_slack, jobs, incident.pk)
    Workflow.objects.filter(name="statuspage").update(enabled=False)

    submit_form(client, form, statuspage_message="Looking into it.")
    jobs()

    (told,) = ephemerals(fake_slack)
    assert "an admin can enable the statuspage workflow" in told
    assert statuspage.calls("POST") == []


def test_a_job_retried_after_the_create_does_not_create_a_second_incident(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    form = open_form(client, fake_slack, jobs, incident.pk)
    submit_form(client, form, statuspage_message="Looking into it.")
    fake_slack.queue_error("chat.postMessage", "internal_error")  # the channel's notice fails

    jobs()
    assert len(statuspage.calls("POST")) == 1
    assert StatuspageIncident.objects.get(incident=incident).statuspage_id  # linked all the same
    assert len(notices(fake_slack)) == 1  # the failed attempt

    _retry_failed_jobs_now()
    jobs()

    assert len(statuspage.calls("POST")) == 1
    assert statuspage.calls("PATCH") == []
    first, second = notices(fake_slack)
    assert first == second  # the same notice, posted this time
    _retry_failed_jobs_now(expected=0)
    assert TimelineEvent.objects.filter(incident=incident, text__contains="Statuspage").count() == 1


def notices(fake_slack) -> list[str]:
    return [t for t in channel_posts(fake_slack) if "on Statuspage" in t]


def _retry_failed_jobs_now(expected: int = 1) -> None:
    """Bring forward the retries the worker scheduled (with backoff) after a failure."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_jobs SET scheduled_at = now() "
            "WHERE status = 'todo' AND attempts > 0"
        )
        assert cursor.rowcount == expected


def test_a_create_whose_answer_came_too_late_is_found_not_made_twice(
    client, fake_slack, jobs, enabled, incident, statuspage
):
    form = open_form(client, fake_slack, jobs, incident.pk)
    statuspage.stall(0.01)  # the look for an earlier one: none yet
    statuspage.stall(3)  # Statuspage creates it; the answer comes after the client gave up
    with override_settings(STATUSPAGE_API_TIMEOUT=0.5):
        assert submit_form(client, form, statuspage_message="Looking into it.") is None
        jobs()
    assert len(statuspage.incidents) == 1
    assert not StatuspageIncident.objects.filter(incident=incident).exists()

    # Told it failed, the person submits again.
    form = open_form(client, fake_slack, jobs, incident.pk)
    assert submit_form(client, form, statuspage_message="Looking into it.") is None
    jobs()

    assert len(statuspage.calls("POST")) == 1
    (statuspage_id,) = statuspage.incidents
    assert StatuspageIncident.objects.get(incident=incident).statuspage_id == statuspage_id
