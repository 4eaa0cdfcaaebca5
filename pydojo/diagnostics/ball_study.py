"""Gradient variance and bias of the ball throw (Figs. 3 and 7) as functions of μ.

The throw task of Fig. 5 (from the ground, θ = (0.5, 0): half the noisy throws go up, half into the
ground) with Gaussian noise on the throw velocity (the policy noise σ): for each
constant μ the model is the engine at μ_sc = μ (μ is a traced value, so one compilation serves
every μ); FOPG (eq. 4.2) and LR (eq. 2.1) estimates are drawn K times and summarised. The
reference gradient for the bias is the LR estimate on the exact system (μ → 0) with a large batch,
which is unbiased for the noise-smoothed true objective.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.diagnostics.variance import gradient_samples, summarize
from pydojo.estimators import make_estimator
from pydojo.policies import LinearPolicy
from pydojo.smoothing import GaussianMu
from pydojo.training.tasks import build_env, with_schedule

THROW = dict(timestep=0.01, episode_length=100, start=(0.0, 0.0), goal=(1.5, 0.3), goal_velocity=(1.0, 1.0))


def throw_setup(theta=(0.5, 0.0), noise_std: float = 0.1):
    env = build_env("ball", "throw", THROW)
    policy = LinearPolicy(1, 2, noise_std=noise_std, bias=jnp.asarray(theta))
    return env, policy


def _estimator_fn(kind: str, policy, batch: int):
    est = make_estimator(kind, horizon=1, discount=1.0, batch=batch)

    @eqx.filter_jit
    def fn(env, key):
        starts = jax.vmap(env.reset)(jax.random.split(key, batch))
        return est.estimate(policy, env, starts, key)[0]

    return fn


def mu_study(mus, *, n_samples: int = 8, batch: int = 4, reference_batch: int = 128, reference_samples: int = 8,
             theta=(0.5, 0.0), noise_std: float = 0.1, sigma_contact_aware: float = 0.05, seed: int = 0) -> dict:
    """Per μ: FOPG and LR variance statistics and FOPG bias; plus the contact-aware (eq. 5.1) FOPG."""
    env, policy = throw_setup(theta, noise_std)
    key = jax.random.PRNGKey(seed)
    fopg, lr = _estimator_fn("fopg", policy, batch), _estimator_fn("lr", policy, batch)
    lr_ref = _estimator_fn("lr", policy, reference_batch)
    exact = with_schedule(env, jnp.asarray(1e-10))
    ref_samples = gradient_samples(lambda k: lr_ref(exact, k), jax.random.fold_in(key, 99), reference_samples)
    reference = ref_samples.mean(axis=0)
    result = {"mu": [float(m) for m in mus], "fopg": [], "lr": [], "reference": reference.tolist(),
              "reference_standard_error": float(np.sqrt(ref_samples.var(axis=0, ddof=1).sum() / reference_samples))}
    for i, mu in enumerate(mus):
        model = with_schedule(env, jnp.asarray(float(mu)))
        k = jax.random.fold_in(key, i)
        result["fopg"].append(summarize(gradient_samples(lambda kk: fopg(model, kk), k, n_samples), reference))
        result["lr"].append(summarize(gradient_samples(lambda kk: lr(model, kk), k, n_samples), reference))
    aware = with_schedule(env, GaussianMu(sigma=sigma_contact_aware))
    result["contact_aware"] = summarize(gradient_samples(lambda kk: fopg(aware, kk), jax.random.fold_in(key, 7),
                                                         n_samples), reference)
    return result
