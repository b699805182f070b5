"""The incident's own channel: created once, set up, renamed, role holders invited (SPEC §6.4)."""
