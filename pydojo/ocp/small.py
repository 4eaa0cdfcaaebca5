"""Products of small matrices written as broadcast-multiply-sum instead of ``dot_general``.

Under ``vmap`` (a batch of OCP solves) XLA:CPU turns each small ``dot_general`` in the interior point's
loops into a batched matrix product that costs 2–4× a fused elementwise multiply and reduction of the
same product (measured with jaxlib 0.10.1 at batch 64: the quadrotor's 13 × 13 Riccati step, the
(H, n_g, n+m) products GᵀΣG). Both compute the same sums; only the order of the additions can differ.
The matrix product itself is the contact solver's ``pydojo.solver.linalg.small_matmul`` (same reason).
The ``lane_*`` products are the Riccati recursion's, for a batch stored batch-last (every array has a trailing
axis of problems, so each product is a multiply-sum over contiguous problems).
"""
from __future__ import annotations

import jax.numpy as jnp

from pydojo.solver.linalg import small_matmul


def weighted_gram(G, w):
    """Σ_g w_g G_gᵀ G_g per leading index: G (..., g, i), w (..., g) -> (..., i, i)."""
    Gw = G * w[..., None]
    return jnp.sum(Gw[..., :, :, None] * G[..., :, None, :], axis=-3)


def rows_dot(G, v):
    """G v per leading index (each row of G dotted with v): G (..., g, i), v (..., i) -> (..., g)."""
    return jnp.sum(G * v[..., None, :], axis=-1)


def cols_dot(G, w):
    """Gᵀ w per leading index (Σ_g w_g G_g): G (..., g, i), w (..., g) -> (..., i)."""
    return jnp.sum(G * w[..., None], axis=-2)


def sandwich(X, D, Y):
    """X D Yᵀ per leading index: X (..., p, i), D (..., i, j), Y (..., q, j) -> (..., p, q)."""
    XD = small_matmul(X, D)
    return jnp.sum(XD[..., :, None, :] * Y[..., None, :, :], axis=-1)


# ---- lanes: the same products for a batch stored batch-last (a trailing axis of problems; pydojo.ocp.riccati)
def lane_mm(a, b):
    """a @ b per lane: a (i, k, L) and b (k, j, L) or (k, L)."""
    if b.ndim == 2:
        return jnp.sum(a * b[None, :, :], axis=1)
    return jnp.sum(a[:, :, None, :] * b[None, :, :, :], axis=1)


def lane_tmm(a, b):
    """aᵀ @ b per lane: a (k, i, L) and b (k, j, L) or (k, L)."""
    if b.ndim == 2:
        return jnp.sum(a * b[:, None, :], axis=0)
    return jnp.sum(a[:, :, None, :] * b[:, None, :, :], axis=0)


def lane_transpose(a):
    """aᵀ per lane: a (i, j, L) -> (j, i, L)."""
    return jnp.swapaxes(a, 0, 1)
