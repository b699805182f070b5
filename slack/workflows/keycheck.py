"""Detecting a changed ``ENCRYPTED_FIELD_KEY``, at startup (``migrate``) and in the admin."""

from __future__ import annotations

from django.core import checks
from django.db import DatabaseError

from slack.workflows.crypto import WRONG_KEY_MESSAGE, UnreadableSecret
from slack.workflows.models import EncryptionCanary


def encryption_key_problem() -> str | None:
    """None when stored secrets decrypt with the configured key, else what to do about it.

    The first call stores the canary, so the key in use then becomes the reference.
    """
    try:
        canary = EncryptionCanary.objects.first()
    except UnreadableSecret:
        return WRONG_KEY_MESSAGE
    if canary is None:
        EncryptionCanary.objects.create(value=EncryptionCanary.KNOWN_TEXT)
        return None
    return None if canary.value == EncryptionCanary.KNOWN_TEXT else WRONG_KEY_MESSAGE


@checks.register(checks.Tags.database)
def check_encryption_key(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Run by ``migrate`` (startup.sh runs it before serving): a wrong key stops startup."""
    if not databases:
        return []
    try:
        problem = encryption_key_problem()
    except DatabaseError:
        return []  # not migrated yet: nothing stored, nothing to compare
    if problem:
        return [checks.Error(problem, id="response.E001")]
    return []
