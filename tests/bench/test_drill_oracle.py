"""The fault drill's own counting (its oracle, ``bench/faults.py``): given what the sandbox and
the database recorded, it finds every duplicate and every loss, and nothing in a clean record.

``fixtures/clean_two_incidents.json`` was recorded from a clean two-incident drill: what the
count read (the sandbox's channels and messages, the incidents, reminder ledgers and timeline
pins in the database) and what the scripted incidents did. Each test breaks one thing in it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bench.fault_proxy import AckRecord
from bench.faults import (
    CLOSING_NOTICE,
    IncidentRun,
    Records,
    Report,
    _bot_messages_saying,
    count,
    headlines,
    judge,
    read_records,
    slow_answers,
)

FIXTURE = Path(__file__).parent / "fixtures" / "clean_two_incidents.json"
INCIDENTS = "C0INCIDENTS"
LEAD_DM = "D000000134C"
COMMS = "C00000009D2"  # incident 1's comms channel
NO_LEAD = "slack.handlers.reminders.remind_no_lead"
NO_SEVERITY = "slack.handlers.reminders.remind_no_severity"
NO_LEAD_TEXT = ":bust_in_silhouette: This incident has no lead"
NO_SEVERITY_TEXT = ":cloud: This incident has no severity"
COMMANDS = [
    ("lead <@U0BOB>", "<@U0BOB> is now leading this incident."),
    ("severity major", "Severity is now"),
    ("summary Drill 1: card payments fail", "Drill 1: card payments fail"),
    ("impact Drill 1: a third of checkouts", "Drill 1: a third of checkouts"),
    ("action Drill 1: add an alert", "Follow-up logged: Drill 1: add an alert"),
]


def load() -> tuple[Records, list[IncidentRun]]:
    data = json.loads(FIXTURE.read_text())
    runs = [
        IncidentRun(**{**run, "commands": [tuple(c) for c in run["commands"]]})
        for run in data["runs"]
    ]
    found = data["records"]
    records = Records(
        channels=found["channels"],
        messages=found["messages"],
        incidents=set(found["incidents"]),
        reminders={int(k): [(key, n) for key, n in v] for k, v in found["reminders"].items()},
        pins={int(k): v for k, v in found["pins"].items()},
    )
    return records, runs


@pytest.fixture
def record() -> tuple[Records, list[IncidentRun]]:
    return load()


def _text(message: dict[str, Any]) -> str:
    return message["text"] + json.dumps(message["blocks"], ensure_ascii=False)


def bot_posts(records: Records, channel: str, needle: str) -> list[dict[str, Any]]:
    return [m for m in records.messages[channel] if m.get("bot_id") and needle in _text(m)]


def post_again(records: Records, channel: str, needle: str) -> None:
    """The bot's first message saying ``needle`` posted a second time, just after the first."""
    first = bot_posts(records, channel, needle)[0]
    again = {**copy.deepcopy(first), "ts": f"{float(first['ts']) + 0.000001:.6f}"}
    messages = records.messages[channel]
    messages.insert(messages.index(first) + 1, again)


def lose(records: Records, channel: str, needle: str, keep: int = 0) -> None:
    """The bot's messages saying ``needle`` gone, but the first ``keep``."""
    for message in bot_posts(records, channel, needle)[keep:]:
        records.messages[channel].remove(message)


def comms_channel(records: Records, incident: int = 1) -> dict[str, Any]:
    return next(c for c in records.channels if c["name"].startswith(f"inc-{incident}-"))


# --- A clean record -------------------------------------------------------------------------------


def test_a_clean_record_has_no_duplicate_and_no_loss(record):
    assert judge(*record) == ([], [])


def test_messages_that_are_not_the_bots_posts_are_not_counted(record):
    """People's own messages repeat the replies' texts, and ephemeral notes are not posts."""
    records, runs = record
    people_said = [m["text"] for m in records.messages[COMMS] if not m.get("bot_id")]
    assert "<@U0BOT> summary Drill 1: card payments fail" in people_said
    for channel, needle in ((INCIDENTS, "*Drill 5-1 checkout errors*"), (COMMS, CLOSING_NOTICE)):
        shown = copy.deepcopy(bot_posts(records, channel, needle)[0])
        records.messages[channel].append({**shown, "ephemeral": True})

    assert judge(records, runs) == ([], [])


def test_what_an_incident_never_got_to_is_not_expected(record):
    records, runs = record
    first = runs[0]
    first.closed = False
    lose(records, COMMS, CLOSING_NOTICE)
    lose(records, LEAD_DM, "Incident 1, *")
    first.pinned_ts = None
    records.pins.pop(1)

    assert judge(records, runs) == ([], [])

    first.channel_requested = False
    records.channels.remove(comms_channel(records))
    assert judge(records, runs) == ([], [])

    first.incident_id = None  # never declared: nothing of it is expected
    lose(records, INCIDENTS, "*Drill 5-1 checkout errors*")
    assert judge(records, runs) == ([], [])


# --- Each check: a duplicate and a loss -----------------------------------------------------------


def test_an_incident_missing_from_the_database_is_a_loss(record):
    records, runs = record
    records.incidents.discard(1)

    assert judge(records, runs) == ([], ["incident 1: not in the database"])


def test_a_headline_posted_twice(record):
    records, runs = record
    post_again(records, INCIDENTS, "*Drill 5-1 checkout errors*")

    assert judge(records, runs) == (["incident 1 headline: 2 times"], [])


def test_a_missing_headline(record):
    records, runs = record
    lose(records, INCIDENTS, "*Drill 5-2 checkout errors*")

    assert judge(records, runs) == ([], ["incident 2 headline: missing"])


def test_a_comms_channel_created_twice(record):
    records, runs = record
    twin = {**copy.deepcopy(comms_channel(records)), "id": "C0TWIN", "bookmarks": []}
    twin["name"] += "-1"
    records.channels.append(twin)
    records.messages["C0TWIN"] = []

    assert judge(records, runs) == (["incident 1 comms channel: 2 times"], [])


def test_a_missing_comms_channel(record):
    records, runs = record
    records.channels.remove(comms_channel(records, 2))

    assert judge(records, runs) == ([], ["incident 2 comms channel: missing"])


def test_a_bookmark_added_twice(record):
    records, runs = record
    channel = comms_channel(records)
    channel["bookmarks"].append({**channel["bookmarks"][0], "id": "Bk0TWIN"})

    assert judge(records, runs) == (["incident 1 bookmark: 2 times"], [])


def test_a_missing_bookmark(record):
    records, runs = record
    comms_channel(records)["bookmarks"] = []

    assert judge(records, runs) == ([], ["incident 1 bookmark: missing"])


def test_a_welcome_posted_twice(record):
    records, runs = record
    post_again(records, COMMS, "Welcome to the channel of incident")

    assert judge(records, runs) == (["incident 1 welcome: 2 times"], [])


def test_a_missing_welcome(record):
    records, runs = record
    lose(records, COMMS, "Welcome to the channel of incident")

    assert judge(records, runs) == ([], ["incident 1 welcome: missing"])


@pytest.mark.parametrize(("command", "reply"), COMMANDS)
def test_a_reply_posted_twice(record, command, reply):
    records, runs = record
    post_again(records, COMMS, reply)

    assert judge(records, runs) == ([f"incident 1 reply to {command!r}: 2 times"], [])


@pytest.mark.parametrize(("command", "reply"), COMMANDS)
def test_a_missing_reply(record, command, reply):
    records, runs = record
    lose(records, COMMS, reply)

    assert judge(records, runs) == ([], [f"incident 1 reply to {command!r}: missing"])


def test_a_closing_notice_posted_twice(record):
    records, runs = record
    post_again(records, COMMS, CLOSING_NOTICE)

    assert judge(records, runs) == (["incident 1 closing notice: 2 times"], [])


def test_a_missing_closing_notice(record):
    records, runs = record
    lose(records, COMMS, CLOSING_NOTICE)

    assert judge(records, runs) == ([], ["incident 1 closing notice: missing"])


def test_a_closing_dm_sent_twice(record):
    records, runs = record
    post_again(records, LEAD_DM, "Incident 2, *")

    assert judge(records, runs) == (["incident 2 DM to the lead: 2 times"], [])


def test_a_missing_closing_dm(record):
    records, runs = record
    lose(records, LEAD_DM, "Incident 1, *")

    assert judge(records, runs) == ([], ["incident 1 DM to the lead: missing"])


@pytest.mark.parametrize(
    ("key", "text"), [(NO_LEAD, NO_LEAD_TEXT), (NO_SEVERITY, NO_SEVERITY_TEXT)]
)
def test_a_reminder_posted_more_often_than_the_ledger_says(record, key, text):
    records, runs = record
    post_again(records, COMMS, text)

    assert judge(records, runs) == (
        [f"incident 1 reminder {key}: ledger says 2, channel shows 3"],
        [],
    )


@pytest.mark.parametrize(
    ("key", "text"), [(NO_LEAD, NO_LEAD_TEXT), (NO_SEVERITY, NO_SEVERITY_TEXT)]
)
def test_a_reminder_the_ledger_counts_but_the_channel_lacks(record, key, text):
    records, runs = record
    lose(records, COMMS, text, keep=1)

    assert judge(records, runs) == (
        [],
        [f"incident 1 reminder {key}: ledger says 2, channel shows 1"],
    )


def test_reminders_are_known_wherever_their_module_lives(record):
    """The ledger's key is the reminder's dotted path; the slack package may move it."""
    records, runs = record
    moved = "slack.flows.reminders.handlers.remind_no_lead"
    records.reminders[1] = [(moved if k == NO_LEAD else k, n) for k, n in records.reminders[1]]
    assert judge(records, runs) == ([], [])

    post_again(records, COMMS, NO_LEAD_TEXT)
    assert judge(records, runs) == (
        [f"incident 1 reminder {moved}: ledger says 2, channel shows 3"],
        [],
    )


def test_a_pinned_message_on_the_timeline_twice(record):
    records, runs = record
    records.pins[2] = 2

    assert judge(records, runs) == (["incident 2 pinned message on the timeline: 2 times"], [])


def test_a_pinned_message_missing_from_the_timeline(record):
    records, runs = record
    records.pins[1] = 0

    assert judge(records, runs) == ([], ["incident 1 pinned message on the timeline: missing"])


def test_every_finding_is_listed_in_the_order_of_the_incidents(record):
    records, runs = record
    post_again(records, INCIDENTS, "*Drill 5-2 checkout errors*")
    lose(records, COMMS, "Welcome to the channel of incident")
    lose(records, LEAD_DM, "Incident 2, *")
    post_again(records, COMMS, "Severity is now")

    assert judge(records, runs) == (
        ["incident 1 reply to 'severity major': 2 times", "incident 2 headline: 2 times"],
        ["incident 1 welcome: missing", "incident 2 DM to the lead: missing"],
    )


# --- Reading the records: what count() fetches before judging -------------------------------------


class FakeSandbox:
    """The two reads the count makes of the sandbox's control API, answered from a record."""

    def __init__(self, records: Records) -> None:
        self.records = copy.deepcopy(records)

    def channels(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.records.channels)

    def messages(self, channel: str, user: str | None = None) -> list[dict[str, Any]]:
        assert channel in self.records.messages or channel.startswith("#"), channel
        return copy.deepcopy(self.records.messages_in(channel))


class FakeDatabase:
    """The count's three queries, answered from a record; any other query is refused."""

    def __init__(self, records: Records, runs: list[IncidentRun]) -> None:
        self.records = records
        self.pinned = {r.incident_id: r.pinned_ts for r in runs}

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        incident = params[0]
        if "FROM core_incident WHERE id = %s" in sql:
            return [(int(incident in self.records.incidents),)]
        if "FROM slack_notification WHERE incident_id = %s" in sql:
            return list(self.records.reminders.get(incident, []))
        if "FROM core_timelineevent WHERE incident_id = %s" in sql:
            assert params[1] == f"%{self.pinned[incident]}%"
            return [(self.records.pins.get(incident, 0),)]
        raise AssertionError(f"unexpected query: {sql}")

    def value(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None


def test_count_reads_everything_the_judging_needs(record):
    records, runs = record
    sandbox, db = FakeSandbox(records), FakeDatabase(records, runs)

    assert read_records(sandbox, db, runs) == records
    assert count(SimpleNamespace(sandbox=sandbox), db, runs) == ([], [])


def test_count_finds_a_loss_and_a_duplicate_in_what_it_reads(record):
    records, runs = record
    post_again(records, COMMS, CLOSING_NOTICE)
    lose(records, LEAD_DM, "Incident 2, *")
    records.reminders[2] = [(k, 3 if k == NO_SEVERITY else n) for k, n in records.reminders[2]]
    sandbox, db = FakeSandbox(records), FakeDatabase(records, runs)

    assert count(SimpleNamespace(sandbox=sandbox), db, runs) == (
        ["incident 1 closing notice: 2 times"],
        [
            "incident 2 DM to the lead: missing",
            f"incident 2 reminder {NO_SEVERITY}: ledger says 3, channel shows 2",
        ],
    )


def test_what_the_scenario_waits_for_is_found_in_the_sandbox(record):
    records, runs = record
    sandbox = FakeSandbox(records)

    assert [m["ts"] for m in headlines(sandbox, runs[1].title)] == ["1796162626.035801"]
    assert len(_bot_messages_saying(sandbox, COMMS, "Follow-up logged: Drill 1: add an")) == 1
    assert _bot_messages_saying(sandbox, COMMS, "rolled back the deploy") == []  # said by Alice
    post_again(sandbox.records, INCIDENTS, "*Drill 5-2 checkout errors*")
    assert len(headlines(sandbox, runs[1].title)) == 2


# --- Slack's requests answered late or badly ------------------------------------------------------


def answer(status: int = 200, seconds: float = 0.01, path: str = "/slack/event") -> AckRecord:
    return AckRecord(path=path, status=status, seconds=seconds, retry_num=None)


def test_answers_in_time_are_not_problems():
    answers = [answer(seconds=0.005), answer(seconds=2.9), answer(seconds=3.0, path="/slack/x")]

    assert slow_answers(answers, []) == ([], 3000.0)
    assert slow_answers([], []) == ([], 0.0)


def test_an_answer_over_3_seconds():
    answers = [answer(seconds=0.2), answer(seconds=3.2, path="/slack/command")]

    assert slow_answers(answers, []) == (["/slack/command answered 200 after 3200 ms"], 3200.0)


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_answer(status):
    answers = [answer(), answer(status=status, seconds=0.05, path="/slack/interactive")]

    problems, _ = slow_answers(answers, [])

    assert problems == [f"/slack/interactive answered {status} after 50 ms"]


def test_no_answer_at_all():
    problems, _ = slow_answers([answer(status=0, seconds=0.3)], [])

    assert problems == ["/slack/event answered 0 after 300 ms"]


def test_cron_failures_are_problems_too():
    problems, _ = slow_answers([answer()], ["cron answered 502"])

    assert problems == ["cron answered 502"]


# --- The verdict ----------------------------------------------------------------------------------


def report(**findings: list[str]) -> Report:
    fields: dict[str, Any] = {
        "duplicates": [],
        "losses": [],
        "slow_or_failed_answers": [],
        "scenario_errors": [],
    }
    return Report(
        options={},
        incidents_declared=2,
        faults_injected={},
        web_api_calls=0,
        events_held_back=0,
        slack_redeliveries=0,
        job_retries=0,
        user_retries=0,
        worker_kills=0,
        worker_restarts=0,
        connections_terminated=0,
        slowest_answer_ms=0.0,
        seconds=1.0,
        machine={},
        **(fields | findings),
    )


def test_a_report_with_no_finding_is_clean():
    assert report().clean


@pytest.mark.parametrize(
    "finding", ["duplicates", "losses", "slow_or_failed_answers", "scenario_errors"]
)
def test_any_finding_makes_the_report_unclean(finding):
    assert not report(**{finding: ["something"]}).clean


# --- Updates and followers (SPEC §15) -------------------------------------------------------------

UPDATE = "Drill 1: restarted the stuck consumer"
FOLLOWER_DM = "D0CAROLDM"


@pytest.fixture
def followed(record):
    """Incident 1 of the clean record, also followed by Carol and updated once: the prompt and
    the update in the comms channel, the update under the headline, both DMs to Carol."""
    records, runs = record
    run = runs[0]
    headline = bot_posts(records, INCIDENTS, "*Drill 5-1 checkout errors*")[0]
    run.headline_ts, run.follower, run.update_text = headline["ts"], "U0CAROL", UPDATE

    def bot_post(channel: str, text: str, **fields: Any) -> None:
        last = records.messages[channel][-1]["ts"] if records.messages[channel] else "1.0"
        ts = f"{float(last) + 0.001:.6f}"
        message = {"ts": ts, "user": "U0BOT", "bot_id": "B0BOT", "text": text, "blocks": []}
        records.messages[channel].append({**message, **fields})

    bot_post(COMMS, "📣 Share an update on incident 1: the button opens the form.")
    bot_post(COMMS, f"Update on incident 1 (Investigating): {UPDATE}")
    bot_post(INCIDENTS, f"Update on incident 1 (Investigating): {UPDATE}", thread_ts=headline["ts"])
    records.channels.append(
        {"id": FOLLOWER_DM, "name": "U0CAROL", "is_im": True, "members": ["U0CAROL", "U0BOT"]}
    )
    records.messages[FOLLOWER_DM] = []
    bot_post(FOLLOWER_DM, f"Update on incident 1 (Investigating): {UPDATE}")
    bot_post(FOLLOWER_DM, "💧 Incident 1 is resolved: Drill 5-1 checkout errors.")
    return records, runs


def test_an_update_in_its_three_places_and_the_followers_dms_is_clean(followed):
    assert judge(*followed) == ([], [])


@pytest.mark.parametrize(
    ("channel", "needle", "what"),
    [
        (COMMS, UPDATE, "update in the channel"),
        (INCIDENTS, UPDATE, "update under the headline"),
        (FOLLOWER_DM, UPDATE, "update DM to the follower"),
        (FOLLOWER_DM, "Incident 1 is resolved", "resolution DM to the follower"),
        (COMMS, "Share an update on incident 1", "update prompt"),
    ],
)
def test_each_post_of_an_update_twice_or_missing(followed, channel, needle, what):
    records, runs = followed
    post_again(records, channel, needle)
    assert judge(records, runs) == ([f"incident 1 {what}: 2 times"], [])

    lose(records, channel, needle)
    assert judge(records, runs) == ([], [f"incident 1 {what}: missing"])


def test_an_update_reply_outside_the_headlines_thread_is_not_under_it(followed):
    records, runs = followed
    reply = bot_posts(records, INCIDENTS, UPDATE)[0]
    reply["thread_ts"] = None

    assert judge(records, runs) == ([], ["incident 1 update under the headline: missing"])
