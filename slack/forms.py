"""Validation of what people type into the report and edit modals.

A Django form, so the rules (and their messages) are declared once and the handlers only turn
its errors into Slack's ``response_action: errors``.
"""

from __future__ import annotations

from typing import Any

from django import forms

from core.models import Severity
from core.models.incident import TITLE_MAX_LENGTH
from slack import ids
from slack.blocks.modals import LIVE, REPORT, REPORT_KIND_LABELS

# Form field -> the modal's action id (and block id) it is read from.
FIELD_INPUTS = {
    "title": ids.TITLE_INPUT,
    "report_kind": ids.REPORT_KIND_INPUT,
    "summary": ids.SUMMARY_INPUT,
    "impact": ids.IMPACT_INPUT,
    "lead": ids.LEAD_INPUT,
    "severity": ids.SEVERITY_INPUT,
}


class IncidentForm(forms.Form):
    title = forms.CharField(
        max_length=TITLE_MAX_LENGTH,
        error_messages={
            "required": "Give the incident a title: what's happening, in a sentence.",
            "max_length": "Keep the title to %(limit_value)d characters (it has %(show_value)d).",
        },
    )
    # Only the report modal asks; the edit modal leaves it out, which means "unchanged".
    report_kind = forms.ChoiceField(
        choices=list(REPORT_KIND_LABELS.items()),
        required=False,
        error_messages={"invalid_choice": "Choose whether it is live or already over."},
    )
    summary = forms.CharField(required=False)
    impact = forms.CharField(required=False)
    lead = forms.RegexField(
        regex=r"^[UW][A-Z0-9]+$",
        required=False,
        error_messages={"invalid": "Pick the lead from the list of people."},
    )
    severity = forms.TypedChoiceField(
        choices=[(str(member.value), member.label) for member in Severity],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose critical, major, minor or trivial."},
    )

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> IncidentForm:
        """The form bound to a submission's values (``ViewContext.values``, by action id)."""
        return cls(data={field: values.get(input_id) for field, input_id in FIELD_INPUTS.items()})

    @property
    def report_only(self) -> bool:
        return self.cleaned_data.get("report_kind") == REPORT

    def clean_report_kind(self) -> str:
        return self.cleaned_data.get("report_kind") or LIVE

    def errors_by_block(self) -> dict[str, str]:
        """The first error of each field, keyed by the modal's block id, as Slack wants them."""
        return {
            FIELD_INPUTS.get(field, ids.TITLE_INPUT): messages[0]
            for field, messages in self.errors.items()
        }
