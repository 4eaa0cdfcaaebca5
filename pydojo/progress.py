"""Progress for long commands whose work happens inside one compiled call (a figure's study, a benchmark row).

``with heartbeat("fig8"):`` prints ``fig8: started`` to stderr, then every ``every`` seconds a line with the
elapsed time and what it is doing (``status("impact study: 61 heights")`` from inside the work), and
``fig8: done in 6 min 30 s`` at the end. ``PYDOJO_NO_PROGRESS=1`` silences it (as it does the training bar).
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time

_ACTIVE: list["_Heartbeat"] = []


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


class _Heartbeat:
    def __init__(self, label: str, every: float):
        self.label, self.every, self.what = label, every, ""
        self.start = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{label}")

    def _say(self, text: str) -> None:
        print(f"{self.label}: {text}", file=sys.stderr, flush=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            self._say(f"still running after {_elapsed(time.perf_counter() - self.start)}"
                      + (f" ({self.what})" if self.what else ""))


def enabled() -> bool:
    return os.environ.get("PYDOJO_NO_PROGRESS") != "1"


@contextlib.contextmanager
def heartbeat(label: str, every: float = 30.0, note: str = ""):
    """Report start, a line every ``every`` seconds and the total time of the enclosed work."""
    beat = _Heartbeat(label, every)
    if not enabled():
        _ACTIVE.append(beat)
        try:
            yield beat
        finally:
            _ACTIVE.remove(beat)
        return
    beat._say("started" + (f" ({note})" if note else ""))
    _ACTIVE.append(beat)
    beat._thread.start()
    ok = False
    try:
        yield beat
        ok = True
    finally:
        beat._stop.set()
        beat._thread.join()
        _ACTIVE.remove(beat)
        beat._say(("done in " if ok else "stopped after ") + _elapsed(time.perf_counter() - beat.start))


def status(what: str) -> None:
    """Say what the innermost running heartbeat is doing now (printed with its next line)."""
    if _ACTIVE:
        _ACTIVE[-1].what = what
