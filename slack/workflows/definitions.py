"""The workflows Response knows, and the parameters each one takes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    secret: bool = False
    help_text: str = ""


@dataclass(frozen=True)
class Definition:
    name: str
    title: str
    parameters: tuple[Parameter, ...]

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


STATUSPAGE = Definition(
    name="statuspage",
    title="Statuspage",
    parameters=(
        Parameter("api_key", "API key", secret=True, help_text="Statuspage → API info."),
        Parameter("page_id", "Page id", help_text="The id of the page to post incidents on."),
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
            help_text="An Events API v2 integration key, used when a team has none of its own.",
        ),
    ),
)

DEFINITIONS: dict[str, Definition] = {d.name: d for d in (STATUSPAGE, PAGERDUTY)}
