#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "response.settings")
    from django.core.management import execute_from_command_line

    from response.env import MissingSetting
    from slack.registry import DuplicateRegistration

    try:
        execute_from_command_line(sys.argv)
    except (MissingSetting, DuplicateRegistration) as error:
        # A configuration mistake, not a bug: say what to fix, without a traceback.
        sys.stderr.write(f"Response cannot start: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
