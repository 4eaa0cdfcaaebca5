"""Independent solvers used as references in tests (none of them written by us).

- Lemke's complementary pivoting from PyPI ``lemkelcp`` 0.1. That release assigns into
  ``range`` objects (Python 2 code); we convert its two index ranges to lists after
  construction and otherwise run its algorithm untouched.
- Clarabel (PyPI ``clarabel``), an interior-point conic solver, for convex QPs.
- The analytic projection onto the second-order cone.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def lemke(F, q, max_iter: int = 10000) -> np.ndarray:
    from lemkelcp.lemkelcp import lemketableau

    tableau = lemketableau(np.asarray(F, float), np.asarray(q, float), max_iter)
    tableau.wPos, tableau.zPos = list(tableau.wPos), list(tableau.zPos)
    z, code, msg = tableau.lemkeAlgorithm()
    if code != 0:
        raise RuntimeError(f"lemkelcp failed: {msg}")
    return np.asarray(z, float)


def clarabel_qp(P, c, G, h):
    """min ½xᵀPx + cᵀx s.t. Gx ≤ h. Returns (x, multipliers of Gx ≤ h)."""
    import clarabel

    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = 1e-11
    cones = [clarabel.NonnegativeConeT(G.shape[0])]
    solver = clarabel.DefaultSolver(sp.csc_matrix(np.triu(P)), np.asarray(c, float), sp.csc_matrix(G),
                                    np.asarray(h, float), cones, settings)
    sol = solver.solve()
    if "Solved" not in str(sol.status):
        raise RuntimeError(f"clarabel failed: {sol.status}")
    return np.asarray(sol.x), np.asarray(sol.z)


def project_soc(c) -> np.ndarray:
    """Euclidean projection of c = (c₀, c₁) onto {x₀ ≥ ‖x₁‖} (closed form)."""
    c = np.asarray(c, float)
    t, v = c[0], c[1:]
    nv = np.linalg.norm(v)
    if nv <= t:
        return c.copy()
    if nv <= -t:
        return np.zeros_like(c)
    a = 0.5 * (t + nv)
    return np.concatenate([[a], a * v / nv])


def random_p_matrix(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    """Random P-matrices: 'symmetric' (SPD), 'nonsymmetric' (PD symmetric part plus a skew part),
    or 'triangular' (positive diagonal with large off-diagonal terms: a P-matrix whose
    symmetric part is usually indefinite)."""
    if kind == "symmetric":
        a = rng.normal(size=(n, n))
        return a @ a.T / n + 0.2 * np.eye(n)
    if kind == "nonsymmetric":
        a, b = rng.normal(size=(n, n)), rng.normal(size=(n, n))
        return a @ a.T / n + 0.2 * np.eye(n) + (b - b.T)
    if kind == "triangular":
        low = np.tril(rng.normal(scale=2.0, size=(n, n)), -1)
        return low + np.diag(rng.uniform(0.5, 2.0, size=n))
    raise ValueError(kind)


def mujoco_forward_with_energy(model, q, v):
    """MuJoCo's ``MjData`` after ``mj_forward`` at (q, v) with its energy computed (``data.energy``: potential,
    kinetic), on a copy of ``model`` with mjENBL_ENERGY set (MJX rejects the flag, so the engine's model has
    it off)."""
    import copy

    import mujoco

    model = copy.copy(model)
    model.opt.enableflags |= mujoco.mjtEnableBit.mjENBL_ENERGY
    data = mujoco.MjData(model)
    data.qpos[:], data.qvel[:] = q, v
    mujoco.mj_forward(model, data)
    return data
