"""The lifecycle of SPEC §14 in the domain: status moves, milestones, roles and drills."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from core import services, signals
from core.lifecycle.statuses import IncidentStatus
from core.models import Incident, Milestone, RoleAssignment, TimelineEvent
from tests.races import Race

pytestmark = pytest.mark.django_db

# SPEC §14's moves, written out again here (not read from the code) so a change to the table in
# core.lifecycle.statuses has to be a change to this test too.
SPEC_MOVES = {
    "triage": {"investigating", "declined", "merged"},
    "investigating": {"fixing", "monitoring", "resolved", "merged"},
    "fixing": {"investigating", "monitoring", "resolved", "merged"},
    "monitoring": {"investigating", "fixing", "resolved", "merged"},
    "resolved": {"investigating"},
    "declined": set(),
    "merged": set(),
    "reported": set(),
}


def person(name: str):
    return services.external_user_upsert(external_id=f"U0{name.upper()}", display_name=name)


def incident_in(status: str) -> Incident:
    """An incident brought to ``status`` through allowed moves only."""
    if status == "reported":
        return services.incident_declare(title="Over already", reporter=None, report_only=True)
    incident = services.incident_declare(title="Slow", reporter=None, triage=status == "triage")
    path = {
        "investigating": [],
        "triage": [],
        "fixing": ["fixing"],
        "monitoring": ["monitoring"],
        "resolved": ["resolved"],
        "declined": None,
        "merged": None,
    }[status]
    if status == "declined":
        incident = services.incident_declare(title="Not one", reporter=None, triage=True)
        services.incident_status_set(incident=incident, status="declined")
        return incident
    if status == "merged":
        target = services.incident_declare(title="The real one", reporter=None)
        services.incident_status_set(incident=incident, status="merged", merged_into=target)
        return incident
    for step in path:
        services.incident_status_set(incident=incident, status=step)
    return incident


@pytest.mark.parametrize(
    ("old", "new"),
    [(old, new) for old, new in itertools.product(SPEC_MOVES, SPEC_MOVES) if old != new],
)
def test_every_move_is_allowed_or_refused_as_spec_14_says(old, new):
    incident = incident_in(old)
    target = services.incident_declare(title="Target", reporter=None)
    extra = {
        "reason": "it came back" if (old, new) == ("resolved", "investigating") else "",
        "merged_into": target if new == "merged" else None,
    }

    if new in SPEC_MOVES[old]:
        assert services.incident_status_set(incident=incident, status=new, **extra) == old
        assert Incident.objects.get(pk=incident.pk).status == new
    else:
        before = TimelineEvent.objects.filter(incident=incident).count()
        with pytest.raises(services.TransitionRefused) as refused:
            services.incident_status_set(incident=incident, status=new, **extra)
        assert set(refused.value.allowed) == SPEC_MOVES[old]
        for allowed in SPEC_MOVES[old]:
            assert allowed in refused.value.message
        assert Incident.objects.get(pk=incident.pk).status == old
        assert TimelineEvent.objects.filter(incident=incident).count() == before


def test_an_unknown_status_is_refused_naming_the_statuses():
    incident = incident_in("investigating")

    with pytest.raises(services.TransitionRefused) as refused:
        services.incident_status_set(incident=incident, status="exploded")

    assert "monitoring" in refused.value.message and "triage" in refused.value.message


def test_reopening_needs_a_reason_clears_the_end_and_keeps_it_on_the_timeline():
    incident = incident_in("resolved")
    ended = Incident.objects.get(pk=incident.pk).end_time

    with pytest.raises(services.TransitionRefused, match="reason"):
        services.incident_status_set(incident=incident, status="investigating")
    services.incident_status_set(
        incident=incident, status="investigating", reason="errors are back"
    )

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.status, stored.end_time) == ("investigating", None)
    assert "resolved" not in services.milestone_times(stored)
    entry = TimelineEvent.objects.filter(incident=incident, metadata__field="status").last()
    assert entry.text == "Reopened (investigating): errors are back"
    assert entry.metadata["previous_end_time"] == ended.isoformat()


def test_monitoring_sets_mitigated_once_and_resolving_sets_the_end():
    incident = incident_in("investigating")
    services.incident_status_set(incident=incident, status="monitoring")
    mitigated = services.milestone_times(incident)["mitigated"]
    services.incident_status_set(incident=incident, status="fixing")
    services.incident_status_set(incident=incident, status="monitoring")
    services.incident_status_set(incident=incident, status="resolved")

    stored = Incident.objects.get(pk=incident.pk)
    times = services.milestone_times(stored)
    assert times["mitigated"] == mitigated
    assert times["resolved"] == stored.end_time
    assert not stored.is_live


def test_resolving_sends_closed_after_updated():
    incident = incident_in("fixing")
    seen = []

    def on_updated(sender, changes, **kwargs):
        seen.append(("updated", changes))

    def on_closed(sender, **kwargs):
        seen.append(("closed", None))

    signals.incident_updated.connect(on_updated)
    signals.incident_closed.connect(on_closed)
    try:
        services.incident_close(incident=incident)
    finally:
        signals.incident_updated.disconnect(on_updated)
        signals.incident_closed.disconnect(on_closed)

    assert seen == [("updated", {"status": ("fixing", "resolved")}), ("closed", None)]


def test_a_merge_names_its_target_on_both_timelines():
    incident = incident_in("investigating")
    target = services.incident_declare(title="Card payments down", reporter=None)

    with pytest.raises(services.TransitionRefused, match="which incident"):
        services.incident_status_set(incident=incident, status="merged")
    with pytest.raises(services.TransitionRefused, match="itself"):
        services.incident_status_set(incident=incident, status="merged", merged_into=incident)
    services.incident_status_set(incident=incident, status="merged", merged_into=target)

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.status, stored.merged_into_id) == ("merged", target.pk)
    assert stored.end_time is not None
    assert TimelineEvent.objects.get(incident=incident, metadata__field="status").text == (
        f"Merged into incident {target.pk}: Card payments down"
    )
    assert TimelineEvent.objects.get(incident=target, metadata__field="merged_from").text == (
        f"Incident {incident.pk} (Slow) was merged into this one"
    )


def test_the_first_change_by_a_person_acknowledges_the_incident():
    incident = incident_in("investigating")
    services.incident_status_set(incident=incident, status="fixing")  # by Response itself
    assert "acknowledged" not in services.milestone_times(incident)

    alice = person("alice")
    services.incident_status_set(incident=incident, status="investigating", actor=alice)
    first = Milestone.objects.get(incident=incident, kind="acknowledged")
    services.role_assign(incident=incident, role="lead", holder=person("bob"), actor=alice)

    assert Milestone.objects.get(incident=incident, kind="acknowledged") == first
    assert first.set_by == alice


def test_a_lead_change_by_a_person_acknowledges_too():
    incident = incident_in("triage")
    services.role_assign(incident=incident, role="lead", holder=person("bob"), actor=person("eve"))

    assert "acknowledged" in services.milestone_times(incident)


def test_the_lead_named_at_declaration_holds_the_lead_role():
    alice = person("alice")
    incident = services.incident_declare(title="Slow", reporter=alice, lead=alice)

    stored = Incident.objects.prefetch_related("role_assignments__role").get(pk=incident.pk)
    assert stored.lead == alice
    assert [held.role.name for held in stored.roles_held] == ["lead"]


# --- Milestones -------------------------------------------------------------------------------


def test_a_backdated_start_moves_the_incident_start_and_lands_on_the_timeline():
    incident = incident_in("investigating")
    alice = person("alice")
    earlier = incident.report_time - dt.timedelta(hours=2)

    services.milestone_set(incident=incident, kind="started", time=earlier, actor=alice)

    stored = Incident.objects.get(pk=incident.pk)
    assert stored.start_time == earlier
    entry = TimelineEvent.objects.get(incident=incident, metadata__field="milestone")
    assert entry.author == alice
    assert entry.metadata["milestone"] == "started"
    assert entry.text.startswith("Started moved from ")


@pytest.mark.parametrize(
    ("kind", "hours_ago", "names"),
    [
        ("detected", 4, ("started", "detected")),
        ("detected", 0.5, ("detected", "declared")),
        ("mitigated", 4, ("started", "mitigated")),
        ("acknowledged", 2, ("declared", "acknowledged")),
    ],
)
def test_a_milestone_out_of_order_is_refused_naming_both(kind, hours_ago, names):
    incident = incident_in("investigating")
    now = timezone.now()
    services.milestone_set(incident=incident, kind="started", time=now - dt.timedelta(hours=3))
    services.milestone_set(incident=incident, kind="declared", time=now - dt.timedelta(hours=1))
    before = TimelineEvent.objects.filter(incident=incident).count()

    with pytest.raises(services.MilestoneRefused) as refused:
        services.milestone_set(
            incident=incident, kind=kind, time=now - dt.timedelta(hours=hours_ago)
        )

    message = refused.value.message.lower()
    assert all(name in message for name in names), message
    assert kind not in services.milestone_times(incident)
    assert TimelineEvent.objects.filter(incident=incident).count() == before


def test_a_milestone_in_the_future_or_unknown_is_refused():
    incident = incident_in("investigating")

    with pytest.raises(services.MilestoneRefused, match="future"):
        services.milestone_set(
            incident=incident, kind="detected", time=timezone.now() + dt.timedelta(hours=1)
        )
    with pytest.raises(services.MilestoneRefused, match="Milestones: started"):
        services.milestone_set(incident=incident, kind="noticed", time=timezone.now())


def test_resolved_is_set_by_resolving_then_can_be_moved():
    incident = incident_in("monitoring")
    with pytest.raises(services.MilestoneRefused, match="status resolved"):
        services.milestone_set(incident=incident, kind="resolved", time=timezone.now())

    services.incident_close(incident=incident)
    moved = timezone.now() - dt.timedelta(seconds=1)
    mitigated = services.milestone_times(incident)["mitigated"]
    moved = max(moved, mitigated)
    services.milestone_set(incident=incident, kind="resolved", time=moved)

    assert Incident.objects.get(pk=incident.pk).end_time == moved


# --- Roles ------------------------------------------------------------------------------------


def test_an_unknown_role_is_refused_naming_the_roles():
    incident = incident_in("investigating")

    with pytest.raises(services.UnknownRole) as refused:
        services.role_assign(incident=incident, role="captain", holder=person("bob"))

    assert "lead, comms, scribe" in refused.value.message


def test_a_role_has_one_holder_and_each_change_is_history():
    incident = incident_in("investigating")
    alice, bob = person("alice"), person("bob")

    services.role_assign(incident=incident, role="comms", holder=alice, actor=bob)
    change = services.role_assign(incident=incident, role="COMMS", holder=bob, actor=bob)
    assert services.role_assign(incident=incident, role="comms", holder=bob) is None

    assert (change.old, change.new) == (alice, bob)
    assert RoleAssignment.objects.get(incident=incident).holder == bob
    texts = list(
        TimelineEvent.objects.filter(incident=incident, metadata__field="comms").values_list(
            "text", flat=True
        )
    )
    assert texts == [
        "Communications lead changed from (none) to @alice",
        "Communications lead changed from @alice to @bob",
    ]


@pytest.mark.django_db(transaction=True)
def test_two_people_setting_the_same_role_at_once_leave_one_holder_and_both_on_the_timeline():
    incident = services.incident_declare(title="Slow", reporter=None)
    alice, bob = person("alice"), person("bob")

    race = Race(
        lambda: services.role_assign(incident=incident, role="scribe", holder=alice, actor=alice),
        lambda: services.role_assign(incident=incident, role="scribe", holder=bob, actor=bob),
    )
    race.start().join()

    assert race.errors == []
    held = RoleAssignment.objects.filter(incident=incident, role__name="scribe")
    assert held.count() == 1
    entries = list(
        TimelineEvent.objects.filter(incident=incident, metadata__field="scribe").order_by(
            "time", "id"
        )
    )
    assert len(entries) == 2
    # The second change starts from the first one's holder: applied in turn, never both from none.
    assert entries[1].metadata["old"] == entries[0].metadata["new"]
    assert entries[1].metadata["new"]["id"] == held.get().holder.external_id


# --- Drills -----------------------------------------------------------------------------------


def test_a_drill_is_flagged_at_declaration():
    incident = services.incident_declare(title="Game day", reporter=None, drill=True)

    assert Incident.objects.get(pk=incident.pk).drill
    assert incident.status == IncidentStatus.INVESTIGATING
