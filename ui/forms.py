"""Forms of the web pages."""

from __future__ import annotations

from typing import Any

from django import forms

from core.models import IncidentStatus, Severity
from core.selectors import NO_SEVERITY


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
        choices=[("", "Any status"), *IncidentStatus.choices],
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
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "title": cleaned.get("q") or None,
            "status": cleaned.get("status") or None,
            "severity": cleaned.get("severity") or None,
        }

    @property
    def is_filtered(self) -> bool:
        return any(self.filters().values())


class ActionDoneForm(forms.Form):
    """A follow-up's checkbox: ticked means done, unticked (absent from the POST) means open."""

    done = forms.BooleanField(required=False)

    def is_done(self) -> bool:
        self.is_valid()
        return bool(getattr(self, "cleaned_data", {}).get("done"))
