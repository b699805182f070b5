"""Workflow configuration: encrypted at rest, write-only in the admin, a wrong key detected."""

from __future__ import annotations

import cryptography.fernet
import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.urls import reverse
from encrypted_model_fields import fields as encrypted_fields

from response.env import derive_fernet_key
from slack.workflows import config
from slack.workflows.crypto import UnreadableSecret
from slack.workflows.keycheck import encryption_key_problem
from slack.workflows.models import Workflow

SECRET = "sp-api-key-0123456789abcdef"

pytestmark = pytest.mark.django_db


@pytest.fixture
def statuspage():
    config.workflow_rows_ensure()
    workflow = Workflow.objects.get(name="statuspage")
    config.workflow_configure(
        workflow=workflow, enabled=True, values={"api_key": SECRET, "page_id": "pg123"}
    )
    return workflow


@pytest.fixture
def another_key(monkeypatch):
    """The process now runs with a different ENCRYPTED_FIELD_KEY than the data was saved with."""

    def switch():
        other = cryptography.fernet.Fernet(derive_fernet_key("a different passphrase"))
        monkeypatch.setattr(encrypted_fields, "CRYPTER", cryptography.fernet.MultiFernet([other]))

    return switch


def test_parameters_are_encrypted_at_rest(statuspage):
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM slack_workflowparameter WHERE name = 'api_key'")
        (stored,) = cursor.fetchone()

    assert SECRET not in stored
    assert config.workflow_config("statuspage").parameters["api_key"] == SECRET


def test_a_change_is_read_fresh_without_a_restart(statuspage):
    assert config.workflow_config("statuspage").enabled
    Workflow.objects.filter(pk=statuspage.pk).update(enabled=False)

    assert not config.workflow_config("statuspage").enabled
    assert not config.workflow_enabled("statuspage")


def test_the_admin_never_renders_a_stored_secret(admin_client, statuspage):
    url = reverse("admin:slack_workflow_change", args=[statuspage.pk])

    page = admin_client.get(url).content.decode()

    assert SECRET not in page
    assert 'name="api_key"' in page
    assert "stored; leave blank to keep it" in page
    assert 'value="pg123"' in page  # ordinary parameters are shown


def test_a_blank_secret_in_the_admin_keeps_the_stored_one(admin_client, statuspage):
    url = reverse("admin:slack_workflow_change", args=[statuspage.pk])

    response = admin_client.post(url, {"enabled": "on", "api_key": "", "page_id": "pg456"})

    assert response.status_code == 302
    stored = config.workflow_config("statuspage")
    assert stored.parameters == {"api_key": SECRET, "page_id": "pg456"}


def test_a_new_secret_in_the_admin_replaces_the_stored_one(admin_client, statuspage):
    url = reverse("admin:slack_workflow_change", args=[statuspage.pk])

    admin_client.post(url, {"api_key": "new-key", "page_id": "pg123"})

    stored = config.workflow_config("statuspage")
    assert (stored.enabled, stored.parameters["api_key"]) == (False, "new-key")


def test_the_admin_lists_every_known_workflow(admin_client):
    page = admin_client.get(reverse("admin:slack_workflow_changelist")).content.decode()

    assert "statuspage" in page and "pagerduty" in page


def test_a_wrong_key_is_refused_not_read_as_gibberish(statuspage, another_key):
    assert encryption_key_problem() is None  # the canary is stored with the right key
    another_key()

    with pytest.raises(UnreadableSecret, match="ENCRYPTED_FIELD_KEY is not the key"):
        config.workflow_config("statuspage")
    assert "ENCRYPTED_FIELD_KEY is not the key" in encryption_key_problem()


def test_a_wrong_key_stops_startup(statuspage, another_key):
    encryption_key_problem()
    another_key()

    with pytest.raises(SystemCheckError, match=r"response\.E001"):
        call_command("check", databases=["default"])


def test_a_wrong_key_is_reported_in_the_admin(admin_client, statuspage, another_key):
    encryption_key_problem()
    another_key()

    page = admin_client.get(
        reverse("admin:slack_workflow_change", args=[statuspage.pk])
    ).content.decode()

    assert "ENCRYPTED_FIELD_KEY is not the key the stored secrets were encrypted with" in page


@pytest.fixture
def workflow_rows():
    config.workflow_rows_ensure()
    return {w.name: w for w in Workflow.objects.all()}


def _change(admin_client, workflow: Workflow, data: dict[str, str]):
    return admin_client.post(reverse("admin:slack_workflow_change", args=[workflow.pk]), data)


def test_enabling_statuspage_without_its_keys_is_refused_naming_them(admin_client, workflow_rows):
    response = _change(admin_client, workflow_rows["statuspage"], {"enabled": "on"})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"api_key", "page_id"}
    page = response.content.decode()
    assert "API key is required to enable Statuspage." in page
    assert "Page id is required to enable Statuspage." in page
    assert not config.workflow_config("statuspage").enabled


def test_enabling_statuspage_without_a_page_id_names_only_the_page_id(admin_client, workflow_rows):
    response = _change(
        admin_client, workflow_rows["statuspage"], {"enabled": "on", "api_key": SECRET}
    )

    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"page_id"}
    stored = config.workflow_config("statuspage")
    assert (stored.enabled, stored.parameters) == (False, {})


def test_enabling_statuspage_with_its_keys_is_saved(admin_client, workflow_rows):
    response = _change(
        admin_client,
        workflow_rows["statuspage"],
        {"enabled": "on", "api_key": SECRET, "page_id": "pg123"},
    )

    assert response.status_code == 302
    stored = config.workflow_config("statuspage")
    assert (stored.enabled, stored.parameters) == (True, {"api_key": SECRET, "page_id": "pg123"})


def test_a_stored_secret_counts_when_enabling(admin_client, workflow_rows):
    workflow = workflow_rows["statuspage"]
    config.workflow_configure(workflow=workflow, enabled=False, values={"api_key": SECRET})

    response = _change(admin_client, workflow, {"enabled": "on", "api_key": "", "page_id": "pg1"})

    assert response.status_code == 302
    assert config.workflow_config("statuspage").enabled


def test_enabling_pagerduty_without_a_routing_key_is_refused(admin_client, workflow_rows):
    response = _change(admin_client, workflow_rows["pagerduty"], {"enabled": "on"})

    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"routing_key"}
    assert "Default routing key is required to enable PagerDuty." in response.content.decode()
    assert not config.workflow_config("pagerduty").enabled


def test_enabling_pagerduty_with_a_routing_key_is_saved(admin_client, workflow_rows):
    response = _change(
        admin_client, workflow_rows["pagerduty"], {"enabled": "on", "routing_key": "R0UTING"}
    )

    assert response.status_code == 302
    stored = config.workflow_config("pagerduty")
    assert (stored.enabled, stored.parameters) == (True, {"routing_key": "R0UTING"})


def test_disabling_is_allowed_without_any_keys(admin_client, workflow_rows):
    workflow = workflow_rows["statuspage"]
    workflow.enabled = True  # enabled before this check existed, with nothing configured
    workflow.save()

    response = _change(admin_client, workflow, {})

    assert response.status_code == 302
    assert not config.workflow_config("statuspage").enabled
