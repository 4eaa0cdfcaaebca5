"""Implicit gradients vs central finite differences and vs differentiating through the iterations."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.solver import MCP, Cone, SolverOptions, solve, solve_lcp
from pydojo.testing.references import random_p_matrix

UNROLLED = SolverOptions(adjoint="unrolled", max_iter=60)


def central_fd(f, x, eps=1e-6):
    x = np.asarray(x, float)
    basis = [e.reshape(x.shape) for e in np.eye(x.size)]
    return np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in basis]).reshape(x.shape)


@pytest.fixture(scope="module")
def lcp():
    rng = np.random.default_rng(11)
    F, q = random_p_matrix(rng, 6, "nonsymmetric"), rng.normal(size=6)
    return jnp.asarray(F), jnp.asarray(q), jnp.asarray(rng.normal(size=6))


@pytest.mark.timeout(240)
@pytest.mark.parametrize("mu", [1e-1, 1e-3, 1e-6])
def test_grad_wrt_q_and_F(lcp, mu):
    F, q, w = lcp
    loss = jax.jit(lambda F, q, opt=SolverOptions(): jnp.dot(w, solve_lcp(F, q, mu, options=opt).lam), static_argnums=2)
    g_F, g_q = jax.grad(loss, argnums=(0, 1))(F, q)
    np.testing.assert_allclose(g_q, central_fd(lambda x: float(loss(F, x)), q), atol=1e-7)
    np.testing.assert_allclose(g_F, central_fd(lambda x: float(loss(x, q)), F), atol=1e-7)
    u_F, u_q = jax.grad(loss, argnums=(0, 1))(F, q, UNROLLED)
    np.testing.assert_allclose(g_q, u_q, atol=1e-9)
    np.testing.assert_allclose(g_F, u_F, atol=1e-9)


@pytest.mark.timeout(240)
def test_jvp_vjp_consistent(lcp):
    F, q, _ = lcp
    f = lambda q: solve_lcp(F, q, 1e-4).lam
    jac_fwd = jax.jacfwd(f)(q)
    jac_rev = jax.jacrev(f)(q)
    np.testing.assert_allclose(jac_fwd, jac_rev, atol=1e-12)
    v = jnp.arange(6.0)
    _, vjp = jax.vjp(f, q)
    np.testing.assert_allclose(vjp(v)[0], v @ jac_fwd, atol=1e-12)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("z", [-1e-2, -1e-4, 0.0, 1e-4, 1e-2])
def test_near_the_switching_point(z):
    """1-D LCP λ(z + Fλ) = μ near z = 0: λ = (−z + √(z² + 4Fμ))/(2F), dλ/dz = (z/√(z²+4Fμ) − 1)/(2F)."""
    F = 2.0
    for mu in (1e-2, 1e-4, 1e-6):
        f = lambda z: solve_lcp(jnp.array([[F]]), jnp.array([z]), mu).lam[0]
        root = np.sqrt(z * z + 4 * F * mu)
        np.testing.assert_allclose(f(z), (-z + root) / (2 * F), rtol=1e-9)
        np.testing.assert_allclose(jax.grad(f)(z), (z / root - 1) / (2 * F), rtol=1e-7, atol=1e-12)
        u = jax.grad(lambda z: solve_lcp(jnp.array([[F]]), jnp.array([z]), mu, options=UNROLLED).lam[0])(z)
        np.testing.assert_allclose(u, (z / root - 1) / (2 * F), rtol=1e-7, atol=1e-12)


@pytest.mark.timeout(240)
def test_total_derivative_includes_dmu():
    F = jnp.array([[1.5]])
    mu_of = lambda z: 1e-2 * jnp.exp(-z * z)
    f_total = lambda z: solve_lcp(F, jnp.array([z]), mu_of(z), options=SolverOptions(mu_gradient="total")).lam[0]
    f_const = lambda z: solve_lcp(F, jnp.array([z]), mu_of(z)).lam[0]
    z = 0.3
    np.testing.assert_allclose(jax.grad(f_total)(z), central_fd(lambda x: float(f_total(x[0])), [z])[0], rtol=1e-6)
    held = jax.grad(lambda zz: solve_lcp(F, jnp.array([zz]), mu_of(z)).lam[0])(z)
    np.testing.assert_allclose(jax.grad(f_const)(z), held, rtol=1e-12)


@pytest.mark.timeout(240)
def test_mcp_with_free_variables_and_second_order_cone_gradients():
    """A friction-like MCP: y free, one orthant pair and one 3-D cone; data enters nonlinearly."""
    cone = Cone(n_orthant=1, soc=(3,))

    def residual(y, lam, s, p):
        a, b = p
        return jnp.concatenate([y - jnp.tanh(a) * lam[:2].sum(), s - lam + b + y[0] * jnp.array([0.0, 1, 0, 1])])

    prob = MCP(residual=residual, n_y=2, cone=cone)
    p = (jnp.array(0.4), jnp.array([0.5, 0.2, 1.0, -0.7]))
    loss = lambda p, opt=SolverOptions(): jnp.sum(jnp.sin(solve(prob, p, 1e-3, options=opt).lam)) + solve(
        prob, p, 1e-3, options=opt).y.sum()
    g_a, g_b = jax.grad(loss)(p)
    fd_b = central_fd(lambda x: float(loss((p[0], jnp.asarray(x)))), p[1])
    fd_a = central_fd(lambda x: float(loss((jnp.asarray(x[0]), p[1]))), [0.4])[0]
    np.testing.assert_allclose(g_b, fd_b, atol=1e-7)
    np.testing.assert_allclose(g_a, fd_a, atol=1e-7)
    u_a, u_b = jax.grad(lambda p: loss(p, UNROLLED))(p)
    np.testing.assert_allclose(g_b, u_b, atol=1e-9)
    np.testing.assert_allclose(g_a, u_a, atol=1e-9)
