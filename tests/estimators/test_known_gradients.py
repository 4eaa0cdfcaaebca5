"""Each estimator against a gradient we know independently, within its statistical error.

* linear-quadratic (no contact): the expected return of a linear Gaussian policy in closed form
  (mean/covariance propagation) → exact gradient;
* a 1-D softened LCS (a point mass over the ground, one step): the expected return over the policy
  noise by a fine trapezoid rule in numpy, with the contact force from the closed-form root of
  λ(z + Fλ) = μ (or, for randomized smoothing, the quadrature of E_w[max(−(z + w)/F, 0)]), and
  central finite differences — nothing of the solver or the estimators is used.
Statistical error: K independent estimates; the mean must be within 4 standard errors (+ a small
absolute slack for the finite-sample bias of the randomized average).
"""
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pydojo  # noqa: F401
from pydojo.envs.toy import LCSEnv, LinearQuadraticEnv, bouncing_ball_lcs
from pydojo.estimators import make_estimator
from pydojo.policies import LinearPolicy
from pydojo.smoothing import ConstantMu

K = 16


def _estimates(estimator, policy, env, k=K):
    starts = jax.vmap(env.reset)(jax.random.split(jax.random.PRNGKey(0), estimator.batch))
    fn = eqx.filter_jit(lambda key: estimator.estimate(policy, env, starts, key)[0])
    grads = [fn(jax.random.PRNGKey(100 + i)) for i in range(k)]
    flat = np.stack([np.concatenate([np.ravel(g.weight), np.ravel(g.bias)]) for g in grads])
    return flat.mean(axis=0), flat.std(axis=0, ddof=1) / np.sqrt(k)


@pytest.fixture(scope="module")
def lq():
    env = LinearQuadraticEnv(x0=jnp.array([1.0, -0.5]), Q=jnp.diag(jnp.array([1.0, 0.5])), R=0.1 * jnp.eye(1),
                             A=jnp.array([[1.0, 0.1], [0.0, 1.0]]), B=jnp.array([[0.0], [0.1]]))
    policy = LinearPolicy(2, 1, noise_std=0.5, init_scale=0.3, key=jax.random.PRNGKey(1), bias=jnp.array([0.2]))
    exact = jax.grad(lambda p: env.expected_return(p, horizon=3, discount=0.9))(policy)
    return env, policy, np.concatenate([np.ravel(exact.weight), np.ravel(exact.bias)])


@pytest.mark.timeout(200)
@pytest.mark.parametrize("kind,batch", [("fopg", 64), ("lr", 256)])
def test_unbiased_estimators_on_linear_quadratic(lq, kind, batch):
    env, policy, exact = lq
    mean, se = _estimates(make_estimator(kind, horizon=3, discount=0.9, batch=batch), policy, env)
    assert np.all(np.abs(mean - exact) <= 4 * se + 1e-9), (kind, mean, exact, se)
    assert np.linalg.norm(exact) > 10 * np.linalg.norm(se)  # the check has power: error bars ≪ the gradient


@pytest.mark.timeout(200)
def test_ars_direction_aligns_with_deterministic_gradient(lq):
    env, policy, _ = lq
    deterministic = eqx.tree_at(lambda p: p.weight, LinearPolicy(2, 1, noise_std=1e-12, bias=policy.bias), policy.weight)
    exact = jax.grad(lambda p: env.expected_return(p, horizon=3, discount=0.9))(deterministic)
    exact = np.concatenate([np.ravel(exact.weight), np.ravel(exact.bias)])
    ars = make_estimator("ars", horizon=3, discount=0.9, batch=64, top=64, step_std=0.01)
    mean, _ = _estimates(ars, policy, env, k=4)
    cosine = mean @ exact / (np.linalg.norm(mean) * np.linalg.norm(exact))
    assert cosine > 0.97, cosine


# ---- 1-D softened LCS: point mass over the ground, one step -------------------------------------
H_STEP, X0, SIGMA, BIAS = 0.1, np.array([0.05, -0.6]), 1.5, 10.0  # gap z ≈ 0 over the noise: contact uncertain
Q = np.diag([0.0, 1.0])


def _force_exact(z, F, mu):
    return (-z + np.sqrt(z * z + 4 * F * mu)) / (2 * F)


def _force_randomized(z, F, sigma_w):
    w = np.linspace(-8, 8, 4001) * sigma_w
    pdf = np.exp(-0.5 * (w / sigma_w) ** 2) / (np.sqrt(2 * np.pi) * sigma_w)
    return np.trapezoid(np.maximum(-(z[:, None] + w) / F, 0.0) * pdf, w, axis=1)


def _expected_return(lcs, bias, force):
    A, B, C, c, D, E, F, d = (np.asarray(m) for m in (lcs.A, lcs.B, lcs.C, lcs.c, lcs.D, lcs.E, lcs.F, lcs.d))
    s = np.linspace(-8, 8, 8001)
    u = bias + SIGMA * s
    z = (D @ X0)[0] + E[0, 0] * u + d[0]
    lam = force(z, F[0, 0])
    xn = (A @ X0)[:, None] + B[:, :1] * u + C[:, :1] * lam + c[:, None]
    r = -(np.einsum("it,ij,jt->t", xn, Q, xn))
    return np.trapezoid(r * np.exp(-0.5 * s * s) / np.sqrt(2 * np.pi), s)


def _lcs_setup(schedule):
    lcs = bouncing_ball_lcs(timestep=H_STEP)
    env = LCSEnv(x0=jnp.asarray(X0), Q=jnp.asarray(Q), R=jnp.zeros((1, 1)), lcs=lcs, schedule=schedule)
    policy = LinearPolicy(2, 1, noise_std=SIGMA, bias=jnp.array([BIAS]))
    return lcs, env, policy


@pytest.mark.timeout(250)
def test_fopg_on_softened_lcs_matches_quadrature():
    mu = 1e-3
    lcs, env, policy = _lcs_setup(ConstantMu(mu))
    force = lambda z, F: _force_exact(z, F, mu)
    eps = 1e-4
    ref_b = (_expected_return(lcs, BIAS + eps, force) - _expected_return(lcs, BIAS - eps, force)) / (2 * eps)
    mean, se = _estimates(make_estimator("fopg", horizon=1, batch=128), policy, env)
    assert abs(mean[-1] - ref_b) <= 4 * se[-1] + 1e-6, (mean[-1], ref_b, se[-1])
    assert abs(ref_b) > 10 * se[-1]
    # dJ/dW = E[dJ/du · x0ᵀ] for a fixed start: the weight gradient is the bias gradient times x0
    np.testing.assert_allclose(mean[:2], mean[-1] * X0, rtol=1e-8, atol=1e-10)


@pytest.mark.timeout(250)
def test_randomized_smoothing_on_softened_lcs_matches_quadrature():
    sigma_w = 0.02
    lcs, env, policy = _lcs_setup(ConstantMu(1e-10))
    force = lambda z, F: _force_randomized(z, F, sigma_w)
    eps = 1e-4
    ref_b = (_expected_return(lcs, BIAS + eps, force) - _expected_return(lcs, BIAS - eps, force)) / (2 * eps)
    rs = make_estimator("rs", horizon=1, batch=64, sigma=sigma_w, samples=64)
    mean, se = _estimates(rs, policy, env, k=8)
    # the per-step average of 64 samples enters the quadratic reward: its O(1/samples) bias is the slack
    assert abs(mean[-1] - ref_b) <= 4 * se[-1] + 0.02 * abs(ref_b), (mean[-1], ref_b, se[-1])


def test_bad_estimator_config_is_rejected():
    with pytest.raises(ValueError, match="unknown estimator 'nope'; valid estimators: ars, fopg, lr, rs"):
        make_estimator("nope")
    with pytest.raises(ValueError, match="horizon H must be >= 1, got 0"):
        make_estimator("fopg", horizon=0)
    with pytest.raises(ValueError, match="bad options"):
        make_estimator("fopg", sigma=1.0)
    with pytest.raises(ValueError, match="top"):
        make_estimator("ars", batch=4, top=8)
    with pytest.raises(ValueError, match="discount"):
        make_estimator("lr", discount=0.0)
