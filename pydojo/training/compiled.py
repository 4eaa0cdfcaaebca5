"""Compilation hygiene for the trainers: one XLA compilation per jitted function and run, reused across
runs through the persistent cache.

Two things made a FOPG run compile its biggest functions (the true-system rollout, the gradient
through the model unroll) several times (found with ``JAX_LOG_COMPILES=1``):

* jit's cache key includes each argument's placement: an array fresh from ``jnp``/``PRNGKey`` is
  *uncommitted*, the output of a jitted function is *committed* to its device, so the same function
  called first with fresh arrays and then with its own outputs compiled twice (iterations 0 and 1).
  ``committed_jit`` places every array argument on the default device before each call.
* functions jitted inside a loop (``jax.jit(lambda ...)`` per model fit) compile on every call; the
  trainers keep module-level jitted functions that take the data as arguments instead.

``enable_compilation_cache`` turns on JAX's persistent cache (``PYDOJO_JAX_CACHE=<dir>``) so seeds
of a sweep and restarted runs load the executables instead of compiling them again. XLA does not
persist executables that contain host callbacks, which ``eqx.error_if`` inserts in its default
"raise" mode, so with the cache on (and ``EQX_ON_ERROR`` unset) runtime checks switch to "nan".
"""
from __future__ import annotations

import functools
import os

import equinox as eqx
import equinox._errors as equinox_errors
import jax
from jax.experimental.compilation_cache import compilation_cache

__all__ = ["committed", "committed_jit", "enable_compilation_cache"]


def committed(tree):
    """``tree`` with every ``jax.Array`` leaf committed to the default device (other leaves untouched)."""
    device = jax.devices()[0]
    return jax.tree_util.tree_map(lambda x: jax.device_put(x, device) if isinstance(x, jax.Array) else x, tree)


def committed_jit(fn):
    """``eqx.filter_jit(fn)`` whose array arguments are committed first (one compilation per static signature)."""
    compiled = eqx.filter_jit(fn)

    @functools.wraps(fn)
    def call(*args, **kwargs):
        return compiled(*committed(args), **committed(kwargs))

    return call


def enable_compilation_cache() -> bool:
    """Persist XLA compilations across processes when PYDOJO_JAX_CACHE names a folder; returns whether on.
    Compilations that took at least PYDOJO_JAX_CACHE_MIN_SECS seconds (default 1) are stored.

    JAX decides once per process, at its first compilation, whether the persistent cache is used; config
    building already compiles small functions, so the decision is reset here after the folder is set."""
    path = os.environ.get("PYDOJO_JAX_CACHE", "")
    if not path:
        return False
    minimum = os.environ.get("PYDOJO_JAX_CACHE_MIN_SECS", "1.0")
    try:
        minimum = float(minimum)
    except ValueError:
        raise ValueError(f"PYDOJO_JAX_CACHE_MIN_SECS must be a number of seconds, got {minimum!r}") from None
    if not minimum >= 0:
        raise ValueError(f"PYDOJO_JAX_CACHE_MIN_SECS must be >= 0 seconds, got {minimum}")
    if "EQX_ON_ERROR" not in os.environ:
        # XLA refuses to persist executables with host callbacks, and eqx.error_if's default ("raise") is
        # one: with the cache on, runtime checks poison values with NaN instead (the trainer raises on a
        # non-finite true-system return). An explicit EQX_ON_ERROR is respected.
        equinox_errors.EQX_ON_ERROR = "nan"
    if jax.config.jax_compilation_cache_dir != path:
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", minimum)
        compilation_cache.reset_cache()
    return True
