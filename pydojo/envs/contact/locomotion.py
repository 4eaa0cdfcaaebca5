"""hopper, halfcheetah, ant: gymnasium v5's observations, rewards and terminations on the hard-contact engine.

Defined once, on gymnasium's qpos/qvel layout (the task layout); with ``backend="dojo"`` they read Dojo's
own models of these robots through ``pydojo.backends.dojo_layout.robot_task_layout`` (and start from
Dojo's default configuration, ``initialize!``, where the JAX engine starts from the MJCF's qpos0).

Models are gymnasium's MJCF files (read from the installed package). Differences from
gymnasium: one engine step of ``timestep`` per ``frame_skip`` (hard contact allows
Dojo-like 0.01–0.05 s), and for ant ``cfrc_ext`` (MuJoCo's per-body contact wrenches) is
not in the observation (``include_cfrc_ext_in_observation=False``); ant's contact cost
uses the clipped per-contact forces (normal and friction) of the complementarity solve.
"""
from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.engine import State
from pydojo.envs.contact.base import ContactEnv, make_contact_system, uniform_noise


class LocomotionEnv(ContactEnv):
    """Forward-running task: reward = w_f·ẋ + healthy_reward·healthy − w_c‖a‖² (− contact cost for ant)."""

    kind: str = eqx.field(static=True)
    q_init: jax.Array
    forward_reward_weight: float = eqx.field(static=True)
    ctrl_cost_weight: float = eqx.field(static=True)
    contact_cost_weight: float = eqx.field(static=True)
    healthy_reward: float = eqx.field(static=True)
    terminate_when_unhealthy: bool = eqx.field(static=True)
    healthy_z_range: tuple = eqx.field(static=True)
    healthy_angle_range: tuple = eqx.field(static=True)
    healthy_state_range: tuple = eqx.field(static=True)
    contact_force_range: tuple = eqx.field(static=True)
    reset_noise_scale: float = eqx.field(static=True)
    healthy_softness: float = eqx.field(static=True, default=0.0)

    @property
    def observation_size(self) -> int:
        skip = 2 if self.kind == "ant" else 1
        return self.system.nq - skip + self.system.nv

    def initial_qv(self, key):
        kq, kv = jax.random.split(key)
        q = uniform_noise(kq, self.q_init, self.reset_noise_scale)
        if self.kind == "hopper":
            v = uniform_noise(kv, jnp.zeros(self.system.nv), self.reset_noise_scale)
        else:
            v = self.reset_noise_scale * jax.random.normal(kv, (self.system.nv,))
        return q, v

    def observe_task(self, physics: State) -> jax.Array:
        if self.kind == "hopper":
            return jnp.concatenate([physics.q[1:], jnp.clip(physics.v, -10.0, 10.0)])
        if self.kind == "ant":
            return jnp.concatenate([physics.q[2:], physics.v])
        return jnp.concatenate([physics.q[1:], physics.v])

    def _healthy(self, physics: State) -> jax.Array:
        q, v = physics.q, physics.v
        finite = jnp.all(jnp.isfinite(q)) & jnp.all(jnp.isfinite(v))
        if self.kind == "halfcheetah":
            return finite
        z = q[2] if self.kind == "ant" else q[1]
        lo, hi = self.healthy_z_range
        ok = finite & (z >= lo) & (z <= hi)
        if self.kind == "hopper":
            slo, shi = self.healthy_state_range
            state = jnp.concatenate([q[2:], v])
            alo, ahi = self.healthy_angle_range
            ok = ok & jnp.all((state > slo) & (state < shi)) & (q[2] > alo) & (q[2] < ahi)
        return ok

    def _healthy_margins(self, physics: State) -> jax.Array:
        """Signed distances of the checked state entries to their finite healthy-range bounds (> 0 inside)."""
        q, v = physics.q, physics.v
        checks = [(q[2] if self.kind == "ant" else q[1], self.healthy_z_range)]
        if self.kind == "hopper":
            checks.append((q[2], self.healthy_angle_range))
            checks += [(x, self.healthy_state_range) for x in jnp.concatenate([q[2:], v])]
        margins = [value - lo for value, (lo, _) in checks if lo > -float("inf")]
        margins += [hi - value for value, (_, hi) in checks if hi < float("inf")]
        return jnp.stack(margins)

    def healthy_weight(self, physics: State) -> jax.Array:
        """gymnasium's healthy indicator (``physics`` in the task layout: ``env.view(state.physics)``), or with
        ``healthy_softness`` = w > 0 its smooth surrogate
        Π_i sigmoid(m_i / w) over the margins m_i to the healthy ranges (the step function has no gradient;
        the trainer uses the surrogate in model unrolls only, ``fopg.model.healthy_softness``)."""
        if self.healthy_softness <= 0.0 or self.kind == "halfcheetah":
            return self._healthy(physics).astype(jnp.float64)
        finite = jnp.all(jnp.isfinite(physics.q)) & jnp.all(jnp.isfinite(physics.v))
        weight = jnp.prod(jax.nn.sigmoid(self._healthy_margins(physics) / self.healthy_softness))
        return jnp.where(finite, weight, 0.0)

    def evaluate_task(self, before, after, action):
        x_velocity = (after.q[0] - before.q[0]) / self.dt
        ctrl_cost = self.ctrl_cost_weight * jnp.sum(action**2)
        healthy = self._healthy(after)
        contact_cost = jnp.zeros(())
        if self.contact_cost_weight:
            lo, hi = self.contact_force_range
            forces = jnp.concatenate([after.gamma, after.friction.reshape(-1)]) / self.system.timestep
            contact_cost = self.contact_cost_weight * jnp.sum(jnp.clip(forces, lo, hi) ** 2)
        weight = self.healthy_weight(after) if self.terminate_when_unhealthy else jnp.ones(())
        healthy_reward = self.healthy_reward * weight
        if self.kind == "halfcheetah":
            healthy_reward = jnp.zeros(())
        reward = self.forward_reward_weight * x_velocity + healthy_reward - ctrl_cost - contact_cost
        done = (self.terminate_when_unhealthy & ~healthy).astype(jnp.float64)
        info = {"x_velocity": x_velocity, "ctrl_cost": ctrl_cost, "contact_cost": contact_cost,
                "solver_result": after.stats.result, "solver_iterations": after.stats.iterations}
        return reward, done, info


# backend: "jax" (the JAX engine on gymnasium's MJCF) | "dojo" (Dojo.jl's own model of the robot, read in
# gymnasium's qpos/qvel layout; the JAX-engine options friction_cone, n_directions, max_contacts and
# solver_options at their defaults do not apply to it) | a pydojo.backends backend object
_COMMON = dict(frame_skip=1, schedule=1e-8, friction_cone="linear", n_directions=None, max_contacts=None,
               solver_options=None,
               forward_reward_weight=1.0, throw_on_failure=False, backend="jax")

HOPPER_DEFAULTS: dict[str, Any] = dict(
    _COMMON, timestep=0.008, ctrl_cost_weight=1e-3, healthy_reward=1.0, terminate_when_unhealthy=True,
    healthy_state_range=(-100.0, 100.0), healthy_z_range=(0.7, float("inf")), healthy_angle_range=(-0.2, 0.2),
    reset_noise_scale=5e-3,
)
HALFCHEETAH_DEFAULTS: dict[str, Any] = dict(_COMMON, timestep=0.01, frame_skip=5, ctrl_cost_weight=0.1,
                                            reset_noise_scale=0.1)
ANT_DEFAULTS: dict[str, Any] = dict(
    _COMMON, timestep=0.05, max_contacts=8, ctrl_cost_weight=0.5, contact_cost_weight=5e-4, healthy_reward=1.0,
    terminate_when_unhealthy=True, healthy_z_range=(0.2, 1.0), contact_force_range=(-1.0, 1.0),
    reset_noise_scale=0.1,
)


_DEFAULTS = {"hopper": HOPPER_DEFAULTS, "halfcheetah": HALFCHEETAH_DEFAULTS, "ant": ANT_DEFAULTS}


def make_locomotion(kind: str, **config) -> LocomotionEnv:
    engine = {k: config.pop(k) for k in ("friction_cone", "n_directions", "max_contacts", "solver_options")}
    engine = {k: v for k, v in engine.items() if v is not None}
    system, spec, backend = make_contact_system(kind, {"timestep": config.pop("timestep")}, engine,
                                                config.pop("backend"), _DEFAULTS.get(kind))
    frame_skip = int(config.pop("frame_skip"))
    return LocomotionEnv(
        system=system, schedule=config.pop("schedule"), backend=backend, frame_skip=frame_skip, model_spec=spec,
        kind=kind, throw_on_failure=bool(config.pop("throw_on_failure")),
        q_init=jnp.asarray(backend.default_qv(system)[0]),  # the JAX engine: the MJCF's qpos0
        forward_reward_weight=float(config.pop("forward_reward_weight")),
        ctrl_cost_weight=float(config.pop("ctrl_cost_weight")),
        contact_cost_weight=float(config.pop("contact_cost_weight", 0.0)),
        healthy_reward=float(config.pop("healthy_reward", 0.0)),
        terminate_when_unhealthy=bool(config.pop("terminate_when_unhealthy", False)),
        healthy_z_range=tuple(config.pop("healthy_z_range", (-float("inf"), float("inf")))),
        healthy_angle_range=tuple(config.pop("healthy_angle_range", (-float("inf"), float("inf")))),
        healthy_state_range=tuple(config.pop("healthy_state_range", (-float("inf"), float("inf")))),
        contact_force_range=tuple(config.pop("contact_force_range", (-1.0, 1.0))),
        reset_noise_scale=float(config.pop("reset_noise_scale")),
    )
