"""Analytical (AS) vs randomized (RS) smoothing gradients of two contact outcomes (Fig. 8).

(a) impact: final vertical velocity of the ball after ``steps`` steps from height z₀ (initial velocity
(1, −1)) — discontinuous in z₀ where the landing happens within the horizon;
(b) friction: final position of the block pushed by a constant force u from rest — kinked at the
stiction threshold |u| = α_f m g.
AS: ∂f/∂x of the engine at μ_sc = μ (constant) by implicit differentiation. RS: the bundled gradient
(1/N) Σ_k ∂f₀/∂x(x + w_k), w_k ~ N(0, σ²), of the exact (μ → 0) engine, with N samples. Reference:
central differences of the RS-smoothed function estimated with many samples (common random numbers).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from pydojo.engine import init, rollout
from pydojo.envs import make


def impact_outcome(steps: int = 40):
    ball = make("ball", timestep=0.01)

    def f(z0, mu):
        state = init(ball.system, jnp.stack([0.0, z0, 0.0]), jnp.array([1.0, -1.0, 0.0]))
        return rollout(ball.system, state, jnp.zeros((steps, 2)), mu)[0].v[1]

    return f


def friction_outcome(steps: int = 40):
    block = make("block", timestep=0.01)

    def f(u, mu):
        state = init(block.system, jnp.zeros(2), jnp.zeros(2))
        return rollout(block.system, state, jnp.full((steps, 1), u), mu)[0].q[0]

    return f


def compare(f, grid, *, mu: float, sigma: float, samples: int, reference_samples: int = 256, seed: int = 0) -> dict:
    """Values and derivatives of f along ``grid``: exact, AS(μ), RS(σ, N) and the RS reference."""
    grid = jnp.asarray(grid, jnp.float64)
    exact = 1e-10
    value = jax.jit(jax.vmap(f, in_axes=(0, None)))
    grad = jax.jit(jax.vmap(jax.grad(f), in_axes=(0, None)))
    key = jax.random.PRNGKey(seed)
    w = sigma * jax.random.normal(key, (grid.shape[0], samples))
    rs = jnp.mean(grad((grid[:, None] + w).reshape(-1), exact).reshape(w.shape), axis=1)
    w_ref = sigma * jax.random.normal(jax.random.fold_in(key, 1), (reference_samples,))
    h = 0.5 * sigma
    smoothed = lambda x: jnp.mean(value((x[:, None] + w_ref).reshape(-1), exact).reshape(x.shape[0], -1), axis=1)
    reference = (smoothed(grid + h) - smoothed(grid - h)) / (2 * h)
    as_grad = grad(grid, mu)
    out = {"grid": grid, "exact_value": value(grid, exact), "as_value": value(grid, mu), "as_grad": as_grad,
           "rs_grad": rs, "rs_reference": reference, "mu": mu, "sigma": sigma, "samples": samples}
    out = {k: np.asarray(v).tolist() if isinstance(v, jax.Array) else v for k, v in out.items()}
    out["as_error"] = float(np.mean(np.abs(np.asarray(out["as_grad"]) - np.asarray(out["rs_reference"]))))
    out["rs_error"] = float(np.mean(np.abs(np.asarray(out["rs_grad"]) - np.asarray(out["rs_reference"]))))
    return out
