"""The DiffOP baselines' pieces on cases with known answers: LSTD recovers an exactly representable value
function and advantage; PDP's imitation loss vanishes at θ_true with a zero gradient, and its IDOC gradient
equals central differences of the re-solved loss elsewhere. (One update of each RL-MPC baseline against
mpcrl: test_rlmpc_mpcrl.py.)"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from pydojo import envs
from pydojo.estimators.pdp import PDPImitation, demonstrations
from pydojo.estimators.rlmpc import advantage_weights, lstd_value_weights, quadratic_features
from pydojo.ocp import make_solver
from pydojo.policies.ocp import OCPPolicy


def test_quadratic_features_are_every_monomial_up_to_degree_two():
    phi = np.asarray(quadratic_features(jnp.asarray([2.0, 3.0])))
    assert sorted(phi.tolist()) == sorted([1.0, 2.0, 3.0, 4.0, 6.0, 9.0])


@pytest.mark.parametrize("discount", [0.9, 1.0])
def test_lstd_recovers_a_representable_value_function_and_advantage(discount):
    rng = np.random.default_rng(0)
    n, T, n_theta = 3, 40, 5
    states = jnp.asarray(rng.normal(size=(T + 1, n)))
    phi = jax.vmap(quadratic_features)(states)
    v_true = jnp.asarray(rng.normal(size=phi.shape[1]))
    V = phi @ v_true
    costs = V[:-1] - discount * V[1:]  # Bellman: V(s_t) = L_t + γ V(s_{t+1})
    v = lstd_value_weights(states, costs, discount, 1e-12)
    # with γ = 1 a constant in V cancels from every TD difference: the ridge fit sets it to 0
    identifiable = slice(1, None) if discount == 1.0 else slice(None)
    np.testing.assert_allclose(v[identifiable], v_true[identifiable], atol=1e-6)
    psi = jnp.asarray(rng.normal(size=(T, n_theta)))
    w_true = jnp.asarray(rng.normal(size=n_theta))
    costs_with_advantage = costs + psi @ w_true  # L + γV(s') − V(s) = Ψw
    w = advantage_weights(states, costs_with_advantage, psi, v, discount, 1e-12)
    np.testing.assert_allclose(w, w_true, atol=1e-6)


@pytest.fixture(scope="module")
def pdp_cartpole():
    env = envs.make("cartpole", episode_length=8)
    ocp = env.diffop_ocp(env.episode_length)
    policy = OCPPolicy(ocp, make_solver(ocp, "ipm", {"tol": 1e-11}), "traj")
    pdp = PDPImitation(demonstrations(policy, env.true_theta(), env.demonstration_states[:3]))
    return env, policy, pdp, jax.jit(lambda th: pdp.loss_and_grad(policy, th))


@pytest.mark.timeout(300)
def test_pdp_loss_is_zero_at_the_truth_and_its_gradient_matches_central_differences(pdp_cartpole):
    env, policy, pdp, loss_and_grad = pdp_cartpole
    losses, grad, failed = loss_and_grad(env.true_theta())
    assert int(failed) == 0 and np.max(np.asarray(losses)) < 1e-12
    assert np.max(np.abs(ravel_pytree(grad)[0])) < 1e-5
    theta = env.perturbed_theta(jax.random.PRNGKey(0), 0.3)
    flat, unravel = ravel_pytree(theta)
    losses, grad, failed = loss_and_grad(theta)
    assert int(failed) == 0 and np.mean(np.asarray(losses)) > 1e-3
    loss = lambda f: float(jnp.mean(loss_and_grad(unravel(f))[0]))  # noqa: E731
    # the loss carries ~2e-9 of solver round-off, which a step of 1e-6 turns into ~2e-3 of difference noise
    # (the tolerance, 1e-5 · max|fd| ≈ 1.1e-3); at 1e-4 round-off and truncation together were 2.5e-5 (measured)
    eps = 1e-4
    fd = np.array([(loss(flat + eps * e) - loss(flat - eps * e)) / (2 * eps) for e in np.eye(flat.size)])
    np.testing.assert_allclose(ravel_pytree(grad)[0], fd, atol=1e-5 * max(1.0, np.max(np.abs(fd))))


def test_pdp_demonstration_starts_are_checked(pdp_cartpole):
    env, policy, _, _ = pdp_cartpole
    with pytest.raises(ValueError, match=r"demonstration starts must have shape \(n, 4\)"):
        demonstrations(policy, env.true_theta(), np.zeros((2, 3)))
