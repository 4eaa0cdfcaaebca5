"""Gradient variance (the quantity bounded in eq. 4.4) and bias against a reference, per estimator.

``gradient_samples`` draws K independent estimates ĝ_k (each from M rollouts); ``summarize``
returns the total variance E‖ĝ − E ĝ‖² (Thm. 4.2's v_n), the mean and the maximum per-coordinate
variance (Figs. 3, 4), and the bias ‖E ĝ − g_ref‖ (Thm. 4.2's b_n, Fig. 7) when a reference is
given, each with the sample mean's standard error where it matters.

``truncated_fopg`` is the first-order gradient of Σ_{t<H} r_t with H a traced value (rewards past H
are masked in an unroll of ``max_horizon`` steps), so one compilation serves every H of Fig. 4.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from pydojo.estimators.base import batched_unroll, split_trainable


def flatten(grad) -> np.ndarray:
    return np.asarray(ravel_pytree(grad)[0])


def gradient_samples(estimate_fn, key: jax.Array, n_samples: int) -> np.ndarray:
    """(K, d) array of K estimates ``estimate_fn(key_k)`` (a pytree gradient) with independent keys."""
    if n_samples < 2:
        raise ValueError(f"need at least 2 gradient samples to estimate a variance, got {n_samples}")
    return np.stack([flatten(estimate_fn(k)) for k in jax.random.split(key, n_samples)])


def summarize(samples: np.ndarray, reference: np.ndarray | None = None) -> dict:
    """Variance and bias statistics of K gradient estimates (K, d)."""
    samples = np.asarray(samples, dtype=float)
    k = samples.shape[0]
    mean = samples.mean(axis=0)
    var = samples.var(axis=0, ddof=1)
    out = {"total_variance": float(var.sum()), "max_variance": float(var.max()), "mean_variance": float(var.mean()),
           "mean_norm": float(np.linalg.norm(mean)), "n_samples": k}
    if reference is not None:
        reference = np.asarray(reference, dtype=float)
        out["bias"] = float(np.linalg.norm(mean - reference))
        out["relative_bias"] = out["bias"] / max(float(np.linalg.norm(reference)), 1e-300)
        out["bias_standard_error"] = float(np.sqrt(var.sum() / k))
    return out


def truncated_fopg(policy, env, starts, key, horizon: jax.Array, max_horizon: int):
    """First-order gradient of the mean over starts of Σ_{t < horizon} r_t (traced ``horizon`` ≤ max_horizon)."""
    params, static = split_trainable(policy)
    mask = (jnp.arange(max_horizon) < horizon).astype(jnp.float64)

    def objective(p):
        out = batched_unroll(eqx.combine(p, static), env, starts, key, max_horizon, 1.0)
        return jnp.mean(jnp.sum(out.rewards * mask, axis=1))

    return jax.grad(objective)(params)
