"""What Slack sends us: the signature check (signature.py), typed parsing (parsing.py), the views
Slack calls (views.py), dispatch to the registered handlers (dispatch.py), accepting each delivery
once (dedup.py) and the small pool that opens modals just after answering (after_response.py).
HTTP requests and, later, Socket Mode envelopes share everything after parsing."""
