"""Certificates that a failed solve's data admit no solution (checked on the host, for concrete data).

An LCP s = Fλ + q, λ ≥ 0, s ≥ 0 has no feasible point, let alone a complementary one, exactly when
(Farkas) some y ≥ 0 has Fᵀy ≤ 0 and qᵀy < 0: then yᵀs = (Fᵀy)ᵀλ + qᵀy < 0 for every λ ≥ 0. The
certificate is found by an LP (SciPy's HiGHS) and verified before it is believed.
"""
from __future__ import annotations

import numpy as np


def lcp_infeasibility_certificate(F, q, tol: float = 1e-9) -> np.ndarray | None:
    """y ≥ 0 with Fᵀy ≤ 0 and qᵀy = −1 if one exists (the LCP is infeasible), else None."""
    from scipy.optimize import linprog

    F, q = np.asarray(F, np.float64), np.asarray(q, np.float64)
    n = q.shape[0]
    if not (np.all(np.isfinite(F)) and np.all(np.isfinite(q))):
        return None
    res = linprog(np.zeros(n), A_ub=F.T, b_ub=np.zeros(n), A_eq=q[None, :], b_eq=[-1.0], bounds=[(0, None)] * n,
                  method="highs")
    if res.status != 0:
        return None
    y = np.maximum(res.x, 0.0)
    scale = 1.0 + np.abs(F).max(initial=0.0) * np.abs(y).sum()
    if q @ y < -0.5 and np.all(F.T @ y <= tol * scale):
        return y
    return None
