"""Environment registry: ``make(name, **overrides)`` with a locked default config.

Unknown names and unknown keys are rejected with the list of valid ones, as in
mujoco_playground's registry. Factories register themselves on import of
``pydojo.envs``.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

_REGISTRY: dict[str, "_Entry"] = {}


@dataclasses.dataclass(frozen=True)
class _Entry:
    factory: Callable[..., Any]
    defaults: dict[str, Any]
    description: str


def register(name: str, factory: Callable[..., Any], defaults: dict[str, Any], description: str = "") -> None:
    """Register ``factory(**config)`` under ``name`` with its complete default config."""
    if name in _REGISTRY:
        raise ValueError(f"environment {name!r} is already registered")
    _REGISTRY[name] = _Entry(factory, dict(defaults), description)


def names() -> list[str]:
    """All registered environment names, sorted."""
    return sorted(_REGISTRY)


def default_config(name: str) -> dict[str, Any]:
    """A copy of the default config of ``name``."""
    return dict(_entry(name).defaults)


def _entry(name: str) -> _Entry:
    if name not in _REGISTRY:
        raise ValueError(f"unknown environment {name!r}; valid names: {', '.join(names())}")
    return _REGISTRY[name]


def make(name: str, **overrides: Any) -> Any:
    """Build environment ``name``; ``overrides`` must be keys of its default config."""
    entry = _entry(name)
    unknown = sorted(set(overrides) - set(entry.defaults))
    if unknown:
        raise ValueError(
            f"unknown option(s) {unknown} for environment {name!r}; "
            f"valid options: {', '.join(sorted(entry.defaults))}"
        )
    config = {**entry.defaults, **overrides}
    return entry.factory(**config)
