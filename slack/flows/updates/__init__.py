"""Updates on a promised cadence, followers, and catching up (SPEC §15)."""
