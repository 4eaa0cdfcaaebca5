"""The engine behind the backend interface, with every kind of smoothing schedule and the SOC cone."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.backends.jax import JaxBackend
from pydojo.smoothing import DistanceMu, GaussianMu, RandomizedSmoothing


@pytest.fixture(scope="module")
def backend_ball():
    backend = JaxBackend()
    return backend, backend.make_system("ball", timestep=0.01)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("schedule", [DistanceMu(), GaussianMu(sigma=0.05), RandomizedSmoothing(sigma=0.01, samples=4)])
def test_backend_rollout_with_schedules(backend_ball, schedule):
    backend, system = backend_ball
    state = backend.init(system, jnp.array([0.0, 0.3, 0.0]), jnp.array([0.5, 0.0, 0.0]))
    key = jax.random.PRNGKey(0)

    def run(s):
        def body(carry, k):
            nxt = backend.step(system, carry, jnp.zeros(2), schedule, k)
            return nxt, (nxt.q, nxt.mu, nxt.stats.result)
        return jax.lax.scan(body, s, jax.random.split(key, 60))

    final, (q, mu, result) = jax.jit(run)(state)
    assert np.all(np.asarray(result) == 0) and np.all(np.isfinite(np.asarray(q)))
    assert float(final.q[1]) < 0.3 and float(final.q[1]) > -1e-3  # fell, did not go through the ground
    assert np.all(np.asarray(mu) > 0)


@pytest.mark.timeout(300)
def test_second_order_cone_block_acceleration():
    """The planar SOC is exact Coulomb: F > μ m g accelerates at (F − μ m g)/m."""
    backend = JaxBackend()
    system = backend.make_system("block", friction=0.5, friction_cone="nonlinear")
    state = backend.init(system, jnp.zeros(2), jnp.zeros(2))
    final, _ = jax.jit(lambda s: backend.rollout(system, s, jnp.full((20, 1), 8.0), 1e-12))(state)
    np.testing.assert_allclose(float(final.v[0]) / 0.2, 8.0 - 0.5 * 9.81, atol=1e-6)
