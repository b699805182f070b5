"""The fields of the report and edit modals, each declared once, in the modals' order.

A new field is one row in ``FIELDS``: everything else is derived from the table — the modals'
input blocks (``blocks.py``), the form that validates a submission and its error messages
(``form.py``), the fingerprints of what the edit modal showed, which fields an edit saves and the
values handed to the services (``handlers.py``).

A field's ``name`` is at once the incident's attribute, the form field's name and the input's
``block_id`` and ``action_id``: submissions are read by action id and validation errors are
keyed by block id, so a field and its error can never drift apart.

Pure: no settings, no database, no Slack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django import forms

from core.access import Permission
from core.models import Severity
from core.models.incident import SEVERITY_EMOJI, TITLE_MAX_LENGTH
from slack.block_kit import Block, plain

if TYPE_CHECKING:
    from core.models import Incident

# Slack refuses a plain_text_input whose max_length is above this.
TEXT_INPUT_LIMIT = 3000

LIVE = "live"
REPORT = "report"
# The value of a tick box's one option.
TICKED = "yes"

REPORT_KIND_LABELS = {
    LIVE: "Yes, it's happening now",
    REPORT: "No, I'm reporting something that is already over",
}


@dataclass(frozen=True)
class Field:
    """One input of the modals.

    ``element`` builds the input's Block Kit element from its initial value (``None`` in the
    report modal, unless it prefills it); ``form_field`` validates what was submitted.
    """

    name: str
    label: str
    element: Callable[[Any], Block]
    form_field: forms.Field
    hint: str = ""
    optional: bool = True
    # The edit modal shows it too (and an edit may save it).
    edit: bool = True
    # Handed to ``services.incident_declare`` under its name; report_kind is not (it decides
    # ``report_only``).
    attribute: bool = True
    # A Slack user id, which the handlers save as that person's ExternalUser.
    user: bool = False
    # The incident's value as the modal shows it, when it is not simply the attribute.
    shows: Callable[[Incident], Any] | None = None
    # Shown only to those who may use it (the service checks the permission again).
    permission: Permission | None = None

    def current(self, incident: Incident) -> Any:
        """The incident's value of this field, as the edit modal shows it."""
        return self.shows(incident) if self.shows else getattr(incident, self.name)


# --- Elements ----------------------------------------------------------------------------------


def _option(text: str, value: object) -> Block:
    return {"text": plain(text), "value": str(value)}


def _text_element(
    initial: str | None, *, placeholder: str, multiline: bool, max_length: int
) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": max_length,
        "placeholder": plain(placeholder),
    }
    if initial:  # Slack rejects an empty initial_value
        element["initial_value"] = initial
    return element


def _long_text(placeholder: str) -> Callable[[str | None], Block]:
    """The element of a free-text field of several lines (summary, impact)."""
    return partial(
        _text_element, placeholder=placeholder, multiline=True, max_length=TEXT_INPUT_LIMIT
    )


def _report_kind_element(initial: str | None) -> Block:
    options = {value: _option(text, value) for value, text in REPORT_KIND_LABELS.items()}
    return {
        "type": "radio_buttons",
        "options": list(options.values()),
        "initial_option": options.get(initial or LIVE, options[LIVE]),
    }


def _user_element(initial: str | None, *, placeholder: str) -> Block:
    element: Block = {"type": "users_select", "placeholder": plain(placeholder)}
    if initial:
        element["initial_user"] = initial
    return element


def _severity_element(initial: int | None, *, placeholder: str) -> Block:
    options = {
        member.value: _option(f"{SEVERITY_EMOJI[member]} {member.label.capitalize()}", member.value)
        for member in Severity
    }
    element: Block = {
        "type": "static_select",
        "placeholder": plain(placeholder),
        "options": list(options.values()),
    }
    if initial in options:
        element["initial_option"] = options[initial]
    return element


def _tick_box_element(initial: bool | None, *, text: str, description: str) -> Block:
    """A ``checkboxes`` element of one option, whose value is ``TICKED``; ticked when ``initial``.

    Slack refuses an empty ``initial_options``, so an unticked box has none.
    """
    option = {**_option(text, TICKED), "description": plain(description)}
    element: Block = {"type": "checkboxes", "options": [option]}
    if initial:
        element["initial_options"] = [option]
    return element


# --- Form fields -------------------------------------------------------------------------------


class TickBoxField(forms.Field):
    """A box of one option: Slack submits the ticked options' values, so ``[TICKED]`` is ticked
    and ``[]`` (or a state without the input, as from a modal older than the box) is not."""

    default_error_messages = {"invalid": "Tick the box or leave it empty."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> bool:
        if value in (None, "", []):
            return False
        if value == [TICKED]:
            return True
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


# --- Reading the incident ----------------------------------------------------------------------


def _lead_id(incident: Incident) -> str | None:
    return incident.lead.external_id if incident.lead else None


# --- The table ---------------------------------------------------------------------------------

TITLE = Field(
    name="title",
    label="Title",
    optional=False,
    # Slack refuses an initial_value longer than max_length: the report modal shortens a
    # command's text itself, so that it can say so (blocks.py).
    element=partial(
        _text_element,
        placeholder="What's happened, in a sentence?",
        multiline=False,
        max_length=TITLE_MAX_LENGTH,
    ),
    form_field=forms.CharField(
        max_length=TITLE_MAX_LENGTH,
        error_messages={
            "required": "Give the incident a title: what's happening, in a sentence.",
            "max_length": "Keep the title to %(limit_value)d characters (it has %(show_value)d).",
        },
    ),
)
REPORT_KIND = Field(
    name="report_kind",
    label="Is this a live incident?",
    optional=False,
    edit=False,
    attribute=False,
    element=_report_kind_element,
    # Left out (as the edit modal does) means live.
    form_field=forms.TypedChoiceField(
        choices=list(REPORT_KIND_LABELS.items()),
        coerce=str,
        empty_value=LIVE,
        required=False,
        error_messages={"invalid_choice": "Choose whether it is live or already over."},
    ),
)
# Neither box is in the edit modal. "Not sure yet" picks the first status, and afterwards the
# status moves only by the table of SPEC §14 (``@incident status``, the headline's Status menu),
# which an edit must not get around. A drill cannot be toggled after declaring: its messages
# already said "drill" (or did not) to everyone who saw them, and turning a real incident into a
# drill afterwards would be a quiet way to take it out of the numbers.
TRIAGE = Field(
    name="triage",
    label="Not sure it's an incident?",
    edit=False,
    element=partial(
        _tick_box_element,
        text="Not sure yet",
        description="It starts in triage, to be confirmed (or declined) once you know more.",
    ),
    # A report of something already over is ``reported`` whatever the box says: a box ticked
    # before choosing "already over" is let go by ``incident_declare``, not refused.
    form_field=TickBoxField(),
)
DRILL = Field(
    name="drill",
    label="Drill",
    edit=False,
    element=partial(
        _tick_box_element,
        text="This is a drill",
        description="It runs the whole flow, labelled as a drill, and is left out of the numbers.",
    ),
    form_field=TickBoxField(),
)
# Not in the edit modal: the private channel, the headline and who was told exist from the
# start; a public incident made private later would already have said everything in public.
PRIVATE = Field(
    name="private",
    label="Private",
    edit=False,
    permission=Permission.DECLARE_PRIVATE,
    element=partial(
        _tick_box_element,
        text="Private incident",
        description="A private channel; the incidents channel is told only that it was declared.",
    ),
    form_field=TickBoxField(),
)
SUMMARY = Field(
    name="summary",
    label="Summary",
    element=_long_text("Can you share any more details?"),
    form_field=forms.CharField(required=False),
)
IMPACT = Field(
    name="impact",
    label="Impact",
    hint="Think about affected people, systems and processes.",
    element=_long_text("Who or what might be affected?"),
    form_field=forms.CharField(required=False),
)
LEAD = Field(
    name="lead",
    label="Lead",
    user=True,
    shows=_lead_id,
    element=partial(_user_element, placeholder="Who is leading?"),
    form_field=forms.RegexField(
        regex=r"^[UW][A-Z0-9]+$",
        required=False,
        empty_value=None,
        error_messages={"invalid": "Pick the lead from the list of people."},
    ),
)
SEVERITY = Field(
    name="severity",
    label="Severity",
    element=partial(_severity_element, placeholder="How bad is it?"),
    form_field=forms.TypedChoiceField(
        choices=[(str(member.value), member.label) for member in Severity],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose critical, major, minor or trivial."},
    ),
)

# The report modal's fields, in order; the edit modal shows those with ``edit``.
FIELDS: tuple[Field, ...] = (
    TITLE,
    REPORT_KIND,
    TRIAGE,
    DRILL,
    PRIVATE,
    SUMMARY,
    IMPACT,
    LEAD,
    SEVERITY,
)
EDIT_FIELDS: tuple[Field, ...] = tuple(field for field in FIELDS if field.edit)
NAMES: frozenset[str] = frozenset(field.name for field in FIELDS)


def block_for(name: str) -> str:
    """The block an error about ``name`` shows under: the field's own, or the title's when it
    concerns no field of the modal (a form-wide error, another attribute of the model)."""
    return name if name in NAMES else TITLE.name
