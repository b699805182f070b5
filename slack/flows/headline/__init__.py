"""The headline post in the central channel: posted, kept up to date, its buttons (SPEC §6.3)."""
