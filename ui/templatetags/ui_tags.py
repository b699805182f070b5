"""Small template helpers of the web pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

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
