"""XLA:CPU settings pydojo needs before JAX creates its CPU backend (jaxlib 0.10.1, 2-core machines).

Two different hangs of batched programs, both found with gdb on the stuck process:

* **A loop that never ends.** The CPU *fusion emitters* compile a 32-, 64- or 256-wide ``vmap`` of the OCP
  interior point into a while loop that never exits: one core spins in ``log_reduce_fusion`` inside
  ``WhileThunk::ExecuteWhileLoop``, while 8 or 16 lanes, or the same problems one at a time, finish in
  milliseconds. ``--xla_cpu_use_fusion_emitters=false`` (the legacy emitters) compiles them correctly.
* **A deadlock (not fixed).** MJX's own step on ant at batch 256 stops with 0 % CPU: both pool threads sit
  in jaxlib's LAPACK ``ParallelBatchMap``, each waiting for work queued behind the other. It happened in 1 of
  3 runs with the default flags and in 6 of 6 with the fusion emitters off. With
  ``--xla_cpu_enable_concurrency_optimized_scheduler=false`` as well it finished 3 of 3 times, but that
  combination made another program spin forever (``tests/estimators/test_known_gradients.py``'s randomized
  smoothing test under the suite's opt-level-0 flags), so it is not set globally. The engine benchmark
  measures MJX in child processes that get the scheduler flag (``pydojo.bench.engine.MJX_CHILD_XLA_FLAGS``;
  ant at batch 256 then finishes in one batch, tests/bench/test_engine_watchdog.py) and keeps its
  kill-and-retry watchdog as the backstop. Your own program that vmaps ``mjx.step`` that wide should set
  ``XLA_FLAGS=--xla_cpu_enable_concurrency_optimized_scheduler=false`` before importing JAX.

Importing pydojo adds the fusion-emitter flag to ``XLA_FLAGS`` unless the caller's ``XLA_FLAGS`` sets it. If
JAX's backend was created before pydojo was imported the flags cannot take effect, and a warning says so.
"""
from __future__ import annotations

import os
import warnings

FLAGS = {"xla_cpu_use_fusion_emitters": "false"}


def configure() -> bool:
    """Add FLAGS to XLA_FLAGS where the caller did not choose; True if all of ours are (or will be) in effect."""
    flags = os.environ.get("XLA_FLAGS", "")
    missing = [f"--{name}={value}" for name, value in FLAGS.items() if name not in flags]
    if not missing:
        return all(f"--{name}={value}" in flags.split() for name, value in FLAGS.items())
    from jax._src import xla_bridge

    if xla_bridge.backends_are_initialized():
        warnings.warn("pydojo was imported after JAX created its CPU backend, so XLA_FLAGS cannot get "
                      f"{' '.join(missing)}: batched solves (vmap of 32 or more OCP solves) may hang. Import "
                      "pydojo first, or set XLA_FLAGS before starting Python.",
                      RuntimeWarning, stacklevel=3)
        return False
    os.environ["XLA_FLAGS"] = " ".join([flags, *missing]).strip()
    return True
