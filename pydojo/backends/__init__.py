"""Simulation backends behind one interface: ``get_backend("jax" | "dojo")``.

The JAX engine is the default and complete on its own; the Dojo.jl backend is
imported lazily (it is the only path that starts Julia). ``register`` adds a backend
under a name (a plugin, or a test's own host-side backend); ``as_backend`` turns a name,
a config group (``kind`` + options, conf/backend/) or a backend object into a backend.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable, Union

_BACKENDS: dict[str, Union[str, Callable[..., Any]]] = {
    "jax": "pydojo.backends.jax:JaxBackend", "dojo": "pydojo.backends.dojo:DojoBackend"}


class BackendUnavailableError(RuntimeError):
    """A backend that cannot run on this machine (``backend=dojo`` where Julia cannot start); the message
    says why and how to fix it. ``pydojo-train`` prints it as one line and exits with status 2."""


def names() -> list[str]:
    return sorted(_BACKENDS)


def register(name: str, factory: Callable[..., Any]) -> None:
    """Make ``factory(**options)`` (an ``AbstractBackend``) available as backend ``name``."""
    if name in _BACKENDS:
        raise ValueError(f"backend {name!r} is already registered")
    _BACKENDS[name] = factory


def get_backend(name: str, **options):
    """Instantiate backend ``name`` (``options`` go to its constructor)."""
    if name not in _BACKENDS:
        raise ValueError(f"unknown backend {name!r}; valid backends: {', '.join(names())}")
    factory = _BACKENDS[name]
    if isinstance(factory, str):
        module, cls = factory.split(":")
        factory = getattr(importlib.import_module(module), cls)
    return factory(**options)


def as_backend(spec: Any = None):
    """A backend from ``spec``: None (the JAX engine), a name, a mapping ``{"kind": name, **options}``
    (the ``backend`` config group) or an ``AbstractBackend`` (returned as is)."""
    from pydojo.backends.base import AbstractBackend

    if isinstance(spec, AbstractBackend):
        return spec
    if spec is None:
        return get_backend("jax")
    if isinstance(spec, str):
        return get_backend(spec)
    if hasattr(spec, "items"):
        options = dict(spec)
        if "kind" not in options:
            raise ValueError(f"backend config needs 'kind' (one of {', '.join(names())}); got keys {sorted(options)}")
        return get_backend(str(options.pop("kind")), **options)
    raise ValueError(f"backend must be a name ({', '.join(names())}), a config with 'kind', or a backend object; "
                     f"got {type(spec).__name__}")
