"""HTTP clients of the services Response integrates with that are not Slack (SPEC §2, §9).

Plain ``requests`` calls with errors that say what went wrong; the Slack side's workflows
(``slack/workflows/``) decide when to call them and tell people the outcome."""
