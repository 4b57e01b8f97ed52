#!/usr/bin/env python
import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Local convenience: the key `make` created. Production passes SECRET_KEY(_FILE) explicitly.
    local_key = Path(__file__).resolve().parent / "var" / "secret_key"
    if not os.environ.get("SECRET_KEY") and not os.environ.get("SECRET_KEY_FILE") and local_key.exists():
        os.environ["SECRET_KEY_FILE"] = str(local_key)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
