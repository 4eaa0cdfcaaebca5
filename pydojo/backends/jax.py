"""The default backend: the embedded JAX contact engine (``pydojo.engine``) behind ``AbstractBackend``."""
from __future__ import annotations

from typing import Any, Callable, Optional

import jax
import jax.numpy as jnp
import mujoco
import numpy as np

from pydojo.backends.base import AbstractBackend
from pydojo.engine import System, init, load_gymnasium, make_system, rollout, step
from pydojo.engine.models import ball_mjcf, block_mjcf
from pydojo.engine.state import State

_ENGINE_OPTIONS = ("contacts", "joint_limits", "friction_cone", "n_directions", "max_contacts", "solver_options")
MODEL_BUILDERS: dict[str, Callable[..., mujoco.MjModel]] = {
    "ball": ball_mjcf,
    "block": block_mjcf,
    "hopper": lambda timestep=None: load_gymnasium("hopper", timestep),
    "halfcheetah": lambda timestep=None: load_gymnasium("halfcheetah", timestep),
    "ant": lambda timestep=None: load_gymnasium("ant", timestep),
}


def build_system(name: str, **options: Any) -> System:
    """``System`` of mechanism ``name``: model options (e.g. timestep, friction, incline) go to the MJCF
    builder, engine options (contacts, joint_limits, friction_cone, n_directions, solver_options) to
    ``make_system``."""
    if name not in MODEL_BUILDERS:
        raise ValueError(f"unknown mechanism {name!r}; valid names: {', '.join(sorted(MODEL_BUILDERS))}")
    engine = {k: options.pop(k) for k in _ENGINE_OPTIONS if k in options}
    try:
        model = MODEL_BUILDERS[name](**options)
    except TypeError as err:
        raise ValueError(f"bad model option(s) {sorted(options)} for {name!r}: {err}") from None
    return make_system(model, name=name, **engine)


class JaxBackend(AbstractBackend):
    """Hard-contact time stepping in JAX on MJCF models (barrier-smoothing paper, eqs. 2.3–2.5). Its layout is the task
    layout of the environments (their MJCF models), so the task-layout conversions are the identity."""

    name = "jax"

    def make_system(self, name: str, **options: Any) -> System:
        return build_system(name, **options)

    def init(self, system: System, q: jax.Array, v: jax.Array) -> State:
        return init(system, q, v)

    def step(self, system: System, state: State, u: jax.Array, schedule: Any = 1e-8,
             key: Optional[jax.Array] = None, *, throw: bool = True) -> State:
        return step(system, state, u, schedule, key, throw=throw)

    def rollout(self, system: System, state: State, controls: jax.Array, schedule: Any = 1e-8,
                key: Optional[jax.Array] = None, *, throw: bool = True) -> tuple[State, State]:
        return rollout(system, state, controls, schedule, key, throw=throw)

    def action_bounds(self, system: System) -> tuple[jax.Array, jax.Array]:
        """The MJCF actuators' ctrlrange where ctrllimited, else ±inf."""
        model = system.mjx_model
        limited = np.asarray(model.actuator_ctrllimited, dtype=bool)
        low, high = np.asarray(model.actuator_ctrlrange).reshape(-1, 2).T
        return jnp.asarray(np.where(limited, low, -np.inf)), jnp.asarray(np.where(limited, high, np.inf))

    def default_qv(self, system: System) -> tuple[jax.Array, jax.Array]:
        """The MJCF model's qpos0, at rest, with every limited joint moved to its nearest bound if qpos0 lies
        outside its range (gymnasium's Ant-v5 puts the four ankles 30° outside theirs). The engine relaxes a
        violated limit with the joint's MuJoCo time constant (``pydojo.engine.system._limit_rows``), yet from
        Ant's qpos0 the first step still gives the ankles 20.6 rad/s against MuJoCo's 13.0 (h = 0.01; the hard
        limit gave 52.4), so the registered environments start on the bound instead."""
        q = jnp.asarray(system.mjx_model.qpos0)
        for qadr, sign, bound in zip(system.limit_qadr, system.limit_sign, system.limit_bound):
            q = q.at[qadr].set(jnp.where(sign * (q[qadr] - bound) < 0, bound, q[qadr]))
        return q, jnp.zeros(system.nv)
