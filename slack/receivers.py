"""Reactions of the Slack side to ``core.signals``: they defer Slack work as jobs, inside the
transaction that made the change (see ``core.signals``)."""
