"""Action ids of the overdue DM's buttons: Slack keeps them in messages already sent."""

MARK_DONE = "follow-up-mark-done-button"
