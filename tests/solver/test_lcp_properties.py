"""Property-based checks (hypothesis): every returned point is feasible, complementary and on the central path."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pydojo.solver import RESULTS, solve_lcp

N = 5
_solve = jax.jit(lambda F, q, mu: solve_lcp(F, q, mu, throw=False))
floats = st.floats(-3, 3, allow_nan=False, width=64)


@pytest.mark.timeout(300)
# Deterministic everywhere (a fixed seed; no example database); data generation may be
# slow on a loaded 2-core machine, which says nothing about the solver.
@seed(20261121)  # the same examples on every machine and path
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(a=arrays(np.float64, (N, N), elements=floats), skew=arrays(np.float64, (N, N), elements=floats),
       q=arrays(np.float64, (N,), elements=st.floats(-10, 10, allow_nan=False, width=64)),
       log_mu=st.floats(-12, 0))
def test_returned_point_is_on_the_central_path(a, skew, q, log_mu):
    F = a @ a.T / N + 0.1 * np.eye(N) + (skew - skew.T)  # positive-definite symmetric part: a P-matrix
    mu = 10.0**log_mu
    sol = _solve(jnp.asarray(F), jnp.asarray(q), mu)
    assert int(sol.result) == RESULTS.successful
    lam, s = np.asarray(sol.lam), np.asarray(sol.s)
    assert np.all(lam > 0) and np.all(s > 0)
    np.testing.assert_allclose(s, F @ lam + q, atol=1e-9 * (1 + np.abs(q).max()))
    np.testing.assert_allclose(lam * s, mu, rtol=1e-6, atol=1e-14)
