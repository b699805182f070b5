"""ui.markup against the shared table of mrkdwn cases (tests/fixtures/mrkdwn_cases.json).

The sandbox page's mrkdwn.js is held to the same table in tests/sandbox/test_mrkdwn_js.py, so the
incident pages and the sandbox read Slack text the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ui.markup import SlackMarkup

CASES_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "mrkdwn_cases.json"
TABLE: dict[str, Any] = json.loads(CASES_FILE.read_text(encoding="utf-8"))
# nh3 adds this to every link; the table leaves it out to stay readable.
LINK_REL = ' rel="noopener noreferrer"'


def python_cases() -> list[Any]:
    return [
        pytest.param(case, id=case["name"])
        for case in TABLE["cases"]
        if case.get("only", "python") == "python"
    ]


@pytest.fixture(scope="module")
def markup() -> SlackMarkup:
    return SlackMarkup(users=TABLE["users"], channels=TABLE["channels"])


@pytest.mark.parametrize("case", python_cases())
def test_mrkdwn_case(markup: SlackMarkup, case: dict[str, Any]) -> None:
    html = markup.html(case["mrkdwn"])
    assert html.count(LINK_REL) == html.count("<a ")
    assert html.replace(LINK_REL, "") == case["html"]


def test_every_case_is_named_once() -> None:
    names = [case["name"] for case in TABLE["cases"]]
    assert len(names) == len(set(names))
    assert {case.get("only") for case in TABLE["cases"]} <= {None, "python", "js"}
