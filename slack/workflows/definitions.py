"""The workflows Response knows, and the parameters each one takes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    secret: bool = False
    help_text: str = ""
    # Needed before the workflow can be enabled: without it every use would fail in Slack instead.
    required: bool = False


@dataclass(frozen=True)
class Definition:
    name: str
    title: str
    parameters: tuple[Parameter, ...]

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def missing_to_enable(self, values: dict[str, str]) -> list[Parameter]:
        """The required parameters that are blank in ``values`` (the values the workflow would
        have once saved, stored secrets included)."""
        return [p for p in self.parameters if p.required and not values.get(p.name, "").strip()]


STATUSPAGE = Definition(
    name="statuspage",
    title="Statuspage",
    parameters=(
        Parameter(
            "api_key", "API key", secret=True, required=True, help_text="Statuspage → API info."
        ),
        Parameter(
            "page_id",
            "Page id",
            required=True,
            help_text="The id of the page to post incidents on.",
        ),
    ),
)
PAGERDUTY = Definition(
    name="pagerduty",
    title="PagerDuty",
    parameters=(
        Parameter(
            "routing_key",
            "Default routing key",
            secret=True,
            required=True,
            help_text="An Events API v2 integration key, used when a team has none of its own.",
        ),
    ),
)

DEFINITIONS: dict[str, Definition] = {d.name: d for d in (STATUSPAGE, PAGERDUTY)}
