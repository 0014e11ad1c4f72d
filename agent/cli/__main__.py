"""``python -m agent.cli``: the ``earthsight`` command line."""

import sys

from agent.cli.main import main

sys.exit(main())
