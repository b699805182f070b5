"""A stand-in for Statuspage's Manage API v1, on 127.0.0.1.

It serves one page's components (from ``statuspage_components.json``), creates and updates
incidents as Statuspage does, records every request (method, path, query, headers, JSON body)
and answers scripted replies first: ``reply(status, body)``, or ``stall(seconds)`` to answer too
late.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers import load_fixture

PAGE_ID = "pg0example01"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


# Statuses Statuspage leaves out of an incident's "unresolved" list.
CLOSED = ("resolved", "postmortem", "completed")


class FakeStatuspage:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.components: list[dict] = load_fixture("statuspage_components")
        self.incidents: dict[str, dict] = {}
        self._replies: deque[tuple[int, Any, float]] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeStatuspage:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reply(self, status: int, body: Any) -> None:
        """The next request gets this answer instead of the usual one."""
        self._replies.append((status, body, 0.0))

    def stall(self, seconds: float) -> None:
        """The next request is answered only after ``seconds`` (normally)."""
        self._replies.append((0, None, seconds))

    def calls(self, method: str, path_part: str = "") -> list[Request]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    # --- Statuspage's behaviour --------------------------------------------------------------

    def _answer(self, method: str, path: str, query: dict, body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:2] != ["v1", "pages"] or len(parts) < 4 or parts[2] != PAGE_ID:
            return 404, {"error": "The page could not be found."}
        if parts[3] == "components" and method == "GET":
            page = int(query.get("page", ["1"])[0])
            per_page = int(query.get("per_page", ["100"])[0])
            return 200, self.components[(page - 1) * per_page : page * per_page]
        if parts[3] == "incidents" and method == "POST" and len(parts) == 4:
            return 201, self._create(body["incident"])
        if parts[3:] == ["incidents", "unresolved"] and method == "GET":
            unresolved = [i for i in self.incidents.values() if i["status"] not in CLOSED]
            return 200, unresolved
        if parts[3] == "incidents" and method == "GET" and len(parts) == 5:
            incident = self.incidents.get(parts[4])
            return (200, incident) if incident else (404, {"error": "Incident not found"})
        if parts[3] == "incidents" and method == "PATCH" and len(parts) == 5:
            incident = self.incidents.get(parts[4])
            if incident is None:
                return 404, {"error": "Incident not found"}
            return 200, self._update(incident, body["incident"])
        return 404, {"error": "Not found"}

    def _create(self, fields: dict) -> dict:
        incident_id = f"inc{next(self._ids):09d}"
        incident = {
            "id": incident_id,
            "page_id": PAGE_ID,
            "name": fields["name"],
            "status": fields.get("status", "investigating"),
            "impact": fields.get("impact_override", "none"),
            "impact_override": fields.get("impact_override"),
            "shortlink": f"https://stspg.io/{incident_id[-5:]}",
            "incident_updates": [],
            "components": [],
            "metadata": fields.get("metadata") or {},
        }
        self.incidents[incident_id] = incident
        first_update = {k: v for k, v in fields.items() if k not in ("name", "metadata")}
        return self._update(incident, first_update)

    def _update(self, incident: dict, fields: dict) -> dict:
        for name in ("name", "status", "impact_override"):
            if name in fields:
                incident[name] = fields[name]
        for component in self.components:
            if component["id"] in fields.get("components", {}):
                component["status"] = fields["components"][component["id"]]
        if "status" in fields or "body" in fields:
            incident["incident_updates"].insert(
                0, {"status": incident["status"], "body": fields.get("body", "")}
            )
        return incident

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_PATCH(self) -> None:
                self._serve()

            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                query = parse_qs(url.query)
                with fake._lock:
                    fake.requests.append(
                        Request(self.command, url.path, query, dict(self.headers), body)
                    )
                    scripted = fake._replies.popleft() if fake._replies else None
                    if scripted and scripted[2]:
                        delay, scripted = scripted[2], None
                    else:
                        delay = 0.0
                    status, answer = scripted[:2] if scripted else (None, None)
                    if status is None:
                        status, answer = fake._answer(self.command, url.path, query, body)
                if delay:
                    time.sleep(delay)
                payload = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args) -> None:
                pass

        return Handler
