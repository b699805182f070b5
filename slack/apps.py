from django.apps import AppConfig


class SlackConfig(AppConfig):
    name = "slack"
    verbose_name = "Slack"

    def ready(self) -> None:
        # Import order matters: built-in handlers register first, then plugins, so a plugin that
        # reuses a built-in key fails with a message naming both places.
        from slack import handlers, receivers  # noqa: F401
        from slack.plugins import load_plugins
        from slack.workflows import keycheck  # noqa: F401 (registers the startup check)

        load_plugins()
