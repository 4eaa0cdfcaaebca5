"""Primal-dual interior point with Mehrotra predictor–corrector, stopping on the central path.

The seed's Appendix B / Algorithm 2, changed so that the returned point is the
central-path point at μ_sc (a smooth function of the data) rather than any point
with products below a threshold:

1. predictor: the Newton direction towards λ∘s = μ_sc e (the affine direction of the
   seed when μ_sc = 0); α_aff = max step to the cone boundary;
2. ϱ = mean over pairs of |λᵀs − μ_sc| (= Σλᵀs / n_pairs when μ_sc = 0), ϱ_aff the
   same at the predictor's trial point, σ = (ϱ_aff/ϱ)³;
3. corrector: target μ_sc + σϱ per pair, with Mehrotra's Δλ_aff∘Δs_aff term. The
   predictor vanishes on the central path at μ_sc, so this fixed point *is* the
   central-path point and the last iterations converge quadratically onto it. Once a step has been
   shorter than ``stall_step``, each pair with μ_sc > 0 aims at μ_sc + σ·max(λᵢᵀsᵢ − μ_sc, 0) for the rest of
   the solve: a uniform σϱ pushes pairs already at μ_sc off it while a few others converge, which can pin
   the steps near the boundary for dozens of iterations;
4. step α = min(1, τ·max step) (fraction to boundary τ), halved while both the
   equality and the complementarity violation grow (Dojo's acceptance rule) or while a
   pair's λᵀs would drop below ``centrality``·μ_sc (a neighbourhood of the central path:
   a pair whose product collapses far below its target pins later steps at the boundary);
5. stop when ‖E‖∞ ≤ rtol and |λ∘s − μ_sc e|∞ ≤ comp_rtol·μ_sc + comp_atol per pair.

Each Newton system eliminates Δs through Arw(λ)Δs = −r_c − Arw(s)Δλ and is factored once
per iteration and reused for both solves (``pydojo.solver.newton``: the dense (n_y + n_c)
reduced system, or its n_y × n_y Schur complement when the problem declares a block structure).
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from pydojo.solver import batching
from pydojo.solver.newton import NewtonSolver, equality_jacobians, newton_solver
from pydojo.solver.options import SolverOptions
from pydojo.solver.problems import MCP
from pydojo.solver.results import RESULTS

_DIVERGED = 1e20
TRACE_KEYS = ("eq_residual", "comp_residual", "mu_target", "sigma", "alpha")


def _violations(problem: MCP, w, data, mu_e):
    """(‖E‖∞, |λ∘s − μe|∞) at w for the per-entry target μe."""
    _, lam, s = problem.split(w)
    eq = problem.equality(w, data)
    comp = problem.cone.product(lam, s) - mu_e
    return jnp.max(jnp.abs(eq), initial=0.0), jnp.max(jnp.abs(comp), initial=0.0)


def _converged(problem: MCP, w, data, mu_pair, options: SolverOptions):
    cone = problem.cone
    _, lam, s = problem.split(w)
    eq = jnp.max(jnp.abs(problem.equality(w, data)), initial=0.0)
    err = jnp.abs(cone.product(lam, s) - cone.expand(mu_pair))
    # Rounding in a pair's product is relative to ‖λ‖‖s‖ (a cone's λ₀s₁ + s₀λ₁ cancels O(‖λ‖‖s‖) terms).
    idx = cone.pair_index()
    norms = jnp.sqrt(jax.ops.segment_sum(lam * lam, idx, cone.n_pairs) * jax.ops.segment_sum(s * s, idx, cone.n_pairs))
    tol = (options.comp_rtol * mu_pair + options.comp_atol * (1.0 + norms))[idx]
    return eq, jnp.max(err, initial=0.0), (eq <= options.rtol) & jnp.all(err <= tol)


def _status(w, eq):
    finite = jnp.all(jnp.isfinite(w)) & jnp.isfinite(eq)
    diverged = jnp.max(jnp.abs(w), initial=0.0) > _DIVERGED
    return jnp.where(~finite, RESULTS.nonfinite, jnp.where(diverged, RESULTS.infeasible, RESULTS.successful))


def _max_alpha(problem: MCP, lam, s, d_lam, d_s):
    cone = problem.cone
    return jnp.minimum(cone.max_step(lam, d_lam), cone.max_step(s, d_s))


def _line_search(problem: MCP, w, dw, alpha, data, mu_e, mu_pair, options: SolverOptions, unrolled: bool):
    """Halve α while both violations grow, or while a pair's product λᵀs would fall below
    ``centrality``·μ_sc (at most max_ls times)."""
    eq0, comp0 = _violations(problem, w, data, mu_e)
    floor = options.centrality * mu_pair

    def worse(a):
        w1 = w + a * dw
        eq1, comp1 = _violations(problem, w1, data, mu_e)
        _, lam1, s1 = problem.split(w1)
        off_centre = jnp.any(problem.cone.pair_products(lam1, s1) < floor)
        return ((eq1 > eq0) & (comp1 > comp0)) | off_centre

    if unrolled:  # fixed trip count keeps reverse mode available
        return jax.lax.fori_loop(0, options.max_ls, lambda _, a: jnp.where(worse(a), 0.5 * a, a), alpha)

    def cond(c):
        a, i = c
        return (i < options.max_ls) & worse(a)

    return jax.lax.while_loop(cond, lambda c: (0.5 * c[0], c[1] + 1), (alpha, 0))[0]


def _iteration(problem: MCP, w, data, mu_pair, options: SolverOptions, unrolled: bool, newton: NewtonSolver,
               prepared, stalled):
    """One Mehrotra iteration; returns the new point and (target, σ, α) for the trace."""
    cone = problem.cone
    _, lam, s = problem.split(w)
    if prepared is None:  # nonlinear E: its Jacobians move with w
        prepared = newton.prepare(problem, equality_jacobians(problem, w, data))
    factors = newton.factor(problem, prepared, lam, s)
    r_eq = problem.equality(w, data)
    comp = cone.product(lam, s)

    # Predictor: the Newton direction towards the floor targets μ_sc (the affine step of
    # the seed's Algorithm 2 when μ_sc = 0). It vanishes at the central point, so the
    # second-order correction below never pulls the iterate off it.
    mu_e = cone.expand(mu_pair)
    _, dl_a, ds_a = newton.direction(problem, factors, s, r_eq, comp - mu_e)
    a_aff = jnp.minimum(1.0, _max_alpha(problem, lam, s, dl_a, ds_a))
    offset = cone.pair_products(lam, s) - mu_pair  # each pair's λᵢᵀsᵢ − μ_sc
    excess = jnp.mean(jnp.abs(offset))
    trial = cone.pair_products(lam + a_aff * dl_a, s + a_aff * ds_a)
    ratio = jnp.mean(jnp.abs(trial - mu_pair)) / jnp.where(excess > 0, excess, 1.0)
    sigma = jnp.clip(ratio, 0.0, 1.0) ** 3

    # Corrector: centre at μ_sc + σ·excess (σϱ for μ_sc = 0) with Mehrotra's Δλ_aff∘Δs_aff. Once a step was
    # shorter than options.stall_step (``stalled``, for the rest of the solve) a pair with μ_sc > 0 aims at
    # μ_sc + σ·max(λᵢᵀsᵢ − μ_sc, 0) instead: pairs already at μ_sc are no longer pushed off it by the others'
    # excess, which had pinned the steps at α ≈ 0.01–0.05 for dozens of iterations (tests/solver/test_regressions.py).
    target = mu_pair + sigma * jnp.where(stalled & (mu_pair > 0), jnp.maximum(offset, 0.0), excess)
    r_comp = comp + cone.product(dl_a, ds_a) - cone.expand(target)
    d_y, d_lam, d_s = newton.direction(problem, factors, s, r_eq, r_comp)
    dw = jnp.concatenate([d_y, d_lam, d_s])

    alpha = jnp.minimum(1.0, options.boundary_fraction * _max_alpha(problem, lam, s, d_lam, d_s))
    alpha = _line_search(problem, w, dw, alpha, data, cone.expand(target), mu_pair, options, unrolled)
    return w + alpha * dw, (jnp.max(target), sigma, alpha)


def initial_point(problem: MCP, init_y, options: SolverOptions, dtype):
    e = options.init_scale * problem.cone.identity().astype(dtype)
    y0 = jnp.zeros(problem.n_y, dtype) if init_y is None else jnp.asarray(init_y, dtype)
    return jnp.concatenate([y0, e, e])


def _prepare(problem: MCP, newton: NewtonSolver, data, w0):
    """The Newton matrices' fixed part for a linear E (its Jacobians do not move with w), else None."""
    return newton.prepare(problem, equality_jacobians(problem, w0, data)) if problem.linear else None


def _start(problem: MCP, data, mu_pair, w0, options: SolverOptions):
    """The loop's carry at w0: (w, iterations, done, status, ‖E‖∞, |λ∘s − μ|∞, stalled, trace)."""
    nan_trace = {k: jnp.full(options.max_iter, jnp.nan, w0.dtype) for k in TRACE_KEYS}
    eq0, comp0, conv0 = _converged(problem, w0, data, mu_pair, options)
    status0 = _status(w0, eq0)
    return (w0, jnp.asarray(0), conv0 | (status0 != RESULTS.successful), status0, eq0, comp0,
            jnp.asarray(False), nan_trace if options.trace else None)


def _active(carry, options: SolverOptions):
    """Whether a problem still iterates: not done and below max_iter."""
    return (~carry[2]) & (carry[1] < options.max_iter)


def _advance(problem: MCP, newton: NewtonSolver, data, mu_pair, prepared, carry, options: SolverOptions,
             unrolled: bool):
    """One iteration of the loop; a problem that is done keeps its carry."""
    w, k, done, status, eq, comp, stalled, trace = carry
    w_new, (target, sigma, alpha) = _iteration(problem, w, data, mu_pair, options, unrolled, newton, prepared,
                                               stalled)
    eq_new, comp_new, conv = _converged(problem, w_new, data, mu_pair, options)
    # A Newton direction that is not finite from a finite iterate means a singular system.
    singular = ~jnp.all(jnp.isfinite(w_new)) & jnp.all(jnp.isfinite(w)) & jnp.isfinite(eq)
    status_new = jnp.where(singular, RESULTS.singular_linear_system, _status(w_new, eq_new))
    if trace is not None:
        vals = dict(eq_residual=eq, comp_residual=comp, mu_target=target, sigma=sigma, alpha=alpha)
        trace = {key: jnp.where(done, trace[key], trace[key].at[k].set(vals[key])) for key in TRACE_KEYS}
    keep = done
    w_out = jnp.where(keep, w, w_new)
    return (w_out, jnp.where(keep, k, k + 1), keep | conv | (status_new != RESULTS.successful),
            jnp.where(keep, status, status_new), jnp.where(keep, eq, eq_new),
            jnp.where(keep, comp, comp_new), stalled | (alpha < options.stall_step), trace)


def _finish(carry):
    w, k, done, status, eq, comp, _, trace = carry
    result = jnp.where(status != RESULTS.successful, status,
                       jnp.where(done, RESULTS.successful, RESULTS.max_iterations_reached))
    return w, result.astype(jnp.int32), k, eq, comp, trace


def run(problem: MCP, data: Any, mu_pair: jax.Array, w0: jax.Array, options: SolverOptions, unrolled: bool):
    """Iterate from w0. Returns (w, result, iterations, eq_residual, comp_residual, trace or None).

    ``unrolled=False`` uses a while loop (stops per problem; not reverse-differentiable);
    ``unrolled=True`` scans max_iter iterations, freezing converged iterates.
    """
    newton = newton_solver(problem, options)
    prepared = _prepare(problem, newton, data, w0)
    carry0 = _start(problem, data, mu_pair, w0, options)

    def body(carry):
        return _advance(problem, newton, data, mu_pair, prepared, carry, options, unrolled)

    if unrolled:
        carry = jax.lax.fori_loop(0, options.max_iter, lambda _, c: body(c), carry0)
    else:
        carry = jax.lax.while_loop(lambda c: _active(c, options), body, carry0)
    return _finish(carry)


def run_batch(problem: MCP, data: Any, mu_pair: jax.Array, w0: jax.Array, options: SolverOptions, tail: int,
              valid=None):
    """``run`` (while-loop form) on a batch (every leaf has a leading batch axis), each problem stopping at
    its own iteration count as in ``jax.vmap(run)``, but the batch stops paying for its converged members:
    once at most ``tail`` problems still iterate, those finish alone as a batch of ``tail``
    (``pydojo.solver.batching``). ``tail >= B`` is plain ``vmap(run)``.
    ``valid`` (bool, (B,)): rows marked False (a chunk's padding) start as done and never iterate."""
    newton = newton_solver(problem, options)
    prepared = jax.vmap(lambda d, w: _prepare(problem, newton, d, w))(data, w0)
    carry = jax.vmap(lambda d, m, w: _start(problem, d, m, w, options))(data, mu_pair, w0)
    if valid is not None:
        carry = carry[:2] + (carry[2] | ~valid,) + carry[3:]
    active_one = lambda c: _active(c, options)
    step = batching.masked_step(active_one, lambda a, c: _advance(problem, newton, *a, c, options, False))
    carry = batching.run_with_tail(jax.vmap(active_one), step, (data, mu_pair, prepared), carry, tail)
    return jax.vmap(_finish)(carry)
