"""The incident storm: many incidents declared at once against Slack's rate limits, then a count.

    python -m bench.storm --incidents 50 --declare-seconds 20 --commands 10      (make storm)

It starts Response as the fault drill does (``bench/faults.py``: gunicorn, the job worker,
PostgreSQL, the sandbox; here with no faults injected) and switches on the sandbox's rate limits
(``sandbox/rate_limits.py``: Slack's tiers per method, and about one post a second into a channel
with a burst of a few). Four people declare the incidents through ``/incident`` and the report
form, spread over ``--declare-seconds``, with a mix of severities (one in ten critical). Once an
incident's headline is up, its reporter clicks *Create comms channel* and types ``@incident``
commands there that change what the headline shows (severity, lead, summary, impact) and one
that does not (a follow-up action): ``--commands`` in all, the click counted.

Every headline goes into the one central channel, so they cannot come faster than Slack takes
posts there. The physical limit is worked out from the sandbox's own constants: a token bucket
of ``POST_BURST`` posts, refilled at ``POSTS_PER_SECOND``, full when the storm begins, serving the
declared incidents as they come (the most severe waiting first, as Response should) with no time
lost anywhere else. The k-th headline can then appear no sooner than the bucket allows; its ratio
is the time from the storm's first submission to the headline, against the same for the limit.

Once the queue is empty and the sandbox has nothing left to deliver, it counts from Slack's own
record: exactly one headline per incident, showing the latest state; one reply per command;
headlines in priority order (no headline posted while a more severe one had been waiting for
longer than ``ORDER_SLACK_SECONDS``); and per headline, the ``chat.update`` calls Slack took
against the edits asked for. The report is printed and written to
``bench/results/storm-<UTC timestamp>.json``; the exit status is 1 when anything was lost or
duplicated, out of order, or not coalesced.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.faults import (
    CREATE_COMMS_CHANNEL,
    DrillStack,
    Options,
    headlines_in,
    run_and_report,
    say,
    settle,
    start,
)
from bench.run import RESULTS, Database
from core.lifecycle.statuses import STATUS_EMOJI
from sandbox.rate_limits import POST_BURST, POSTS_PER_SECOND
from tests.e2e.sandbox_stack import SandboxClient

JsonDict = dict[str, Any]

REPORTERS = ("U0ALICE", "U0BOB", "U0CAROL", "U0DAVE")
LEAD = "U0BOB"
# Severities of ten incidents in a row: one critical, two major, the rest minor or trivial.
SEVERITY_MIX = ("minor", "major", "trivial", "critical", "minor", "trivial", "major", "minor")
SEVERITY_MIX += ("trivial", "minor")
SEVERITY_RANK = {"critical": 1, "major": 2, "minor": 3, "trivial": 4}
# A headline may go before a more severe one declared this long before it was posted: the time
# from writing the incident until the commit, and the post's own round trip to Slack.
ORDER_SLACK_SECONDS = 1.0
STEP_SECONDS = 180


@dataclass
class StormOptions:
    incidents: int = 50
    declare_seconds: float = 20.0
    commands: int = 10  # per incident, the Create comms channel click included
    parallel: int = 8  # incidents whose commands are typed at once
    seed: int = 19
    settle_seconds: float = 900  # reactions (Tier 3) and channel set-up (Tier 2) queue up
    database_url: str | None = None
    workers: int = 1
    # Slack refuses every post until all incidents are declared, then every chat.update until
    # all commands are typed: as when an earlier burst used up the channel's and Tier 3's
    # allowance. Then everything waits at once, which shows the order and the coalescing plainly
    # (the suite's short storm); the steps run one after the other.
    hold: bool = False


@dataclass
class StormIncident:
    number: int
    title: str
    severity: str
    reporter: str = REPORTERS[0]
    incident_id: int | None = None
    submitted_at: float | None = None  # epoch seconds, when the form was sent
    declared_at: float | None = None  # when the incident was written (from then it can wait)
    headline_ts: str | None = None
    headline_at: float | None = None  # when Slack took the headline (its ts)
    limit_at: float | None = None  # the earliest Slack's limit allows, in this storm
    commands: list[tuple[str, str]] = field(default_factory=list)  # (command, expected reply)
    edits_requested: int = 0  # changes to what the headline shows, declared ones not counted
    updates_sent: int = 0  # chat.update calls Slack took for this headline
    updates_refused: int = 0  # and answered 429
    final_state: list[str] = field(default_factory=list)  # what the headline shows in the end
    error: str | None = None

    @property
    def latency(self) -> float | None:
        if self.headline_at is None or self.submitted_at is None:
            return None
        return self.headline_at - self.submitted_at


@dataclass
class StormReport:
    options: JsonDict
    limits: JsonDict
    incidents: list[JsonDict]
    declared_in_seconds: float
    last_headline_after_seconds: float
    limit_last_headline_after_seconds: float
    ratio_last_headline: float
    ratio_p50: float
    ratio_max: float
    latency_p50: float
    latency_max: float
    limit_latency_p50: float
    edits_requested: int
    updates_sent: int
    updates_refused: int
    post_429s: int
    losses: list[str]
    duplicates: list[str]
    out_of_order: list[str]
    not_coalesced: list[str]
    scenario_errors: list[str]
    seconds: float
    machine: JsonDict

    @property
    def clean(self) -> bool:
        return not (
            self.losses
            or self.duplicates
            or self.out_of_order
            or self.not_coalesced
            or self.scenario_errors
        )


# --- The physical limit -----------------------------------------------------------------------


def physical_limit(
    incidents: list[StormIncident], *, burst: float = POST_BURST, rate: float = POSTS_PER_SECOND
) -> None:
    """Set each incident's ``limit_at``: when its headline would appear with no time lost but to
    Slack's limit on posts into one channel (a token bucket, full at the first submission), the
    most severe waiting one served first."""
    waiting = sorted(
        (i for i in incidents if i.submitted_at is not None), key=lambda i: i.submitted_at or 0
    )
    if not waiting:
        return
    now = waiting[0].submitted_at or 0.0
    tokens, updated = float(burst), now
    queue: list[StormIncident] = []
    while waiting or queue:
        if not queue:
            now = max(now, waiting[0].submitted_at or 0.0)
        while waiting and (waiting[0].submitted_at or 0.0) <= now:
            queue.append(waiting.pop(0))
        tokens = min(burst, tokens + (now - updated) * rate)
        updated = now
        if tokens < 1:
            now += (1 - tokens) / rate
            continue
        queue.sort(key=lambda i: (SEVERITY_RANK[i.severity], i.submitted_at or 0.0))
        chosen = queue.pop(0)
        tokens -= 1
        chosen.limit_at = now


def ratio(incident: StormIncident, start: float) -> float | None:
    """Time from the storm's start to the headline, against the same for the limit (at least
    one post's interval, so that the very first headline is not divided by nothing)."""
    if incident.headline_at is None or incident.limit_at is None:
        return None
    floor = 1 / POSTS_PER_SECOND
    return (incident.headline_at - start) / max(incident.limit_at - start, floor)


# --- People at work ---------------------------------------------------------------------------


class Storm:
    def __init__(self, drill: DrillStack, db: Database, options: StormOptions) -> None:
        self.slack: SandboxClient = drill.sandbox
        self.db = db
        self.options = options

    def declare_all(self, incidents: list[StormIncident]) -> None:
        """Each incident declared at its time in the spread, by whichever reporter is free."""
        began = time.monotonic()
        spacing = self.options.declare_seconds / max(1, len(incidents))
        pending = list(incidents)
        lock = threading.Lock()

        def work(reporter: str) -> None:
            while True:
                with lock:
                    if not pending:
                        return
                    incident = pending.pop(0)
                due = began + (incident.number - 1) * spacing
                time.sleep(max(0.0, due - time.monotonic()))
                incident.reporter = reporter
                try:
                    self.declare(incident)
                except (AssertionError, RuntimeError, OSError) as error:
                    incident.error = f"incident {incident.number}: {error}"

        _in_threads(work, REPORTERS)

    def declare(self, incident: StormIncident) -> None:
        self.slack.command(incident.reporter, "#incidents", incident.title.lower())
        views = self.slack.wait_for(lambda: self.slack.views(incident.reporter), timeout=30)
        view = views[-1]
        values = report_values(view["view"], incident.title, incident.severity)
        incident.submitted_at = time.time()
        answer = self.slack.submit(incident.reporter, view["id"], values)
        if not answer.get("closed") or answer.get("errors"):
            raise AssertionError(f"the form was refused: {answer}")
        [(incident_id, declared_at)] = self.db.rows(
            "SELECT id, extract(epoch FROM report_time) FROM core_incident WHERE title = %s",
            (incident.title,),
        )
        incident.incident_id, incident.declared_at = int(incident_id), float(declared_at)

    def command_all(self, incidents: list[StormIncident]) -> None:
        pending = [i for i in incidents if i.error is None]
        lock = threading.Lock()

        def work(_: int) -> None:
            while True:
                with lock:
                    if not pending:
                        return
                    incident = pending.pop(0)
                try:
                    self.commands(incident)
                except (AssertionError, RuntimeError, OSError) as error:
                    incident.error = f"incident {incident.number}: {error}"

        _in_threads(work, range(self.options.parallel))

    def commands(self, incident: StormIncident) -> None:
        headline = self.slack.wait_for(
            lambda: next(iter(headlines_in(self.slack.messages("#incidents"), incident.title)), 0),
            timeout=STEP_SECONDS,
            message=f"the headline of {incident.title}",
        )
        self.slack.click(
            incident.reporter, CREATE_COMMS_CHANNEL, channel="#incidents", message_ts=headline["ts"]
        )
        incident.edits_requested += 1  # the button goes, the channel is shown
        channel = self.comms_channel(incident)
        script = command_script(incident, self.options.commands - 1)
        incident.commands = [(command, reply) for command, reply, _ in script]
        incident.edits_requested += sum(edits for _, _, edits in script)
        for command, _, _ in script:
            self.slack.message(incident.reporter, channel, f"@incident {command}")

    def comms_channel(self, incident: StormIncident) -> str:
        prefix = f"inc-{incident.incident_id}-"
        found = self.slack.wait_for(
            lambda: [
                c
                for c in self.slack.channels()
                if c["name"].startswith(prefix) and incident.reporter in c["members"]
            ],
            timeout=STEP_SECONDS,
            message=f"the channel of incident {incident.incident_id} with its reporter",
        )
        return str(found[0]["id"])


def command_script(incident: StormIncident, count: int) -> list[tuple[str, str, int]]:
    """``count`` commands: (command, the reply that shows it was done, headline edits asked).

    Every change to the incident asks for the headline to be rendered again (summary and impact
    too, though it does not show them); a follow-up action does not change the incident. The
    last severity and status typed are what the headline must show in the end.
    """
    n = incident.number
    severities = [s for s in SEVERITY_RANK if s != incident.severity]
    statuses = ("fixing", "monitoring")
    cycle = [
        lambda k: (f"severity {severities[k % 3]}", "Severity is now", 1),
        lambda k: (f"status {statuses[k % 2]}", "Status is now", 1),
        lambda k: (f"lead <@{LEAD}>", f"<@{LEAD}> is now leading this incident.", 1),
        lambda k: (f"summary Storm {n}.{k}: card payments fail", f"Storm {n}.{k}: card pay", 1),
        lambda k: (f"impact Storm {n}.{k}: a third of checkouts", f"Storm {n}.{k}: a third", 1),
        lambda k: (f"action Storm {n}.{k}: add an alert", f"Follow-up logged: Storm {n}.{k}", 0),
    ]
    script = [cycle[k % len(cycle)](k) for k in range(count)]
    incident.final_state = [
        final
        for word, shown in (("severity", "*Severity:* "), ("status", "*Status:* "))
        if (typed := [c.split()[1] for c, _, _ in script if c.startswith(f"{word} ")])
        for final in [shown + _shown_as(word, typed[-1])]
    ]
    return script


def _shown_as(word: str, value: str) -> str:
    """How the headline shows a severity or status typed as ``value``."""
    if word == "severity":
        return value.capitalize()
    return f"{STATUS_EMOJI[value]} {value.capitalize()}"


def report_values(view: JsonDict, title: str, severity: str) -> JsonDict:
    """The report modal filled in: a live incident of the given severity, no lead yet."""
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    live = next(o for o in blocks["report_kind"]["element"]["options"] if o["value"] == "live")
    chosen = next(
        o
        for o in blocks["severity"]["element"]["options"]
        if o["value"] == str(SEVERITY_RANK[severity])
    )
    return {
        "title": {"title": {"type": "plain_text_input", "value": title}},
        "report_kind": {"report_kind": {"type": "radio_buttons", "selected_option": live}},
        "triage": {"triage": {"type": "checkboxes", "selected_options": []}},
        "drill": {"drill": {"type": "checkboxes", "selected_options": []}},
        "summary": {"summary": {"type": "plain_text_input", "value": "Found in the storm"}},
        "impact": {"impact": {"type": "plain_text_input", "value": None}},
        "lead": {"lead": {"type": "users_select", "selected_user": None}},
        "severity": {"severity": {"type": "static_select", "selected_option": chosen}},
    }


def _in_threads(work: Any, args: Any) -> None:
    threads = [threading.Thread(target=work, args=(arg,)) for arg in args]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- Counting ---------------------------------------------------------------------------------


def _shown(message: JsonDict) -> str:
    return (message.get("text") or "") + json.dumps(message.get("blocks") or [], ensure_ascii=False)


def count(slack: SandboxClient, incidents: list[StormIncident]) -> JsonDict:
    """Read Slack's record into the incidents; returns the problems found, by kind."""
    central = slack.messages("#incidents")
    updates = slack.calls("chat.update")
    channels = slack.channels()
    problems: JsonDict = {"losses": [], "duplicates": [], "not_coalesced": []}
    for incident in incidents:
        if incident.incident_id is None:
            continue
        found = headlines_in(central, incident.title)
        if len(found) != 1:
            kind = "losses" if not found else "duplicates"
            problems[kind].append(f"incident {incident.number}: {len(found)} headlines")
        if not found:
            continue
        headline = found[0]
        incident.headline_ts = str(headline["ts"])
        incident.headline_at = float(headline["ts"])
        for shown in incident.final_state:
            if shown not in _shown(headline):
                problems["losses"].append(
                    f"incident {incident.number}: the headline does not show {shown!r}"
                )
        mine = [u for u in updates if u["params"].get("ts") == incident.headline_ts]
        incident.updates_sent = sum(1 for u in mine if u["status"] == 200 and not u["error"])
        incident.updates_refused = sum(1 for u in mine if u["status"] == 429)
        if incident.updates_sent > incident.edits_requested or (
            incident.updates_refused and incident.updates_sent >= incident.edits_requested
        ):
            problems["not_coalesced"].append(
                f"incident {incident.number}: {incident.updates_sent} updates for "
                f"{incident.edits_requested} edits"
            )
        problems["losses"] += _lost_replies(slack, channels, incident)
        problems["duplicates"] += _repeated_replies(slack, channels, incident)
    return problems


def _replies(slack: SandboxClient, channels: list[JsonDict], incident: StormIncident) -> list[str]:
    prefix = f"inc-{incident.incident_id}-"
    channel = next((c for c in channels if c["name"].startswith(prefix)), None)
    if channel is None:
        return []
    messages = slack.messages(str(channel["id"]))
    return [_shown(m) for m in messages if m.get("bot_id") and not m.get("ephemeral")]


def _lost_replies(
    slack: SandboxClient, channels: list[JsonDict], incident: StormIncident
) -> list[str]:
    replies = _replies(slack, channels, incident)
    return [
        f"incident {incident.number}: no reply to {command!r}"
        for command, reply in incident.commands
        if not any(reply in r for r in replies)
    ]


def _repeated_replies(
    slack: SandboxClient, channels: list[JsonDict], incident: StormIncident
) -> list[str]:
    """Replies unique to one command (summaries, impacts, actions) seen more than once."""
    replies = _replies(slack, channels, incident)
    unique = [(c, r) for c, r in incident.commands if f"Storm {incident.number}." in r]
    return [
        f"incident {incident.number}: {seen} replies to {command!r}"
        for command, reply in unique
        if (seen := sum(reply in r for r in replies)) > 1
    ]


def out_of_order(incidents: list[StormIncident]) -> list[str]:
    """Headlines posted while a more severe one had been waiting (declared well before)."""
    posted = [i for i in incidents if i.headline_at is not None and i.declared_at is not None]
    found = []
    for early in posted:
        for late in posted:
            more_severe = SEVERITY_RANK[late.severity] < SEVERITY_RANK[early.severity]
            waiting = (late.declared_at or 0) + ORDER_SLACK_SECONDS < (early.headline_at or 0)
            if more_severe and waiting and (late.headline_at or 0) > (early.headline_at or 0):
                found.append(
                    f"{early.severity} incident {early.number} went before {late.severity} "
                    f"incident {late.number}, waiting since "
                    f"{(early.headline_at or 0) - (late.declared_at or 0):.1f} s"
                )
    return found


# --- The run ----------------------------------------------------------------------------------


def storm_incidents(options: StormOptions) -> list[StormIncident]:
    """The incidents to declare, in order, their severities shuffled from the mix (seeded)."""
    severities = [SEVERITY_MIX[n % len(SEVERITY_MIX)] for n in range(options.incidents)]
    random.Random(options.seed).shuffle(severities)  # noqa: S311 (a repeatable mix)
    return [
        StormIncident(number=n, title=f"Storm {options.seed}-{n} checkout errors", severity=sev)
        for n, sev in enumerate(severities, start=1)
    ]


def storm(options: StormOptions, workdir: Path) -> StormReport:
    started = time.monotonic()
    say(f"Starting PostgreSQL, Response and the Slack sandbox (rate limits on) in {workdir} ...")
    drill = start(
        Options(
            fault_rate=0.0,
            event_hold_rate=0.0,
            database_url=options.database_url,
            workers=options.workers,
        ),
        workdir,
    )
    try:
        drill.sandbox.post("/sandbox/rate_limits", {"enabled": True})
        db = Database(drill.database_url)
        incidents = storm_incidents(options)
        say(f"Declaring {len(incidents)} incidents over {options.declare_seconds:g} s ...")
        people = Storm(drill, db, options)
        if options.hold:
            _held_storm(drill.sandbox, people, incidents)
        else:
            declaring = threading.Thread(target=people.declare_all, args=(incidents,))
            declaring.start()
            # Commands are typed as headlines appear, while the rest are still being declared.
            time.sleep(1)
            people.command_all(incidents)
            declaring.join()
        say("Waiting until the queue is empty and Slack has nothing left to deliver ...")
        settle(drill, db, options.settle_seconds)
        problems = count(drill.sandbox, incidents)
        physical_limit(incidents)
        post_429s = sum(
            1
            for c in drill.sandbox.calls("chat.postMessage")
            if c["status"] == 429 and c["params"].get("channel") == _central(drill.sandbox)
        )
        return _report(options, incidents, problems, post_429s, started)
    finally:
        drill.stop()


# How long Slack keeps refusing after the last declaration or command: longer than the order
# check's slack, so that every incident counts as waiting when the first headline goes.
HOLD_AFTER_SECONDS = 2.0


def _held_storm(slack: SandboxClient, people: Storm, incidents: list[StormIncident]) -> None:
    slack.fault("chat.postMessage", status=429, retry_after=1)
    people.declare_all(incidents)
    time.sleep(HOLD_AFTER_SECONDS)
    slack.clear_faults()
    for incident in incidents:
        slack.wait_for(
            lambda i=incident: headlines_in(slack.messages("#incidents"), i.title),
            timeout=STEP_SECONDS,
            message=f"the headline of {incident.title}",
        )
    slack.fault("chat.update", status=429, retry_after=1)
    people.command_all(incidents)
    time.sleep(HOLD_AFTER_SECONDS)
    slack.clear_faults()


def _central(slack: SandboxClient) -> str:
    return slack.channel_id("#incidents")


def _report(
    options: StormOptions,
    incidents: list[StormIncident],
    problems: JsonDict,
    post_429s: int,
    started: float,
) -> StormReport:
    submitted = [i.submitted_at for i in incidents if i.submitted_at is not None]
    begin = min(submitted) if submitted else 0.0
    posted = [i for i in incidents if i.headline_at is not None and i.limit_at is not None]
    ratios = [r for i in posted if (r := ratio(i, begin)) is not None]
    last = max(posted, key=lambda i: i.headline_at or 0) if posted else None
    last_limit = max((i.limit_at or 0 for i in posted), default=begin)
    latencies = [i.latency for i in posted if i.latency is not None]
    return StormReport(
        options=asdict(options) | {"database_url": None},
        limits={
            "posts_per_second_per_channel": POSTS_PER_SECOND,
            "post_burst": POST_BURST,
            "chat.update_per_minute": 50,
        },
        incidents=[
            asdict(i)
            | {
                "latency": _round(i.latency),
                "limit_latency": _round(
                    (i.limit_at - i.submitted_at) if i.limit_at and i.submitted_at else None
                ),
                "ratio": _round(ratio(i, begin)),
            }
            for i in incidents
        ],
        declared_in_seconds=round(max(submitted) - begin, 1) if submitted else 0.0,
        last_headline_after_seconds=round((last.headline_at or 0) - begin, 1) if last else 0.0,
        limit_last_headline_after_seconds=round(last_limit - begin, 1),
        ratio_last_headline=round(((last.headline_at or 0) - begin) / max(last_limit - begin, 1), 3)
        if last
        else 0.0,
        ratio_p50=round(statistics.median(ratios), 3) if ratios else 0.0,
        ratio_max=round(max(ratios), 3) if ratios else 0.0,
        latency_p50=round(statistics.median(latencies), 2) if latencies else 0.0,
        latency_max=round(max(latencies), 2) if latencies else 0.0,
        limit_latency_p50=round(
            statistics.median([(i.limit_at or 0) - (i.submitted_at or 0) for i in posted]), 2
        )
        if posted
        else 0.0,
        edits_requested=sum(i.edits_requested for i in incidents),
        updates_sent=sum(i.updates_sent for i in incidents),
        updates_refused=sum(i.updates_refused for i in incidents),
        post_429s=post_429s,
        losses=problems["losses"],
        duplicates=problems["duplicates"],
        out_of_order=out_of_order(incidents),
        not_coalesced=problems["not_coalesced"],
        scenario_errors=[i.error for i in incidents if i.error],
        seconds=round(time.monotonic() - started, 1),
        machine={
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def print_report(report: StormReport) -> None:
    lines = [
        "",
        f"Incident storm: {len(report.incidents)} incidents declared in "
        f"{report.declared_in_seconds:g} s, {report.options['commands']} commands each; "
        f"Slack takes {report.limits['posts_per_second_per_channel']:g} post/s into a channel "
        f"(burst {report.limits['post_burst']})",
        "",
        "  #  severity  submitted→headline  limit   ratio  edits  chat.update (429s)",
    ]
    for incident in sorted(report.incidents, key=lambda i: i["headline_at"] or 1e18):
        lines.append(
            f"  {incident['number']:>2} {incident['severity']:<9} "
            f"{_cell(incident['latency'], 's'):>18} {_cell(incident['limit_latency'], 's'):>6} "
            f"{_cell(incident['ratio'], 'x'):>7} {incident['edits_requested']:>6} "
            f"{incident['updates_sent']:>6} ({incident['updates_refused']})"
        )
    lines += [
        "",
        f"  last headline {report.last_headline_after_seconds:g} s after the first submission; "
        f"the limit allows {report.limit_last_headline_after_seconds:g} s: "
        f"{report.ratio_last_headline:g}x",
        f"  ratio per headline: median {report.ratio_p50:g}x, max {report.ratio_max:g}x; "
        f"submitted→headline median {report.latency_p50:g} s (limit {report.limit_latency_p50:g} "
        f"s), max {report.latency_max:g} s",
        f"  headline edits asked {report.edits_requested}, chat.update calls taken "
        f"{report.updates_sent}, refused {report.updates_refused}; headline posts refused "
        f"{report.post_429s}",
        f"  losses {len(report.losses)}, duplicates {len(report.duplicates)}, out of order "
        f"{len(report.out_of_order)}, not coalesced {len(report.not_coalesced)}, scenario "
        f"errors {len(report.scenario_errors)}; {report.seconds:g} s in all",
    ]
    for title, items in (
        ("Losses", report.losses),
        ("Duplicates", report.duplicates),
        ("Out of order", report.out_of_order),
        ("Not coalesced", report.not_coalesced),
        ("Scenario errors", report.scenario_errors),
    ):
        lines += [f"{title}:", *(f"  - {item}" for item in items)] if items else []
    print("\n".join(lines), flush=True)


def _cell(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:.2f}{unit}"


def save(report: StormReport) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"storm-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(asdict(report) | {"clean": report.clean}, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    summary = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.storm", description=summary)
    parser.add_argument("--incidents", type=int, default=50, help="incidents declared (50)")
    parser.add_argument(
        "--declare-seconds", type=float, default=20.0, help="declared over this long (20)"
    )
    parser.add_argument("--commands", type=int, default=10, help="commands per incident (10)")
    parser.add_argument("--parallel", type=int, default=8, help="incidents typed into at once")
    parser.add_argument("--workers", type=int, default=1, help="job worker processes (1)")
    parser.add_argument("--seed", type=int, default=19, help="random seed of the mix (19)")
    args = parser.parse_args(argv)
    if args.declare_seconds > 60:
        parser.error("the storm declares its incidents within 60 s")
    options = StormOptions(
        incidents=args.incidents,
        declare_seconds=args.declare_seconds,
        commands=args.commands,
        parallel=args.parallel,
        workers=args.workers,
        seed=args.seed,
    )

    return run_and_report(
        lambda workdir: storm(options, workdir),
        what="storm",
        print_report=print_report,
        save=save,
    )


if __name__ == "__main__":
    sys.exit(main())
