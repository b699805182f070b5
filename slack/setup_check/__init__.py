"""The setup check (SPEC §17): ``manage.py doctor`` and the admin's *Setup check* page.

Each check is a small function registered in ``checks.py`` (the table is ``registry.CHECKS``, in
the order they are shown); each answers ``ok``, ``warn`` or ``fail``, a failure with the exact
fix. The fix texts live in ``fixes.py``, shared with the lookups Response makes at run time.
"""
