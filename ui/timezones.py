"""The viewer's time zone, as their browser reports it in the ``tz`` cookie (see ui/js/tz.js)."""

from __future__ import annotations

import re
import zoneinfo

from django.conf import settings
from django.http import HttpRequest

TZ_COOKIE = "tz"
# IANA names: "Europe/London", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC".
_ZONE_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$")


def zone_named(name: str | None) -> zoneinfo.ZoneInfo | None:
    """The zone called ``name``, or None when that is not a known IANA zone name."""
    if not name or len(name) > 64 or not _ZONE_NAME_RE.match(name):
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def viewer_timezone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    """The zone to show times in: the viewer's when their browser said, else ``TIME_ZONE``."""
    return zone_named(request.COOKIES.get(TZ_COOKIE)) or zoneinfo.ZoneInfo(settings.TIME_ZONE)
