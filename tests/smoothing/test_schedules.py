"""Smoothing schedules: Prop. 5.1/5.2 on the 1-D example, eq. 7.1, randomized smoothing."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import norm

from pydojo.smoothing import (ConstantMu, ContactState, DistanceMu, GaussianMu, RandomizedSmoothing,
                              gaussian_smoothed_force, make_schedule, smoothed_solve)
from pydojo.solver import SolverOptions, solve_lcp

F, SIGMA = 2.0, 0.3
Z_GRID = np.linspace(-1.5, 1.5, 31)


def _lam_at_schedule(z, mu_gradient="total"):
    mu = GaussianMu(sigma=SIGMA).mu(ContactState.from_offset(z, F))
    return solve_lcp(jnp.array([[F]]), jnp.atleast_1d(z), mu, options=SolverOptions(mu_gradient=mu_gradient)).lam[0]


@pytest.fixture(scope="module")
def lam_and_grad():
    lam = jax.jit(jax.vmap(_lam_at_schedule))
    grad = jax.jit(jax.vmap(jax.grad(_lam_at_schedule)))
    return lam, grad


@pytest.mark.timeout(240)
def test_solver_at_gaussian_mu_returns_smoothed_force(lam_and_grad):
    """Prop. 5.1: S_μ(z)(z) = E_w[S₀(z + w)] = κ(z); κ checked against numerical quadrature."""
    lam, _ = lam_and_grad
    w = np.linspace(-8 * SIGMA, 8 * SIGMA, 20001)
    quad = [np.trapezoid(np.maximum(-(z + w) / F, 0) * norm.pdf(w, scale=SIGMA), w) for z in Z_GRID]
    np.testing.assert_allclose(gaussian_smoothed_force(jnp.asarray(Z_GRID), F, SIGMA), quad, atol=1e-8)
    np.testing.assert_allclose(lam(jnp.asarray(Z_GRID)), quad, atol=1e-8)


@pytest.mark.timeout(240)
def test_total_derivative_equals_randomized_smoothing_gradient(lam_and_grad):
    """Prop. 5.2: d/dz S_μ(z)(z) = E_w[∇S₀(z + w)] = −Φ(−z/σ)/F."""
    _, grad = lam_and_grad
    np.testing.assert_allclose(grad(jnp.asarray(Z_GRID)), -norm.cdf(-Z_GRID / SIGMA) / F, atol=1e-9)


@pytest.mark.timeout(240)
def test_randomized_smoothing_estimates_the_same_gradient():
    rs = RandomizedSmoothing(sigma=SIGMA, samples=4000)
    z = 0.1

    def lam(z):
        solve_fn = lambda zz, mu: solve_lcp(jnp.array([[F]]), zz, mu).lam[0]
        return smoothed_solve(rs, solve_fn, jnp.array([z]), ContactState.from_offset(z, F), jax.random.PRNGKey(3))

    g = jax.jit(jax.grad(lam))(z)
    # bundled gradient: mean of -1/F indicators; standard error sqrt(p(1-p)/n)/F
    p = norm.cdf(-z / SIGMA)
    assert abs(float(g) + p / F) < 4 * np.sqrt(p * (1 - p) / 4000) / F


@pytest.mark.timeout(60)
def test_distance_schedule_eq_7_1():
    sched = DistanceMu()
    c = ContactState(phi=jnp.array([0.3, 0.05, 2.0]), gamma=jnp.array([0.0, 5.0, 0.0]), z=jnp.zeros(3),
                     compliance=jnp.ones(3))
    # contact 1 is active (γ > 1): the closest inactive contact is at 0.3
    np.testing.assert_allclose(sched.mu(c), 1e-2 * (10 * 0.3**2 + 1) ** -4)
    far = ContactState(phi=jnp.array([5.0]), gamma=jnp.zeros(1), z=jnp.zeros(1), compliance=jnp.ones(1))
    np.testing.assert_allclose(sched.mu(far), 1e-2 * 11.0**-4)
    touching = ContactState(phi=jnp.array([0.0]), gamma=jnp.zeros(1), z=jnp.zeros(1), compliance=jnp.ones(1))
    np.testing.assert_allclose(sched.mu(touching), 1e-2)
    pressed = ContactState(phi=jnp.zeros(2), gamma=jnp.array([3.0, 4.0]), z=jnp.zeros(2), compliance=jnp.ones(2))
    np.testing.assert_allclose(sched.mu(pressed), 1e-10)


@pytest.mark.timeout(60)
def test_gaussian_mu_is_contact_aware():
    sched = GaussianMu(sigma=0.1)
    mus = sched.mu(ContactState.from_offset(jnp.array([-2.0, -0.05, 0.0, 0.05, 2.0]), 1.0))
    assert mus[2] == jnp.max(mus) and mus[0] <= 1e-10 and mus[4] <= 1e-10
    assert ConstantMu(1e-3).mu(ContactState.from_offset(jnp.zeros(2), 1.0)) == 1e-3


@pytest.mark.timeout(60)
def test_bad_schedule_config():
    with pytest.raises(ValueError, match="unknown smoothing kind 'erf'; valid kinds: constant, distance"):
        make_schedule("erf")
    with pytest.raises(ValueError, match="ConstantMu.value must be >= 0"):
        ConstantMu(-1.0)
    with pytest.raises(ValueError, match="GaussianMu.sigma must be > 0"):
        GaussianMu(sigma=0.0)
    with pytest.raises(ValueError, match="bad options"):
        make_schedule("constant", sigma=1.0)
    with pytest.raises(ValueError, match="pass a PRNG key"):
        smoothed_solve(RandomizedSmoothing(sigma=0.1, samples=3), lambda z, m: z, jnp.zeros(1),
                       ContactState.from_offset(0.0, 1.0))
