"""Vmapped OCP solves (ipm.solve's batching rule): the batch tail (the slowest ⌈B/8⌉ solves finish as a smaller
batch), retries in the shared Riccati recursion, batched θ and warm starts, nested vmaps and a non-finite member
all give each solve what it gets alone."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pydojo  # noqa: F401  (x64)
from pydojo import envs
from pydojo.ocp import ipm
from pydojo.solver.results import RESULTS


def _starts(env, batch, key, spread):
    base = jnp.asarray(env.initial_states)[jnp.arange(batch) % len(env.initial_states)]
    return base + spread * jax.random.uniform(key, base.shape, minval=-1.0, maxval=1.0) * (jnp.abs(base) > 0)


def _assert_equal_to_single_solves(batch, single, xs, thetas=None, warms=None, atol=1e-9):
    for i in range(xs.shape[0]):
        args = (xs[i],) + (() if thetas is None else (jax.tree_util.tree_map(lambda t: t[i], thetas),))
        kwargs = {} if warms is None else {"warm": jax.tree_util.tree_map(lambda w: w[i], warms)}
        one = single(*args, **kwargs)
        assert int(one.result) == int(batch.result[i]), i
        assert int(one.stats.iterations) == int(batch.stats.iterations[i]), i
        assert int(one.stats.retries) == int(batch.stats.retries[i]), i
        np.testing.assert_allclose(batch.stats.regularization[i], one.stats.regularization, rtol=1e-12)
        np.testing.assert_allclose(batch.us[i], one.us, atol=atol)
        np.testing.assert_allclose(batch.xs[i], one.xs, atol=atol)


@pytest.mark.timeout(300)
def test_the_batch_tail_keeps_each_solves_iterates():
    """32 cartpole solves (H = 12) whose last 4 finish as a batch of 4: the same counts, statuses and solutions as
    the plain batch (tail_fraction = 1) and as one solve at a time."""
    env = envs.make("cartpole")
    ocp = env.diffop_ocp(12)
    theta = env.perturbed_theta(jax.random.PRNGKey(0), 0.2)
    X = jnp.asarray(env.initial_states)[jnp.arange(32) % 2] + 0.3 * jax.random.uniform(
        jax.random.PRNGKey(2), (32, 4), minval=-1.0, maxval=1.0)
    solve = lambda frac: jax.jit(jax.vmap(lambda x: ipm.solve(ocp, x, theta, ipm.IPMOptions(tol=1e-8, tail_fraction=frac))))
    tailed, plain = solve(0.125)(X), solve(1.0)(X)
    counts = np.sort(np.asarray(tailed.stats.iterations))[::-1]
    assert counts[4] < counts[0], "some solves must still iterate when the batch hands its last 4 to the tail"
    assert np.array_equal(np.asarray(tailed.stats.iterations), np.asarray(plain.stats.iterations))
    assert np.all(np.asarray(tailed.result) == RESULTS.successful) and np.all(np.asarray(plain.result) == RESULTS.successful)
    np.testing.assert_allclose(tailed.us, plain.us, atol=1e-10)
    single = jax.jit(lambda x: ipm.solve(ocp, x, theta, ipm.IPMOptions(tol=1e-8)))
    _assert_equal_to_single_solves(tailed, single, X, atol=1e-10)
    for bad in (0.0, 1.5, True, "half"):
        with pytest.raises(ValueError, match="tail_fraction"):
            ipm.IPMOptions(tail_fraction=bad)
    with pytest.raises(ValueError, match="reg_init <= reg_max < inf"):
        ipm.IPMOptions(reg_max=float("inf"))


@pytest.mark.timeout(400)
def test_retries_warm_starts_batched_theta_and_nested_vmaps_in_a_batch():
    """The quadrotor at H = 50 retries its factorization from a cold start (the inertia correction runs for the
    whole batch in one recursion): 16 solves, each equal to its single solve, retries and shifts included. Then a
    warm-started batch with a θ per solve, and the same as a vmap of a vmap (2 × 8)."""
    env = envs.make("quadrotor")
    ocp = env.diffop_ocp(50)
    theta = env.perturbed_theta(jax.random.PRNGKey(3), 0.2)
    opts = ipm.IPMOptions(tol=1e-8)
    X = _starts(env, 16, jax.random.PRNGKey(1), 0.2)
    cold = jax.jit(jax.vmap(lambda x: ipm.solve(ocp, x, theta, opts)))(X)
    assert np.all(np.asarray(cold.stats.retries) > 0), "the cold starts must exercise the inertia correction"
    single = jax.jit(lambda x, th, warm=None: ipm.solve(ocp, x, th, opts, warm))
    _assert_equal_to_single_solves(cold, lambda x: single(x, theta), X)
    thetas = jax.vmap(lambda k: env.perturbed_theta(k, 0.2))(jax.random.split(jax.random.PRNGKey(4), 16))
    X1 = cold.xs[:, 1]
    warm = jax.jit(jax.vmap(lambda x, th, w: ipm.solve(ocp, x, th, opts, w)))(X1, thetas, cold)
    assert np.all(np.asarray(warm.result) == RESULTS.successful)
    _assert_equal_to_single_solves(warm, single, X1, thetas, cold)
    split = lambda t: jax.tree_util.tree_map(lambda a: a.reshape((2, 8) + a.shape[1:]), t)
    nested = jax.jit(jax.vmap(jax.vmap(lambda x, th, w: ipm.solve(ocp, x, th, opts, w))))(split(X1), split(thetas), split(cold))
    np.testing.assert_allclose(nested.us.reshape(warm.us.shape), warm.us, atol=1e-9)
    assert np.array_equal(np.asarray(nested.stats.iterations).ravel(), np.asarray(warm.stats.iterations))


@pytest.mark.timeout(300)
def test_a_non_finite_member_stops_alone():
    """One solve of a batch of 16 gets a NaN mass: it ends `nonfinite`; the others are what they are without it."""
    env = envs.make("cartpole")
    ocp = env.diffop_ocp(12)
    theta = env.perturbed_theta(jax.random.PRNGKey(0), 0.2)
    X = _starts(env, 16, jax.random.PRNGKey(5), 0.3)
    thetas = jax.tree_util.tree_map(lambda t: jnp.broadcast_to(t, (16,) + t.shape), theta)
    bad = thetas.__class__(thetas.c, thetas.H, thetas.f.at[5, 0].set(jnp.nan))
    solve = jax.jit(jax.vmap(lambda x, th: ipm.solve(ocp, x, th, ipm.IPMOptions(tol=1e-8))))
    with_nan, clean = solve(X, bad), solve(X, thetas)
    assert int(with_nan.result[5]) == RESULTS.nonfinite
    others = np.arange(16) != 5
    assert np.all(np.asarray(with_nan.result)[others] == RESULTS.successful)
    assert np.array_equal(np.asarray(with_nan.stats.iterations)[others], np.asarray(clean.stats.iterations)[others])
    np.testing.assert_allclose(np.asarray(with_nan.us)[others], np.asarray(clean.us)[others], atol=1e-10)
