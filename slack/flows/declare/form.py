"""Validation of what people type into the report and edit modals.

A Django form built from the fields' table (``fields.py``), so each field's rules and messages
are declared once, in its row, and the handlers only turn its errors into Slack's
``response_action: errors``.
"""

from __future__ import annotations

from typing import Any, Self

from django import forms

from slack.flows.declare.fields import FIELDS, REPORT, REPORT_KIND, block_for


class _IncidentForm(forms.Form):
    """What the form does with its fields; ``IncidentForm`` adds them, one per row."""

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> Self:
        """The form bound to a submission's values (``ViewContext.values``, by action id)."""
        return cls(data={field.name: values.get(field.name) for field in FIELDS})

    @property
    def report_only(self) -> bool:
        return self.cleaned_data.get(REPORT_KIND.name) == REPORT

    def errors_by_block(self) -> dict[str, str]:
        """The first error of each field, keyed by the modal's block id, as Slack wants them."""
        return {block_for(name): messages[0] for name, messages in self.errors.items()}


# As ``modelform_factory`` does: the class statement cannot take its fields from a table.
IncidentForm: type[_IncidentForm] = type(
    "IncidentForm", (_IncidentForm,), {field.name: field.form_field for field in FIELDS}
)
