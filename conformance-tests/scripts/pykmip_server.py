#!/usr/bin/env python3
"""PyKMIP's own KMIP server (what its `pykmip-server` script runs), started through
pykmip_compat so it also runs on Python 3.12+. kmip-bench starts it with the .venv's Python:

    pykmip_server.py -f server.conf -l server.log
"""

import sys

import pykmip_compat  # noqa: F401 - before PyKMIP

from kmip.services.server.server import main

if __name__ == "__main__":
    sys.exit(main())
