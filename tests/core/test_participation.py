"""Participation counts every message, even when two workers count at the same moment."""

from __future__ import annotations

from core import services
from core.models import Participation
from tests.races import Race

MESSAGES_EACH = 25


def test_messages_counted_at_once_by_two_workers_all_count(transactional_db):
    incident = services.incident_declare(title="Payments are failing", reporter=None)
    bob = services.external_user_get_or_create(external_id="U0BOB")

    def count_messages():
        for _ in range(MESSAGES_EACH):
            services.participation_record_message(incident=incident, user=bob)

    race = Race(count_messages, count_messages).start().join()

    assert race.errors == []
    counted = Participation.objects.get(incident=incident, user=bob)
    assert counted.message_count == 2 * MESSAGES_EACH
