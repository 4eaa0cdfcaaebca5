"""Contact tasks (ball, block, hopper, halfcheetah, ant) on the JAX engine or another backend (``backend="dojo"``:
Dojo.jl's sphere, block and robots, read in the same layout). Registered on import."""
import functools

from pydojo.envs.contact.base import ContactEnv
from pydojo.envs.contact.gym_wrapper import GymnasiumEnv, batch_reset, batch_step
from pydojo.envs.contact.locomotion import ANT_DEFAULTS, HALFCHEETAH_DEFAULTS, HOPPER_DEFAULTS, make_locomotion
from pydojo.envs.contact.simple import BALL_DEFAULTS, BLOCK_DEFAULTS, make_ball, make_block
from pydojo.envs.registry import register

__all__ = ["ContactEnv", "GymnasiumEnv", "batch_reset", "batch_step"]

register("ball", make_ball, BALL_DEFAULTS,
         "2-D ball with gravity, ground contact and friction; throw-to-goal via BallEnv.throw_return (barrier-smoothing paper, Fig. 1a, 2, 5)")
register("block", make_block, BLOCK_DEFAULTS, "box pushed along a (possibly inclined) plane with friction (barrier-smoothing paper, Fig. 1b, 8b)")
register("hopper", functools.partial(make_locomotion, "hopper"), HOPPER_DEFAULTS, "gymnasium Hopper-v5 on hard contact")
register("halfcheetah", functools.partial(make_locomotion, "halfcheetah"), HALFCHEETAH_DEFAULTS,
         "gymnasium HalfCheetah-v5 on hard contact")
register("ant", functools.partial(make_locomotion, "ant"), ANT_DEFAULTS,
         "gymnasium Ant-v5 on hard contact (no cfrc_ext in the observation)")

# gymnasium ids (``import pydojo.envs`` registers them; ``gymnasium.make("pydojo.envs:pydojo/Hopper-v0")``
# imports and makes in one call). Keyword arguments of gymnasium.make go to ``pydojo.envs.make``, except
# render_mode and max_episode_steps (the wrapper truncates there; gymnasium's episode lengths by default).
GYMNASIUM_IDS = {"pydojo/Ball-v0": ("ball", 100), "pydojo/Block-v0": ("block", 100), "pydojo/Hopper-v0": ("hopper", 1000),
                 "pydojo/HalfCheetah-v0": ("halfcheetah", 1000), "pydojo/Ant-v0": ("ant", 1000)}


def make_gymnasium(name: str, render_mode=None, max_episode_steps: int = 1000, **overrides) -> GymnasiumEnv:
    """gymnasium entry point: ``GymnasiumEnv(pydojo.envs.make(name, **overrides))``."""
    from pydojo.envs.registry import make

    return GymnasiumEnv(make(name, **overrides), max_episode_steps=max_episode_steps, render_mode=render_mode)


def _register_gymnasium() -> None:
    import gymnasium

    for env_id, (name, steps) in GYMNASIUM_IDS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(env_id, entry_point="pydojo.envs.contact:make_gymnasium", disable_env_checker=True,
                               kwargs={"name": name, "max_episode_steps": steps})


_register_gymnasium()
