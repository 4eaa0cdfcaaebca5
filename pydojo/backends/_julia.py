"""The one module that touches Julia: starts it through juliacall and calls PyDojoBridge.

Imported lazily (only by ``pydojo.backends.dojo`` when ``backend=dojo`` is used), in the
style of PySR's ``julia_import.py``: the ``PYTHON_JULIACALL_*`` variables are set before
juliacall is imported, juliacall's first import installs Julia and the packages pinned in
``pydojo/juliapkg.json`` (Dojo 0.7.1, DojoEnvironments 0.5.2, and the local ``julia/``
package), then ``seval("using PyDojoBridge")`` loads the bridge.

Threads. PythonCall is not thread-safe: Julia must only ever run on one OS thread, the one
that started it. The step reaches Julia from ``jax.pure_callback``, whose host function runs
on an XLA runtime thread while the calling (often the main) thread is blocked inside XLA, so
a Julia started on the main thread could be neither called from there (that would run Julia
on a second OS thread, which Julia would have to adopt) nor reached by handing the call back
to the main thread (deadlock). Hence Julia is started on, and every call runs on, one
dedicated thread (``_JULIA_THREAD``); callers block on the result (releasing the GIL).
No juliacall object crosses to another thread: results are copied to NumPy/Python values on
the Julia thread, and Julia objects the caller keeps (mechanisms) stay in ``_objects``
behind a ``Handle``; a dropped Handle releases its object on the Julia thread.

Any failure to start (juliacall missing, Julia download impossible, package resolution or
precompilation failing) raises ``JuliaUnavailableError`` naming the cause and pointing to
the README's "Julia backend" section.
"""
from __future__ import annotations

import concurrent.futures
import itertools
import os
import subprocess
import sys
import threading
import weakref
from typing import Any, Callable

import numpy as np

from pydojo.backends import BackendUnavailableError

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
    "Or put a compatible `julia` (1.10, at least 1.10.3 as juliacall requires) on PATH / set "
    f"PYTHON_JULIAPKG_EXE. See {README_SECTION}."
)

# Dojo v0.7.1's deps/build.jl runs once, when Pkg first installs Dojo: it activates Dojo's own
# examples/ environment, instantiates it (Flux, Plots, ReinforcementLearning, ...; Dojo issue #37,
# "Permission denied when trying to build Dojo") and writes notebooks. It reads no environment
# variable, so it cannot be switched off. When it fails, Pkg has already installed Dojo and
# written the environment; a second resolution does not build Dojo again.
BUILD_NOTE = (
    "juliapkg's package installation failed ({error}). On a first install this is usually Dojo's "
    "deps/build.jl (it instantiates Dojo's examples environment; Dojo issue #37), which the bridge "
    "does not need; retrying the resolution once."
)


class JuliaUnavailableError(BackendUnavailableError):
    """Julia (or the Dojo.jl packages) could not be started; the message says why and how to fix it."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"Julia could not be started for the dojo backend: {reason}\n{INSTALL_HINT}")


class JuliaError(RuntimeError):
    """An exception raised in Julia (or by juliacall), re-raised with its message only."""


_JULIA_THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="pydojo-julia")
_lock = threading.Lock()
_state: dict[str, Any] = {"main": None, "error": None, "functions": {}}
_objects: dict[int, Any] = {}  # Julia objects held for Python, touched only on the Julia thread
_ids = itertools.count(1)


def _import_juliacall():
    """``import juliacall`` (installs and starts Julia on first use), retried once after a failed Pkg step."""
    try:
        import juliacall  # noqa: PLC0415  (lazy on purpose)
    except ImportError as exc:
        raise JuliaUnavailableError(f"the Python package juliacall is not installed ({exc})") from exc
    except subprocess.CalledProcessError as first:
        # A failed import leaves nothing in sys.modules and juliapkg's state unresolved: importing
        # again re-runs the resolution (Dojo is then already installed, so not built again).
        print(f"[pydojo] {BUILD_NOTE.format(error=first)}", file=sys.stderr, flush=True)
        try:
            import juliacall  # noqa: PLC0415
        except Exception as exc:
            raise JuliaUnavailableError(
                f"importing juliacall failed twice: the package installation (juliapkg) failed ({first}), "
                f"then {type(exc).__name__}: {exc}. If the log above shows 'Error building `Dojo`', that is "
                f"Dojo's deps/build.jl ({README_SECTION} explains it)"
            ) from exc
    except Exception as exc:  # juliacall installs/starts Julia on import; anything can fail there
        raise JuliaUnavailableError(f"importing juliacall failed: {type(exc).__name__}: {exc}") from exc
    return juliacall


def _start() -> Any:
    """Import juliacall and load PyDojoBridge (runs on the Julia thread)."""
    for key, value in JULIACALL_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    main = _import_juliacall().Main
    try:
        main.seval("using PyDojoBridge")
    except Exception as exc:
        raise JuliaUnavailableError(
            f"Julia started but `using PyDojoBridge` failed: {type(exc).__name__}: {exc}"
        ) from exc
    return main


def _detach(exc: Exception) -> Exception:
    """``exc`` rebuilt from its message: no traceback frames or juliacall values reach the caller's thread."""
    if isinstance(exc, JuliaUnavailableError):
        return JuliaUnavailableError(exc.reason)
    if not type(exc).__module__.startswith("juliacall"):
        try:
            return type(exc)(str(exc))
        except Exception:  # noqa: BLE001  (constructors with other signatures)
            pass
    return JuliaError(f"{type(exc).__name__}: {exc}")


def _run(function: Callable, *args: Any) -> Any:
    """Run on the Julia thread; a failure is re-raised (detached) after its frames are freed here."""
    try:
        return function(*args)
    except Exception as exc:  # noqa: BLE001
        error = _detach(exc)
    raise error


def _submit(function: Callable, *args: Any) -> Any:
    return _JULIA_THREAD.submit(_run, function, *args).result()


def julia() -> Any:
    """juliacall's ``Main`` with PyDojoBridge loaded; raises JuliaUnavailableError if that is impossible.

    Use the returned object only inside ``call``. A failure is remembered: later calls raise
    the same error without retrying.
    """
    with _lock:
        if _state["main"] is None:
            if _state["error"] is not None:
                raise JuliaUnavailableError(_state["error"].reason)
            try:
                _state["main"] = _submit(_start)
            except JuliaUnavailableError as exc:
                _state["error"] = exc
                raise
        return _state["main"]


def call(function: Callable[[Any], Any]) -> Any:
    """Run ``function(Main)`` on the Julia thread and return its result (return Python/NumPy values)."""
    main = julia()
    return _submit(function, main)


class Handle:
    """A Julia object kept on the Julia thread; Python holds this ticket (hash and equality by identity)."""

    __slots__ = ("id", "__weakref__")

    def __init__(self, value: Any):  # only on the Julia thread
        self.id = next(_ids)
        _objects[self.id] = value
        weakref.finalize(self, _release, self.id).atexit = False  # at exit the executor is gone

    def value(self) -> Any:  # only on the Julia thread
        return _objects[self.id]


def _release(object_id: int) -> None:
    try:
        _JULIA_THREAD.submit(_objects.pop, object_id, None)
    except RuntimeError:  # interpreter shutting down: the executor no longer accepts work
        pass


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


def make_mechanism(name: str, options: dict[str, Any]) -> tuple[Handle, dict[str, Any]]:
    """Build a Dojo mechanism; returns (Handle to it, info dict of Python values)."""

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
            # ψ and the joints' free directions (for the task layout); see mechanism_info in julia/src/mechanisms.jl
            "body_names": [str(n) for n in raw["body_names"]],
            "body_masses": [float(m) for m in raw["body_masses"]],
            "friction_coefficient": float(raw["friction_coefficient"]),
            "joint_translation_masks": [to_numpy(m, ndim=2).reshape(-1, 3) for m in raw["joint_translation_masks"]],
            "joint_rotation_masks": [to_numpy(m, ndim=2).reshape(-1, 3) for m in raw["joint_rotation_masks"]],
        }
        info["initial_minimal_state"] = to_numpy(bridge.initial_minimal_state(mechanism, name), ndim=1)
        return Handle(mechanism), info

    return call(build)


def contact_distances(handle: Handle, x: np.ndarray) -> np.ndarray:
    """Signed distance of every contact at minimal state ``x`` (PyDojoBridge.contact_distances)."""
    return call(lambda main: to_numpy(main.PyDojoBridge.contact_distances(handle.value(), to_julia_vector(main, x)), 1))


def step(handle: Handle, x: np.ndarray, u: np.ndarray, mu: float, solver: dict[str, Any], gradients: bool,
         params: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """One PyDojoBridge.step_minimal! call (``u`` in Dojo's input frames); returns NumPy arrays and scalars.

    ``params`` = (body masses, friction coefficient(s)): set first with PyDojoBridge.set_parameters!
    (julia/src/mechanisms.jl; written against Dojo v0.7.1, not run: no Julia where it was written)."""

    def run(main):
        bridge = main.PyDojoBridge
        if params is not None:
            masses, friction = params
            julia_function(main, "PyDojoBridge.set_parameters!")(
                handle.value(), to_julia_vector(main, masses), float(np.asarray(friction).reshape(-1)[0])
                if np.size(friction) else float("nan"))
        opts = bridge.CentralPathOptions(**solver)
        step_minimal = julia_function(main, "PyDojoBridge.step_minimal!")  # `!` is not a Python identifier
        res = step_minimal(
            handle.value(), to_julia_vector(main, x), to_julia_vector(main, u), float(mu), opts=opts, gradients=gradients
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
