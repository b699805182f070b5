"""The incident page's timeline, rendered once per change instead of once per view (SPEC §19).

A long incident has thousands of entries that seldom change, and reading, presenting and
rendering them was most of its page's time. The rendered rows and HTML are kept in Django's cache
(``settings.RENDER_CACHE``) under the incident's timeline version
(``core.selectors.timeline_version``, which grows with every change to the entries, whoever
makes it) and the viewer's time zone. What else the render depends on is the names of the people
and channels it shows (renames happen outside the timeline), so the names it was rendered with
are kept with it and compared with today's, read with the rest of the page's names: a render
with an old name is never served.

Two steps, so that the page reads every name in one go: ``prepare`` says whom the timeline names
(from the kept render, or from the entries read when there is none), and ``render`` takes the
page's markup, which knows their names today.
"""

from __future__ import annotations

import pickle
import secrets
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from core import selectors as core_selectors
from core.models import Incident, TimelineEvent
from ui import presenters
from ui.markup import References, SlackMarkup


@dataclass(frozen=True)
class Variant:
    """One way a page shows a timeline: which entries it reads, and its template."""

    read: Callable[..., QuerySet[TimelineEvent]]
    template: str


# The incident page's (hidden entries left out) and the postmortem page's (every entry, with its
# history, its Hide button and a link to its edit form; the one form the buttons submit takes
# the viewer's CSRF token on each request).
VARIANTS = {
    "document": Variant(core_selectors.timeline_for_incident, "ui/_timeline.html"),
    "curation": Variant(core_selectors.timeline_for_curation, "ui/_timeline_curation.html"),
}
# Versions move on, so old keys are never read again; they only need to leave eventually.
KEPT_SECONDS = 24 * 3600

Names = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]


class KeptRows(Sequence[presenters.TimelineRow]):
    """Rows kept serialised until something reads them. A page shows the kept HTML; unpickling
    2,000 rows on every view (and the garbage collection it set off) cost more than the rest of
    the view."""

    def __init__(self, blob: bytes) -> None:
        self._blob = blob
        self._rows: list[presenters.TimelineRow] | None = None

    def _all(self) -> list[presenters.TimelineRow]:
        if self._rows is None:
            # Pickled by this module (render below), in this process's own cache.
            self._rows = pickle.loads(self._blob)  # noqa: S301
        return self._rows

    def __getitem__(self, index):  # type: ignore[override]
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[presenters.TimelineRow]:
        return iter(self._all())


@dataclass(frozen=True)
class RenderedTimeline:
    rows: Sequence[presenters.TimelineRow]
    # The HTML as UTF-8, which the pages send as it is (``ui.views._render_around_timeline``).
    # The HTML of 2,000 entries is 1 to 3 MB, and with one emoji Python holds it as a str of four
    # bytes a character: decoding it from the cache, copying it at every join of the page's
    # template and encoding it again cost more than the rest of the page.
    html: bytes
    hidden_count: int = 0
    # Where the HTML's forms take the viewer's CSRF token: a random mark, chosen per render, that
    # no text on the page can contain.
    csrf_mark: str = ""

    def for_viewer(self, csrf_token: str = "") -> bytes:
        """The HTML, with the viewer's CSRF token in its forms. Rendered by our own template,
        where every text was escaped or cleaned by ui.markup."""
        if not self.csrf_mark:
            return self.html
        return self.html.replace(self.csrf_mark.encode(), csrf_token.encode())


@dataclass(frozen=True)
class _Kept:
    refs: References
    names: Names
    html: bytes
    hidden_count: int
    csrf_mark: str
    rows: bytes

    def rendered(self) -> RenderedTimeline:
        return RenderedTimeline(
            rows=KeptRows(self.rows),
            html=self.html,
            hidden_count=self.hidden_count,
            csrf_mark=self.csrf_mark,
        )


@dataclass
class PendingTimeline:
    """A timeline about to be shown: whom it names, and how to show it once their names are
    known."""

    incident_id: int
    variant: Variant
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
            return self.kept.rendered()
        if self.entries is None:  # the same entries, kept with names that changed since
            self.entries = _entries(self.variant, self.incident_id)
        rows = presenters.timeline_rows(self.entries, markup)
        mark = secrets.token_hex(16)
        with timezone.override(self.zone):
            html = render_to_string(self.variant.template, {"timeline": rows, "csrf_token": mark})
        hidden = sum(row.hidden for row in rows)
        blob = pickle.dumps(rows, pickle.HIGHEST_PROTOCOL)
        made = html.encode()
        kept = _Kept(self.refs, names, made, hidden, mark, blob)
        caches[settings.RENDER_CACHE].set(self.key, kept, KEPT_SECONDS)
        return RenderedTimeline(rows=rows, html=made, hidden_count=hidden, csrf_mark=mark)


def cache_key(incident: Incident, variant: str, zone: zoneinfo.ZoneInfo) -> str:
    version = core_selectors.timeline_version(incident=incident)
    return f"ui:timeline:{variant}:{incident.pk}:{version}:{zone.key}"


def prepare(
    *, incident: Incident, zone: zoneinfo.ZoneInfo, variant: str = "document"
) -> PendingTimeline:
    """The incident's timeline to be shown in ``zone`` as ``VARIANTS[variant]`` does: its render
    kept from an earlier request if there is one for its version, else its entries."""
    # The version first: a render kept under it is then at least as new as the version.
    key = cache_key(incident, variant, zone)
    how = VARIANTS[variant]
    kept = caches[settings.RENDER_CACHE].get(key)
    if kept is not None:
        return PendingTimeline(incident.pk, how, key, zone, refs=kept.refs, kept=kept)
    entries = _entries(how, incident.pk)
    refs = presenters.timeline_references(entries)
    return PendingTimeline(incident.pk, how, key, zone, refs=refs, entries=entries)


def _entries(variant: Variant, incident_id: int) -> list[TimelineEvent]:
    return list(variant.read(incident=Incident(pk=incident_id)))


def _names(refs: References, markup: SlackMarkup) -> Names:
    """The names ``markup`` knows for the people and channels ``refs`` lists."""
    users = tuple((u, markup.users[u]) for u in sorted(refs.users) if u in markup.users)
    channels = tuple((c, markup.channels[c]) for c in sorted(refs.channels) if c in markup.channels)
    return users, channels
