"""The ``lianke`` console command: every Django management command, plus ``demo``, ``serve``
and ``token`` (see ``lianke help``)."""

import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianke.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lianke", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
