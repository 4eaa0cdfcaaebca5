"""The Schur-complement Newton path on problems that are not contact steps, and bad structure declarations.

A QP's KKT system (stationarity rows = primal, one group per inequality) against Clarabel; a problem
with groups that couple several entries and second-order cones, where the primal rows also involve
the slacks (primal_uses_slacks=True), against the dense path, batched and differentiated.
"""
import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.solver import MCP, BlockStructure, Cone, SolverOptions, solve
from pydojo.testing.references import clarabel_qp

SCHUR, DENSE = SolverOptions(linear_solver="schur"), SolverOptions(linear_solver="dense")


def _qp_residual(y, lam, s, data):
    P, c, G, h = data
    return jnp.concatenate([P @ y + c + G.T @ lam, s - (h - G @ y)])


def _qp(n, m, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n))
    return a @ a.T + 0.1 * np.eye(n), rng.normal(size=n), rng.normal(size=(m, n)), rng.uniform(0.1, 1, m)


@pytest.mark.timeout(240)
def test_qp_kkt_through_schur_matches_clarabel():
    for n, m in ((3, 5), (7, 11)):
        P, c, G, h = _qp(n, m, seed=n)
        x_ref, z_ref = clarabel_qp(P, c, G, h)
        structure = BlockStructure(groups=tuple((i,) for i in range(m)), primal_uses_slacks=False)
        prob = MCP(residual=_qp_residual, n_y=n, cone=Cone(n_orthant=m), linear=True, structure=structure)
        sol = solve(prob, tuple(map(jnp.asarray, (P, c, G, h))), 1e-14, options=SCHUR)
        np.testing.assert_allclose(sol.y, x_ref, atol=1e-7)
        np.testing.assert_allclose(sol.lam, z_ref, atol=1e-7)


def _coupled_residual(y, lam, s, data):
    """Primal rows H y + Aᵀλ + Cᵀs − b; group g's rows s_g − K_g λ_g + A_g y − d_g (K_g dense within the group; monotone, as a QP's s = h − Gy)."""
    H, A, C, K, b, d = data
    groups = ((0, 3, 4), (1, 5, 6, 7), (2,))
    cons = []
    for g, idx in enumerate(groups):
        idx = jnp.asarray(idx)
        cons.append((s[idx] - K[g][: len(idx), : len(idx)] @ lam[idx] + A[idx] @ y - d[idx], idx))
    rows = jnp.zeros(8)
    for r, idx in cons:
        rows = rows.at[idx].set(r)
    return jnp.concatenate([H @ y + A.T @ lam + C.T @ s - b, rows])


def _coupled_data(seed):
    rng = np.random.default_rng(seed)
    h = rng.normal(size=(4, 4))
    K = np.stack([np.eye(4) * 0.5 + 0.1 * (b := rng.normal(size=(4, 4))) @ b.T for _ in range(3)])  # monotone groups
    return tuple(jnp.asarray(x) for x in (h @ h.T + np.eye(4), 0.3 * rng.normal(size=(8, 4)),
                                          0.1 * rng.normal(size=(8, 4)), K, rng.normal(size=4), rng.normal(size=8)))


# entries: 0..2 orthant; SOC (3, 4) and SOC (5, 6, 7); groups mix orthant and cone entries
COUPLED_CONE = Cone(n_orthant=3, soc=(2, 3))
COUPLED_STRUCTURE = BlockStructure(groups=((0, 3, 4), (1, 5, 6, 7), (2,)), primal_uses_slacks=True)


@pytest.mark.timeout(300)
def test_coupled_groups_with_cones_equal_dense_batched_and_in_gradients():
    prob = MCP(residual=_coupled_residual, n_y=4, cone=COUPLED_CONE, linear=True, structure=COUPLED_STRUCTURE)
    datas = [_coupled_data(seed) for seed in range(6)]
    batch = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *datas)
    for mu in (1e-2, 1e-8):
        run = {name: jax.jit(jax.vmap(lambda d, o=opts: solve(prob, d, mu, options=o, throw=False)))(batch)
               for name, opts in (("schur", SCHUR), ("dense", DENSE))}
        for name in run:
            assert np.all(np.asarray(run[name].result) == 0), (name, mu, np.asarray(run[name].result))
        for part in ("y", "lam", "s"):
            np.testing.assert_allclose(getattr(run["schur"], part), getattr(run["dense"], part), rtol=1e-8, atol=1e-10)

    def y_of(b, opts):
        d = datas[0][:4] + (b,) + datas[0][5:]
        return solve(prob, d, 1e-3, options=opts).y

    jac = {name: jax.jacrev(y_of)(datas[0][4], opts) for name, opts in (("schur", SCHUR), ("dense", DENSE))}
    np.testing.assert_allclose(jac["schur"], jac["dense"], rtol=1e-8, atol=1e-10)
    eps = 1e-6
    for k in range(4):
        e = jnp.zeros(4).at[k].set(eps)
        fd = (y_of(datas[0][4] + e, SCHUR) - y_of(datas[0][4] - e, SCHUR)) / (2 * eps)
        np.testing.assert_allclose(jac["schur"][:, k], fd, rtol=1e-5, atol=1e-7)


@pytest.mark.timeout(60)
def test_bad_structure_declarations_are_refused():
    with pytest.raises(ValueError, match="partition"):
        BlockStructure(groups=((0, 1), (1, 2)))
    with pytest.raises(ValueError, match="at least one entry"):
        BlockStructure(groups=((0,), ()))
    with pytest.raises(ValueError, match="covers 3 entries but the cone has 8"):
        MCP(residual=_coupled_residual, n_y=4, cone=COUPLED_CONE, structure=BlockStructure(groups=((0,), (1,), (2,))))
    split = BlockStructure(groups=((0, 3), (4, 1, 5, 6, 7), (2,)))  # the SOC pair (3, 4) is cut in two
    with pytest.raises(ValueError, match="pair 3 is split"):
        MCP(residual=_coupled_residual, n_y=4, cone=COUPLED_CONE, structure=split)
    with pytest.raises(ValueError, match="linear_solver must be one of"):
        SolverOptions(linear_solver="cholesky")
    plain = MCP(residual=_coupled_residual, n_y=4, cone=COUPLED_CONE)
    with pytest.raises(ValueError, match="needs a problem with a BlockStructure"):
        solve(plain, _coupled_data(0), 1e-2, options=SCHUR)
    # "auto" on a problem without structure is the dense path, and still solves
    assert int(solve(plain, _coupled_data(0), 1e-2, options=dataclasses.replace(SCHUR, linear_solver="auto"),
                     throw=False).result) == 0
