"""Declaring an incident with ``/incident``, and editing it from the headline (SPEC §6.1, 6.2,
6.7)."""
