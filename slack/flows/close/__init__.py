"""Closing an incident, and what people are told when it closes (SPEC §6.8)."""
