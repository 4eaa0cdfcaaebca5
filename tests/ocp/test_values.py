"""V_θ, Q_θ and π_θ of the policy problem (pydojo.ocp.values, the RL-MPC baselines' function approximator):
the Lagrangian gradients and the IDOC policy Jacobian against central differences of re-solved problems,
Q(s, π(s)) = V(s), and the horizon-1 refusal."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from pydojo import envs
from pydojo.ocp import make_solver
from pydojo.ocp.values import mpc_values, tail_problem


@pytest.fixture(scope="module")
def setup():
    env = envs.make("arm")
    ocp = env.diffop_ocp(5)
    values = mpc_values(ocp, lambda p: make_solver(p, "ipm", {"tol": 1e-11}))
    theta = env.perturbed_theta(jax.random.PRNGKey(2), 0.3)
    solve_v = jax.jit(values.solve)
    solve_q = jax.jit(values.q_solve)
    return env, values, theta, solve_v, solve_q


def _central(f, flat, eps=1e-6):
    return np.stack([(np.asarray(f(flat + eps * e)) - np.asarray(f(flat - eps * e))) / (2 * eps) for e in np.eye(flat.size)], -1)


@pytest.mark.timeout(300)
def test_value_and_action_value_gradients_match_central_differences(setup):
    env, values, theta, solve_v, solve_q = setup
    s, a = jnp.asarray([-1.2, 0.4, 0.3, -0.2]), jnp.asarray([0.3, -0.6])  # a inside |u| <= 1
    flat, unravel = ravel_pytree(theta)
    sol = solve_v(s, theta)
    tail = solve_q(s, a, theta)
    assert int(sol.result) == 0 and int(tail.result) == 0
    # Q with the first action fixed at the policy's own action is V
    np.testing.assert_allclose(values.q_value(solve_q(s, sol.us[0], theta), s, sol.us[0], theta), values.value(sol, theta), rtol=1e-8)
    V = lambda f: values.value(solve_v(s, unravel(f)), unravel(f))  # noqa: E731
    Q = lambda f: values.q_value(solve_q(s, a, unravel(f)), s, a, unravel(f))  # noqa: E731
    pi = lambda f: solve_v(s, unravel(f)).us[0]  # noqa: E731
    gv = ravel_pytree(values.value_grad(sol, s, theta))[0]
    gq = ravel_pytree(values.q_grad(tail, s, a, theta))[0]
    J = values.policy_jacobian(sol, s, theta)
    for ours, fd in ((gv, _central(V, flat)), (gq, _central(Q, flat)), (J, _central(pi, flat))):
        assert np.max(np.abs(fd)) > 1e-3  # not a vacuous comparison
        np.testing.assert_allclose(ours, fd, atol=1e-5 * max(1.0, np.max(np.abs(fd))))


def test_q_needs_a_horizon_of_two():
    ocp = envs.make("cartpole").diffop_ocp(1)
    with pytest.raises(ValueError, match="horizon >= 2"):
        tail_problem(ocp)
