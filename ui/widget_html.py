"""The postmortem page's form widgets drawn in Python, as Django's own widget templates draw them.

The page of a long incident shows about a hundred widgets on every view (twenty follow-ups of
four triage fields, the owner's a select of some sixty people, the section editors, the note
form). Through the Django template engine each cost about a millisecond, the owner selects'
options an include each: most of the page's time. The markup of these few widgets is simple and
fixed, so it is written here, byte for byte what the templates write
(``tests/ui/test_widget_html.py`` compares the two); any other template (another widget, a
form's own layout, an error list) is still rendered by the project's form renderer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import BaseRenderer, get_default_renderer
from django.utils.html import conditional_escape

WIDGETS = "django/forms/widgets/"


def _text(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` under autoescape: escaped unless already safe."""
    return conditional_escape(value if hasattr(value, "__html__") else str(value))


def _attrs(attrs: dict[str, Any]) -> str:
    """``attrs.html``: ``True`` as a bare name, ``False`` left out."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {conditional_escape(name)}")
        if value is not True:
            out.append(f'="{_text(value)}"')
    return "".join(out)


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_text(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{conditional_escape(value) if value else ''}</textarea>"
    )


def _option(option: dict[str, Any]) -> str:
    return (
        f'<option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>"
    )


def _select(widget: dict[str, Any]) -> str:
    out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            if option["template_name"] != WIDGETS + "select_option.html":
                raise _NotOurs
            # The option's template ends with a newline, which the include keeps.
            out.append(f"\n  {_option(option)}\n")
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


class _NotOurs(Exception):
    """A widget this module does not draw (rendered by the templates instead)."""


_DRAWN: dict[str, Callable[[dict[str, Any]], str]] = {
    WIDGETS + "input.html": _input,
    WIDGETS + "text.html": _input,
    WIDGETS + "date.html": _input,
    WIDGETS + "hidden.html": _input,
    WIDGETS + "number.html": _input,
    WIDGETS + "textarea.html": _textarea,
    WIDGETS + "select.html": _select,
}


class PageWidgets(BaseRenderer):
    """A form renderer for the postmortem page's forms (their ``default_renderer``): the
    widgets above drawn here, everything else as the project's form renderer does it."""

    @property
    def form_template_name(self) -> str:  # type: ignore[override]
        return get_default_renderer().form_template_name

    @property
    def formset_template_name(self) -> str:  # type: ignore[override]
        return get_default_renderer().formset_template_name

    @property
    def field_template_name(self) -> str:  # type: ignore[override]
        return get_default_renderer().field_template_name

    def get_template(self, template_name: str):
        return get_default_renderer().get_template(template_name)

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        draw = _DRAWN.get(template_name)
        widget = context.get("widget") if draw else None
        if draw is not None and isinstance(widget, dict):
            try:
                return draw(widget)
            except _NotOurs:
                pass
        return get_default_renderer().render(template_name, context, request=request)


PAGE_WIDGETS = PageWidgets()
