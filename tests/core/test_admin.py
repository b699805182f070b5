"""The admin pages load, list, filter and search (an operator's first look at the data)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core import services
from core.models import Action, ExternalUser, Incident, Participation, TimelineEvent
from slack.models import CommsChannel, HeadlinePost, Notification, ProcessedEvent

MODELS = [
    Incident,
    ExternalUser,
    Action,
    TimelineEvent,
    CommsChannel,
    HeadlinePost,
    Participation,
    Notification,
    ProcessedEvent,
]


@pytest.fixture
def data(db):
    lead = services.external_user_upsert(external_id="U0LEAD", display_name="lee")
    incident = services.incident_declare(title="Payments are failing", reporter=lead, lead=lead)
    services.action_create(incident=incident, details="Add an alert", owner=lead)
    services.incident_update(incident=incident, severity=2, actor=lead)
    CommsChannel.objects.create(incident=incident, channel_id="C0COMMS", name="inc-1-payments")
    return incident


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_each_admin_list_loads_with_search_and_filters(admin_client, data, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "payments"}).status_code == 200


def test_an_incident_edited_in_the_admin_goes_through_the_services(admin_client, data):
    url = reverse("admin:core_incident_change", args=[data.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    fields = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    fields.update(title="Card payments are failing", severity="1")
    fields.update({"actions-TOTAL_FORMS": "1", "actions-INITIAL_FORMS": "1"})
    # Roles and milestones are shown read-only: their formsets are posted empty.
    for prefix in ("role_assignments", "milestones"):
        fields.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    action = Action.objects.get()
    fields.update(
        {
            "actions-0-id": str(action.pk),
            "actions-0-incident": str(data.pk),
            "actions-0-details": action.details,
            "actions-0-status": action.status,
            "actions-0-owner": str(action.owner_id),
        }
    )
    for key in ("report_time", "start_time"):
        value = getattr(data, key)
        fields[f"{key}_0"], fields[f"{key}_1"] = (
            value.strftime("%Y-%m-%d"),
            value.strftime("%H:%M:%S"),
        )
        fields.pop(key, None)

    response = admin_client.post(url, fields)

    errors = response.context and [
        f.errors for inline in response.context["inline_admin_formsets"] for f in inline.formset
    ]
    assert response.status_code == 302, errors
    data.refresh_from_db()
    assert (data.title, data.severity) == ("Card payments are failing", 1)
    change = TimelineEvent.objects.get(incident=data, metadata__field="title")
    assert change.text == "Title changed from Payments are failing to Card payments are failing"
