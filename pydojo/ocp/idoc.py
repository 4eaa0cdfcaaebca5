"""∂ζ*/∂θ of eq. (1) by IDOC, the seed's Proposition 1, in vector–Jacobian form and O(H).

    ∇_θζ* = D⁻¹Aᵀ(AD⁻¹Aᵀ)⁻¹(AD⁻¹B − C) − D⁻¹B,
    D = ∇²_ζζL, A = ∇_ζκ, B = ∇²_θζL, C = ∇_θκ,
κ = (x_init − x_0; g̃_i, f(x_i, u_i) − x_{i+1}; g̃_H) with g̃ the active inequality rows
(g > −threshold) and L the Lagrangian of ipm.py. For a cotangent v:
    a = D⁻¹v,  y = (AD⁻¹Aᵀ)⁻¹Aa,  w = D⁻¹Aᵀy − a,  vᵀ∇_θζ* = wᵀB − yᵀC,
and wᵀB, yᵀC are gradients in θ of the scalars ⟨∇_ζL, w⟩ and ⟨y, κ⟩ (one reverse pass each).

Structure: D is block diagonal per stage. Constraint group k touches stage blocks k−1 (E_k)
and k (F_k), so AD⁻¹Aᵀ is block tridiagonal and is solved by a block Thomas recursion
(``lax.scan``). Every group has the same padded size n_gmax + n; rows that are inactive (or
padding) get zero Jacobian rows and a unit diagonal, which keeps them out of the solution
whatever the number of active rows at any stage, including the last.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.ocp.ipm import Solution, lagrangian, stage_hessians
from pydojo.ocp.problem import OCP, Theta
from pydojo.ocp.small import cols_dot, rows_dot, sandwich


class IDOCOptions(eqx.Module):
    """threshold: a constraint is active when g > −threshold (Safe-PDP's rule);
    hessian_reg: δ added to D = ∇²L (IDOC's optional regularisation; 0 = exact)."""

    threshold: float = eqx.field(static=True, default=1e-5)
    hessian_reg: float = eqx.field(static=True, default=0.0)

    def __check_init__(self):
        if not self.threshold > 0 or self.hessian_reg < 0:
            raise ValueError(f"IDOCOptions: need threshold > 0 and hessian_reg >= 0, got {self.threshold}, {self.hessian_reg}")


def active_sets(ocp: OCP, sol: Solution, threshold: float):
    g = jax.vmap(ocp.g)(sol.xs[:-1], sol.us)
    return g > -threshold, ocp.g_H(sol.xs[-1]) > -threshold


def _blocks(ocp: OCP, sol: Solution, theta: Theta, opts: IDOCOptions):
    """Inverse stage Hessians Dinv (H+2, nz, nz) and group Jacobians E, F (H+2, p, nz), row masks (H+2, p)."""
    H, n, m = ocp.horizon, ocp.state_size, ocp.control_size
    nz, ng, ngH = n + m, ocp.num_stage_constraints, ocp.num_terminal_constraints
    gmax = max(ng, ngH)
    act, act_H = active_sets(ocp, sol, opts.threshold)
    z, z_H = sol.z * act, sol.z_H * act_H
    W, W_H = stage_hessians(ocp, sol.xs, sol.us, sol.lam, z, z_H, theta)
    D = jnp.zeros((H + 2, nz, nz)).at[:H].set(W).at[H].set(jnp.eye(nz).at[:n, :n].set(W_H)).at[H + 1].set(jnp.eye(nz))
    D = D + opts.hessian_reg * jnp.eye(nz)[None]
    Dinv = jnp.linalg.inv(D)

    A, B = jax.vmap(jax.jacfwd(ocp.f, argnums=(0, 1)), (0, 0, None))(sol.xs[:-1], sol.us, theta.f)
    Gx, Gu = jax.vmap(jax.jacfwd(ocp.g, argnums=(0, 1)))(sol.xs[:-1], sol.us)
    G = jnp.concatenate([Gx, Gu], axis=-1) * act[..., None]  # (H, ng, nz)
    G_H = jax.jacfwd(ocp.g_H)(sol.xs[-1]) * act_H[:, None]  # (ngH, n)
    p = gmax + n
    E = jnp.zeros((H + 2, p, nz))
    E = E.at[1:H + 1, :ng, :].set(G).at[1:H + 1, gmax:, :].set(jnp.concatenate([A, B], axis=-1))
    E = E.at[H + 1, :ngH, :n].set(G_H)
    F = jnp.zeros((H + 2, p, nz)).at[:H + 1, gmax:, :n].set(-jnp.eye(n))
    mask = jnp.zeros((H + 2, p)).at[1:H + 1, :ng].set(act).at[H + 1, :ngH].set(act_H).at[:H + 1, gmax:].set(1.0)
    return Dinv, E, F, mask


def _block_tridiagonal_solve(diag, upper, rhs):
    """Solve the symmetric block-tridiagonal system (diag (K, p, p), upper (K, p, p) with upper[K−1] = 0)."""
    lower_prev = jnp.concatenate([jnp.zeros_like(upper[:1]), upper[:-1]], axis=0)  # M_{k−1,k}, transposed below

    def forward(carry, blk):
        c_prev, d_prev = carry
        Mkk, Mup, Mprev, rk = blk
        S = Mkk - Mprev.T @ c_prev
        sol = jnp.linalg.solve(S, jnp.concatenate([Mup, (rk - Mprev.T @ d_prev)[:, None]], axis=1))
        c, d = sol[:, :-1], sol[:, -1]
        return (c, d), (c, d)

    p = diag.shape[-1]
    _, (c, d) = jax.lax.scan(forward, (jnp.zeros((p, p)), jnp.zeros(p)), (diag, upper, lower_prev, rhs))

    def backward(y_next, blk):
        ck, dk = blk
        y = dk - ck @ y_next
        return y, y

    _, y = jax.lax.scan(backward, jnp.zeros(p), (c, d), reverse=True)
    return y


def vjp(ocp: OCP, sol: Solution, x_init, theta: Theta, v_us, v_xs=None, opts: IDOCOptions = IDOCOptions()):
    """(vᵀ∂ζ*/∂θ as a Theta, vᵀ∂ζ*/∂x_init) for cotangents v_us (H, m) and optional v_xs (H+1, n)."""
    H, n, m = ocp.horizon, ocp.state_size, ocp.control_size
    if v_us.shape != (H, m):
        raise ValueError(f"idoc.vjp: v_us has shape {v_us.shape}, expected ({H}, {m})")
    v_xs = jnp.zeros((H + 1, n)) if v_xs is None else v_xs
    Dinv, E, F, mask = _blocks(ocp, sol, theta, opts)
    V = jnp.zeros((H + 2, n + m)).at[:H + 1, :n].set(v_xs).at[:H, n:].set(v_us)
    a = rows_dot(Dinv, V)
    a_prev = jnp.concatenate([jnp.zeros_like(a[:1]), a[:-1]], axis=0)
    r = rows_dot(E, a_prev) + rows_dot(F, a)
    Dinv_prev = jnp.concatenate([jnp.eye(n + m)[None], Dinv[:-1]], axis=0)
    diag = (sandwich(E, Dinv_prev, E) + sandwich(F, Dinv, F)
            + jax.vmap(jnp.diag)(1.0 - mask))
    E_next = jnp.concatenate([E[1:], jnp.zeros_like(E[:1])], axis=0)
    upper = sandwich(F, Dinv, E_next)
    y = _block_tridiagonal_solve(diag, upper, r)
    y_next = jnp.concatenate([y[1:], jnp.zeros_like(y[:1])], axis=0)
    Aty = cols_dot(E_next, y_next) + cols_dot(F, y)
    w = rows_dot(Dinv, Aty) - a
    w_xs, w_us = w[:H + 1, :n], w[:H, n:]
    act, act_H = active_sets(ocp, sol, opts.threshold)
    gmax = max(ocp.num_stage_constraints, ocp.num_terminal_constraints)
    y_dyn = y[:H + 1, gmax:]  # multipliers-like weights of (x_init − x_0) and (f_i − x_{i+1})

    def scalar(th, x0):
        L = lambda xs, us: lagrangian(ocp, xs, us, sol.lam, sol.z * act, sol.z_H * act_H, x0, th)  # noqa: E731
        wB = jax.jvp(L, (sol.xs, sol.us), (w_xs, w_us))[1]
        f = jax.vmap(ocp.f, (0, 0, None))(sol.xs[:-1], sol.us, th.f)
        yC = jnp.vdot(y_dyn[0], x0) + jnp.vdot(y_dyn[1:], f)
        return wB - yC

    return jax.grad(scalar, argnums=(0, 1))(theta, x_init)
