"""Nothing is deleted through the REST API under /core/: a record stays a record.

The endpoints are discovered from the OpenAPI schema, so an endpoint added later is checked
without touching this file (and the pinned list below says it was noticed). Each is asked, as a
script would ask it (Basic auth), to delete a row it lists: the answer is 405 and the row is
still there, unchanged.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from core import services

PASSWORD = "correct horse battery staple"

# Every detail endpoint the API has today: collection path -> the path parameter naming a row.
PINNED = {
    "/core/incidents/": "id",
    "/core/actions/": "id",
    "/core/timeline/": "id",
    "/core/users/": "external_id",
    "/core/roles/": "name",
    "/core/audit/": "id",
}

DETAIL_PATH = re.compile(r"^(?P<collection>/core/[^{}]+/)\{(?P<parameter>[^{}/]+)\}/$")


def _schema_paths() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))["paths"]


def _detail_endpoints() -> dict[str, str]:
    """Collection path -> path parameter, for every ``/core/<collection>/{<parameter>}/``."""
    found = {}
    for path in _schema_paths():
        if match := DETAIL_PATH.match(path):
            found[match["collection"]] = match["parameter"]
    return found


DISCOVERED = _detail_endpoints()


def test_the_discovered_endpoints_are_the_pinned_ones():
    assert DISCOVERED == PINNED


def test_the_schema_offers_no_delete():
    offered = {path: sorted(item) for path, item in _schema_paths().items() if "delete" in item}
    assert offered == {}


@pytest.fixture
def script(db) -> Client:
    """A client authenticating as scripts do: HTTP Basic, no session, no CSRF token."""
    get_user_model().objects.create_user(username="script", password=PASSWORD)
    token = base64.b64encode(f"script:{PASSWORD}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {token}")


@pytest.fixture
def one_of_everything(db) -> None:
    """A row for every endpoint to list. A new endpoint's row belongs here too."""
    alice = services.external_user_upsert(external_id="U0ALICE", display_name="alice")
    incident = services.incident_declare(title="Payments are failing", reporter=alice)
    services.action_log(incident=incident, details="Add an alert on card failures")
    services.timeline_note_add(incident=incident, text="Rolled back the deploy", author=alice)


@pytest.mark.parametrize(("collection", "parameter"), sorted(DISCOVERED.items()))
def test_a_delete_is_refused_and_the_row_stays(script, one_of_everything, collection, parameter):
    listed = script.get(collection)
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert rows, f"nothing listed at {collection}: add a row for it to one_of_everything"
    detail = f"{collection}{rows[0][parameter]}/"
    before = script.get(detail)
    assert before.status_code == 200

    response = script.delete(detail)

    assert response.status_code == 405, (detail, response.status_code, response.content)
    after = script.get(detail)
    assert after.status_code == 200
    assert after.json() == before.json()
    assert len(script.get(collection).json()["results"]) == len(rows)
