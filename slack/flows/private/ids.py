"""Action ids of the private incident flow's buttons, shared by its builders and handlers."""

REQUEST_ACCESS = "private-request-access-button"
APPROVE_ACCESS = "private-approve-access-button"
DENY_ACCESS = "private-deny-access-button"
