"""Environments as the FOPG trainer sees them: the true system, the model f_ψ, and the throw task.

``build_env(name, task, overrides, backend)`` makes a registered environment (``pydojo.envs.make``) on
a backend (``pydojo.backends``: the JAX engine by default); ``task="throw"`` wraps the ball as the
seed's Fig. 5 problem (one action = the throw velocity, one step = the whole flight). ``with_params``
writes estimated parameters ψ into an environment's system (whichever backend built it) and
``with_schedule`` (from the estimators) swaps its μ schedule, so the model of Algorithm 1 is
``with_schedule(with_params(true_env, ψ), schedule)``; every step goes through the backend's ``step``.
"""
from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.backends import as_backend
from pydojo.engine import State
from pydojo.envs import make
from pydojo.envs.base import AbstractEnv, EnvState
from pydojo.estimators.rs import with_schedule

__all__ = ["ThrowTask", "build_env", "with_params", "with_schedule", "as_env_state", "state_vector", "TASKS"]


class ThrowTask(AbstractEnv):
    """Throw the ball from ``start`` with velocity u = (vx, vz); after ``episode_length`` engine steps the
    reward is −MSE((x, z, vx, vz), (goal, goal_velocity)) (the seed's Fig. 5 return); one step per episode."""

    system: Any
    schedule: Any
    start: jax.Array
    goal: jax.Array
    goal_velocity: jax.Array
    episode_length: int = eqx.field(static=True)
    backend: Any = eqx.field(static=True, default=None)  # None: the JAX engine

    @staticmethod
    def from_ball(ball) -> "ThrowTask":
        return ThrowTask(system=ball.system, schedule=ball.schedule, start=ball.start, goal=ball.goal,
                         goal_velocity=ball.goal_velocity, episode_length=ball.episode_length * ball.frame_skip,
                         backend=ball.backend)

    @property
    def observation_size(self) -> int:
        return 1

    @property
    def action_size(self) -> int:
        return 2

    @property
    def action_bounds(self):
        return -jnp.full(2, jnp.inf), jnp.full(2, jnp.inf)

    def observe(self, physics: State) -> jax.Array:
        return jnp.zeros(1)

    def _at_rest(self, velocity: jax.Array) -> State:
        backend = as_backend(self.backend)
        q, v = jnp.concatenate([self.start, jnp.zeros(1)]), jnp.concatenate([velocity, jnp.zeros(1)])
        return backend.init(self.system, *backend.backend_qv(self.system, q, v))

    def reset(self, key):
        zero = jnp.zeros(())
        return EnvState(physics=self._at_rest(jnp.zeros(2)), obs=jnp.zeros(1), reward=zero, done=zero, info={})

    def step(self, state, action, key=None):
        action = self.check_action(action)
        backend = as_backend(self.backend)
        controls = jnp.zeros((self.episode_length, self.system.nu))
        final = backend.rollout(self.system, self._at_rest(action), controls, self.schedule, key)[0]
        view = backend.task_state(self.system, final)
        got = jnp.concatenate([view.q[:2], view.v[:2]])
        reward = -jnp.mean((got - jnp.concatenate([self.goal, self.goal_velocity])) ** 2)
        return EnvState(physics=final, obs=jnp.zeros(1), reward=reward, done=jnp.ones(()), info={})


TASKS = {"episode": lambda env: env, "throw": ThrowTask.from_ball}


def build_env(name: str, task: str = "episode", overrides: dict | None = None, backend: Any = None) -> AbstractEnv:
    """The true system: registered environment ``name`` with ``overrides``, as ``task``, on ``backend``
    (a name, a ``backend`` config or an ``AbstractBackend``; None: the environment's default, the JAX engine)."""
    from pydojo.envs.toy import TOY_SYSTEMS, make_toy

    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid tasks: {', '.join(sorted(TASKS))}")
    overrides = dict(overrides or {})
    if backend is not None:
        backend = as_backend(backend)
        if "backend" in overrides and as_backend(overrides["backend"]) != backend:
            raise ValueError(f"env.overrides.backend={overrides['backend']!r} contradicts backend={backend.name}: "
                             "choose the backend with backend=... only")
    if name in TOY_SYSTEMS and task == "episode":
        if backend is not None and backend.name != "jax":
            raise ValueError(f"environment {name!r} is a toy system in JAX, not a mechanism a backend simulates: "
                             f"backend={backend.name} does not apply to it (use backend=jax)")
        return make_toy(name, **overrides)
    if backend is not None:
        overrides["backend"] = backend
    env = make(name, **overrides)
    if task == "throw" and not hasattr(env, "goal_velocity"):
        raise ValueError(f"task 'throw' needs the ball environment, got {name!r}")
    return TASKS[task](env)


def with_params(env, params) -> AbstractEnv:
    """``env`` whose engine system carries the parameters ψ = ``params`` (a ``pydojo.engine.Params``)."""
    if not hasattr(env, "system"):
        raise ValueError(f"{type(env).__name__} has no engine system whose parameters could be set")
    return eqx.tree_at(lambda e: e.system, env, env.system.with_params(params))


def as_env_state(env, physics) -> EnvState:
    """An ``EnvState`` at ``physics`` with the structure ``env.step`` returns (for starts of model unrolls)."""
    template = env.reset(jax.random.PRNGKey(0))
    return eqx.tree_at(lambda s: (s.physics, s.obs), template, (physics, env.observe(physics)))


def predict(env, physics, action, key=None) -> tuple[Any, jax.Array]:
    """(next physics, solve failed) of one environment step that never raises on a failed contact solve.

    Contact environments step their backend ``frame_skip`` times with ``throw=False`` and report whether any
    solve failed (model fitting drops those transitions instead of aborting); other systems use ``step``."""
    if not hasattr(env, "frame_skip"):
        return env.step(as_env_state(env, physics), action).physics, jnp.zeros((), bool)

    keys = None if key is None else jax.random.split(key, env.frame_skip)

    def body(carry, k):
        state, failed = carry
        nxt = env.physics_step(state, action, k, throw=False)
        return (nxt, failed | (nxt.stats.result != 0)), None

    return jax.lax.scan(body, (physics, jnp.zeros((), bool)), keys, length=env.frame_skip)[0]


class StopOnFailure(AbstractEnv):
    """A contact environment whose failed contact solve ends the episode (done = 1, reward 0, state held)
    instead of raising; trainers wrap the true system and the model in it so one hard step of a falling
    robot does not abort a run. The failure count is in ``info["solve_failed"]``."""

    env: AbstractEnv

    @property
    def observation_size(self) -> int:
        return self.env.observation_size

    @property
    def action_size(self) -> int:
        return self.env.action_size

    @property
    def action_bounds(self):
        return self.env.action_bounds

    def observe(self, physics):
        return self.env.observe(physics)

    def reset(self, key):
        state = self.env.reset(key)
        return eqx.tree_at(lambda s: s.info, state, {**state.info, "solve_failed": jnp.zeros(())})

    def step(self, state, action, key=None):
        action = self.env.check_action(action)
        physics, failed = predict(self.env, state.physics, action, key)
        physics = jax.tree_util.tree_map(lambda old, new: jnp.where(failed, old, new), state.physics, physics)
        reward, done, info = self.env.evaluate(state.physics, physics, action)
        return EnvState(physics=physics, obs=self.env.observe(physics), reward=jnp.where(failed, 0.0, reward),
                        done=jnp.maximum(done, failed.astype(done.dtype)),
                        info={**info, "solve_failed": failed.astype(jnp.float64)})


def stop_on_failure(env):
    """``StopOnFailure(env)`` for contact environments (those stepped by the engine), else ``env``."""
    return StopOnFailure(env) if hasattr(env, "frame_skip") and hasattr(env, "evaluate") else env


def state_vector(physics) -> jax.Array:
    """x of eq. (4.1): (q, v) of an engine state, or the state array of a plain system."""
    return jnp.concatenate([physics.q, physics.v]) if hasattr(physics, "q") else jnp.asarray(physics)
