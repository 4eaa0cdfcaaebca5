"""Analytical (AS) vs randomized (RS) smoothing gradients of two contact outcomes (Fig. 8).

(a) impact: final vertical velocity of the ball after ``steps`` steps from height z₀ (initial velocity
(1, −1)) — discontinuous in z₀ where the landing happens within the horizon;
(b) friction: final position of the block pushed by a constant force u from rest — kinked at the
stiction threshold |u| = α_f m g.
AS: ∂f/∂x of the engine at μ_sc = μ (constant) by implicit differentiation. RS: the bundled gradient
(1/N) Σ_k ∂f₀/∂x(x + w_k), w_k ~ N(0, σ²), of the exact (μ → 0) engine, with N samples.

Two yardsticks, because neither method is "the" smoothed gradient:
* ``rs_reference``: central differences (step σ/2, a little extra smoothing) of the input-smoothed f₀ (many
  samples, common random numbers), the quantity RS estimates. Against it RS is unbiased and only its sampling noise remains, while AS smooths
  differently; no μ makes AS equal it (measured: μ = 1e-6, whose gradient is the exact one, scores as badly
  as μ = 1e-3 on the impact).
* ``exact_grad``: ∂f₀/∂x of the exact engine, pointwise (errors ``*_error_exact``).
``as_grad_small``: AS at a smoothing small next to σ (``mu_small``), for the second comparison.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from pydojo.engine import init, rollout
from pydojo.envs import make

FORMAT = 2  # cached results of another format are recomputed (figures.fig8)


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


def compare(f, grid, *, mu: float, sigma: float, samples: int, reference_samples: int = 256, seed: int = 0,
            mu_small: float = 1e-6) -> dict:
    """Values and derivatives of f along ``grid``: exact, AS(μ), AS(mu_small), RS(σ, N) and the RS reference."""
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
    out = {"grid": grid, "exact_value": value(grid, exact), "as_value": value(grid, mu), "as_grad": grad(grid, mu),
           "as_grad_small": grad(grid, mu_small), "exact_grad": grad(grid, exact), "rs_grad": rs,
           "rs_reference": reference, "mu": mu, "mu_small": mu_small, "sigma": sigma, "samples": samples}
    out = {k: np.asarray(v).tolist() if isinstance(v, jax.Array) else v for k, v in out.items()}

    def error(key, against):
        return float(np.mean(np.abs(np.asarray(out[key]) - np.asarray(out[against]))))

    out["as_error"], out["rs_error"] = error("as_grad", "rs_reference"), error("rs_grad", "rs_reference")
    out["as_small_error"] = error("as_grad_small", "rs_reference")
    out["as_error_exact"], out["rs_error_exact"] = error("as_grad", "exact_grad"), error("rs_grad", "exact_grad")
    out["as_small_error_exact"] = error("as_grad_small", "exact_grad")
    out["format"] = FORMAT
    return out
