"""Riccati recursion for the equality-constrained LQ subproblem of one interior-point step.

    min_{dx, du}  Σ_i ½ [dx;du]ᵀ (W_i + δI) [dx;du] + [q_x; q_u]ᵀ[dx;du] + ½ dx_Hᵀ (W_H + δI) dx_H + q_Hᵀ dx_H
    s.t.          dx_0 = d_0,   dx_{i+1} = A_i dx_i + B_i du_i + d_{i+1}.

A backward recursion for the gains, a forward rollout and a backward adjoint sweep for the costates: the cost is
O(H (n + m)³). The costates are the new dynamics multipliers λ⁺ (of ``x_init − x_0`` and ``f(x_i, u_i) − x_{i+1}``
in the Lagrangian convention of ipm.py), computed by the adjoint recursion through the closed loop (``_forward``)
rather than as P_i dx_i + p_i, so the cost-to-go matrices are never stored. ``ok`` is False when some
R_i + B_iᵀP_{i+1}B_i + δI is not positive definite (inertia test: the reduced Hessian is then not positive
definite and the caller raises δ).

**Lanes.** The recursion is written once, for a batch of problems stored *batch-last* ("lanes": every array
carries a trailing axis of the batch, ``pydojo.ocp.small``'s ``lane_*`` products). A single problem is one lane;
under ``vmap`` a ``custom_vmap`` rule moves the batch axis to the end instead of letting JAX batch the scans
batch-first. Every product of the recursion is then an elementwise multiply-sum whose innermost, contiguous axis
is the batch.

**Inertia correction** (``solve_lq_inertia``) runs inside the same lanes: it repeats only the backward recursion
with a larger δ (IPOPT's rule, see ``_lanes_solve_inertia``), so a retry costs one recursion, not one
interior-point iteration, and a recursion stops at the stage where its last trying lane fails.

The m × m factorization of each stage is unrolled into scalar operations for m ≤ UNROLL_MAX (the control sizes
of the tasks are 1–4): a few dozen elementwise operations over the lanes instead of one LAPACK call per problem.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from pydojo.ocp.small import lane_mm, lane_tmm, lane_transpose
from pydojo.solver import batching

UNROLL_MAX = 8


def _sym(M):
    return 0.5 * (M + lane_transpose(M))


def _cholesky_solve_unrolled(S, R):
    """S⁻¹R for a symmetric S (m, m, ...), R (m, k, ...), by a Cholesky factorization written out entry by entry
    (the trailing axes, lanes or none, are carried elementwise).

    Returns (S⁻¹R, ok); ok is False when a pivot is not positive (S not positive definite).
    """
    m = S.shape[0]
    L = [[None] * m for _ in range(m)]
    zero = jnp.zeros(S.shape[2:], S.dtype)
    ok = jnp.ones(S.shape[2:], bool)
    for j in range(m):
        pivot = S[j, j] - sum((L[j][k] ** 2 for k in range(j)), start=zero)
        ok = ok & (pivot > 0)
        L[j][j] = jnp.sqrt(jnp.where(pivot > 0, pivot, jnp.nan))
        for i in range(j + 1, m):
            L[i][j] = (S[i, j] - sum((L[i][k] * L[j][k] for k in range(j)), start=zero)) / L[j][j]
    y = [None] * m
    for i in range(m):
        y[i] = (R[i] - sum((L[i][k] * y[k] for k in range(i)), start=jnp.zeros_like(R[i]))) / L[i][i]
    x = [None] * m
    for i in reversed(range(m)):
        x[i] = (y[i] - sum((L[k][i] * x[k] for k in range(i + 1, m)), start=jnp.zeros_like(R[i]))) / L[i][i]
    return jnp.stack(x, axis=0), ok


def _cholesky_solve(S, R):
    """Lanes: S (m, m, L), R (m, k, L) -> (S⁻¹R (m, k, L), ok (L,))."""
    if S.shape[0] <= UNROLL_MAX:
        return _cholesky_solve_unrolled(S, R)
    S, R = jnp.moveaxis(S, -1, 0), jnp.moveaxis(R, -1, 0)
    L = jnp.linalg.cholesky(S)
    x = jax.scipy.linalg.cho_solve((L, True), R)
    return jnp.moveaxis(x, 0, -1), jnp.all(jnp.isfinite(L), axis=(-2, -1))


def _backward(W, q, W_H, q_H, AB, d, shift, trying):
    """Lanes: W (H, n+m, n+m, L), q (H, n+m, L), W_H (n, n, L), q_H (n, L), AB = [A B] (H, n, n+m, L),
    d (H+1, n, L), shift δ (L,), trying (L,) bool. Returns the gains K (H, m, n, L), k (H, m, L) and ok (L,).

    The recursion stops as soon as every lane in ``trying`` has failed the inertia test (a retry then costs only
    the stages up to the failure); the gains of every lane are void after such an early stop."""
    H, n = AB.shape[0], AB.shape[1]
    m = AB.shape[2] - n
    eye_n, eye_m = jnp.eye(n)[..., None] * shift, jnp.eye(m)[..., None] * shift

    def more(carry):
        i, _, _, _, _, ok = carry
        return (i >= 0) & jnp.any(trying & ok)

    def step(carry):
        i, P, p, K_all, k_all, ok = carry
        Wi, qi, di = W[i], q[i], d[i + 1]
        Ai, Bi = AB[i][:, :n], AB[i][:, n:]
        Qxx, Quu = Wi[:n, :n] + eye_n, Wi[n:, n:] + eye_m
        # P is symmetric: P·X as Pᵀ·X, a sum over the leading axis (XLA:CPU's faster reduction here)
        pd = p + lane_tmm(P, di)
        PA, PB = lane_tmm(P, Ai), lane_tmm(P, Bi)
        Hxx = Qxx + lane_tmm(Ai, PA)
        Hux = lane_transpose(Wi[:n, n:]) + lane_tmm(Bi, PA)
        Huu = _sym(Quu + lane_tmm(Bi, PB))
        hx = qi[:n] + lane_tmm(Ai, pd)
        hu = qi[n:] + lane_tmm(Bi, pd)
        Kk, ok_i = _cholesky_solve(Huu, jnp.concatenate([Hux, hu[:, None]], axis=1))
        K, k = -Kk[:, :n], -Kk[:, n]
        K_all = jax.lax.dynamic_update_index_in_dim(K_all, K, i, 0)
        k_all = jax.lax.dynamic_update_index_in_dim(k_all, k, i, 0)
        return i - 1, _sym(Hxx + lane_tmm(Hux, K)), hx + lane_tmm(Hux, k), K_all, k_all, ok & ok_i

    start = (jnp.asarray(H - 1), _sym(W_H + eye_n), q_H, *_zero_gains(AB, shift.shape), jnp.ones(shift.shape, bool))
    i, _, _, K, k, ok = jax.lax.while_loop(more, step, start)
    return (K, k), ok & (i < 0)


def _zero_gains(AB, lanes):
    """Gains (K (H, m, n, L), k (H, m, L)) of zeros for the recursion's stages."""
    H, n = AB.shape[0], AB.shape[1]
    m = AB.shape[2] - n
    return jnp.zeros((H, m, n) + lanes, AB.dtype), jnp.zeros((H, m) + lanes, AB.dtype)


def _forward(gains, W, q, W_H, q_H, AB, d, shift):
    """Lanes: the rollout of the gains, then the costates λ⁺ by the adjoint recursion of the LQ problem.

    Stationarity in dx_i gives λ⁺_i = Q_xx dx_i + Q_xu du_i + q_x + A_iᵀλ⁺_{i+1} (λ⁺_H = (W_H + δI) dx_H + q_H),
    with Q = W_i + δI; the residual of stationarity in du_i, r_i = Q_ux dx_i + Q_uu du_i + q_u + B_iᵀλ⁺_{i+1}, is
    zero, and adding K_iᵀ r_i makes rounding errors travel back through the closed loop (A_i + B_iK_i)ᵀ instead of
    A_iᵀ: the loop the gains close is usually far better conditioned than an unstable A_i (not guaranteed on a
    finite horizon or a shifted, nonconvex step). Equal to P_i dx_i + p_i of the backward recursion without
    storing P."""
    K, k = gains
    n = AB.shape[1]

    def step(dx, stage):
        Ki, ki, ABi, di = stage
        Ai, Bi = ABi[:, :n], ABi[:, n:]
        du = lane_mm(Ki, dx) + ki
        return lane_mm(Ai, dx) + lane_mm(Bi, du) + di, (dx, du)

    dx_H, (dx, du) = jax.lax.scan(step, d[0], (K, k, AB, d[1:]))

    def adjoint(lam_next, stage):
        Wi, qi, ABi, Ki, dxi, dui = stage
        Ai, Bi = ABi[:, :n], ABi[:, n:]
        # Q_ux as the backward recursion takes it (the transpose of W's upper block): Q_ux dx = Q_xuᵀ dx
        r = lane_tmm(Wi[:n, n:], dxi) + lane_mm(Wi[n:, n:], dui) + shift * dui + qi[n:] + lane_tmm(Bi, lam_next)
        lam = (lane_mm(Wi[:n, :n], dxi) + shift * dxi + lane_mm(Wi[:n, n:], dui) + qi[:n]
               + lane_tmm(Ai, lam_next) + lane_tmm(Ki, r))
        return lam, lam

    lam_H = lane_mm(W_H, dx_H) + shift * dx_H + q_H
    _, lam = jax.lax.scan(adjoint, lam_H, (W, q, AB, K, dx, du), reverse=True)
    return jnp.concatenate([dx, dx_H[None]], axis=0), du, jnp.concatenate([lam, lam_H[None]], axis=0)


def _lanes_solve(W, q, W_H, q_H, AB, d, shift):
    args = (W, q, W_H, q_H, AB, d)
    gains, ok = _backward(*args, shift, jnp.ones(shift.shape, bool))
    return (*_forward(gains, *args, shift), ok)


def _lanes_solve_inertia(W, q, W_H, q_H, AB, d, last, skip, reg_init, reg_max):
    """δ = 0 first; after a failure δ = max(last/3, 1e-20) where a previous step needed a shift (``last`` > 0),
    else reg_init; then ×8 until the inertia is right or the next δ would exceed reg_max (singular). The first
    pass and the retries are one loop: a retry repeats only the backward recursion (for the whole batch, up to
    the stage where the last lane still trying fails), and lanes that succeeded keep their gains. Lanes marked
    ``skip`` (a batch's finished members, whose result is discarded) count as done from the start, so they cost
    no retry (their gains stay zero)."""
    args = (W, q, W_H, q_H, AB, d)
    zeros = jnp.zeros_like(last)

    def pending(carry):
        _, _, done, singular, _, first = carry
        return first | jnp.any(~done & ~singular)

    def attempt(carry):
        shift, failures, done, singular, gains, first = carry
        raised = jnp.where(first, 0.0, jnp.where(
            shift > 0, 8.0 * shift, jnp.where(last > 0, jnp.maximum(last / 3, 1e-20), reg_init)))
        singular = singular | (~done & (raised > reg_max))
        trying = ~done & ~singular
        shift = jnp.where(trying, raised, shift)
        new, ok = _backward(*args, shift, trying)
        take = trying & ok
        gains = jax.tree_util.tree_map(lambda old, g: jnp.where(take, g, old), gains, new)
        return shift, failures + (trying & ~ok), done | take, singular, gains, jnp.asarray(False)

    start = (zeros, jnp.zeros(last.shape, int), skip, jnp.zeros(last.shape, bool), _zero_gains(AB, last.shape),
             jnp.asarray(True))
    shift, failures, _, singular, gains, _ = jax.lax.while_loop(pending, attempt, start)
    return (*_forward(gains, *args, shift), shift, failures, singular)


def _in_lanes(lanes_fn, args):
    """Call ``lanes_fn(*args)`` (args: pytrees of arrays) on one problem (one lane) or, under vmap, on the batch
    moved to the lanes axis (``batching.batch_rule``: a custom_vmap rule, so these functions have no reverse-mode
    derivative; the interior point never differentiates through its loop, IDOC gives ∂u*/∂θ)."""

    def one(*a):
        return jax.tree_util.tree_map(lambda x: x[..., 0], lanes_fn(*jax.tree_util.tree_map(lambda x: x[..., None], a)))

    def batched(axis_size, *a):
        out = lanes_fn(*jax.tree_util.tree_map(lambda x: jnp.moveaxis(x, 0, -1), a))
        return jax.tree_util.tree_map(lambda x: jnp.moveaxis(x, -1, 0), out)

    return batching.batch_rule(one, batched)(*args)


def _lq_arrays(W, q, W_H, q_H, A, B, d):
    """The LQ data as float64 arrays with [A B] joined, after checking that the shapes agree (a clear error
    instead of a failure deep inside the recursion)."""
    W, q, W_H, q_H, A, B, d = (jnp.asarray(x, jnp.float64) for x in (W, q, W_H, q_H, A, B, d))
    if A.ndim != 3 or B.ndim != 3:
        raise ValueError(f"riccati: A must be (H, n, n) and B (H, n, m), got shapes {A.shape} and {B.shape}")
    H, n, m = B.shape
    expected = dict(W=(H, n + m, n + m), q=(H, n + m), W_H=(n, n), q_H=(n,), A=(H, n, n), d=(H + 1, n))
    got = dict(W=W.shape, q=q.shape, W_H=W_H.shape, q_H=q_H.shape, A=A.shape, d=d.shape)
    wrong = [f"{k} {got[k]} (expected {v})" for k, v in expected.items() if got[k] != v]
    if wrong:
        raise ValueError(f"riccati: with B of shape (H, n, m) = {B.shape}, wrong shapes: " + ", ".join(wrong))
    return W, q, W_H, q_H, jnp.concatenate([A, B], axis=-1), d


def solve_lq(W, q, W_H, q_H, A, B, d, shift=0.0):
    """The LQ step without inertia correction (the recursion's own entry point, checked against the dense KKT
    system in tests/ocp/test_riccati.py). W (H, n+m, n+m), q (H, n+m), W_H (n, n), q_H (n,), A (H, n, n),
    B (H, n, m), d (H+1, n); the Hessian blocks shifted by ``shift``·I. Returns (dx (H+1, n), du (H, m),
    lam (H+1, n), ok). vmap-able (lanes)."""
    args = _lq_arrays(W, q, W_H, q_H, A, B, d) + (jnp.asarray(shift, jnp.float64),)
    return _in_lanes(_lanes_solve, args)


def solve_lq_inertia(W, q, W_H, q_H, A, B, d, last_shift, reg_init: float, reg_max: float, skip=False):
    """``solve_lq`` with IPOPT's inertia correction (``_lanes_solve_inertia``); ``last_shift``: the last nonzero
    shift that worked (0: none yet); ``skip``: True for a problem whose step is not wanted (a finished member of a
    batch): it gets no retries. Returns (dx, du, lam, shift, failures, singular): the shift of the solution, the
    number of failed factorizations, and whether the shift would have to exceed reg_max (dx, du, lam are then not
    a solution)."""
    args = _lq_arrays(W, q, W_H, q_H, A, B, d) + (jnp.asarray(last_shift, jnp.float64), jnp.asarray(skip, bool))
    return _in_lanes(lambda *a: _lanes_solve_inertia(*a, reg_init, reg_max), args)
