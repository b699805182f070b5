"""Reminders posted into comms channels by the cron sweep, and the built-in ones (SPEC §6.9, §8)."""
