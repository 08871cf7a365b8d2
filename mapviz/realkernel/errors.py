"""Why a scenario cannot be run on the real kernel: one line each, never a traceback."""

from __future__ import annotations

from mapviz.errors import MapvizError


class RealKernelUnavailableError(MapvizError):
    """This machine cannot run the real kernel side (not root, no loop devices, no xfs_io).

    Exit status 2, like any other input the command cannot work with.
    """


class OracleFailureError(MapvizError):
    """The machine failed while running (mkfs, mount or xfs_io misbehaved, a timeout).

    Exit status 3, as the shared recorder uses: neither the scenario nor the
    simulator is at fault, so it must not read as a divergence (1) or bad
    input (2).  Everything mounted has been cleaned up when this is raised.
    """

    exit_status = 3
