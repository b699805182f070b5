"""Paging through PagerDuty (SPEC §9): ``@incident escalate``, team buttons, Page on-call."""
