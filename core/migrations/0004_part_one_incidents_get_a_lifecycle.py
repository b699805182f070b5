# The lifecycle of SPEC §14. Part-1 incidents carry over: live → investigating, closed →
# resolved, report-only → reported; their started, declared and resolved milestones come from the
# incident's own times; the lead field becomes the lead role (assigned when and by whom the
# timeline says the lead last changed), and the first lead change by a person, if any, is when
# the incident was acknowledged. Going back copies the lead role into the lead field again.


from django.db import migrations

DEFAULT_ROLES = [
    (
        "lead",
        "Incident lead",
        "Lead the response: decide, delegate and keep the incident moving to resolution.",
        10,
    ),
    (
        "comms",
        "Communications lead",
        "Keep everyone outside the channel informed: post clear updates on time.",
        20,
    ),
    (
        "scribe",
        "Scribe",
        "Keep the record: pin what matters and note decisions as they are made.",
        30,
    ),
]


def _status_of(incident) -> str:
    if incident.report_only:
        return "reported"
    return "resolved" if incident.end_time is not None else "investigating"


def _lead_history(TimelineEvent) -> dict[int, list]:
    """Each incident's lead changes in time order: (time, author id, new lead's Slack id)."""
    history: dict[int, list] = {}
    entries = TimelineEvent.objects.filter(kind="incident_change", metadata__field="lead").order_by(
        "time", "id"
    )
    for entry in entries.iterator():
        new = entry.metadata.get("new")
        new_id = new.get("id") if isinstance(new, dict) else None
        history.setdefault(entry.incident_id, []).append((entry.time, entry.author_id, new_id))
    return history


def forwards(apps, schema_editor):
    Incident = apps.get_model("core", "Incident")
    Milestone = apps.get_model("core", "Milestone")
    Role = apps.get_model("core", "Role")
    RoleAssignment = apps.get_model("core", "RoleAssignment")
    TimelineEvent = apps.get_model("core", "TimelineEvent")
    roles = {
        name: Role.objects.get_or_create(
            name=name, defaults={"label": label, "duty": duty, "order": order}
        )[0]
        for name, label, duty, order in DEFAULT_ROLES
    }
    history = _lead_history(TimelineEvent)
    milestones, assignments = [], []
    for incident in Incident.objects.select_related("lead").iterator():
        Incident.objects.filter(pk=incident.pk).update(status=_status_of(incident))
        milestones += [
            Milestone(incident_id=incident.pk, kind="started", time=incident.start_time),
            Milestone(incident_id=incident.pk, kind="declared", time=incident.report_time),
        ]
        if incident.end_time is not None:
            milestones.append(
                Milestone(incident_id=incident.pk, kind="resolved", time=incident.end_time)
            )
        changes = history.get(incident.pk, [])
        by_people = [change for change in changes if change[1] is not None]
        if by_people and by_people[0][0] >= incident.report_time:
            time, author_id, _ = by_people[0]
            milestones.append(
                Milestone(
                    incident_id=incident.pk, kind="acknowledged", time=time, set_by_id=author_id
                )
            )
        if incident.lead_id is not None:
            lead_id = incident.lead.external_id
            last = next((c for c in reversed(changes) if c[2] == lead_id), None)
            assignments.append(
                RoleAssignment(
                    incident_id=incident.pk,
                    role=roles["lead"],
                    holder_id=incident.lead_id,
                    assigned_at=last[0] if last else incident.report_time,
                    assigned_by_id=last[1] if last else incident.reporter_id,
                )
            )
    Milestone.objects.bulk_create(milestones, batch_size=2000)
    RoleAssignment.objects.bulk_create(assignments, batch_size=2000)


def backwards(apps, schema_editor):
    Incident = apps.get_model("core", "Incident")
    RoleAssignment = apps.get_model("core", "RoleAssignment")
    for held in RoleAssignment.objects.filter(role__name="lead").iterator():
        Incident.objects.filter(pk=held.incident_id).update(lead_id=held.holder_id)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_lifecycle_statuses_roles_milestones"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
