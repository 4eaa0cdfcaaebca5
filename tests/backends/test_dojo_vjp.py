"""The custom_vjp + pure_callback wiring that feeds Dojo's Jacobians to JAX.

``host_step_function`` is generic over its host step; here the host is an analytic
smoothed-LCS step (seed eq. 3.1 with one contact, solved in closed form on the central
path, λ s = μ), so the expected derivatives are known exactly and JAX's own autodiff
of the same closed form is the reference. Julia is not involved (see test_dojo_julia.py).
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pydojo  # noqa: F401
from pydojo.backends.dojo import host_step_function

A = np.array([[1.0, 0.1], [0.0, 1.0]])
B = np.array([[0.0], [0.1]])


def _closed_form(x, u, mu, xp):
    """x⁺ = A x + B u + C λ with λ (D x + E u + F λ) = μ, D = [0, 1], E = 0.1, F = 1, C = [0, 1]ᵀ (F = 1: scalar LCP)."""
    z = x[1] + 0.1 * u[0]
    lam = 0.5 * (-z + xp.sqrt(z * z + 4.0 * mu))
    return xp.asarray(A) @ x + xp.asarray(B) @ u + xp.asarray([0.0, 1.0]) * lam, lam


def _host(x, u, mu, gradients):
    x, u, mu = np.asarray(x), np.asarray(u), float(mu)
    x_next, lam = _closed_form(x, u, mu, np)
    out = [x_next, np.asarray([lam]), np.int32(0)]
    if gradients:
        jx, ju = jax.jacfwd(lambda a, b: _closed_form(a, b, mu, jnp)[0], argnums=(0, 1))(jnp.asarray(x), jnp.asarray(u))
        out += [np.asarray(jx), np.asarray(ju)]
    return tuple(out)


def _shapes(gradients):
    base = (jax.ShapeDtypeStruct((2,), jnp.float64), jax.ShapeDtypeStruct((1,), jnp.float64),
            jax.ShapeDtypeStruct((), jnp.int32))
    return base + ((jax.ShapeDtypeStruct((2, 2), jnp.float64), jax.ShapeDtypeStruct((2, 1), jnp.float64))
                   if gradients else ())


@pytest.fixture(scope="module")
def step():
    return host_step_function(_host, _shapes)


def _loss_host(step, x, u, mu):
    x_next, (lam, _) = step(x, u, mu)
    return jnp.sum(x_next ** 2) + lam[0]


def _loss_reference(x, u, mu):
    x_next, _ = _closed_form(x, u, mu, jnp)
    return jnp.sum(x_next ** 2)


@pytest.mark.parametrize("mu", [1e-6, 1e-2])
def test_gradients_are_the_hosts_jacobians(step, mu):
    x, u = jnp.array([0.3, -0.05]), jnp.array([0.2])
    gx, gu, gmu = jax.grad(_loss_host, argnums=(1, 2, 3))(step, x, u, jnp.asarray(mu))
    rx, ru = jax.grad(_loss_reference, argnums=(0, 1))(x, u, mu)
    np.testing.assert_allclose(gx, rx, rtol=1e-12)
    np.testing.assert_allclose(gu, ru, rtol=1e-12)
    assert gmu == 0.0  # μ's dependence is not differentiated (Dojo's convention)


def test_jit_vmap_and_scan(step):
    xs = jnp.array([[0.3, -0.05], [0.1, 0.2], [0.0, -0.3]])
    u = jnp.array([0.2])
    batched = jax.jit(jax.vmap(lambda x: step(x, u, jnp.asarray(1e-3))[0]))(xs)
    for x, got in zip(xs, batched):
        np.testing.assert_allclose(got, _closed_form(np.asarray(x), np.asarray(u), 1e-3, np)[0], rtol=1e-12)

    def rollout_loss(x0):
        def body(x, _):
            x_next, _ = step(x, u, jnp.asarray(1e-3))
            return x_next, None

        final, _ = jax.lax.scan(body, x0, None, length=5)
        return jnp.sum(final)

    def rollout_reference(x0):
        x = x0
        for _ in range(5):
            x = _closed_form(x, u, 1e-3, jnp)[0]
        return jnp.sum(x)

    x0 = jnp.array([0.3, -0.05])
    np.testing.assert_allclose(jax.jit(jax.grad(rollout_loss))(x0), jax.grad(rollout_reference)(x0), rtol=1e-11)
