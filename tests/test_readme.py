"""The README's plugin example is code people copy: it must load and register what it says."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

from slack import registry

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
def readme_plugin():
    text = README.read_text()
    (code,) = re.findall(r"```python\n(# myteam/response_plugins\.py.*?)```", text, re.S)
    module = types.ModuleType("myteam_response_plugins")
    sys.modules[module.__name__] = module
    exec(compile(code, "README.md", "exec"), module.__dict__)  # noqa: S102 (our own README)
    yield module
    for word in ("runbook", "rb"):
        registry.incident_commands.unregister(word)
    for key in ("remind_customer_update", "suggest_a_break"):
        registry.notifications.unregister(f"{module.__name__}.{key}")
    for word in ("status page", "statuspage"):
        registry.keyword_handlers.unregister(word)
    registry.event_handlers.unregister("pin_added", module.note_pin)
    registry.action_handlers.unregister("ack-page")
    registry.view_handlers.unregister("handover-modal")
    del sys.modules[module.__name__]


def test_the_readme_plugin_registers_every_decorator(readme_plugin):
    assert registry.incident_commands.get("RB").handler is readme_plugin.runbook
    assert readme_plugin.runbook(None, "U1", "") == (
        True,
        "Runbook: https://wiki.example.com/runbooks/payments",
    )
    assert registry.notifications.get("myteam_response_plugins.suggest_a_break").options == {
        "interval_mins": 0,
        "max_notifications": 1,
        "initial_delay_mins": 60,
    }
    assert "statuspage" in registry.keyword_handlers
    assert readme_plugin.note_pin in [r.handler for r in registry.event_handlers.get("pin_added")]
    assert registry.action_handlers.get("ack-page").handler is readme_plugin.acknowledge
    handover = registry.view_handlers.get("handover-modal").handler
    assert handover(types.SimpleNamespace(values={}))["response_action"] == "errors"
    assert handover(types.SimpleNamespace(values={"notes": "the queue"})) is None
