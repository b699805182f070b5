"""Forms of the web pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from core.lifecycle.statuses import STATUS_EMOJI
from core.lifecycle.when import ACCEPTED_FORMS, UnreadableTime, parse_when
from core.models import (
    ActionPriority,
    ActionStatus,
    ExternalUser,
    IncidentStatus,
    PostmortemStatus,
    Severity,
)
from core.selectors import NO_SEVERITY, OPEN
from core.services import SECTION_MAX_CHARS
from core.services.incidents import TIMELINE_TEXT_MAX_CHARS
from ui.widget_html import PAGE_WIDGETS


class IncidentFilterForm(forms.Form):
    """The incident list's filters. Each is optional; an invalid one is ignored, not an error."""

    q = forms.CharField(
        label="Title",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search titles"}),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[
            ("", "Any status"),
            (OPEN, "Any open status"),
            *((value, f"{STATUS_EMOJI[value]} {label}") for value, label in IncidentStatus.choices),
        ],
    )
    severity = forms.ChoiceField(
        label="Severity",
        required=False,
        choices=[
            ("", "Any severity"),
            *((str(s.value), s.label.capitalize()) for s in Severity),
            (NO_SEVERITY, "Not set"),
        ],
    )

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``core.selectors.incident_search`` from the valid fields."""
        cleaned = self._cleaned()
        status = cleaned.get("status") or None
        return {
            "title": cleaned.get("q") or None,
            "status": status,
            "severity": cleaned.get("severity") or None,
        }

    @property
    def is_filtered(self) -> bool:
        return any(self.filters().values())

    def _cleaned(self) -> dict[str, Any]:
        self.is_valid()
        return getattr(self, "cleaned_data", {})


class ActionDoneForm(forms.Form):
    """A follow-up's checkbox: ticked means done, unticked (absent from the POST) means open."""

    done = forms.BooleanField(required=False)

    def is_done(self) -> bool:
        self.is_valid()
        return bool(getattr(self, "cleaned_data", {}).get("done"))


# --- The postmortem page (SPEC §16) -----------------------------------------------------------


class PageForm(forms.Form):
    """A form of the postmortem page: a hundred of its widgets are drawn on every view, in
    Python rather than through the widget templates (``ui.widget_html``)."""

    default_renderer = PAGE_WIDGETS


class SectionForm(PageForm):
    """One section's text, with the revision the editor started from (for the stale check)."""

    text = forms.CharField(
        required=False,
        strip=False,
        max_length=SECTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    base_revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class PostmortemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=PostmortemStatus.choices)


class TimelineNoteForm(PageForm):
    """A note to add: when (read as ``@incident milestone`` reads times) and what."""

    when = forms.CharField(
        label="When",
        max_length=40,
        help_text=f"For example: {ACCEPTED_FORMS}.",
        widget=forms.TextInput(attrs={"placeholder": "14:05", "autocomplete": "off"}),
    )
    text = forms.CharField(
        label="What happened",
        max_length=TIMELINE_TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, zone: dt.tzinfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_when(self) -> dt.datetime:
        try:
            moment = parse_when(self.cleaned_data["when"], now=timezone.now(), zone=self.zone)
        except UnreadableTime as error:
            raise forms.ValidationError(error.message) from None
        if moment > timezone.now() + dt.timedelta(minutes=1):
            raise forms.ValidationError("That is in the future: a note says what happened.")
        return moment


class TimelineEditForm(PageForm):
    text = forms.CharField(
        label="Text",
        max_length=TIMELINE_TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TimelineHideForm(forms.Form):
    """Hide (``hidden=1``) or show again (``hidden=0``) an entry."""

    hidden = forms.TypedChoiceField(
        choices=[("1", "hide"), ("0", "show")], coerce=lambda value: value == "1"
    )


NO_OWNER = ""


class ActionEditForm(PageForm):
    """A follow-up's triage: owner (a Slack user), due date, priority and status.

    ``owners`` are the people who can own it by id, read once for the whole page.
    """

    owner = forms.TypedChoiceField(label="Owner", required=False, coerce=int, empty_value=None)
    # A date input takes and gives ISO dates whatever the site's locale.
    due = forms.DateField(
        label="Due",
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    priority = forms.TypedChoiceField(
        label="Priority",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *((str(p.value), p.label.capitalize()) for p in ActionPriority)],
    )
    status = forms.ChoiceField(
        label="Status", choices=[(s.value, s.label.capitalize()) for s in ActionStatus]
    )

    def __init__(self, *args: Any, owners: dict[int, ExternalUser], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owners = owners
        self.fields["owner"].choices = [
            (NO_OWNER, "nobody"),
            *((pk, user.name) for pk, user in owners.items()),
        ]

    def changes(self, zone: dt.tzinfo) -> dict[str, Any]:
        """Keyword arguments for ``core.services.action_update``.

        A due date left as it was is not sent: re-saving it would move a due time set
        elsewhere (the API takes any time of day) to the end of the day in this viewer's zone.
        """
        due = self.cleaned_data["due"]
        owner = self.cleaned_data["owner"]
        changes = {
            "owner": self.owners[owner] if owner is not None else None,
            "priority": self.cleaned_data["priority"],
            "status": self.cleaned_data["status"],
        }
        if due != self.initial.get("due"):
            changes["due_at"] = due_at_end_of(due, zone) if due else None
        return changes


def due_at_end_of(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """A due date as the last minute of that day where the person setting it is."""
    return dt.datetime.combine(day, dt.time(23, 59), tzinfo=zone)
