"""Contact tasks on the JAX engine (ball, block, hopper, halfcheetah, ant). Registered on import."""
import functools

from pydojo.envs.contact.base import ContactEnv
from pydojo.envs.contact.gym_wrapper import GymnasiumEnv, batch_reset, batch_step
from pydojo.envs.contact.locomotion import ANT_DEFAULTS, HALFCHEETAH_DEFAULTS, HOPPER_DEFAULTS, make_locomotion
from pydojo.envs.contact.simple import BALL_DEFAULTS, BLOCK_DEFAULTS, make_ball, make_block
from pydojo.envs.registry import register

__all__ = ["ContactEnv", "GymnasiumEnv", "batch_reset", "batch_step"]

register("ball", make_ball, BALL_DEFAULTS,
         "2-D ball with gravity, ground contact and friction; throw-to-goal via BallEnv.throw_return (seed Fig. 1a, 2, 5)")
register("block", make_block, BLOCK_DEFAULTS, "box pushed along a (possibly inclined) plane with friction (seed Fig. 1b, 8b)")
register("hopper", functools.partial(make_locomotion, "hopper"), HOPPER_DEFAULTS, "gymnasium Hopper-v5 on hard contact")
register("halfcheetah", functools.partial(make_locomotion, "halfcheetah"), HALFCHEETAH_DEFAULTS,
         "gymnasium HalfCheetah-v5 on hard contact")
register("ant", functools.partial(make_locomotion, "ant"), ANT_DEFAULTS,
         "gymnasium Ant-v5 on hard contact (no cfrc_ext in the observation)")
