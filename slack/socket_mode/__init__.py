"""Socket Mode (SPEC §17): Slack's deliveries over a WebSocket that Response opens.

``listener`` answers each envelope through the same dispatch as the HTTP views; ``connection``
holds the connection with slack_sdk's built-in client, which reconnects when Slack asks
(``disconnect``) or the connection drops. ``manage.py slack_socket`` runs it.
"""
