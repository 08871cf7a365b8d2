"""Run a ``%kernel mainline`` scenario on the real Linux kernel and set it beside the simulator.

``mapviz run --real`` is built from small parts:

* :mod:`~mapviz.realkernel.support` -- what the real kernel can run, and
  whether this machine can (root, loop devices, xfsprogs);
* :mod:`~mapviz.realkernel.testbed` -- a fresh loop-mounted XFS or ext4 and
  its guaranteed removal (mount, loop device, image, active swapfiles), even
  on Ctrl-C or SIGTERM;
* :mod:`~mapviz.realkernel.xfsio` -- one interactive xfs_io process;
* :mod:`~mapviz.realkernel.recorder` -- the steps, recorded in the shape of
  ``mapviz run --json`` (FIEMAP without FIEMAP_FLAG_SYNC after each step);
* :mod:`~mapviz.realkernel.normalise` -- the conformance suite's
  normalisation and the step-by-step comparison;
* :mod:`~mapviz.realkernel.runner` and :mod:`~mapviz.realkernel.sidebyside`
  -- the whole run, and its text.

How the truth is taken follows ``docs/conformance.md``.
"""

from mapviz.realkernel.errors import OracleFailureError, RealKernelUnavailableError
from mapviz.realkernel.normalise import Divergence, StepPair, compare_runs, pair_steps
from mapviz.realkernel.runner import RealRun, record, run_real
from mapviz.realkernel.support import check_machine, check_runnable, machine_problem

__all__ = [
    "Divergence",
    "OracleFailureError",
    "RealKernelUnavailableError",
    "RealRun",
    "StepPair",
    "check_machine",
    "check_runnable",
    "compare_runs",
    "machine_problem",
    "pair_steps",
    "record",
    "run_real",
]
