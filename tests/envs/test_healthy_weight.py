"""The smooth healthy bonus the FOPG trainer can use in model unrolls (``fopg.model.healthy_softness``):
gymnasium's step function at softness 0, a product of sigmoids of the margins otherwise, with a gradient
that points back into the healthy ranges."""
import dataclasses

import equinox as eqx
import jax
import numpy as np
import pytest

from pydojo import envs


@pytest.fixture(scope="module")
def hopper():
    return envs.make("hopper")


def _at(env, z, angle):
    physics = env.reset(jax.random.PRNGKey(0)).physics
    return eqx.tree_at(lambda p: p.q, physics, physics.q.at[1].set(z).at[2].set(angle))


@pytest.mark.timeout(120)
def test_softness_zero_is_gymnasiums_indicator(hopper):
    assert hopper.healthy_softness == 0.0
    assert float(hopper.healthy_weight(_at(hopper, 1.25, 0.0))) == 1.0
    assert float(hopper.healthy_weight(_at(hopper, 0.69, 0.0))) == 0.0  # below healthy_z_range (0.7, inf)
    assert float(hopper.healthy_weight(_at(hopper, 1.25, 0.21))) == 0.0  # outside healthy_angle_range ±0.2


@pytest.mark.timeout(120)
def test_soft_weight_is_a_product_of_sigmoids_with_an_inward_gradient(hopper):
    w = 0.02
    soft = dataclasses.replace(hopper, healthy_softness=w)
    # on the height bound, far from the angle bounds: one sigmoid at 0, the others ~1
    np.testing.assert_allclose(float(soft.healthy_weight(_at(soft, 0.7, 0.0))), 0.5 * (1 / (1 + np.exp(-0.2 / w))) ** 2,
                               rtol=1e-6)
    assert float(soft.healthy_weight(_at(soft, 1.25, 0.0))) > 0.999
    dz = jax.grad(lambda z: soft.healthy_weight(_at(soft, z, 0.0)))(0.72)
    dangle = jax.grad(lambda a: soft.healthy_weight(_at(soft, 1.25, a)))(0.18)
    assert float(dz) > 1.0 and float(dangle) < -1.0  # higher torso and a smaller lean raise the bonus
    # the reward uses the weight; the episode still ends on gymnasium's hard condition
    state = soft.reset(jax.random.PRNGKey(0))
    before, after = state.physics, _at(soft, 0.69, 0.0)
    reward, done, _ = soft.evaluate(before, after, np.zeros(soft.action_size))
    hard_reward, hard_done, _ = hopper.evaluate(before, after, np.zeros(soft.action_size))
    assert float(done) == float(hard_done) == 1.0
    np.testing.assert_allclose(float(reward - hard_reward), float(soft.healthy_weight(after)), rtol=1e-9)
