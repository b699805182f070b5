"""The postmortem page's widgets drawn in Python (ui/widget_html.py) are byte for byte what
Django's widget templates draw, for every form of the page and every kind of value, and whatever
they do not draw is left to the templates."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import get_default_renderer
from django.utils.safestring import mark_safe

from core.models import ExternalUser
from ui.forms import ActionEditForm, PageForm, SectionForm, TimelineEditForm, TimelineNoteForm
from ui.widget_html import PAGE_WIDGETS

NASTY = "Tom & \"Jerry\" <b>'quoted'</b>"


def _both(form: forms.Form) -> list[tuple[str, str]]:
    """Each field of ``form`` as drawn here, and as the templates draw it."""
    pairs = []
    for field in form:
        ours = str(field)
        field.form.renderer = get_default_renderer()
        theirs = str(field)
        field.form.renderer = PAGE_WIDGETS
        pairs.append((ours, theirs))
    return pairs


def _owners() -> dict[int, ExternalUser]:
    return {
        1: ExternalUser(pk=1, external_id="U1", display_name="alice"),
        2: ExternalUser(pk=2, external_id="U2", display_name=NASTY),
        3: ExternalUser(pk=3, external_id="U3", display_name="", full_name="Zoë Ürban"),
    }


@pytest.mark.parametrize(
    "form",
    [
        ActionEditForm(prefix="action-1", owners=_owners()),
        ActionEditForm(
            prefix="action-2",
            owners=_owners(),
            initial={"owner": 2, "due": dt.date(2026, 12, 1), "priority": 1, "status": "done"},
        ),
        # Sent back refused: what was typed, the bad date included, is shown again.
        ActionEditForm(
            {"action-3-owner": "99", "action-3-due": NASTY, "action-3-status": "nope"},
            prefix="action-3",
            owners=_owners(),
        ),
        SectionForm(prefix="summary", initial={"text": NASTY, "base_revision": 3}),
        SectionForm(prefix="impact", initial={"text": "", "base_revision": 0}),
        SectionForm({"lessons-text": "\nstarts with a newline", "lessons-base_revision": "x"}),
        TimelineNoteForm(prefix="note", zone=dt.UTC),
        TimelineNoteForm({"note-when": NASTY, "note-text": ""}, prefix="note", zone=dt.UTC),
        TimelineEditForm(initial={"text": mark_safe("<i>already safe</i>")}),
    ],
    ids=lambda form: f"{type(form).__name__}{'-bound' if form.is_bound else ''}",
)
def test_every_field_of_the_page_forms_is_drawn_as_the_templates_draw_it(form):
    assert form.renderer is PAGE_WIDGETS
    for ours, theirs in _both(form):
        assert ours == theirs


class Odd(PageForm):
    """Widgets and attributes the page's forms do not use today."""

    grouped = forms.ChoiceField(
        choices=[("", "none"), (NASTY, [("a", "A & a"), ("b", "B")]), ("c", "C")],
        widget=forms.Select(attrs={"disabled": True, "data-x": False, "data-y": NASTY}),
        initial="b",
    )
    many = forms.MultipleChoiceField(choices=[("1", "one"), ("2", "two")], initial=["1", "2"])
    number = forms.IntegerField(initial=1234567)
    hidden = forms.CharField(widget=forms.HiddenInput, initial=NASTY)
    # Drawn by the templates: neither is one of ours.
    tick = forms.BooleanField(initial=True)
    radio = forms.ChoiceField(choices=[("1", "one")], widget=forms.RadioSelect, initial="1")
    password = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="x")


@pytest.mark.parametrize("bound", [False, True])
def test_other_widgets_and_attributes_are_drawn_as_the_templates_draw_them(bound):
    data = {"grouped": "a", "many": ["2"], "number": "12", "hidden": "", "radio": "1"}
    form = Odd(data if bound else None)
    for ours, theirs in _both(form):
        assert ours == theirs


def test_a_whole_form_and_its_errors_are_laid_out_as_the_project_renderer_does():
    data = {"action-1-owner": "99", "action-1-due": "soon", "action-1-status": "open"}
    ours = ActionEditForm(data, prefix="action-1", owners=_owners())
    theirs = ActionEditForm(
        data, prefix="action-1", owners=_owners(), renderer=get_default_renderer()
    )
    assert str(ours) == str(theirs)
    assert str(ours.errors) == str(theirs.errors)
    assert ours["due"].as_field_group() == theirs["due"].as_field_group()
