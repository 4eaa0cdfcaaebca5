"""The Riccati recursion of the OCP interior point against the dense KKT system of the same LQ problem
(numpy's LU), for control sizes on both sides of the unrolled factorization (m ≤ UNROLL_MAX) and the
LAPACK one, and its inertia test on a stage whose reduced Hessian is indefinite."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pydojo  # noqa: F401  (x64)
from pydojo.ocp import riccati


def _random_lq(rng, H, n, m, indefinite_stage=None):
    W = []
    for i in range(H):
        R = rng.normal(size=(n + m, n + m))
        Wi = R @ R.T / (n + m) + 0.1 * np.eye(n + m)
        if i == indefinite_stage:
            Wi[n:, n:] -= 50.0 * np.eye(m)
        W.append(Wi)
    R = rng.normal(size=(n, n))
    return dict(W=np.array(W), q=rng.normal(size=(H, n + m)), W_H=R @ R.T / n + 0.1 * np.eye(n),
                q_H=rng.normal(size=n), A=np.eye(n) + 0.3 * rng.normal(size=(H, n, n)),
                B=rng.normal(size=(H, n, m)), d=rng.normal(size=(H + 1, n)))


def _dense(lq):
    """Stationarity W z + q + Eᵀλ = 0 and E z + e = 0, z = (dx_0..dx_H, du_0..du_{H-1}), with the rows
    e_0 = d_0 − dx_0 and e_{i+1} = A_i dx_i + B_i du_i + d_{i+1} − dx_{i+1} (ipm.py's sign convention)."""
    W, q, A, B, d = lq["W"], lq["q"], lq["A"], lq["B"], lq["d"]
    H, n, m = B.shape
    nz, nx = (H + 1) * n + H * m, (H + 1) * n
    Wz, qz, E = np.zeros((nz, nz)), np.zeros(nz), np.zeros((nx, nz))
    for i in range(H):
        idx = np.r_[i * n:(i + 1) * n, nx + i * m:nx + (i + 1) * m]
        Wz[np.ix_(idx, idx)] += W[i]
        qz[idx] += q[i]
        E[(i + 1) * n:(i + 2) * n, i * n:(i + 1) * n] = A[i]
        E[(i + 1) * n:(i + 2) * n, nx + i * m:nx + (i + 1) * m] = B[i]
        E[(i + 1) * n:(i + 2) * n, (i + 1) * n:(i + 2) * n] = -np.eye(n)
    Wz[H * n:nx, H * n:nx] += lq["W_H"]
    qz[H * n:nx] += lq["q_H"]
    E[:n, :n] = -np.eye(n)
    K = np.block([[Wz, E.T], [E, np.zeros((nx, nx))]])
    sol = np.linalg.solve(K, -np.concatenate([qz, d.ravel()]))
    return sol[:nx].reshape(H + 1, n), sol[nx:nz].reshape(H, m), sol[nz:].reshape(H + 1, n)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("m", [1, 4, riccati.UNROLL_MAX + 1])
def test_riccati_equals_the_dense_kkt_solve(m):
    rng = np.random.default_rng(m)
    lq = _random_lq(rng, H=7, n=5, m=m)
    dx, du, lam, ok = jax.jit(riccati.solve_lq)(**lq)
    dx_ref, du_ref, lam_ref = _dense(lq)
    assert bool(ok)
    scale = max(1.0, np.max(np.abs(lam_ref)))
    np.testing.assert_allclose(dx, dx_ref, atol=1e-10 * scale)
    np.testing.assert_allclose(du, du_ref, atol=1e-10 * scale)
    np.testing.assert_allclose(lam, lam_ref, atol=1e-10 * scale)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("m", [1, 3, riccati.UNROLL_MAX + 1])
def test_indefinite_stage_fails_the_inertia_test(m):
    lq = _random_lq(np.random.default_rng(10 + m), H=6, n=4, m=m, indefinite_stage=2)
    assert not bool(jax.jit(riccati.solve_lq)(**lq)[3])


@pytest.mark.timeout(120)
def test_unrolled_factorization_equals_lapack_under_vmap():
    rng = np.random.default_rng(0)
    R = rng.normal(size=(16, 4, 4))
    S = jnp.asarray(R @ np.swapaxes(R, 1, 2) + 0.01 * np.eye(4))
    rhs = jnp.asarray(rng.normal(size=(16, 4, 6)))
    x, ok = jax.jit(jax.vmap(riccati._cholesky_solve_unrolled))(S, rhs)
    assert bool(jnp.all(ok))
    np.testing.assert_allclose(x, np.linalg.solve(np.asarray(S), np.asarray(rhs)), rtol=1e-9, atol=1e-9)
    S_bad = S.at[3, 2, 2].set(-1.0)  # a negative diagonal entry: not positive definite
    ok_bad = jax.jit(jax.vmap(riccati._cholesky_solve_unrolled))(S_bad, rhs)[1]
    assert not bool(ok_bad[3]) and bool(jnp.all(jnp.delete(ok_bad, 3)))
