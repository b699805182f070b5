"""Getting the Slack work done, once: how jobs are declared and retried (jobs.py), the worker's
database connector (connector.py), posts promised inside a transaction (outbox.py), posting at
most once across retries (idempotency.py), the record of failed attempts (failed_attempts.py,
models.py) and periodic housekeeping (housekeeping.py)."""
