"""Socket Mode on Response's side (SPEC §17): each envelope gets the answer the HTTP endpoint
gives, in its acknowledgement; retried events are de-duplicated whichever transport or process
receives them; and slack_sdk's client, run as ``manage.py slack_socket`` runs it, keeps working
through a requested reconnect and a dropped connection (against the sandbox's Socket Mode).
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from core.models import Incident
from sandbox.config import Config
from sandbox.server import Sandbox
from sandbox.socket_mode import APP_TOKEN
from slack.manifest import BOT_EVENTS, BOT_SCOPES, build_manifest
from slack.socket_mode import connection as socket_connection
from slack.socket_mode import listener
from tests.helpers import load_fixture, post_event, post_form, post_interaction
from tests.races import Race, sessions_waiting_on_locks, wait_until
from tests.sandbox.conftest import SECRET, TOKEN
from tests.slack.test_declare import slash_command, submission, text_input
from tests.worker_process import ROOT, database_url

# --- The listener: one envelope, one acknowledgement -----------------------------------------


def envelope(kind: str, payload: dict[str, Any], *, retry_attempt: int = 0) -> SocketModeRequest:
    """An envelope as slack_sdk hands it to a listener."""
    request = SocketModeRequest.from_dict(
        {
            "type": kind,
            "envelope_id": f"{kind}-{retry_attempt}-{id(payload)}",
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt if kind == "events_api" else None,
            "retry_reason": "timeout" if retry_attempt else None,
        }
    )
    assert request is not None
    return request


def acknowledged(request: SocketModeRequest) -> dict[str, Any]:
    response = listener.answer(request)
    assert response.envelope_id == request.envelope_id
    return response.to_dict()


def http_json(response) -> dict[str, Any] | None:
    assert response.status_code == 200
    return response.json() if response.content else None


@pytest.mark.django_db
def test_a_slash_command_gets_the_http_answer_in_its_ack(client, fake_slack):
    form = slash_command("help")

    over_http = http_json(post_form(client, "/slack/slash_command", form))
    ack = acknowledged(envelope("slash_commands", form))

    assert over_http is not None and "/incident" in over_http["text"]
    assert ack["payload"] == over_http


@pytest.mark.django_db
def test_a_modal_validation_error_comes_back_in_the_ack(client, fake_slack):
    refused = submission(title=text_input("   "))

    over_http = http_json(post_interaction(client, refused))
    ack = acknowledged(envelope("interactive", copy.deepcopy(refused)))

    assert over_http is not None and over_http["response_action"] == "errors"
    assert ack["payload"] == over_http
    assert Incident.objects.count() == 0


@pytest.mark.django_db
def test_a_valid_submission_is_acknowledged_bare_and_declares(fake_slack):
    ack = acknowledged(envelope("interactive", submission()))

    assert "payload" not in ack, "a bare acknowledgement closes the modal, as an empty 200 does"
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_a_malformed_envelope_is_acknowledged_without_an_answer(fake_slack):
    ack = acknowledged(envelope("interactive", {"no": "type"}))

    assert set(ack) == {"envelope_id"}


def test_a_failing_handler_leaves_the_envelope_unacknowledged(monkeypatch):
    """As the HTTP endpoint answers 500: Slack then sends the event again."""
    sent: list[Any] = []

    def broken(kind: str, payload: Any) -> None:
        raise RuntimeError("the database is on fire")

    monkeypatch.setattr(listener.dispatch, "acknowledge", broken)
    listener.listen(_Recorder(sent), envelope("events_api", load_fixture("event_pin_added")))

    assert sent == []


# --- De-duplication across redeliveries and processes ----------------------------------------


def process_event_jobs(event_id: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'slack.process_event' "
            "AND args -> 'envelope' ->> 'event_id' = %s",
            [event_id],
        )
        return cursor.fetchone()[0]


def pin_added(event_id: str) -> dict[str, Any]:
    payload = copy.deepcopy(load_fixture("event_pin_added"))
    payload["event_id"] = event_id
    return payload


class _Recorder:
    """Stands in for the SDK client: records what the listener sends back."""

    def __init__(self, sent: list[Any]) -> None:
        self.sent = sent

    def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.sent.append(response.to_dict())


def test_a_redelivered_event_defers_one_job(jobs):
    payload = pin_added("Ev0SOCKETRETRY")

    first = acknowledged(envelope("events_api", payload))
    retry = acknowledged(envelope("events_api", copy.deepcopy(payload), retry_attempt=1))

    assert "payload" not in first and "payload" not in retry
    assert process_event_jobs("Ev0SOCKETRETRY") == 1, "the retry deferred a second job"


def test_an_http_delivery_and_a_socket_retry_defer_one_job(jobs, client):
    payload = pin_added("Ev0BOTHWAYS")

    assert post_event(client, payload).status_code == 200
    acknowledged(envelope("events_api", copy.deepcopy(payload), retry_attempt=1))

    assert process_event_jobs("Ev0BOTHWAYS") == 1


def test_two_connections_racing_with_one_event_defer_one_job(jobs):
    payload = pin_added("Ev0SOCKETRACE")
    sent: list[Any] = []
    race = Race(
        lambda: listener.listen(_Recorder(sent), envelope("events_api", payload)),
        lambda: listener.listen(
            _Recorder(sent), envelope("events_api", copy.deepcopy(payload), retry_attempt=1)
        ),
    )

    # As tests/slack/test_event_acceptance.py: the job table held so that both stop where they
    # would defer, the first delivery's event id recorded but not committed.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE procrastinate_jobs IN EXCLUSIVE MODE")
        race.start()
        wait_until(
            "both deliveries are stopped or done",
            lambda: sessions_waiting_on_locks() + race.finished >= 2,
        )
        both_inside = sessions_waiting_on_locks() == 2
    race.join()

    assert not race.errors
    assert both_inside, "the deliveries did not overlap: the test did not race"
    assert len(sent) == 2, "both envelopes are acknowledged"
    assert process_event_jobs("Ev0SOCKETRACE") == 1


# --- slack_sdk's client against the sandbox --------------------------------------------------


@pytest.fixture
def sandbox(monkeypatch, settings) -> Iterator[Sandbox]:
    """A sandbox with nothing behind its HTTP deliveries: everything must go over the socket."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    # Slack's own acknowledgement timeout: Response answers in the time Slack gives it.
    config = Config(port=0, response_url="http://127.0.0.1:9", signing_secret=SECRET, token=TOKEN)
    running = Sandbox(config, subscriptions=BOT_EVENTS, scopes=BOT_SCOPES)
    running.serve()
    settings.SLACK_TRANSPORT = "socket"
    settings.SLACK_API_BASE_URL = running.config.public_url + "/api/"
    settings.SLACK_APP_TOKEN = APP_TOKEN
    settings.SLACK_TOKEN = TOKEN
    yield running
    running.stop()


@pytest.fixture
def socket_client(sandbox: Sandbox, transactional_db) -> Iterator[Callable[[], int]]:
    """Response's Socket Mode client running in a thread; calls to wait for a connection."""
    stop = threading.Event()
    client = socket_connection.build_client(ping_interval=0.5)
    running = threading.Thread(target=socket_connection.run, args=(stop, client), daemon=True)
    running.start()

    def connected(opened: int = 1) -> int:
        _wait_for(
            lambda: sandbox.socket_mode.connections_opened >= opened and client.is_connected()
        )
        _wait_for(lambda: len(sandbox.socket_mode.clients()) == 1)
        return sandbox.socket_mode.connections_opened

    yield connected
    stop.set()
    running.join(timeout=10)


def ask_for_help(sandbox: Sandbox) -> dict[str, Any]:
    answer = sandbox.people.command("U0ALICE", "C0INCIDENTS", "help")
    assert answer["status"] == 200, answer
    return answer


def told(sandbox: Sandbox) -> list[str]:
    return [m["text"] for m in sandbox.workspace.ephemerals.get("C0INCIDENTS", [])]


def test_the_client_answers_through_the_socket(sandbox: Sandbox, socket_client):
    socket_client()

    ask_for_help(sandbox)

    assert any("/incident" in text for text in told(sandbox))
    (record,) = sandbox.delivery.records()
    assert record["transport"] == "socket"


def test_the_client_reconnects_when_asked_and_goes_on(sandbox: Sandbox, socket_client):
    socket_client()

    assert sandbox.socket_mode.ask_to_reconnect() == 1
    socket_client(opened=2)
    ask_for_help(sandbox)

    assert [r["transport"] for r in sandbox.delivery.records()] == ["socket"]


def test_the_client_reconnects_after_a_dropped_connection(sandbox: Sandbox, socket_client):
    socket_client()

    assert sandbox.socket_mode.drop() == 1
    socket_client(opened=2)
    ask_for_help(sandbox)

    assert [r["transport"] for r in sandbox.delivery.records()] == ["socket"]


def test_a_refused_app_token_stops_with_the_fix(sandbox: Sandbox, settings):
    settings.SLACK_APP_TOKEN = "xapp-revoked"

    with pytest.raises(socket_connection.SocketModeRefused, match="App-Level Tokens"):
        socket_connection.run(threading.Event())


def test_the_command_refuses_to_run_with_the_http_transport(settings):
    settings.SLACK_TRANSPORT = "http"

    with pytest.raises(CommandError, match="SLACK_TRANSPORT=socket"):
        call_command("slack_socket")


# --- Two socket processes ---------------------------------------------------------------------


def start_socket_process(sandbox: Sandbox, log: Path) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "response.settings",
        "DATABASE_URL": database_url(),
        "SLACK_TRANSPORT": "socket",
        "SLACK_API_BASE_URL": sandbox.config.public_url + "/api/",
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_TOKEN": TOKEN,
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "slack_socket"],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_two_socket_processes_handle_an_event_sent_to_both_once(sandbox: Sandbox, jobs, tmp_path):
    logs = [tmp_path / "socket-1.log", tmp_path / "socket-2.log"]
    processes = [start_socket_process(sandbox, log) for log in logs]
    try:
        _wait_for(lambda: len(sandbox.socket_mode.clients()) == 2, timeout=60)
        payload = pin_added("Ev0TWOPROCESSES")
        sent: list[Any] = [None, None]

        def send(index: int) -> None:
            # One envelope each, as Slack redelivers to another connection.
            sent[index] = sandbox.socket_mode.send(
                "/slack/event", copy.deepcopy(payload), retry_attempt=index
            )

        senders = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=10)
        per_connection = [c["envelopes"] for c in sandbox.socket_mode.clients()]
    finally:
        for process in processes:
            process.terminate()
        for process, log in zip(processes, logs, strict=True):
            process.wait(timeout=20)
            print(log.read_text(errors="replace")[-3000:])

    assert all(s is not None and s.acknowledged for s in sent), sent
    assert per_connection == [1, 1], "each process got one of the two envelopes"
    assert process_event_jobs("Ev0TWOPROCESSES") == 1
    assert all(process.returncode == 0 for process in processes)


def _wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)
    return result


# --- Settings and the manifest ----------------------------------------------------------------


def run_check(**variables: str) -> subprocess.CompletedProcess:
    """``manage.py check`` against real Slack's address, with these variables set."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    environment = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "response.settings",
        "SLACK_API_BASE_URL": "https://slack.com/api/",
        "SLACK_TOKEN": "xoxb-1-2-3",
        "SLACK_SIGNING_SECRET": SECRET,
        # Never reach the database: the settings must refuse before it is needed.
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variables", "said"),
    [
        ({"SLACK_TRANSPORT": "socket"}, "SLACK_APP_TOKEN is not set"),
        ({"SLACK_TRANSPORT": "socket", "SLACK_APP_TOKEN": "xoxb-9-8-7"}, "starting with xapp-"),
        ({"SLACK_TRANSPORT": "websocket"}, "SLACK_TRANSPORT must be http or socket"),
    ],
)
def test_a_socket_mode_setting_that_cannot_work_stops_startup_saying_why(variables, said):
    result = run_check(**variables)

    assert result.returncode == 2, result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr
    assert "xoxb-9-8-7" not in result.stderr, "a token pasted in the wrong place is echoed"


def test_socket_mode_needs_no_app_token_with_the_http_transport():
    result = run_check(SLACK_TRANSPORT="http")

    assert result.returncode == 0, result.stderr


def test_the_manifest_turns_socket_mode_on_with_the_socket_transport(client, settings):
    settings.SLACK_TRANSPORT = "socket"

    manifest = yaml.safe_load(client.get("/slack/manifest").content)

    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert manifest["settings"]["interactivity"] == {"is_enabled": True}
    assert "url" not in manifest["features"]["slash_commands"][0]


def test_the_manifest_keeps_socket_mode_off_with_the_http_transport(client, settings):
    settings.SLACK_TRANSPORT = "http"

    manifest = yaml.safe_load(client.get("/slack/manifest").content)

    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["settings"]["event_subscriptions"]["request_url"].endswith("/slack/event")


def test_both_manifests_ask_for_the_same_scopes_and_events():
    http, socket = (build_manifest("https://r.example", "incident", t) for t in ("http", "socket"))

    assert http["oauth_config"] == socket["oauth_config"]
    assert http["settings"]["event_subscriptions"]["bot_events"] == BOT_EVENTS
    assert socket["settings"]["event_subscriptions"]["bot_events"] == BOT_EVENTS
