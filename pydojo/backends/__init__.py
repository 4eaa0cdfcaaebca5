"""Simulation backends behind one interface: ``get_backend("jax" | "dojo")``.

The JAX engine is the default and complete on its own; the Dojo.jl backend is
imported lazily (it is the only path that starts Julia).
"""
from __future__ import annotations

import importlib

_BACKENDS = {"jax": "pydojo.backends.jax:JaxBackend", "dojo": "pydojo.backends.dojo:DojoBackend"}


def names() -> list[str]:
    return sorted(_BACKENDS)


def get_backend(name: str, **options):
    """Instantiate backend ``name`` (``options`` go to its constructor)."""
    if name not in _BACKENDS:
        raise ValueError(f"unknown backend {name!r}; valid backends: {', '.join(names())}")
    module, cls = _BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), cls)(**options)
