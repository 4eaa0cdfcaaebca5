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
# (half_size: the edge is twice the environment's half size)
OPTION_KEYWORDS = {"timestep": "timestep", "gravity": "gravity", "friction": "friction_coefficient",
                   "friction_cone": "contact_type", "radius": "radius", "mass": "mass", "half_size": "edge_length"}
MECHANISM_OPTIONS = {
    "sphere": ("timestep", "gravity", "friction", "friction_cone", "radius", "mass"),
    "block": ("timestep", "gravity", "friction", "friction_cone", "half_size", "mass"),
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
        if key in ("radius", "mass", "half_size") and not value > 0:
            raise ValueError(f"{key} must be > 0, got {value}")
        keywords[OPTION_KEYWORDS[key]] = -value if key == "gravity" else 2.0 * value if key == "half_size" else value
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


# --- task layout: a host backend's state and controls in the environments' layout ------------------------
# (pydojo.backends.base, "Task layout"). Everything that converts the Dojo backend's state layout to the
# tasks' is in this section; pydojo.backends.host applies it.


def _quaternion_about_y(angle: jax.Array) -> jax.Array:
    half = 0.5 * angle
    return jnp.stack([jnp.cos(half), jnp.zeros_like(half), jnp.sin(half), jnp.zeros_like(half)])


def _rotate(quat: jax.Array, vector: jax.Array) -> jax.Array:
    """R(quat) · vector for a unit (w, x, y, z) quaternion."""
    w, u = quat[0], quat[1:]
    return vector + 2.0 * jnp.cross(u, jnp.cross(u, vector) + w * vector)


@dataclasses.dataclass(frozen=True)
class TaskLayout:
    """How a mechanism's state and controls read in the task layout (the JAX engine's MJCF model of the task).

    kind "linear": q_task = Q q + q0 and v_task = V v, Q and V with orthonormal columns (signed
    permutations and planar rotations), so q = Qᵀ (q_task − q0) and v = Vᵀ v_task.
    kind "planar_body": a 6-dof floating body (q = [position, quaternion w,x,y,z], v = [linear velocity,
    world frame; angular velocity, body frame]) read as the task's planar body in the x–z plane:
    q_task = (x, z − height[, θ]) and v_task = (vx, vz[, ω_y]) with θ the rotation about +y (``rotation``);
    back, y = 0 and the body turns about y only.
    Controls: the backend's control = C · clip(action, low, high) (C = ``control``, rows per backend input),
    clipped as the JAX engine clips ``ctrl`` to the actuators' ctrlrange.
    """

    kind: str
    nq: int
    nv: int
    control: tuple  # (nu_backend, nu_task) rows
    low: tuple
    high: tuple
    q_map: tuple = ()
    q_offset: tuple = ()
    v_map: tuple = ()
    height: float = 0.0
    rotation: bool = False

    def __post_init__(self):
        if self.kind not in ("linear", "planar_body"):
            raise ValueError(f"TaskLayout kind must be 'linear' or 'planar_body', got {self.kind!r}")
        if self.kind == "linear":
            for name in ("q_map", "v_map"):
                m = np.asarray(getattr(self, name), dtype=float)
                if m.ndim != 2 or not np.allclose(m.T @ m, np.eye(m.shape[1]), atol=1e-9):
                    raise ValueError(f"TaskLayout.{name} must have orthonormal columns, got {m.tolist()}")

    @property
    def nu(self) -> int:
        return np.asarray(self.control).reshape(-1, len(self.low)).shape[1] if self.low else 0

    def to_task(self, q: jax.Array, v: jax.Array) -> tuple[jax.Array, jax.Array]:
        if self.kind == "linear":
            return (jnp.asarray(np.asarray(self.q_map)) @ q + jnp.asarray(np.asarray(self.q_offset)),
                    jnp.asarray(np.asarray(self.v_map)) @ v)
        quat = q[3:7] / jnp.linalg.norm(q[3:7])
        position = jnp.stack([q[0], q[2] - self.height])
        velocity = jnp.stack([v[0], v[2]])
        if not self.rotation:
            return position, velocity
        theta = rotation_vector_from_quaternion(quat)[1]
        omega_y = _rotate(quat, v[3:6])[1]  # world-frame rate about y
        return jnp.concatenate([position, theta[None]]), jnp.concatenate([velocity, omega_y[None]])

    def from_task(self, q: jax.Array, v: jax.Array) -> tuple[jax.Array, jax.Array]:
        if self.kind == "linear":
            return (jnp.asarray(np.asarray(self.q_map)).T @ (q - jnp.asarray(np.asarray(self.q_offset))),
                    jnp.asarray(np.asarray(self.v_map)).T @ v)
        zero = jnp.zeros_like(q[0])
        theta = q[2] if self.rotation else zero
        omega = v[2] if self.rotation else zero
        return (jnp.concatenate([jnp.stack([q[0], zero, q[1] + self.height]), _quaternion_about_y(theta)]),
                jnp.stack([v[0], zero, v[1], zero, omega, zero]))

    def control_of(self, action: jax.Array) -> jax.Array:
        low, high = jnp.asarray(np.asarray(self.low, float)), jnp.asarray(np.asarray(self.high, float))
        return jnp.asarray(np.asarray(self.control, float).reshape(-1, len(self.low))) @ jnp.clip(action, low, high)

    def bounds(self) -> tuple[jax.Array, jax.Array]:
        return jnp.asarray(np.asarray(self.low, float)), jnp.asarray(np.asarray(self.high, float))


def identity_task_layout(nq: int, nv: int, nu: int) -> TaskLayout:
    """The task layout of a mechanism whose own layout is the task's (e.g. Dojo's pendulum)."""
    eye = lambda n: tuple(map(tuple, np.eye(n)))
    return TaskLayout("linear", nq, nv, control=eye(nu), low=(-np.inf,) * nu, high=(np.inf,) * nu,
                      q_map=eye(nq), q_offset=(0.0,) * nq, v_map=eye(nv))


def planar_body_task_layout(height: float, rotation: bool, inputs: tuple) -> TaskLayout:
    """A Dojo floating body (sphere, block) as the JAX engine's planar ball/block: ``inputs`` are the indices,
    in the body's 6 inputs [force world; torque body], of the task's actuators (ball: force x, z; block: x)."""
    control = np.zeros((6, len(inputs)))
    control[list(inputs), np.arange(len(inputs))] = 1.0
    n = 3 if rotation else 2
    return TaskLayout("planar_body", n, n, control=tuple(map(tuple, control)), low=(-np.inf,) * len(inputs),
                      high=(np.inf,) * len(inputs), height=float(height), rotation=bool(rotation))


def robot_task_layout(model, layout: Layout, translation_masks, rotation_masks) -> TaskLayout:
    """A Dojo robot (hopper, halfcheetah, ant) in the layout of the MuJoCo model ``model`` of the same robot
    (gymnasium's MJCF, the JAX engine's): joints are paired in order, Dojo's 0-dimensional (fixed) joints
    skipped, and every pair must be of matching kinds:

    * a Dojo planar base (3 coordinates: 2 translations, 1 rotation; ``PlanarAxis``) with MuJoCo's
      slide, slide, hinge of the root body: Dojo's translation coordinates are N·d, N = ``translation_masks[j]``
      (2×3, Dojo's ``nullspace_mask``, rows from ``orthogonal_rows(axis)``, src/joints/orthogonal.jl, i.e.
      an SVD: their signs are read from Dojo, not assumed) with d the base's displacement in the world;
      a slide along e reads e·Nᵀ t + qpos0 − e·body_pos; the hinge reads (a·g) θ + qpos0 with a Dojo's
      rotation axis (``rotation_masks[j]``, 1×3) and g MuJoCo's ``jnt_axis``;
    * a Dojo floating base (6) with MuJoCo's free joint: the same numbers (pydojo's Dojo layout is
      MuJoCo's free-joint layout, ``pydojo.backends.dojo``);
    * a Dojo revolute joint (1) with a MuJoCo hinge: (a·g) θ + qpos0.

    Dojo's coordinate 0 is taken to be MuJoCo's qpos0 (both models' rest pose). Actions are MuJoCo's
    ``ctrl``: a motor of gear k on a joint paired with Dojo joint i is Dojo's input (a·g)·k·ctrl there
    (the base is not actuated: ``UNACTUATED_BASE``, pydojo's controls are the other joints' inputs).
    Written against Dojo v0.7.1's source (src/joints/joint.jl:61-64 nullspace_mask, src/joints/
    translational/minimal.jl, src/joints/rotational/minimal.jl:62-67, 103-118); not run against Dojo (no
    Julia where it was written): it is exercised with masks computed as Dojo's orthogonal_rows computes them.
    """
    import mujoco

    free, slide, hinge = (int(mujoco.mjtJoint.mjJNT_FREE), int(mujoco.mjtJoint.mjJNT_SLIDE),
                          int(mujoco.mjtJoint.mjJNT_HINGE))
    nq, nv = int(model.nq), int(model.nv)
    if (nq, nv) != (layout.nq, layout.nv):
        raise ValueError(f"the MuJoCo model has nq, nv = {nq}, {nv}; the Dojo mechanism {layout.nq}, {layout.nv}")
    q_map, v_map, q0 = np.zeros((nq, nq)), np.zeros((nv, nv)), np.zeros(nq)
    input_of_joint = {}  # MuJoCo joint id -> (pydojo input index, sign)
    j_mj, iq, iv, iu = 0, 0, 0, 0  # next MuJoCo joint; offsets in pydojo's q, v and (actuated) inputs

    def axis_sign(a, g, where):
        a, g = np.asarray(a, float).reshape(3), np.asarray(g, float).reshape(3)
        dot = float(a @ g) / (np.linalg.norm(a) * np.linalg.norm(g))
        if abs(abs(dot) - 1.0) > 1e-6:
            raise ValueError(f"{where}: Dojo's rotation axis {a.tolist()} and MuJoCo's {g.tolist()} are not parallel")
        return float(np.sign(dot))

    for index, (dim, floating) in enumerate(zip(layout.dimensions, layout.floating)):
        if dim == 0:
            continue
        if j_mj >= model.njnt:
            raise ValueError(f"Dojo joint {index} has no MuJoCo counterpart (MuJoCo has {model.njnt} joints)")
        kinds = [int(k) for k in model.jnt_type[j_mj:j_mj + 3]]
        if floating:
            if kinds[0] != free:
                raise ValueError(f"Dojo joint {index} is floating; MuJoCo joint {j_mj} is not a free joint")
            qa, va = int(model.jnt_qposadr[j_mj]), int(model.jnt_dofadr[j_mj])
            q_map[qa:qa + 7, iq:iq + 7] = np.eye(7)
            v_map[va:va + 6, iv:iv + 6] = np.eye(6)
            j_mj, iq, iv = j_mj + 1, iq + 7, iv + 6
        elif dim == 3:
            if kinds != [slide, slide, hinge]:
                raise ValueError(f"Dojo joint {index} is a planar base; MuJoCo joints {j_mj}..{j_mj + 2} are not "
                                 "slide, slide, hinge")
            basis = np.asarray(translation_masks[index], float).reshape(2, 3)
            axis = np.asarray(rotation_masks[index], float).reshape(1, 3)
            body_pos = np.asarray(model.body_pos[model.jnt_bodyid[j_mj]], float)
            for k in range(2):
                j = j_mj + k
                e = np.asarray(model.jnt_axis[j], float)
                qa, va = int(model.jnt_qposadr[j]), int(model.jnt_dofadr[j])
                q_map[qa, iq:iq + 2] = basis @ e
                v_map[va, iv:iv + 2] = basis @ e
                q0[qa] = float(model.qpos0[qa]) - float(e @ body_pos)
            j = j_mj + 2
            sign = axis_sign(axis, model.jnt_axis[j], f"Dojo joint {index} (planar base)")
            qa, va = int(model.jnt_qposadr[j]), int(model.jnt_dofadr[j])
            q_map[qa, iq + 2], v_map[va, iv + 2], q0[qa] = sign, sign, float(model.qpos0[qa])
            j_mj, iq, iv = j_mj + 3, iq + 3, iv + 3
        elif dim == 1:
            if kinds[0] != hinge:
                raise ValueError(f"Dojo joint {index} is a revolute joint; MuJoCo joint {j_mj} is not a hinge")
            sign = axis_sign(rotation_masks[index], model.jnt_axis[j_mj], f"Dojo joint {index}")
            qa, va = int(model.jnt_qposadr[j_mj]), int(model.jnt_dofadr[j_mj])
            q_map[qa, iq], v_map[va, iv], q0[qa] = sign, sign, float(model.qpos0[qa])
            input_of_joint[j_mj] = (iu, sign)
            j_mj, iq, iv, iu = j_mj + 1, iq + 1, iv + 1, iu + 1
        else:
            raise ValueError(f"Dojo joint {index} has {dim} dimensions: only planar bases (3), floating bases (6) "
                             "and revolute joints (1) are paired with MuJoCo joints")
    if j_mj != model.njnt:
        raise ValueError(f"MuJoCo joints {j_mj}..{model.njnt - 1} have no Dojo counterpart")
    transmission = int(mujoco.mjtTrn.mjTRN_JOINT)
    control = np.zeros((iu, model.nu))
    for k in range(model.nu):
        if int(model.actuator_trntype[k]) != transmission or int(model.actuator_trnid[k, 0]) not in input_of_joint:
            raise ValueError(f"MuJoCo actuator {k} does not drive a joint the Dojo mechanism actuates")
        row, sign = input_of_joint[int(model.actuator_trnid[k, 0])]
        control[row, k] = sign * float(model.actuator_gear[k, 0])
    limited = np.asarray(model.actuator_ctrllimited, bool)
    low, high = np.asarray(model.actuator_ctrlrange, float).reshape(-1, 2).T
    return TaskLayout("linear", nq, nv, control=tuple(map(tuple, control)),
                      low=tuple(np.where(limited, low, -np.inf)), high=tuple(np.where(limited, high, np.inf)),
                      q_map=tuple(map(tuple, q_map)), q_offset=tuple(q0), v_map=tuple(map(tuple, v_map)))
