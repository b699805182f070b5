"""Optional integrations (SPEC §9), configured in the admin: a workflow row each, enabled or not,
with parameters encrypted at rest. Read fresh from the database on every use, so a change made
in the admin takes effect in every web and worker process without a restart.

**The interface.** A workflow is a folder here (``pagerduty/``, ``statuspage/``): its
``handlers.py`` and ``blocks.py``, and its parameters in ``definitions.py``. It reaches people
through the same three decorators of ``slack.registry`` that plugins use, and nothing else:
``@incident_command`` (its words), ``@action_handler`` (its buttons and forms) and
``@headline_button`` (a button on the headline, or None while the workflow is disabled). So
nothing outside this folder names a workflow, and adding one touches only its own folder (and
its definition). Its HTTP client lives outside ``slack/``, in ``integrations/``.
"""
