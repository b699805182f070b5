"""Action ids of the lifecycle flow. The Status menu sits on the headline; its id lives here, with
the flow that answers it."""

STATUS_MENU = "incident-status-menu"
