"""Block structure an MCP can declare so that its Newton systems are solved by a Schur complement.

Many complementarity problems (a contact step, a QP's KKT system) have n_y "primal" rows
(a mass matrix or Hessian) and n_c constraint rows, one per complementarity entry, where
each constraint row touches only the entries (λ, s) of its own small group: one contact's
impact, friction and cone multipliers, or one joint limit. ``BlockStructure`` lists those
groups (constraint row i of E is row n_y + i and belongs to entry i). With it the reduced
Newton matrix

    [ P  Q ]   P = ∂E_primal/∂y (n_y × n_y),  Q = primal rows' (E_λ − E_s W),
    [ R  B ]   R = ∂E_constraint/∂y,          B = constraint rows' (E_λ − E_s W),

(W = Arw(λ)⁻¹Arw(s), block diagonal over the cone's pairs) has B block diagonal over the
groups, so it is solved through the n_y × n_y Schur complement S = P − Q B⁻¹ R and one
small solve per group, instead of an (n_y + n_c)-row dense factorization.

The solver never asks who built the structure; a wrong declaration is caught by
``check_structure`` (a dense comparison used in tests and available to users).
"""
from __future__ import annotations

import equinox as eqx
import numpy as np


class BlockStructure(eqx.Module):
    """Groups of constraint entries, each a tuple of entry indices; together a partition of range(n_c).

    Entries of a group need not be contiguous (a contact's γ, β and ω sit in different parts of
    λ). Every complementarity pair of the cone must lie inside one group.
    ``primal_uses_slacks=False`` declares that the n_y primal rows do not involve s (∂E_primal/∂s = 0,
    as in a contact step's momentum balance or a QP's stationarity): their terms are then skipped.
    """

    groups: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    primal_uses_slacks: bool = eqx.field(static=True, default=True)

    def __check_init__(self):
        flat = [i for g in self.groups for i in g]
        if any(len(g) == 0 for g in self.groups):
            raise ValueError("BlockStructure: every group needs at least one entry")
        if sorted(flat) != list(range(len(flat))):
            raise ValueError("BlockStructure: the groups must partition the entries 0..n_c-1 (each exactly once)")

    @property
    def n_entries(self) -> int:
        return sum(len(g) for g in self.groups)

    def size_classes(self) -> list[np.ndarray]:
        """The groups stacked by size: one (n_groups, size) index array per distinct size."""
        sizes = sorted({len(g) for g in self.groups})
        return [np.asarray([g for g in self.groups if len(g) == k], dtype=np.int32) for k in sizes]

    def check_pairs(self, pair_index: np.ndarray) -> None:
        """Raise unless every pair of the cone (``pair_index`` per entry) lies in a single group."""
        owner = np.empty(len(pair_index), dtype=np.int64)
        for gi, g in enumerate(self.groups):
            owner[list(g)] = gi
        for pair in np.unique(pair_index):
            if len(np.unique(owner[pair_index == pair])) > 1:
                raise ValueError(f"BlockStructure: complementarity pair {int(pair)} is split across groups")
