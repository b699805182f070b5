"""Small template helpers of the web pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
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
    full = date_format(local, "j M Y, H:i T")
    shown = date_format(local, "j M Y") if style == "date" else full
    return format_html('<time datetime="{}" title="{}">{}</time>', local.isoformat(), full, shown)


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
