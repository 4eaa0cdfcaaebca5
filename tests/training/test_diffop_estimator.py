"""Eq. (8) is unbiased on a linear-quadratic problem whose policy gradient is known in closed form.

Task: a double integrator x = (p, v), xdot = (v, b·u) (b = θ_f), true cost Σ ‖x − x_g‖²_W + ρ‖u‖²,
policy = the unconstrained Table-1 OCP in Traj mode (h = H = T). For quadratic L and zero-mean
noise, C(θ) = L(u*(θ)) + const, so ∇C = ∇_θ L(u*(θ)); u*(θ) is computed here by a dense linear
solve (no IPM, no IDOC) and differentiated by JAX. A wide truncation (βσ = 5) makes the
truncated Gaussian's boundary terms negligible.
"""
import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.envs.control.base import ControlTask
from pydojo.estimators.diffop import DiffOPEstimator
from pydojo.ocp import make_solver
from pydojo.policies.ocp import OCPPolicy

W = np.array([1.0, 0.5])


class DoubleIntegrator(ControlTask):
    @staticmethod
    def xdot(x, u, p, ops):
        return [x[1], p[0] * u[0]]

    @property
    def action_size(self):
        return 1

    @property
    def true_params(self):
        return np.array([1.0])

    @property
    def goal(self):
        return np.array([1.0, 0.0])

    @property
    def initial_states(self):
        return np.array([[0.0, 0.0]])

    def stage_cost(self, x, u):
        e = x - self.goal
        return (W * e) @ e + 0.5 * u @ u

    def true_cost_weights(self):
        return np.sqrt(W / 0.5), np.sqrt(W / 0.5)


def _closed_form_cost(env, theta, x0):
    """L(u*(θ)) with u*(θ) from the dense normal equations of the (linear) Table-1 problem."""
    T, dt = env.episode_length, env.dt
    goal = jnp.asarray(env.goal)

    def rollout(us, b):
        def step(x, u):
            x = x + dt * jnp.stack([x[1], b * u[0]])
            return x, x
        _, xs = jax.lax.scan(step, x0, us)
        return jnp.concatenate([x0[None], xs])

    def policy_cost(us, th):
        xs = rollout(us, th.f[0])
        stage = jnp.sum(((xs[:-1] - goal) * th.c) ** 2) + jnp.sum(us**2)
        return stage + jnp.sum(((xs[-1] - goal) * th.H) ** 2)

    def u_star(th):
        zero = jnp.zeros((T, 1))
        hess = jax.hessian(policy_cost)(zero, th).reshape(T, T)
        grad = jax.grad(policy_cost)(zero, th).reshape(T)
        return jnp.linalg.solve(hess, -grad).reshape(T, 1)

    def true_cost(th):
        us = u_star(th)
        return env.episode_cost(rollout(us, env.true_params[0]), us)

    return jax.grad(true_cost)(theta)


@pytest.mark.timeout(300)
def test_estimator_unbiased_on_lq():
    env = DoubleIntegrator(dt=0.2, episode_length=5, u_bound=None, init_noise=0.0)
    ocp = env.diffop_ocp(5, constrained=False)
    policy = OCPPolicy(ocp, make_solver(ocp, "ipm", {"tol": 1e-10}), "traj")
    sigma = 0.5
    est = DiffOPEstimator(sigma=sigma, beta=5.0 / sigma, num_trajectories=1)
    theta = env.perturbed_theta(jax.random.PRNGKey(0), 0.4)
    x0 = jnp.asarray(env.initial_states[0])
    n = 3000

    # A constant baseline b (the noise-free episode's cost) keeps eq. (8) unbiased (E[score] = 0)
    # and shrinks its Monte-Carlo error, which gives the comparison power.
    b = est.rollout(policy, env, theta, jax.random.PRNGKey(0), x0, explore=False)[0]

    @jax.jit
    def samples(keys):
        def one(k):
            cost, g, *_ = est.rollout(policy, env, theta, k, x0)
            return jax.flatten_util.ravel_pytree(jax.tree_util.tree_map(lambda v: (cost - b) * v, g))[0]
        return jax.lax.map(one, keys)

    draws = np.asarray(samples(jax.random.split(jax.random.PRNGKey(1), n)))
    mean, stderr = draws.mean(0), draws.std(0, ddof=1) / np.sqrt(n)
    known = np.asarray(jax.flatten_util.ravel_pytree(_closed_form_cost(env, theta, x0))[0])
    z = np.abs(mean - known) / stderr
    assert np.all(z < 4.5), f"z-scores {z}; mean {mean}; known {known}"
    # the check has power: the known gradient is many standard errors away from zero
    assert np.max(np.abs(known) / stderr) > 5


@pytest.mark.timeout(300)
def test_antithetic_pairs_with_nominal_baseline_stay_unbiased_on_lq():
    """The variance-reduced estimate (antithetic ±ε pairs, the noise-free episode as baseline) has the
    same mean as eq. (8): the closed-form gradient, within its Monte-Carlo error."""
    env = DoubleIntegrator(dt=0.2, episode_length=5, u_bound=None, init_noise=0.0)
    ocp = env.diffop_ocp(5, constrained=False)
    policy = OCPPolicy(ocp, make_solver(ocp, "ipm", {"tol": 1e-10}), "traj")
    sigma = 0.5
    est = DiffOPEstimator(sigma=sigma, beta=5.0 / sigma, num_trajectories=10, baseline="nominal", antithetic=True)
    theta = env.perturbed_theta(jax.random.PRNGKey(0), 0.4)
    n = 200

    @jax.jit
    def samples(keys):
        return jax.lax.map(lambda k: jax.flatten_util.ravel_pytree(est.estimate(policy, env, theta, k)[0])[0], keys)

    draws = np.asarray(samples(jax.random.split(jax.random.PRNGKey(2), n)))
    mean, stderr = draws.mean(0), draws.std(0, ddof=1) / np.sqrt(n)
    known = np.asarray(jax.flatten_util.ravel_pytree(_closed_form_cost(env, theta, jnp.asarray(env.initial_states[0])))[0])
    z = np.abs(mean - known) / stderr
    assert np.all(z < 4.5), f"z-scores {z}; mean {mean}; known {known}"
    assert np.max(np.abs(known) / stderr) > 5


def test_bad_estimator_options_raise():
    with pytest.raises(ValueError, match="baseline must be one of .* got 'mean'"):
        DiffOPEstimator(baseline="mean")
    with pytest.raises(ValueError, match="antithetic pairs need an even num_trajectories, got 3"):
        DiffOPEstimator(num_trajectories=3, antithetic=True)
    with pytest.raises(ValueError, match="leave-one-out baseline needs num_trajectories >= 2"):
        DiffOPEstimator(num_trajectories=1, baseline="leave_one_out")


@pytest.mark.timeout(300)
def test_failed_solves_are_counted_as_data():
    """A solver stopped after 2 iterations fails; the estimator reports it in its outputs (so the trainer
    sees it even where eqx.error_if cannot raise, e.g. with the persistent compilation cache)."""
    from pydojo.envs import make

    env = make("cartpole", episode_length=10)
    ocp = env.diffop_ocp(10)
    theta = env.true_theta()
    est = DiffOPEstimator(sigma=1.0, beta=0.1, num_trajectories=2, baseline="nominal", antithetic=True)
    for max_iter, expect_failures in ((2, True), (300, False)):
        policy = OCPPolicy(ocp, make_solver(ocp, "ipm", {"tol": 1e-7, "max_iter": max_iter}), "traj", throw=False)
        costs, failed = jax.jit(lambda th: est.evaluate(policy, env, th))(theta)
        _, _, failed_train = jax.jit(lambda th, k: est.estimate(policy, env, th, k))(theta, jax.random.PRNGKey(0))
        assert (int(failed) > 0) == expect_failures and (int(failed_train) > 0) == expect_failures
        assert costs.shape == (len(env.initial_states),)
