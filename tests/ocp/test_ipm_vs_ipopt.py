"""The structured IPM's optimal solutions equal IPOPT's (via CasADi) to 1e-6, on every task,
with and without active inequality constraints."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.ocp.idoc import active_sets
from pydojo.ocp.ipopt import IpoptSolver
from pydojo.solver.results import RESULTS

from pydojo.envs import make as task
from pydojo.ocp import ipm

CASES = [  # (task, horizon, u_bound in the policy problem or None)
    ("cartpole", 12, None), ("cartpole", 12, 2.0),
    ("arm", 10, None), ("arm", 10, 1.0),
    ("quadrotor", 10, None), ("quadrotor", 10, 3.0),
]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name,horizon,bound", CASES)
def test_ipm_matches_ipopt(name, horizon, bound, jit_solve):
    env = task(name, u_bound=bound) if bound else task(name)
    ocp = env.diffop_ocp(horizon, constrained=bound is not None)
    theta = env.perturbed_theta(jax.random.PRNGKey(3), 0.3)
    x0 = jnp.asarray(env.initial_states[-1])
    sol = jit_solve(ocp)(x0, theta)
    ref = IpoptSolver(ocp, tol=1e-12).solve(np.asarray(x0), theta)
    assert int(sol.result) == RESULTS.successful and int(ref.result) == RESULTS.successful
    np.testing.assert_allclose(sol.us, ref.us, atol=1e-6)
    np.testing.assert_allclose(sol.xs, ref.xs, atol=1e-6)
    if bound is not None:
        act, _ = active_sets(ocp, sol, 1e-6)
        assert int(act.sum()) > 0, "the constrained case must have active bounds"
        assert np.all(np.abs(np.asarray(sol.us)) <= bound + 1e-8)
        np.testing.assert_allclose(sol.z, ref.z, atol=1e-5 * max(1.0, float(np.max(ref.z))))


@pytest.mark.timeout(240)
def test_stalled_solve_stops_at_acceptable_level_with_ipopts_solution():
    """A cartpole problem met in training (θ from a DiffOP run, x0 = 0). With XLA's default optimisations its
    KKT error stalls at ~1.9e-7 whatever the tol; the stall lives in the last bits (with LLVM's optimisations off,
    as the test suite runs, the same solve reaches 6e-10 in 13 iterations). So the stall is made certain here
    with a tol no float64 solve reaches (1e-16): without IPOPT's acceptable-level rule the IPM runs into
    max_iter; with it (15 iterations ≤ acceptable_tol = 1e-6) it stops successfully at IPOPT's solution."""
    from pydojo.ocp import Theta

    env = task("cartpole")
    ocp = env.diffop_ocp(6)
    theta = Theta(jnp.array([4.051182363844341, 5.738764490325978, 4.549295935923625, 1.427193729727915]),
                  jnp.array([3.681693950252902, 6.0655457611490275, 2.95827429744117, 2.429971576984788]),
                  jnp.array([1.8517939977101343, 0.01, 2.0977779154205014]))
    x0 = jnp.zeros(4)

    def run(**opts):
        return jax.jit(lambda x, th: ipm.solve(ocp, x, th, ipm.IPMOptions(tol=1e-16, max_iter=60, **opts)))(x0, theta)

    stalled = run(acceptable_iter=0)
    assert int(stalled.result) == RESULTS.max_iterations_reached and float(stalled.stats.kkt_error) > 1e-16
    sol = run()
    assert int(sol.result) == RESULTS.successful and int(sol.stats.iterations) < 60
    ref = IpoptSolver(ocp, tol=1e-12).solve(np.asarray(x0), theta)
    np.testing.assert_allclose(sol.us, ref.us, atol=1e-6)
    with pytest.raises(ValueError, match="acceptable_tol >= tol"):
        ipm.IPMOptions(tol=1e-6, acceptable_tol=1e-8)


@pytest.mark.timeout(240)
def test_inertia_correction_retries_reach_ipopts_solution_and_fail_loudly_past_reg_max():
    """The quadrotor at H = 50 from a cold start has an indefinite reduced Hessian after its first step: the
    solve retries with a larger shift (Stats.retries counts the failed factorizations) and still ends at IPOPT's
    optimum. With reg_max below the shift it needs, the solve stops as a singular linear system, not silently."""
    env = task("quadrotor")
    ocp = env.diffop_ocp(50)
    theta = env.perturbed_theta(jax.random.PRNGKey(3), 0.3)
    x0 = jnp.asarray(env.initial_states[0])
    run = jax.jit(lambda x, opts: ipm.solve(ocp, x, theta, opts), static_argnums=1)
    sol = run(x0, ipm.IPMOptions(tol=1e-10))
    assert int(sol.result) == RESULTS.successful
    assert int(sol.stats.retries) > 0, "this start must exercise the inertia correction"
    ref = IpoptSolver(ocp, tol=1e-12).solve(np.asarray(x0), theta)
    assert int(ref.result) == RESULTS.successful
    np.testing.assert_allclose(sol.us, ref.us, atol=1e-6)
    np.testing.assert_allclose(sol.xs, ref.xs, atol=1e-6)
    capped = run(x0, ipm.IPMOptions(tol=1e-10, reg_max=1e-3))
    assert int(capped.result) == RESULTS.singular_linear_system
    assert int(capped.stats.retries) == 3  # shifts 0, 1e-4, 8e-4 fail; the next, 6.4e-3, is past reg_max
    short = env.diffop_ocp(10)  # the same start and θ at H = 10: the reduced Hessians stay positive definite
    plain = ipm.solve(short, x0, theta, ipm.IPMOptions(tol=1e-10))
    assert int(plain.result) == RESULTS.successful and int(plain.stats.retries) == 0
