"""Small template helpers of the web pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString

from core.lifecycle.statuses import STATUS_MEANING
from ui.presenters import STATUS_TONE

register = template.Library()


@register.filter
def when(moment: dt.datetime | None, style: str = "full") -> SafeString | str:
    """A ``<time>`` element in the active (viewer's) zone: ``3 Jun 2025, 14:05 BST``.

    ``style`` ``"date"`` shows the date alone (the zone still in the tooltip).
    """
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    # Formatted by hand, not with Django's date format: a long incident's page shows thousands
    # of times, and this is several times faster (the same text: ``j M Y, H:i T``).
    day = f"{local.day} {MONTHS[local.month - 1]} {local.year}"
    full = f"{day}, {local.hour:02d}:{local.minute:02d} {local.tzname() or ''}".rstrip()
    shown = day if style == "date" else full
    return SafeString(
        f'<time datetime="{local.isoformat()}" title="{escape(full)}">{escape(shown)}</time>'
    )


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@register.filter
def severity_class(severity: int | None) -> str:
    return f"sev-{severity}" if severity else "sev-none"


@register.filter
def status_tone(status: str) -> str:
    """The colour family of a status's badge (``ui.presenters.STATUS_TONE``)."""
    return STATUS_TONE.get(status, "reported")


@register.filter
def status_meaning(status: str) -> str:
    return STATUS_MEANING.get(status, "")
