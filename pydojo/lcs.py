"""Softened linear complementarity systems (the barrier-smoothing paper's Definition 3.1, eq. 3.1):

    x' = A x + B u + C λ + c,   λ ∘ (D x + E u + F λ + d) = μ·1,   λ ≥ 0,  D x + E u + F λ + d ≥ 0.

μ is a number or a schedule (``pydojo.smoothing``), evaluated on the offset z = D x + E u + d
with compliance diag(F). F must be a P-matrix (Assumption 3.2) for λ to exist and be unique.
"""
from __future__ import annotations

import itertools
from typing import Union

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.smoothing import AbstractSmoothing, ContactState
from pydojo.solver import SolverOptions, solve_lcp

MAX_ENUMERATED_P_CHECK = 14  # 2^14 principal minors


def check_p_matrix(F, *, name: str = "F") -> None:
    """Raise ``ValueError`` unless F is a P-matrix (all principal minors > 0).

    A positive-definite symmetric part is a sufficient certificate; otherwise every
    principal minor is enumerated up to n = 14, beyond which it cannot be certified.
    """
    F = np.asarray(F, dtype=float)
    if F.ndim != 2 or F.shape[0] != F.shape[1]:
        raise ValueError(f"{name} must be square, got shape {F.shape}")
    if not np.all(np.isfinite(F)):
        raise ValueError(f"{name} contains NaN or Inf")
    n = F.shape[0]
    if np.min(np.linalg.eigvalsh(0.5 * (F + F.T))) > 0:
        return
    if n > MAX_ENUMERATED_P_CHECK:
        raise ValueError(
            f"{name} ({n}x{n}) has an indefinite symmetric part and is too large to certify as a P-matrix "
            f"by enumeration (n <= {MAX_ENUMERATED_P_CHECK}); pass check_p_matrix=False to skip the check"
        )
    for k in range(1, n + 1):
        for idx in itertools.combinations(range(n), k):
            minor = np.linalg.det(F[np.ix_(idx, idx)])
            if minor <= 0:
                raise ValueError(
                    f"{name} is not a P-matrix: the principal minor on rows/cols {list(idx)} is {minor:.3g} <= 0, "
                    "so the complementarity problem may have no or several solutions (Assumption 3.2)"
                )


class LCS(eqx.Module):
    """The matrices of a (softened) LCS; shapes are checked on construction."""

    A: jax.Array
    B: jax.Array
    C: jax.Array
    c: jax.Array
    D: jax.Array
    E: jax.Array
    F: jax.Array
    d: jax.Array

    def __init__(self, A, B, C, c, D, E, F, d, *, check_p_matrix: bool = True):
        arrs = [jnp.asarray(m, jnp.float64) for m in (A, B, C, c, D, E, F, d)]
        self.A, self.B, self.C, self.c, self.D, self.E, self.F, self.d = arrs
        nx, nu, nl = self.A.shape[0], self.B.shape[1] if self.B.ndim == 2 else -1, self.F.shape[0]
        expected = dict(A=(nx, nx), B=(nx, nu), C=(nx, nl), c=(nx,), D=(nl, nx), E=(nl, nu), F=(nl, nl), d=(nl,))
        for key, shape in expected.items():
            if getattr(self, key).shape != shape:
                raise ValueError(f"LCS: {key} must have shape {shape} (d_x={nx}, d_u={nu}, d_lambda={nl}), "
                                 f"got {getattr(self, key).shape}")
        if check_p_matrix:
            _check_p_matrix(self.F, name="LCS.F")

    @property
    def sizes(self) -> tuple[int, int, int]:
        return self.A.shape[0], self.B.shape[1], self.F.shape[0]


_check_p_matrix = check_p_matrix
Mu = Union[float, jax.Array, AbstractSmoothing]


def force(lcs: LCS, x, u, mu: Mu, *, options: SolverOptions = SolverOptions(), throw: bool = True):
    """λ = S_μ(D x + E u + d): the contact force of one step."""
    x, u = _check_xu(lcs, x, u)
    z = lcs.D @ x + lcs.E @ u + lcs.d
    mu_value = mu.mu(ContactState.from_offset(z, jnp.diag(lcs.F))) if isinstance(mu, AbstractSmoothing) else mu
    return solve_lcp(lcs.F, z, mu_value, options=options, throw=throw).lam


def step(lcs: LCS, x, u, mu: Mu, *, options: SolverOptions = SolverOptions(), throw: bool = True):
    """x' = f_μ(x, u) = A x + B u + C λ + c."""
    lam = force(lcs, x, u, mu, options=options, throw=throw)
    return lcs.A @ x + lcs.B @ u + lcs.C @ lam + lcs.c


def rollout(lcs: LCS, x0, us, mu: Mu, *, options: SolverOptions = SolverOptions()):
    """States x₁..x_T under controls ``us`` (T, d_u)."""
    us = jnp.asarray(us, jnp.float64)
    if us.ndim != 2 or us.shape[1] != lcs.sizes[1]:
        raise ValueError(f"rollout: controls must have shape (T, {lcs.sizes[1]}), got {us.shape}")

    def body(x, u):
        nxt = step(lcs, x, u, mu, options=options)
        return nxt, nxt

    return jax.lax.scan(body, jnp.asarray(x0, jnp.float64), us)[1]


def jacobians(lcs: LCS, x, u, mu: Mu, *, options: SolverOptions = SolverOptions()):
    """(∂x'/∂x, ∂x'/∂u) of the softened LCS at (x, u), by implicit differentiation."""
    return jax.jacfwd(lambda a, b: step(lcs, a, b, mu, options=options), argnums=(0, 1))(
        jnp.asarray(x, jnp.float64), jnp.asarray(u, jnp.float64)
    )


def stiffness_bound(lcs: LCS, mu: float, offset_sup: float) -> float:
    """Thm. 4.5's Lipschitz bound of f_μ, with l(μ) at its stated lower bound.

    ε = e²/(2‖F‖²_F) with e = sup‖Dx + Eu + d‖₂ (``offset_sup``);
    l(μ) = ε/μ + 1/‖F‖_F + ε √(1/μ² + 2/(ε μ ‖F‖_F));
    L ≤ (‖A‖_F + ‖B‖_F) + d_λ² ‖C‖_F (‖D‖_F + ‖E‖_F) l(μ).
    """
    fro = lambda m: float(np.linalg.norm(np.asarray(m)))
    nF, nl = fro(lcs.F), lcs.sizes[2]
    eps = offset_sup**2 / (2 * nF**2)
    l_mu = eps / mu + 1 / nF + eps * np.sqrt(1 / mu**2 + 2 / (eps * mu * nF))
    return fro(lcs.A) + fro(lcs.B) + nl**2 * fro(lcs.C) * (fro(lcs.D) + fro(lcs.E)) * l_mu


def _check_xu(lcs: LCS, x, u):
    nx, nu, _ = lcs.sizes
    x, u = jnp.asarray(x, jnp.float64), jnp.asarray(u, jnp.float64)
    if x.shape != (nx,) or u.shape != (nu,):
        raise ValueError(f"LCS: x must have shape ({nx},) and u ({nu},), got {x.shape} and {u.shape}")
    return x, u
