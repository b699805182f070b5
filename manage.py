#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

In a checkout it uses the same local values as ``make run`` (response/local.py): the secrets in
``.data/local-secrets.env`` and the embedded database, so ``manage.py createsuperuser`` just works.
"""

import os
import sys


def main() -> None:
    from response import local

    # Before the settings module is named: naming one yourself means "no local values".
    local.apply_if_local()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "response.settings")
    from django.core.management import execute_from_command_line

    from response.env import InvalidSetting, MissingSetting
    from slack.registry import DuplicateRegistration

    try:
        execute_from_command_line(sys.argv)
    except (MissingSetting, InvalidSetting, DuplicateRegistration) as error:
        from slack.setup_check import unloadable

        if unloadable.is_doctor(sys.argv):
            # The setup check's own contract: a failed check and exit 1, not a start-up error.
            sys.exit(unloadable.report(error, sys.argv, sys.stdout))
        # A configuration mistake, not a bug: say what to fix, without a traceback.
        sys.stderr.write(f"Response cannot start: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
