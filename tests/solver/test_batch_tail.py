"""How a vmapped solve runs its batch (SolverOptions.tail_fraction, batch_chunk) changes only the cost.

The references are ``jax.vmap`` of the per-problem loop itself (``interior_point.run``, JAX's own while-loop
batching, not our rule), the plain batch (tail_fraction=1, batch_chunk=0) and single solves. Checked on inputs
the defaults were not chosen on: batch sizes that are not multiples of the chunk, members that stop at
max_iter inside the tail, members done at the start, a nonlinear problem, the trace, a structured (Schur)
problem, nested vmaps and the implicit gradient.
"""
import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.solver import MCP, BlockStructure, Cone, SolverOptions, solve, solve_lcp

PLAIN = SolverOptions(tail_fraction=1.0, batch_chunk=0)
LAYOUTS = [SolverOptions(tail_fraction=0.125, batch_chunk=0),   # tail only
           SolverOptions(tail_fraction=0.125, batch_chunk=16),  # chunks of 16 (the last one padded), each a tail
           SolverOptions(tail_fraction=0.5, batch_chunk=32)]


def _lcps(batch, n=16, seed=0):
    """Non-monotone P-matrix LCPs (lower-triangular F, positive diagonal), as in the solver's reference tests."""
    rng = np.random.default_rng(seed)
    F = np.tril(rng.normal(size=(batch, n, n)), -1) + np.einsum("bi,ij->bij", rng.uniform(0.5, 2.0, (batch, n)), np.eye(n))
    return jnp.asarray(F), jnp.asarray(rng.normal(size=(batch, n)))


def _batched_lcp(options):
    return jax.jit(jax.vmap(lambda F, q: solve_lcp(F, q, 1e-8, options=options, throw=False)))


def _assert_same(a, b, what):
    np.testing.assert_array_equal(np.asarray(a.result), np.asarray(b.result), err_msg=what)
    np.testing.assert_array_equal(np.asarray(a.stats.iterations), np.asarray(b.stats.iterations), err_msg=what)
    for part in ("y", "lam", "s"):
        # The same iterates, up to rounding: XLA vectorizes a batch of 16 and one of 40 differently (measured
        # ≤ 3e-11 relative on the QP below, 0 on the LCPs); the solver's own tolerance is comp_rtol = 1e-9.
        np.testing.assert_allclose(np.asarray(getattr(a, part)), np.asarray(getattr(b, part)), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{what}: {part}")


@pytest.mark.timeout(300)
def test_tail_and_chunks_equal_the_plain_batch_on_lcps():
    F, q = _lcps(70)
    for max_iter in (50, 12):  # 12: the slowest member (13 iterations) stops at max_iter inside the tail
        plain = _batched_lcp(dataclasses.replace(PLAIN, max_iter=max_iter))(F, q)
        iters = np.asarray(plain.stats.iterations)
        # The tail phase runs: when at most 9 (= ⌈0.125·70⌉) are still iterating, some still are.
        assert np.sort(iters)[-10] < iters.max(), iters
        if max_iter == 12:
            assert 0 < np.sum(np.asarray(plain.result) != 0) < 10, "a member in the tail must reach max_iter"
        for options in LAYOUTS:
            _assert_same(_batched_lcp(dataclasses.replace(options, max_iter=max_iter))(F, q), plain,
                         f"max_iter={max_iter} {options.tail_fraction} {options.batch_chunk}")
    single = solve_lcp(F[41], q[41], 1e-8, throw=False)
    tailed = _batched_lcp(LAYOUTS[1])(F, q)
    assert int(single.stats.iterations) == int(tailed.stats.iterations[41])
    np.testing.assert_allclose(np.asarray(tailed.lam[41]), np.asarray(single.lam), rtol=1e-12, atol=1e-14)


@pytest.mark.timeout(300)
def test_implicit_gradient_and_nested_vmap_are_unchanged():
    F, q = _lcps(24, n=6, seed=1)

    def loss(options):
        return lambda F, q: jnp.sum(jax.vmap(lambda F, q: solve_lcp(F, q, 1e-3, options=options).lam)(F, q) ** 2)

    grads = {o: jax.jit(jax.grad(loss(o), argnums=(0, 1)))(F, q) for o in (PLAIN, LAYOUTS[1])}
    for g_plain, g_tail in zip(grads[PLAIN], grads[LAYOUTS[1]]):
        np.testing.assert_allclose(np.asarray(g_tail), np.asarray(g_plain), rtol=1e-10, atol=1e-12)
    mus = jnp.asarray([1e-8, 1e-3])

    def nested(options):  # outer vmap over mu_sc, inner over the problems
        return jax.jit(jax.vmap(lambda m: jax.vmap(lambda F, q: solve_lcp(F, q, m, options=options, throw=False))(F, q)))

    _assert_same(nested(LAYOUTS[1])(mus), nested(PLAIN)(mus), "nested vmap")


def _cubic_residual(y, lam, s, data):
    """A nonlinear MCP (E's Jacobian moves with y): y³ + y − c − Σλ = 0, s = y·a + b (orthant pairs)."""
    c, a, b = data
    return jnp.concatenate([y ** 3 + y - c - jnp.sum(lam), s - (y[0] * a + b)])


@pytest.mark.timeout(300)
def test_a_nonlinear_traced_batch_with_members_done_at_the_start_equals_jax_vmap_of_the_loop():
    from pydojo.solver import interior_point

    m, batch = 3, 45
    rng = np.random.default_rng(4)
    c, a, b = rng.normal(size=(batch, 1)), rng.uniform(0.5, 1.5, (batch, m)), rng.uniform(0.5, 2.0, (batch, m))
    mu = np.full(batch, 1e-6)
    done = [5, 17, 30]  # y = 0, λ = s = 1 = μ solves these exactly at the initial point: done before iterating
    c[done], b[done], mu[done] = -float(m), 1.0, 1.0
    data, mu = tuple(map(jnp.asarray, (c, a, b))), jnp.asarray(mu)
    prob = MCP(residual=_cubic_residual, n_y=1, cone=Cone(n_orthant=m), linear=False)
    for max_iter in (50, 6):
        options = SolverOptions(trace=True, max_iter=max_iter, tail_fraction=0.125, batch_chunk=16)

        def loop(d, mu_sc):
            w0 = interior_point.initial_point(prob, None, options, jnp.float64)
            return interior_point.run(prob, d, jnp.broadcast_to(mu_sc, (m,)), w0, options, unrolled=False)

        w, result, iters, _, _, trace = jax.jit(jax.vmap(loop))(data, mu)
        sol = jax.jit(jax.vmap(lambda d, mu_sc: solve(prob, d, mu_sc, options=options, throw=False)))(data, mu)
        assert np.all(np.asarray(iters)[done] == 0) and np.asarray(iters).max() > 0
        if max_iter == 6:
            assert np.any(np.asarray(result) != 0), "some members must stop at max_iter"
        np.testing.assert_array_equal(np.asarray(sol.result), np.asarray(result))
        np.testing.assert_array_equal(np.asarray(sol.stats.iterations), np.asarray(iters))
        np.testing.assert_allclose(np.asarray(jnp.concatenate([sol.y, sol.lam, sol.s], axis=1)), np.asarray(w),
                                   rtol=1e-9, atol=1e-12)
        for key, values in trace.items():
            np.testing.assert_allclose(np.asarray(sol.trace[key]), np.asarray(values), rtol=1e-9, atol=1e-12,
                                       err_msg=key)


def _qp_residual(y, lam, s, data):
    P, c, G, h = data
    return jnp.concatenate([P @ y + c + G.T @ lam, s - (h - G @ y)])


@pytest.mark.timeout(300)
def test_a_structured_problem_batched_with_a_tail_equals_the_plain_batch():
    n, m, batch = 4, 7, 40
    rng = np.random.default_rng(2)
    a = rng.normal(size=(batch, n, n))
    data = (jnp.asarray(a @ np.swapaxes(a, 1, 2) + 0.1 * np.eye(n)), jnp.asarray(rng.normal(size=(batch, n))),
            jnp.asarray(rng.normal(size=(batch, m, n))), jnp.asarray(rng.uniform(0.1, 1.0, (batch, m))))
    structure = BlockStructure(groups=tuple((i,) for i in range(m)), primal_uses_slacks=False)
    prob = MCP(residual=_qp_residual, n_y=n, cone=Cone(n_orthant=m), linear=True, structure=structure)

    def run(options):
        options = dataclasses.replace(options, linear_solver="schur")
        return jax.jit(jax.vmap(lambda d: solve(prob, d, 1e-10, options=options, throw=False)))(data)

    plain = run(PLAIN)
    assert np.all(np.asarray(plain.result) == 0)
    for options in LAYOUTS:
        _assert_same(run(options), plain, f"QP {options.tail_fraction} {options.batch_chunk}")


@pytest.mark.timeout(60)
def test_bad_batch_options_are_refused():
    with pytest.raises(ValueError, match=r"tail_fraction must be in \(0, 1\] \(1 disables\), got 0"):
        SolverOptions(tail_fraction=0.0)
    with pytest.raises(ValueError, match=r"tail_fraction must be in \(0, 1\]"):
        SolverOptions(tail_fraction=1.5)
    with pytest.raises(ValueError, match=r"batch_chunk must be 'auto' or an integer >= 0 \(0: no chunks\), got -4"):
        SolverOptions(batch_chunk=-4)
    with pytest.raises(ValueError, match=r"batch_chunk must be 'auto' or an integer >= 0 \(0: no chunks\), got 'big'"):
        SolverOptions(batch_chunk="big")
    with pytest.raises(ValueError, match=r"batch_chunk must be 'auto' or an integer >= 0 \(0: no chunks\), got True"):
        SolverOptions(batch_chunk=True)
    with pytest.raises(ValueError, match=r"tail_fraction must be in \(0, 1\]"):
        SolverOptions(tail_fraction="half")
    assert SolverOptions(batch_chunk=np.int64(32)).batch_chunk == 32


def test_automatic_chunks_follow_the_problem_size():
    from pydojo.solver.problems import lcp_problem
    from pydojo.solver.solve import _chunk

    auto = SolverOptions()
    assert _chunk(lcp_problem(4), auto) == 256 and _chunk(lcp_problem(16), auto) == 64  # 3000 / 8, 3000 / 32
    assert _chunk(lcp_problem(64), auto) == 32  # at least 32
    assert _chunk(lcp_problem(16), SolverOptions(batch_chunk=8)) == 8
    from pydojo.solver.batching import tail_size

    assert tail_size(100, 0.07) == 7 and tail_size(15, auto.tail_fraction) == 15 and tail_size(256, auto.tail_fraction) == 32
