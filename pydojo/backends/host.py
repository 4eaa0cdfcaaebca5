"""Backends whose step runs on the host, outside XLA: the one callback path they all take.

A host backend steps its mechanism in its own minimal coordinates x (per joint: coordinates, then
velocities; ``pydojo.backends.dojo_layout.Layout``) with a host function that returns the next
state and, on request, the Jacobians ∂x⁺/∂x and ∂x⁺/∂u. ``host_step_function`` makes that a JAX
function: ``jax.pure_callback`` for the values (jit-able; vmap runs it sequentially) and
``jax.custom_vjp`` feeding the host's Jacobians to reverse mode. The Dojo.jl backend
(``pydojo.backends.dojo``) is one; a subclass supplies ``make_system``, ``host_step`` and
``host_distances``, everything else (states, μ_sc from a schedule, ψ, the task layout) is here.

Not differentiated: μ_sc's dependence on the state (the JAX engine's ``mu_gradient="constant"``),
the parameters ψ (``param_gradients = False``: model fitting by random search only) and the contact
outputs (φ, γ, friction impulses). The contact distances of an initial state (``init``) are
evaluated with ``stop_gradient``.
"""
from __future__ import annotations

from typing import Any, Optional

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pydojo.backends.base import AbstractBackend
from pydojo.backends.dojo_layout import Layout, TaskLayout, minimal_from_state, state_from_minimal
from pydojo.engine.params import Params
from pydojo.engine.state import SolverStats, State


class _Handle:
    """A Python value kept out of JAX's sight (hash and equality by identity)."""

    def __init__(self, value: Any):
        self.value = value


class HostSystem(eqx.Module):
    """One mechanism of a host backend. All fields but ψ are static (jit treats them as constants).

    params: ψ as ``pydojo.engine.Params``: ``body_mass`` (n_bodies + 1,), entry 0 standing for the world
    (MuJoCo's body 0; not used), entry i the backend's body i (``body_names``); ``friction`` the friction
    coefficient(s) the backend exposes; the other fields are empty where the backend has none.
    """

    name: str = eqx.field(static=True)
    mechanism: str = eqx.field(static=True)
    keywords: tuple = eqx.field(static=True)
    layout: Layout = eqx.field(static=True)
    timestep: float = eqx.field(static=True)
    n_contacts: int = eqx.field(static=True)
    n_directions: int = eqx.field(static=True)
    actuation: tuple = eqx.field(static=True)  # rows of the (n_inputs, nu) matrix from controls to all inputs
    task: TaskLayout = eqx.field(static=True)
    info: _Handle = eqx.field(static=True)
    handle: Any = eqx.field(static=True)
    params: Params

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
        """The joints in minimal-state order (the order of q and v for non-floating joints)."""
        return list(self.info.value.get("joint_names", ()))

    @property
    def body_names(self) -> list[str]:
        """The bodies, in the order of ``params.body_mass[1:]``."""
        return list(self.info.value.get("body_names", ()))

    def with_params(self, params: Params) -> "HostSystem":
        for field in Params.__dataclass_fields__:
            new, old = jnp.shape(getattr(params, field)), jnp.shape(getattr(self.params, field))
            if new != old:
                raise ValueError(f"Params.{field} has shape {new}, this system needs {old}")
        return eqx.tree_at(lambda s: s.params, self, params)


def host_params(body_masses, friction) -> Params:
    """ψ of a host system: body masses (world entry 0 prepended) and friction coefficient(s)."""
    empty = jnp.zeros(0)
    return Params(body_mass=jnp.concatenate([jnp.zeros(1), jnp.asarray(body_masses, dtype=jnp.float64)]),
                  body_inertia=jnp.zeros((0, 3)), friction=jnp.asarray(friction, dtype=jnp.float64).reshape(-1),
                  damping=empty, stiffness=empty, gear=empty)


def host_step_function(host, shapes):
    """A JAX step x_next, aux = f(x, u, mu, *extra) around a host (non-JAX) step with known Jacobians.

    ``host(x, u, mu, gradients, *extra)`` returns NumPy values matching ``shapes(gradients)``:
    (x_next, *aux) and, with gradients=True, two more, ∂x_next/∂x and ∂x_next/∂u. The
    reverse mode uses those Jacobians (``jax.custom_vjp``); μ and the ``extra`` operands (ψ) get zero
    cotangents. The host runs through ``jax.pure_callback`` (jit-able; vmap runs it sequentially).
    """

    def call(gradients, x, u, mu, *extra):
        return jax.pure_callback(lambda x_, u_, mu_, *e_: host(x_, u_, mu_, gradients, *e_), shapes(gradients),
                                 x, u, mu, *extra, vmap_method="sequential")

    @jax.custom_vjp
    def step_function(x, u, mu, *extra):
        out = call(False, x, u, mu, *extra)
        return out[0], tuple(out[1:])

    def forward(x, u, mu, *extra):
        out = call(True, x, u, mu, *extra)
        return (out[0], tuple(out[1:-2])), (out[-2], out[-1], mu, extra)

    def backward(residuals, cotangents):
        jacobian_state, jacobian_control, mu, extra = residuals
        ct_next = cotangents[0]
        return (ct_next @ jacobian_state, ct_next @ jacobian_control, jnp.zeros_like(mu),
                *(jnp.zeros_like(e) for e in extra))

    step_function.defvjp(forward, backward)
    return step_function


def step_shapes(system: HostSystem, gradients: bool):
    """Shapes of the host step's outputs: x_next, φ, γ, friction, result, iterations, residuals[, Jacobians]."""
    n, m, nc, nd = system.layout.n_minimal, system.layout.nv, system.n_contacts, system.n_directions
    f64, i32 = jnp.float64, jnp.int32
    shapes = [jax.ShapeDtypeStruct((n,), f64), jax.ShapeDtypeStruct((nc,), f64), jax.ShapeDtypeStruct((nc,), f64),
              jax.ShapeDtypeStruct((nc, nd), f64), jax.ShapeDtypeStruct((), i32), jax.ShapeDtypeStruct((), i32),
              jax.ShapeDtypeStruct((), f64), jax.ShapeDtypeStruct((), f64)]
    if gradients:
        shapes += [jax.ShapeDtypeStruct((n, n), f64), jax.ShapeDtypeStruct((n, m), f64)]
    return tuple(shapes)


class HostBackend(AbstractBackend):
    """The shared part of the host backends (module docstring). Subclasses implement:

    * ``make_system(name, **options) -> HostSystem``;
    * ``host_step(system, x, u, mu, body_masses, friction, gradients) -> dict`` with NumPy values
      next_state (n,), phi (nc,), gamma (nc,), friction (nc, nd), result, iterations, eq_residual,
      comp_residual and, with gradients, jacobian_state (n, n), jacobian_control (n, n_inputs); ``u`` is
      the full input vector (``actuation @ controls``), ``body_masses``/``friction`` are ψ's entries;
    * ``host_distances(system, x) -> (nc,)`` contact signed distances at minimal state x.
    """

    name = "host"
    param_gradients = False
    randomized_smoothing = False

    def host_step(self, system: HostSystem, x, u, mu, body_masses, friction, gradients: bool) -> dict:
        raise NotImplementedError

    def host_distances(self, system: HostSystem, x) -> np.ndarray:
        raise NotImplementedError

    # --- states -----------------------------------------------------------------------------------

    def init(self, system: HostSystem, q, v) -> State:
        q, v = _vector("q", q, system.nq, self.name), _vector("v", v, system.nv, self.name)
        nc, nd = system.n_contacts, system.n_directions
        x = jax.lax.stop_gradient(minimal_from_state(system.layout, q, v))
        phi = jax.pure_callback(lambda x_: np.asarray(self.host_distances(system, np.asarray(x_)), np.float64),
                                jax.ShapeDtypeStruct((nc,), jnp.float64), x, vmap_method="sequential")
        zero_i = jnp.zeros((), jnp.int32)
        stats = SolverStats(iterations=zero_i, eq_residual=jnp.zeros(()), comp_residual=jnp.zeros(()), result=zero_i)
        return State(q=q, v=v, gamma=jnp.zeros(nc), friction=jnp.zeros((nc, nd)), phi=phi, mu=jnp.zeros(()),
                     stats=stats)

    def default_state(self, system: HostSystem) -> State:
        """The mechanism's default initial configuration (Dojo: ``initialize!``), at rest, in its own layout."""
        q, v = state_from_minimal(system.layout, jnp.asarray(system.info.value["initial_minimal_state"]))
        return self.init(system, q, v)

    # --- μ_sc ----------------------------------------------------------------------------------------

    def contact_state(self, system: HostSystem, state: State):
        """What a smoothing schedule sees. A host backend does not expose the contact-free predicted gap or
        the normal Delassus diagonal, so z = φ and compliance = 1 (distance-based schedules, eq. 7.1, are
        exact; the Gaussian form, eq. 5.1, sees the current distance instead of the predicted one)."""
        from pydojo.smoothing import ContactState

        return ContactState(phi=state.phi, gamma=state.gamma, z=state.phi, compliance=jnp.ones_like(state.phi))

    def schedule_mu(self, system: HostSystem, state: State, schedule: Any) -> jax.Array:
        """Scalar μ_sc: a number, or schedule.mu(contact state) (per-contact values: their maximum)."""
        if not hasattr(schedule, "mu"):
            mu = jnp.asarray(schedule, dtype=jnp.float64)
            if mu.ndim != 0:
                raise ValueError(f"schedule must be a scalar μ_sc or a pydojo.smoothing schedule, got shape {mu.shape}")
            return mu
        from pydojo.smoothing.randomized import RandomizedSmoothing

        if isinstance(schedule, RandomizedSmoothing):  # it perturbs φ with a key the host step never sees
            raise ValueError(f"randomized smoothing is not supported by the {self.name} backend; "
                             "use backend=jax")
        return jnp.max(jnp.asarray(schedule.mu(self.contact_state(system, state)), dtype=jnp.float64))

    # --- the step ------------------------------------------------------------------------------------

    def _host(self, system: HostSystem, x, u, mu, gradients, body_masses, friction):
        out = self.host_step(system, np.asarray(x, np.float64), np.asarray(u, np.float64), float(mu),
                             np.asarray(body_masses, np.float64), np.asarray(friction, np.float64), gradients)
        nc, nd = system.n_contacts, system.n_directions
        values = [np.asarray(out["next_state"], np.float64), np.asarray(out["phi"], np.float64).reshape(nc),
                  np.asarray(out["gamma"], np.float64).reshape(nc),
                  np.asarray(out["friction"], np.float64).reshape(nc, nd), np.int32(out["result"]),
                  np.int32(out["iterations"]), np.float64(out["eq_residual"]), np.float64(out["comp_residual"])]
        if gradients:
            values += [np.asarray(out["jacobian_state"], np.float64), np.asarray(out["jacobian_control"], np.float64)]
        return tuple(values)

    def step_function(self, system: HostSystem):
        """The step in minimal coordinates: (x, u_full, mu, body masses, friction) -> (x_next, aux)."""
        return host_step_function(lambda x, u, mu, gradients, m, f: self._host(system, x, u, mu, gradients, m, f),
                                  lambda gradients: step_shapes(system, gradients))

    def step(self, system: HostSystem, state: State, u, schedule: Any = 1e-8, key: Optional[jax.Array] = None, *,
             throw: bool = True) -> State:
        """One step (``key`` is unused: randomized schedules are refused by ``schedule_mu``)."""
        u = _vector("u", u, system.nu, self.name)
        mu = self.schedule_mu(system, state, schedule)
        mu = eqx.error_if(mu, ~(jnp.isfinite(mu) & (mu >= 0)), f"{self.name} backend: μ_sc must be finite and >= 0")
        x = minimal_from_state(system.layout, state.q, state.v)
        u_full = jnp.asarray(np.array(system.actuation).reshape(-1, system.nu)) @ u
        x_next, (phi, gamma, friction, result, iterations, eq_res, comp_res) = self.step_function(system)(
            x, u_full, mu, system.params.body_mass[1:], system.params.friction)
        if throw:
            x_next = eqx.error_if(x_next, result != 0, f"{self.name} backend: the contact solve failed "
                                                       "(pass throw=False to get the result code instead)")
        q, v = state_from_minimal(system.layout, x_next)
        stats = SolverStats(iterations=iterations, eq_residual=eq_res, comp_residual=comp_res, result=result)
        return State(q=q, v=v, gamma=gamma, friction=friction, phi=phi, mu=mu, stats=stats)

    # --- the task layout -------------------------------------------------------------------------------

    def task_state(self, system: HostSystem, state: State) -> State:
        q, v = system.task.to_task(state.q, state.v)
        return eqx.tree_at(lambda s: (s.q, s.v), state, (q, v))

    def backend_qv(self, system: HostSystem, q, v):
        return system.task.from_task(jnp.asarray(q, jnp.float64), jnp.asarray(v, jnp.float64))

    def backend_control(self, system: HostSystem, action):
        return system.task.control_of(action)

    def task_action_size(self, system: HostSystem) -> int:
        return len(system.task.low)

    def action_bounds(self, system: HostSystem):
        return system.task.bounds()

    def default_qv(self, system: HostSystem):
        state = self.task_state(system, self.default_state(system))
        return state.q, jnp.zeros_like(state.v)


def _vector(name: str, x, size: int, backend: str) -> jax.Array:
    x = jnp.asarray(x, dtype=jnp.float64)
    if x.shape != (size,):
        raise ValueError(f"{name} has shape {x.shape}, expected ({size},)")
    return eqx.error_if(x, ~jnp.all(jnp.isfinite(x)), f"{backend} backend: {name} contains NaN or Inf")
