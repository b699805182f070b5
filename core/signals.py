"""Domain signals: how ``core`` tells the rest of Response that an incident changed.

``core`` never imports ``slack`` or ``ui``; they subscribe here instead.

Each signal is sent **inside the writing transaction, just before it commits**. Receivers must only
touch the database (typically: defer a job). What they write commits or rolls back together with
the change itself, so a change is never committed without the work it promised, and work is never
queued for a change that rolled back. Nothing a receiver defers is visible to a worker before the
commit, so in effect the work happens on commit. A receiver that raises aborts the change.
"""

from django.dispatch import Signal

incident_declared = Signal()
"""A new incident was declared.

kwargs: ``incident`` (Incident), ``actor`` (ExternalUser or None).
"""

incident_updated = Signal()
"""Fields of an open or closed incident changed.

kwargs: ``incident`` (Incident, after the change), ``actor`` (ExternalUser or None),
``changes`` (dict of name -> (old value, new value); only what really changed). Names are the
incident's fields, ``status``, ``lead``, ``role:<name>`` for a role and ``milestone:<kind>``.
"""

incident_closed = Signal()
"""An incident was resolved (its end time set). Also sent with ``incident_updated``.

kwargs: ``incident`` (Incident), ``actor`` (ExternalUser or None).
"""

role_assigned = Signal()
"""Someone was given an incident role (or it was taken away).

kwargs: ``incident`` (Incident), ``actor`` (ExternalUser or None), ``change``
(``core.services.lifecycle.RoleChange``: ``role``, ``old`` and ``new`` holder, either may be None).
"""

update_shared = Signal()
"""An update was shared (SPEC §15).

kwargs: ``incident`` (Incident), ``update`` (Update), ``actor`` (ExternalUser or None).
"""
