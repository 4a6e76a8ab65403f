"""``python -m neurosparse`` runs the command-line interface."""

import sys

from neurosparse.cli import main

sys.exit(main())
