"""A plugin that reuses a built-in command word: Response must refuse to start with it."""

from slack.decorators import incident_command


@incident_command(["Help"], helptext="Our own help")
def our_help(incident, user_id, message):
    return True, "Ask in #sre"
