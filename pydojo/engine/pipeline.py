"""Pure-function pipeline (brax style): ``init(system, q, v)``, ``step(system, state, u, schedule)``.

One step of the barrier-smoothing paper's eq. (2.3): MJX evaluates M, n(q, v), Bu and the contact
geometry at (q, v); one complementarity problem (eqs. 2.4–2.5, ``pydojo.engine.contact``)
is solved by ``pydojo.solver.solve`` at μ_sc from the schedule; then q⁺ = q ⊕ h v⁺.
Gradients (w.r.t. q, v, u and ψ via ``System.with_params``) come from the solver's
implicit differentiation.
"""
from __future__ import annotations

from typing import Any, Optional

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.engine.contact import ContactData, contact_data, contact_problem, inactive_contacts, pair_mu, split_impulses
from pydojo.engine.integrate import integrate_positions
from pydojo.engine.state import SolverStats, State
from pydojo.engine.system import System
from pydojo.engine.terms import model_terms
from pydojo.smoothing import AbstractSmoothing, ConstantMu, ContactState, smoothed_solve
from pydojo.solver import MCP, solve


def _check_vector(name: str, x, size: int) -> jax.Array:
    x = jnp.asarray(x, dtype=jnp.float64)
    if x.shape != (size,):
        raise ValueError(f"{name} has shape {x.shape}, expected ({size},)")
    return eqx.error_if(x, ~jnp.all(jnp.isfinite(x)), f"{name} contains NaN or Inf")


def _empty_stats() -> SolverStats:
    zero = jnp.zeros((), jnp.int32)
    return SolverStats(iterations=zero, eq_residual=jnp.zeros(()), comp_residual=jnp.zeros(()), result=zero)


def signed_distances(system: System, q: jax.Array) -> jax.Array:
    """φ(q) of the contact candidates (nc,)."""
    return model_terms(system, q, jnp.zeros(system.nv), jnp.zeros(system.nu)).gap[: system.n_contacts]


# Compiled once per model: evaluated op by op, MJX's kinematics cost ~20 s of per-op compilations (hopper).
_signed_distances_jit = eqx.filter_jit(signed_distances)


def init(system: System, q, v) -> State:
    """A state at (q, v) with no contact history (γ = 0); φ evaluated at q."""
    q, v = _check_vector("q", q, system.nq), _check_vector("v", v, system.nv)
    nc, nd = system.n_contacts, system.n_directions
    phi = _signed_distances_jit(system, q) if nc else jnp.zeros(0)
    return State(q=q, v=v, gamma=jnp.zeros(nc), friction=jnp.zeros((nc, nd)), phi=phi,
                 mu=jnp.zeros(()), stats=_empty_stats())


def _contact_state(system: System, data, gamma: jax.Array) -> ContactState:
    """What the schedule sees: φ, previous γ, contact-free predicted gap z, normal compliance."""
    nc, h = system.n_contacts, system.timestep
    jn = data.normal[:nc]
    minv = jnp.linalg.solve(data.mass, jnp.concatenate([data.impulse[:, None], jn.T], axis=1))
    v_free = data.velocity + minv[:, 0]
    return ContactState(phi=data.gap[:nc], gamma=gamma, z=data.gap[:nc] + h * jn @ v_free,
                        compliance=h * jnp.sum(jn * minv[:, 1:].T, axis=1))


class ArrayMu(AbstractSmoothing):
    """A constant μ_sc held as an array (so it can be traced, batched or differentiated)."""

    value: jax.Array

    def mu(self, contact: ContactState) -> jax.Array:
        return self.value


def as_schedule(schedule: Any) -> AbstractSmoothing:
    """A ``pydojo.smoothing`` schedule, or a constant μ_sc given as a number or a scalar array."""
    if isinstance(schedule, AbstractSmoothing):
        return schedule
    if isinstance(schedule, (int, float)):
        with jax.ensure_compile_time_eval():  # ConstantMu validates its value with jnp
            return ConstantMu(float(schedule))
    if isinstance(schedule, (jax.Array, np.ndarray)) and jnp.shape(schedule) == ():
        return ArrayMu(jnp.asarray(schedule, jnp.float64))
    raise ValueError(f"schedule must be a number or scalar array (constant mu_sc) or a pydojo.smoothing "
                     f"schedule, got {type(schedule).__name__} {jnp.shape(schedule)}")


def step_problem(system: System, state: State, u) -> tuple[MCP, ContactData]:
    """The complementarity problem of this step and its data (for solver debugging tools)."""
    u = _check_vector("u", u, system.nu)
    terms = model_terms(system, state.q, state.v, u)
    return contact_problem(system), contact_data(system, terms, state.v)


def _solve_contacts(system: System, problem: MCP, data: ContactData, schedule: AbstractSmoothing,
                    contact: ContactState, key, throw: bool):
    """``smoothed_solve`` of the step problem; randomized schedules perturb the contact gaps φ."""
    nc = system.n_contacts

    def solve_fn(phi, mu):
        perturbed = eqx.tree_at(lambda d: d.gap, data, data.gap.at[:nc].set(phi))
        sol = solve(problem, perturbed, pair_mu(system, mu), init_y=jax.lax.stop_gradient(data.velocity),
                    options=system.solver_options, throw=throw)
        stats = (sol.stats.iterations, sol.stats.eq_residual, sol.stats.comp_residual)
        return sol.y, sol.lam, sol.s, jnp.asarray(sol.result, jnp.float64), stats

    return smoothed_solve(schedule, solve_fn, data.gap[:nc], contact, key)


def step(system: System, state: State, u, schedule: Any = 1e-8, key: Optional[jax.Array] = None,
         *, throw: bool = True) -> State:
    """One time step of eq. (2.3) under control ``u`` (clamped to ctrlrange by MJX).

    ``schedule``: a constant μ_sc or a ``pydojo.smoothing`` schedule; ``key`` for randomized
    schedules. A failed contact solve raises (also under jit) unless ``throw=False``, in which
    case ``state.stats.result`` reports it.
    """
    schedule = as_schedule(schedule)  # a bad schedule fails before MJX's terms are traced
    problem, data = step_problem(system, state, u)
    n_uni = system.n_contacts + system.n_limits
    if n_uni == 0:
        v_next = state.v + jnp.linalg.solve(data.mass, data.impulse)
        gamma, friction, mu, stats = state.gamma, state.friction, jnp.zeros(()), _empty_stats()
        phi = state.phi
    else:
        contact = _contact_state(system, data, state.gamma)
        v_next, lam, s, result, (iters, eq, comp) = _solve_contacts(system, problem, data, schedule, contact, key, throw)
        gamma, friction, _ = split_impulses(system, lam)
        # linearized gap φ(q) + h Jₙ v⁺ ≈ φ(q⁺) (the second-order-cone problem holds its gap rows divided by h)
        phi = s[: system.n_contacts] * (system.timestep if system.friction_cone == "nonlinear" else 1.0)
        if system.n_contacts:  # a candidate that cannot carry load (contact_data): its gap does not move
            phi = jnp.where(inactive_contacts(system, data.normal), state.phi, phi)
        mu = jnp.max(schedule.mu(contact))
        # With several randomized samples the averaged result code is non-zero iff a sample failed.
        stats = SolverStats(iterations=jnp.ceil(iters).astype(jnp.int32), eq_residual=eq, comp_residual=comp,
                            result=jnp.ceil(result).astype(jnp.int32))
    q_next = integrate_positions(system.jnt_types, state.q, v_next, system.timestep)
    return State(q=q_next, v=v_next, gamma=gamma, friction=friction, phi=phi, mu=mu, stats=stats)


def rollout(system: System, state: State, controls, schedule: Any = 1e-8, key=None, *, throw: bool = True):
    """Step through ``controls`` (T, nu) with ``lax.scan``; returns (final state, stacked states)."""
    controls = jnp.asarray(controls)
    if controls.ndim != 2 or controls.shape[1] != system.nu:
        raise ValueError(f"controls have shape {controls.shape}, expected (T, {system.nu})")
    keys = None if key is None else jax.random.split(key, controls.shape[0])

    def body(carry, xs):
        u, k = xs
        nxt = step(system, carry, u, schedule, k, throw=throw)
        return nxt, nxt

    return jax.lax.scan(body, state, (controls, keys))
