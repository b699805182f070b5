"""LOG_FORMAT=json: one JSON object a line, with the request or job id (SPEC §19).

Settings read LOG_FORMAT once, when Django starts, so each format is tried in a fresh process the
way a server starts: the variable set, Django set up, requests through the test client.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from response.log_context import LogContextFilter
from response.request_id import REQUEST_ID_HEADER
from slack.delivery.jobs import job

ROOT = Path(__file__).resolve().parent.parent

# Nothing listens on the discard port: /healthz logs that the database did not answer, from inside
# the view; /no-such-page is logged by Django after the middleware has finished.
SCRIPT = """
import logging, sys
import django
django.setup()
from django.test import Client
from response.log_context import log_context

client = Client()
failing = client.get("/healthz", headers={"X-Request-ID": "given-id-123"})
missing = client.get("/no-such-page")
with log_context(job_id=42, incident_id=7):
    logging.getLogger("tests.job").info("inside the job")
logging.getLogger("tests.job").info("after the job")
print(failing.status_code, failing["X-Request-ID"], missing["X-Request-ID"])
"""


def run_django(**environment: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "LOG_FORMAT"}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/nothing",
        LOG_LEVEL="INFO",
        **environment,
    )
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def json_run() -> tuple[list[str], list[dict[str, Any]]]:
    """(what the script printed, the log lines parsed) with LOG_FORMAT=json."""
    result = run_django(LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines, "nothing was logged"
    return result.stdout.split(), [json.loads(line) for line in lines]


def lines_from(records: list[dict[str, Any]], logger: str) -> list[dict[str, Any]]:
    return [record for record in records if record["logger"] == logger]


def test_every_line_is_one_json_object_with_the_basic_fields(json_run):
    _, records = json_run
    for record in records:
        assert {"time", "level", "logger", "message"} <= record.keys()
    (health,) = lines_from(records, "core.views")
    assert health["level"] == "ERROR"
    assert health["message"] == "health check: the database did not answer"
    assert "Traceback" in health["exc_info"]


def test_a_line_logged_during_a_request_carries_its_given_id(json_run):
    printed, records = json_run
    status, answered_id, _ = printed
    assert status == "503"
    assert answered_id == "given-id-123"
    (health,) = lines_from(records, "core.views")
    assert health["request_id"] == answered_id


def test_django_s_own_request_log_carries_the_id_it_answered_with(json_run):
    printed, records = json_run
    made_up_id = printed[2]
    (not_found,) = [r for r in lines_from(records, "django.request") if "Not Found" in r["message"]]
    assert not_found["request_id"] == made_up_id
    assert "request" not in not_found  # the request object itself is no field


def test_a_job_context_block_adds_its_ids_to_the_lines_inside_it(json_run):
    _, records = json_run
    inside, after = lines_from(records, "tests.job")
    assert (inside["message"], inside["job_id"], inside["incident_id"]) == ("inside the job", 42, 7)
    assert "job_id" not in after
    assert "incident_id" not in after
    assert "request_id" not in inside


def test_the_default_format_is_readable_text_not_json():
    result = run_django()
    assert result.returncode == 0, result.stderr
    (health,) = [line for line in result.stderr.splitlines() if " core.views " in line]
    assert " ERROR core.views health check: the database did not answer" in health
    with pytest.raises(json.JSONDecodeError):
        json.loads(health)


def test_an_unknown_format_stops_startup_naming_the_variable():
    result = run_django(LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be one of text, json; got 'xml'" in result.stderr


def test_every_answer_carries_a_request_id():
    answer = Client().get("/no-such-page")
    assert len(answer[REQUEST_ID_HEADER]) >= 32
    again = Client().get("/no-such-page")
    assert again[REQUEST_ID_HEADER] != answer[REQUEST_ID_HEADER]


@pytest.mark.parametrize(
    "given", ["3f2b7c1e-8d4a-4a7e-9b1c-2d3e4f5a6b7c", "Root=1-67891233-abcdef012345678912345678"]
)
def test_a_plausible_given_id_is_kept(given):
    answer = Client().get("/no-such-page", headers={REQUEST_ID_HEADER: given})
    assert answer[REQUEST_ID_HEADER] == given


@pytest.mark.parametrize("given", ["", "has spaces in it", 'quote"d', "x" * 129, "ünïcode", "a\tb"])
def test_an_implausible_given_id_is_replaced(given):
    answer = Client().get("/no-such-page", headers={REQUEST_ID_HEADER: given})
    replaced = answer[REQUEST_ID_HEADER]
    assert replaced != given
    assert replaced.isalnum()
    assert len(replaced) == 32


class Recorder(logging.Handler):
    """Keeps the records as the console handler would see them: through the context filter."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(LogContextFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@job("tests.json_logs.log_a_line")
def log_a_line(incident_id: int) -> None:
    logging.getLogger("tests.job").warning("working on incident %s", incident_id)


def test_the_lines_a_job_logs_carry_its_job_id_and_incident_id(jobs):
    recorder = Recorder()
    logger = logging.getLogger("tests.job")
    logger.addHandler(recorder)
    try:
        job_id = log_a_line.defer(incident_id=7)
        jobs()
        logger.warning("outside any job")
    finally:
        logger.removeHandler(recorder)
    inside, outside = recorder.records
    assert (inside.getMessage(), inside.job_id, inside.incident_id) == (
        "working on incident 7",
        job_id,
        7,
    )
    assert not hasattr(outside, "job_id")
