"""The fault drill: many incidents run through Response while Slack misbehaves, then a count, from
Slack's own record, of what was posted twice and what was lost.

    python -m bench.faults --incidents 20 --fault-rate 0.3 --seed 7      (make faults)

It starts Response the production way (gunicorn, the job worker, PostgreSQL), the Slack sandbox,
and between them the proxies of ``bench/fault_proxy.py``: a seeded share of Web API calls get a
429, a 5xx, a refused or dropped connection, or an answer that comes after the client gave up
(though Slack carried the call out); some events are held back past Slack's 3 s so that Slack
delivers them again. Meanwhile the worker is killed with SIGKILL and restarted, and every database
connection is terminated once.

``--web N --workers M`` runs N web processes behind a round-robin proxy (a load balancer's part)
and M job workers, all on one PostgreSQL: what several replicas do to the promise (one of the
workers is the one killed).

Each incident is run as people would: ``/incident``, the form, Create comms channel, five
``@incident`` commands, a pinned message, someone else following it from the headline, an
update shared from its modal, ``@incident close``; a person whose modal did not open or whose
click failed tries again. Reminders are made due by moving the channel's creation back
an hour, and the cron endpoint is called every two seconds.

With ``--transport socket`` Slack delivers over Socket Mode instead: two ``manage.py slack_socket``
processes hold connections to the sandbox (which hands them out through the faulty Web API, so
``apps.connections.open`` fails too), and every few seconds the sandbox either cuts the
connections or asks the clients to reconnect. Envelopes in flight then go unacknowledged, and
Slack sends the events again with ``retry_attempt``; people try their commands and clicks again.

Then, counted in the sandbox: one headline per declared incident, one comms channel each, one
reply per command, one post per reminder the ledger says was sent, one closing notice and one DM;
the update once in the comms channel, once under the headline and once in the follower's DM, and
one resolution DM to the follower.
The report is printed and written to ``bench/results/faults-<UTC timestamp>.json``; the exit
status is 1 when anything was duplicated or lost, or a request from Slack was answered late or
with a 5xx.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.fault_proxy import (
    AckPlan,
    AckRecord,
    FaultPlan,
    delivery_proxy,
    round_robin_proxy,
    web_api_proxy,
)
from bench.run import (
    HOST,
    RESULTS,
    ROOT,
    Database,
    Stack,
    free_port,
    production_env,
    wait_for,
    wait_healthy,
)
from sandbox.socket_mode import APP_TOKEN, CLOSE_AFTER_DISCONNECT, EVENT_WAITS_FOR_A_CONNECTION
from tests.e2e.sandbox_stack import SandboxClient, SandboxError

JsonDict = dict[str, Any]

LEAD = "U0BOB"
# One reporter per incident run at once: a person has one modal open at a time.
REPORTERS = ("U0ALICE", "U0CAROL", "U0DAVE")
CREATE_COMMS_CHANNEL = "create-comms-channel-button"
FOLLOW = "follow-incident-button"
SHARE_UPDATE = "share-update-button"
ACK_LIMIT_SECONDS = 3.0
# How long one step may take under faults: a job's retries back off 2, 4, 8 … seconds.
STEP_SECONDS = 90
# A person tries a failed command or click again this many times.
USER_ATTEMPTS = 6
# Over Socket Mode: the processes holding connections, the seconds between two cuts, and the
# events whose acks are held back after each cut (Response handled them; Slack sends them again).
SOCKET_PROCESSES = 2
SOCKET_HAVOC_EVERY = 6.0
SOCKET_ACKS_HELD_PER_CUT = 2
# How long slack_socket may take to notice a cut connection and open a new one (four pings).
RECONNECT_GRACE = 10.0


@dataclass
class Options:
    incidents: int = 20
    fault_rate: float = 0.3
    event_hold_rate: float = 0.1
    seed: int = 7
    parallel: int = 3
    kill_worker: bool = True
    terminate_connections: bool = True
    database_url: str | None = None
    settle_seconds: float = 240
    web: int = 1
    workers: int = 1
    transport: str = "http"  # or "socket": deliveries over Socket Mode, cut now and then


@dataclass
class IncidentRun:
    """What one scripted incident did, and what Response should therefore have posted."""

    number: int
    title: str
    reporter: str = REPORTERS[0]
    incident_id: int | None = None
    channel_requested: bool = False
    commands: list[tuple[str, str]] = field(default_factory=list)  # (command, expected reply)
    pinned_ts: str | None = None
    headline_ts: str | None = None
    follower: str | None = None  # followed from the headline (SPEC §15)
    update_text: str | None = None  # what the shared update said changed
    closed: bool = False
    user_retries: int = 0
    error: str | None = None


@dataclass
class Report:
    options: JsonDict
    incidents_declared: int
    faults_injected: JsonDict
    web_api_calls: int
    events_held_back: int
    slack_redeliveries: int
    job_retries: int
    user_retries: int
    worker_kills: int
    worker_restarts: int
    connections_terminated: int
    duplicates: list[str]
    losses: list[str]
    slow_or_failed_answers: list[str]
    slowest_answer_ms: float
    scenario_errors: list[str]
    seconds: float
    machine: JsonDict
    # SPEC §15: the incidents followed from their headline and updated from the form.
    follows: int = 0
    updates_shared: int = 0
    # Over Socket Mode only.
    socket_drops: int = 0
    socket_reconnects: int = 0
    envelopes_lost_with_a_connection: int = 0

    @property
    def clean(self) -> bool:
        return not (
            self.duplicates or self.losses or self.slow_or_failed_answers or self.scenario_errors
        )


# --- The stack -----------------------------------------------------------------------------------


@dataclass
class DrillStack:
    stack: Stack
    sandbox: SandboxClient
    database_url: str
    faults: FaultPlan
    acks: AckPlan
    proxies: list[Any]
    cron_token: str
    # Per worker slot (1…M), how many times its worker has been started.
    worker_generations: dict[int, int] = field(default_factory=dict)

    def start_worker(self, slot: int) -> None:
        self.worker_generations[slot] = self.worker_generations.get(slot, 0) + 1
        name = f"worker{slot}-{self.worker_generations[slot]}"
        self.stack.start(name, [sys.executable, "manage.py", "procrastinate", "worker"])

    def worker_process(self, slot: int) -> subprocess.Popen[bytes]:
        return self.stack.processes[f"worker{slot}-{self.worker_generations[slot]}"]

    def stop(self) -> None:
        self.stack.stop()
        for proxy in self.proxies:
            proxy.stop()


def start(options: Options, workdir: Path) -> DrillStack:
    database_url = options.database_url or _embedded_database(workdir)
    secret = secrets.token_urlsafe(32)
    web_ports, sandbox_port = [free_port() for _ in range(options.web)], free_port()
    faults = FaultPlan(rate=options.fault_rate, seed=options.seed)
    acks = AckPlan(rate=options.event_hold_rate, seed=options.seed)
    to_slack = web_api_proxy(f"http://{HOST}:{sandbox_port}", faults)
    proxies = [to_slack]
    port = web_ports[0]
    if options.web > 1:
        balancer = round_robin_proxy([f"http://{HOST}:{p}" for p in web_ports])
        proxies.append(balancer)
        port = int(balancer.url.rsplit(":", 1)[1])
    to_response = delivery_proxy(f"http://{HOST}:{port}", acks)
    proxies.append(to_response)
    env = production_env(database_url, port, f"{to_slack.url}/api/", secret)
    # A slow answer (3 s) outlasts the client; jobs must not wait the default 10 s for it.
    env.update(SLACK_API_TIMEOUT="2", SANDBOX_PORT=str(sandbox_port), SANDBOX_HOST=HOST)
    # A job left "doing" by a worker that lost its connection is run again after a minute, not
    # five: the drill cuts every connection and waits for everything to finish.
    env.update(JOB_STUCK_AFTER_SECONDS="60")
    env.update(SANDBOX_RESPONSE_URL=to_response.url, SLACK_SIGNING_SECRET=secret)
    if options.transport == "socket":
        # The sandbox reads the app token it accepts from the same variable.
        env.update(SLACK_TRANSPORT="socket", SLACK_APP_TOKEN=APP_TOKEN)
    stack = Stack(workdir, env, port)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    stack.start("sandbox", [sys.executable, "-m", "sandbox"])
    for n, web_port in enumerate(web_ports, start=1):
        start_web(stack, "web" if options.web == 1 else f"web{n}", web_port, options.web)
    sandbox = SandboxClient(f"http://{HOST}:{sandbox_port}")
    drill = DrillStack(stack, sandbox, database_url, faults, acks, proxies, env["CRON_TOKEN"])
    for slot in range(1, options.workers + 1):
        drill.start_worker(slot)
    for n, web_port in enumerate(web_ports, start=1):
        wait_healthy(stack, port=web_port, name="web" if options.web == 1 else f"web{n}")
    wait_for(lambda: _answers(sandbox), "the sandbox to answer", 30)
    if options.transport == "socket":
        for number in range(1, SOCKET_PROCESSES + 1):
            stack.start(f"socket-{number}", [sys.executable, "manage.py", "slack_socket"])
        wait_for(
            lambda: len(sandbox.socket()["connections"]) == SOCKET_PROCESSES,
            "the Socket Mode processes to connect",
            60,
        )
    return drill


def start_web(stack: Stack, name: str, port: int, replicas: int) -> None:
    """One web process (a gunicorn of its own, as one replica is); with several replicas, two
    gunicorn workers each, so that the whole fits two cores as one web of three does."""
    stack.start(
        name,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "response.wsgi:application",
            f"--bind={HOST}:{port}",
            f"--workers={3 if replicas == 1 else 2}",
            "--access-logfile=-",
        ],
    )


def _embedded_database(workdir: Path) -> str:
    from response.embedded_db import embedded_database_url

    return embedded_database_url(workdir)


def _answers(sandbox: SandboxClient) -> bool:
    with contextlib.suppress(OSError, AssertionError):
        return bool(sandbox.state())
    return False


def terminate_other_connections(db: Database) -> int:
    """What a database restart or an administrator does: every connection but the drill's."""
    return len(
        db.rows(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    )


# --- One incident, as people run it --------------------------------------------------------------


class Scenario:
    def __init__(self, drill: DrillStack, db: Database) -> None:
        self.slack = drill.sandbox
        self.db = db

    def run(self, run: IncidentRun) -> None:
        try:
            self._declare(run)
            headline = self._headline(run)
            self._open_channel(run, headline)
            channel = self._channel(run)
            self._make_reminders_due(run)
            self._commands(run, channel)
            self._pin(run, channel)
            self._follow(run, headline)
            self._share_update(run, channel)
            self._close(run, channel)
        except (AssertionError, RuntimeError, OSError) as error:
            run.error = f"incident {run.number}: {error}"

    def _declare(self, run: IncidentRun) -> None:
        for attempt in range(USER_ATTEMPTS):
            run.user_retries += int(attempt > 0)
            self.slack.command(run.reporter, "#incidents", run.title.lower())
            try:
                views = self.slack.wait_for(lambda: self.slack.views(run.reporter), timeout=8)
            except AssertionError:
                continue  # the modal did not open; Response said why; try again
            view = views[-1]
            values = _report_values(view["view"], run.title)
            answer = self._submit(run, view, values, lambda: self._declared(run))
            if answer.get("closed") and not answer.get("errors"):
                break
            raise AssertionError(f"the form was refused: {answer}")
        else:
            raise AssertionError("the report modal never opened")
        run.incident_id = int(self._declared(run))

    def _submit(
        self, run: IncidentRun, view: JsonDict, values: JsonDict, landed: Callable[[], object]
    ) -> JsonDict:
        """Submit a modal; if Slack got no answer in time (over Socket Mode, the connection
        went), the modal says so and stays open: the person looks for what they sent, as they
        would (``landed``), and submits again only when it is not there."""
        for attempt in range(USER_ATTEMPTS):
            run.user_retries += int(attempt > 0)
            answer = self.slack.submit(run.reporter, view["id"], values)
            if answer.get("status") == 200:
                return answer
            time.sleep(2)
            if landed():
                self.slack.close_view(run.reporter, view["id"])
                return {"closed": True, "errors": None}
        return answer

    def _declared(self, run: IncidentRun) -> object:
        """The id of the run's incident, None before it is declared."""
        return self.db.value("SELECT id FROM core_incident WHERE title = %s", (run.title,))

    def _update_shared(self, run: IncidentRun, text: str) -> object:
        return self.db.value(
            "SELECT 1 FROM core_update WHERE incident_id = %s AND what_changed = %s",
            (run.incident_id, text),
        )

    def _headline(self, run: IncidentRun) -> JsonDict:
        return self.slack.wait_for(
            lambda: next(iter(headlines(self.slack, run.title)), None),
            timeout=STEP_SECONDS,
            message=f"the headline of {run.title}",
        )

    def _open_channel(self, run: IncidentRun, headline: JsonDict) -> None:
        run.channel_requested = True
        for attempt in range(USER_ATTEMPTS):
            run.user_retries += int(attempt > 0)
            try:
                answer = self.slack.click(
                    run.reporter,
                    CREATE_COMMS_CHANNEL,
                    channel="#incidents",
                    message_ts=headline["ts"],
                )
            except SandboxError as error:
                # An earlier click got through though its answer was lost (over Socket Mode,
                # with its connection): the headline has no button any more.
                if attempt and "action_not_found" in str(error):
                    return
                raise
            if answer.get("status") == 200:
                return
            time.sleep(2)  # as a person would before clicking again
        raise AssertionError("Create comms channel never went through")

    def _channel(self, run: IncidentRun) -> str:
        """The comms channel, once the reporter has been invited into it."""
        prefix = f"inc-{run.incident_id}-"
        found = self.slack.wait_for(
            lambda: [
                c
                for c in self.slack.channels()
                if c["name"].startswith(prefix) and run.reporter in c["members"]
            ],
            timeout=STEP_SECONDS,
            message=f"the channel of incident {run.incident_id} with its people",
        )
        return str(found[0]["id"])

    def _make_reminders_due(self, run: IncidentRun) -> None:
        # The channel was opened an hour ago, as far as reminders can tell.
        wait_for(
            lambda: self.db.value(
                "SELECT 1 FROM slack_commschannel WHERE incident_id = %s", (run.incident_id,)
            ),
            "the comms channel row",
            STEP_SECONDS,
        )
        self.db.rows(
            "UPDATE slack_commschannel SET created_at = created_at - interval '1 hour' "
            "WHERE incident_id = %s RETURNING 1",
            (run.incident_id,),
        )
        # Let a few sweeps find the reminders due before the commands answer them.
        time.sleep(4)

    def _commands(self, run: IncidentRun, channel: str) -> None:
        n = run.number
        run.commands = [
            (f"lead <@{LEAD}>", f"<@{LEAD}> is now leading this incident."),
            ("severity major", "Severity is now"),
            (f"summary Drill {n}: card payments fail", f"Drill {n}: card payments fail"),
            (f"impact Drill {n}: a third of checkouts", f"Drill {n}: a third of checkouts"),
            (f"action Drill {n}: add an alert", f"Follow-up logged: Drill {n}: add an alert"),
        ]
        for command, _ in run.commands:
            self.slack.message(run.reporter, channel, f"@incident {command}")

    def _pin(self, run: IncidentRun, channel: str) -> None:
        text = f"Drill {run.number}: rolled back the deploy"
        ts = self.slack.message(run.reporter, channel, text)
        self.slack.pin(run.reporter, channel, ts)
        run.pinned_ts = ts

    def _follow(self, run: IncidentRun, headline: JsonDict) -> None:
        """Someone outside the response follows from the headline (a repeat is a no-op)."""
        run.headline_ts = headline["ts"]
        follower = REPORTERS[(REPORTERS.index(run.reporter) + 1) % len(REPORTERS)]
        for attempt in range(USER_ATTEMPTS):
            run.user_retries += int(attempt > 0)
            answer = self.slack.click(
                follower, FOLLOW, channel="#incidents", message_ts=headline["ts"]
            )
            if answer.get("status") == 200:
                break
            time.sleep(2)  # as a person would before clicking again (the connection may be back)
        else:
            raise AssertionError("Follow never went through")
        # The click is handled by a job: the update shared next must find the follower.
        wait_for(
            lambda: self.db.value(
                "SELECT 1 FROM core_follower AS f JOIN core_externaluser AS u ON u.id = f.user_id"
                " WHERE f.incident_id = %s AND u.external_id = %s",
                (run.incident_id, follower),
            ),
            "the follow recorded",
            STEP_SECONDS,
        )
        run.follower = follower

    def _share_update(self, run: IncidentRun, channel: str) -> None:
        """``@incident update``, its Share update button, the modal submitted."""
        self.slack.message(run.reporter, channel, "@incident update")
        prompt = self.slack.wait_for(
            lambda: _bot_messages_saying(
                self.slack, channel, f"Share an update on incident {run.incident_id}"
            ),
            timeout=STEP_SECONDS,
            message="the Share update button",
        )[0]
        text = f"Drill {run.number}: restarted the stuck consumer"
        for attempt in range(USER_ATTEMPTS):
            run.user_retries += int(attempt > 0)
            self.slack.click(run.reporter, SHARE_UPDATE, channel=channel, message_ts=prompt["ts"])
            try:
                views = self.slack.wait_for(lambda: self.slack.views(run.reporter), timeout=8)
            except AssertionError:
                continue  # the modal did not open; Response said why; click again
            view = views[-1]
            values = _update_values(view["view"], text)
            answer = self._submit(run, view, values, lambda: self._update_shared(run, text))
            if answer.get("closed") and not answer.get("errors"):
                run.update_text = text
                return
            raise AssertionError(f"the update was refused: {answer}")
        raise AssertionError("the update modal never opened")

    def _close(self, run: IncidentRun, channel: str) -> None:
        # After the replies: closing first would refuse the commands still queued.
        for _, reply in run.commands:
            self.slack.wait_for(
                lambda reply=reply: _bot_messages_saying(self.slack, channel, reply),
                timeout=STEP_SECONDS,
                message=f"the reply {reply!r}",
            )
        self.slack.message(run.reporter, channel, "@incident close")
        run.closed = True


def _report_values(view: JsonDict, title: str) -> JsonDict:
    """The report modal filled in as a person would: a live incident, no lead yet."""
    kind = next(b for b in view["blocks"] if b.get("block_id") == "report_kind")
    live = next(o for o in kind["element"]["options"] if o["value"] == "live")
    return {
        "title": {"title": {"type": "plain_text_input", "value": title}},
        "report_kind": {"report_kind": {"type": "radio_buttons", "selected_option": live}},
        # Neither box ticked: a real incident, declared investigating. Slack sends every input
        # of the view, an unticked box as an empty list.
        "triage": {"triage": {"type": "checkboxes", "selected_options": []}},
        "drill": {"drill": {"type": "checkboxes", "selected_options": []}},
        "summary": {"summary": {"type": "plain_text_input", "value": "Found by the fault drill"}},
        "impact": {"impact": {"type": "plain_text_input", "value": None}},
        "lead": {"lead": {"type": "users_select", "selected_user": None}},
        "severity": {"severity": {"type": "static_select", "selected_option": None}},
    }


def _update_values(view: JsonDict, what_changed: str) -> JsonDict:
    """The update modal as a person sends it: status and next update as offered, one change."""

    def chosen(block_id: str) -> JsonDict:
        block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
        return {"type": "static_select", "selected_option": block["element"].get("initial_option")}

    def text(value: str | None) -> JsonDict:
        return {"type": "plain_text_input", "value": value}

    return {
        "update_status": {"update_status": chosen("update_status")},
        "update_impact": {"update_impact": text(None)},
        "update_what_changed": {"update_what_changed": text(what_changed)},
        "update_next_steps": {"update_next_steps": text(None)},
        "update_next_update_in": {"update_next_update_in": chosen("update_next_update_in")},
    }


def headlines(slack: SandboxClient, title: str) -> list[JsonDict]:
    return headlines_in(slack.messages("#incidents"), title)


def headlines_in(messages: list[JsonDict], title: str) -> list[JsonDict]:
    """The bot's headlines of the incident called ``title`` among ``#incidents``' messages."""
    return [
        m
        for m in _by_the_bot(messages)
        if f"*{title}*" in json.dumps(m.get("blocks") or [], ensure_ascii=False)
    ]


def _by_the_bot(messages: list[JsonDict]) -> list[JsonDict]:
    return [m for m in messages if m.get("bot_id") and not m.get("ephemeral")]


def _bot_messages_saying(slack: SandboxClient, channel: str, needle: str) -> list[JsonDict]:
    return [m for m in _by_the_bot(slack.messages(channel)) if needle in _shown(m)]


def _shown(message: JsonDict) -> str:
    return (message.get("text") or "") + json.dumps(message.get("blocks") or [], ensure_ascii=False)


# --- Chaos and cron ------------------------------------------------------------------------------


@dataclass
class Chaos:
    worker_kills: int = 0
    worker_restarts: int = 0
    connections_terminated: int = 0
    cron_failures: list[str] = field(default_factory=list)
    # (wall time, what) of each Socket Mode cut: "drop" or "reconnect".
    socket_cuts: list[tuple[float, str]] = field(default_factory=list)


def cron(drill: DrillStack, chaos: Chaos, stop: threading.Event) -> None:
    while not stop.wait(2):
        connection = http.client.HTTPConnection(HOST, drill.stack.port, timeout=10)
        try:
            connection.request(
                "POST",
                "/slack/cron_minute",
                headers={"Authorization": f"Bearer {drill.cron_token}"},
            )
            status = connection.getresponse().status
            if status >= 500:
                chaos.cron_failures.append(f"cron answered {status}")
        except OSError as error:
            chaos.cron_failures.append(f"cron: {error}")
        finally:
            connection.close()


def keep_worker_running(drill: DrillStack, chaos: Chaos, stop: threading.Event) -> None:
    """Start a worker again whenever it exits, as the compose file's restart policy does. It
    exits when killed, and by design when it loses the database under its own bookkeeping."""
    while not stop.wait(0.5):
        for slot in list(drill.worker_generations):
            process = drill.worker_process(slot)
            if process.poll() is None:
                continue
            chaos.worker_restarts += 1
            say(f"  worker {slot} exited ({process.returncode}); starting it again")
            time.sleep(1)
            drill.start_worker(slot)


def havoc(
    drill: DrillStack, db: Database, options: Options, runs: list[IncidentRun], chaos: Chaos
) -> None:
    """Kill the worker once a third of the incidents are declared; cut every database connection
    once a third are done (by then the restarted worker has connected again)."""
    third = max(1, options.incidents // 3)
    if options.kill_worker:
        wait_for(lambda: sum(r.incident_id is not None for r in runs) >= third, "declarations", 900)
        process = drill.worker_process(1)
        process.send_signal(signal.SIGKILL)
        chaos.worker_kills += 1
        say("  killed worker 1 (SIGKILL)")
    if options.terminate_connections:
        wait_for(lambda: sum(r.closed or bool(r.error) for r in runs) >= third, "closings", 900)
        chaos.connections_terminated += terminate_other_connections(db)
        say(f"  terminated {chaos.connections_terminated} database connections")


def cut_sockets(drill: DrillStack, chaos: Chaos, stop: threading.Event) -> None:
    """Over Socket Mode: every few seconds, drop the connections or ask for a reconnect, in
    turn, as a flaky network and Slack's own link refreshes do."""
    while not stop.wait(SOCKET_HAVOC_EVERY):
        what = "drop" if len(chaos.socket_cuts) % 2 == 0 else "reconnect"
        chaos.socket_cuts.append((time.time(), what))
        cut = drill.sandbox.drop_socket if what == "drop" else drill.sandbox.ask_socket_to_reconnect
        say(f"  Socket Mode: {what} ({cut()} connections)")
        drill.sandbox.hold_socket_acks(SOCKET_ACKS_HELD_PER_CUT)


def socket_answers(
    drill: DrillStack, cuts: list[tuple[float, str]], ack_timeout: float = ACK_LIMIT_SECONDS
) -> tuple[list[str], float, int]:
    """Over Socket Mode, from the sandbox's record of its envelopes: those acknowledged late,
    those never acknowledged that no cut explains, the slowest ack in ms, and how many went
    unacknowledged because their connection was cut under them (Slack then sends an event again,
    and a person tries again)."""
    problems: list[str] = []
    slowest, explained = 0.0, 0
    for delivery in drill.sandbox.deliveries():
        if delivery["error"] == "ack_held_back":
            continue  # answered in time; the drill held the ack back itself
        latency = float(delivery["latency_ms"] or 0)
        if delivery["status"] == 200:
            slowest = max(slowest, latency)
            if latency > ack_timeout * 1000:
                problems.append(f"{delivery['summary']} acknowledged after {latency:.0f} ms")
            continue
        # Recorded when the sandbox gave up: it waited for a connection, then for the ack. A cut
        # in that time, or just before while the client was noticing and reconnecting, explains
        # it.
        ended = float(delivery["at"])
        waited = EVENT_WAITS_FOR_A_CONNECTION + ack_timeout + CLOSE_AFTER_DISCONNECT
        began = ended - waited - RECONNECT_GRACE
        if any(began <= at <= ended for at, _ in cuts):
            explained += 1
        else:
            problems.append(f"{delivery['summary']} not acknowledged, with no cut to explain it")
    return problems, slowest, explained


# --- Settling and counting ------------------------------------------------------------------------


def settle(drill: DrillStack, db: Database, seconds: float) -> None:
    """Until, for 5 s, Slack has no event left to deliver and no job is due or running
    (requeued jobs of the killed worker included).

    Both, because each feeds the other: the last ``@incident close`` may still sit in Slack's
    queue for its channel behind a held-back delivery and its retries while the job queue is
    already quiet, and counting then would report that close's notice and DM as lost.
    """
    deadline = time.monotonic() + seconds
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        busy = drill.sandbox.pending_deliveries() or db.value(
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing' OR (status = 'todo' "
            "AND task_name NOT LIKE 'slack.prune%%' AND task_name <> 'slack.requeue_stalled_jobs')"
        )
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 5:
            return
        time.sleep(0.5)
    pending = db.rows(
        "SELECT id, task_name, status, attempts, scheduled_at FROM procrastinate_jobs "
        "WHERE status IN ('todo', 'doing') ORDER BY id"
    )
    listed = "\n".join(f"  {row}" for row in pending)
    undelivered = drill.sandbox.pending_deliveries()
    raise AssertionError(
        f"not settled after {seconds:g} s: {undelivered} events undelivered, "
        f"jobs pending:\n{listed}"
    )


@dataclass
class Records:
    """What the count reads, once everything has settled, so that judging it is a pure function:
    the sandbox's channels (as ``/sandbox/state`` lists them) and every channel's messages, and
    from the database which incidents exist, their reminder ledgers and their timelines' pins."""

    channels: list[JsonDict]
    messages: dict[str, list[JsonDict]]  # by channel id, oldest first
    incidents: set[int] = field(default_factory=set)  # the ids found in core_incident
    reminders: dict[int, list[tuple[str, int]]] = field(default_factory=dict)  # (key, times sent)
    pins: dict[int, int] = field(default_factory=dict)  # timeline events of the pinned message

    def messages_in(self, channel: str) -> list[JsonDict]:
        """The messages of a channel given by id, or by name as ``#name``."""
        if channel.startswith("#"):
            found = next((c for c in self.channels if c["name"] == channel[1:]), None)
            channel = str(found["id"]) if found else channel
        return self.messages.get(channel, [])


def read_records(slack: SandboxClient, db: Database, runs: list[IncidentRun]) -> Records:
    channels = slack.channels()
    records = Records(channels, {str(c["id"]): slack.messages(str(c["id"])) for c in channels})
    for run in runs:
        if run.incident_id is None:
            continue
        found = db.value("SELECT count(*) FROM core_incident WHERE id = %s", (run.incident_id,))
        if found:
            records.incidents.add(run.incident_id)
        records.reminders[run.incident_id] = [
            (str(key), int(sent))
            for key, sent in db.rows(
                "SELECT key, times_sent FROM slack_notification WHERE incident_id = %s",
                (run.incident_id,),
            )
        ]
        if run.pinned_ts:
            pinned = db.value(
                "SELECT count(*) FROM core_timelineevent WHERE incident_id = %s "
                "AND source_ref LIKE %s",
                (run.incident_id, f"%{run.pinned_ts}%"),
            )
            records.pins[run.incident_id] = int(pinned or 0)
    return records


def count(drill: DrillStack, db: Database, runs: list[IncidentRun]) -> tuple[list[str], list[str]]:
    """(duplicates, losses) as Slack shows them."""
    return judge(read_records(drill.sandbox, db, runs), runs)


def judge(records: Records, runs: list[IncidentRun]) -> tuple[list[str], list[str]]:
    """(duplicates, losses) in ``records``, given what the incidents did."""
    duplicates: list[str] = []
    losses: list[str] = []

    def expect_once(what: str, found: int) -> None:
        if found > 1:
            duplicates.append(f"{what}: {found} times")
        elif found == 0:
            losses.append(f"{what}: missing")

    for run in runs:
        if run.incident_id is None:
            continue
        label = f"incident {run.incident_id}"
        if run.incident_id not in records.incidents:
            losses.append(f"{label}: not in the database")
        expect_once(
            f"{label} headline", len(headlines_in(records.messages_in("#incidents"), run.title))
        )
        prefix = f"inc-{run.incident_id}-"
        mine = [c for c in records.channels if c["name"].startswith(prefix)]
        if run.channel_requested:
            expect_once(f"{label} comms channel", len(mine))
        if not mine:
            continue
        said = _by_the_bot(records.messages_in(str(mine[0]["id"])))
        expect_once(f"{label} bookmark", len(mine[0].get("bookmarks") or []))
        expect_once(
            f"{label} welcome",
            sum("Welcome to the channel of incident" in _shown(m) for m in said),
        )
        for command, reply in run.commands:
            expect_once(f"{label} reply to {command!r}", sum(reply in _shown(m) for m in said))
        if run.closed:
            notices = sum(CLOSING_NOTICE in _shown(m) for m in said)
            expect_once(f"{label} closing notice", notices)
            expect_once(f"{label} DM to the lead", _dms_about(records, run))
        _judge_update(records, run, said, expect_once)
        for key, prefix_text, sent in _reminders(records.reminders.get(run.incident_id, [])):
            posted = sum(_shown(m).startswith(prefix_text) for m in said)
            if posted != sent:
                what = f"{label} reminder {key}: ledger says {sent}, channel shows {posted}"
                (duplicates if posted > sent else losses).append(what)
        if run.pinned_ts:
            pinned = records.pins.get(run.incident_id, 0)
            expect_once(f"{label} pinned message on the timeline", pinned)
    return duplicates, losses


def _judge_update(
    records: Records, run: IncidentRun, said: list[JsonDict], expect_once: Any
) -> None:
    """The update in its three places and the follower's DMs, each once (SPEC §15)."""
    label = f"incident {run.incident_id}"
    prompt = f"Share an update on incident {run.incident_id}"
    if run.update_text:
        expect_once(f"{label} update prompt", sum(prompt in _shown(m) for m in said))
        text = run.update_text
        expect_once(f"{label} update in the channel", sum(text in _shown(m) for m in said))
        under_headline = [
            m
            for m in _by_the_bot(records.messages_in("#incidents"))
            if m.get("thread_ts") == run.headline_ts and text in _shown(m)
        ]
        expect_once(f"{label} update under the headline", len(under_headline))
        expect_once(f"{label} update DM to the follower", _dms_to(records, run.follower, text))
    if run.closed and run.follower:
        resolved = f"Incident {run.incident_id} is resolved"
        expect_once(
            f"{label} resolution DM to the follower", _dms_to(records, run.follower, resolved)
        )


def _dms_to(records: Records, user: str | None, needle: str) -> int:
    """The bot's messages saying ``needle`` in its DM with ``user``."""
    return sum(
        needle in _shown(m)
        for c in records.channels
        if c.get("is_im") and user in (c.get("members") or [])
        for m in _by_the_bot(records.messages_in(str(c["id"])))
    )


def _dms_about(records: Records, run: IncidentRun) -> int:
    """The bot's messages to the lead, in their DM, about this incident being closed."""
    needle = f"Incident {run.incident_id}, *"
    return sum(
        needle in _shown(m)
        for c in records.channels
        if c.get("is_im") and LEAD in (c.get("members") or [])
        for m in _by_the_bot(records.messages_in(str(c["id"])))
    )


# How the notice posted in the comms channel when the incident is resolved begins.
CLOSING_NOTICE = "This incident was resolved"

# By the reminder's function name: the ledger's key is its dotted path, and modules move.
REMINDER_TEXTS = {
    "remind_no_lead": ":bust_in_silhouette: This incident has no lead",
    "remind_no_severity": ":cloud: This incident has no severity",
}


def _reminders(ledger: list[tuple[str, int]]) -> Iterator[tuple[str, str, int]]:
    """(key, what the post starts with, times sent) of the ledger's reminders the drill knows."""
    for key, sent in ledger:
        text = REMINDER_TEXTS.get(key.rsplit(".", 1)[-1])
        if text:
            yield key, text, int(sent)


def slow_answers(answers: list[AckRecord], cron_failures: list[str]) -> tuple[list[str], float]:
    """Slack's requests answered late (over 3 s), with a 5xx or not at all; the slowest in ms."""
    problems = [
        f"{a.path} answered {a.status} after {a.seconds * 1000:.0f} ms"
        for a in answers
        if a.status == 0 or a.status >= 500 or a.seconds > ACK_LIMIT_SECONDS
    ]
    slowest = max((a.seconds for a in answers), default=0.0)
    return problems + cron_failures, slowest * 1000


# --- The drill ----------------------------------------------------------------------------------


def say(text: str) -> None:
    print(text, flush=True)


def drill(options: Options, workdir: Path) -> Report:
    started = time.monotonic()
    say(
        f"Starting PostgreSQL, Response ({options.web} web, {options.workers} worker), "
        f"and the Slack sandbox in {workdir} ..."
    )
    stack = start(options, workdir)
    try:
        db = Database(stack.database_url)
        runs = [
            IncidentRun(number=n, title=f"Drill {options.seed}-{n} checkout errors")
            for n in range(1, options.incidents + 1)
        ]
        chaos = Chaos()
        stop_background = threading.Event()
        threads = [
            threading.Thread(target=cron, args=(stack, chaos, stop_background), daemon=True),
            threading.Thread(
                target=keep_worker_running, args=(stack, chaos, stop_background), daemon=True
            ),
        ]

        havoc_thread = threading.Thread(
            target=havoc, args=(stack, db, options, runs, chaos), daemon=True
        )
        threads.append(havoc_thread)
        stop_cutting = threading.Event()
        if options.transport == "socket":
            threads.append(
                threading.Thread(target=cut_sockets, args=(stack, chaos, stop_cutting), daemon=True)
            )
        for thread in threads:
            thread.start()
        say(f"Running {len(runs)} incidents, {options.parallel} at a time ...")
        _run_all(Scenario(stack, db), runs, options.parallel)
        stop_cutting.set()
        havoc_thread.join(timeout=5)
        say("Waiting for the last jobs (retries back off; a dead worker's jobs are requeued) ...")
        settle(stack, db, options.settle_seconds)
        stop_background.set()
        duplicates, losses = count(stack, db, runs)
        problems, slowest = slow_answers(stack.acks.answers, chaos.cron_failures)
        lost_with_a_connection = 0
        if options.transport == "socket":
            over_socket, slowest_ack, lost_with_a_connection = socket_answers(
                stack, chaos.socket_cuts
            )
            problems += over_socket
            slowest = max(slowest, slowest_ack)
            redeliveries = sum(1 for d in stack.sandbox.deliveries() if d["attempt"])
            held_back = int(stack.sandbox.socket()["acks_held"])
        else:
            redeliveries = sum(1 for a in stack.acks.answers if a.retry_num)
            held_back = stack.acks.held
        retries = int(db.value("SELECT count(*) FROM slack_failedattempt") or 0)
        return Report(
            options=asdict(options) | {"database_url": None},
            incidents_declared=sum(r.incident_id is not None for r in runs),
            faults_injected={k: v for k, v in stack.faults.injected.items() if ":" not in k},
            web_api_calls=stack.faults.calls,
            events_held_back=held_back,
            slack_redeliveries=redeliveries,
            job_retries=retries,
            user_retries=sum(r.user_retries for r in runs),
            worker_kills=chaos.worker_kills,
            worker_restarts=chaos.worker_restarts,
            connections_terminated=chaos.connections_terminated,
            socket_drops=sum(1 for _, what in chaos.socket_cuts if what == "drop"),
            socket_reconnects=sum(1 for _, what in chaos.socket_cuts if what == "reconnect"),
            envelopes_lost_with_a_connection=lost_with_a_connection,
            duplicates=duplicates,
            losses=losses,
            slow_or_failed_answers=problems,
            slowest_answer_ms=round(slowest, 1),
            scenario_errors=[r.error for r in runs if r.error],
            seconds=round(time.monotonic() - started, 1),
            machine={"cpus": os.cpu_count(), "platform": platform.platform()},
            follows=sum(r.follower is not None for r in runs),
            updates_shared=sum(r.update_text is not None for r in runs),
        )
    finally:
        stack.stop()


def _run_all(scenario: Scenario, runs: list[IncidentRun], parallel: int) -> None:
    pending = list(runs)
    lock = threading.Lock()

    def work(reporter: str) -> None:
        while True:
            with lock:
                if not pending:
                    return
                run = pending.pop(0)
            run.reporter = reporter
            scenario.run(run)
            say(f"  incident {run.number}/{len(runs)}: {run.error or 'done'}")

    workers = [
        threading.Thread(target=work, args=(REPORTERS[n],))
        for n in range(min(parallel, len(REPORTERS)))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def print_report(report: Report) -> None:
    lines = [
        "",
        f"Fault drill: {report.incidents_declared} incidents in {report.seconds:g} s, "
        f"{report.options['web']} web process(es), {report.options['workers']} worker(s)",
        f"  Web API calls {report.web_api_calls}, faults injected "
        f"{sum(report.faults_injected.values())}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(report.faults_injected.items())),
        f"  events held back {report.events_held_back}, redelivered by Slack "
        f"{report.slack_redeliveries}",
        f"  job retries {report.job_retries}, people trying again {report.user_retries}",
        f"  incidents followed {report.follows}, updates shared {report.updates_shared}",
        f"  worker killed {report.worker_kills}, restarted {report.worker_restarts}, "
        f"database connections terminated "
        f"{report.connections_terminated}",
        *(
            [
                f"  over Socket Mode: connections dropped {report.socket_drops} times, asked to "
                f"reconnect {report.socket_reconnects} times; "
                f"{report.envelopes_lost_with_a_connection} envelopes went with a connection"
            ]
            if report.options.get("transport") == "socket"
            else []
        ),
        f"  slowest answer to Slack {report.slowest_answer_ms:g} ms",
        f"  duplicates {len(report.duplicates)}, losses {len(report.losses)}, late or failed "
        f"answers {len(report.slow_or_failed_answers)}, scenario errors "
        f"{len(report.scenario_errors)}",
    ]
    for title, items in (
        ("Duplicates", report.duplicates),
        ("Losses", report.losses),
        ("Late or failed answers", report.slow_or_failed_answers),
        ("Scenario errors", report.scenario_errors),
    ):
        lines += [f"{title}:", *(f"  - {item}" for item in items)] if items else []
    print("\n".join(lines), flush=True)


def save(report: Report) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"faults-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(asdict(report) | {"clean": report.clean}, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    summary = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=summary)
    parser.add_argument("--incidents", type=int, default=20, help="incidents to run (20)")
    parser.add_argument("--fault-rate", type=float, default=0.3, help="share of calls (0.3)")
    parser.add_argument("--event-hold-rate", type=float, default=0.1, help="events held 3.3 s")
    parser.add_argument("--seed", type=int, default=7, help="random seed (7)")
    parser.add_argument("--parallel", type=int, default=3, help="incidents run at once (3)")
    parser.add_argument("--web", type=int, default=1, help="web processes, round-robin (1)")
    parser.add_argument("--workers", type=int, default=1, help="job worker processes (1)")
    parser.add_argument(
        "--transport", choices=("http", "socket"), default="http", help="how Slack delivers"
    )
    args = parser.parse_args(argv)
    if args.web < 1 or args.workers < 1:
        parser.error("--web and --workers need at least 1")
    options = Options(
        incidents=args.incidents,
        fault_rate=args.fault_rate,
        event_hold_rate=args.event_hold_rate,
        seed=args.seed,
        parallel=args.parallel,
        web=args.web,
        workers=args.workers,
        transport=args.transport,
    )

    return run_and_report(
        lambda workdir: drill(options, workdir),
        what="drill",
        print_report=print_report,
        save=save,
    )


def run_and_report(
    run: Callable[[Path], Any],
    *,
    what: str,
    print_report: Callable[[Any], None],
    save: Callable[[Any], Path],
) -> int:
    """Run a benchmark in a folder of its own, print and save its report; the exit code.

    0: clean, 1: it ran and found a fault, 2: it could not run (its logs are kept), 130:
    interrupted. Stopped from outside, it still stops everything it started (the database last,
    at exit).
    """

    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    workdir = Path(tempfile.mkdtemp(prefix=f"response-{what}-"))
    try:
        report = run(workdir)
    except KeyboardInterrupt:
        print("\nInterrupted; everything it started is stopped.", file=sys.stderr)
        return 130
    except (AssertionError, RuntimeError, subprocess.CalledProcessError) as error:
        print(f"\nthe {what} could not run: {error}\nLogs are kept in {workdir}", file=sys.stderr)
        return 2
    shutil.rmtree(workdir, ignore_errors=True)
    print_report(report)
    print(f"Written to {save(report).relative_to(ROOT)}")
    return 0 if report.clean else 1


if __name__ == "__main__":
    sys.exit(main())
