"""Small dense LU factorizations that batch well on every backend.

XLA:CPU runs a vmapped ``lu_factor``/``lu_solve`` (LAPACK getrf/getrs) one matrix after
another, so a batch of small systems costs the batch size times one system. Here the
factorization with partial pivoting is written as ``n`` unrolled rank-1 updates of plain
array operations: under ``vmap`` every update is one vectorized operation over the batch.
Above ``UNROLL_MAX`` rows LAPACK's blocked factorization is used (it wins there and the
unrolled program would grow with n²).

Both solves are linear in the right-hand side and built from transposable primitives, so
JAX differentiates and transposes them (reverse mode through the implicit gradient).
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

UNROLL_MAX = 8  # measured at batch 256 on CPU: unrolled 2x faster at n = 6, LAPACK faster from n = 9 on


class LU(eqx.Module):
    """P A = L U packed as in LAPACK: ``lu`` holds L (unit diagonal, below) and U; ``perm`` is the row order."""

    lu: jax.Array
    perm: jax.Array

    @property
    def inverse_perm(self) -> jax.Array:
        return jnp.argsort(self.perm)


def lu_factor(a: jax.Array) -> LU:
    """LU with partial pivoting of a square ``a`` (n, n)."""
    n = a.shape[-1]
    if a.shape != (n, n):
        raise ValueError(f"lu_factor expects a square (n, n) matrix, got shape {a.shape}")
    if n > UNROLL_MAX:
        lu, piv = jsl.lu_factor(a)
        return LU(lu, _pivots_to_permutation(piv, n))
    rows = jnp.arange(n)
    perm = rows
    for k in range(n):
        # Row swap k <-> p by selection (exact; a batched gather runs matrix by matrix on XLA:CPU).
        p = jnp.argmax(jnp.where(rows >= k, jnp.abs(a[:, k]), -1.0))
        is_p = rows == p
        row_p = jnp.sum(jnp.where(is_p[:, None], a, 0.0), axis=0)
        a = jnp.where((rows == k)[:, None], row_p[None, :], jnp.where(is_p[:, None], a[k][None, :], a))
        perm_p = jnp.sum(jnp.where(is_p, perm, 0))
        perm = jnp.where(rows == k, perm_p, jnp.where(is_p, perm[k], perm))
        if k + 1 < n:
            pivot = a[k, k]
            # A zero pivot (the column is zero below the diagonal) is kept, as LAPACK's getf2 does: U is singular.
            l = jnp.where(pivot == 0, 0.0, a[k + 1 :, k] / jnp.where(pivot == 0, 1.0, pivot))
            a = a.at[k + 1 :, k].set(l).at[k + 1 :, k + 1 :].add(-l[:, None] * a[k, k + 1 :][None, :])
    return LU(a, perm)


def _pivots_to_permutation(piv: jax.Array, n: int) -> jax.Array:
    perm = jnp.arange(n)

    def body(i, p):
        a, b = p[i], p[piv[i]]
        return p.at[i].set(b).at[piv[i]].set(a)

    return jax.lax.fori_loop(0, n, body, perm)


def lu_solve(f: LU, b: jax.Array, transpose: bool = False) -> jax.Array:
    """A⁻¹ b (or A⁻ᵀ b) for b of shape (n,) or (n, m)."""
    n = f.lu.shape[-1]
    b = jnp.asarray(b)
    vec = b.ndim == 1
    x = b[:, None] if vec else b
    if n > UNROLL_MAX:
        x = _blocked_solve(f, x, transpose)
    elif not transpose:  # L U x = P b
        x = _substitute(f.lu, _permute(f.perm, x), lower=True)
        x = _substitute(f.lu, x, lower=False)
    else:  # Uᵀ Lᵀ P x = b
        x = _substitute(f.lu.T, x, lower=True, unit=False)
        x = _substitute(f.lu.T, x, lower=False, unit=True)
        x = _permute(f.perm, x, inverse=True)
    return x[:, 0] if vec else x


def _permute(perm: jax.Array, x: jax.Array, inverse: bool = False) -> jax.Array:
    """x[perm] (or its inverse) as a one-hot contraction: fused elementwise work instead of a batched gather."""
    onehot = (perm[:, None] == jnp.arange(perm.shape[0])[None, :]).astype(x.dtype)
    if inverse:
        return jnp.sum(onehot[:, :, None] * x[:, None, :], axis=0)
    return jnp.sum(onehot[:, :, None] * x[None, :, :], axis=1)


def small_matmul(a: jax.Array, b: jax.Array) -> jax.Array:
    """a @ b over leading batch dimensions, as a broadcast product and a sum: for the many tiny matrices
    of a block structure XLA:CPU fuses this, while a batched dot runs one small matrix at a time."""
    return jnp.sum(a[..., :, :, None] * b[..., None, :, :], axis=-2)


def _blocked_solve(f: LU, x: jax.Array, transpose: bool) -> jax.Array:
    tri = jax.lax.linalg.triangular_solve
    if not transpose:
        x = tri(f.lu, x[f.perm], left_side=True, lower=True, unit_diagonal=True)
        return tri(f.lu, x, left_side=True, lower=False)
    x = tri(f.lu, x, left_side=True, lower=False, transpose_a=True)
    x = tri(f.lu, x, left_side=True, lower=True, unit_diagonal=True, transpose_a=True)
    return x[f.inverse_perm]


def _substitute(t: jax.Array, x: jax.Array, *, lower: bool, unit: bool | None = None) -> jax.Array:
    """Solve with the lower (unit diagonal unless told) or upper (non-unit unless told) triangle of ``t``:
    one column update per row, unrolled."""
    unit = lower if unit is None else unit
    n = t.shape[0]
    for i in (range(n) if lower else range(n - 1, -1, -1)):
        xi = x[i] if unit else x[i] / t[i, i]
        if not unit:
            x = x.at[i].set(xi)
        rest = slice(i + 1, n) if lower else slice(0, i)
        if (lower and i + 1 < n) or (not lower and i > 0):
            x = x.at[rest].add(-t[rest, i][:, None] * xi[None, :])
    return x
