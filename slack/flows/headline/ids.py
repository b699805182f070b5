"""Action ids of the headline's buttons. Each button is answered by its own flow (declare, close,
comms_channel); the ids live here, with the headline that shows them."""

CREATE_COMMS_CHANNEL = "create-comms-channel-button"
EDIT_INCIDENT = "edit-incident-button"
CLOSE_INCIDENT = "close-incident-button"
