"""One update of each RL-MPC baseline against mpcrl (PyPI 1.4.1, CasADi + IPOPT; an implementation we did not
write). The same cartpole policy problem is built in csnlp from the task's own model functions (evaluated on
CasADi symbols), θ = (θ_c, θ_H, θ_f) are mpcrl's learnable parameters, and both sides take one plain
gradient step:
- RLMPC-TD: our exploring 3-step episode's transitions (s, a, κL, s′) go through mpcrl's off-policy
  Q-learning (LstdQLearningAgent, its TD errors and Lagrangian sensitivities from csnlp);
- RLMPC-DPG: mpcrl's LstdDpgAgent runs one exploring episode on a gymnasium wrapper of the task, and our
  estimator computes its gradient from the recorded episode (policy Jacobians by IDOC, our LSTD critic).
mpcrl's optional extra (pydojo[mpcrl]) is installed by the test extra; the test skips with the reason if absent."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

mpcrl = pytest.importorskip("mpcrl", reason="mpcrl is not installed (pip install 'pydojo[mpcrl]')")
gymnasium = pytest.importorskip("gymnasium")

from csnlp import Nlp  # noqa: E402
from csnlp.wrappers import Mpc  # noqa: E402
from mpcrl.core.exploration import GreedyExploration  # noqa: E402
from mpcrl.optim import GradientDescent  # noqa: E402

from pydojo import envs  # noqa: E402
from pydojo.estimators.rlmpc import RLMPCDPG, RLMPCTD  # noqa: E402
from pydojo.ocp import make_solver  # noqa: E402
from pydojo.ocp.ipopt import CASADI_OPS  # noqa: E402
from pydojo.ocp.values import mpc_values  # noqa: E402
from pydojo.policies.ocp import OCPPolicy  # noqa: E402

N, GAMMA, LR = 6, 0.99, 1e-3
NAMES = ("theta_c", "theta_H", "theta_f")


@pytest.fixture(scope="module")
def problem():
    env = envs.make("cartpole", episode_length=8)
    ocp = env.diffop_ocp(N)
    theta = env.perturbed_theta(jax.random.PRNGKey(3), 0.3)
    opts = {"tol": 1e-11}
    values = mpc_values(ocp, lambda p: make_solver(p, "ipm", opts))
    policy = OCPPolicy(ocp, make_solver(ocp, "ipm", opts), "step")
    return env, ocp, theta, values, policy


def _mpcrl_problem(env, ocp):
    """The policy problem in csnlp: multiple shooting, |u| ≤ u_bound as variable bounds, θ as parameters."""
    scalars = lambda v: [v[j] for j in range(v.shape[0])]  # noqa: E731
    n, m = ocp.state_size, ocp.control_size
    mpc = Mpc(Nlp(sym_type="SX"), prediction_horizon=N)
    x, _ = mpc.state("x", n)
    u, _ = mpc.action("u", m, lb=-env.u_bound, ub=env.u_bound)
    th_c, th_H = mpc.parameter("theta_c", (n, 1)), mpc.parameter("theta_H", (n, 1))
    th_f = mpc.parameter("theta_f", (len(env.true_params), 1))
    for k in range(N):
        mpc.constraint(f"dynamics_{k}", x[:, k + 1], "==", ocp.dynamics(scalars(x[:, k]), scalars(u[:, k]), scalars(th_f), CASADI_OPS))
    cost = sum(ocp.stage_cost(scalars(x[:, k]), scalars(u[:, k]), scalars(th_c), CASADI_OPS) for k in range(N))
    mpc.minimize(cost + ocp.terminal_cost(scalars(x[:, N]), scalars(th_H), CASADI_OPS))
    mpc.init_solver({"ipopt": {"tol": 1e-11, "print_level": 0, "sb": "yes"}, "print_time": False}, "ipopt")
    return mpc


def _learnable(theta):
    return mpcrl.LearnableParametersDict(
        [mpcrl.LearnableParameter(k, int(getattr(theta, k[6:]).size), np.asarray(getattr(theta, k[6:]))) for k in NAMES])


def _mpcrl_theta(agent):
    return np.concatenate([np.ravel(agent.learnable_parameters[k].value) for k in NAMES])


def _flat(theta):
    return np.concatenate([np.asarray(getattr(theta, k[6:])) for k in NAMES])


@pytest.mark.timeout(600)
def test_one_td_update_equals_mpcrls_q_learning(problem):
    env, ocp, theta, values, policy = problem
    T = 3
    short = envs.make("cartpole", episode_length=T)
    td = RLMPCTD(sigma=0.5, num_trajectories=1, discount=GAMMA, cost_scale=1.0 / env.control_weight)
    x0 = jnp.asarray([0.0, 0.25, 0.0, 0.0])
    _, g, deltas, failed, (states, actions) = jax.jit(lambda k: td.rollout(values, policy, short, theta, k, x0))(jax.random.PRNGKey(0))
    assert int(failed) == 0
    stage = [float(short.stage_cost(states[t], actions[t])) for t in range(T)]
    agent = mpcrl.LstdQLearningAgent(_mpcrl_problem(env, ocp), update_strategy=T, discount_factor=GAMMA,
                                     optimizer=GradientDescent(learning_rate=LR), learnable_parameters=_learnable(theta),
                                     experience=T, record_td_errors=True)
    rollout = [(np.asarray(states[t]), np.asarray(actions[t]), stage[t] / env.control_weight, np.asarray(states[t + 1])) for t in range(T)]
    agent.train_offpolicy([rollout], seed=0)
    np.testing.assert_allclose(np.asarray(deltas), np.asarray(agent.td_errors), rtol=1e-7)
    ours = LR * _flat(jax.tree_util.tree_map(lambda v: v / T, g))  # θ ← θ + α mean(δ∇Q)
    theirs = _mpcrl_theta(agent) - _flat(theta)
    assert np.max(np.abs(theirs)) > 1.0  # the step is not negligible
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6 * np.max(np.abs(theirs)))


class _Recording(gymnasium.Env):
    """The task as a gymnasium environment (cost as the reward slot, mpcrl's convention), recording the episode."""

    def __init__(self, env, x0):
        self.env, self.x0 = env, np.asarray(x0, np.float64)
        self.observation_space = gymnasium.spaces.Box(-np.inf, np.inf, (env.observation_size,), np.float64)
        self.action_space = gymnasium.spaces.Box(-env.u_bound, env.u_bound, (env.action_size,), np.float64)

    def reset(self, *, seed=None, options=None):
        self.x, self.states, self.actions, self.costs = self.x0.copy(), [self.x0.copy()], [], []
        return self.x, {}

    def step(self, action):
        a = np.asarray(action, np.float64).reshape(-1)
        cost = float(self.env.stage_cost(jnp.asarray(self.x), jnp.asarray(a)))
        self.x = np.asarray(self.env.discrete_dynamics(jnp.asarray(self.x), jnp.asarray(a), jnp.asarray(self.env.true_params)))
        self.states.append(self.x)
        self.actions.append(a)
        self.costs.append(cost)
        return self.x, cost, False, len(self.actions) >= self.env.episode_length, {}


@pytest.mark.timeout(600)
def test_one_dpg_update_equals_mpcrls_lstd_dpg(problem):
    env, ocp, theta, values, policy = problem
    agent = mpcrl.LstdDpgAgent(_mpcrl_problem(env, ocp), update_strategy=1, discount_factor=GAMMA,
                               optimizer=GradientDescent(learning_rate=LR), learnable_parameters=_learnable(theta),
                               exploration=GreedyExploration(0.5, mode="additive"), record_policy_gradient=True)
    recording = _Recording(env, [0.0, 0.25, 0.0, 0.0])
    agent.train(recording, episodes=1, seed=1)
    states, actions, costs = (jnp.asarray(np.array(v)) for v in (recording.states, recording.actions, recording.costs))
    assert actions.shape == (env.episode_length, 1)
    solve = jax.jit(policy.plan)

    def transition(s, a):
        sol = solve(theta, s)
        J = values.policy_jacobian(sol, s, theta)
        return J.T @ (a - sol.us[0]), J.T @ J

    psi, fisher = zip(*(transition(states[t], actions[t]) for t in range(env.episode_length)))
    dpg = RLMPCDPG(sigma=0.5, num_trajectories=1, discount=GAMMA, ridge=1e-6)
    grad, _, _ = dpg.gradient(states[None], costs[None], jnp.stack(psi)[None], jnp.sum(jnp.stack(fisher), axis=0)[None])
    theirs = np.asarray(agent.policy_gradients[0])
    assert np.max(np.abs(theirs)) > 1e-2
    np.testing.assert_allclose(np.asarray(grad), theirs, rtol=1e-5, atol=1e-5 * np.max(np.abs(theirs)))
    step = _mpcrl_theta(agent) - _flat(theta)  # mpcrl's gradient-descent step, θ ← θ − α∇J
    np.testing.assert_allclose(step, -LR * np.asarray(grad), rtol=1e-5, atol=1e-5 * LR * np.max(np.abs(theirs)))
