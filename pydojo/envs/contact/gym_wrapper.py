"""A ``gymnasium.Env`` around a functional environment, and the batched functional form.

``GymnasiumEnv(env)`` keeps one ``EnvState``, jits ``reset``/``step`` once, exposes Box
spaces from the environment's sizes and bounds, truncates at ``max_episode_steps`` and
renders RGB arrays with ``mujoco.Renderer`` (contact environments) where a GL backend exists.
``batch_reset``/``batch_step`` are ``jit(vmap(...))`` of the pure functions.
"""
from __future__ import annotations

from typing import Any, Optional

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.envs.base import AbstractEnv, EnvState


def batch_reset(env: AbstractEnv, keys: jax.Array) -> EnvState:
    """Reset a batch: ``keys`` (B, 2) → batched EnvState."""
    return jax.vmap(env.reset)(keys)


def batch_step(env: AbstractEnv, states: EnvState, actions: jax.Array) -> EnvState:
    """Step a batch: actions (B, action_size)."""
    actions = jnp.asarray(actions)
    if actions.ndim != 2 or actions.shape[1] != env.action_size:
        raise ValueError(f"batched actions have shape {actions.shape}, expected (batch, {env.action_size})")
    return jax.vmap(env.step)(states, actions)


class GymnasiumEnv(gymnasium.Env):
    """gymnasium.Env over an ``AbstractEnv`` (terminated = env's done, truncated at max_episode_steps)."""

    metadata = {"render_modes": ["rgb_array"]}

    def __init__(self, env: AbstractEnv, max_episode_steps: int = 1000, render_mode: Optional[str] = None,
                 width: int = 320, height: int = 240):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.env, self.max_episode_steps, self.render_mode = env, int(max_episode_steps), render_mode
        low, high = (np.asarray(b, dtype=np.float64) for b in env.action_bounds)
        self.action_space = gymnasium.spaces.Box(low, high, dtype=np.float64)
        self.observation_space = gymnasium.spaces.Box(-np.inf, np.inf, (env.observation_size,), np.float64)
        self._reset = jax.jit(lambda key: env.reset(key))
        self._step = jax.jit(lambda state, action: env.step(state, action))
        self._state, self._t, self._renderer, self._size = None, 0, None, (height, width)

    def reset(self, *, seed: Optional[int] = None, options: Optional[dict] = None):
        super().reset(seed=seed)
        key = jax.random.PRNGKey(int(self.np_random.integers(2**31)))
        self._state, self._t = self._reset(key), 0
        return np.asarray(self._state.obs), {}

    def step(self, action):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        action = np.asarray(action, dtype=np.float64)
        if action.shape != (self.env.action_size,):
            raise ValueError(f"{type(self.env).__name__}: action has shape {action.shape}, expected ({self.env.action_size},)")
        if not np.all(np.isfinite(action)):  # checked here: inside jit it would surface as an XLA callback error
            raise ValueError(f"{type(self.env).__name__}: action contains NaN or Inf: {action}")
        self._state = self._step(self._state, jnp.asarray(action))
        self._t += 1
        info: dict[str, Any] = {k: np.asarray(v) for k, v in self._state.info.items()}
        return (np.asarray(self._state.obs), float(self._state.reward), bool(self._state.done),
                self._t >= self.max_episode_steps, info)

    def render(self):
        if not hasattr(self.env, "mj_model"):
            raise NotImplementedError(f"{type(self.env).__name__} has no MuJoCo model to render")
        if self._state is None:
            raise RuntimeError("call reset() before render()")
        import mujoco

        if self._renderer is None:
            model = self.env.mj_model()
            try:
                self._renderer = mujoco.Renderer(model, *self._size)
            except Exception as err:  # no OpenGL context (EGL/OSMesa/GLFW) on this machine
                raise RuntimeError(
                    f"cannot render: no working OpenGL backend for mujoco.Renderer ({err}). "
                    "Set MUJOCO_GL=egl or MUJOCO_GL=osmesa on a machine with that library installed."
                ) from err
            self._data = mujoco.MjData(model)
        physics = self._state.physics
        if hasattr(self.env, "view"):  # the task layout is the MJCF model's (any backend)
            physics = self.env.view(physics)
        self._data.qpos[:], self._data.qvel[:] = np.asarray(physics.q), np.asarray(physics.v)
        mujoco.mj_forward(self._renderer.model if hasattr(self._renderer, "model") else self.env.mj_model(), self._data)
        self._renderer.update_scene(self._data)
        return self._renderer.render()

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
