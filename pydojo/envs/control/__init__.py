"""Control tasks for optimization-based policies (cartpole, arm, quadrotor). Registered on import.

Dynamics, true parameters, costs, dt and episode lengths follow PDP's JinEnv;
the input bounds are Safe-PDP's constrained variants.
"""
from pydojo.envs.control import arm, cartpole, quadrotor
from pydojo.envs.control.base import ControlTask
from pydojo.envs.registry import register

register("cartpole", cartpole.Cartpole, cartpole.DEFAULTS, "cartpole swing-up, |u| <= 5 (DiffOP/PDP)")
register("arm", arm.Arm, arm.DEFAULTS, "two-link robot arm reaching, |u| <= 1 (DiffOP/PDP)")
register("quadrotor", quadrotor.Quadrotor, quadrotor.DEFAULTS, "6-DoF quadrotor to hover at the origin, |f| <= 12 (DiffOP/PDP)")

__all__ = ["ControlTask"]
