"""Reading settings from the environment (SPEC §3).

Every value comes from the environment, after ``.env`` has been loaded with python-dotenv. A
required secret that is missing stops startup with an error naming it and where to get it.
"""

from __future__ import annotations

import base64
import hashlib
import os

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class MissingSetting(ImproperlyConfigured):
    """A required variable is unset; the message says which and where it comes from."""


class InvalidSetting(ImproperlyConfigured):
    """A variable holds something unusable; the message says which and what it should hold."""


def env_str(name: str, default: str = "") -> str:
    """The variable's value; set but empty counts as unset (``FOO=`` in .env keeps the default)."""
    return (os.environ.get(name) or "").strip() or default


def env_required(name: str, where: str) -> str:
    """Return a required variable, or stop startup naming it and where to get it."""
    value = env_str(name)
    if not value:
        raise MissingSetting(
            f"{name} is not set. {where} Set it in the environment or in .env "
            "(env.example lists every variable)."
        )
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = env_str(name).lower()
    if not raw:
        return default
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of on/off, true/false, 1/0; got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """A whole number of at least ``minimum``; anything else stops startup naming the variable."""
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ImproperlyConfigured(
            f"{name} must be a whole number of {minimum} or more; got {raw!r}."
        )
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# Salted and stretched, unlike a bare SHA-256 of the passphrase.
KDF_SALT = b"response:encrypted-fields:v1"
KDF_ITERATIONS = 200_000


def derive_fernet_key(passphrase: str) -> str:
    """The Fernet key for ``ENCRYPTED_FIELD_KEY``, a passphrase of any length (PBKDF2-SHA256)."""
    raw = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), KDF_SALT, KDF_ITERATIONS)
    return base64.urlsafe_b64encode(raw).decode()
