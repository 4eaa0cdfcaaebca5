"""Problem forms: mixed complementarity (MCP) and the LCP as its special case.

An MCP has free unknowns y (n_y), and complementarity pairs (λ, s) in a ``Cone``
(n_c entries each). It asks for

    E(y, λ, s; data) = 0   (n_y + n_c equations),    λ ∘ s = μ e,    λ, s ∈ cone,

which for μ = μ_sc > 0 is the softened system of the barrier-smoothing paper (eq. 3.1) and
for μ → 0 the exact complementarity problem. The LCP s = Fλ + q is the MCP with
n_y = 0 and E = s − Fλ − q.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.solver.cones import Cone
from pydojo.solver.structure import BlockStructure


class MCP(eqx.Module):
    """A mixed complementarity problem; ``residual(y, lam, s, data)`` is a static callable.

    ``linear=True`` declares E affine in (y, λ, s) (LCPs, linearized contact steps): its
    Jacobian is then computed once per solve instead of once per iteration.
    ``structure`` declares which constraint rows couple to which complementarity entries
    (``pydojo.solver.structure``); the Newton systems are then solved through a Schur
    complement of size n_y (``SolverOptions.linear_solver``).
    """

    residual: Callable[[jax.Array, jax.Array, jax.Array, Any], jax.Array] = eqx.field(static=True)
    n_y: int = eqx.field(static=True)
    cone: Cone
    linear: bool = eqx.field(static=True, default=False)
    structure: Optional[BlockStructure] = eqx.field(static=True, default=None)

    def __check_init__(self):
        if self.n_y < 0:
            raise ValueError(f"MCP: n_y must be >= 0, got {self.n_y}")
        if self.structure is not None:
            if self.structure.n_entries != self.cone.size:
                raise ValueError(f"MCP: the structure covers {self.structure.n_entries} entries but the cone has "
                                 f"{self.cone.size}")
            self.structure.check_pairs(self.cone.pair_index())

    @property
    def n_c(self) -> int:
        return self.cone.size

    @property
    def size(self) -> int:
        return self.n_y + 2 * self.cone.size

    def split(self, w: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        n_y, n_c = self.n_y, self.n_c
        return w[:n_y], w[n_y : n_y + n_c], w[n_y + n_c :]

    def equality(self, w: jax.Array, data: Any) -> jax.Array:
        y, lam, s = self.split(w)
        return self.residual(y, lam, s, data)

    def full_residual(self, w: jax.Array, data: Any, mu_e: jax.Array) -> jax.Array:
        """[E; λ∘s − μ e]: zero exactly at the central-path point for μ (the implicit-function residual)."""
        _, lam, s = self.split(w)
        return jnp.concatenate([self.equality(w, data), self.cone.product(lam, s) - mu_e])


def _lcp_residual(y, lam, s, data):
    F, q = data
    return s - F @ lam - q


def lcp_problem(n: int) -> MCP:
    """The LCP s = Fλ + q, λ ≥ 0, s ≥ 0 of size ``n`` as an MCP with data (F, q)."""
    return MCP(residual=_lcp_residual, n_y=0, cone=Cone(n_orthant=n), linear=True)


def check_lcp_data(F: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Shape and dtype checks at trace time: F (n, n) and q (n,) floating."""
    F, q = jnp.asarray(F), jnp.asarray(q)
    if F.ndim != 2 or F.shape[0] != F.shape[1]:
        raise ValueError(f"LCP: F must be a square (n, n) matrix, got shape {F.shape}")
    if q.shape != (F.shape[0],):
        raise ValueError(f"LCP: q must have shape ({F.shape[0]},) to match F {F.shape}, got {q.shape}")
    dtype = jnp.result_type(F.dtype, q.dtype, jnp.float64)
    return F.astype(dtype), q.astype(dtype)
