"""The fault drill is reproducible: the same seed gives the same fault sequence.

The fault sequence is, for each Web API method, the decision for its 1st, 2nd, 3rd ... call as
the proxy receives them (``FaultPlan.decisions``), and for events, the decision for each first
delivery (``AckPlan.decisions``). Response's web processes and worker call Slack at once from
many threads, so calls to different methods interleave differently from run to run; the sequence
must not depend on that, nor on the process (``PYTHONHASHSEED``)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bench.fault_proxy import FAULT_KINDS, AckPlan, FaultPlan

ROOT = Path(__file__).resolve().parents[2]
METHODS = (
    "chat.postMessage",
    "chat.update",
    "conversations.create",
    "conversations.invite",
    "bookmarks.add",
    "views.open",
)
EVENT = "/slack/event"


def calls_of_threads(threads: int = 4, each: int = 120, seed: int = 0) -> list[list[str]]:
    """What each of ``threads`` threads calls, in its order; several threads call each method."""
    draws = random.Random(seed)
    return [[draws.choice(METHODS) for _ in range(each)] for _ in range(threads)]


def interleaving(calls: list[list[str]], seed: int) -> list[int]:
    """A schedule: which thread makes the next call, each thread's calls kept in its order."""
    turns = [n for n, mine in enumerate(calls) for _ in mine]
    random.Random(seed).shuffle(turns)
    return turns


def feed_in_turns(draw, calls: list[list[str]], schedule: list[int]) -> None:
    """Real threads, each making its calls in order, taking turns as ``schedule`` says."""
    turn = 0
    condition = threading.Condition()

    def work(me: int) -> None:
        nonlocal turn

        def my_turn() -> bool:
            return schedule[turn] == me

        for call in calls[me]:
            with condition:
                condition.wait_for(my_turn)
                draw(call)
                turn += 1
                condition.notify_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert turn == len(schedule), "the threads did not make all their calls"


def feed_at_once(draw, calls: list[list[str]]) -> None:
    """Real threads let go together, interleaved however the interpreter runs them."""
    start = threading.Barrier(len(calls))

    def work(mine: list[str]) -> None:
        start.wait()
        for call in mine:
            draw(call)

    threads = [threading.Thread(target=work, args=(mine,)) for mine in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


def sequence(plan: FaultPlan) -> dict[str, list[tuple[str, int, int] | None]]:
    return {
        method: [(f.kind, f.retry_after, f.status) if f else None for f in made]
        for method, made in sorted(plan.decisions.items())
    }


def fed_in_order(seed: int, calls: list[list[str]], rate: float = 0.3) -> FaultPlan:
    plan = FaultPlan(rate=rate, seed=seed)
    for mine in calls:
        for method in mine:
            plan.draw(method)
    return plan


# --- The Web API faults ---------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_faults_for_the_same_calls():
    calls = calls_of_threads()

    first, second = fed_in_order(7, calls), fed_in_order(7, calls)

    assert sequence(first) == sequence(second)
    assert first.injected == second.injected
    # A sequence worth comparing: faults of every kind among calls that pass.
    kinds = {f.kind for made in first.decisions.values() for f in made if f}
    assert kinds == set(FAULT_KINDS)
    assert 0 < sum(first.injected[k] for k in FAULT_KINDS) < first.calls


@pytest.mark.parametrize("schedule_seed", [1, 2, 3])
def test_the_same_seed_gives_the_same_faults_however_threads_interleave(schedule_seed):
    calls = calls_of_threads()
    reference = fed_in_order(7, calls)

    plan = FaultPlan(rate=0.3, seed=7)
    feed_in_turns(plan.draw, calls, interleaving(calls, schedule_seed))

    assert sequence(plan) == sequence(reference)
    assert plan.injected == reference.injected
    assert plan.calls == reference.calls


def test_the_same_seed_gives_the_same_faults_when_threads_run_freely():
    calls = calls_of_threads(threads=6, each=300)
    reference = fed_in_order(7, calls)

    plan = FaultPlan(rate=0.3, seed=7)
    feed_at_once(plan.draw, calls)

    assert sequence(plan) == sequence(reference)


def test_a_different_seed_gives_different_faults():
    calls = calls_of_threads()

    assert sequence(fed_in_order(7, calls)) != sequence(fed_in_order(8, calls))
    for method in METHODS:
        assert sequence(fed_in_order(7, calls))[method] != sequence(fed_in_order(8, calls))[method]


def test_the_same_seed_gives_the_same_faults_in_another_process():
    """A rerun is another process: the sequence must not come from ``hash()`` of strings."""
    calls = calls_of_threads(threads=1, each=200)
    program = (
        "import json, sys\n"
        "from bench.fault_proxy import FaultPlan\n"
        "plan = FaultPlan(rate=0.3, seed=7)\n"
        "for method in json.loads(sys.argv[1]):\n"
        "    plan.draw(method)\n"
        "print(json.dumps({m: [f and [f.kind, f.retry_after, f.status] for f in made]"
        " for m, made in sorted(plan.decisions.items())}))\n"
    )
    seen = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", program, json.dumps(calls[0])],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        seen.append(json.loads(done.stdout))

    here = {
        m: [list(f) if f else None for f in made]
        for m, made in sequence(fed_in_order(7, calls)).items()
    }
    assert seen[0] == seen[1] == here


def test_the_rate_and_the_details_of_each_fault():
    calls = calls_of_threads(threads=1, each=3000)

    assert fed_in_order(7, calls, rate=0.0).injected == {}
    always = fed_in_order(7, calls, rate=1.0)
    assert all(f is not None for made in always.decisions.values() for f in made)
    share = sum(fed_in_order(7, calls, rate=0.3).injected[k] for k in FAULT_KINDS) / 3000
    assert 0.25 < share < 0.35
    faults = [f for made in always.decisions.values() for f in made if f]
    assert {f.retry_after for f in faults} == {1, 2}
    assert {f.status for f in faults} == {500, 503}
    assert sum(always.injected[f"{k}:chat.postMessage"] for k in FAULT_KINDS) == len(
        always.decisions["chat.postMessage"]
    )


# --- Events held back past 3 s --------------------------------------------------------------------


def deliveries(
    each: int = 150, threads: int = 4, seed: int = 0
) -> list[list[tuple[str, str | None]]]:
    """Per thread, (path, X-Slack-Retry-Num) of what Slack delivers: events, retries, commands."""
    draws = random.Random(seed)
    kinds = [(EVENT, None), (EVENT, None), (EVENT, "1"), ("/slack/command", None)]
    return [[draws.choice(kinds) for _ in range(each)] for _ in range(threads)]


def held(plan: AckPlan, delivered: list[list[tuple[str, str | None]]], schedule=None) -> list[bool]:
    def deliver(one: tuple[str, str | None]) -> None:
        plan.should_hold(*one)

    if schedule is None:
        for mine in delivered:
            for one in mine:
                deliver(one)
    else:
        feed_in_turns(deliver, delivered, schedule)
    return plan.decisions


@pytest.mark.parametrize("schedule_seed", [1, 2])
def test_the_same_seed_holds_back_the_same_events_however_they_interleave(schedule_seed):
    delivered = deliveries()
    reference = held(AckPlan(rate=0.2, seed=7), delivered)

    plan = AckPlan(rate=0.2, seed=7)
    decided = held(plan, delivered, interleaving(delivered, schedule_seed))

    assert decided == reference
    assert plan.held == sum(reference) > 0
    # Only first deliveries of events are decided: retries and commands pass.
    assert len(decided) == sum(one == (EVENT, None) for mine in delivered for one in mine)


def test_a_different_seed_holds_back_other_events():
    delivered = deliveries()

    assert held(AckPlan(rate=0.2, seed=7), delivered) != held(AckPlan(rate=0.2, seed=8), delivered)
