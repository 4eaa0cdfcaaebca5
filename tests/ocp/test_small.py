"""pydojo.ocp.small's fused products equal numpy's matmul/einsum, including problems without constraints
(zero rows) and under vmap (the batched solves)."""
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
    a, b, v = rng.normal(size=(6, 4)), rng.normal(size=(4, 3)), rng.normal(size=4)
    np.testing.assert_allclose(small.mm(jnp.asarray(a), jnp.asarray(b)), a @ b, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(small.mm(jnp.asarray(a), jnp.asarray(v)), a @ v, rtol=1e-13, atol=1e-13)
    c = rng.normal(size=(4, 6))
    np.testing.assert_allclose(small.tmm(jnp.asarray(c), jnp.asarray(b)), c.T @ b, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(small.tmm(jnp.asarray(c), jnp.asarray(v)), c.T @ v, rtol=1e-13, atol=1e-13)
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
    a, b = rng.normal(size=(8, 5, 5)), rng.normal(size=(8, 5, 2))
    np.testing.assert_allclose(jax.vmap(small.mm)(jnp.asarray(a), jnp.asarray(b)), a @ b, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(jax.vmap(small.tmm)(jnp.asarray(a), jnp.asarray(b)), np.swapaxes(a, 1, 2) @ b,
                               rtol=1e-13, atol=1e-13)
