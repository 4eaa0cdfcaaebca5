"""``solve``: the front door of the complementarity solver (validation, adjoint choice, errors)."""
from __future__ import annotations

from typing import Any, Optional

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.solver import batching, interior_point
from pydojo.solver.implicit import attach_implicit_gradient
from pydojo.solver.newton import SchurNewton, newton_solver
from pydojo.solver.options import Solution, SolverOptions, Stats
from pydojo.solver.problems import MCP, check_lcp_data, lcp_problem
from pydojo.solver.certificates import lcp_infeasibility_certificate
from pydojo.solver.results import RESULTS, raise_if_failed


def _check_mu(problem: MCP, mu) -> None:
    """Shape check always; value check here when μ is concrete (under jit: ``eqx.error_if`` in the core)."""
    n_pairs = problem.cone.n_pairs
    if jnp.shape(mu) not in ((), (n_pairs,)):
        raise ValueError(
            f"mu must be a scalar or have shape ({n_pairs},) (one per complementarity pair), got {jnp.shape(mu)}")
    if not isinstance(mu, jax.core.Tracer) and not np.all(np.asarray(mu) >= 0):
        raise ValueError(f"mu (the central-path value mu_sc) must be finite and >= 0, got {mu}")


def solve(
    problem: MCP,
    data: Any,
    mu,
    *,
    init_y: Optional[jax.Array] = None,
    options: SolverOptions = SolverOptions(),
    throw: bool = True,
) -> Solution:
    """Return the central-path point of ``problem`` at μ = ``mu`` (scalar or one per pair).

    ``data`` is any pytree of float arrays the residual reads; everything returned is
    differentiable w.r.t. it (and w.r.t. ``mu`` when ``options.mu_gradient == "total"``).
    ``init_y`` warm-starts the free unknowns (the pairs always restart from the neutral
    point, as in Dojo). With ``throw=True`` a failed solve raises, also under jit/vmap;
    otherwise ``Solution.result`` reports it.
    """
    if not isinstance(problem, MCP):
        raise TypeError(f"problem must be a pydojo.solver.MCP, got {type(problem).__name__}")
    _check_mu(problem, mu)
    if init_y is not None and jnp.shape(init_y) != (problem.n_y,):
        raise ValueError(f"init_y must have shape ({problem.n_y},), got {jnp.shape(init_y)}")
    return _solve(problem, data, jnp.asarray(mu, jnp.float64), init_y, options, throw)


@eqx.filter_jit
def _solve(problem: MCP, data: Any, mu: jax.Array, init_y, options: SolverOptions, throw: bool) -> Solution:
    mu = eqx.error_if(mu, jnp.any(~(mu >= 0)), "mu (the central-path value mu_sc) must be finite and >= 0")
    mu_pair = jnp.broadcast_to(mu, (problem.cone.n_pairs,))
    if options.mu_gradient == "constant":
        mu_pair = jax.lax.stop_gradient(mu_pair)
    leaves = jax.tree_util.tree_leaves(data)
    dtype = jnp.result_type(*leaves, jnp.float64) if leaves else jnp.float64
    # A warm start only chooses where the iteration begins: never differentiate through it.
    init_y = None if init_y is None else jax.lax.stop_gradient(init_y)
    w0 = interior_point.initial_point(problem, init_y, options, dtype)

    if options.adjoint == "implicit":
        stopped = jax.lax.stop_gradient((data, mu_pair))
        w, result, iters, eq, comp, trace = _run_batchable(problem, options, *stopped, w0)
        w = attach_implicit_gradient(problem, options, w, data, mu_pair)
    else:
        w, result, iters, eq, comp, trace = interior_point.run(problem, data, mu_pair, w0, options, unrolled=True)
    y, lam, s = problem.split(w)
    sol = Solution(y=y, lam=lam, s=s, result=result, stats=Stats(iters, eq, comp), trace=trace)
    if throw:
        sol = raise_if_failed(sol, result, "pydojo.solver.solve")
    return sol


def _use_map(problem: MCP, options: SolverOptions) -> bool:
    if options.batching != "auto":
        return options.batching == "map"
    if isinstance(newton_solver(problem, options), SchurNewton):
        return False  # small batched factorizations: vmap amortizes on every backend
    return jax.default_backend() == "cpu" and problem.n_y + problem.n_c >= options.map_threshold


def _chunk(problem: MCP, options: SolverOptions) -> int:
    """The chunk size of a vmapped batch (``SolverOptions.batch_chunk``; "auto": from the problem's size)."""
    if options.batch_chunk != "auto":
        return options.batch_chunk
    if jax.default_backend() != "cpu":
        return 0  # the rule was measured on CPU caches; accelerators run the whole batch at once
    per_problem = max(1, problem.n_y + 2 * problem.n_c)
    return max(32, 1 << max(0, (3000 // per_problem).bit_length() - 1))


def _run_chunked(problem: MCP, options: SolverOptions, args, size: int):
    """``run_batch`` on consecutive chunks of at most ``_chunk`` problems, one chunk after another
    (the last one padded with copies of the batch's first problem, marked done at the start and dropped)."""
    chunk = _chunk(problem, options)
    if chunk == 0 or size <= chunk:
        return interior_point.run_batch(problem, *args, options, batching.tail_size(size, options.tail_fraction))
    n = -(-size // chunk)
    pad = n * chunk - size

    def split(x):
        if pad:
            x = jnp.concatenate([x, jnp.broadcast_to(x[:1], (pad,) + x.shape[1:])])
        return x.reshape((n, chunk) + x.shape[1:])

    valid = (jnp.arange(n * chunk) < size).reshape(n, chunk)  # the padding starts as done: it costs no iterations
    tail = batching.tail_size(chunk, options.tail_fraction)
    out = jax.lax.map(lambda a: interior_point.run_batch(problem, *a[0], options, tail, a[1]),
                      (jax.tree_util.tree_map(split, args), valid))
    return jax.tree_util.tree_map(lambda x: x.reshape((n * chunk,) + x.shape[2:])[:size], out)


def _run_batchable(problem: MCP, options: SolverOptions, data, mu_pair, w0):
    """The iteration loop with a batching rule: under vmap, batch it or map it (see SolverOptions.batching)."""

    def run(data, mu_pair, w0):
        return interior_point.run(problem, data, mu_pair, w0, options, unrolled=False)

    def batched(axis_size, *args):
        if _use_map(problem, options):
            return jax.lax.map(lambda a: run(*a), args)
        return _run_chunked(problem, options, args, axis_size)

    core = batching.batch_rule(run, batched)
    return core(data, mu_pair, w0)


def solve_lcp(F, q, mu, *, options: SolverOptions = SolverOptions(), throw: bool = True) -> Solution:
    """The LCP s = Fλ + q, λ, s ≥ 0, λ∘s = μ·1 (μ → 0: the exact LCP). Called on concrete data, a
    failed solve whose data certify that no feasible point exists reports ``RESULTS.infeasible``
    (``pydojo.solver.certificates``); under jit/vmap the interior point's own status is returned."""
    F, q = check_lcp_data(F, q)
    problem = lcp_problem(q.shape[0])
    if any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves((F, q, mu))):
        return solve(problem, (F, q), mu, options=options, throw=throw)
    # Concrete data: a failed solve whose data admit no feasible point is reported as infeasible (Farkas).
    sol = solve(problem, (F, q), mu, options=options, throw=False)
    if int(sol.result) != RESULTS.successful and lcp_infeasibility_certificate(F, q) is not None:
        sol = eqx.tree_at(lambda t: t.result, sol, jnp.asarray(RESULTS.infeasible, jnp.int32))
    return raise_if_failed(sol, sol.result, "pydojo.solver.solve_lcp") if throw else sol
