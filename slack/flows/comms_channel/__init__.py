"""The incident's own channel: created once, set up, renamed, its new lead invited (SPEC §6.4)."""
