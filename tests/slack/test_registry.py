"""The decorator registries (SPEC §7)."""

from __future__ import annotations

import pytest

from slack import registry
from slack.decorators import DuplicateRegistration, action_handler, incident_command


def test_registering_a_command_word_twice_names_both_places():
    @incident_command(["zz-test"], helptext="first")
    def first(incident, user_id, message):
        return True, None

    try:
        with pytest.raises(DuplicateRegistration) as error:

            @incident_command(["ZZ-Test"], helptext="second")
            def second(incident, user_id, message):
                return True, None

        message = str(error.value)
        assert "'zz-test'" in message
        assert "<locals>.first (" in message
        assert "<locals>.second (" in message
        assert message.count("test_registry.py:") == 2
    finally:
        registry.incident_commands.unregister("zz-test")


def test_command_words_are_case_insensitive():
    @incident_command(["ZZ-Case", "zzc"])
    def handler(incident, user_id, message):
        return True, None

    try:
        assert registry.incident_commands.get("zz-case").handler is handler
        assert registry.incident_commands.get("ZZC").options["names"] == ["ZZ-Case", "zzc"]
    finally:
        registry.incident_commands.unregister("zz-case")
        registry.incident_commands.unregister("zzc")


def test_registering_an_action_id_twice_fails():
    @action_handler("zz-action")
    def first(context):
        pass

    try:
        with pytest.raises(DuplicateRegistration, match="action id 'zz-action'"):

            @action_handler("zz-action")
            def second(context):
                pass
    finally:
        registry.action_handlers.unregister("zz-action")


def test_several_handlers_may_share_an_event_type_but_not_twice():
    def one(incident, event):
        pass

    def two(incident, event):
        pass

    registry.event_handlers.register("zz_event", one)
    registry.event_handlers.register("zz_event", two)
    try:
        assert [r.handler for r in registry.event_handlers.get("zz_event")] == [one, two]
        with pytest.raises(DuplicateRegistration):
            registry.event_handlers.register("zz_event", one)
    finally:
        registry.event_handlers.unregister("zz_event", one)
        registry.event_handlers.unregister("zz_event", two)
