"""Every contact environment is a registered gymnasium id that passes gymnasium's own env checker."""
import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import pydojo.envs  # noqa: F401  (registers the ids)
from pydojo.envs.contact import GYMNASIUM_IDS, GymnasiumEnv


@pytest.mark.timeout(400)
@pytest.mark.parametrize("env_id", sorted(GYMNASIUM_IDS))
def test_registered_id_makes_a_checked_gymnasium_env(env_id):
    env = gymnasium.make(env_id)
    assert isinstance(env.unwrapped, GymnasiumEnv) and env.spec.id == env_id
    assert env.unwrapped.render_mode is None  # gymnasium's default; "rgb_array" on request
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


@pytest.mark.timeout(200)
def test_make_passes_options_and_render_mode_and_imports_the_module_itself():
    env = gymnasium.make("pydojo.envs:pydojo/Block-v0", render_mode="rgb_array", friction=0.3, max_episode_steps=2)
    assert env.unwrapped.render_mode == "rgb_array"
    assert np.isclose(float(np.max(np.asarray(env.unwrapped.env.system.params.friction))), 0.3)
    env.reset(seed=0)
    truncated = [env.step(env.action_space.sample())[3] for _ in range(2)]
    assert truncated == [False, True]
    with pytest.raises(ValueError, match="unknown option"):
        gymnasium.make("pydojo/Block-v0", fricton=0.3)
