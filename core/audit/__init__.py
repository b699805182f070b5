"""The audit log (SPEC §18): every change, who made it, through what, before and after.

``recorder`` writes the entries (``core.models.AuditEntry``) from model signals, driven by a table
of audited models; ``selectors`` reads them for the admin, the incident's page and the API. The
database refuses updates and deletes of entries (migration ``0010_audit_log``).
"""
