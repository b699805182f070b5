"""Writing a postmortem together (SPEC §16): sections saved with revisions, and its states.

Every save of a section names the revision it was based on. A save based on anything but the
current revision is refused with ``StaleSection``, which carries the current text, so two people
saving the same section at once never lose one's words without being told.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.access import Permission, require
from core.exceptions import ApplicationError
from core.models import (
    Action,
    Incident,
    Postmortem,
    PostmortemRevision,
    PostmortemSection,
    PostmortemSectionKey,
    PostmortemStatus,
)

# Long enough for any real section; a paste beyond it is refused, not stored.
SECTION_MAX_CHARS = 50_000

# Where a postmortem may go from each state; anything else is refused.
POSTMORTEM_MOVES: dict[str, frozenset[str]] = {
    PostmortemStatus.DRAFT: frozenset({PostmortemStatus.IN_REVIEW}),
    PostmortemStatus.IN_REVIEW: frozenset({PostmortemStatus.DRAFT, PostmortemStatus.PUBLISHED}),
    PostmortemStatus.PUBLISHED: frozenset(),
}


class StaleSection(ApplicationError):
    """Someone saved the section since the editor opened it; ``current`` is what it says now."""

    def __init__(self, current: PostmortemSection) -> None:
        super().__init__(
            "Someone else saved this section while you were editing it. Your text was not saved: "
            "merge it with theirs and save again."
        )
        self.current = current


class PostmortemRefused(ApplicationError):
    """A state change the rules do not allow; ``untriaged`` lists what blocks publishing."""

    def __init__(self, message: str, *, untriaged: Sequence[Action] = ()) -> None:
        super().__init__(message)
        self.untriaged = list(untriaged)


def _editor_name(editor: AbstractBaseUser | None) -> str:
    return editor.get_username() if editor is not None else ""


def _locked_postmortem(incident: Incident) -> Postmortem:
    """The incident's postmortem, created on first write, with its row locked.

    Locking the incident first serialises creation, so two first saves make one postmortem.
    """
    Incident.objects.select_for_update().only("pk").get(pk=incident.pk)
    postmortem, _ = Postmortem.objects.get_or_create(incident=incident)
    return Postmortem.objects.select_for_update().get(pk=postmortem.pk)


@transaction.atomic
def postmortem_section_save(
    *,
    incident: Incident,
    key: str,
    text: str,
    base_revision: int,
    editor: AbstractBaseUser | None,
    now: dt.datetime | None = None,
) -> PostmortemSection:
    """Save one section's text as a new revision.

    Raises ``StaleSection`` when ``base_revision`` is not the current revision,
    ``PostmortemRefused`` once published and ``ValidationError`` for an unknown section or a
    text over ``SECTION_MAX_CHARS``.
    """
    if key not in PostmortemSectionKey.values:
        raise ValidationError({"key": f"There is no section called {key!r}."})
    if len(text) > SECTION_MAX_CHARS:
        raise ValidationError({"text": f"Keep a section under {SECTION_MAX_CHARS:,} characters."})
    postmortem = _locked_postmortem(incident)
    if postmortem.status == PostmortemStatus.PUBLISHED:
        raise PostmortemRefused("This postmortem is published: its sections no longer change.")
    section, _ = PostmortemSection.objects.select_for_update().get_or_create(
        postmortem=postmortem, key=key
    )
    if section.revision != base_revision:
        raise StaleSection(section)
    text = text.strip()
    if section.revision and text == section.text:
        return section
    section.text = text
    section.revision += 1
    section.save(update_fields=["text", "revision"])
    PostmortemRevision.objects.create(
        section=section,
        number=section.revision,
        text=text,
        editor=editor,
        editor_name=_editor_name(editor),
        saved_at=now or timezone.now(),
    )
    return section


def untriaged_actions(actions: Sequence[Action]) -> list[Action]:
    """The follow-ups with neither an owner and a due date nor a won't-do decision."""
    return [action for action in actions if not action.triaged]


@transaction.atomic
def postmortem_status_set(
    *, incident: Incident, status: str, editor: AbstractBaseUser | None
) -> Postmortem:
    """Move the postmortem to ``status`` (draft → in review → published, review → draft).

    Publishing needs every follow-up triaged; raises ``PostmortemRefused`` naming those that are
    not, and for any move ``POSTMORTEM_MOVES`` does not allow.
    """
    postmortem = _locked_postmortem(incident)
    if status == postmortem.status:
        return postmortem
    if status not in POSTMORTEM_MOVES.get(postmortem.status, ()):
        raise PostmortemRefused(
            f"A postmortem {postmortem.get_status_display()} cannot move to "
            f"{PostmortemStatus(status).label if status in PostmortemStatus.values else status}."
        )
    if status == PostmortemStatus.PUBLISHED:
        require(Permission.PUBLISH_POSTMORTEM)
        blocking = untriaged_actions(
            list(Action.objects.filter(incident=incident).order_by("created_at", "id"))
        )
        if blocking:
            raise PostmortemRefused(
                "Every follow-up needs an owner and a due date, or to be marked won't do, before "
                f"publishing. Not yet: {'; '.join(_short(a.details) for a in blocking)}.",
                untriaged=blocking,
            )
    postmortem.status = status
    postmortem.status_changed_at = timezone.now()
    postmortem.status_changed_by = _editor_name(editor)
    postmortem.save(update_fields=["status", "status_changed_at", "status_changed_by"])
    return postmortem


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
