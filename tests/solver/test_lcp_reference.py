"""The interior-point solver against independent LCP/QP solvers (μ_sc → 0 is the exact solve)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.solver import RESULTS, SolverOptions, solve_lcp
from pydojo.testing.references import clarabel_qp, lemke, random_p_matrix

MU_EXACT = 1e-14  # lambda_i = mu/s_i on inactive pairs: 1e-12 leaves 1e-8 offsets where s_i ~ 1e-4
SIZES = [2, 4, 8, 16, 32, 64]
PER_SIZE = 170  # 6 x 170 = 1020 problems


@pytest.fixture(scope="module")
def batched_solve():
    # Non-monotone P-matrices (the 'triangular' kind) converge but may need more than the
    # default 50 iterations; the iteration statistics are asserted separately below.
    opts = SolverOptions(max_iter=100)
    return jax.jit(jax.vmap(lambda F, q: solve_lcp(F, q, MU_EXACT, throw=False, options=opts)))


@pytest.mark.timeout(600)
@pytest.mark.parametrize("n", SIZES)
def test_matches_lemke_on_random_p_matrix_lcps(batched_solve, n):
    rng = np.random.default_rng(n)
    kinds = ["symmetric", "nonsymmetric"] + (["triangular"] if n <= 8 else [])
    Fs = np.stack([random_p_matrix(rng, n, kinds[i % len(kinds)]) for i in range(PER_SIZE)])
    qs = rng.normal(size=(PER_SIZE, n))
    sol = batched_solve(jnp.asarray(Fs), jnp.asarray(qs))
    assert np.all(np.asarray(sol.result) == RESULTS.successful)
    assert np.median(np.asarray(sol.stats.iterations)) <= 15
    lam = np.asarray(sol.lam)
    for F, q, x in zip(Fs, qs, lam):
        np.testing.assert_allclose(x, lemke(F, q), atol=1e-8, rtol=0)
    # and the returned point is complementary and feasible
    assert np.all(lam >= 0) and np.all(np.asarray(sol.s) >= 0)
    assert np.max(np.asarray(sol.lam * sol.s)) <= 2 * MU_EXACT


@pytest.mark.timeout(300)
def test_symmetric_lcp_matches_clarabel_qp():
    """For symmetric F the LCP is the KKT system of min ½λᵀFλ + qᵀλ s.t. λ ≥ 0."""
    rng = np.random.default_rng(7)
    for n in (3, 10, 40):
        for _ in range(5):
            F, q = random_p_matrix(rng, n, "symmetric"), rng.normal(size=n)
            x, _ = clarabel_qp(F, q, -np.eye(n), np.zeros(n))
            np.testing.assert_allclose(np.asarray(solve_lcp(F, q, MU_EXACT).lam), x, atol=1e-8)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("mu", [1e-1, 1e-3, 1e-6, 1e-9])
def test_products_equal_mu_on_the_central_path(mu):
    rng = np.random.default_rng(3)
    F, q = random_p_matrix(rng, 12, "nonsymmetric"), rng.normal(size=12)
    sol = solve_lcp(F, q, mu)
    np.testing.assert_allclose(np.asarray(sol.lam * sol.s), mu, rtol=1e-8)
    np.testing.assert_allclose(np.asarray(sol.s), F @ np.asarray(sol.lam) + q, atol=1e-10)


@pytest.mark.timeout(120)
def test_softened_solution_tends_to_exact_solution():
    rng = np.random.default_rng(4)
    F, q = random_p_matrix(rng, 8, "nonsymmetric"), rng.normal(size=8)
    exact = lemke(F, q)
    errors = [np.max(np.abs(np.asarray(solve_lcp(F, q, mu).lam) - exact)) for mu in (1e-1, 1e-3, 1e-5, 1e-7)]
    assert all(b < a for a, b in zip(errors, errors[1:])), errors
    assert errors[-1] < 1e-6


@pytest.mark.timeout(120)
def test_batch_mixes_different_mu():
    rng = np.random.default_rng(5)
    F, q = random_p_matrix(rng, 6, "symmetric"), rng.normal(size=6)
    mus = jnp.array([1e-10, 1e-4, 1e-2, 0.3])
    sol = jax.vmap(lambda m: solve_lcp(F, q, m))(mus)
    np.testing.assert_allclose(np.asarray(sol.lam * sol.s), np.broadcast_to(mus[:, None], (4, 6)), rtol=1e-8,
                               atol=1e-14)
    for m, lam in zip(mus, np.asarray(sol.lam)):
        np.testing.assert_allclose(lam, np.asarray(solve_lcp(F, q, m).lam), atol=1e-12)


@pytest.mark.timeout(120)
def test_per_pair_mu():
    rng = np.random.default_rng(6)
    F, q = random_p_matrix(rng, 4, "symmetric"), rng.normal(size=4)
    mu = jnp.array([1e-8, 1e-3, 1e-2, 1e-1])
    sol = solve_lcp(F, q, mu)
    np.testing.assert_allclose(np.asarray(sol.lam * sol.s), np.asarray(mu), rtol=1e-8)


@pytest.mark.timeout(300)
def test_non_monotone_p_matrix_lcps_at_n16_all_converge_within_the_default_max_iter():
    """Random lower-triangular P-matrices (indefinite symmetric part), n = 16: every one of 256 converges within
    SolverOptions().max_iter = 50 and equals Lemke's pivoting solution."""
    rng = np.random.default_rng(16)
    Fs = np.stack([random_p_matrix(rng, 16, "triangular") for _ in range(256)])
    qs = rng.normal(size=(256, 16))
    sol = jax.jit(jax.vmap(lambda F, q: solve_lcp(F, q, MU_EXACT, throw=False)))(jnp.asarray(Fs), jnp.asarray(qs))
    iters = np.asarray(sol.stats.iterations)
    assert np.all(np.asarray(sol.result) == RESULTS.successful), np.unique(np.asarray(sol.result), return_counts=True)
    print(f"iterations: median {np.median(iters)}, max {iters.max()}")
    for F, q, x in zip(Fs, qs, np.asarray(sol.lam)):
        np.testing.assert_allclose(x, lemke(F, q), atol=1e-8, rtol=0)
