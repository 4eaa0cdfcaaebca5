"""Contact environments on the JAX engine: one base class, tasks supply initial state, observation, reward.

An environment owns a ``System`` (built by ``pydojo.backends.jax.build_system``), a smoothing
schedule (a constant μ_sc or any ``pydojo.smoothing`` schedule) and ``frame_skip`` engine
steps per environment step. ``reset``/``step`` are pure, jit- and vmap-able.
"""
from __future__ import annotations

import abc
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.backends.jax import MODEL_BUILDERS, build_system
from pydojo.engine import State, System, init, step
from pydojo.engine.pipeline import as_schedule
from pydojo.envs.base import AbstractEnv, EnvState


class ContactEnv(AbstractEnv):
    """Common machinery; subclasses implement ``initial_qv``, ``observe`` and ``evaluate``."""

    system: System
    schedule: Any
    frame_skip: int = eqx.field(static=True)
    model_spec: tuple = eqx.field(static=True)  # (mechanism name, sorted model options) for rendering
    throw_on_failure: bool = eqx.field(static=True)  # else a failed solve only shows in info["solver_result"]

    def __check_init__(self):
        if self.frame_skip < 1:
            raise ValueError(f"frame_skip must be >= 1, got {self.frame_skip}")
        if not isinstance(self.schedule, jax.core.Tracer):
            as_schedule(self.schedule)  # the engine's own check of a constant mu_sc or a schedule, at make time

    @property
    def dt(self) -> float:
        """Environment time step: frame_skip × the engine's timestep."""
        return self.frame_skip * self.system.timestep

    @property
    def action_size(self) -> int:
        return self.system.nu

    @property
    def action_bounds(self) -> tuple[jax.Array, jax.Array]:
        model = self.system.mjx_model
        limited = np.asarray(model.actuator_ctrllimited, dtype=bool)
        low, high = np.asarray(model.actuator_ctrlrange).T
        return jnp.asarray(np.where(limited, low, -np.inf)), jnp.asarray(np.where(limited, high, np.inf))

    def mj_model(self):
        """A fresh ``mujoco.MjModel`` of this environment (for rendering or MuJoCo-side checks)."""
        name, options = self.model_spec
        return MODEL_BUILDERS[name](**dict(options))

    @abc.abstractmethod
    def initial_qv(self, key: jax.Array) -> tuple[jax.Array, jax.Array]: ...

    @abc.abstractmethod
    def observe(self, physics: State) -> jax.Array: ...

    @abc.abstractmethod
    def evaluate(self, before: State, after: State, action: jax.Array) -> tuple[jax.Array, jax.Array, dict]:
        """(reward, done, info) of one environment step."""

    def reset(self, key: jax.Array) -> EnvState:
        q, v = self.initial_qv(key)
        physics = init(self.system, q, v)
        zero = jnp.zeros(())
        _, _, info = self.evaluate(physics, physics, jnp.zeros(self.action_size))
        return EnvState(physics=physics, obs=self.observe(physics), reward=zero, done=zero,
                        info=jax.tree_util.tree_map(jnp.zeros_like, info))

    def simulate(self, physics: State, action: jax.Array, key: jax.Array | None = None) -> State:
        """``frame_skip`` engine steps under a constant action."""
        keys = None if key is None else jax.random.split(key, self.frame_skip)

        def body(state, k):
            return step(self.system, state, action, self.schedule, k, throw=self.throw_on_failure), None

        return jax.lax.scan(body, physics, keys, length=self.frame_skip)[0]

    def step(self, state: EnvState, action: jax.Array, key: jax.Array | None = None) -> EnvState:
        action = self.check_action(action)
        physics = self.simulate(state.physics, action, key)
        reward, done, info = self.evaluate(state.physics, physics, action)
        as_float = lambda x: jnp.asarray(x, jnp.float64).astype(jnp.float64)  # strong dtype: same pytree as reset
        return EnvState(physics=physics, obs=self.observe(physics), reward=as_float(reward), done=as_float(done),
                        info=info)


def make_contact_system(name: str, model_options: dict, engine_options: dict) -> tuple[System, tuple]:
    """The system and the model spec of a contact environment."""
    system = build_system(name, **model_options, **engine_options)
    return system, (name, tuple(sorted(model_options.items())))


def uniform_noise(key: jax.Array, x: jax.Array, scale: float) -> jax.Array:
    return x + jax.random.uniform(key, jnp.shape(x), minval=-scale, maxval=scale)
