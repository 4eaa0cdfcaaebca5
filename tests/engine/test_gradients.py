"""Gradients of 50-step rollouts through hard contact: implicit (default) vs central finite differences
(no contact-mode switch inside the stencil) and vs the solver's unrolled mode."""
import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.engine import block_mjcf, init, make_system, rollout
from pydojo.engine.system import DEFAULT_SOLVER_OPTIONS

STEPS, MU_SC = 50, 1e-6


def _block(adjoint):
    options = dataclasses.replace(DEFAULT_SOLVER_OPTIONS, adjoint=adjoint)
    return make_system(block_mjcf(friction=0.5, timestep=0.01), solver_options=options)


def _loss_fn(system):
    """Final position and squared velocity of a block pushed past the friction threshold (always sliding)."""
    state = init(system, jnp.zeros(2), jnp.array([0.1, 0.0]))

    def loss(controls, params, v0):
        start = eqx.tree_at(lambda s: s.v, state, v0)
        final, _ = rollout(system.with_params(params), start, controls, MU_SC)
        return final.q[0] + final.v[0] ** 2

    return loss


@pytest.fixture(scope="module")
def problem():
    controls = 8.0 + 0.5 * jnp.sin(jnp.arange(STEPS, dtype=float))[:, None]
    system = _block("implicit")
    loss = jax.jit(_loss_fn(system))
    grads = jax.jit(jax.grad(_loss_fn(system), argnums=(0, 1, 2)))(controls, system.params, jnp.array([0.1, 0.0]))
    return system, loss, controls, grads


@pytest.mark.timeout(300)
def test_rollout_gradient_matches_central_differences(problem):
    system, loss, controls, (g_u, g_psi, g_v0) = problem
    params, v0 = system.params, jnp.array([0.1, 0.0])
    eps = 1e-6

    def central(perturb):
        return (loss(*perturb(eps)) - loss(*perturb(-eps))) / (2 * eps)

    for t in (0, 17, 49):
        fd = central(lambda e: (controls.at[t, 0].add(e), params, v0))
        np.testing.assert_allclose(g_u[t, 0], fd, rtol=1e-5, atol=1e-8)
    block_geom = 1  # the floor has zero friction; the contact uses max(floor, block) = block's
    fd_mu = central(lambda e: (controls, eqx.tree_at(lambda p: p.friction, params, params.friction.at[block_geom].add(e)), v0))
    np.testing.assert_allclose(g_psi.friction[block_geom], fd_mu, rtol=1e-5)
    fd_m = central(lambda e: (controls, eqx.tree_at(lambda p: p.body_mass, params, params.body_mass.at[-1].add(e)), v0))
    np.testing.assert_allclose(g_psi.body_mass[-1], fd_m, rtol=1e-5)
    fd_v = central(lambda e: (controls, params, v0.at[0].add(e)))
    np.testing.assert_allclose(g_v0[0], fd_v, rtol=1e-5)
    assert abs(float(g_psi.friction[block_geom])) > 1.0  # the friction gradient is not trivially zero


@pytest.mark.timeout(300)
def test_implicit_gradient_matches_unrolled(problem):
    _, _, controls, (g_u, g_psi, _) = problem
    unrolled = _block("unrolled")
    g_u2, g_psi2, _ = jax.jit(jax.grad(_loss_fn(unrolled), argnums=(0, 1, 2)))(
        controls, unrolled.params, jnp.array([0.1, 0.0]))
    np.testing.assert_allclose(g_u, g_u2, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(g_psi.friction, g_psi2.friction, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(g_psi.body_mass, g_psi2.body_mass, rtol=1e-6, atol=1e-10)
