"""Model update (eq. 4.1): random search recovers ψ* (the block's mass and friction coefficient) from
true-system transitions; gradient descent through the engine reaches the same ψ*."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pydojo  # noqa: F401
from pydojo.envs import make
from pydojo.training.model_fit import ParamSpec, gradient_fit, random_search, transition_loss

TOLERANCE = 0.03  # relative error on each recovered parameter


@pytest.fixture(scope="module")
def block_data():
    env = make("block", friction=0.4, mass=2.0)
    spec = ParamSpec.parse([["body_mass", 2], ["friction", 1]])
    truth = np.asarray(spec.read(env.system.params))
    np.testing.assert_allclose(truth, [2.0, 0.4])
    key_v, key_u = jax.random.split(jax.random.PRNGKey(0))
    n = 24
    start = env.reset(jax.random.PRNGKey(0))
    velocities = jax.random.uniform(key_v, (n,), minval=-1.0, maxval=1.0)
    actions = jax.random.uniform(key_u, (n, 1), minval=-25.0, maxval=25.0)

    def transition(vx, u):
        physics = start.physics
        physics = type(physics)(**{**physics.__dict__, "v": physics.v.at[0].set(vx)})
        state = start.__class__(physics=physics, obs=env.observe(physics), reward=start.reward, done=start.done,
                                info=start.info)
        return physics, env.step(state, u).physics

    states, next_states = jax.jit(jax.vmap(transition))(velocities, actions)
    return env, spec, truth, (states, actions, next_states)


@pytest.mark.timeout(600)
def test_random_search_recovers_mass_and_friction(block_data):
    env, spec, truth, data = block_data
    loss = jax.jit(jax.vmap(lambda v: transition_loss(env, spec, v, data)))
    assert float(loss(jnp.asarray(truth)[None])[0]) < 1e-12  # the true system explains its own data
    fitted, final = random_search(loss, jnp.asarray(truth) * jnp.array([1.5, 0.6]), jax.random.PRNGKey(3),
                                  rounds=25, candidates=16, step=0.4, decay=0.85)
    np.testing.assert_allclose(np.asarray(fitted), truth, rtol=TOLERANCE)


@pytest.mark.timeout(600)
def test_gradient_fit_through_the_engine_recovers_mass_and_friction(block_data):
    env, spec, truth, data = block_data
    loss = jax.jit(lambda v: transition_loss(env, spec, v, data))
    fitted, _ = gradient_fit(loss, jnp.asarray(truth) * jnp.array([1.3, 0.8]), steps=150, learning_rate=0.05)
    np.testing.assert_allclose(np.asarray(fitted), truth, rtol=TOLERANCE)


def test_param_spec_rejects_unknown_fields_and_indices(block_data):
    env, *_ = block_data
    with pytest.raises(ValueError, match="must be \\[field, index\\]"):
        ParamSpec.parse([["bogus", 0]])
    with pytest.raises(ValueError, match="out of range"):
        ParamSpec.parse([["body_mass", 99]]).check(env.system.params)
