"""The incident page's timeline, rendered once per change instead of once per view (SPEC §19).

A long incident has thousands of entries that seldom change, and reading, presenting and
rendering them was most of its page's time. The rendered rows and HTML are kept in Django's cache
under the incident's timeline version (``core.selectors.timeline_version``, which the database
bumps on every change to the entries) and the viewer's time zone. What else the render depends on
is the names of the people and channels it shows (renames happen outside the timeline), so the
names it was rendered with are kept with it and compared with today's, read with the rest of the
page's names: a render with an old name is never served.

Two steps, so that the page reads every name in one go: ``prepare`` says whom the timeline names
(from the kept render, or from the entries read when there is none), and ``render`` takes the
page's markup, which knows their names today.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core import selectors as core_selectors
from core.models import Incident, TimelineEvent
from ui import presenters
from ui.markup import References, SlackMarkup

TEMPLATE = "ui/_timeline.html"
# Versions move on, so old keys are never read again; they only need to leave eventually.
KEPT_SECONDS = 24 * 3600

Names = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class RenderedTimeline:
    rows: list[presenters.TimelineRow]
    html: SafeString


@dataclass(frozen=True)
class _Kept:
    refs: References
    names: Names
    rows: list[presenters.TimelineRow]
    html: str


@dataclass
class PendingTimeline:
    """A timeline about to be shown: whom it names, and how to show it once their names are
    known."""

    incident_id: int
    key: str
    zone: zoneinfo.ZoneInfo
    refs: References
    kept: _Kept | None = None
    # Read only when no render is kept.
    entries: list[TimelineEvent] | None = None

    def render(self, markup: SlackMarkup) -> RenderedTimeline:
        """The timeline as rows and HTML; ``markup`` must know the names ``refs`` lists."""
        names = _names(self.refs, markup)
        if self.kept is not None and self.kept.names == names:
            return RenderedTimeline(rows=self.kept.rows, html=_safe(self.kept.html))
        if self.entries is None:  # the same entries, kept with names that changed since
            self.entries = _entries(self.incident_id)
        rows = presenters.timeline_rows(self.entries, markup)
        with timezone.override(self.zone):
            html = render_to_string(TEMPLATE, {"timeline": rows})
        cache.set(self.key, _Kept(self.refs, names, rows, html), KEPT_SECONDS)
        return RenderedTimeline(rows=rows, html=_safe(html))


def cache_key(incident: Incident, zone: zoneinfo.ZoneInfo) -> str:
    version = core_selectors.timeline_version(incident=incident)
    return f"ui:timeline:{incident.pk}:{version}:{zone.key}"


def prepare(*, incident: Incident, zone: zoneinfo.ZoneInfo) -> PendingTimeline:
    """The incident's curated timeline (hidden entries left out) to be shown in ``zone``: its
    render kept from an earlier request if there is one for its version, else its entries."""
    # The version first: a render kept under it is then at least as new as the version.
    key = cache_key(incident, zone)
    kept = cache.get(key)
    if kept is not None:
        return PendingTimeline(incident.pk, key, zone, refs=kept.refs, kept=kept)
    entries = _entries(incident.pk)
    refs = presenters.timeline_references(entries)
    return PendingTimeline(incident.pk, key, zone, refs=refs, entries=entries)


def _entries(incident_id: int) -> list[TimelineEvent]:
    return list(core_selectors.timeline_for_incident(incident=Incident(pk=incident_id)))


def _names(refs: References, markup: SlackMarkup) -> Names:
    """The names ``markup`` knows for the people and channels ``refs`` lists."""
    users = tuple((u, markup.users[u]) for u in sorted(refs.users) if u in markup.users)
    channels = tuple((c, markup.channels[c]) for c in sorted(refs.channels) if c in markup.channels)
    return users, channels


def _safe(html: str) -> SafeString:
    # Rendered by our own template, where every text was escaped or cleaned by ui.markup.
    return mark_safe(html)  # noqa: S308
