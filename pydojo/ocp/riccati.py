"""Riccati recursion for the equality-constrained LQ subproblem of one interior-point step.

    min_{dx, du}  Σ_i ½ [dx;du]ᵀ W_i [dx;du] + [q_x; q_u]ᵀ[dx;du] + ½ dx_Hᵀ W_H dx_H + q_Hᵀ dx_H
    s.t.          dx_0 = d_0,   dx_{i+1} = A_i dx_i + B_i du_i + d_{i+1}.

One backward and one forward ``lax.scan``: the cost is O(H (n + m)³). The products are
``pydojo.ocp.small``'s (fused multiply-sums, faster than XLA:CPU's small batched dots). The costates of the
solution are the new dynamics multipliers λ⁺_i = P_i dx_i + p_i (the multipliers of
``x_init − x_0`` and ``f(x_i, u_i) − x_{i+1}`` in the Lagrangian convention of ipm.py).
``ok`` is False when some R_i + B_iᵀP_{i+1}B_i is not positive definite (inertia test:
the reduced Hessian is then not positive definite and the caller regularises).

The m × m factorization of each stage is unrolled into scalar operations for m ≤ UNROLL_MAX
(the control sizes of the tasks are 1–4): under ``vmap`` that is a few dozen elementwise
operations over the batch instead of one LAPACK call per problem.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from pydojo.ocp.small import mm, tmm

UNROLL_MAX = 8


def _sym(M):
    return 0.5 * (M + M.T)


def _cholesky_solve_unrolled(S, R):
    """S⁻¹R for a symmetric S (m, m), R (m, k), by a Cholesky factorization written out entry by entry.

    Returns (S⁻¹R, ok); ok is False when a pivot is not positive (S not positive definite).
    """
    m = S.shape[0]
    L = [[None] * m for _ in range(m)]
    ok = jnp.array(True)
    for j in range(m):
        pivot = S[j, j] - sum((L[j][k] ** 2 for k in range(j)), start=jnp.zeros((), S.dtype))
        ok = ok & (pivot > 0)
        L[j][j] = jnp.sqrt(jnp.where(pivot > 0, pivot, jnp.nan))
        for i in range(j + 1, m):
            L[i][j] = (S[i, j] - sum((L[i][k] * L[j][k] for k in range(j)), start=jnp.zeros((), S.dtype))) / L[j][j]
    y = [None] * m
    for i in range(m):
        y[i] = (R[i] - sum((L[i][k] * y[k] for k in range(i)), start=jnp.zeros_like(R[i]))) / L[i][i]
    x = [None] * m
    for i in reversed(range(m)):
        x[i] = (y[i] - sum((L[k][i] * x[k] for k in range(i + 1, m)), start=jnp.zeros_like(R[i]))) / L[i][i]
    return jnp.stack(x, axis=0), ok


def _cholesky_solve(S, R):
    if S.shape[0] <= UNROLL_MAX:
        return _cholesky_solve_unrolled(S, R)
    L = jnp.linalg.cholesky(S)
    return jax.scipy.linalg.cho_solve((L, True), R), jnp.all(jnp.isfinite(L))


def solve_lq(W, q, W_H, q_H, A, B, d):
    """W (H, n+m, n+m), q (H, n+m), W_H (n, n), q_H (n,), A (H, n, n), B (H, n, m), d (H+1, n).

    Returns (dx (H+1, n), du (H, m), lam (H+1, n), ok).
    """
    n = A.shape[-1]

    def backward(carry, stage):
        P, p = carry
        Wi, qi, Ai, Bi, di = stage
        Qxx, Qxu, Quu = Wi[:n, :n], Wi[:n, n:], Wi[n:, n:]
        pd = p + mm(P, di)
        PA, PB = mm(P, Ai), mm(P, Bi)
        Hxx = Qxx + tmm(Ai, PA)
        Hux = Qxu.T + tmm(Bi, PA)
        Huu = _sym(Quu + tmm(Bi, PB))
        hx = qi[:n] + tmm(Ai, pd)
        hu = qi[n:] + tmm(Bi, pd)
        Kk, ok = _cholesky_solve(Huu, jnp.concatenate([Hux, hu[:, None]], axis=1))
        K, k = -Kk[:, :n], -Kk[:, n]
        P_new = _sym(Hxx + tmm(Hux, K))
        p_new = hx + tmm(Hux, k)
        return (P_new, p_new), (K, k, P, p, ok)

    (P0, p0), (K, k, P_next, p_next, ok) = jax.lax.scan(
        backward, (_sym(W_H), q_H), (W, q, A, B, d[1:]), reverse=True
    )

    def forward(dx, stage):
        Ki, ki, Ai, Bi, di = stage
        du = mm(Ki, dx) + ki
        return mm(Ai, dx) + mm(Bi, du) + di, (dx, du)

    dx_H, (dx, du) = jax.lax.scan(forward, d[0], (K, k, A, B, d[1:]))
    dxs = jnp.concatenate([dx, dx_H[None]], axis=0)
    P_all = jnp.concatenate([P0[None], P_next], axis=0)  # P_0 .. P_H
    p_all = jnp.concatenate([p0[None], p_next], axis=0)
    lam = jnp.sum(P_all * dxs[:, None, :], axis=-1) + p_all
    return dxs, du, lam, jnp.all(ok)
