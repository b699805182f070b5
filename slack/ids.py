"""Action ids and modal callback ids, shared by the block builders and the handlers that answer
them, so the two can never drift apart."""

# Buttons on the headline post.
CREATE_COMMS_CHANNEL = "create-comms-channel-button"
EDIT_INCIDENT = "edit-incident-button"
CLOSE_INCIDENT = "close-incident-button"
PAGE_ON_CALL = "page-on-call-button"

# Buttons of the escalation message (@incident escalate).
PAGE_TEAM = "page-team-button"

# Modals (callback ids).
REPORT_MODAL = "incident-report-modal"
EDIT_MODAL = "incident-edit-modal"

# Inputs of the report / edit modal (action ids inside the view state).
TITLE_INPUT = "title"
REPORT_KIND_INPUT = "report_kind"
SUMMARY_INPUT = "summary"
IMPACT_INPUT = "impact"
LEAD_INPUT = "lead"
SEVERITY_INPUT = "severity"
