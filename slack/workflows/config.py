"""Reading and writing workflow configuration. Reads go to the database every time (they are
rare), which is what makes an admin change effective everywhere without a restart."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from slack.workflows.definitions import DEFINITIONS
from slack.workflows.models import Workflow, WorkflowParameter


@dataclass(frozen=True)
class WorkflowConfig:
    name: str
    enabled: bool
    parameters: dict[str, str]


def workflow_config(name: str) -> WorkflowConfig:
    """The workflow's current configuration; raises ``UnreadableSecret`` on a wrong key."""
    workflow = Workflow.objects.filter(name=name).prefetch_related("parameters").first()
    if workflow is None:
        return WorkflowConfig(name=name, enabled=False, parameters={})
    values = {p.name: p.value for p in workflow.parameters.all()}
    return WorkflowConfig(name=name, enabled=workflow.enabled, parameters=values)


def workflow_enabled(name: str) -> bool:
    return Workflow.objects.filter(name=name, enabled=True).exists()


@transaction.atomic
def workflow_rows_ensure() -> None:
    """One row per known workflow, disabled until an admin enables it."""
    for name in DEFINITIONS:
        Workflow.objects.get_or_create(name=name)


@transaction.atomic
def workflow_configure(
    *, workflow: Workflow, enabled: bool, values: dict[str, str], keep_blank_secrets: bool = True
) -> None:
    """Save a workflow's settings. A blank secret keeps the stored one: secrets are write-only."""
    definition = DEFINITIONS[workflow.name]
    workflow.enabled = enabled
    workflow.save(update_fields=["enabled"])
    for name, value in values.items():
        spec = definition.parameter(name)
        if spec is None:
            raise ValueError(f"{workflow.name} has no parameter {name}")
        if spec.secret and keep_blank_secrets and not value:
            continue
        WorkflowParameter.objects.update_or_create(
            workflow=workflow, name=name, defaults={"value": value}
        )
