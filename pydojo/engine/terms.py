"""The terms of one time step of eq. (2.3), evaluated by MJX at (q, v, u).

``model_terms`` returns the (damping-augmented) mass matrix, the smooth generalized
force h·(n(q, v) + B u), and the unilateral constraints: contact candidates (signed
distance φ, normal Jacobian Jₙ, friction-direction Jacobians D, friction coefficient)
followed by joint-limit sides (gap and ±unit row).
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pydojo._quiet import import_mjx
from pydojo.engine.system import System
from pydojo.engine.vertex_contacts import merge

mjx = import_mjx()  # mujoco.mjx without its Warp-probe notices


class StepTerms(eqx.Module):
    """mass: M(q) + h·diag(damping) (nv, nv) — MuJoCo's implicit Euler damping when enabled;
    impulse: h·(qfrc_passive − qfrc_bias + qfrc_actuator) (nv,);
    gap: (n_uni,) φ of the contacts then joint-limit gaps; normal: (n_uni, nv) their Jacobians;
    tangent: (nc, nd, nv) friction-direction Jacobians; friction: (nc,) coefficients."""

    mass: jax.Array
    impulse: jax.Array
    gap: jax.Array
    normal: jax.Array
    tangent: jax.Array
    friction: jax.Array


def _smooth_data(system: System, q: jax.Array, v: jax.Array, u: jax.Array):
    """MJX position, velocity and actuation stages (constraints off: ours replace them)."""
    m = system.mjx_model
    d = system.data0.replace(qpos=q, qvel=v, ctrl=u)
    d = mjx.kinematics(m, d)
    d = mjx.com_pos(m, d)
    d = mjx.crb(m, d)
    d = mjx.transmission(m, d)
    if system.n_contacts:
        d = mjx.collision(m, d)
    d = mjx.fwd_velocity(m, d)
    d = mjx.fwd_actuation(m, d)
    return d


def _tangent_basis(system: System, frame: jax.Array) -> jax.Array:
    """Friction directions (nc, nd, 3): ±t in the plane of a planar mechanism, else nd directions
    evenly spaced on the tangent circle (linearized cone) or the frame's two tangents (SOC)."""
    normal = frame[:, 0]
    if system.planar_axis is not None:
        axis = jnp.asarray(system.planar_axis)
        t = jnp.cross(axis, normal)
        t = t / jnp.linalg.norm(t, axis=-1, keepdims=True)
        dirs = t[:, None] if system.friction_cone == "nonlinear" else jnp.stack([t, -t], axis=1)
        return dirs
    t1, t2 = frame[:, 1], frame[:, 2]
    if system.friction_cone == "nonlinear":
        return jnp.stack([t1, t2], axis=1)
    angles = 2 * np.pi * np.arange(system.n_directions) / system.n_directions
    return np.cos(angles)[None, :, None] * t1[:, None] + np.sin(angles)[None, :, None] * t2[:, None]


def _contact_points(system: System, contact, normal: jax.Array, bodies: jax.Array):
    """Where each side's velocity is taken: MuJoCo puts a candidate's point midway between the two surfaces,
    so at a gap φ a body's friction lever arm would grow by φ/2, and the barrier's friction impulses at a
    distance (∝ μ_sc/φ) would give a torque that does not fall off with φ. A body touching a static
    geom (welded to the world) is taken at its own surface point, pos ± (φ/2)·n; the normal rows do not
    change (a rigid body's normal velocity is the same all along n) and at φ = 0 nothing changes. Two
    moving bodies keep the common midpoint, so their equal and opposite impulses exert no net torque."""
    static = jnp.asarray(system.mjx_model.body_weldid)[bodies] == 0  # (nc, 2)
    half = 0.5 * contact.dist[:, None] * normal  # normal points from geom 1 to geom 2
    point1 = jnp.where(static[:, 1:], contact.pos - half, contact.pos)  # geom 1 against a static geom 2
    point2 = jnp.where(static[:, :1], contact.pos + half, contact.pos)
    return point1, point2


def _contact_jacobians(system: System, d) -> tuple[jax.Array, ...]:
    """φ, Jₙ (nc, nv), D (nc, nd, nv) and friction (nc,) of MJX's contact candidates."""
    m = system.mjx_model
    contact = merge(system.candidates, d, d._impl.contact)
    frictionless = np.asarray(contact.dim) == 1  # condim 1: MuJoCo applies no friction (static per candidate)
    if system.n_contacts < system.n_candidates:  # the closest candidates only
        _, keep = jax.lax.top_k(-jax.lax.stop_gradient(contact.dist), system.n_contacts)
        contact = contact._replace(**{f: getattr(contact, f)[keep] for f in ("dist", "pos", "frame", "friction", "geom")})
        frictionless = jnp.asarray(frictionless)[keep]
    bodies = jnp.asarray(m.geom_bodyid)[contact.geom]  # (nc, 2)

    def relative_jacobian(point1, point2, body1, body2):
        jac2, _ = mjx.jac(m, d, point2, body2)
        jac1, _ = mjx.jac(m, d, point1, body1)
        return (jac2 - jac1).T  # (3, nv): velocity of geom 2 relative to geom 1

    frame = contact.frame.reshape(-1, 3, 3)
    jrel = jax.vmap(relative_jacobian)(*_contact_points(system, contact, frame[:, 0], bodies), bodies[:, 0], bodies[:, 1])
    jn = jnp.einsum("ci,civ->cv", frame[:, 0], jrel)
    if system.friction_cone == "impact":
        return contact.dist, jn, jnp.zeros((jn.shape[0], 0, system.nv)), contact.friction[:, 0]
    jt = jnp.einsum("cki,civ->ckv", _tangent_basis(system, frame), jrel)
    # A condim-1 pair keeps its friction pairs, decoupled from v⁺ (zero rows): they carry no impulse.
    jt = jnp.where(frictionless[:, None, None], 0.0, jt)
    return contact.dist, jn, jt, contact.friction[:, 0]


def _limit_rows(system: System, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    sign = np.asarray(system.limit_sign)
    gap = sign * (q[np.asarray(system.limit_qadr, dtype=int)] - np.asarray(system.limit_bound))
    # A violated limit (a start outside the range) asks one step to remove only its recovery share of the
    # violation: s = r·gap + h·row·v⁺ ≥ 0 means gap⁺ ≥ (1 − r)·gap (see system._limit_rows).
    gap = jnp.where(gap < 0, np.asarray(system.limit_recovery) * gap, gap)
    rows = np.zeros((system.n_limits, system.nv))
    rows[np.arange(system.n_limits), np.asarray(system.limit_dofadr, dtype=int)] = sign
    return gap, jnp.asarray(rows)


def model_terms(system: System, q: jax.Array, v: jax.Array, u: jax.Array) -> StepTerms:
    """All terms of eq. (2.3) at (q, v, u) for step size h = ``system.timestep``."""
    h = system.timestep
    m = system.mjx_model
    d = _smooth_data(system, q, v, u)
    mass = mjx.full_m(m, d)
    if system.eulerdamp:
        mass = mass + h * jnp.diag(m.dof_damping)
    force = d.qfrc_passive - d.qfrc_bias + d.qfrc_actuator
    nd, nv = system.n_directions, system.nv
    if system.n_contacts:
        phi, jn, jt, mu = _contact_jacobians(system, d)
    else:
        phi, jn, jt, mu = jnp.zeros(0), jnp.zeros((0, nv)), jnp.zeros((0, nd, nv)), jnp.zeros(0)
    lgap, lrows = _limit_rows(system, q)
    return StepTerms(
        mass=mass,
        impulse=h * force,
        gap=jnp.concatenate([phi, lgap]),
        normal=jnp.concatenate([jn, lrows]),
        tangent=jt,
        friction=mu,
    )
