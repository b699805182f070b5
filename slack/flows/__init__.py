"""One folder per thing a person sees in Slack. Each holds what its flow needs, under the same
names: ``handlers.py`` (what it answers, registered with ``slack.registry``), ``jobs.py`` (its
Slack work), ``blocks.py`` (pure Block Kit builders), ``models.py`` (the Slack-side state it
owns) and ``receivers.py`` (what it does when the incident changes). The app imports every module
at start-up, so a new folder needs no list."""
