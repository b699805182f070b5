"""Secrets at rest: encrypted with a key derived from ``ENCRYPTED_FIELD_KEY`` (see
``response.env.derive_fernet_key``), and never read back silently wrong.

django-encrypted-model-fields hands back the ciphertext itself when it cannot decrypt a value,
which would send gibberish to Statuspage or PagerDuty as if it were a key. The field here raises
``UnreadableSecret`` instead, and a stored canary lets startup and the admin say that the key is
not the one the secrets were saved with.
"""

from __future__ import annotations

import cryptography.fernet
from encrypted_model_fields import fields as encrypted_fields

WRONG_KEY_MESSAGE = (
    "ENCRYPTED_FIELD_KEY is not the key the stored secrets were encrypted with, so they cannot "
    "be read. Set it back to the value used when they were saved, or enter the workflow secrets "
    "again in the admin after changing it."
)


class UnreadableSecret(Exception):
    """A stored secret does not decrypt with the configured key."""

    def __init__(self) -> None:
        super().__init__(WRONG_KEY_MESSAGE)


class StrictEncryptedTextField(encrypted_fields.EncryptedTextField):
    """An encrypted text column that refuses to return what it cannot decrypt."""

    def from_db_value(self, value, *args, **kwargs):
        if value is None or value == "":
            return value
        try:
            return encrypted_fields.decrypt_str(value)
        except cryptography.fernet.InvalidToken as error:
            raise UnreadableSecret from error
