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
