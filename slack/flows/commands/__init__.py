"""``@incident <command>`` in a comms channel, and the built-in commands (SPEC §6.5)."""
