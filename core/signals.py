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
``changes`` (dict of field name -> (old value, new value); only fields that really changed).
"""

incident_closed = Signal()
"""An open incident was closed (its end time set).

kwargs: ``incident`` (Incident), ``actor`` (ExternalUser or None).
"""
