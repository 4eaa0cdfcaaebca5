"""``python -m pydojo.bench NAME [--quick]``: run benchmark module ``pydojo.bench.NAME``.

Benchmarks print tables measured in one run; they are commands, never timed tests.
"""
import importlib
import pkgutil
import sys

import pydojo.bench as _pkg
from pydojo.progress import heartbeat


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(_pkg.__path__) if not m.name.startswith("_"))


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in available():
        got = argv[0] if argv else "nothing"
        raise SystemExit(f"usage: python -m pydojo.bench NAME [--quick]; got {got!r}; NAME is one of {available()}")
    with heartbeat(f"bench {argv[0]}"):  # tables go to stdout, progress lines to stderr
        importlib.import_module(f"pydojo.bench.{argv[0]}").main(argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
