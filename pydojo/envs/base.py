"""The functional environment interface shared by contact and control tasks (brax style).

An environment is an immutable ``equinox.Module``; ``reset`` and ``step`` are pure
functions of their arguments, so they jit, vmap and differentiate.
"""
from __future__ import annotations

import abc
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp


class EnvState(eqx.Module):
    """What an environment returns at each step.

    physics: the backend state (``pydojo.engine.State`` for contact tasks, the
        plain state vector for control tasks).
    obs: observation; reward: scalar reward (control tasks report the negative
        stage cost); done: 1.0 when the episode terminated; info: a dict of extra
        per-step quantities (costs, contact statistics, ...).
    """

    physics: Any
    obs: jax.Array
    reward: jax.Array
    done: jax.Array
    info: dict


class AbstractEnv(eqx.Module):
    """Base class of every registered environment."""

    @property
    @abc.abstractmethod
    def observation_size(self) -> int: ...

    @property
    @abc.abstractmethod
    def action_size(self) -> int: ...

    @property
    @abc.abstractmethod
    def action_bounds(self) -> tuple[jax.Array, jax.Array]:
        """(low, high) arrays of shape (action_size,); ±inf where unbounded."""

    @abc.abstractmethod
    def reset(self, key: jax.Array) -> EnvState: ...

    @abc.abstractmethod
    def step(self, state: EnvState, action: jax.Array) -> EnvState: ...

    def check_action(self, action: jax.Array) -> jax.Array:
        """Shape check at trace time, NaN check at run time (``eqx.error_if``)."""
        action = jnp.asarray(action)
        if action.shape != (self.action_size,):
            raise ValueError(
                f"{type(self).__name__}: action has shape {action.shape}, expected ({self.action_size},)"
            )
        return eqx.error_if(action, ~jnp.all(jnp.isfinite(action)), f"{type(self).__name__}: action contains NaN or Inf")
