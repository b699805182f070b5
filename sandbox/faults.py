"""Misbehaviour injected into the Web API by tests: latency, errors, rate limits, dropped
connections, per method."""

from __future__ import annotations

import threading
from typing import Any

from sandbox.errors import SlackError

JsonDict = dict[str, Any]


class Faults:
    """Misbehaviour injected per Web API method (``*`` for every method)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, list[JsonDict]] = {}

    def add(self, spec: JsonDict) -> JsonDict:
        method = str(spec.get("method") or "")
        if not method:
            raise SlackError("invalid_arguments", detail="a fault needs a method")
        fault = {
            "method": method,
            "latency_ms": int(spec.get("latency_ms") or 0),
            "error": spec.get("error"),
            "status": int(spec.get("status") or 200),
            "retry_after": int(spec.get("retry_after") or 1),
            "drop": bool(spec.get("drop")),
            "times": None if spec.get("times") in (None, "") else int(spec["times"]),
        }
        with self._lock:
            self._faults.setdefault(method, []).append(fault)
        return fault

    def take(self, method: str) -> JsonDict | None:
        """The fault that applies to this call, counting it against its ``times``."""
        with self._lock:
            for key in (method, "*"):
                for fault in self._faults.get(key, []):
                    if fault["times"] is None or fault["times"] > 0:
                        if fault["times"] is not None:
                            fault["times"] -= 1
                        return dict(fault)
            return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def listed(self) -> list[JsonDict]:
        with self._lock:
            return [dict(f) for faults in self._faults.values() for f in faults]
