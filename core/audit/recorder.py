"""Recording every change to an audited model, with who made it and through what.

One generic recorder, driven by the ``AUDITED`` table: each model's values are remembered when an
instance is loaded (``post_init``, no query), compared with what ``post_save`` wrote, and the
fields that differ become one entry; ``post_delete`` records what was removed and ``m2m_changed``
the group and permission sets. Entries are inserted on the connection, in the transaction, of the
change itself: a change that rolls back leaves no entry, and no entry outlives its change.

Writes that bypass the signals (``bulk_create``, ``QuerySet.update``) call ``record_created`` or
``record_changed`` here themselves. An instance is compared with the values it was loaded with:
fields deferred at load time (``only``) are not compared, and ``refresh_from_db`` does not renew
them, so code that saves reads its row afresh (as the services do, under ``select_for_update``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save

from core.access import current
from core.models import AuditAction, AuditEntry
from response.log_context import current_log_context

HIDDEN = "(hidden)"
_SNAPSHOT = "_audit_snapshot"


def _own(instance: models.Model) -> int | None:
    return instance.pk


def _attribute(name: str) -> Callable[[models.Model], int | None]:
    return lambda instance: getattr(instance, name, None)


def _section_incident(section: models.Model) -> int | None:
    postmortem_model = type(section).postmortem.field.related_model
    if type(section).postmortem.is_cached(section):
        return section.postmortem.incident_id
    return (
        postmortem_model.objects.filter(pk=section.postmortem_id)
        .values_list("incident_id", flat=True)
        .first()
    )


@dataclass(frozen=True)
class Audited:
    """How one model is audited.

    ``fields``: the fields recorded (every concrete field when empty) less ``skip``; ``secret``:
    fields recorded as changed without their values; ``incident``: the incident an entry belongs
    to; ``creation``: whether the creation of a given record is a change of its own: not for a
    Slack user seen for the first time, nor for a timeline entry that narrates a change already
    recorded on the incident (whose later edits still are).
    """

    fields: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    secret: tuple[str, ...] = ()
    incident: Callable[[models.Model], int | None] | None = None
    creation: Callable[[models.Model], bool] = lambda instance: True


BY_INCIDENT = _attribute("incident_id")
# Timeline entries Response writes to narrate a change (a field changed, an update shared).
NARRATING = ("incident_change", "update")

# Every model whose changes are recorded, by label. Participation counts, the timeline's and the
# postmortem's own edit histories, Slack-side bookkeeping (jobs, outbox, channel and headline
# records) and Slack users' name refreshes are left out: they are not changes people make.
AUDITED: dict[str, Audited] = {
    "core.Incident": Audited(incident=_own),
    "core.RoleAssignment": Audited(incident=BY_INCIDENT),
    "core.Milestone": Audited(incident=BY_INCIDENT, skip=("updated_at",)),
    "core.Action": Audited(incident=BY_INCIDENT),
    "core.TimelineEvent": Audited(
        incident=BY_INCIDENT, creation=lambda entry: entry.kind not in NARRATING
    ),
    "core.Postmortem": Audited(incident=BY_INCIDENT),
    "core.PostmortemSection": Audited(incident=_section_incident),
    "core.Update": Audited(incident=BY_INCIDENT),
    "core.Follower": Audited(incident=BY_INCIDENT),
    # Who may see a private incident, and each request to: what a security review asks first.
    "core.IncidentAccess": Audited(incident=BY_INCIDENT),
    "core.AccessRequest": Audited(incident=BY_INCIDENT),
    "core.Role": Audited(),
    "core.UpdateCadence": Audited(),
    # Which Django group a Slack user group grants; its members are Slack's, refreshed, not ours.
    "core.SlackUserGroup": Audited(fields=("group",), creation=lambda user_group: False),
    "core.ExternalUser": Audited(fields=("owner",), creation=lambda user: False),
    "slack.Workflow": Audited(),
    "slack.WorkflowParameter": Audited(secret=("value",)),
    "slack.EscalationTeam": Audited(),
    "auth.User": Audited(skip=("last_login",), secret=("password",)),
    "auth.Group": Audited(),
}

# Many-to-many sets recorded as a field of their owner: (model label, field name).
AUDITED_SETS: tuple[tuple[str, str], ...] = (
    ("auth.User", "groups"),
    ("auth.User", "user_permissions"),
    ("auth.Group", "permissions"),
)


# --- Values -------------------------------------------------------------------------------------


def _rule(instance_or_model: Any) -> Audited | None:
    return AUDITED.get(instance_or_model._meta.label)


def _recorded_fields(model: type[models.Model], rule: Audited) -> list[models.Field]:
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    if rule.fields:
        fields = [field for field in fields if field.name in rule.fields]
    return [field for field in fields if field.name not in rule.skip]


def _values(instance: models.Model, rule: Audited) -> dict[str, Any]:
    """The recorded fields' values as loaded; deferred fields (not loaded) are left out."""
    loaded = instance.__dict__
    return {
        field.name: loaded[field.attname]
        for field in _recorded_fields(type(instance), rule)
        if field.attname in loaded
    }


def _plain(value: Any) -> Any:
    """``value`` as JSON stores it (times as ISO 8601 text, decimals and ids as text)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _shown(rule: Audited, values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: HIDDEN if name in rule.secret and value not in ("", None) else _plain(value)
        for name, value in values.items()
    }


def _diff(
    rule: Audited, before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    changed = [name for name, value in after.items() if name in before and before[name] != value]
    return (
        _shown(rule, {name: before[name] for name in changed}),
        _shown(rule, {name: after[name] for name in changed}),
    )


# --- Entries ------------------------------------------------------------------------------------


def _who() -> dict[str, Any]:
    acting = current()
    person = acting.person
    if person is not None and not getattr(person, "is_authenticated", False):
        person = None
    slack_user = acting.slack_user
    context = current_log_context()
    return {
        "via": acting.via.value,
        "person_id": person.pk if person is not None else None,
        "person_name": person.get_username() if person is not None else "",
        "slack_user_id": slack_user.external_id if slack_user is not None else "",
        "slack_user_name": slack_user.name if slack_user is not None else "",
        "request_id": str(context.get("request_id", ""))[:64],
        "job_id": str(context.get("job_id", ""))[:64],
    }


def _entry(
    instance: models.Model,
    rule: Audited,
    action: AuditAction,
    before: dict[str, Any],
    after: dict[str, Any],
    who: dict[str, Any],
) -> AuditEntry:
    return AuditEntry(
        **who,
        incident_id=rule.incident(instance) if rule.incident else None,
        object_type=instance._meta.label,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        action=action,
        before=before,
        after=after,
    )


def _write(entries: list[AuditEntry], using: str) -> None:
    """One INSERT for ``entries``, on the connection (so in the transaction) of the change."""
    if len(entries) == 1:
        entries[0].save(using=using, force_insert=True)
    elif entries:
        AuditEntry.objects.using(using).bulk_create(entries)


def _remember(instance: models.Model, rule: Audited) -> None:
    instance.__dict__[_SNAPSHOT] = _values(instance, rule)


def record_created(objects: Iterable[models.Model], using: str = "default") -> None:
    """Record rows written by ``bulk_create`` (which sends no signals), in one INSERT."""
    who = _who()
    entries = []
    for instance in objects:
        rule = _rule(instance)
        if rule is None or not rule.creation(instance):
            continue
        values = _values(instance, rule)
        entries.append(_entry(instance, rule, AuditAction.CREATED, {}, _shown(rule, values), who))
        _remember(instance, rule)
    _write(entries, using)


def record_changed(
    objects: Iterable[models.Model], changes: Mapping[str, Any], using: str = "default"
) -> None:
    """Record ``QuerySet.update(**changes)`` of ``objects`` (read before the update), in one
    INSERT; objects whose values already were ``changes`` are left out."""
    who = _who()
    entries = []
    for instance in objects:
        rule = _rule(instance)
        if rule is None:
            continue
        before = _values(instance, rule)
        after = {**before, **{name: value for name, value in changes.items() if name in before}}
        shown_before, shown_after = _diff(rule, before, after)
        if shown_after:
            entries.append(
                _entry(instance, rule, AuditAction.CHANGED, shown_before, shown_after, who)
            )
    _write(entries, using)


# --- Signal receivers ---------------------------------------------------------------------------


def _loaded(sender, instance: models.Model, **kwargs) -> None:
    rule = _rule(sender)
    if rule is not None:
        _remember(instance, rule)


def _saved(sender, instance: models.Model, created: bool, raw: bool, using: str, **kwargs) -> None:
    rule = _rule(sender)
    if rule is None or raw:
        return
    now = _values(instance, rule)
    if created:
        entry = (
            _entry(instance, rule, AuditAction.CREATED, {}, _shown(rule, now), _who())
            if rule.creation(instance)
            else None
        )
    else:
        update_fields = kwargs.get("update_fields")
        if update_fields:
            now = {name: value for name, value in now.items() if name in update_fields}
        before, after = _diff(rule, instance.__dict__.get(_SNAPSHOT, {}), now)
        entry = (
            _entry(instance, rule, AuditAction.CHANGED, before, after, _who()) if after else None
        )
    if entry is not None:
        _write([entry], using)
    # The next save of this instance is compared with what this one wrote.
    instance.__dict__[_SNAPSHOT] = {**instance.__dict__.get(_SNAPSHOT, {}), **now}


def _deleted(sender, instance: models.Model, using: str, **kwargs) -> None:
    rule = _rule(sender)
    if rule is None:
        return
    before = {**instance.__dict__.get(_SNAPSHOT, {}), **_values(instance, rule)}
    _write([_entry(instance, rule, AuditAction.DELETED, _shown(rule, before), {}, _who())], using)


def _set_names(owner: models.Model, field: str) -> list[str]:
    members = getattr(owner, field).all()
    if any(related.name == "content_type" for related in members.model._meta.fields):
        # A permission names its content type: read them together, not one query each.
        members = members.select_related("content_type")
    return sorted(str(member) for member in members)


def _set_changing(field: str) -> Callable[..., None]:
    """The ``m2m_changed`` receiver of one audited set: each owner's members before the change
    (``pre_*``) and after it (``post_*``) become one entry of that owner."""

    def owners(instance, action: str, reverse: bool, model, pk_set, using: str):
        if not reverse:
            return [instance]
        # Changed from the other side (a group's users): each owner whose set changes.
        manager = model._default_manager.using(using)
        if action.endswith("clear"):
            return list(manager.filter(**{field: instance}))
        return list(manager.filter(pk__in=pk_set or ()))

    def receiver(sender, instance, action: str, reverse: bool, model, pk_set, using, **kw):
        if action.startswith("pre_"):
            changing = owners(instance, action, reverse, model, pk_set, using)
            instance.__dict__[f"_audit_set_{field}"] = [
                (owner, _set_names(owner, field)) for owner in changing
            ]
            return
        for owner, before in instance.__dict__.pop(f"_audit_set_{field}", []):
            _record_set(owner, field, before, _set_names(owner, field), using)

    return receiver


def _record_set(
    owner: models.Model, field: str, before: list[str], now: list[str], using: str
) -> None:
    rule = _rule(owner)
    if rule is None or before == now:
        return
    entry = _entry(owner, rule, AuditAction.CHANGED, {field: before}, {field: now}, _who())
    _write([entry], using)


_set_receivers: list[Callable] = []


def connect() -> None:
    """Listen to every audited model; called once, when the app registry is ready."""
    for label in AUDITED:
        model = apps.get_model(label)
        uid = f"core.audit.{label}"
        post_init.connect(_loaded, sender=model, dispatch_uid=uid)
        post_save.connect(_saved, sender=model, dispatch_uid=uid)
        post_delete.connect(_deleted, sender=model, dispatch_uid=uid)
    for label, field in AUDITED_SETS:
        through = getattr(apps.get_model(label), field).through
        receiver = _set_changing(field)
        _set_receivers.append(receiver)  # signals hold receivers weakly
        m2m_changed.connect(receiver, sender=through, dispatch_uid=f"core.audit.{label}.{field}")
