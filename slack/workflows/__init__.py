"""Optional integrations (SPEC §9), configured in the admin: a workflow row each, enabled or not,
with parameters encrypted at rest. Read fresh from the database on every use, so a change made
in the admin takes effect in every web and worker process without a restart."""
