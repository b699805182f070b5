"""An incident's lifecycle (SPEC §14): statuses and their moves, milestones and their order, the
times people type, and the four numbers measured from the milestones.

These modules are pure rules (no database); ``core.services`` applies them inside its
transactions, so Slack, the web UI, the API and the admin all obey the same table.
"""
