"""Augmented Random Search, V2-t (Mania et al. 2018): the model-free baseline of the seed's Fig. 6.

Per estimate: N directions δ_k ~ N(0, I) over the policy's trainable arrays; returns r±_k of
the deterministic policy θ ± ν δ_k (one H-step rollout each, from a shared start state);
keep the b directions with the largest max(r+_k, r−_k); the step direction is
Σ_{top b} (r+_k − r−_k) δ_k / (b σ_R), σ_R the std of the 2b kept returns. The update
θ ← θ + α·direction is the optimizer's (sgd with learning rate α). "V2" is the observation
normalisation, which the trainer keeps in the policy's ``Normalizer`` from collected data.
"""
from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from pydojo.estimators.base import AbstractEstimator, check_batch, split_trainable, unroll


class ARSEstimator(AbstractEstimator):
    """batch = number of directions N; top = b (<= N); step_std = ν."""

    top: int = eqx.field(static=True, default=4)
    step_std: float = eqx.field(static=True, default=0.03)
    model_free: ClassVar[bool] = True

    def __check_init__(self):
        super().__check_init__()
        if not 1 <= self.top <= self.batch:
            raise ValueError(f"ARSEstimator: need 1 <= top (b) <= batch (N = {self.batch}), got {self.top}")
        if not self.step_std > 0:
            raise ValueError(f"ARSEstimator: step_std (nu) must be > 0, got {self.step_std}")

    def steps_per_estimate(self) -> int:
        return 2 * self.batch * self.horizon

    def estimate(self, policy, env, starts, key):
        check_batch(self, starts)
        params, static = split_trainable(policy)
        flat, unflatten = ravel_pytree(params)
        deltas = jax.random.normal(key, (self.batch, flat.shape[0]), flat.dtype)
        noise = jnp.zeros((self.horizon, policy.action_size))

        def returns(delta, start, k):
            def ret(sign):
                pol = eqx.combine(unflatten(flat + sign * self.step_std * delta), static)
                out = unroll(pol, env, start, noise, k, self.horizon, self.discount, noise_scale=0.0)
                return out.discounted_return, out.alive_steps
            (rp, sp), (rm, sm) = ret(1.0), ret(-1.0)
            return rp, rm, sp + sm

        keys = jax.random.split(jax.random.fold_in(key, 1), self.batch)
        r_plus, r_minus, steps = jax.vmap(returns)(deltas, starts, keys)
        order = jnp.argsort(-jnp.maximum(r_plus, r_minus))[: self.top]
        rp, rm = r_plus[order], r_minus[order]
        sigma_r = jnp.std(jnp.concatenate([rp, rm]))
        sigma_r = jnp.where(sigma_r > 1e-12, sigma_r, 1.0)
        direction = jnp.sum((rp - rm)[:, None] * deltas[order], axis=0) / (self.top * sigma_r)
        info = {"model_return": jnp.mean(jnp.concatenate([r_plus, r_minus])), "model_steps": jnp.sum(steps)}
        return unflatten(direction), info
