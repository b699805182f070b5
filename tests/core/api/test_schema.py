"""The OpenAPI schema is valid, and requests generated from it never make the API fail (no 500),
and every answer matches what the schema promises."""

from __future__ import annotations

import base64
import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.checks import schema_check
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from core import services
from core.models import TimelineEventKind
from tests.ui import builders


def _schema() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


def test_the_schema_is_valid_openapi():
    validate_schema(_schema())


def test_every_field_of_the_schema_has_a_type():
    """drf-spectacular's warnings (a field it cannot type, say) fail ``check --deploy`` in CI."""
    assert [message.msg for message in schema_check(None)] == []


@pytest.mark.django_db
def test_the_schema_is_served_to_logged_in_users(client):
    client.force_login(builders.login_user())
    response = client.get("/core/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/core/incidents/",
        "/core/incidents/{id}/",
        "/core/incidents/{id}/close/",
        "/core/actions/",
        "/core/actions/{id}/",
        "/core/timeline/",
        "/core/timeline/{id}/",
        "/core/users/",
        "/core/users/{external_id}/",
        "/core/incidents/{id}/status/",
        "/core/incidents/{id}/roles/{role}/",
        "/core/incidents/{id}/milestones/{kind}/",
        "/core/roles/",
        "/core/roles/{name}/",
    } <= set(paths)
    assert "post" not in paths["/core/incidents/"]
    assert "delete" not in paths["/core/incidents/{id}/"]


def _body(schema: dict, content: dict) -> dict:
    """The schema of a JSON body, its ``$ref`` followed."""
    ref = content["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_the_schema_describes_the_lifecycle():
    schema = _schema()
    paths = schema["paths"]

    incident = schema["components"]["schemas"]["Incident"]["properties"]
    assert {"status", "drill", "merged_into", "roles", "milestones", "lead"} <= set(incident)
    assert incident["status"]["readOnly"] is True
    assert incident["report_only"]["readOnly"] is True

    status = paths["/core/incidents/{id}/status/"]["post"]
    request = _body(schema, status["requestBody"]["content"])
    assert request["required"] == ["status"]
    assert {"status", "reason", "merged_into"} <= set(request["properties"])
    refused = _body(schema, status["responses"]["409"]["content"])
    assert set(refused["properties"]) == {"detail", "allowed"}
    assert "400" in status["responses"]

    role = paths["/core/incidents/{id}/roles/{role}/"]["put"]
    assert {p["name"] for p in role["parameters"]} == {"id", "role"}
    assert "holder_external_id" in _body(schema, role["requestBody"]["content"])["properties"]
    assert {"200", "400", "404"} <= set(role["responses"])

    milestone = paths["/core/incidents/{id}/milestones/{kind}/"]["put"]
    kind = next(p for p in milestone["parameters"] if p["name"] == "kind")
    assert set(kind["schema"]["enum"]) == {
        "started",
        "detected",
        "declared",
        "acknowledged",
        "mitigated",
        "resolved",
    }
    time = _body(schema, milestone["requestBody"]["content"])["properties"]["time"]
    assert time["format"] == "date-time"
    assert {"200", "400", "404"} <= set(milestone["responses"])

    assert "get" in paths["/core/roles/"]


@pytest.mark.django_db
def test_the_docs_use_only_local_files(client):
    client.force_login(builders.login_user())
    html = client.get("/core/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "https://" not in html
    assert "http://" not in html
    script = client.get("/core/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


class _App:
    """Django's WSGI handler, keeping the test's database connection (and transaction) open
    across requests, as Django's own test client does."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


APP = _App()
schema = schemathesis.openapi.from_dict(_schema())


@pytest.fixture
def existing():
    """Objects the generated requests can reach: path ids are mapped onto these."""
    login = builders.login_user("fuzzer")
    alice = builders.slack_user("U0ALICE", "alice")
    builders.slack_user("U0BOB", "bob")
    incidents = [
        builders.incident("live", reporter=alice, lead=alice, summary="<@U0ALICE>"),
        builders.incident("closed", reporter=alice, closed=True),
        builders.incident("report", reporter=alice, report_only=True),
    ]
    actions = [services.action_log(incident=i, details="follow up") for i in incidents]
    notes = [services.timeline_note_add(incident=i, text="note", author=alice) for i in incidents]
    pin = incidents[0].timeline_events.create(kind=TimelineEventKind.PINNED_MESSAGE, text="pin")
    token = base64.b64encode(f"fuzzer:{builders.PASSWORD}".encode()).decode()
    return {
        "auth": {"Authorization": f"Basic {token}"},
        "/core/incidents/": [i.pk for i in incidents],
        "/core/actions/": [a.pk for a in actions],
        "/core/timeline/": [n.pk for n in notes] + [pin.pk],
        "/core/users/": ["U0ALICE", "U0BOB"],
        "/core/roles/": ["lead", "comms"],
        "login": login,
    }


# Path parameters named after what they hold rather than the collection they sit under.
NAMED_PARAMETERS = {"role": ["lead", "comms", "scribe"]}


def _aim_at_existing(case, existing) -> None:
    """Half the generated ids are replaced by real ones, so updates reach real rows."""
    params = case.path_parameters or {}
    for prefix, choices in existing.items():
        if not case.path.startswith(prefix) or prefix == "auth":
            continue
        for name, value in list(params.items()):
            pick = NAMED_PARAMETERS.get(name, choices)
            if isinstance(value, int) and value % 2 == 0:
                params[name] = pick[(value // 2) % len(pick)]
            elif isinstance(value, str) and len(value) % 2 == 0:
                params[name] = pick[len(value) % len(pick)]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_never_fail(case, existing):
    _aim_at_existing(case, existing)
    response = case.call(app=APP, headers=existing["auth"])
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
