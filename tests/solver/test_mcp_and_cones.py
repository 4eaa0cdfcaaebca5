"""Mixed complementarity with free unknowns and second-order cones, against Clarabel and closed forms."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.solver import MCP, RESULTS, Cone, SolverOptions, solve
from pydojo.testing.references import clarabel_qp, project_soc


def _qp_residual(y, lam, s, data):
    P, c, G, h = data
    return jnp.concatenate([P @ y + c + G.T @ lam, s - (h - G @ y)])


@pytest.mark.timeout(240)
def test_inequality_qp_kkt_matches_clarabel():
    """min ½xᵀPx + cᵀx s.t. Gx ≤ h as an MCP: y = x, (λ, s) = (multipliers, slacks)."""
    rng = np.random.default_rng(21)
    for n, m in ((3, 5), (8, 12)):
        a = rng.normal(size=(n, n))
        P, c, G, h = a @ a.T + 0.1 * np.eye(n), rng.normal(size=n), rng.normal(size=(m, n)), rng.uniform(0.1, 1, m)
        x_ref, z_ref = clarabel_qp(P, c, G, h)
        prob = MCP(residual=_qp_residual, n_y=n, cone=Cone(n_orthant=m))
        sol = solve(prob, tuple(map(jnp.asarray, (P, c, G, h))), 1e-14)
        np.testing.assert_allclose(sol.y, x_ref, atol=1e-7)
        np.testing.assert_allclose(sol.lam, z_ref, atol=1e-7)


@pytest.mark.timeout(240)
def test_second_order_cone_projection():
    """s = λ − c, λ, s ∈ SOC, λ∘s = 0 is the projection of c onto the cone."""
    prob = MCP(residual=lambda y, lam, s, c: s - lam + c, n_y=0, cone=Cone(n_orthant=0, soc=(4,)))
    rng = np.random.default_rng(2)
    for _ in range(20):
        c = rng.normal(size=4) * 2
        sol = solve(prob, jnp.asarray(c), 1e-14)
        np.testing.assert_allclose(sol.lam, project_soc(c), atol=1e-7)


@pytest.mark.timeout(240)
def test_soc_central_path_products():
    cone = Cone(n_orthant=2, soc=(3, 2))
    prob = MCP(residual=lambda y, lam, s, c: s - lam + c, n_y=0, cone=cone)
    c = jnp.array([0.3, -0.2, 0.5, 1.0, -0.4, 0.1, 2.0])
    for mu in (1e-2, 1e-6):
        sol = solve(prob, c, mu)
        np.testing.assert_allclose(cone.product(sol.lam, sol.s), mu * cone.identity(), atol=1e-9 * mu + 1e-15)
        assert cone.interior_margin(sol.lam) > 0 and cone.interior_margin(sol.s) > 0


@pytest.mark.timeout(120)
def test_cone_max_step_is_exact():
    cone = Cone(n_orthant=1, soc=(3,))
    x = jnp.array([1.0, 2.0, 0.5, -0.3])
    d = jnp.array([0.5, -3.0, -0.2, 2.0])
    a = float(cone.max_step(x, d))
    boundary = x + a * d
    assert np.isclose(float(cone.interior_margin(boundary)), 0.0, atol=1e-12)
    assert float(cone.interior_margin(x + 0.999 * a * d)) > 0


@pytest.mark.timeout(120)
def test_trace_records_each_iteration():
    prob = MCP(residual=lambda y, lam, s, c: s - lam + c, n_y=0, cone=Cone(n_orthant=3))
    sol = solve(prob, jnp.array([0.5, -1.0, 0.2]), 1e-6, options=SolverOptions(trace=True))
    k = int(sol.stats.iterations)
    tr = {key: np.asarray(v) for key, v in sol.trace.items()}
    assert set(tr) == {"eq_residual", "comp_residual", "mu_target", "sigma", "alpha"}
    assert np.all(np.isfinite(tr["alpha"][:k])) and np.all(np.isnan(tr["alpha"][k:]))
    assert np.all((tr["alpha"][:k] > 0) & (tr["alpha"][:k] <= 1))
    assert tr["mu_target"][k - 1] >= 1e-6 and np.all(np.diff(tr["comp_residual"][max(k - 3, 0):k]) <= 0)


@pytest.mark.timeout(120)
def test_jit_vmap_over_data():
    prob = MCP(residual=lambda y, lam, s, c: s - lam + c, n_y=0, cone=Cone(n_orthant=2))
    cs = jnp.array([[0.5, -1.0], [-0.3, 0.2], [2.0, 2.0]])
    sol = jax.jit(jax.vmap(lambda c: solve(prob, c, 1e-12)))(cs)
    assert np.all(np.asarray(sol.result) == RESULTS.successful)
    np.testing.assert_allclose(sol.lam, np.maximum(np.asarray(cs), 0), atol=1e-9)
