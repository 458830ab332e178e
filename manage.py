#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.local")
    # Imported once the settings module is chosen, as in Django's own manage.py template.
    from django.core.management import execute_from_command_line

    from config.secrets import StageConfigurationError

    try:
        execute_from_command_line(sys.argv)
    except StageConfigurationError as exc:
        # A stage that cannot start says what is missing in one line, not a traceback.
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
