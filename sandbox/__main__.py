"""`python -m sandbox`: serve the fake upstream APIs (see sandbox.server.main)."""

import sys

from sandbox.server import main

sys.exit(main())
