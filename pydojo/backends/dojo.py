"""The Dojo.jl backend: Dojo v0.7.1 mechanisms stepped through juliacall, same interface as the JAX engine.

Each step solves Dojo's one-step simulation problem (barrier-smoothing paper, eqs. 2.3–2.5, Dojo's
nonlinear-cone variant) to the central path at μ_sc (``PyDojoBridge.step_minimal!``, see
julia/src/central_path.jl), and gradients come from Dojo's implicit-function-theorem
Jacobians at that solution, fed to JAX through ``jax.custom_vjp`` + ``jax.pure_callback``.
μ_sc's own dependence on the state is not differentiated (Dojo's convention; the JAX
engine's ``mu_gradient="constant"``).

Importing this module never starts Julia; ``make_system`` does (``pydojo.backends._julia``),
and raises ``JuliaUnavailableError`` with install instructions where Julia cannot start.

State layout (``pydojo.engine.state.State``), built from Dojo's minimal state, which lists
per joint (in ``mechanism.joints`` order) its coordinates, then its velocities:

* a 6-dof floating joint (sphere, block, ant's torso) becomes MuJoCo's free-joint layout:
  q ← [position (3), quaternion w,x,y,z (4)] from Dojo's [position, rotation vector];
  v ← [linear velocity, world frame (3), angular velocity, body frame (3)] (Dojo v0.7.1's
  minimal rotational velocity ω of a child of the origin is body-frame, q(t−h) = q(t)·exp(−hω/2)
  as a quaternion, src/joints/rotational/minimal.jl:103-118, src/joints/minimal.jl:111;
  its maximal ω15 is the Cayley-map rate (2/h)·sin(h|ω|/2)·ω/|ω|);
* every other joint (pendulum hinge, hopper/halfcheetah planar base and hinges, ant hips
  and ankles): its coordinates go to q and its velocities to v unchanged.
So "sphere"/"block" states are those of a MuJoCo body with one free joint; pendulum's is a
hinge. Hopper, halfcheetah and ant are Dojo's own URDF models (not gymnasium's MJCF): their
q, v follow Dojo's joint order, listed in ``system.joint_names``.

Environments (``pydojo.envs.make(name, backend="dojo")``, ``pydojo-train ... backend=dojo``) read these
states in their task layout (``pydojo.backends.base``), converted in one place,
``pydojo.backends.dojo_layout`` (``task_layout``): sphere and block as the JAX engine's planar ball and
block, hopper/halfcheetah/ant as gymnasium's qpos/qvel with actions in its ctrl units (gear, ctrlrange),
from the joint masks Dojo reports. The step is ``pydojo.backends.host.HostBackend``'s callback path.
ψ (model fitting, eq. 4.1): body masses and the ground friction, set in Julia before each step
(PyDojoBridge.set_parameters!); no derivative in ψ (model fitting by random search). The task layouts,
ψ and the sphere/block size keywords were written against Dojo v0.7.1's source and have not run
against Dojo (no Julia where they were written).

Controls: forces/torques on the actuated joints — all inputs of sphere, block and
pendulum; for hopper, halfcheetah and ant every joint except the floating base (whose
inputs Dojo exposes but a robot cannot actuate; they are held at zero). Frames: ``u`` is
dual to ``v``, so a floating joint's inputs are [force, world frame; torque, BODY frame]
(MuJoCo's free-joint convention). Dojo v0.7.1 takes that torque in the world frame
(src/joints/rotational/input.jl:14); ``dojo_layout.dojo_inputs`` converts it, in the host
step only, and Dojo's control Jacobian is chained with the same matrix. Other joints' inputs
are Dojo's joint-frame forces/torques unchanged.
"""
from __future__ import annotations

from typing import Any

import jax
import numpy as np

from pydojo.backends.host import (  # noqa: F401  (host_step_function re-exported: the callback path)
    HostBackend,
    HostSystem,
    _Handle,
    host_params,
    host_step_function,
    step_shapes,
)
from pydojo.engine.state import State

from pydojo.backends.dojo_layout import (  # noqa: F401  (re-exported: the backend's public helpers)
    MECHANISMS,
    OPTION_KEYWORDS,
    MECHANISM_OPTIONS,
    FRICTION_CONES,
    UNACTUATED_BASE,
    SOLVER_OPTIONS,
    dojo_mechanism_options,
    solver_options,
    quaternion_from_rotation_vector,
    rotation_vector_from_quaternion,
    rotation_matrix_from_rotation_vector,
    dojo_inputs,
    Layout,
    TaskLayout,
    layout_from_info,
    minimal_from_state,
    state_from_minimal,
    actuation_matrix,
    identity_task_layout,
    planar_body_task_layout,
    robot_task_layout,
)

DojoSystem = HostSystem  # one Dojo mechanism (HostSystem's fields; ``handle`` keeps it on the Julia thread)


def task_layout(name: str, mechanism: str, layout: Layout, info: dict, keywords: dict) -> TaskLayout:
    """The task layout of Dojo mechanism ``mechanism`` built for pydojo environment ``name``
    (``pydojo.backends.base``): sphere as the planar ball (x, z of its lowest point, pitch θ), block as the
    planar block (x, z of its bottom face), hopper/halfcheetah/ant as gymnasium's MJCF (``robot_task_layout``,
    from the joint masks Dojo reports), pendulum as itself. Not run against Dojo (no Julia where it was
    written); the conversions are tested with synthetic layouts in tests/backends/test_dojo_task_layout.py."""
    if mechanism == "sphere":
        return planar_body_task_layout(keywords.get("radius", 0.5), rotation=True, inputs=(0, 2))
    if mechanism == "block":
        return planar_body_task_layout(0.5 * keywords.get("edge_length", 0.5), rotation=False, inputs=(0,))
    if mechanism in UNACTUATED_BASE:
        from pydojo.engine.models import load_gymnasium

        return robot_task_layout(load_gymnasium(mechanism), layout, info["joint_translation_masks"],
                                 info["joint_rotation_masks"])
    actuated = np.array(actuation_matrix(mechanism, layout))
    return identity_task_layout(layout.nq, layout.nv, actuated.shape[1])


def _julia_step(system: DojoSystem, options: dict, gradients: bool, x, u, mu, body_masses=None, friction=None):
    """Host side of the callback: one PyDojoBridge.step_minimal! call (u: pydojo frames, see above), after
    setting ψ (body masses, ground friction) when given."""
    from pydojo.backends import _julia

    x = np.asarray(x, dtype=np.float64)
    u_dojo, frames = dojo_inputs(system.layout, x, u)
    params = None if body_masses is None else (np.asarray(body_masses, np.float64), np.asarray(friction, np.float64))
    out = _julia.step(system.handle, x, u_dojo, float(mu), options, gradients, params)
    if gradients:
        out["jacobian_control"] = out["jacobian_control"] @ frames
    return out


def dojo_step_function(system: DojoSystem, options: dict):
    """Dojo's step in minimal coordinates: (x, u_full, mu) -> (x_next, (phi, gamma, friction, stats...)), ψ as built."""
    backend = DojoBackend(**options)
    step = backend.step_function(system)
    return lambda x, u, mu: step(x, u, mu, system.params.body_mass[1:], system.params.friction)


class DojoBackend(HostBackend):
    """Dojo.jl through juliacall; ``options`` are CentralPathOptions (rtol, comp_rtol, comp_atol, max_iter, max_ls).

    ψ (``system.params``): ``body_mass[i]`` is Dojo's body i (``mechanism.bodies`` order, ``system.body_names``;
    entry 0 stands for the origin), ``friction[0]`` the friction coefficient of every contact (Dojo's
    ``friction_coefficient`` keyword); set in Julia before each step (PyDojoBridge.set_parameters!, untested).
    """

    name = "dojo"

    def __init__(self, **options: Any):
        self.options = solver_options(**options)

    def start(self) -> None:
        """Start Julia and load PyDojoBridge, or raise JuliaUnavailableError (a BackendUnavailableError)."""
        from pydojo.backends import _julia

        _julia.julia()

    def options_for(self, name: str):
        return MECHANISM_OPTIONS.get(MECHANISMS.get(name, ""), ())

    def make_system(self, name: str, **options: Any) -> DojoSystem:
        mechanism, keywords = dojo_mechanism_options(name, **options)
        from pydojo.backends import _julia  # starts Julia (or raises JuliaUnavailableError)

        handle, info = _julia.make_mechanism(mechanism, keywords)
        layout = layout_from_info(info["joint_names"], info["joint_dimensions"])
        if layout.n_minimal != info["minimal_dimension"] or layout.nv != info["input_dimension"]:
            raise RuntimeError(f"Dojo's {mechanism}: unexpected dimensions {info}")
        actuation = actuation_matrix(mechanism, layout)
        return DojoSystem(name=name, mechanism=mechanism, keywords=tuple(sorted(keywords.items())), layout=layout,
                          timestep=info["timestep"], n_contacts=info["n_contacts"],
                          n_directions=info["friction_dimension"], actuation=tuple(map(tuple, actuation)),
                          task=task_layout(name, mechanism, layout, info, keywords), info=_Handle(info),
                          handle=handle, params=host_params(info["body_masses"], [info["friction_coefficient"]]))

    def host_step(self, system: DojoSystem, x, u, mu, body_masses, friction, gradients: bool) -> dict:
        return _julia_step(system, self.options, gradients, x, u, mu, body_masses, friction)

    def host_distances(self, system: DojoSystem, x) -> np.ndarray:
        from pydojo.backends import _julia

        return _julia.contact_distances(system.handle, np.asarray(x, np.float64))

    def step_trace(self, system: DojoSystem, state: State, u, mu: float) -> dict:
        """One step outside JAX, returning the per-iteration solver trace (for pydojo.debug_solver)."""
        from pydojo.backends import _julia

        u_full = np.array(system.actuation) @ np.asarray(_vector("u", u, system.nu))
        x = np.asarray(minimal_from_state(system.layout, state.q, state.v))
        return _julia.step(system.handle, x, dojo_inputs(system.layout, x, u_full)[0], float(mu), self.options, False)


def _vector(name: str, x, size: int) -> jax.Array:
    from pydojo.backends.host import _vector as checked

    return checked(name, x, size, "dojo")
