"""Entry point of the self-contained (PyInstaller) collector build: ``xlapulse-collector``.

Reads its command line; writes nothing itself. It runs the ``xlapulse`` CLI, except when
the collector's lean exec (collectors/agent/handoff.py) re-executes this binary as
``<binary> -m xlapulse.collectors.agent.runtime --config-fd N``: a frozen binary has no
``-m``, so this file runs that module itself.
"""

from __future__ import annotations

import runpy
import sys

RUNTIME_MODULE = "xlapulse.collectors.agent.runtime"


def main() -> None:
    if sys.argv[1:3] == ["-m", RUNTIME_MODULE]:
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(RUNTIME_MODULE, run_name="__main__", alter_sys=True)
        return
    from xlapulse.collectors.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
