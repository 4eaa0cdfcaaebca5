"""The backend interface: what the trainers and diagnostics call, whichever simulator runs.

A backend builds a *system* (an immutable description of one mechanism: model
terms, contacts, parameters ψ) and steps a ``pydojo.engine.state.State``. Every
step solves one complementarity problem at a central-path value μ_sc, which is
given explicitly or chosen by a smoothing schedule from the contact state
(``pydojo.smoothing``); backends never branch on a schedule's name.
"""
from __future__ import annotations

import abc
from typing import Any

import jax

from pydojo.engine.state import State


class AbstractBackend(abc.ABC):
    """One simulator behind the common interface."""

    name: str

    @abc.abstractmethod
    def make_system(self, name: str, **options: Any) -> Any:
        """The mechanism ``name`` (e.g. "ball", "block", "hopper") with its options (timestep, friction, ...)."""

    @abc.abstractmethod
    def init(self, system: Any, q: jax.Array, v: jax.Array) -> State:
        """A state at positions ``q`` and velocities ``v`` with no contact history."""

    @abc.abstractmethod
    def step(self, system: Any, state: State, u: jax.Array, schedule: Any) -> State:
        """One time step under control ``u``; μ_sc = ``schedule(state-derived contact info)``."""

    def rollout(self, system: Any, state: State, controls: jax.Array, schedule: Any) -> tuple[State, State]:
        """Step through ``controls`` (T, nu); returns (final state, stacked states of steps 1..T)."""

        def body(carry, u):
            nxt = self.step(system, carry, u, schedule)
            return nxt, nxt

        return jax.lax.scan(body, state, controls)
