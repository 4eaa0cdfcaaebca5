"""The Dojo backend's option mapping and state-layout conversions (pure Python/JAX; no Julia).

See ``pydojo.backends.dojo`` for the layout conventions these functions implement.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from pydojo.engine.integrate import rotate_quaternion

# pydojo environment name -> Dojo mechanism name
MECHANISMS = {"ball": "sphere", "sphere": "sphere", "block": "block", "pendulum": "pendulum",
              "hopper": "hopper", "halfcheetah": "halfcheetah", "ant": "ant"}
# pydojo option -> Dojo keyword (julia/src/mechanisms.jl: MECHANISM_KEYWORDS)
OPTION_KEYWORDS = {"timestep": "timestep", "gravity": "gravity", "friction": "friction_coefficient",
                   "friction_cone": "contact_type"}
MECHANISM_OPTIONS = {
    "sphere": ("timestep", "gravity", "friction", "friction_cone"),
    "block": ("timestep", "gravity", "friction", "friction_cone"),
    "pendulum": ("timestep", "gravity"),
    "hopper": ("timestep", "gravity", "friction"),
    "halfcheetah": ("timestep", "gravity", "friction"),
    "ant": ("timestep", "gravity", "friction"),
}
# Dojo's three contact models; "linear" is the pyramid of eq. 2.5, "nonlinear" the second-order cone
FRICTION_CONES = ("nonlinear", "linear", "impact")
UNACTUATED_BASE = ("hopper", "halfcheetah", "ant")
# julia/src/central_path.jl: CentralPathOptions
SOLVER_OPTIONS = {"rtol": 1e-8, "comp_rtol": 1e-2, "comp_atol": 1e-10, "max_iter": 60, "max_ls": 10}


def dojo_mechanism_options(name: str, **options: Any) -> tuple[str, dict[str, Any]]:
    """Map a pydojo environment name and options to (Dojo mechanism name, Dojo keywords).

    gravity is a magnitude (m/s², pointing down) as in pydojo's MJCF models; Dojo takes the
    signed z component. Unknown names, options or cones raise ValueError listing valid ones.
    """
    if name not in MECHANISMS:
        raise ValueError(f"the dojo backend has no environment {name!r}; valid names: {', '.join(sorted(MECHANISMS))}")
    mechanism = MECHANISMS[name]
    allowed = MECHANISM_OPTIONS[mechanism]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for dojo environment {name!r}; valid options: {', '.join(allowed)}")
    keywords: dict[str, Any] = {}
    for key, value in options.items():
        if key == "friction_cone":
            if value not in FRICTION_CONES:
                raise ValueError(f"friction_cone must be one of {FRICTION_CONES}, got {value!r}")
            keywords["contact_type"] = value
            continue
        value = float(value)
        if key == "timestep" and not value > 0:
            raise ValueError(f"timestep must be > 0, got {value}")
        if key in ("gravity", "friction") and not value >= 0:
            raise ValueError(f"{key} must be >= 0, got {value}")
        keywords[OPTION_KEYWORDS[key]] = -value if key == "gravity" else value
    return mechanism, keywords


def solver_options(**options: Any) -> dict[str, Any]:
    """The CentralPathOptions passed to Julia: defaults overridden by ``options`` (validated)."""
    unknown = sorted(set(options) - set(SOLVER_OPTIONS))
    if unknown:
        raise ValueError(f"unknown solver option(s) {unknown} for the dojo backend; valid: {', '.join(SOLVER_OPTIONS)}")
    merged = {**SOLVER_OPTIONS, **options}
    if not (merged["rtol"] > 0 and merged["comp_rtol"] > 0 and merged["comp_atol"] >= 0):
        raise ValueError(f"need rtol > 0, comp_rtol > 0, comp_atol >= 0; got {merged}")
    for key in ("max_iter", "max_ls"):
        value = merged[key]
        try:
            valid = not isinstance(value, bool) and int(value) == value and value >= 1
        except (TypeError, ValueError):
            valid = False
        if not valid:
            # max_ls: Dojo's line_search! (src/solver/line_search.jl:7 at v0.7.1) loops
            # `for n = 1:max_ls`; with 0 it takes no step and returns (Inf, Inf).
            raise ValueError(f"dojo backend option {key} must be an integer >= 1 (1, 2, ...), got {value!r}")
    return {k: (int(v) if k in ("max_iter", "max_ls") else float(v)) for k, v in merged.items()}


# --- state layout -----------------------------------------------------------------------------


def quaternion_from_rotation_vector(r: jax.Array) -> jax.Array:
    """(w, x, y, z) of the rotation by |r| about r/|r|: the identity rotated by exp(r/2) (the engine's map)."""
    return rotate_quaternion(jnp.array([1.0, 0.0, 0.0, 0.0], dtype=r.dtype), r, 1.0)


def rotation_vector_from_quaternion(quat: jax.Array) -> jax.Array:
    """Rotation vector of a (w, x, y, z) quaternion, taken with w ≥ 0 (angle in [0, π])."""
    quat = quat / jnp.linalg.norm(quat)
    quat = jnp.where(quat[0] < 0, -quat, quat)
    w, xyz = quat[0], quat[1:]
    s_sq = xyz @ xyz
    small = s_sq < 1e-12
    s = jnp.sqrt(jnp.where(small, 1.0, s_sq))
    scale = jnp.where(small, 2.0 / w * (1.0 - s_sq / (3.0 * w * w)), 2.0 * jnp.arctan2(s, w) / s)
    return scale * xyz


@dataclasses.dataclass(frozen=True)
class Layout:
    """Joint dimensions in Dojo's order and which joints are 6-dof floating bases."""

    dimensions: tuple[int, ...]
    floating: tuple[bool, ...]

    @property
    def nq(self) -> int:
        return sum(d + 1 if f else d for d, f in zip(self.dimensions, self.floating))

    @property
    def nv(self) -> int:
        return sum(self.dimensions)

    @property
    def n_minimal(self) -> int:
        return 2 * self.nv


def layout_from_info(joint_names, joint_dimensions) -> Layout:
    """A 6-dof joint from the origin is a floating base in every Dojo model offered here."""
    dims = tuple(int(d) for d in joint_dimensions)
    return Layout(dims, tuple(d == 6 for d in dims))


def minimal_from_state(layout: Layout, q: jax.Array, v: jax.Array) -> jax.Array:
    """pydojo (q, v) -> Dojo minimal state [per joint: coordinates, velocities]."""
    parts, iq, iv = [], 0, 0
    for dim, floating in zip(layout.dimensions, layout.floating):
        if floating:
            parts += [q[iq : iq + 3], rotation_vector_from_quaternion(q[iq + 3 : iq + 7]), v[iv : iv + 6]]
            iq += 7
        else:
            parts += [q[iq : iq + dim], v[iv : iv + dim]]
            iq += dim
        iv += dim
    return jnp.concatenate(parts) if parts else jnp.zeros(0)


def state_from_minimal(layout: Layout, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Dojo minimal state -> pydojo (q, v)."""
    qs, vs, i = [], [], 0
    for dim, floating in zip(layout.dimensions, layout.floating):
        coords, vels = x[i : i + dim], x[i + dim : i + 2 * dim]
        if floating:
            qs += [coords[:3], quaternion_from_rotation_vector(coords[3:6])]
        else:
            qs.append(coords)
        vs.append(vels)
        i += 2 * dim
    return jnp.concatenate(qs), jnp.concatenate(vs)


def rotation_matrix_from_rotation_vector(r) -> np.ndarray:
    """3x3 matrix of the rotation by |r| about r/|r| (Rodrigues; NumPy, host side)."""
    r = np.asarray(r, dtype=np.float64)
    angle = float(np.linalg.norm(r))
    k = np.array([[0.0, -r[2], r[1]], [r[2], 0.0, -r[0]], [-r[1], r[0], 0.0]])
    if angle < 1e-8:  # series to second order: I + K + K²/2
        return np.eye(3) + k + 0.5 * k @ k
    return np.eye(3) + np.sin(angle) / angle * k + (1.0 - np.cos(angle)) / angle**2 * (k @ k)


def dojo_inputs(layout: Layout, x, u) -> tuple[np.ndarray, np.ndarray]:
    """pydojo's full input vector -> Dojo's, and the matrix F with u_dojo = F u (host side, NumPy).

    Frames. pydojo's ``u`` is dual to its ``v``: for a 6-dof floating joint,
    [force (world frame), torque (BODY frame)]; every other joint's inputs are Dojo's own.
    Dojo v0.7.1 takes a Floating joint's force and torque in the parent's frame, the world for
    a child of the origin (src/joints/translational/input.jl:5-27; src/joints/rotational/input.jl:14
    gives the body R(q)ᵀ τ h), so the torque is rotated once, here: τ_world = R(q) τ_body with q
    the orientation at the start of the step (the joint's rotation vector in the minimal state x).

    Only this conversion: Dojo caches R(q)ᵀ τ_world and its state Jacobian ignores that
    impulse's dependence on q, which is exactly the Jacobian at a fixed body-frame torque;
    so the chain rule needs ∂x'/∂u = J_dojo F and nothing else (F's own x-dependence cancels).
    """
    x = np.asarray(x, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    frames = np.eye(layout.nv)
    i, iu = 0, 0
    for dim, floating in zip(layout.dimensions, layout.floating):
        if floating:
            frames[iu + 3 : iu + 6, iu + 3 : iu + 6] = rotation_matrix_from_rotation_vector(x[i + 3 : i + 6])
        i += 2 * dim
        iu += dim
    return frames @ u, frames


def actuation_matrix(mechanism: str, layout: Layout) -> np.ndarray:
    """(n_inputs_dojo, nu): maps pydojo controls to Dojo's full input vector (zeros for the floating base)."""
    n_inputs = layout.nv
    columns, offset = [], 0
    for index, dim in enumerate(layout.dimensions):
        skip = mechanism in UNACTUATED_BASE and index == 0
        if not skip:
            columns += list(range(offset, offset + dim))
        offset += dim
    matrix = np.zeros((n_inputs, len(columns)))
    matrix[columns, np.arange(len(columns))] = 1.0
    return matrix
