"""Action and callback ids of the updates flow: its buttons (on the headline, in the channel and on
reminders) and the update modal's inputs, each block id the same as its element's action id."""

SHARE_UPDATE = "share-update-button"
FOLLOW = "follow-incident-button"
UNFOLLOW = "unfollow-incident-button"

UPDATE_MODAL = "share-update-modal"
STATUS = "update_status"
IMPACT = "update_impact"
WHAT_CHANGED = "update_what_changed"
NEXT_STEPS = "update_next_steps"
NEXT_UPDATE_IN = "update_next_update_in"
