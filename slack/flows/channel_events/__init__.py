"""What happens in a comms channel becomes part of the incident: pins, messages and renames
(SPEC §6.6)."""
