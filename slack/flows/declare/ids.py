"""Callback ids of the report and edit modals, shared by the builders and the handlers that answer
them, so the two can never drift apart. The inputs' ids are their fields' names (``fields.py``)."""

REPORT_MODAL = "incident-report-modal"
EDIT_MODAL = "incident-edit-modal"
