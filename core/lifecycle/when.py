"""The times people type for a milestone (SPEC §14), read in the speaker's time zone.

Accepted: ``now``, ``14:05``, ``14:05 UTC``, ``2026-12-01 14:05``, ``2026-12-01 14:05 UTC``,
``10m ago``, ``2h ago``. A time of day alone means its latest occurrence that is not in the
future (``23:50`` typed at 00:10 is yesterday's).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

ACCEPTED_FORMS = "now, 14:05, 14:05 UTC, 2026-12-01 14:05, 2026-12-01 14:05 UTC, 10m ago, 2h ago"

_AGO = re.compile(r"(?P<amount>\d{1,5})\s*(?P<unit>m|min|mins|minutes?|h|hr|hrs|hours?)\s+ago")
_CLOCK = re.compile(
    r"(?:(?P<date>\d{4}-\d{2}-\d{2})\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})(?P<utc>\s*utc)?"
)


class UnreadableTime(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(f"“{text}” is not a time I can read. Try: {ACCEPTED_FORMS}.")
        self.message = str(self)


def zone_named(name: str | None) -> dt.tzinfo:
    """The zone Slack names (``users.info`` ``tz``), UTC when unknown or missing."""
    try:
        return zoneinfo.ZoneInfo(name) if name else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def parse_when(text: str, *, now: dt.datetime, zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    """The moment ``text`` names, as an aware datetime; raises ``UnreadableTime``."""
    cleaned = " ".join(text.strip().lower().split())
    if cleaned == "now":
        return now
    if match := _AGO.fullmatch(cleaned):
        amount = int(match["amount"])
        unit = dt.timedelta(hours=1) if match["unit"].startswith("h") else dt.timedelta(minutes=1)
        return now - amount * unit
    if match := _CLOCK.fullmatch(cleaned):
        return _clock_time(match, now=now, zone=dt.UTC if match["utc"] else zone, text=text)
    raise UnreadableTime(text)


def _clock_time(match: re.Match, *, now: dt.datetime, zone: dt.tzinfo, text: str) -> dt.datetime:
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise UnreadableTime(text)
    if match["date"]:
        try:
            day = dt.date.fromisoformat(match["date"])
        except ValueError as error:
            raise UnreadableTime(text) from error
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)
    local_now = now.astimezone(zone)
    moment = dt.datetime.combine(local_now.date(), dt.time(hour, minute), tzinfo=zone)
    if moment > local_now:
        moment = dt.datetime.combine(
            local_now.date() - dt.timedelta(days=1), dt.time(hour, minute), tzinfo=zone
        )
    return moment
