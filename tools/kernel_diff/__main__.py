"""``python -m tools.kernel_diff``: see :mod:`tools.kernel_diff.cli`."""

import sys

from tools.kernel_diff.cli import main

sys.exit(main())
