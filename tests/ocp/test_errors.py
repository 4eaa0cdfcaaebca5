"""Bad input and failed solves give clear errors: wrong θ shapes, NaN states, infeasible problems."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.envs import make
from pydojo.ocp import OCP, Theta, box_constraints, make_solver
from pydojo.policies.ocp import OCPPolicy
from pydojo.solver.results import RESULTS


@pytest.fixture(scope="module")
def cartpole():
    env = make("cartpole")
    return env, env.diffop_ocp(5)


def test_wrong_theta_shapes(cartpole):
    env, ocp = cartpole
    solve = make_solver(ocp)
    th = env.true_theta()
    with pytest.raises(ValueError, match=r"theta.c has shape \(3,\), expected \(4,\)"):
        solve(jnp.zeros(4), Theta(th.c[:3], th.H, th.f))
    with pytest.raises(ValueError, match=r"theta.f has shape"):
        solve(jnp.zeros(4), Theta(th.c, th.H, jnp.ones(5)))
    with pytest.raises(ValueError, match="pydojo.ocp.Theta"):
        solve(jnp.zeros(4), (th.c, th.H, th.f))
    with pytest.raises(ValueError, match=r"initial state has shape \(3,\)"):
        solve(jnp.zeros(3), th)


@pytest.mark.timeout(120)
def test_nan_state_raises(cartpole):
    env, ocp = cartpole
    solve = jax.jit(make_solver(ocp))
    with pytest.raises(Exception, match="initial state contains NaN"):
        jax.block_until_ready(solve(jnp.array([0.0, jnp.nan, 0.0, 0.0]), env.true_theta()))
    state = env.reset(jax.random.PRNGKey(0))
    import equinox as eqx
    bad = eqx.tree_at(lambda s: s.physics, state, jnp.full(4, jnp.nan))
    with pytest.raises(Exception, match="state contains NaN"):
        jax.block_until_ready(jax.jit(env.step)(bad, jnp.zeros(1)))


def test_contradictory_bounds_rejected_before_solving():
    with pytest.raises(ValueError, match="lower bound 1.0 > upper bound -1.0"):
        box_constraints([1.0], [-1.0], lambda v: v)


@pytest.mark.timeout(200)
def test_infeasible_problem_is_reported_and_raised():
    """Reaching x_H ≥ 50 m in 5 steps with |u| ≤ 1 is impossible: result `infeasible`, and the
    policy raises with that message (never a silent answer)."""
    env = make("cartpole", u_bound=1.0)
    base = env.diffop_ocp(5)
    g_T, n_T = box_constraints([50.0, -np.inf, -np.inf, -np.inf], [np.inf] * 4, lambda x: x)
    ocp = OCP(stage_cost=base.stage_cost, terminal_cost=base.terminal_cost, dynamics=base.dynamics, state_size=4,
              control_size=1, horizon=5, theta_shapes=base.theta_shapes, stage_constraints=base.stage_constraints,
              num_stage_constraints=base.num_stage_constraints,
              terminal_constraints=lambda x, ops: ops.stack(g_T(x)), num_terminal_constraints=n_T)
    solve = make_solver(ocp, "ipm", {"max_iter": 60})
    sol = jax.jit(solve)(jnp.zeros(4), env.true_theta())
    assert int(sol.result) == RESULTS.infeasible
    policy = OCPPolicy(ocp, solve, "traj")
    with pytest.raises(Exception, match="infeasible"):
        jax.block_until_ready(jax.jit(policy.plan)(env.true_theta(), jnp.zeros(4)))


def test_unknown_solver_and_mode(cartpole):
    _, ocp = cartpole
    with pytest.raises(ValueError, match="unknown OCP solver 'snopt'"):
        make_solver(ocp, "snopt")
    with pytest.raises(ValueError, match="mode must be one of"):
        OCPPolicy(ocp, make_solver(ocp), "open_loop")
    with pytest.raises(ValueError, match="unknown option"):
        make("cartpole", mass=3.0)
