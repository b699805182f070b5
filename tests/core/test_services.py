"""core.services: the only writers of the incident domain."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from core import services, signals
from core.exceptions import IncidentAlreadyClosed
from core.models import Incident, IncidentStatus, Severity, TimelineEvent, TimelineEventKind
from core.models.incident import format_duration

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """Signals sent, with the kwargs they carried."""
    log: list[tuple[str, dict]] = []

    def receiver_for(name):
        def receive(sender, signal, **kwargs):
            log.append((name, kwargs))

        return receive

    receivers = {
        "declared": receiver_for("declared"),
        "updated": receiver_for("updated"),
        "closed": receiver_for("closed"),
    }
    signals.incident_declared.connect(receivers["declared"])
    signals.incident_updated.connect(receivers["updated"])
    signals.incident_closed.connect(receivers["closed"])
    yield log
    signals.incident_declared.disconnect(receivers["declared"])
    signals.incident_updated.disconnect(receivers["updated"])
    signals.incident_closed.disconnect(receivers["closed"])


def alice():
    return services.external_user_upsert(external_id="U0ALICE", display_name="alice")


def test_declaring_records_an_investigating_incident_and_announces_it(received):
    incident = services.incident_declare(
        title="  Payments are failing ", reporter=alice(), severity=Severity.CRITICAL
    )

    stored = Incident.objects.get()
    assert stored.title == "Payments are failing"
    assert stored.status == IncidentStatus.INVESTIGATING
    assert stored.start_time == stored.report_time
    assert services.milestone_times(stored) == {
        "started": stored.start_time,
        "declared": stored.report_time,
    }
    assert (stored.severity_text, stored.severity_emoji, stored.status_emoji) == (
        "critical",
        "⛈️",
        "🔥",
    )
    assert received == [("declared", {"incident": incident, "actor": incident.reporter})]


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_a_missing_or_overlong_title_is_refused(title, received):
    with pytest.raises(ValidationError) as error:
        services.incident_declare(title=title, reporter=None)

    assert "title" in error.value.message_dict
    assert Incident.objects.count() == 0
    assert received == []


def test_a_report_only_incident_is_reported_and_over():
    incident = services.incident_declare(
        title="Yesterday's outage", reporter=None, report_only=True
    )

    assert incident.status == IncidentStatus.REPORTED
    assert incident.is_closed


def test_updating_records_each_change_on_the_timeline(received):
    incident = services.incident_declare(title="Slow", reporter=None)
    lead = alice()

    changes = services.incident_update(
        incident=incident, actor=lead, lead=lead, severity=Severity.MINOR, summary="Slow API"
    )

    assert set(changes) == {"lead", "severity", "summary"}
    entries = {e.metadata["field"]: e for e in TimelineEvent.objects.filter(incident=incident)}
    assert entries["lead"].text == "Incident lead changed from (none) to @alice"
    assert entries["lead"].metadata["role"] == "lead"
    assert entries["severity"].text == "Severity changed from (none) to minor"
    assert entries["severity"].metadata == {"field": "severity", "old": None, "new": 3}
    assert all(e.kind == TimelineEventKind.INCIDENT_CHANGE for e in entries.values())
    assert all(e.author == lead for e in entries.values())
    assert received[-1][0] == "updated"
    assert received[-1][1]["changes"]["severity"] == (None, Severity.MINOR)
    assert incident.lead == lead  # the caller's instance is kept in step


def test_an_update_that_changes_nothing_writes_nothing(received):
    incident = services.incident_declare(title="Slow", reporter=None)

    assert services.incident_update(incident=incident, title="Slow ") == {}
    assert TimelineEvent.objects.count() == 0
    assert [name for name, _ in received] == ["declared"]


def test_an_invalid_update_is_refused_and_leaves_the_incident_alone():
    incident = services.incident_declare(title="Slow", reporter=None)

    with pytest.raises(ValidationError):
        services.incident_update(incident=incident, title="x" * 201)

    assert Incident.objects.get().title == "Slow"
    assert TimelineEvent.objects.count() == 0


def test_closing_twice_says_when_it_was_closed(received):
    incident = services.incident_declare(title="Slow", reporter=None)
    services.incident_close(incident=incident)
    closed_at = Incident.objects.get().end_time

    with pytest.raises(IncidentAlreadyClosed) as error:
        services.incident_close(incident=incident)

    assert error.value.closed_at == closed_at
    assert closed_at.isoformat() in error.value.message
    assert [name for name, _ in received] == ["declared", "updated", "closed"]
    assert Incident.objects.get().status == IncidentStatus.RESOLVED


def test_a_receiver_failure_rolls_the_change_back():
    def refuse(sender, **kwargs):
        raise RuntimeError("could not queue the headline")

    signals.incident_declared.connect(refuse)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.incident_declare(title="Slow", reporter=None)
    finally:
        signals.incident_declared.disconnect(refuse)

    assert Incident.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("critical", Severity.CRITICAL),
        ("Critical", Severity.CRITICAL),
        ("1", Severity.CRITICAL),
        ("sev 1", Severity.CRITICAL),
        ("SEV2", Severity.MAJOR),
        (" minor ", Severity.MINOR),
        ("severity 4", Severity.TRIVIAL),
        ("5", None),
        ("bad", None),
        ("", None),
    ],
)
def test_severity_is_read_the_way_people_type_it(text, expected):
    assert Severity.parse(text) == expected


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(42, "42 secs"), (1, "1 sec"), (60, "1 min"), (3600 + 300, "1 hr 5 mins"), (7200, "2 hrs")],
)
def test_durations_read_naturally(seconds, text):
    assert format_duration(dt.timedelta(seconds=seconds)) == text
