"""Posting an incident on Statuspage (SPEC §9): ``@incident statuspage``, its form and jobs."""
