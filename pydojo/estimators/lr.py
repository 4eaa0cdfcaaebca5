"""Likelihood-ratio (score-function, zeroth-order) policy gradient of eq. (2.1) with a Gaussian policy.

∇̂J = (1/M) Σ_m (R_m − b_m) Σ_{t<H} ∇_θ log π_θ(u_{t,m} | x_{t,m}),  R_m = Σ_t γ^t r_t,

with the leave-one-out baseline b_m = mean of the other returns (keeps it unbiased; off with
``baseline=False``). Only returns are evaluated, so the trainer runs it on the true system.
"""
from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.estimators.base import AbstractEstimator, batched_unroll, check_batch, split_trainable


class LREstimator(AbstractEstimator):
    baseline: bool = eqx.field(static=True, default=True)
    model_free: ClassVar[bool] = True

    def __check_init__(self):
        super().__check_init__()
        if self.baseline and self.batch < 2:
            raise ValueError("LREstimator: the leave-one-out baseline needs batch M >= 2")

    def estimate(self, policy, env, starts, key):
        check_batch(self, starts)
        params, static = split_trainable(policy)
        returns = jax.lax.stop_gradient(batched_unroll(policy, env, starts, key, self.horizon, self.discount))
        R, M = returns.discounted_return, self.batch
        weights = R - (jnp.sum(R) - R) / (M - 1) if self.baseline else R

        def surrogate(p):
            pol = eqx.combine(p, static)
            logp = jax.vmap(jax.vmap(pol.log_prob))(returns.observations, returns.actions)  # (M, H)
            return jnp.mean(weights * jnp.sum(returns.alive * logp, axis=1))

        grad = jax.grad(surrogate)(params)
        return grad, {"model_return": jnp.mean(R), "model_steps": jnp.sum(returns.alive_steps)}
