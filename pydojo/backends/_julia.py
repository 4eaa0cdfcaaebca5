"""The one module that touches Julia: starts it through juliacall and calls PyDojoBridge.

Imported lazily (only by ``pydojo.backends.dojo`` when ``backend=dojo`` is used), in the
style of PySR's ``julia_import.py``: the ``PYTHON_JULIACALL_*`` variables are set before
juliacall is imported, juliacall's first import installs Julia and the packages pinned in
``pydojo/juliapkg.json`` (Dojo 0.7.1, DojoEnvironments, and the local ``julia/`` package),
then ``seval("using PyDojoBridge")`` loads the bridge.

Julia may only be entered from the thread that started it, while ``jax.pure_callback``
may run its callback on an XLA worker thread. So Julia is started on, and every call is
run on, one dedicated thread (``_JULIA_THREAD``); callers block on the result.

Any failure to start (juliacall missing, Julia download impossible, package resolution or
precompilation failing) raises ``JuliaUnavailableError`` naming the cause and pointing to
the README's "Julia backend" section.
"""
from __future__ import annotations

import concurrent.futures
import os
import threading
from typing import Any, Callable

import numpy as np

README_SECTION = 'README.md, section "Julia backend"'

# Values PySR uses; threads=1 because Dojo is single-threaded and a single Julia thread
# avoids the multi-threaded-GC segfaults reported for PythonCall (JuliaPy/PythonCall.jl#219).
JULIACALL_ENVIRONMENT = {
    "PYTHON_JULIACALL_HANDLE_SIGNALS": "yes",
    "PYTHON_JULIACALL_THREADS": "1",
    "PYTHON_JULIACALL_OPTLEVEL": "3",
}

INSTALL_HINT = (
    "Install the optional dependency with `pip install -e '.[julia]'` (juliacall) from a source "
    "checkout, on a machine with internet access for the first run: juliacall then downloads "
    "a Julia matching pydojo/juliapkg.json and installs Dojo.jl 0.7.1 (several minutes). "
    "Or put a compatible `julia` (1.9 or 1.10) on PATH / set PYTHON_JULIAPKG_EXE. "
    f"See {README_SECTION}."
)


class JuliaUnavailableError(RuntimeError):
    """Julia (or the Dojo.jl packages) could not be started; the message says why and how to fix it."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"Julia could not be started for the dojo backend: {reason}\n{INSTALL_HINT}")


_JULIA_THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="pydojo-julia")
_lock = threading.Lock()
_state: dict[str, Any] = {"main": None, "error": None, "functions": {}}


def _start() -> Any:
    """Import juliacall and load PyDojoBridge (runs on the Julia thread)."""
    for key, value in JULIACALL_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    try:
        import juliacall  # noqa: PLC0415  (lazy on purpose)
    except ImportError as exc:
        raise JuliaUnavailableError(f"the Python package juliacall is not installed ({exc})") from exc
    except Exception as exc:  # juliacall installs/starts Julia on import; anything can fail there
        raise JuliaUnavailableError(f"importing juliacall failed: {type(exc).__name__}: {exc}") from exc
    main = juliacall.Main
    try:
        main.seval("using PyDojoBridge")
    except Exception as exc:
        raise JuliaUnavailableError(
            f"Julia started but `using PyDojoBridge` failed: {type(exc).__name__}: {exc}"
        ) from exc
    return main


def julia() -> Any:
    """juliacall's ``Main`` with PyDojoBridge loaded; raises JuliaUnavailableError if that is impossible.

    A failure is remembered: later calls raise the same error without retrying.
    """
    with _lock:
        if _state["main"] is None:
            if _state["error"] is not None:
                raise JuliaUnavailableError(_state["error"].reason)
            try:
                _state["main"] = _JULIA_THREAD.submit(_start).result()
            except JuliaUnavailableError as exc:
                _state["error"] = exc
                raise
        return _state["main"]


def call(function: Callable[[Any], Any]) -> Any:
    """Run ``function(Main)`` on the Julia thread and return its (Python-converted) result."""
    main = julia()
    return _JULIA_THREAD.submit(function, main).result()


def to_numpy(value: Any, ndim: int | None = None) -> np.ndarray:
    """A Julia array (or number) as a float64 NumPy array (copied out of Julia's memory)."""
    array = np.array(value, dtype=np.float64, copy=True)
    if ndim is not None and array.ndim != ndim:
        if array.size == 0:
            return np.zeros((0,) * ndim)
        raise ValueError(f"expected a {ndim}-d array from Julia, got shape {array.shape}")
    return array


def julia_function(main: Any, expression: str) -> Any:
    """A Julia function from ``expression``, evaluated once (a new closure each call would recompile)."""
    cache = _state["functions"]
    if expression not in cache:
        cache[expression] = main.seval(expression)
    return cache[expression]


def to_julia_vector(main: Any, values: Any) -> Any:
    """A float64 Julia ``Vector`` holding ``values``."""
    flat = np.ascontiguousarray(np.asarray(values, dtype=np.float64).reshape(-1))
    return julia_function(main, "x -> Vector{Float64}(x)")(flat)


# --- PyDojoBridge calls (each runs on the Julia thread) -------------------------------------


def make_mechanism(name: str, options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Build a Dojo mechanism; returns (Julia handle, info dict)."""

    def build(main):
        bridge = main.PyDojoBridge
        kwargs = {k: (main.Symbol(v) if k == "contact_type" else v) for k, v in options.items()}
        mechanism = bridge.make_mechanism(name, **kwargs)
        raw = bridge.mechanism_info(mechanism)
        info = {
            "minimal_dimension": int(raw["minimal_dimension"]),
            "input_dimension": int(raw["input_dimension"]),
            "joint_names": [str(n) for n in raw["joint_names"]],
            "joint_dimensions": [int(d) for d in raw["joint_dimensions"]],
            "n_contacts": int(raw["n_contacts"]),
            "contact_models": [str(c) for c in raw["contact_models"]],
            "friction_dimension": int(raw["friction_dimension"]),
            "timestep": float(raw["timestep"]),
        }
        initial = to_numpy(bridge.initial_minimal_state(mechanism, name), ndim=1)
        info["initial_minimal_state"] = initial
        return mechanism, info

    return call(build)


def step(mechanism: Any, x: np.ndarray, u: np.ndarray, mu: float, solver: dict[str, Any], gradients: bool) -> dict:
    """One PyDojoBridge.step_minimal! call; returns NumPy arrays and scalars."""

    def run(main):
        bridge = main.PyDojoBridge
        opts = bridge.CentralPathOptions(**solver)
        step_minimal = julia_function(main, "PyDojoBridge.step_minimal!")  # `!` is not a Python identifier
        res = step_minimal(
            mechanism, to_julia_vector(main, x), to_julia_vector(main, u), float(mu), opts=opts, gradients=gradients
        )
        return {
            "next_state": to_numpy(res.next_state, 1),
            "jacobian_state": to_numpy(res.jacobian_state, 2),
            "jacobian_control": to_numpy(res.jacobian_control, 2),
            "phi": to_numpy(res.phi, 1),
            "gamma": to_numpy(res.gamma, 1),
            "friction": to_numpy(res.friction, 2),
            "result": int(res.result),
            "iterations": int(res.iterations),
            "eq_residual": float(res.eq_residual),
            "comp_residual": float(res.comp_residual),
            "trace": {str(k): to_numpy(v, 1) for k, v in res.trace.items()},
        }

    return call(run)
