"""Bad input and failed solves are never silent."""
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.solver import MCP, RESULTS, Cone, SolverOptions, message, solve, solve_lcp

F2 = jnp.array([[2.0, 0.5], [0.5, 1.0]])
Q2 = jnp.array([-1.0, 0.3])


@pytest.mark.timeout(120)
def test_wrong_shapes():
    with pytest.raises(ValueError, match=r"q must have shape \(2,\)"):
        solve_lcp(F2, jnp.ones(3), 1e-6)
    with pytest.raises(ValueError, match="square"):
        solve_lcp(jnp.ones((2, 3)), jnp.ones(2), 1e-6)
    with pytest.raises(ValueError, match=r"mu must be a scalar or have shape \(2,\)"):
        solve_lcp(F2, Q2, jnp.ones(3))


@pytest.mark.timeout(120)
def test_negative_or_nan_mu():
    with pytest.raises(ValueError, match="finite and >= 0"):
        solve_lcp(F2, Q2, -1e-3)
    with pytest.raises(ValueError, match="finite and >= 0"):
        solve_lcp(F2, Q2, float("nan"))
    # traced mu: checked at run time (inside a user's jax.jit the error arrives as a JaxRuntimeError)
    with pytest.raises((eqx.EquinoxRuntimeError, jax.errors.JaxRuntimeError), match="finite and >= 0"):
        jax.jit(lambda m: solve_lcp(F2, Q2, m).lam)(-1.0)


@pytest.mark.timeout(120)
def test_nan_data_reported_and_raised():
    q = Q2.at[0].set(jnp.nan)
    sol = solve_lcp(F2, q, 1e-6, throw=False)
    assert int(sol.result) == RESULTS.nonfinite
    with pytest.raises(eqx.EquinoxRuntimeError, match="nonfinite: NaN or Inf"):
        solve_lcp(F2, q, 1e-6)


@pytest.mark.timeout(120)
def test_non_convergence_raises_by_default_and_reports_otherwise():
    opts = SolverOptions(max_iter=2)
    sol = solve_lcp(F2, Q2, 1e-10, options=opts, throw=False)
    assert int(sol.result) == RESULTS.max_iterations_reached
    assert "did not converge" in message(int(sol.result))
    with pytest.raises(eqx.EquinoxRuntimeError, match="max_iterations_reached"):
        solve_lcp(F2, Q2, 1e-10, options=opts)
    # under jit and vmap too, with the batch's failure surfaced
    batched = jax.jit(jax.vmap(lambda q: solve_lcp(F2, q, 1e-10, options=opts).lam))
    with pytest.raises((eqx.EquinoxRuntimeError, jax.errors.JaxRuntimeError), match="max_iterations_reached"):
        batched(jnp.stack([Q2, Q2 + 1]))


@pytest.mark.timeout(120)
def test_singular_system_is_reported():
    """F = 0 with q < 0 has no solution: s = q < 0 can never be met."""
    sol = solve_lcp(jnp.zeros((2, 2)), jnp.array([-1.0, -2.0]), 1e-8, throw=False)
    assert int(sol.result) != RESULTS.successful


@pytest.mark.timeout(60)
def test_bad_options_and_cones():
    with pytest.raises(ValueError, match="adjoint must be one of"):
        SolverOptions(adjoint="magic")
    with pytest.raises(ValueError, match="mu_gradient must be one of"):
        SolverOptions(mu_gradient="partial")
    with pytest.raises(ValueError, match=r"stall_step must be in \[0, 1\]"):
        SolverOptions(stall_step=1.5)
    with pytest.raises(ValueError, match="size >= 2"):
        Cone(n_orthant=1, soc=(1,))
    with pytest.raises(TypeError, match="must be a pydojo.solver.MCP"):
        solve("not a problem", None, 0.1)
    prob = MCP(residual=lambda y, lam, s, c: s - lam + c, n_y=1, cone=Cone(n_orthant=1))
    with pytest.raises(ValueError, match=r"init_y must have shape \(1,\)"):
        solve(prob, jnp.ones(2), 0.1, init_y=jnp.ones(3))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("F,q", [(-np.eye(3), -np.ones(3)),                      # s = -λ - 1 < 0 for all λ >= 0
                                 (np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([-1.0, -1.0])),  # s₂ = -1
                                 (np.array([[1.0, -1.0], [-1.0, 1.0]]), np.array([-1.0, -1.0]))])  # s₁ + s₂ = -2
def test_infeasible_lcp_is_reported_as_infeasible(F, q):
    from pydojo.solver.certificates import lcp_infeasibility_certificate

    y = lcp_infeasibility_certificate(F, q)
    assert y is not None and np.all(y >= 0) and np.all(F.T @ y <= 1e-9) and q @ y < 0
    sol = solve_lcp(jnp.asarray(F), jnp.asarray(q), 1e-8, throw=False)
    assert int(sol.result) == RESULTS.infeasible
    with pytest.raises(eqx.EquinoxRuntimeError, match="infeasible"):
        solve_lcp(jnp.asarray(F), jnp.asarray(q), 1e-8)


@pytest.mark.timeout(120)
def test_a_feasible_lcp_has_no_infeasibility_certificate():
    """The certificate is not a label for every failure: feasible data (here an LCP with a solution the
    solver is stopped short of) keep the solver's own status."""
    from pydojo.solver.certificates import lcp_infeasibility_certificate

    assert lcp_infeasibility_certificate(np.asarray(F2), np.asarray(Q2)) is None
    sol = solve_lcp(F2, Q2, 1e-10, options=SolverOptions(max_iter=2), throw=False)
    assert int(sol.result) == RESULTS.max_iterations_reached
