"""The lifecycle from Slack (SPEC §14): status moves, roles and milestones.

``@incident status|role|roles|lead|milestone`` (``commands.py``), the Status menu on the headline
(``handlers.py``), commands that must ask Slack who someone is before they can be applied
(``lookup.py``), and what a new role holder is sent (``receivers.py``).
"""
