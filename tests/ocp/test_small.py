"""pydojo.ocp.small's fused products equal numpy's matmul/einsum, including problems without constraints
(zero rows), under vmap (the batched solves), and batch-last (the lanes of the Riccati recursion)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pydojo  # noqa: F401  (x64)
from pydojo.ocp import small


@pytest.mark.timeout(60)
@pytest.mark.parametrize("g", [0, 1, 5])
def test_products_equal_einsum(g):
    rng = np.random.default_rng(g)
    G, w, x = rng.normal(size=(7, g, 5)), rng.random((7, g)), rng.normal(size=(7, 5))
    np.testing.assert_allclose(small.weighted_gram(jnp.asarray(G), jnp.asarray(w)),
                               np.einsum("hgi,hg,hgj->hij", G, w, G), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(small.rows_dot(jnp.asarray(G), jnp.asarray(x)), np.einsum("hgi,hi->hg", G, x), atol=1e-13)
    np.testing.assert_allclose(small.cols_dot(jnp.asarray(G), jnp.asarray(w)), np.einsum("hgi,hg->hi", G, w), atol=1e-13)
    X, D, Y = rng.normal(size=(7, g, 5)), rng.normal(size=(7, 5, 4)), rng.normal(size=(7, 3, 4))
    np.testing.assert_allclose(small.sandwich(jnp.asarray(X), jnp.asarray(D), jnp.asarray(Y)),
                               np.einsum("kpi,kij,kqj->kpq", X, D, Y), rtol=1e-12, atol=1e-12)


@pytest.mark.timeout(60)
def test_products_under_vmap():
    rng = np.random.default_rng(1)
    G, w = rng.normal(size=(8, 3, 5)), rng.random((8, 3))
    np.testing.assert_allclose(jax.vmap(small.weighted_gram)(jnp.asarray(G), jnp.asarray(w)),
                               np.einsum("bgi,bg,bgj->bij", G, w, G), rtol=1e-13, atol=1e-13)


@pytest.mark.timeout(60)
def test_lane_products_equal_einsum():
    """Every array carries a trailing axis of L problems (lanes)."""
    rng = np.random.default_rng(2)
    L = 7
    a, b, c, v = rng.normal(size=(6, 4, L)), rng.normal(size=(4, 3, L)), rng.normal(size=(4, 6, L)), rng.normal(size=(4, L))
    d = rng.normal(size=(3, 4, L))
    J = jnp.asarray
    np.testing.assert_allclose(small.lane_mm(J(a), J(b)), np.einsum("ikl,kjl->ijl", a, b), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(small.lane_mm(J(a), J(v)), np.einsum("ikl,kl->il", a, v), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(small.lane_tmm(J(c), J(b)), np.einsum("kil,kjl->ijl", c, b), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(small.lane_tmm(J(c), J(v)), np.einsum("kil,kl->il", c, v), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(small.lane_transpose(J(a)), np.swapaxes(a, 0, 1))
    assert small.lane_mm(J(a), J(b)).shape == (6, 3, L) and small.lane_tmm(J(c), J(d.swapaxes(0, 1))).shape == (6, 3, L)
