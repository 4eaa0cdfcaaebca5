"""Problems the solver once failed on, kept so that the failures cannot come back."""
import numpy as np
import pytest

from pydojo.solver import RESULTS, SolverOptions, solve_lcp


def _skew_dominated():
    skew = np.zeros((5, 5))
    skew[0, 1], skew[1, 2] = 1.0, 2.0
    return 0.1 * np.eye(5) + (skew - skew.T), np.array([-6.0, 0, 0, 0, 0])


@pytest.mark.timeout(120)
def test_skew_dominated_monotone_lcp_at_large_mu():
    """Found by the hypothesis property test: a barely definite symmetric part (0.1 I), a strong skew
    part and mu_sc = 0.1. Without the centrality safeguard of the line search (centrality=0) the
    iterate leaves the central path's neighbourhood and stalls; with it, it converges."""
    F, q = _skew_dominated()
    stalled = solve_lcp(F, q, 0.1, throw=False, options=SolverOptions(centrality=0.0))
    assert int(stalled.result) == RESULTS.max_iterations_reached
    sol = solve_lcp(F, q, 0.1)
    np.testing.assert_allclose(sol.lam * sol.s, 0.1, rtol=1e-8)
    np.testing.assert_allclose(sol.s, F @ sol.lam + q, atol=1e-9)


@pytest.mark.timeout(120)
def test_the_same_problem_converges_at_small_mu():
    F, q = _skew_dominated()
    sol = solve_lcp(F, q, 1e-8)
    np.testing.assert_allclose(sol.lam * sol.s, 1e-8, rtol=1e-6)
