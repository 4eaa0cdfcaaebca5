"""First-order policy gradient through the model (barrier-smoothing paper, eq. 4.2).

∇̂J = (1/M) Σ_m ∇_θ Σ_{t<H} γ^t r(x_{t,m}, u_{t,m}),  u = π_θ(x, ς), x_{t+1} = f(x_t, u_t),

by reverse-mode differentiation of the unroll; f is whatever environment the trainer passes
(the fitted model with a smoothing schedule: constant μ, μ → 0, or contact-aware eq. 5.1/7.1).
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.estimators.base import AbstractEstimator, batched_unroll, check_batch, split_trainable


class FOPGEstimator(AbstractEstimator):
    """Reparameterization (first-order) gradient of the discounted H-step return."""

    def estimate(self, policy, env, starts, key):
        check_batch(self, starts)
        params, static = split_trainable(policy)

        def objective(p):
            out = batched_unroll(eqx.combine(p, static), env, starts, key, self.horizon, self.discount)
            return jnp.mean(out.discounted_return), out

        grad, out = jax.grad(objective, has_aux=True)(params)
        return grad, {"model_return": jnp.mean(out.discounted_return), "model_steps": jnp.sum(out.alive_steps)}
