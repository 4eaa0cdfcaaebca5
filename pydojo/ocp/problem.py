"""The parameterised optimal-control problem of the DiffOP seed, eq. (1).

    min_{x, u}  Σ_{i<H} c(x_i, u_i; θ_c) + c_H(x_H; θ_H)
    s.t.        x_0 = x_init,  x_{i+1} = f(x_i, u_i; θ_f),  g(x_i, u_i) ≤ 0,  g_H(x_H) ≤ 0.

θ = Theta(c, H, f) is a pytree of three 1-D arrays. Every model function is written once,
against a small math namespace ``ops`` (``JAX_OPS`` here, ``pydojo.ocp.ipopt.CASADI_OPS``
for the IPOPT reference), so the JAX solver and IPOPT solve literally the same problem.
"""
from __future__ import annotations

import types
from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp

JAX_OPS = types.SimpleNamespace(
    sin=jnp.sin, cos=jnp.cos, sqrt=jnp.sqrt, stack=lambda xs: jnp.stack(list(xs)),
)


class Theta(eqx.Module):
    """Learnable parameters θ = (θ_c, θ_H, θ_f) of eq. (1)."""

    c: jax.Array
    H: jax.Array
    f: jax.Array


class OCP(eqx.Module):
    """An instance of eq. (1) with horizon ``horizon``.

    stage_cost(x, u, θ_c, ops), terminal_cost(x, θ_H, ops): scalars.
    dynamics(x, u, θ_f, ops): next state (a discrete-time map).
    stage_constraints(x, u, ops) -> (n_g,) and terminal_constraints(x, ops) -> (n_gH,): g ≤ 0;
        ``None`` when there are none. They do not depend on θ (the seed's g).
    theta_shapes: the shapes of (θ_c, θ_H, θ_f), checked at trace time.
    """

    stage_cost: Callable = eqx.field(static=True)
    terminal_cost: Callable = eqx.field(static=True)
    dynamics: Callable = eqx.field(static=True)
    state_size: int = eqx.field(static=True)
    control_size: int = eqx.field(static=True)
    horizon: int = eqx.field(static=True)
    theta_shapes: tuple = eqx.field(static=True)
    stage_constraints: Callable | None = eqx.field(static=True, default=None)
    terminal_constraints: Callable | None = eqx.field(static=True, default=None)
    num_stage_constraints: int = eqx.field(static=True, default=0)
    num_terminal_constraints: int = eqx.field(static=True, default=0)

    def __check_init__(self):
        if self.horizon < 1:
            raise ValueError(f"OCP: horizon must be >= 1, got {self.horizon}")
        if (self.stage_constraints is None) != (self.num_stage_constraints == 0):
            raise ValueError("OCP: give stage_constraints together with num_stage_constraints > 0")
        if (self.terminal_constraints is None) != (self.num_terminal_constraints == 0):
            raise ValueError("OCP: give terminal_constraints together with num_terminal_constraints > 0")

    # ---- JAX views of the model ------------------------------------------------------
    def f(self, x, u, theta_f):
        return self.dynamics(x, u, theta_f, JAX_OPS)

    def c(self, x, u, theta_c):
        return self.stage_cost(x, u, theta_c, JAX_OPS)

    def c_H(self, x, theta_H):
        return self.terminal_cost(x, theta_H, JAX_OPS)

    def g(self, x, u):
        if self.stage_constraints is None:
            return jnp.zeros((0,), x.dtype)
        return jnp.asarray(self.stage_constraints(x, u, JAX_OPS))

    def g_H(self, x):
        if self.terminal_constraints is None:
            return jnp.zeros((0,), x.dtype)
        return jnp.asarray(self.terminal_constraints(x, JAX_OPS))

    def objective(self, xs, us, theta: Theta):
        """J(ζ; θ) of eq. (1) for xs (H+1, n), us (H, m)."""
        stage = jax.vmap(self.c, (0, 0, None))(xs[:-1], us, theta.c)
        return jnp.sum(stage) + self.c_H(xs[-1], theta.H)

    # ---- input checks (trace time / run time) -----------------------------------------
    def check_theta(self, theta: Theta) -> Theta:
        if not isinstance(theta, Theta):
            raise ValueError(f"OCP: theta must be a pydojo.ocp.Theta(c, H, f), got {type(theta).__name__}")
        for name, value, shape in zip(("c", "H", "f"), (theta.c, theta.H, theta.f), self.theta_shapes):
            if jnp.shape(value) != tuple(shape):
                raise ValueError(f"OCP: theta.{name} has shape {jnp.shape(value)}, expected {tuple(shape)}")
        return theta

    def check_state(self, x_init) -> jax.Array:
        x_init = jnp.asarray(x_init, jnp.float64)
        if x_init.shape != (self.state_size,):
            raise ValueError(f"OCP: initial state has shape {x_init.shape}, expected ({self.state_size},)")
        return eqx.error_if(x_init, ~jnp.all(jnp.isfinite(x_init)), "OCP: initial state contains NaN or Inf")


def perturbed(theta: Theta, key, perturbation: float) -> Theta:
    """θ ⊙ (1 + U(−p, p)) per entry, independent draws: the starting point of learning (signs kept for p < 1)."""
    leaves, tree = jax.tree_util.tree_flatten(theta)
    keys = jax.random.split(key, len(leaves))
    noisy = [v * (1.0 + jax.random.uniform(k, v.shape, minval=-perturbation, maxval=perturbation)) for v, k in zip(leaves, keys)]
    return jax.tree_util.tree_unflatten(tree, noisy)


def box_constraints(lower, upper, select: Callable):
    """g(v) ≤ 0 rows for ``lower ≤ select(v) ≤ upper``, skipping ±inf bounds.

    Returns (function(values, ops) -> list of rows, number of rows). Infeasible boxes
    (lower > upper) raise ValueError here, before any solve.
    """
    rows = []
    for j, (lo, hi) in enumerate(zip(lower, upper)):
        if lo > hi:
            raise ValueError(f"box constraint {j}: lower bound {lo} > upper bound {hi}; the problem is infeasible")
        if lo > -float("inf"):
            rows.append((j, float(lo), -1.0))
        if hi < float("inf"):
            rows.append((j, float(hi), 1.0))

    def g(v):
        w = select(v)
        return [sign * (w[j] - bound) for j, bound, sign in rows]

    return g, len(rows)
