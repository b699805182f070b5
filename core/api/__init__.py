"""The REST API (SPEC §10): reads through ``core.selectors``, writes through ``core.services``."""
