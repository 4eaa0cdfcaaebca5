"""Contact environments on any backend: one base class, tasks supply initial state, observation, reward.

An environment owns a backend (``pydojo.backends``: the JAX engine by default, ``backend="dojo"``),
the system the backend built (``make_system``), a smoothing schedule (a constant μ_sc or any
``pydojo.smoothing`` schedule) and ``frame_skip`` backend steps per environment step.
``reset``/``step`` are pure, jit- and vmap-able (the Dojo backend's steps are host callbacks).

Tasks are written once, in the task layout (``pydojo.backends.base``: the JAX engine's MJCF model
of the task): ``initial_qv`` returns task-layout (q, v), ``observe_task``/``evaluate_task`` read
task-layout states and actions are the MJCF's actuator units. ``state.physics`` is the backend's own
state; ``view`` converts it, which for the JAX engine is the identity (no operation is added).
"""
from __future__ import annotations

import abc
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.backends import as_backend
from pydojo.backends.jax import MODEL_BUILDERS
from pydojo.engine import State
from pydojo.engine.pipeline import as_schedule
from pydojo.envs.base import AbstractEnv, EnvState


class ContactEnv(AbstractEnv):
    """Common machinery; subclasses implement ``initial_qv``, ``observe_task`` and ``evaluate_task``."""

    system: Any  # the backend's system (pydojo.engine.System for the JAX engine)
    schedule: Any
    backend: Any = eqx.field(static=True)  # an AbstractBackend (compared by kind and options)
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
        return self.backend.task_action_size(self.system)

    @property
    def action_bounds(self) -> tuple[jax.Array, jax.Array]:
        return self.backend.action_bounds(self.system)

    def mj_model(self):
        """A fresh ``mujoco.MjModel`` of this environment's task (for rendering or MuJoCo-side checks; its
        qpos/qvel layout is the task layout, ``view(physics).q/.v``)."""
        name, options = self.model_spec
        return MODEL_BUILDERS[name](**dict(options))

    def view(self, physics: State) -> State:
        """The backend's state in the task layout (the identity for the JAX engine)."""
        return self.backend.task_state(self.system, physics)

    def physics_init(self, q: jax.Array, v: jax.Array) -> State:
        """The backend's state at task-layout (q, v), with no contact history."""
        return self.backend.init(self.system, *self.backend.backend_qv(self.system, q, v))

    def physics_step(self, physics: State, action: jax.Array, key: jax.Array | None = None, *,
                     throw: bool = True) -> State:
        """One backend step under the task action ``action``."""
        control = self.backend.backend_control(self.system, action)
        return self.backend.step(self.system, physics, control, self.schedule, key, throw=throw)

    @abc.abstractmethod
    def initial_qv(self, key: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Task-layout (q, v) of an initial state."""

    @abc.abstractmethod
    def observe_task(self, physics: State) -> jax.Array:
        """The observation of a task-layout state."""

    @abc.abstractmethod
    def evaluate_task(self, before: State, after: State, action: jax.Array) -> tuple[jax.Array, jax.Array, dict]:
        """(reward, done, info) of one environment step between task-layout states."""

    def observe(self, physics: State) -> jax.Array:
        return self.observe_task(self.view(physics))

    def evaluate(self, before: State, after: State, action: jax.Array) -> tuple[jax.Array, jax.Array, dict]:
        """(reward, done, info) of one environment step (``before``/``after``: the backend's states)."""
        return self.evaluate_task(self.view(before), self.view(after), action)

    def reset(self, key: jax.Array) -> EnvState:
        q, v = self.initial_qv(key)
        physics = self.physics_init(q, v)
        zero = jnp.zeros(())
        _, _, info = self.evaluate(physics, physics, jnp.zeros(self.action_size))
        return EnvState(physics=physics, obs=self.observe(physics), reward=zero, done=zero,
                        info=jax.tree_util.tree_map(jnp.zeros_like, info))

    def simulate(self, physics: State, action: jax.Array, key: jax.Array | None = None) -> State:
        """``frame_skip`` backend steps under a constant action."""
        keys = None if key is None else jax.random.split(key, self.frame_skip)

        def body(state, k):
            return self.physics_step(state, action, k, throw=self.throw_on_failure), None

        return jax.lax.scan(body, physics, keys, length=self.frame_skip)[0]

    def step(self, state: EnvState, action: jax.Array, key: jax.Array | None = None) -> EnvState:
        action = self.check_action(action)
        physics = self.simulate(state.physics, action, key)
        reward, done, info = self.evaluate(state.physics, physics, action)
        as_float = lambda x: jnp.asarray(x, jnp.float64).astype(jnp.float64)  # strong dtype: same pytree as reset
        return EnvState(physics=physics, obs=self.observe(physics), reward=as_float(reward), done=as_float(done),
                        info=info)


def make_contact_system(name: str, model_options: dict, engine_options: dict, backend: Any = None,
                        defaults: dict | None = None) -> tuple[Any, tuple, Any]:
    """(system, model spec, backend) of a contact environment: ``backend`` (a name, a ``backend`` config or an
    ``AbstractBackend``; None: the JAX engine) builds mechanism ``name``. The JAX engine takes every option
    (``engine_options`` without the None ones). Another backend takes the options it lists
    (``options_for(name)``), and any other option only when it differs from the environment's default
    (``defaults``), so that it refuses it: at their defaults those options are the JAX engine's (its cone,
    contact selection, solver) and that backend uses its own."""
    backend = as_backend(backend)
    options = {**model_options, **engine_options}
    taken = backend.options_for(name)
    if taken is not None:
        defaults = defaults or {}
        options = {k: v for k, v in options.items() if k in taken or (k in defaults and v != defaults[k])}
    system = backend.make_system(name, **options)
    return system, (name, tuple(sorted(model_options.items()))), backend


def uniform_noise(key: jax.Array, x: jax.Array, scale: float) -> jax.Array:
    return x + jax.random.uniform(key, jnp.shape(x), minval=-scale, maxval=scale)
