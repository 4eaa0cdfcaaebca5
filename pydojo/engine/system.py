"""MJCF → system: the model terms of the barrier-smoothing paper's eq. (2.3) from MJX.

Everything physical comes from ``mujoco.mjx``: M(q) (with armature) from ``crb``/``full_m``,
the bias n(q, v) (Coriolis, gravity, springs, damping) from ``fwd_velocity`` (``passive`` +
``rne``), actuation (gear, ctrlrange clamping) from ``transmission``/``fwd_actuation``, and
contact candidates, signed distances and frames from ``collision``; contact Jacobians from
``mjx.jac``. This module only decides which candidates and directions enter the
complementarity problem (normal, friction directions of eq. 2.5, joint limits).
"""
from __future__ import annotations

from typing import Optional

import equinox as eqx
import jax
import jax.numpy as jnp
import mujoco
import numpy as np

from pydojo._quiet import import_mjx
from pydojo.engine.features import check_supported
from pydojo.engine.params import Params, read_params, write_params
from pydojo.engine.vertex_contacts import VertexLayout, vertex_layout
from pydojo.solver import SolverOptions

mjx = import_mjx()  # mujoco.mjx without its Warp-probe notices

FRICTION_CONES = ("linear", "nonlinear", "impact")
# Starting the interior-point iterates at λ = s = 10·e: on 800 step problems each of random hopper and
# halfcheetah rollouts (with the solver's centrality safeguard) it converged in all, with fewer
# iterations than 1·e (mean 10.4 vs 12.2 on halfcheetah at μ_sc = 1e-8; 7.1 vs 10.7 at 1e-2).
DEFAULT_SOLVER_OPTIONS = SolverOptions(init_scale=10.0)


class System(eqx.Module):
    """One mechanism: its MJX model (holding ψ) and the static layout of its constraints.

    n_contacts: contacts entering each step's problem (0 when contacts are off): all candidates
        (n_candidates), or the ``max_contacts`` closest ones (smallest φ) when set.
    candidates: MJX's contact slots, with a box or mesh on a plane replaced by its vertices
        (``pydojo.engine.vertex_contacts``).
    planar_axis: the common hinge axis of a planar mechanism (friction acts in the plane), else None.
    n_directions: friction directions per contact (linearized cone, eq. 2.5) or the tangent
        dimension of the second-order cone ("nonlinear": 1 planar, 2 in 3-D).
    limit_qadr/limit_dofadr/limit_sign/limit_bound: one row per active joint-limit side:
        gap = sign·(q[qadr] − bound) ≥ 0, Jacobian row sign·e_dofadr.
    limit_recovery: per row, the share 1 − exp(−h/τ) of a violation (gap < 0: a start outside the range,
        or a linearization overshoot of a step) that one step removes; τ is the joint's MuJoCo time constant (solref[0], at least 2h).
    """

    mjx_model: mjx.Model
    data0: mjx.Data
    jnt_types: tuple = eqx.field(static=True)
    timestep: float = eqx.field(static=True)
    eulerdamp: bool = eqx.field(static=True)
    n_contacts: int = eqx.field(static=True)
    n_candidates: int = eqx.field(static=True)
    candidates: VertexLayout = eqx.field(static=True)
    friction_cone: str = eqx.field(static=True)
    n_directions: int = eqx.field(static=True)
    planar_axis: Optional[tuple] = eqx.field(static=True)
    limit_qadr: tuple = eqx.field(static=True)
    limit_dofadr: tuple = eqx.field(static=True)
    limit_sign: tuple = eqx.field(static=True)
    limit_bound: tuple = eqx.field(static=True)
    limit_recovery: tuple = eqx.field(static=True)
    solver_options: SolverOptions = eqx.field(static=True)
    name: str = eqx.field(static=True, default="")

    @property
    def nq(self) -> int:
        return self.mjx_model.nq

    @property
    def nv(self) -> int:
        return self.mjx_model.nv

    @property
    def nu(self) -> int:
        return self.mjx_model.nu

    @property
    def n_limits(self) -> int:
        return len(self.limit_qadr)

    @property
    def params(self) -> Params:
        """ψ of this system (see ``pydojo.engine.params``)."""
        return read_params(self.mjx_model)

    def with_params(self, params: Params) -> "System":
        """The same system with ψ replaced (differentiable in ``params``)."""
        return eqx.tree_at(lambda s: s.mjx_model, self, write_params(self.mjx_model, params))


def _planar_axis(model: mujoco.MjModel) -> Optional[np.ndarray]:
    """The common axis of a mechanism moving in a plane (all hinges ∥ a, all slides ⟂ a), else None."""
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    hinges, slides = [], []
    for j in range(model.njnt):
        kind = int(model.jnt_type[j])
        if kind in (int(mujoco.mjtJoint.mjJNT_FREE), int(mujoco.mjtJoint.mjJNT_BALL)):
            return None
        (hinges if kind == int(mujoco.mjtJoint.mjJNT_HINGE) else slides).append(data.xaxis[j].copy())
    if hinges:
        axis = hinges[0]
    elif len(slides) >= 2:
        axis = np.cross(slides[0], slides[1])
    else:
        return None
    axis = axis / np.linalg.norm(axis)
    if any(np.linalg.norm(np.cross(h, axis)) > 1e-9 for h in hinges) or any(abs(s @ axis) > 1e-9 for s in slides):
        return None
    return axis


# MuJoCo's default limit time constant (solref[0]), used where a joint gives its solref in the direct form.
DEFAULT_LIMIT_TIMECONST = 0.02


def _limit_rows(model: mujoco.MjModel) -> tuple[list, list, list, list, list]:
    """qadr, dofadr, sign, bound and recovery share of every limit side (see ``System``).

    A start outside a joint's range (gymnasium's Ant puts its ankles 30° outside theirs) would make a hard
    limit remove the whole violation in one step: 52 rad/s on Ant's ankles against MuJoCo's 13. A violated
    limit is relaxed instead, gap⁺ ≥ exp(−h/τ)·gap, which removes it as a first-order lag with the joint's own
    MuJoCo time constant τ (clamped at 2h as MuJoCo's refsafe does); within the range nothing changes."""
    qadr, dofadr, sign, bound, recovery = [], [], [], [], []
    h = float(model.opt.timestep)
    for j in range(model.njnt):
        if not model.jnt_limited[j]:
            continue
        if int(model.jnt_type[j]) not in (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE)):
            raise ValueError(f"joint {j}: limits are supported on hinge and slide joints only")
        lo, hi = model.jnt_range[j]
        timeconst = float(model.jnt_solref[j, 0])
        timeconst = max(timeconst if timeconst > 0 else DEFAULT_LIMIT_TIMECONST, 2 * h)
        for s, b in ((1.0, lo), (-1.0, hi)):
            qadr.append(int(model.jnt_qposadr[j]))
            dofadr.append(int(model.jnt_dofadr[j]))
            sign.append(s)
            bound.append(float(b))
            recovery.append(float(1.0 - np.exp(-h / timeconst)))
    return qadr, dofadr, sign, bound, recovery


def make_system(
    model: mujoco.MjModel,
    *,
    contacts: bool = True,
    joint_limits: bool = True,
    friction_cone: str = "linear",
    n_directions: Optional[int] = None,
    max_contacts: Optional[int] = None,
    solver_options: SolverOptions = DEFAULT_SOLVER_OPTIONS,
    name: str = "",
) -> System:
    """Build a ``System`` from a compiled MJCF model (MuJoCo's own constraint solver is not used).

    friction_cone: "linear" (maximum dissipation over a pyramid, eq. 2.5; 2 directions for planar
    mechanisms, ``n_directions`` ≥ 4 (default 4) in 3-D), "nonlinear" (second-order cone) or
    "impact" (frictionless contact, as Dojo's ImpactContact: normal impulses only). The friction
    cones need friction coefficients > 0 (at 0 they have no interior); use "impact" for frictionless.
    max_contacts: keep only this many candidates per step, those with the smallest signed distance
    (as MuJoCo's ``max_contact_points``); None keeps all.
    """
    if friction_cone not in FRICTION_CONES:
        raise ValueError(f"friction_cone must be one of {FRICTION_CONES}, got {friction_cone!r}")
    check_supported(model, contacts)
    model = _copy(model)
    # MuJoCo's constraint solver is disabled below and never runs; MJX refuses some solver choices
    # (PGS, e.g. gymnasium's humanoid) that would not apply to us, so the copy names one it accepts.
    model.opt.solver = mujoco.mjtSolver.mjSOL_NEWTON
    if not contacts:
        model.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
    model.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONSTRAINT  # our complementarity problem replaces it
    axis = _planar_axis(model)
    if friction_cone == "impact":
        dirs = 0
    elif friction_cone == "nonlinear":
        dirs = 1 if axis is not None else 2
    elif axis is not None:
        dirs = 2
    else:
        dirs = 4 if n_directions is None else int(n_directions)
        if dirs < 4:
            raise ValueError(f"n_directions must be >= 4 for a 3-D mechanism, got {n_directions}")
    mx = mjx.put_model(model)
    d0 = mjx.make_data(mx)
    limits = _limit_rows(model) if joint_limits else ([], [], [], [], [])
    layout = vertex_layout(model, mx) if contacts else VertexLayout(kept=(), sets=())
    n_candidates = layout.n_candidates
    if max_contacts is not None and int(max_contacts) < 1:
        raise ValueError(f"max_contacts must be >= 1 or None, got {max_contacts}")
    n_contacts = n_candidates if max_contacts is None else min(n_candidates, int(max_contacts))
    return System(
        mjx_model=mx,
        data0=d0,
        jnt_types=tuple(int(t) for t in model.jnt_type),
        timestep=float(model.opt.timestep),
        eulerdamp=not (model.opt.disableflags & mujoco.mjtDisableBit.mjDSBL_EULERDAMP),
        n_contacts=n_contacts,
        n_candidates=n_candidates,
        candidates=layout,
        friction_cone=friction_cone,
        n_directions=dirs,
        planar_axis=None if axis is None else tuple(float(a) for a in axis),
        limit_qadr=tuple(limits[0]),
        limit_dofadr=tuple(limits[1]),
        limit_sign=tuple(limits[2]),
        limit_bound=tuple(limits[3]),
        limit_recovery=tuple(limits[4]),
        solver_options=solver_options,
        name=name,
    )


def _copy(model: mujoco.MjModel) -> mujoco.MjModel:
    import copy

    return copy.copy(model)
