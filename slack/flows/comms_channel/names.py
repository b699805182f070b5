"""Readable, valid Slack channel names for comms channels (SPEC §6.4).

Slack never rewrites a name given to ``conversations.create``: it refuses anything but lowercase
letters, digits, ``-`` and ``_``, and anything longer than 80 characters. So the name is built
here, from the incident id and its title: ``inc-<id>-<slug>``, then ``inc-<id>-<slug>-2``,
``-3`` … when a name is taken.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 80
PREFIX = "inc"

# Letters that Unicode decomposition leaves alone but that have a usual ASCII spelling.
_TRANSLITERATIONS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "\u0131": "i",  # dotless i
    }
)
_NOT_ALLOWED = re.compile(r"[^a-z0-9_]+")


def slugify(text: str) -> str:
    """``text`` in the characters Slack allows: lowercase ``a-z0-9_`` words joined by ``-``.

    Accents are removed (``é`` → ``e``) and a few letters spelled out (``ß`` → ``ss``); every
    other run of characters, hyphens included, becomes one ``-``. No ``-`` at either end.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    ascii_ish = without_marks.lower().translate(_TRANSLITERATIONS)
    return _NOT_ALLOWED.sub("-", ascii_ish).strip("-")


def channel_name(incident_id: int, title: str, suffix: int = 0) -> str:
    """The channel name for an incident: ``inc-<id>-<slug of title>``, at most 80 characters.

    ``suffix`` 2, 3 … gives the alternatives used when the name is taken (``…-2``); 0 or 1 is
    the plain name. The slug is cut to fit, at a word boundary when one is near. A title with
    nothing usable in it gives ``inc-<id>``.
    """
    if suffix < 0:
        raise ValueError(f"suffix must be 0 or more, not {suffix}")
    prefix = f"{PREFIX}-{int(incident_id)}"
    ending = f"-{suffix}" if suffix >= 2 else ""
    room = MAX_LENGTH - len(prefix) - len(ending) - 1  # 1 for the "-" before the slug
    if room < 0:
        raise ValueError(f"incident id {incident_id} is too long for a channel name")
    slug = _shorten(slugify(title), room)
    return f"{prefix}-{slug}{ending}" if slug else f"{prefix}{ending}"


def _shorten(slug: str, room: int) -> str:
    if len(slug) <= room:
        return slug
    cut = slug[:room]
    if slug[room] != "-":
        # Drop the last, cut-off word when that loses little; keep the cut otherwise.
        boundary = cut.rfind("-")
        if boundary >= room * 2 // 3:
            cut = cut[:boundary]
    return cut.strip("-")
