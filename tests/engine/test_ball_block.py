"""Hard contact against analytic solutions: falling ball (μ_sc → 0 and force at a distance) and the
sliding block (Coulomb threshold μ_f·m·g, acceleration (F − μ_f m g)/m, incline threshold tan α = μ_f)."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.engine import block_mjcf, init, make_system, rollout

GRAVITY = 9.81


_JITTED = {}


def _rollout_fn(system):
    """One jitted rollout per system (μ_sc and the controls are traced arguments)."""
    if id(system) not in _JITTED:
        _JITTED[id(system)] = jax.jit(lambda s, controls, mu: rollout(system, s, controls, mu))
    return _JITTED[id(system)]


def _drop(system, mu, steps=100):
    state = init(system, jnp.array([0.0, 0.5, 0.0]), jnp.zeros(3))
    return _rollout_fn(system)(state, jnp.zeros((steps, 2)), jnp.asarray(mu))


@pytest.mark.timeout(200)
def test_ball_drop_exact_limit_rests_without_penetration(ball_system):
    final, traj = _drop(ball_system, 1e-10)
    assert np.all(np.asarray(traj.stats.result) == 0)
    assert float(traj.phi.min()) > -1e-9  # no penetration beyond tolerance
    assert abs(float(final.q[1])) < 1e-8 and float(jnp.abs(final.v).max()) < 1e-8  # at rest on the ground
    # the resting impulse carries the weight: γ = m g h
    np.testing.assert_allclose(float(final.gamma[0]), GRAVITY * 0.01, rtol=1e-6)


@pytest.mark.timeout(200)
def test_ball_force_at_a_distance_when_smoothed(ball_system):
    """μ_sc > 0 (Fig. 2(a)): the impulse rises before touching, γ·gap = μ_sc on the central path."""
    _, traj = _drop(ball_system, 1e-2)
    gap, gamma = np.asarray(traj.phi[:, 0]), np.asarray(traj.gamma[:, 0])
    assert gap.min() > 1e-2  # never reaches the ground: pushed away at a distance
    np.testing.assert_allclose(gamma * gap, 1e-2, rtol=1e-5)
    _, exact = _drop(ball_system, 1e-10)
    assert gap.min() > 1e4 * abs(float(exact.phi.min()))


def _push(system, force, steps=20, mu=1e-12):
    state = init(system, jnp.zeros(2), jnp.zeros(2))
    return _rollout_fn(system)(state, jnp.full((steps, 1), force), jnp.asarray(mu))


@pytest.mark.timeout(200)
@pytest.mark.parametrize("force", [2.0, 4.5, 4.85])
def test_block_below_threshold_stays(block_system, block_constants, force):
    mu_f, g = block_constants
    assert force < mu_f * g
    final, traj = _push(block_system, force)
    assert np.all(np.asarray(traj.stats.result) == 0)
    assert float(jnp.abs(final.v).max()) < 1e-6 and float(jnp.abs(final.q).max()) < 1e-6


@pytest.mark.timeout(200)
@pytest.mark.parametrize("force", [5.0, 8.0, 20.0])
def test_block_above_threshold_accelerates(block_system, block_constants, force):
    mu_f, g = block_constants
    steps, h = 20, 0.01
    final, _ = _push(block_system, force, steps)
    accel = float(final.v[0]) / (steps * h)
    np.testing.assert_allclose(accel, force - mu_f * g, rtol=0, atol=1e-6)
    assert abs(float(final.v[1])) < 1e-6  # stays on the plane


@pytest.mark.timeout(300)
def test_block_on_incline_threshold_is_tan_alpha():
    """No push: rests iff tan α ≤ μ_f; otherwise slides down at g (sin α − μ_f cos α)."""
    mu_f, steps, h = 0.4, 20, 0.01
    for alpha, sliding in ((math.atan(mu_f) - 0.05, False), (math.atan(mu_f) + 0.1, True)):
        system = make_system(block_mjcf(friction=mu_f, incline=alpha, timestep=h))
        final, traj = _push(system, 0.0, steps)
        assert np.all(np.asarray(traj.stats.result) == 0)
        # the slope is rotated so that downhill is -x in the block's frame
        expected = GRAVITY * (math.sin(alpha) - mu_f * math.cos(alpha)) if sliding else 0.0
        np.testing.assert_allclose(-float(final.v[0]) / (steps * h), expected, rtol=0, atol=1e-6)


@pytest.mark.timeout(200)
def test_frictionless_block_accelerates_at_force_over_mass():
    """friction_cone="impact" (frictionless contact): any push accelerates the unit-mass block at F/m,
    and the normal impulse still carries its weight."""
    h, steps, force = 0.01, 20, 0.7
    system = make_system(block_mjcf(friction=0.0, timestep=h), friction_cone="impact")
    final, traj = _push(system, force, steps)
    assert np.all(np.asarray(traj.stats.result) == 0)
    np.testing.assert_allclose(float(final.v[0]) / (steps * h), force, rtol=0, atol=1e-6)
    assert abs(float(final.v[1])) < 1e-6
    np.testing.assert_allclose(float(final.gamma.sum()), GRAVITY * h, rtol=1e-6)
