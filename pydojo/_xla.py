"""XLA:CPU settings pydojo needs before JAX creates its CPU backend.

jaxlib 0.10.1's CPU fusion emitters compile some batched programs with nested while loops into a loop
that never ends: a 32-, 64- or 256-wide ``vmap`` of the OCP interior point spins one core forever in a
``WhileThunk`` (gdb: ``log_reduce_fusion`` inside ``WhileThunk::ExecuteWhileLoop``), while 8 or 16 lanes,
or the same problems one at a time, finish in milliseconds. The legacy emitters
(``--xla_cpu_use_fusion_emitters=false``) compile the same programs correctly at every batch size
tried (8–256, cartpole H = 30 and quadrotor H = 50), so importing pydojo adds that flag to ``XLA_FLAGS``.
An ``XLA_FLAGS`` that already sets ``xla_cpu_use_fusion_emitters`` is left alone; if JAX's backend
was created before pydojo was imported, the flag cannot take effect and a warning says so.
"""
from __future__ import annotations

import os
import warnings

FUSION_EMITTERS_OFF = "--xla_cpu_use_fusion_emitters=false"


def configure() -> bool:
    """Add FUSION_EMITTERS_OFF to XLA_FLAGS unless the caller chose; True if it is (or will be) in effect."""
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_use_fusion_emitters" in flags:
        return FUSION_EMITTERS_OFF in flags.split()
    from jax._src import xla_bridge

    if xla_bridge.backends_are_initialized():
        warnings.warn("pydojo was imported after JAX created its CPU backend, so XLA_FLAGS cannot get "
                      f"{FUSION_EMITTERS_OFF}: batched solves (vmap of 32 or more OCP solves) may hang. Import "
                      "pydojo first, or set XLA_FLAGS=" + FUSION_EMITTERS_OFF + " before starting Python.",
                      RuntimeWarning, stacklevel=3)
        return False
    os.environ["XLA_FLAGS"] = f"{flags} {FUSION_EMITTERS_OFF}".strip()
    return True
