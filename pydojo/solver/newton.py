"""The Newton systems of the interior point and of the implicit gradient, dense or block-structured.

Both solve the linearization of the full residual R(w) = [E(y, λ, s); λ∘s − μe] at a point w,

    [ E_y   E_λ     E_s    ] [Δy]     [r_eq  ]
    [ 0     Arw(s)  Arw(λ) ] [Δλ] = − [r_comp],
                             [Δs]

by eliminating Δs = Arw(λ)⁻¹(−r_comp − Arw(s)Δλ), which leaves the reduced matrix
[E_y, E_λ − E_s W] with W = Arw(λ)⁻¹Arw(s). ``factor`` prepares that matrix once per
point (the interior point reuses it for predictor and corrector); ``direction`` solves
for any right-hand side and is linear in it, so the implicit gradient transposes it.

Two ways to factor, chosen by ``newton_solver(problem, options)``:

* ``DenseNewton`` LU-factors the (n_y + n_c)-row reduced matrix (the reference, and for
  problems without structure such as a dense LCP);
* ``SchurNewton`` uses the problem's ``BlockStructure``: the constraint rows' block B is
  block diagonal over the groups, so one small LU per group and the n_y × n_y Schur
  complement S = P − Q B⁻¹ R replace the large factorization.
"""
from __future__ import annotations

from typing import Any, Union

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.solver.linalg import LU, lu_factor, lu_solve, small_matmul
from pydojo.solver.problems import MCP


def equality_jacobians(problem: MCP, w, data):
    """(E_y, E_λ, E_s) at w."""
    y, lam, s = problem.split(w)
    e_y, e_lam, e_s = jax.jacfwd(problem.residual, argnums=(0, 1, 2))(y, lam, s, data)
    return e_y.reshape(e_lam.shape[0], -1), e_lam, e_s


# --------------------------------------------------------------------------- dense (reference)
class DenseFactors(eqx.Module):
    lu: LU
    e_s: jax.Array
    lam: jax.Array


class DenseNewton(eqx.Module):
    """LU of the full reduced matrix [E_y, E_λ − E_s W]."""

    def prepare(self, problem: MCP, jacobians):
        return jacobians

    def factor(self, problem: MCP, prepared, lam, s) -> DenseFactors:
        e_y, e_lam, e_s = prepared
        mat = jnp.concatenate([e_y, e_lam - problem.cone.times_arrow_ratio(e_s, lam, s)], axis=1)
        return DenseFactors(lu_factor(mat), e_s, lam)

    def direction(self, problem: MCP, f: DenseFactors, s, r_eq, r_comp):
        cone = problem.cone
        rhs = -r_eq + f.e_s @ cone.arrow_solve(f.lam, r_comp)
        d = lu_solve(f.lu, rhs)
        d_y, d_lam = d[: problem.n_y], d[problem.n_y :]
        return d_y, d_lam, cone.arrow_solve(f.lam, -r_comp - cone.product(s, d_lam))


# --------------------------------------------------------------------------- block Schur complement
class SchurPrepared(eqx.Module):
    """The equality Jacobians gathered into the structure's blocks (once per point, once per solve if linear).

    Per size class c of groups (n_g groups of k entries): R[c] (n_g, k, n_y), lam_cc[c] and s_cc[c]
    (n_g, k, k) the constraint rows' E_λ and E_s on their own group, lam_p[c] and s_p[c] (n_y, n_g, k)
    the primal rows' E_λ and E_s on the group's columns."""

    p: jax.Array
    r: tuple
    lam_cc: tuple
    s_cc: tuple
    lam_p: tuple
    s_p: tuple


class SchurFactors(eqx.Module):
    schur: LU
    blocks: tuple  # LU per size class, batched over its groups
    b_inv_r: tuple  # B_g⁻¹ R_g per size class (n_g, k, n_y)
    q: tuple  # Q per size class (n_y, n_g, k)
    s_p: tuple
    s_cc: tuple
    lam: jax.Array


class SchurNewton(eqx.Module):
    """Block elimination through the problem's ``BlockStructure``; the n_y × n_y Schur complement is LU-factored."""

    def _classes(self, problem: MCP) -> list[np.ndarray]:
        return problem.structure.size_classes()

    def prepare(self, problem: MCP, jacobians) -> SchurPrepared:
        e_y, e_lam, e_s = jacobians
        n_y = problem.n_y
        rows = [n_y + idx for idx in self._classes(problem)]
        cols = self._classes(problem)
        return SchurPrepared(
            p=e_y[:n_y],
            r=tuple(e_y[r] for r in rows),
            lam_cc=tuple(e_lam[r[:, :, None], c[:, None, :]] for r, c in zip(rows, cols)),
            s_cc=tuple(e_s[r[:, :, None], c[:, None, :]] for r, c in zip(rows, cols)),
            lam_p=tuple(e_lam[:n_y][:, c] for c in cols),
            s_p=tuple(e_s[:n_y][:, c] for c in cols),
        )

    def factor(self, problem: MCP, pre: SchurPrepared, lam, s) -> SchurFactors:
        cone = problem.cone
        flat = cone.arrow_ratio_entries(lam, s)
        schur = pre.p
        blocks, b_inv_r, qs = [], [], []
        for c, idx in enumerate(self._classes(problem)):
            w = flat[cone.arrow_ratio_index(idx[:, :, None], idx[:, None, :])]  # (n_g, k, k) blocks of W
            b = pre.lam_cc[c] - small_matmul(pre.s_cc[c], w)
            q = pre.lam_p[c]
            if problem.structure.primal_uses_slacks:
                q = q - jnp.einsum("ygk,gkj->ygj", pre.s_p[c], w)
            lu = _block_factor(b)
            x = _block_solve(lu, pre.r[c])
            schur = schur - jnp.einsum("ygk,gkz->yz", q, x)
            blocks.append(lu)
            b_inv_r.append(x)
            qs.append(q)
        return SchurFactors(lu_factor(schur), tuple(blocks), tuple(b_inv_r), tuple(qs), pre.s_p, pre.s_cc, lam)

    def direction(self, problem: MCP, f: SchurFactors, s, r_eq, r_comp):
        cone, n_y = problem.cone, problem.n_y
        classes = self._classes(problem)
        a = cone.arrow_solve(f.lam, r_comp)  # Arw(λ)⁻¹ r_comp
        rhs_y = -r_eq[:n_y]
        t = []  # B_g⁻¹ (constraint rhs) per class
        for c, idx in enumerate(classes):
            a_g = a[idx]
            if problem.structure.primal_uses_slacks:
                rhs_y = rhs_y + jnp.einsum("ygk,gk->y", f.s_p[c], a_g)
            rhs_c = -r_eq[n_y + idx] + jnp.sum(f.s_cc[c] * a_g[:, None, :], axis=-1)
            t_c = _block_solve(f.blocks[c], rhs_c)
            rhs_y = rhs_y - jnp.sum(f.q[c] * t_c[None], axis=(1, 2))
            t.append(t_c)
        d_y = lu_solve(f.schur, rhs_y)
        stacked = jnp.concatenate([(t[c] - jnp.sum(f.b_inv_r[c] * d_y, axis=-1)).reshape(-1) for c in range(len(classes))])
        d_lam = stacked[np.argsort(np.concatenate([idx.reshape(-1) for idx in classes]))]
        return d_y, d_lam, cone.arrow_solve(f.lam, -r_comp - cone.product(s, d_lam))


def _block_factor(b: jax.Array):
    """LU of each group's block (n_g, k, k); 1 × 1 blocks are kept as they are (a division solves them)."""
    return b if b.shape[-1] == 1 else jax.vmap(lu_factor)(b)


def _block_solve(f, rhs: jax.Array) -> jax.Array:
    """B_g⁻¹ rhs_g for every group; rhs (n_g, k) or (n_g, k, m)."""
    if isinstance(f, LU):
        return jax.vmap(lu_solve)(f, rhs)
    return rhs / (f[:, 0] if rhs.ndim == 2 else f)


NewtonSolver = Union[DenseNewton, SchurNewton]


def newton_solver(problem: MCP, options: Any) -> NewtonSolver:
    """``options.linear_solver``: "auto" (Schur when the problem declares a structure), "schur" or "dense"."""
    choice = options.linear_solver
    if choice == "schur" and problem.structure is None:
        raise ValueError("SolverOptions(linear_solver='schur') needs a problem with a BlockStructure "
                         "(MCP(structure=...)); this problem declares none: use 'auto' or 'dense'")
    if choice == "dense" or problem.structure is None:
        return DenseNewton()
    return SchurNewton()
