"""Bad input gets a clear error; a failed contact solve shows in State and raises by default."""
import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.engine import ball_mjcf, block_mjcf, init, make_system, step
from pydojo.engine.system import DEFAULT_SOLVER_OPTIONS
from pydojo.solver import RESULTS


@pytest.fixture(scope="module")
def ball(request):
    return make_system(ball_mjcf())


def test_wrong_shapes_raise_value_error(ball):
    with pytest.raises(ValueError, match=r"q has shape \(2,\), expected \(3,\)"):
        init(ball, jnp.zeros(2), jnp.zeros(3))
    state = init(ball, jnp.zeros(3), jnp.zeros(3))
    with pytest.raises(ValueError, match=r"u has shape \(3,\), expected \(2,\)"):
        step(ball, state, jnp.zeros(3))


@pytest.mark.timeout(120)
def test_nan_action_raises_under_jit(ball):
    state = init(ball, jnp.array([0.0, 0.5, 0.0]), jnp.zeros(3))
    with pytest.raises(Exception, match="u contains NaN or Inf"):
        jax.block_until_ready(jax.jit(lambda s, u: step(ball, s, u))(state, jnp.array([jnp.nan, 0.0])))


def test_bad_schedule_and_options(ball):
    state = init(ball, jnp.zeros(3), jnp.zeros(3))
    with pytest.raises(ValueError, match="schedule must be"):
        step(ball, state, jnp.zeros(2), schedule="small")
    with pytest.raises(ValueError, match="friction_cone must be one of"):
        make_system(ball_mjcf(), friction_cone="pyramid")
    with pytest.raises(ValueError, match="n_directions must be >= 4"):
        from pydojo.engine import load_gymnasium

        make_system(load_gymnasium("ant"), n_directions=2)
    with pytest.raises(ValueError, match="radius must be > 0"):
        ball_mjcf(radius=-1.0)
    with pytest.raises(ValueError, match="Params.friction has shape"):
        ball.with_params(eqx.tree_at(lambda p: p.friction, ball.params, jnp.zeros(5)))


@pytest.mark.timeout(200)
def test_zero_friction_with_a_friction_cone_is_a_clear_error():
    system = make_system(block_mjcf(friction=0.0))
    state = init(system, jnp.zeros(2), jnp.zeros(2))
    with pytest.raises(Exception, match="friction_cone='impact' for frictionless contact"):
        jax.block_until_ready(jax.jit(lambda s: step(system, s, jnp.array([1.0])))(state))


@pytest.mark.timeout(200)
def test_failed_solve_is_reported_and_raises_by_default():
    starved = dataclasses.replace(DEFAULT_SOLVER_OPTIONS, max_iter=1)
    system = make_system(block_mjcf(), solver_options=starved)
    state = init(system, jnp.zeros(2), jnp.zeros(2))
    reported = jax.jit(lambda s: step(system, s, jnp.array([8.0]), throw=False))(state)
    assert int(reported.stats.result) == RESULTS.max_iterations_reached
    assert np.all(np.isfinite(np.asarray(reported.q)))
    with pytest.raises(Exception, match="max_iterations_reached"):
        jax.block_until_ready(jax.jit(lambda s: step(system, s, jnp.array([8.0])))(state))
