"""Known-harmless notices of pydojo's dependencies, silenced at their source.

* ``mujoco.mjx`` prints "Failed to import warp: …" and "Failed to import mujoco_warp: …" on import
  when NVIDIA Warp is absent (pydojo never uses MJX's Warp backend): ``import_mjx`` captures the import's
  stdout and passes on every other line.
* ``mjx.put_model`` logs "Using JAX default device: …" at INFO on the root logger each time it is called,
  and JAX logs "Unable to initialize backend 'tpu' …" when it creates its backends: ``install`` adds a
  filter that removes those records (Hydra shows INFO records on the console and in train.log).
"""
from __future__ import annotations

import contextlib
import io
import logging
import sys

_WARP_NOTICES = ("Failed to import warp:", "Failed to import mujoco_warp:")
_LOG_NOTICES = ("Using JAX default device", "Unable to initialize backend 'tpu'")


class DropNotices(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_LOG_NOTICES)


def import_mjx():
    """``mujoco.mjx``, imported without its Warp-probe notices."""
    if "mujoco.mjx" not in sys.modules:
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            import mujoco.mjx  # noqa: F401,PLC0415
        for line in captured.getvalue().splitlines():
            if not line.startswith(_WARP_NOTICES):
                print(line)
    return sys.modules["mujoco.mjx"]


def install() -> None:
    """Filter the known notices from the loggers that emit them (idempotent)."""
    for name in ("", "jax._src.xla_bridge"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropNotices) for f in logger.filters):
            logger.addFilter(DropNotices())
