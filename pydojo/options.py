"""Checking keyword options from configs before anything is built.

``checked_options(target, options, where)`` refuses option names that ``target`` (a class, dataclass or
function) does not accept, listing the valid ones, and values whose type contradicts a simple annotation
(int, float, bool, str, and Optional of them), naming the key: ``fopg.iterations must be an integer,
got 'abc'`` instead of ``invalid literal for int()`` from deep inside the constructor.
"""
from __future__ import annotations

import inspect
import typing
from typing import Any, Callable, Iterable

_WORDS = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def accepted_names(target: Callable, skip: Iterable[str] = ()) -> list[str]:
    """Keyword names ``target`` accepts (its signature's named parameters, minus ``skip``)."""
    params = inspect.signature(target).parameters.values()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return sorted(p.name for p in params if p.kind in kinds and p.name not in set(skip) | {"self"})


def _hints(target: Callable) -> dict[str, Any]:
    try:
        return typing.get_type_hints(target.__init__ if inspect.isclass(target) else target)
    except Exception:  # an annotation that does not resolve: no type checks, names are still checked
        return {}


def _simple(annotation) -> tuple[type | None, bool]:
    """(base type, None allowed) for int/float/bool/str or Optional of one; (None, _) otherwise."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType", None)) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 and rest[0] in _WORDS else None), True
    return (annotation if annotation in _WORDS else None), False


def _fits(value, base: type) -> bool:
    if base is bool:
        return isinstance(value, bool)
    if base is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if base is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, base)


class UnknownOptions(ValueError):
    """Option names ``target`` does not accept; ``where`` is the config group, ``names`` the bad keys."""

    def __init__(self, message: str, where: str, names: list[str]):
        super().__init__(message)
        self.where, self.names = where, names


def checked_options(target: Callable, options: dict, where: str, skip: Iterable[str] = (), label: str = "") -> dict:
    """``options`` if every name is accepted by ``target`` and every value fits its simple annotation;
    otherwise ``ValueError`` naming ``where``.key (``label`` is added to the group's name in messages, e.g.
    "(kind mlp)"), what was given and what is allowed."""
    valid = accepted_names(target, skip)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise UnknownOptions(f"unknown option(s) {unknown} in {where}{label}; valid options: {', '.join(valid)}", where, unknown)
    hints = _hints(target)
    for name, value in options.items():
        base, optional = _simple(hints.get(name))
        if base is None or (optional and value is None) or _fits(value, base):
            continue
        allowed = _WORDS[base] + (" or null" if optional else "")
        raise ValueError(f"{where}.{name} must be {allowed}, got {value!r}")
    return options
