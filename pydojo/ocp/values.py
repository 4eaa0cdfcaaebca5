"""The policy problem as a function approximator (RL-MPC, Gros & Zanon 2019): V_θ(s), Q_θ(s, a),
π_θ(s) and their derivatives in θ.

    V_θ(s)    = J*(s; θ), the optimal value of eq. (1) with horizon N from x_init = s;
    Q_θ(s, a) = the same problem with u_0 = a fixed
              = c(s, a; θ_c) + V^{N−1}_θ(f(s, a; θ_f)),
because fixing u_0 leaves the (N−1)-step problem from x_1 = f(s, a; θ_f) (``tail``). The action
must satisfy g(s, a) ≤ 0 (callers clip it to the input box).

Derivatives: at a primal-dual solution J* = 𝓛, and the envelope theorem gives ∇_θV = ∂𝓛/∂θ
(𝓛 of ipm.py, multipliers held fixed). For Q the tail's x_init = f(s, a; θ_f) depends on θ and
∂𝓛/∂x_init = λ_0, so ∇_θQ = ∇_θc(s, a) + ∂/∂θ 𝓛_tail(x_init = f(s, a; θ_f)). No solution
derivative is needed. ∂π/∂θ (π = u*_0, an (m, n_θ) Jacobian) comes from IDOC, m reverse passes.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from pydojo.ocp.idoc import IDOCOptions, vjp
from pydojo.ocp.ipm import Solution, lagrangian
from pydojo.ocp.problem import OCP, Theta


def tail_problem(ocp: OCP) -> OCP:
    """The same problem one stage shorter (Q's problem after the fixed first action)."""
    if ocp.horizon < 2:
        raise ValueError(f"Q_θ(s, a) needs a policy problem with horizon >= 2 (u_0 fixed leaves horizon - 1), got {ocp.horizon}")
    return dataclasses.replace(ocp, horizon=ocp.horizon - 1)


class MPCValues(eqx.Module):
    """solve / solve_tail: ``make_solver`` results for ``ocp`` and ``tail_problem(ocp)``."""

    ocp: OCP
    tail: OCP
    solve: Callable = eqx.field(static=True)
    solve_tail: Callable = eqx.field(static=True)
    idoc: IDOCOptions = IDOCOptions()

    def value(self, sol: Solution, theta: Theta):
        """V_θ(s) of a solution of ``ocp``."""
        return self.ocp.objective(sol.xs, sol.us, theta)

    def value_grad(self, sol: Solution, s, theta: Theta) -> Theta:
        """∇_θV_θ(s) at a solution of ``ocp`` from s."""
        return jax.grad(lambda th: lagrangian(self.ocp, sol.xs, sol.us, sol.lam, sol.z, sol.z_H, s, th))(theta)

    def q_solve(self, s, a, theta: Theta, warm: Solution | None = None) -> Solution:
        """The tail problem from x_1 = f(s, a; θ_f)."""
        return self.solve_tail(self.ocp.f(s, a, theta.f), theta, warm)

    def q_value(self, tail_sol: Solution, s, a, theta: Theta):
        """Q_θ(s, a) from the tail's solution."""
        return self.ocp.c(s, a, theta.c) + self.tail.objective(tail_sol.xs, tail_sol.us, theta)

    def q_grad(self, tail_sol: Solution, s, a, theta: Theta) -> Theta:
        """∇_θQ_θ(s, a) from the tail's solution (the Lagrangian's θ-gradient, x_1 = f(s, a; θ_f))."""
        def lag(th):
            x1 = self.ocp.f(s, a, th.f)
            return self.ocp.c(s, a, th.c) + lagrangian(self.tail, tail_sol.xs, tail_sol.us, tail_sol.lam, tail_sol.z, tail_sol.z_H, x1, th)

        return jax.grad(lag)(theta)

    def policy_jacobian(self, sol: Solution, s, theta: Theta) -> jax.Array:
        """∂π_θ(s)/∂θ as an (m, n_θ) matrix, θ flattened by ``jax.flatten_util.ravel_pytree``."""
        m = self.ocp.control_size

        def row(e):
            v_us = jnp.zeros(sol.us.shape).at[0].set(e)
            return ravel_pytree(vjp(self.ocp, sol, s, theta, v_us, opts=self.idoc)[0])[0]

        return jax.vmap(row)(jnp.eye(m))


def mpc_values(ocp: OCP, make: Callable[[OCP], Callable], idoc: IDOCOptions = IDOCOptions()) -> MPCValues:
    """MPCValues for ``ocp`` with solvers ``make(problem)`` (e.g. ``lambda p: make_solver(p, "ipm", opts)``)."""
    tail = tail_problem(ocp)
    return MPCValues(ocp, tail, make(ocp), make(tail), idoc)
