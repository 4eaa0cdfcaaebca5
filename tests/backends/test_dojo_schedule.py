"""μ_sc for the dojo backend from pydojo.smoothing schedules (contact state read from the State).

Dojo takes one μ_sc per step: per-contact schedule values enter as their maximum.
The DistanceMu reference is the contact seed's eq. (7.1) written out here.
"""
import jax.numpy as jnp
import numpy as np
import pytest

import pydojo  # noqa: F401
from pydojo.backends.dojo import DojoBackend
from pydojo.engine.state import SolverStats, State
from pydojo.smoothing import ConstantMu, DistanceMu, GaussianMu, RandomizedSmoothing


def _state(phi, gamma):
    zero = jnp.zeros((), jnp.int32)
    nc = len(phi)
    return State(q=jnp.zeros(7), v=jnp.zeros(6), gamma=jnp.asarray(gamma), friction=jnp.zeros((nc, 2)),
                 phi=jnp.asarray(phi), mu=jnp.zeros(()),
                 stats=SolverStats(iterations=zero, eq_residual=jnp.zeros(()), comp_residual=jnp.zeros(()), result=zero))


@pytest.fixture(scope="module")
def backend():
    return DojoBackend()


def test_numbers_and_constant_schedules(backend):
    state = _state([0.1, 0.3], [0.0, 2.0])
    assert float(backend.schedule_mu(None, state, 1e-3)) == 1e-3
    assert float(backend.schedule_mu(None, state, ConstantMu(1e-4))) == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="scalar μ_sc"):
        backend.schedule_mu(None, state, jnp.array([1e-3, 1e-4]))


def test_distance_schedule_follows_eq_7_1(backend):
    phi, gamma = np.array([0.05, 0.02, 0.4]), np.array([0.0, 3.0, 0.5])  # contact 2 is active (γ > 1)
    got = float(backend.schedule_mu(None, _state(phi, gamma), DistanceMu()))
    inactive = gamma <= 1.0
    d = np.min(np.minimum(np.abs(phi[inactive]), 1.0))
    assert got == pytest.approx(1e-2 * (10 * d**2 + 1) ** -4, rel=1e-12)


def test_per_contact_values_enter_as_their_maximum(backend):
    state = _state([0.0, 0.5], [0.0, 0.0])
    schedule = GaussianMu(sigma=0.1, per_contact=True)
    per_contact = schedule.mu(backend.contact_state(None, state))
    assert per_contact.shape == (2,)
    assert float(backend.schedule_mu(None, state, schedule)) == pytest.approx(float(jnp.max(per_contact)))


def test_randomized_smoothing_is_refused(backend):
    with pytest.raises(ValueError, match="not supported by the dojo backend"):
        backend.schedule_mu(None, _state([0.1], [0.0]), RandomizedSmoothing(sigma=0.1, samples=8))
