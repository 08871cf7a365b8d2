import sys

from mapviz.cli import main

sys.exit(main())
