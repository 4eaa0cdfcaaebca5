"""Implicit differentiation of the central-path point (one pluggable adjoint, as optimistix's ImplicitAdjoint).

At the returned point w* the full residual R(w*; data, μ) = [E; λ∘s − μe] vanishes, so
dw* = −(∂R/∂w)⁻¹ (∂R/∂data · d data + ∂R/∂μ · dμ). The rule is written as a JVP that
is linear in the tangents, so JAX derives reverse mode (grad, vjp) by transposition;
inside the rule the solution is re-attached, so higher derivatives are correct too.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from pydojo.solver.newton import equality_jacobians, newton_solver
from pydojo.solver.problems import MCP


@functools.partial(jax.custom_jvp, nondiff_argnums=(0, 1))
def attach_implicit_gradient(problem: MCP, options, w: jax.Array, data, mu_pair: jax.Array) -> jax.Array:
    """Identity on ``w`` whose derivative w.r.t. (data, μ) is the implicit-function one."""
    return w


@attach_implicit_gradient.defjvp
def _jvp(problem: MCP, options, primals, tangents):
    w, data, mu_pair = primals
    _, d_data, d_mu = tangents
    # Re-attach w to (data, μ) so that differentiating this rule again (second order)
    # sees how the Jacobian below moves with the solution.
    w = attach_implicit_gradient(problem, options, jax.lax.stop_gradient(w), data, mu_pair)

    def residual(d, m):
        return problem.full_residual(w, d, problem.cone.expand(m))

    _, d_res = jax.jvp(residual, (data, mu_pair), (d_data, d_mu))
    # ∂R/∂w is the interior point's Newton matrix at w: solve with the same (dense or Schur) factorization.
    newton = newton_solver(problem, options)
    _, lam, s = problem.split(w)
    factors = newton.factor(problem, newton.prepare(problem, equality_jacobians(problem, w, data)), lam, s)
    n_e = problem.n_y + problem.n_c
    d_y, d_lam, d_s = newton.direction(problem, factors, s, d_res[:n_e], d_res[n_e:])
    return w, jnp.concatenate([d_y, d_lam, d_s])
