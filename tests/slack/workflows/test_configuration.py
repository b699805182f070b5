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
