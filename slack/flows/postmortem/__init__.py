"""The postmortem from Slack (SPEC §16): ``@incident postmortem``, and follow-up owners' daily
overdue DM with its **Mark done** buttons."""
