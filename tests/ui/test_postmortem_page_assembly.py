"""The postmortem page puts its kept timeline, held as UTF-8 bytes, into the page where its
template leaves a hole for it (ui.views._render_postmortem): once, in the timeline's section,
with every character intact and nothing of the hole left, on a fresh render and a kept one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core import services
from core.models import PostmortemSectionKey, TimelineEventKind
from tests.ui import builders

pytestmark = pytest.mark.django_db

TEXT = "Rollback 🔥 done — Zoë said “ok” <@U0ALICE>"


@pytest.fixture
def fire():
    alice = builders.slack_user("U0ALICE", "Zoë")
    incident = builders.incident("Payments are failing", reporter=alice, lead=alice)
    services.timeline_source_upsert(
        incident=incident,
        source_ref="pin:1",
        kind=TimelineEventKind.PINNED_MESSAGE,
        text=TEXT,
        author=alice,
        time=timezone.now() - dt.timedelta(minutes=5),
        metadata={},
    )
    services.postmortem_section_save(
        incident=incident,
        key=PostmortemSectionKey.LESSONS,
        text="Ça 🧯 marche",
        base_revision=0,
        editor=None,
    )
    return incident


@pytest.mark.parametrize("views", [1, 2], ids=["fresh", "kept"])
def test_the_timeline_is_in_its_section_once_with_every_character(logged_in, fire, views):
    for _ in range(views):
        response = logged_in.get(f"/incident/{fire.pk}/postmortem/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode("utf-8")

    assert "<!--timeline" not in html
    assert html.count('data-testid="timeline"') == 1
    section = html.index('id="timeline-heading"')
    assert section < html.index('data-testid="timeline"') < html.index("</section>", section)
    assert '🔥 done — Zoë said “ok” <span class="mention">@Zoë</span>' in html
    assert "Ça 🧯 marche" in html
    assert html.rstrip().endswith("</html>")
