"""The complementarity problem of one hard-contact step (barrier-smoothing paper, eqs. 2.3–2.5) as an MCP.

Unknown y = v⁺ (free), and complementarity pairs (λ, s):

* impact and joint limits (eq. 2.4, linearized at q):  φ(q) + h·N v⁺ ≥ 0 ⟂ γ ≥ 0 with
  γ·(φ + h N v⁺) = μ_sc, g = (φ(q), joint-limit gaps), N = (Jₙ; ±unit rows). The solver sees
  it divided by h, s_γ = g/h + N v⁺ with target μ_sc/h (the same central path): then every
  pair's product has the units impulse × velocity, which keeps the Newton systems balanced;
* "linear" friction, maximum dissipation over the linearized cone (eq. 2.5), per contact:
  s_β = D v⁺ + ω·1 ≥ 0 ⟂ β ≥ 0   and   s_ω = α_f γ − Σβ ≥ 0 ⟂ ω ≥ 0;
* "nonlinear" friction (Dojo's second-order cone), per contact one SOC pair
  λ = (β₀, βₜ), s = (η₀, ηₜ) with β₀ = α_f γ and ηₜ = T v⁺ (KKT of max dissipation
  over ‖βₜ‖ ≤ α_f γ);
* "impact" (frictionless, Dojo's ImpactContact): the impact pairs only;

and the momentum balance (eq. 2.3) M̃ (v⁺ − v) = h(n + Bu) + Nᵀγ + Dᵀβ as the first
n_v equations. Everything is linear in (y, λ, s); the interior-point method stops on
the central path λ∘s = μ_sc e.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.engine.system import System
from pydojo.engine.terms import StepTerms
from pydojo.solver import MCP, BlockStructure, Cone


class ContactData(eqx.Module):
    """The data pytree of the step problem (differentiable): eq. (2.3) terms plus v and h."""

    mass: jax.Array
    velocity: jax.Array
    impulse: jax.Array
    gap: jax.Array
    normal: jax.Array
    tangent: jax.Array
    friction: jax.Array
    timestep: jax.Array


def _momentum(y, gamma, friction_impulse, data: ContactData):
    return (
        data.mass @ (y - data.velocity)
        - data.impulse
        - data.normal.T @ gamma
        - jnp.einsum("ckv,ck->v", data.tangent, friction_impulse)
    )


def linear_cone_residual(y, lam, s, data: ContactData):
    """Equality residual with the linearized friction cone (eq. 2.5)."""
    n_uni, (nc, nd, _) = data.gap.shape[0], data.tangent.shape
    gamma, beta, omega = lam[:n_uni], lam[n_uni : n_uni + nc * nd].reshape(nc, nd), lam[n_uni + nc * nd :]
    s_gamma, s_beta, s_omega = s[:n_uni], s[n_uni : n_uni + nc * nd], s[n_uni + nc * nd :]
    return jnp.concatenate([
        _momentum(y, gamma, beta, data),
        s_gamma - data.gap - data.timestep * (data.normal @ y),
        s_beta - (data.tangent @ y + omega[:, None]).reshape(-1),
        s_omega - (data.friction * gamma[:nc] - beta.sum(axis=1)),
    ])


def second_order_cone_residual(y, lam, s, data: ContactData):
    """Equality residual with the second-order friction cone (Dojo's "nonlinear" contact)."""
    n_uni, (nc, k, _) = data.gap.shape[0], data.tangent.shape
    gamma, blocks_lam, blocks_s = lam[:n_uni], lam[n_uni:].reshape(nc, k + 1), s[n_uni:].reshape(nc, k + 1)
    beta_t = blocks_lam[:, 1:]
    cone_rows = jnp.concatenate([
        (blocks_lam[:, 0] - data.friction * gamma[:nc])[:, None],
        blocks_s[:, 1:] - data.tangent @ y,
    ], axis=1)
    return jnp.concatenate([
        _momentum(y, gamma, beta_t, data),
        s[:n_uni] - data.gap / data.timestep - data.normal @ y,
        cone_rows.reshape(-1),
    ])


def impact_residual(y, lam, s, data: ContactData):
    """Equality residual of frictionless contact (impact and joint-limit pairs only)."""
    return jnp.concatenate([
        _momentum(y, lam, jnp.zeros(data.tangent.shape[:2]), data),
        s - data.gap - data.timestep * (data.normal @ y),
    ])


def contact_structure(system: System) -> BlockStructure:
    """One group per contact (its impact entry and its friction entries) and one per joint-limit side:
    a contact's constraint rows touch only its own multipliers and slacks (and v⁺)."""
    nc, nd, n_uni = system.n_contacts, system.n_directions, system.n_contacts + system.n_limits
    limits = [(i,) for i in range(nc, n_uni)]
    if system.friction_cone == "impact":
        contacts = [(c,) for c in range(nc)]
    elif system.friction_cone == "nonlinear":
        contacts = [(c,) + tuple(n_uni + c * (nd + 1) + j for j in range(nd + 1)) for c in range(nc)]
    else:
        contacts = [(c,) + tuple(n_uni + c * nd + j for j in range(nd)) + (n_uni + nc * nd + c,) for c in range(nc)]
    return BlockStructure(groups=tuple(contacts + limits), primal_uses_slacks=False)


def contact_problem(system: System) -> MCP:
    """The (static) MCP layout of ``system``'s step: linear in (v⁺, λ, s), block structured per contact."""
    nc, nd, n_uni = system.n_contacts, system.n_directions, system.n_contacts + system.n_limits
    if system.friction_cone == "impact":
        residual, cone = impact_residual, Cone(n_orthant=n_uni)
    elif system.friction_cone == "nonlinear":
        residual, cone = second_order_cone_residual, Cone(n_orthant=n_uni, soc=(nd + 1,) * nc)
    else:
        residual, cone = linear_cone_residual, Cone(n_orthant=n_uni + nc * nd + nc)
    return MCP(residual=residual, n_y=system.nv, cone=cone, linear=True, structure=contact_structure(system))


# A candidate whose normal Jacobian row is zero cannot carry load: no joint moves its bodies apart or together
# (gymnasium's point and pusher: a body on x/y slides over a plane). Its gap never changes, so at φ = 0 the
# pair γ·φ = μ_sc has no solution and every solve fails. Such a candidate is treated as inactive: its rows
# are zeroed (no normal or friction impulse acts on v⁺) and its gap is set to INACTIVE_GAP (a far contact).
DEGENERATE_NORMAL = 1e-10  # ‖Jₙ row‖ at or below this (m/s per unit of v) is a structural zero
INACTIVE_GAP = 1.0


def inactive_contacts(system: System, normal: jax.Array) -> jax.Array:
    """(nc,) mask of the candidates that cannot carry load: a zero normal Jacobian row."""
    return jnp.linalg.norm(normal[: system.n_contacts], axis=1) <= DEGENERATE_NORMAL


def contact_data(system: System, terms: StepTerms, v: jax.Array) -> ContactData:
    friction, gap, normal, tangent = terms.friction, terms.gap, terms.normal, terms.tangent
    nc = system.n_contacts
    if nc:
        inactive = inactive_contacts(system, normal)
        gap = gap.at[:nc].set(jnp.where(inactive, INACTIVE_GAP, gap[:nc]))
        normal = normal.at[:nc].set(jnp.where(inactive[:, None], 0.0, normal[:nc]))
        tangent = jnp.where(inactive[:, None, None], 0.0, tangent)
    if system.friction_cone != "impact" and system.n_contacts:
        friction = eqx.error_if(
            friction, jnp.any(friction <= 0),
            f"a contact friction coefficient is <= 0, but friction_cone={system.friction_cone!r} needs "
            "coefficients > 0 (the friction cone has no interior at 0); build the system with "
            "friction_cone='impact' for frictionless contact")
    return ContactData(
        mass=terms.mass, velocity=v, impulse=terms.impulse, gap=gap, normal=normal,
        tangent=tangent, friction=friction, timestep=jnp.asarray(system.timestep),
    )


def pair_mu(system: System, mu: jax.Array) -> jax.Array:
    """Solver targets per complementarity pair from μ_sc, a scalar or per-contact (nc,) schedule value.

    Impact and limit pairs get μ_sc/h (their gap rows are divided by h, see the module doc);
    a contact's friction pairs share its μ_sc; joint limits take the smallest contact μ_sc."""
    mu = jnp.asarray(mu)
    nc, nd, h = system.n_contacts, system.n_directions, system.timestep
    scalar = mu if mu.ndim == 0 else None
    if mu.ndim == 0:
        mu = jnp.full((nc,), mu)
    if mu.shape != (nc,):
        raise ValueError(f"schedule returned mu of shape {mu.shape}; expected () or ({nc},) (one per contact)")
    if nc:
        limit_mu = jnp.min(mu)
    elif scalar is not None:  # no contact candidates (contacts off, or none in the model): the schedule's value
        limit_mu = scalar
    else:
        raise ValueError("a per-contact schedule gives no mu_sc for the joint limits of a system without contact "
                         "candidates; use a constant mu_sc (a number) for it")
    limits = jnp.full((system.n_limits,), limit_mu)
    impact = jnp.concatenate([mu, limits])
    if system.friction_cone == "impact":
        return impact
    if system.friction_cone == "nonlinear":
        return jnp.concatenate([impact, mu])
    return jnp.concatenate([impact, jnp.repeat(mu, nd), mu])


def split_impulses(system: System, lam: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(contact normal impulses γ (nc,), friction impulses (nc, nd), joint-limit impulses (2·n_limits,))."""
    nc, nd, n_uni = system.n_contacts, system.n_directions, system.n_contacts + system.n_limits
    if system.friction_cone == "impact":
        friction = jnp.zeros((nc, 0))
    elif system.friction_cone == "nonlinear":
        friction = lam[n_uni:].reshape(nc, nd + 1)[:, 1:]
    else:
        friction = lam[n_uni : n_uni + nc * nd].reshape(nc, nd)
    return lam[:nc], friction, lam[nc:n_uni]
