"""The Dojo.jl backend: Dojo v0.7.1 mechanisms stepped through juliacall, same interface as the JAX engine.

Each step solves Dojo's one-step simulation problem (contact seed eqs. 2.3–2.5, Dojo's
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

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.backends.base import AbstractBackend
from pydojo.engine.state import SolverStats, State

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
    layout_from_info,
    minimal_from_state,
    state_from_minimal,
    actuation_matrix,
)


class _Handle:
    """A Python value kept out of JAX's sight (hash and equality by identity)."""

    def __init__(self, value: Any):
        self.value = value


class DojoSystem(eqx.Module):
    """One Dojo mechanism (all fields static: jit treats it as a constant)."""

    name: str = eqx.field(static=True)
    mechanism: str = eqx.field(static=True)
    keywords: tuple = eqx.field(static=True)
    layout: Layout = eqx.field(static=True)
    timestep: float = eqx.field(static=True)
    n_contacts: int = eqx.field(static=True)
    n_directions: int = eqx.field(static=True)
    actuation: tuple = eqx.field(static=True)  # rows of actuation_matrix, as tuples
    info: _Handle = eqx.field(static=True)
    handle: Any = eqx.field(static=True)  # _julia.Handle: the Julia mechanism stays on the Julia thread

    @property
    def nq(self) -> int:
        return self.layout.nq

    @property
    def nv(self) -> int:
        return self.layout.nv

    @property
    def nu(self) -> int:
        return len(self.actuation[0]) if self.actuation else 0

    @property
    def joint_names(self) -> list[str]:
        """Dojo's joints in minimal-state order (the order of q and v for non-floating joints)."""
        return list(self.info.value["joint_names"])


# --- the step as a JAX function ---------------------------------------------------------------


def _step_shapes(system: DojoSystem, gradients: bool):
    n, m, nc, nd = system.layout.n_minimal, system.layout.nv, system.n_contacts, system.n_directions
    f64, i32 = jnp.float64, jnp.int32
    shapes = [jax.ShapeDtypeStruct((n,), f64), jax.ShapeDtypeStruct((nc,), f64), jax.ShapeDtypeStruct((nc,), f64),
              jax.ShapeDtypeStruct((nc, nd), f64), jax.ShapeDtypeStruct((), i32), jax.ShapeDtypeStruct((), i32),
              jax.ShapeDtypeStruct((), f64), jax.ShapeDtypeStruct((), f64)]
    if gradients:
        shapes += [jax.ShapeDtypeStruct((n, n), f64), jax.ShapeDtypeStruct((n, m), f64)]
    return tuple(shapes)


def _julia_step(system: DojoSystem, options: dict, gradients: bool, x, u, mu):
    """Host side of the callback: one PyDojoBridge.step_minimal! call (u: pydojo frames, see above)."""
    from pydojo.backends import _julia

    x = np.asarray(x, dtype=np.float64)
    u_dojo, frames = dojo_inputs(system.layout, x, u)
    out = _julia.step(system.handle, x, u_dojo, float(mu), options, gradients)
    nc, nd = system.n_contacts, system.n_directions
    values = [out["next_state"], out["phi"], out["gamma"], out["friction"].reshape(nc, nd),
              np.int32(out["result"]), np.int32(out["iterations"]), np.float64(out["eq_residual"]),
              np.float64(out["comp_residual"])]
    if gradients:
        values += [out["jacobian_state"], out["jacobian_control"] @ frames]
    return tuple(values)


def host_step_function(host, shapes):
    """A JAX step x_next, aux = f(x, u, mu) around a host (non-JAX) step with known Jacobians.

    ``host(x, u, mu, gradients)`` returns NumPy values matching ``shapes(gradients)``:
    (x_next, *aux) and, with gradients=True, two more, ∂x_next/∂x and ∂x_next/∂u. The
    reverse mode uses those Jacobians (``jax.custom_vjp``); μ gets a zero cotangent. The
    host runs through ``jax.pure_callback`` (jit-able; vmap runs it sequentially).
    """

    def call(gradients, x, u, mu):
        return jax.pure_callback(lambda x_, u_, mu_: host(x_, u_, mu_, gradients), shapes(gradients), x, u, mu,
                                 vmap_method="sequential")

    @jax.custom_vjp
    def step_function(x, u, mu):
        out = call(False, x, u, mu)
        return out[0], tuple(out[1:])

    def forward(x, u, mu):
        out = call(True, x, u, mu)
        return (out[0], tuple(out[1:-2])), (out[-2], out[-1], mu)

    def backward(residuals, cotangents):
        jacobian_state, jacobian_control, mu = residuals
        ct_next = cotangents[0]
        return ct_next @ jacobian_state, ct_next @ jacobian_control, jnp.zeros_like(mu)

    step_function.defvjp(forward, backward)
    return step_function


def dojo_step_function(system: DojoSystem, options: dict):
    """Dojo's step in minimal coordinates: (x, u_full, mu) -> (x_next, (phi, gamma, friction, stats...))."""
    return host_step_function(lambda x, u, mu, gradients: _julia_step(system, options, gradients, x, u, mu),
                              lambda gradients: _step_shapes(system, gradients))


class DojoBackend(AbstractBackend):
    """Dojo.jl through juliacall; ``options`` are CentralPathOptions (rtol, comp_rtol, comp_atol, max_iter, max_ls)."""

    name = "dojo"

    def __init__(self, **options: Any):
        self.options = solver_options(**options)

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
                          info=_Handle(info), handle=handle)

    def default_state(self, system: DojoSystem) -> State:
        """Dojo's default initial configuration of the mechanism (``initialize!``)."""
        q, v = state_from_minimal(system.layout, jnp.asarray(system.info.value["initial_minimal_state"]))
        return self.init(system, q, v)

    def init(self, system: DojoSystem, q, v) -> State:
        q, v = _vector("q", q, system.nq), _vector("v", v, system.nv)
        from pydojo.backends import _julia

        x = np.asarray(minimal_from_state(system.layout, q, v))
        phi = _julia.contact_distances(system.handle, x)
        nc, nd = system.n_contacts, system.n_directions
        zero_i = jnp.zeros((), jnp.int32)
        stats = SolverStats(iterations=zero_i, eq_residual=jnp.zeros(()), comp_residual=jnp.zeros(()), result=zero_i)
        return State(q=q, v=v, gamma=jnp.zeros(nc), friction=jnp.zeros((nc, nd)), phi=jnp.asarray(phi),
                     mu=jnp.zeros(()), stats=stats)

    def contact_state(self, system: DojoSystem, state: State):
        """What a smoothing schedule sees. Dojo does not expose the contact-free predicted gap or the
        normal Delassus diagonal, so z = φ and compliance = 1 (distance-based schedules, eq. 7.1, are exact;
        the Gaussian form, eq. 5.1, sees the current distance instead of the predicted one)."""
        from pydojo.smoothing import ContactState

        return ContactState(phi=state.phi, gamma=state.gamma, z=state.phi, compliance=jnp.ones_like(state.phi))

    def schedule_mu(self, system: DojoSystem, state: State, schedule: Any) -> jax.Array:
        """Scalar μ_sc: a number, or schedule.mu(contact state) (per-contact values: their maximum)."""
        if not hasattr(schedule, "mu"):
            mu = jnp.asarray(schedule, dtype=jnp.float64)
            if mu.ndim != 0:
                raise ValueError(f"schedule must be a scalar μ_sc or a pydojo.smoothing schedule, got shape {mu.shape}")
            return mu
        if int(getattr(schedule, "n_samples", 1)) > 1:
            raise ValueError("randomized smoothing (n_samples > 1) is not supported by the dojo backend; use backend=jax")
        return jnp.max(jnp.asarray(schedule.mu(self.contact_state(system, state)), dtype=jnp.float64))

    def step(self, system: DojoSystem, state: State, u, schedule: Any = 1e-8) -> State:
        u = _vector("u", u, system.nu)
        mu = self.schedule_mu(system, state, schedule)
        mu = eqx.error_if(mu, ~(jnp.isfinite(mu) & (mu >= 0)), "dojo backend: μ_sc must be finite and >= 0")
        x = minimal_from_state(system.layout, state.q, state.v)
        u_full = jnp.asarray(np.array(system.actuation)) @ u
        x_next, (phi, gamma, friction, result, iterations, eq_res, comp_res) = dojo_step_function(
            system, self.options)(x, u_full, mu)
        q, v = state_from_minimal(system.layout, x_next)
        stats = SolverStats(iterations=iterations, eq_residual=eq_res, comp_residual=comp_res, result=result)
        return State(q=q, v=v, gamma=gamma, friction=friction, phi=phi, mu=mu, stats=stats)

    def step_trace(self, system: DojoSystem, state: State, u, mu: float) -> dict:
        """One step outside JAX, returning the per-iteration solver trace (for pydojo.debug_solver)."""
        from pydojo.backends import _julia

        u_full = np.array(system.actuation) @ np.asarray(_vector("u", u, system.nu))
        x = np.asarray(minimal_from_state(system.layout, state.q, state.v))
        return _julia.step(system.handle, x, dojo_inputs(system.layout, x, u_full)[0], float(mu), self.options, False)


def _vector(name: str, x, size: int) -> jax.Array:
    x = jnp.asarray(x, dtype=jnp.float64)
    if x.shape != (size,):
        raise ValueError(f"{name} has shape {x.shape}, expected ({size},)")
    return eqx.error_if(x, ~jnp.all(jnp.isfinite(x)), f"dojo backend: {name} contains NaN or Inf")
