"""Softened LCS (eq. 3.1): step/rollout/Jacobians, the P-matrix check, Thm. 4.5's stiffness bound."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo import lcs as L
from pydojo.smoothing import GaussianMu
from pydojo.solver import SolverOptions
from pydojo.testing.references import lemke, random_p_matrix


def random_lcs(rng, nx=4, nu=2, nl=3):
    F = random_p_matrix(rng, nl, "nonsymmetric")
    return L.LCS(A=np.eye(nx) + 0.1 * rng.normal(size=(nx, nx)), B=rng.normal(size=(nx, nu)),
                 C=rng.normal(size=(nx, nl)), c=0.1 * rng.normal(size=nx), D=rng.normal(size=(nl, nx)),
                 E=rng.normal(size=(nl, nu)), F=F, d=0.1 * rng.normal(size=nl))


@pytest.fixture(scope="module")
def system():
    return random_lcs(np.random.default_rng(0))


@pytest.mark.timeout(120)
def test_exact_step_matches_lemke(system):
    rng = np.random.default_rng(1)
    for _ in range(5):
        x, u = rng.normal(size=4), rng.normal(size=2)
        z = np.asarray(system.D @ x + system.E @ u + system.d)
        lam = lemke(np.asarray(system.F), z)
        expected = system.A @ x + system.B @ u + system.C @ lam + system.c
        np.testing.assert_allclose(L.step(system, x, u, 1e-14), expected, atol=1e-8)


@pytest.mark.timeout(180)
def test_jacobians_match_finite_differences(system):
    x, u = jnp.array([0.1, -0.2, 0.3, 0.0]), jnp.array([0.5, -0.1])
    total = SolverOptions(mu_gradient="total")  # finite differences see dμ/dx too
    for mu in (1e-1, 1e-4, GaussianMu(sigma=0.2)):
        jx, ju = L.jacobians(system, x, u, mu, options=total)
        eps = 1e-6
        fd_x = np.stack([(L.step(system, x + eps * e, u, mu) - L.step(system, x - eps * e, u, mu)) / (2 * eps)
                         for e in np.eye(4)], axis=1)
        fd_u = np.stack([(L.step(system, x, u + eps * e, mu) - L.step(system, x, u - eps * e, mu)) / (2 * eps)
                         for e in np.eye(2)], axis=1)
        np.testing.assert_allclose(jx, fd_x, atol=1e-6)
        np.testing.assert_allclose(ju, fd_u, atol=1e-6)


@pytest.mark.timeout(180)
def test_rollout_is_repeated_step(system):
    us = jnp.asarray(np.random.default_rng(2).normal(size=(5, 2)))
    xs = L.rollout(system, jnp.zeros(4), us, 1e-3)
    x = jnp.zeros(4)
    for t in range(5):
        x = L.step(system, x, us[t], 1e-3)
        np.testing.assert_allclose(xs[t], x, atol=1e-12)
    g = jax.grad(lambda us: jnp.sum(L.rollout(system, jnp.zeros(4), us, 1e-3)[-1] ** 2))(us)
    assert g.shape == us.shape and np.all(np.isfinite(g))


@pytest.mark.timeout(240)
def test_thm_4_5_jacobian_norm_below_bound_and_bound_grows_like_one_over_mu():
    """Measured ‖∂x'/∂x‖₂ + ‖∂x'/∂u‖₂ on random softened LCSs stays below Thm. 4.5's bound for every μ,
    and the bound scales like 1/μ as μ → 0. (The measured norm itself stays bounded — for a P-matrix F
    the exact LCS is piecewise linear — while the curvature at the switching point grows like μ^(-1/2),
    checked in the next test.)"""
    rng = np.random.default_rng(3)
    mus = np.array([1e-1, 1e-2, 1e-3, 1e-4, 1e-5])
    for _ in range(3):
        sys_ = random_lcs(rng)
        xs, us = rng.normal(size=(40, 4)), rng.normal(size=(40, 2))
        offsets = np.linalg.norm(xs @ np.asarray(sys_.D).T + us @ np.asarray(sys_.E).T + np.asarray(sys_.d), axis=1)
        e_sup = float(offsets.max())
        jac = jax.jit(jax.vmap(lambda x, u, m: L.jacobians(sys_, x, u, m), in_axes=(0, 0, None)))
        bounds = np.array([L.stiffness_bound(sys_, m, e_sup) for m in mus])
        for m, bound in zip(mus, bounds):
            jx, ju = jac(xs, us, m)
            measured = np.linalg.norm(jx, 2, axis=(1, 2)) + np.linalg.norm(ju, 2, axis=(1, 2))
            assert measured.max() <= bound
        np.testing.assert_allclose(bounds[-1] * mus[-1] / (bounds[-2] * mus[-2]), 1.0, rtol=0.05)


@pytest.mark.timeout(120)
def test_curvature_at_the_switching_point_grows_as_mu_decreases():
    """1-D: d²λ/dz² at z = 0 is (4Fμ)^(-1/2)/(2F) — the local stiffness that smoothing removes."""
    F = 1.5
    sys_ = L.LCS(A=np.eye(1), B=np.zeros((1, 1)), C=np.ones((1, 1)), c=np.zeros(1), D=np.ones((1, 1)),
                 E=np.zeros((1, 1)), F=np.array([[F]]), d=np.zeros(1))
    for mu in (1e-2, 1e-4, 1e-6):
        curv = jax.grad(jax.grad(lambda x: L.force(sys_, jnp.array([x]), jnp.zeros(1), mu)[0]))(0.0)
        np.testing.assert_allclose(curv, (4 * F * mu) ** -0.5 / (2 * F), rtol=1e-6)


@pytest.mark.timeout(60)
def test_bad_input():
    rng = np.random.default_rng(4)
    good = dict(A=np.eye(2), B=np.ones((2, 1)), C=np.ones((2, 2)), c=np.zeros(2), D=np.ones((2, 2)),
                E=np.ones((2, 1)), F=np.eye(2), d=np.zeros(2))
    with pytest.raises(ValueError, match=r"C must have shape \(2, 2\)"):
        L.LCS(**{**good, "C": np.ones((2, 3))})
    with pytest.raises(ValueError, match="not a P-matrix"):
        L.LCS(**{**good, "F": np.array([[1.0, 2.0], [2.0, 1.0]])})
    with pytest.raises(ValueError, match="NaN"):
        L.LCS(**{**good, "F": np.array([[1.0, np.nan], [0.0, 1.0]])})
    with pytest.raises(ValueError, match="too large to certify"):  # a P-matrix, but not certifiable cheaply
        L.check_p_matrix(np.kron(np.eye(10), np.array([[1.0, 4.0], [0.0, 1.0]])))
    L.check_p_matrix(random_p_matrix(rng, 8, "triangular"))  # P but indefinite symmetric part: certified
    sys_ = L.LCS(**good)
    with pytest.raises(ValueError, match=r"x must have shape \(2,\) and u \(1,\)"):
        L.step(sys_, np.zeros(3), np.zeros(1), 0.1)
    with pytest.raises(ValueError, match=r"controls must have shape \(T, 1\)"):
        L.rollout(sys_, np.zeros(2), np.zeros((4, 2)), 0.1)
    with pytest.raises(ValueError, match="finite and >= 0"):
        L.step(sys_, np.zeros(2), np.zeros(1), -0.1)
