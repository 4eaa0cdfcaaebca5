"""The ball (barrier-smoothing paper, Fig. 1(a), 2, 5) and the block (Fig. 1(b), 8(b)) tasks."""
from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from pydojo.engine import State
from pydojo.envs.contact.base import ContactEnv, make_contact_system


class BallEnv(ContactEnv):
    """2-D ball under gravity with ground contact and friction; actions push in x and z.

    Observation (x, z, θ, vx, vz, ω); reward −‖(x, z) − goal‖². Throw-to-goal (Fig. 5):
    ``throw_return(θ)`` starts at ``start`` with initial velocity θ = (vx, vz), runs
    ``episode_length`` steps without actions and returns −MSE((x, z, vx, vz), (goal, goal_velocity)).
    """

    start: jax.Array
    goal: jax.Array
    goal_velocity: jax.Array
    episode_length: int = eqx.field(static=True)

    def __check_init__(self):
        if self.episode_length < 1:
            raise ValueError(f"episode_length must be an integer >= 1, got {self.episode_length}")

    @property
    def observation_size(self) -> int:
        return 6

    def initial_qv(self, key):
        return jnp.concatenate([self.start, jnp.zeros(1)]), jnp.zeros(3)

    def observe_task(self, physics: State) -> jax.Array:
        return jnp.concatenate([physics.q, physics.v])

    def evaluate_task(self, before, after, action):
        dist2 = jnp.sum((after.q[:2] - self.goal) ** 2)
        return -dist2, jnp.zeros(()), {"goal_distance": jnp.sqrt(dist2), "solver_result": after.stats.result}

    def throw(self, theta: jax.Array) -> State:
        """Final physics state (the backend's) of a throw with initial velocity θ = (vx, vz)."""
        theta = jnp.asarray(theta)
        if theta.shape != (2,):
            raise ValueError(f"throw velocity must have shape (2,), got {theta.shape}")
        state = self.physics_init(jnp.concatenate([self.start, jnp.zeros(1)]), jnp.concatenate([theta, jnp.zeros(1)]))
        steps = self.episode_length * self.frame_skip
        return self.backend.rollout(self.system, state, jnp.zeros((steps, self.system.nu)), self.schedule)[0]

    def throw_return(self, theta: jax.Array) -> jax.Array:
        """Negative mean squared error of (position, velocity) at the episode's end (Fig. 5's return)."""
        final = self.view(self.throw(theta))
        got = jnp.concatenate([final.q[:2], final.v[:2]])
        return -jnp.mean((got - jnp.concatenate([self.goal, self.goal_velocity])) ** 2)


class BlockEnv(ContactEnv):
    """A box on a (possibly inclined) plane pushed by a force along the plane (Fig. 1(b)).

    Observation (x, z, vx, vz) in the plane's frame; reward −(x − goal)² − ctrl_cost_weight·F².
    """

    goal: float = eqx.field(static=True)
    ctrl_cost_weight: float = eqx.field(static=True)

    @property
    def observation_size(self) -> int:
        return 4

    def initial_qv(self, key):
        return jnp.zeros(2), jnp.zeros(2)

    def observe_task(self, physics: State) -> jax.Array:
        return jnp.concatenate([physics.q, physics.v])

    def evaluate_task(self, before, after, action):
        reward = -((after.q[0] - self.goal) ** 2) - self.ctrl_cost_weight * jnp.sum(action**2)
        return reward, jnp.zeros(()), {"solver_result": after.stats.result}


_ENGINE_KEYS = ("friction_cone", "solver_options")


def _split(config: dict, model_keys: tuple) -> tuple[dict, dict, dict]:
    model = {k: config[k] for k in model_keys}
    engine = {k: config[k] for k in _ENGINE_KEYS}
    rest = {k: v for k, v in config.items() if k not in model and k not in engine}
    return model, engine, rest


# backend: "jax" (the JAX engine), "dojo" (Dojo.jl's sphere/block), or a pydojo.backends backend object
BALL_DEFAULTS: dict[str, Any] = dict(
    radius=0.1, mass=1.0, friction=0.5, gravity=9.81, timestep=0.01, frame_skip=1, schedule=1e-8,
    friction_cone="linear", solver_options=None, start=(0.0, 1.0), goal=(1.0, 0.0), goal_velocity=(1.0, 0.0),
    episode_length=100, throw_on_failure=False, backend="jax",
)

BLOCK_DEFAULTS: dict[str, Any] = dict(
    half_size=0.1, mass=1.0, friction=0.5, incline=0.0, gravity=9.81, timestep=0.01, frame_skip=1, schedule=1e-8,
    friction_cone="linear", solver_options=None, goal=1.0, ctrl_cost_weight=1e-3, throw_on_failure=False,
    backend="jax",
)


def _engine(engine: dict) -> dict:
    return {k: v for k, v in engine.items() if v is not None}


def make_ball(**config) -> BallEnv:
    model, engine, rest = _split(config, ("radius", "mass", "friction", "gravity", "timestep"))
    system, spec, backend = make_contact_system("ball", model, _engine(engine), rest["backend"], BALL_DEFAULTS)
    return BallEnv(system=system, schedule=rest["schedule"], backend=backend, frame_skip=int(rest["frame_skip"]),
                   model_spec=spec,
                   throw_on_failure=bool(rest["throw_on_failure"]),
                   start=jnp.asarray(rest["start"], float), goal=jnp.asarray(rest["goal"], float),
                   goal_velocity=jnp.asarray(rest["goal_velocity"], float), episode_length=int(rest["episode_length"]))


def make_block(**config) -> BlockEnv:
    model, engine, rest = _split(config, ("half_size", "mass", "friction", "incline", "gravity", "timestep"))
    system, spec, backend = make_contact_system("block", model, _engine(engine), rest["backend"], BLOCK_DEFAULTS)
    return BlockEnv(system=system, schedule=rest["schedule"], backend=backend, frame_skip=int(rest["frame_skip"]),
                    model_spec=spec,
                   throw_on_failure=bool(rest["throw_on_failure"]),
                    goal=float(rest["goal"]), ctrl_cost_weight=float(rest["ctrl_cost_weight"]))
