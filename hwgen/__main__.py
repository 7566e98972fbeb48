"""``python -m hwgen`` and the ``hwgen`` console script.

The first thing either does is install SIGINT/SIGTERM handlers, before numpy, networkx and rich
are imported, so an interrupt during start-up prints one line too; :func:`hwgen.cli.main` then
installs the handlers that clean up half-done work.
"""
from __future__ import annotations

import os
import signal
import sys
from typing import Any


def _interrupted_early(signum: int, frame: Any) -> None:
    sys.stderr.write("hwgen: interrupted\n")
    os._exit(128 + signum)  # nothing has been written yet: no clean-up to run


def run() -> None:
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, _interrupted_early)
    from hwgen.cli import main

    main()


if __name__ == "__main__":
    run()
