"""The estimator interface and the model unroll shared by every estimator.

An estimator maps (policy, environment, start states, key) to an ascent direction for the
policy's trainable arrays (``trainable_filter``) and a dict of diagnostics. First-order
estimators (``fopg``, ``rs``) differentiate the discounted H-step return of eq. (4.2)
through the environment they are given (the fitted, smoothed model); model-free
estimators (``lr``, ``ars``; ``model_free = True``) only evaluate returns, and the
trainer hands them the true system. The unroll masks rewards after termination
(``done``) and passes one PRNG key per step to ``env.step`` (randomized smoothing uses it).
"""
from __future__ import annotations

import abc
import math
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.envs.base import EnvState
from pydojo.policies.linear import AbstractPolicy, trainable_filter


class Unroll(eqx.Module):
    """Result of unrolling one start state for H steps (arrays over the batch when vmapped)."""

    discounted_return: jax.Array  # Σ_t γ^t r_t (alive steps only)
    total_reward: jax.Array  # Σ_t r_t (alive steps only)
    alive_steps: jax.Array  # number of steps taken before termination
    observations: jax.Array  # (H, obs) observations x_t the actions were taken at
    actions: jax.Array  # (H, nu) actions u_t
    alive: jax.Array  # (H,) 1 while the episode has not terminated
    rewards: jax.Array  # (H,) γ^t r_t on alive steps (the terms of the discounted return)


def unroll(policy: AbstractPolicy, env, start: EnvState, noise: jax.Array, key: jax.Array, horizon: int,
           discount: float, noise_scale: jax.Array | float = 1.0) -> Unroll:
    """H steps of u_t = π_θ(x_t, ς_t) from ``start`` (eq. 4.2's inner sum); differentiable in θ and env."""
    keys = jax.random.split(key, horizon)

    def body(carry, xs):
        state, alive, discount_t = carry
        eps, k = xs
        u = policy.act(state.obs, noise_scale * eps)
        nxt = env.step(state, u, k)
        out = (alive * discount_t * nxt.reward, alive * nxt.reward, alive, state.obs, u)
        alive = alive * (1.0 - nxt.done)
        return (nxt, alive, discount_t * discount), out

    init = (start, jnp.ones(()), jnp.ones(()))
    _, (disc, rew, alive, obs, acts) = jax.lax.scan(body, init, (noise, keys), length=horizon)
    return Unroll(jnp.sum(disc), jnp.sum(rew), jnp.sum(alive), obs, acts, alive, disc)


def batched_unroll(policy, env, starts: EnvState, key, horizon: int, discount: float, noise_scale=1.0) -> Unroll:
    """``unroll`` over a batch of M start states with independent noise ς_m and step keys."""
    batch = jax.tree_util.tree_leaves(starts.obs)[0].shape[0]
    k_noise, k_step = jax.random.split(key)
    noise = policy.sample_noise(k_noise, (batch, horizon))
    keys = jax.random.split(k_step, batch)
    return jax.vmap(lambda s, n, k: unroll(policy, env, s, n, k, horizon, discount, noise_scale))(starts, noise, keys)


def split_trainable(policy: AbstractPolicy):
    return eqx.partition(policy, trainable_filter(policy))


class AbstractEstimator(eqx.Module):
    """horizon H, discount γ, batch M (rollouts per estimate)."""

    horizon: int = eqx.field(static=True, default=10)
    discount: float = eqx.field(static=True, default=1.0)
    batch: int = eqx.field(static=True, default=8)
    model_free: ClassVar[bool] = False

    def __check_init__(self):
        if self.horizon < 1:
            raise ValueError(f"{type(self).__name__}: horizon H must be >= 1, got {self.horizon}")
        if self.batch < 1:
            raise ValueError(f"{type(self).__name__}: batch M must be >= 1, got {self.batch}")
        if not (0.0 < self.discount <= 1.0) or not math.isfinite(self.discount):
            raise ValueError(f"{type(self).__name__}: discount must be in (0, 1], got {self.discount}")

    @abc.abstractmethod
    def estimate(self, policy: AbstractPolicy, env, starts: EnvState, key: jax.Array) -> tuple[AbstractPolicy, dict]:
        """(ascent direction shaped like the policy's trainable part, diagnostics dict).

        ``starts`` is a batch of M start states (leading axis M = ``self.batch``)."""

    def steps_per_estimate(self) -> int:
        """Environment steps one estimate takes at most (model-free estimators spend them on the true system)."""
        return self.batch * self.horizon


def check_batch(estimator: AbstractEstimator, starts: EnvState) -> None:
    got = jax.tree_util.tree_leaves(starts.obs)[0].shape[0]
    if got != estimator.batch:
        raise ValueError(f"{type(estimator).__name__}: got {got} start states, expected batch M = {estimator.batch}")
