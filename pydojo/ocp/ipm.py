"""Structured primal-dual interior-point method for eq. (1) (jit- and vmap-able, float64).

Lagrangian (the sign convention shared with idoc.py):
    L = J(ζ; θ) + λ_0ᵀ(x_init − x_0) + Σ_i λ_{i+1}ᵀ(f(x_i, u_i; θ_f) − x_{i+1}) + Σ z_iᵀ(g_i + s_i) + z_Hᵀ(g_H + s_H)
with slacks s ≥ 0 and inequality multipliers z ≥ 0.

Each iteration eliminates (ds, dz) from the Newton system of the barrier problem at μ, which
leaves an LQ problem with Hessian W = ∇²_ζζ L + GᵀΣG + δI (Σ = z/s) that riccati.py solves
in O(H). Nonconvexity: δ is raised (IPOPT's inertia-correction rule) until every
R + BᵀPB is positive definite (IPOPT's rule but for its first ×100 increase; each retry repeats only the
backward recursion, ``riccati.solve_lq_inertia``; ``Stats.retries``).
Globalisation: fraction-to-boundary plus a backtracking search that accepts a sufficient
decrease of the barrier objective J − μΣlog s or of the constraint violation ‖c‖₁ (a filter
holding the current iterate), and Armijo on the barrier objective once nearly feasible (IPOPT's
switching rule). μ follows IPOPT's monotone (Fiacco–McCormick) rule. Outcomes are ``pydojo.solver.results.RESULTS`` codes.
"""
from __future__ import annotations

from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.ocp.problem import OCP, Theta
from pydojo.ocp.riccati import solve_lq_inertia
from pydojo.ocp.small import cols_dot, rows_dot, weighted_gram
from pydojo.solver import batching
from pydojo.solver.results import RESULTS


class IPMOptions(eqx.Module):
    """tol: ∞-norm KKT tolerance (dual and complementarity parts scaled as in IPOPT); mu_init: first barrier parameter (cold start);
    warm_mu: barrier parameter of a warm start; max_iter, max_ls: iteration limits;
    tau: fraction to the boundary; reg_init/reg_max: inertia-correction range;
    acceptable_tol, acceptable_iter: IPOPT's "solved to acceptable level" — stop with success
    once the KKT error has stayed ≤ acceptable_tol for acceptable_iter consecutive iterations
    (a solve whose error stagnates just above ``tol`` at the round-off floor; 0 disables);
    tail_fraction: a vmapped batch of B ≥ 16 runs together until at most ⌈tail_fraction·B⌉ solves still iterate,
    which finish as a batch of that size (1 disables; ``pydojo.solver.batching``)."""

    tol: float = eqx.field(static=True, default=1e-10)
    mu_init: float = eqx.field(static=True, default=1e-1)
    warm_mu: float = eqx.field(static=True, default=1e-4)
    max_iter: int = eqx.field(static=True, default=300)
    max_ls: int = eqx.field(static=True, default=30)
    tau: float = eqx.field(static=True, default=0.995)
    reg_init: float = eqx.field(static=True, default=1e-4)
    reg_max: float = eqx.field(static=True, default=1e12)
    acceptable_tol: float = eqx.field(static=True, default=1e-6)
    acceptable_iter: int = eqx.field(static=True, default=15)
    tail_fraction: float = eqx.field(static=True, default=0.125)

    def __check_init__(self):
        if not (self.tol > 0 and self.mu_init > 0 and self.warm_mu > 0):
            raise ValueError("IPMOptions: tol, mu_init and warm_mu must be > 0")
        if self.max_iter < 1 or self.max_ls < 1:
            raise ValueError(f"IPMOptions: max_iter and max_ls must be >= 1, got {self.max_iter}, {self.max_ls}")
        if not self.acceptable_tol >= self.tol or self.acceptable_iter < 0:
            raise ValueError(f"IPMOptions: need acceptable_tol >= tol and acceptable_iter >= 0, got "
                             f"{self.acceptable_tol}, {self.acceptable_iter}")
        batching.check_tail_fraction(self.tail_fraction, "IPMOptions")
        if not 0.0 < self.reg_init <= self.reg_max < float("inf"):
            raise ValueError(f"IPMOptions: need 0 < reg_init <= reg_max < inf (the inertia correction's shifts), got "
                             f"reg_init={self.reg_init}, reg_max={self.reg_max}")
        if not 0.0 < self.tau < 1.0:
            raise ValueError(f"IPMOptions: tau must be in (0, 1), got {self.tau}")


class Stats(eqx.Module):
    """iterations: accepted steps; kkt_error: final (μ = 0) KKT error; regularization: the last nonzero
    Hessian shift of an accepted step; retries: factorizations that failed the inertia test and were repeated with
    a larger shift (inertia correction; −1 from IPOPT, which does not report it)."""

    iterations: jax.Array
    kkt_error: jax.Array
    regularization: jax.Array
    retries: jax.Array


class Solution(eqx.Module):
    """Optimal trajectory and multipliers of eq. (1).

    xs (H+1, n), us (H, m); lam (H+1, n) dynamics multipliers; s, z (H, n_g) and
    s_H, z_H (n_gH,) slacks and inequality multipliers; result: RESULTS code.
    """

    xs: jax.Array
    us: jax.Array
    lam: jax.Array
    s: jax.Array
    z: jax.Array
    s_H: jax.Array
    z_H: jax.Array
    result: jax.Array
    stats: Stats


# ---- model pieces -------------------------------------------------------------------
def lagrangian(ocp: OCP, xs, us, lam, z, z_H, x_init, theta: Theta):
    """L without the slack terms (their derivative in ζ is zero)."""
    f = jax.vmap(ocp.f, (0, 0, None))(xs[:-1], us, theta.f)
    g = jax.vmap(ocp.g)(xs[:-1], us)
    return (
        ocp.objective(xs, us, theta)
        + jnp.vdot(lam[0], x_init - xs[0])
        + jnp.vdot(lam[1:], f - xs[1:])
        + jnp.vdot(z, g)
        + jnp.vdot(z_H, ocp.g_H(xs[-1]))
    )


def stage_hessian(ocp: OCP, theta: Theta, v, lam_next, z):
    """∇²ℓ of one stage term ℓ(x, u) = c + λ_{i+1}ᵀf + zᵀg over v = (x_i, u_i): (n+m, n+m), one linearization
    and n+m Hessian-vector products."""
    n = ocp.state_size

    def ell(v):
        xv, uv = v[:n], v[n:]
        return ocp.c(xv, uv, theta.c) + jnp.vdot(lam_next, ocp.f(xv, uv, theta.f)) + jnp.vdot(z, ocp.g(xv, uv))

    _, hvp = jax.linearize(jax.grad(ell), v)
    return jax.vmap(hvp)(jnp.eye(v.shape[-1])).T  # column j: ∇²ℓ e_j


def stage_hessians(ocp: OCP, xs, us, lam, z, z_H, theta: Theta):
    """Per-stage ∇²L blocks: (H, n+m, n+m) over (x_i, u_i) and (n, n) over x_H (L is a sum of stage terms, so
    its Hessian is block diagonal)."""
    stages = jnp.concatenate([xs[:-1], us], axis=-1)
    W = jax.vmap(lambda v, l, zi: stage_hessian(ocp, theta, v, l, zi))(stages, lam[1:], z)
    W_H = jax.hessian(lambda x: ocp.c_H(x, theta.H) + jnp.vdot(z_H, ocp.g_H(x)))(xs[-1])
    return W, W_H


def _constraints(ocp, xs, us, x_init, theta):
    f = jax.vmap(ocp.f, (0, 0, None))(xs[:-1], us, theta.f)
    defects = jnp.concatenate([(x_init - xs[0])[None], f - xs[1:]], axis=0)
    return defects, jax.vmap(ocp.g)(xs[:-1], us), ocp.g_H(xs[-1])


def _barrier_and_violation(ocp, xs, us, s, s_H, x_init, theta, mu):
    """(barrier objective J − μΣlog s, ℓ1 constraint violation) for the line search."""
    defects, g, g_H = _constraints(ocp, xs, us, x_init, theta)
    barrier = jnp.sum(jnp.log(s)) + jnp.sum(jnp.log(s_H))
    violation = jnp.sum(jnp.abs(defects)) + jnp.sum(jnp.abs(g + s)) + jnp.sum(jnp.abs(g_H + s_H))
    return ocp.objective(xs, us, theta) - mu * barrier, violation


def _kkt_parts(ocp, v, x_init, theta):
    """The μ-independent parts of the KKT error: (scaled dual infeasibility, primal infeasibility, scale).

    IPOPT's scaling of the dual and complementarity residuals by the multipliers' size; one
    evaluation per iterate serves the error at every μ (``_kkt_error``).
    """
    xs, us, lam, s, z, s_H, z_H = v
    gx, gu = jax.grad(lagrangian, argnums=(1, 2))(ocp, xs, us, lam, z, z_H, x_init, theta)
    defects, g, g_H = _constraints(ocp, xs, us, x_init, theta)
    primal = jnp.max(jnp.abs(jnp.concatenate([defects.ravel(), (g + s).ravel(), g_H + s_H])))
    mults = jnp.concatenate([lam.ravel(), z.ravel(), z_H])
    scale = jnp.maximum(1.0, jnp.mean(jnp.abs(mults)) / 100.0)
    dual = jnp.maximum(jnp.max(jnp.abs(gx)), jnp.max(jnp.abs(gu))) / scale
    return dual, primal, scale


def _kkt_error(parts, v, mu):
    """The barrier problem's KKT error at μ (μ = 0: the problem's own) from ``_kkt_parts`` of iterate v."""
    dual, primal, scale = parts
    _, _, _, s, z, s_H, z_H = v
    comp = jnp.concatenate([(s * z).ravel() - mu, s_H * z_H - mu])
    return jnp.maximum(jnp.maximum(dual, primal), jnp.max(jnp.abs(comp), initial=0.0) / scale)


def _fraction_to_boundary(v, dv, tau):
    ratio = jnp.where(dv < 0, -tau * v / jnp.where(dv < 0, dv, -1.0), jnp.inf)
    return jnp.minimum(1.0, jnp.min(ratio, initial=jnp.inf))


# ---- one Newton step ----------------------------------------------------------------
def _newton_direction(ocp, v, x_init, theta, mu, reg_last, opts, skip=False):
    """The Newton step of the barrier problem at μ, the primal Hessian shifted by the smallest δ of IPOPT's
    inertia-correction sequence that makes the reduced Hessian positive definite (``riccati.solve_lq_inertia``;
    ``reg_last``: the last nonzero shift that worked; ``skip``: a finished member of a batch, which gets no
    retries). Returns (direction, shift, failed tries, singular, objective gradient); singular: the
    shift would have to exceed reg_max (the direction is then void)."""
    xs, us, lam, s, z, s_H, z_H = v
    defects, g, g_H = _constraints(ocp, xs, us, x_init, theta)
    A, B = jax.vmap(jax.jacfwd(ocp.f, argnums=(0, 1)), (0, 0, None))(xs[:-1], us, theta.f)
    G = jax.vmap(jax.jacfwd(lambda x, u: ocp.g(x, u), argnums=(0, 1)))(xs[:-1], us)
    G = jnp.concatenate(G, axis=-1)  # (H, n_g, n+m)
    G_H = jax.jacfwd(ocp.g_H)(xs[-1])  # (n_gH, n)
    W, W_H = stage_hessians(ocp, xs, us, lam, z, z_H, theta)
    sig, sig_H = z / s, z_H / s_H
    rp, rp_H = g + s, g_H + s_H
    W = W + weighted_gram(G, sig)
    W_H = W_H + weighted_gram(G_H, sig_H)
    gJx, gJu = jax.grad(ocp.objective, argnums=(0, 1))(xs, us, theta)
    q = jnp.concatenate([gJx[:-1], gJu], axis=-1) + cols_dot(G, mu / s + sig * rp)
    q_H = gJx[-1] + cols_dot(G_H, mu / s_H + sig_H * rp_H)
    dx, du, lam_new, shift, failures, singular = solve_lq_inertia(W, q, W_H, q_H, A, B, defects, reg_last,
                                                                 opts.reg_init, opts.reg_max, skip)
    Gdz = rows_dot(G, jnp.concatenate([dx[:-1], du], axis=-1))
    ds, ds_H = -rp - Gdz, -rp_H - rows_dot(G_H, dx[-1])
    dz, dz_H = mu / s - z - sig * ds, mu / s_H - z_H - sig_H * ds_H
    return (dx, du, lam_new - lam, ds, dz, ds_H, dz_H), shift, failures, singular, (gJx, gJu)


def _step(ocp, state, parts, x_init, theta, opts, skip=False):
    """One iteration from iterate ``state[0]`` whose ``_kkt_parts`` are ``parts``.

    The inertia correction (``riccati.solve_lq_inertia``) tries the shifts 0, then reg_last/3 (reg_last: the
    last nonzero shift that worked) or reg_init, then ×8, repeating only the backward Riccati recursion on this
    iterate's derivatives; the solve is singular when the next shift would exceed reg_max. That is IPOPT's rule
    (δ_0, κ⁻ = 1/3, κ⁺ = 8) except that IPOPT's first increases are ×100 until a shift has worked: on the
    quadrotor benchmark's batch of 64 ×100 took 19.1 / 23 accepted steps (mean / max) against 18.8 / 22, and the
    batch 1.2× the time, with the retries already this cheap. Under ``vmap`` the retries of the batch
    run in the same recursion, lanes that succeeded keeping their gains; ``skip`` marks a batch's finished
    member (its step is discarded), which then costs no retries and no line search. Returns (state, accepted).
    """
    v, mu, reg_last, it, _, retries = state
    xs, us, lam, s, z, s_H, z_H = v
    kkt_mu = _kkt_error(parts, v, mu)
    # Fiacco–McCormick: shrink μ once the barrier problem is solved to 10 μ.
    shrink = kkt_mu <= 10.0 * mu
    mu = jnp.where(shrink, jnp.maximum(opts.tol / 10, jnp.minimum(0.2 * mu, mu**1.5)), mu)
    d, shift, failures, singular, (gJx, gJu) = _newton_direction(ocp, v, x_init, theta, mu, reg_last, opts, skip)
    ok = ~singular
    dx, du, dlam, ds, dz, ds_H, dz_H = d
    a_p = jnp.minimum(_fraction_to_boundary(s, ds, opts.tau), _fraction_to_boundary(s_H, ds_H, opts.tau))
    a_d = jnp.minimum(_fraction_to_boundary(z, dz, opts.tau), _fraction_to_boundary(z_H, dz_H, opts.tau))
    phi0, viol0 = _barrier_and_violation(ocp, xs, us, s, s_H, x_init, theta, mu)
    slope = jnp.vdot(gJx, dx) + jnp.vdot(gJu, du) - mu * (jnp.sum(ds / s) + jnp.sum(ds_H / s_H))
    theta_max = jnp.maximum(1e4, 1e4 * viol0)
    # Armijo on the barrier objective when the iterate is nearly feasible and the step descends
    # (IPOPT's switching condition); otherwise a sufficient decrease of either the barrier
    # objective or the constraint violation (a filter holding only the current iterate).
    switching = (slope < 0) & (viol0 <= 1e-6)

    def acceptable(a):
        phi, viol = _barrier_and_violation(ocp, xs + a * dx, us + a * du, s + a * ds, s_H + a * ds_H, x_init, theta, mu)
        armijo = phi <= phi0 + 1e-4 * a * slope
        filt = ((viol <= (1 - 1e-5) * viol0) | (phi <= phi0 - 1e-5 * viol0)) & (viol <= theta_max)
        ok = jnp.where(switching, armijo, filt | (armijo & (viol <= viol0)))
        return ok & jnp.isfinite(phi)

    def reject(carry):
        a, k = carry
        return ok & ~skip & (k < opts.max_ls) & ~acceptable(a)  # no search on a direction that is discarded

    a, _ = jax.lax.while_loop(reject, lambda c: (0.5 * c[0], c[1] + 1), (a_p, jnp.array(0)))
    stepped = (xs + a * dx, us + a * du, lam + a * dlam, s + a * ds, z + a_d * dz, s_H + a * ds_H, z_H + a_d * dz_H)
    v = jax.tree_util.tree_map(lambda new, old: jnp.where(ok, new, old), stepped, v)
    state = (v, mu, jnp.where(ok & (shift > 0), shift, reg_last), it + ok, singular, retries + failures)
    return state, ok


def _initial(ocp, x_init, theta, warm, mu0):
    H, n, m = ocp.horizon, ocp.state_size, ocp.control_size
    if warm is None:
        xs, us, lam = jnp.tile(x_init, (H + 1, 1)), jnp.zeros((H, m)), jnp.zeros((H + 1, n))
    else:  # shift the previous solution by one stage (receding horizon)
        xs = jnp.concatenate([x_init[None], warm.xs[2:], warm.xs[-1:]], axis=0)
        us = jnp.concatenate([warm.us[1:], warm.us[-1:]], axis=0)
        lam = jnp.concatenate([warm.lam[1:], warm.lam[-1:]], axis=0)
    _, g, g_H = _constraints(ocp, xs, us, x_init, theta)
    floor = jnp.sqrt(mu0)
    s, s_H = jnp.maximum(-g, floor), jnp.maximum(-g_H, floor)
    return (xs, us, lam, s, mu0 / s, s_H, mu0 / s_H)


def _start(ocp, opts, x_init, theta, warm):
    mu0 = opts.mu_init if warm is None else opts.warm_mu
    v0 = _initial(ocp, x_init, theta, warm, mu0)
    return ((v0, jnp.asarray(mu0), jnp.asarray(0.0), jnp.asarray(0), jnp.asarray(False), jnp.asarray(0)),
            _kkt_parts(ocp, v0, x_init, theta), jnp.asarray(0))


def _acceptable(opts, n_acceptable):
    return (opts.acceptable_iter > 0) & (n_acceptable >= opts.acceptable_iter)


def _active(opts, carry):
    (v, mu, reg, it, singular, _), parts, n_acceptable = carry
    err = _kkt_error(parts, v, 0.0)
    finite = jnp.all(jnp.asarray([jnp.all(jnp.isfinite(a)) for a in v]))
    return (err > opts.tol) & (it < opts.max_iter) & finite & ~singular & ~_acceptable(opts, n_acceptable)


def _advance(ocp, opts, x_init, theta, carry):
    state, parts, n_acceptable = carry
    # in a batch, finished members are stepped too (and their step discarded): they must cost no retries
    state, accepted = _step(ocp, state, parts, x_init, theta, opts, skip=~_active(opts, carry))
    parts = _kkt_parts(ocp, state[0], x_init, theta)
    err = _kkt_error(parts, state[0], 0.0)
    counted = jnp.where(err <= opts.acceptable_tol, n_acceptable + 1, 0)
    return state, parts, jnp.where(accepted, counted, n_acceptable)


def _finish(opts, carry) -> Solution:
    (v, mu, reg, it, singular, retries), parts, n_acceptable = carry
    err, primal = _kkt_error(parts, v, 0.0), parts[1]
    finite = jnp.all(jnp.asarray([jnp.all(jnp.isfinite(a)) for a in v])) & jnp.isfinite(err)
    result = jnp.where(
        ~finite, RESULTS.nonfinite,
        jnp.where(singular, RESULTS.singular_linear_system,
                  jnp.where((err <= opts.tol) | _acceptable(opts, n_acceptable), RESULTS.successful,
                            jnp.where(primal > 1e-6, RESULTS.infeasible, RESULTS.max_iterations_reached))))
    xs, us, lam, s, z, s_H, z_H = v
    return Solution(xs, us, lam, s, z, s_H, z_H, result, Stats(it, err, reg, retries))


def solve(ocp: OCP, x_init, theta: Theta, opts: IPMOptions = IPMOptions(), warm: Solution | None = None) -> Solution:
    """Solve eq. (1) from ``x_init`` (n,). ``warm``: previous Solution (Step mode). vmap over x_init (and θ, warm):
    a vmapped batch of B ≥ 16 iterates together until at most ⌈tail_fraction·B⌉ solves still run, which finish
    as a smaller batch (``pydojo.solver.batching``; each solve's iterates are its own, up to rounding). That is a
    custom_vmap rule, so ``solve`` has no reverse-mode derivative (nor had its while loop): ∂u*/∂θ is IDOC's."""
    theta = ocp.check_theta(theta)
    x_init = ocp.check_state(x_init)

    def one(x_init, theta, warm):
        carry = jax.lax.while_loop(partial(_active, opts), partial(_advance, ocp, opts, x_init, theta),
                                   _start(ocp, opts, x_init, theta, warm))
        return _finish(opts, carry)

    def batched(axis_size, x_init, theta, warm):
        carry = jax.vmap(lambda x, th, w: _start(ocp, opts, x, th, w))(x_init, theta, warm)
        step = batching.masked_step(partial(_active, opts), lambda a, c: _advance(ocp, opts, a[0], a[1], c))
        carry = batching.run_with_tail(jax.vmap(partial(_active, opts)), step, (x_init, theta), carry,
                                       batching.tail_size(axis_size, opts.tail_fraction))
        return jax.vmap(partial(_finish, opts))(carry)

    return batching.batch_rule(one, batched)(x_init, theta, warm)
