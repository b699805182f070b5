"""What we send Slack: the one client (client.py, honouring ``SLACK_API_BASE_URL``), the errors it
raises (errors.py), the workspace's facts (workspace.py: bot id, central channel) and the guard
that refuses Slack calls inside a handler's transaction (guard.py)."""
