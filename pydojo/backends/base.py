"""The backend interface: what the trainers, environments and diagnostics call, whichever simulator runs.

A backend builds a *system* (an immutable description of one mechanism: model terms, contacts,
parameters ψ) and steps a ``pydojo.engine.state.State``. Every step solves one complementarity
problem at a central-path value μ_sc, which is given explicitly or chosen by a smoothing schedule
from the contact state (``pydojo.smoothing``); backends never branch on a schedule's name.

Task layout. The environments (``pydojo.envs.contact``) define observations, rewards and initial
states once, in the layout of the JAX engine's MJCF model of the task (e.g. the planar ball's
q = (x, z, θ), gymnasium's hopper qpos/qvel, actions in actuator ``ctrl`` units). A backend whose
own state layout differs converts in one place: ``task_state`` (its state → the task layout),
``backend_qv`` (task-layout q, v → its own) and ``backend_control`` (task action → its control).
The JAX engine *is* that layout: its conversions are the identity and add no operation.
"""
from __future__ import annotations

import abc
from typing import Any, Optional

import jax

from pydojo.engine.state import State


class AbstractBackend(abc.ABC):
    """One simulator behind the common interface.

    Backends compare equal when they are the same kind with the same options (``_identity``), so an
    environment holding one as a static field keeps its compilations when it is rebuilt.
    """

    name: str
    # whether the step is differentiable in the parameters ψ (model fitting by gradient descent, eq. 4.1)
    param_gradients: bool = True
    # whether randomized smoothing (several perturbed contact solves per step) is available
    randomized_smoothing: bool = True

    def _identity(self) -> tuple:
        return (type(self), tuple(sorted(getattr(self, "options", {}).items())))

    def __eq__(self, other) -> bool:
        return isinstance(other, AbstractBackend) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        options = getattr(self, "options", {})
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in sorted(options.items()))})"

    def start(self) -> None:
        """Make sure this simulator can run here; raise ``pydojo.backends.BackendUnavailableError`` with the
        reason otherwise (trainers call it before any work). Nothing to start by default."""

    @abc.abstractmethod
    def make_system(self, name: str, **options: Any) -> Any:
        """The mechanism ``name`` (e.g. "ball", "block", "hopper") with its options (timestep, friction, ...)."""

    def options_for(self, name: str) -> Optional[tuple]:
        """The environment options of mechanism ``name`` this backend takes (always passed by the
        environments), or None for all of them (the JAX engine: the environments' options are its own).
        Other options reach ``make_system`` only when set to a value other than the environment's default
        (which the backend then refuses with the valid ones); at their defaults they are the JAX engine's."""
        return None

    @abc.abstractmethod
    def init(self, system: Any, q: jax.Array, v: jax.Array) -> State:
        """A state at positions ``q`` and velocities ``v`` (this backend's layout) with no contact history."""

    @abc.abstractmethod
    def step(self, system: Any, state: State, u: jax.Array, schedule: Any, key: Optional[jax.Array] = None, *,
             throw: bool = True) -> State:
        """One time step under control ``u``; μ_sc = ``schedule(state-derived contact info)``. A failed
        contact solve raises unless ``throw=False`` (then ``state.stats.result`` reports it)."""

    def rollout(self, system: Any, state: State, controls: jax.Array, schedule: Any, key: Optional[jax.Array] = None,
                *, throw: bool = True) -> tuple[State, State]:
        """Step through ``controls`` (T, nu); returns (final state, stacked states of steps 1..T)."""
        keys = None if key is None else jax.random.split(key, controls.shape[0])

        def body(carry, xs):
            u, k = xs
            nxt = self.step(system, carry, u, schedule, k, throw=throw)
            return nxt, nxt

        return jax.lax.scan(body, state, (controls, keys))

    # --- the task layout (module docstring); the identity where the backend's layout is the task's ----------

    def task_state(self, system: Any, state: State) -> State:
        """``state`` in the task layout."""
        return state

    def backend_qv(self, system: Any, q: jax.Array, v: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Task-layout (q, v) in this backend's layout."""
        return q, v

    def backend_control(self, system: Any, action: jax.Array) -> jax.Array:
        """A task action (actuator units of the task's MJCF model) as this backend's control."""
        return action

    def task_action_size(self, system: Any) -> int:
        return system.nu

    @abc.abstractmethod
    def action_bounds(self, system: Any) -> tuple[jax.Array, jax.Array]:
        """(low, high) of the task action, ±inf where unbounded."""

    @abc.abstractmethod
    def default_qv(self, system: Any) -> tuple[jax.Array, jax.Array]:
        """The mechanism's default configuration (at rest), in the task layout."""
