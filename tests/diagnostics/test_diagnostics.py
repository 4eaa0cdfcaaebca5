"""Diagnostics: variance/bias statistics against numpy on known samples, the truncated first-order
gradient against the estimator, and step Jacobians against central finite differences and Thm. 4.5."""
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pydojo  # noqa: F401
from pydojo import lcs as lcs_lib
from pydojo.diagnostics import flatten, gradient_samples, step_jacobian, summarize, truncated_fopg
from pydojo.envs.toy import LCSEnv, LinearQuadraticEnv, bouncing_ball_lcs
from pydojo.estimators import make_estimator
from pydojo.policies import LinearPolicy, trainable_filter
from pydojo.smoothing import ConstantMu


def test_summarize_matches_numpy_on_gaussian_samples():
    rng = np.random.default_rng(0)
    scale = np.array([0.5, 2.0, 1.0])
    samples = rng.normal(size=(20000, 3)) * scale + np.array([1.0, 0.0, -1.0])
    out = summarize(samples, reference=np.zeros(3))
    np.testing.assert_allclose(out["max_variance"], 4.0, rtol=0.03)
    np.testing.assert_allclose(out["total_variance"], 0.25 + 4.0 + 1.0, rtol=0.03)
    np.testing.assert_allclose(out["bias"], np.sqrt(2.0), rtol=0.02)
    with pytest.raises(ValueError, match="at least 2 gradient samples"):
        gradient_samples(lambda k: jnp.zeros(1), jax.random.PRNGKey(0), 1)


@pytest.fixture(scope="module")
def lq_setup():
    env = LinearQuadraticEnv(x0=jnp.array([1.0, -0.5]), Q=jnp.eye(2), R=0.1 * jnp.eye(1),
                             A=jnp.array([[1.0, 0.1], [0.0, 1.0]]), B=jnp.array([[0.0], [0.1]]))
    policy = LinearPolicy(2, 1, noise_std=0.3, init_scale=0.3, key=jax.random.PRNGKey(2))
    starts = jax.vmap(env.reset)(jax.random.split(jax.random.PRNGKey(0), 4))
    return env, policy, starts


@pytest.mark.timeout(120)
def test_truncated_gradient_equals_the_estimator_at_every_horizon(lq_setup):
    env, policy, starts = lq_setup
    key = jax.random.PRNGKey(5)
    trunc = eqx.filter_jit(lambda h: truncated_fopg(policy, env, starts, key, h, 6))
    for h in (1, 3, 6):
        # same key → same noise for the first h steps (noise is drawn for the full unroll then masked)
        est = make_estimator("fopg", horizon=6, discount=1.0, batch=4)
        full = flatten(est.estimate(policy, env, starts, key)[0])
        if h == 6:
            np.testing.assert_allclose(flatten(trunc(jnp.asarray(h))), full, rtol=1e-10)
        g = flatten(trunc(jnp.asarray(h)))
        assert np.all(np.isfinite(g)) and np.linalg.norm(g) > 0


@pytest.mark.timeout(120)
def test_fopg_bias_on_linear_quadratic_is_within_its_standard_error(lq_setup):
    env, policy, starts = lq_setup
    exact = flatten(eqx.filter(jax.grad(lambda p: env.expected_return(p, horizon=3))(policy), trainable_filter(policy)))
    est = make_estimator("fopg", horizon=3, discount=1.0, batch=4)
    fn = eqx.filter_jit(lambda k: est.estimate(policy, env, starts, k)[0])
    out = summarize(gradient_samples(fn, jax.random.PRNGKey(1), 64), reference=exact)
    assert out["bias"] < 4 * out["bias_standard_error"], out


@pytest.mark.timeout(150)
@pytest.mark.parametrize("mu", [1e-2, 1e-5])
def test_step_jacobian_matches_finite_differences_and_thm_4_5(mu):
    lcs = bouncing_ball_lcs(timestep=0.1)
    env = LCSEnv(x0=jnp.array([0.05, -0.4]), Q=jnp.eye(2), R=jnp.zeros((1, 1)), lcs=lcs, schedule=ConstantMu(mu))
    x, u = jnp.array([0.05, -0.4]), jnp.array([0.3])  # gap after the step ≈ 0: at the contact switch
    jac = np.asarray(step_jacobian(env, x, u))
    step = lambda xx: np.asarray(lcs_lib.step(lcs, jnp.asarray(xx), u, mu))
    eps = 1e-6
    fd = np.stack([(step(x + eps * e) - step(x - eps * e)) / (2 * eps) for e in np.eye(2)], axis=1)
    np.testing.assert_allclose(jac, fd, rtol=1e-4, atol=1e-6)
    z_sup = float(jnp.abs(lcs.D @ x + lcs.E @ u + lcs.d)[0]) + 1.0
    assert np.linalg.norm(jac, 2) <= lcs_lib.stiffness_bound(lcs, mu, z_sup)
