"""Every registered contact environment: make → jit reset/step → shapes → no NaN over 50 random
steps at batch 4; registry and action errors; the gymnasium wrapper; the ball's throw-to-goal return.
(The engine's own 200-step random-action check, on every gymnasium model, is in
tests/engine/test_every_gymnasium_model.py.)"""
import gymnasium
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo import envs
from pydojo.envs.contact import GymnasiumEnv, batch_reset, batch_step

CONTACT_ENVS = ["ball", "block", "hopper", "halfcheetah", "ant"]
BATCH, STEPS = 4, 50  # suite time (2 cores); the engine's 200-step check is test_every_gymnasium_model.py


def _finite_bounds(env):
    low, high = env.action_bounds
    return jnp.where(jnp.isfinite(low), low, -5.0), jnp.where(jnp.isfinite(high), high, 5.0)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", CONTACT_ENVS)
def test_random_rollout_batch(name):
    env = envs.make(name)
    assert name in envs.names()
    states = jax.jit(lambda k: batch_reset(env, k))(jax.random.split(jax.random.PRNGKey(0), BATCH))
    assert states.obs.shape == (BATCH, env.observation_size)
    low, high = _finite_bounds(env)
    actions = jax.random.uniform(jax.random.PRNGKey(1), (STEPS, BATCH, env.action_size), minval=low, maxval=high)

    def run(states, actions):
        def body(s, a):
            nxt = batch_step(env, s, a)
            return nxt, (nxt.obs, nxt.reward, nxt.done, nxt.info["solver_result"])
        return jax.lax.scan(body, states, actions)

    final, (obs, reward, done, result) = jax.jit(run)(states, actions)
    assert obs.shape == (STEPS, BATCH, env.observation_size)
    assert reward.shape == done.shape == (STEPS, BATCH)
    assert np.all(np.isfinite(np.asarray(obs))) and np.all(np.isfinite(np.asarray(reward)))
    # failed solves are reported per step (never silently); they must stay rare
    assert np.mean(np.asarray(result) != 0) < 0.05


def test_registry_rejects_unknown_names_and_options():
    with pytest.raises(ValueError, match="valid names: .*ball"):
        envs.make("balll")
    with pytest.raises(ValueError, match="valid options: .*friction"):
        envs.make("block", fricton=0.3)
    with pytest.raises(ValueError, match="frame_skip must be >= 1"):
        envs.make("ball", frame_skip=0)
    for bad, message in ((-1e-3, "ConstantMu.value must be >= 0 and finite, got -0.001"),
                         (float("nan"), "ConstantMu.value must be >= 0 and finite, got nan"),
                         ("big", "schedule must be a number or scalar array")):  # at make time, not the first step
        with pytest.raises(ValueError, match=message):
            envs.make("ball", schedule=bad)
    with pytest.raises(ValueError, match="episode_length must be an integer >= 1, got 0"):
        envs.make("ball", episode_length=0)


@pytest.mark.timeout(120)
def test_bad_actions_raise():
    env = envs.make("block")
    state = env.reset(jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match=r"action has shape \(2,\), expected \(1,\)"):
        env.step(state, jnp.zeros(2))
    with pytest.raises(Exception, match="action contains NaN"):
        jax.block_until_ready(jax.jit(lambda s, a: env.step(s, a))(state, jnp.array([jnp.nan])))


@pytest.mark.timeout(200)
def test_gymnasium_wrapper_and_render():
    genv = GymnasiumEnv(envs.make("block"), max_episode_steps=3, render_mode="rgb_array")
    assert isinstance(genv, gymnasium.Env)
    obs, _ = genv.reset(seed=0)
    assert genv.observation_space.contains(obs)
    for t in range(3):
        obs, reward, terminated, truncated, info = genv.step(genv.action_space.sample())
    assert truncated and not terminated and np.isfinite(reward) and "solver_result" in info
    genv.reset(seed=1)
    for bad in ([np.nan], [np.inf]):  # the project's message, at once, not an XLA callback error
        with pytest.raises(ValueError, match=r"BlockEnv: action contains NaN or Inf"):
            genv.step(np.array(bad))
    with pytest.raises(ValueError, match=r"action has shape \(2,\), expected \(1,\)"):
        genv.step(np.zeros(2))
    genv.step(genv.action_space.sample())  # the episode goes on after a refused action
    try:
        frame = genv.render()
    except RuntimeError as err:  # no GL backend on this machine: the error must say so
        assert "OpenGL" in str(err)
    else:
        assert frame.ndim == 3 and frame.shape[2] == 3


@pytest.mark.timeout(300)
def test_ball_throw_return_and_its_gradient():
    """Fig. 5's task: a throw that lands the ball at the goal scores higher; the return is differentiable."""
    env = envs.make("ball", episode_length=50, goal=(1.0, 0.0), goal_velocity=(1.0, 0.0), schedule=1e-3)
    ret = jax.jit(lambda th: env.throw_return(th))
    grad = jax.jit(jax.grad(lambda th: env.throw_return(th)))
    theta = jnp.array([0.5, 0.0])
    g = grad(theta)
    assert np.all(np.isfinite(np.asarray(g))) and float(g[0]) > 0  # throwing farther helps
    assert float(ret(theta + 0.1 * g / jnp.linalg.norm(g))) > float(ret(theta))


@pytest.mark.timeout(240)
def test_locomotion_starts_inside_every_joint_range():
    """gymnasium's Ant-v5 qpos0 puts the four ankles 30° outside their ranges; a hard limit pushed them back
    in one step (10.5 rad/s). The registered environments start limited joints at their nearest bound."""
    from pydojo.engine import init, step

    for name in ("hopper", "halfcheetah", "ant"):
        env = envs.make(name)
        model, q = env.mj_model(), np.asarray(env.q_init)
        limited = model.jnt_limited.astype(bool) & np.isin(model.jnt_type, [2, 3])  # slides and hinges
        values = q[model.jnt_qposadr[limited]]
        assert np.all(values >= model.jnt_range[limited, 0] - 1e-12), name
        assert np.all(values <= model.jnt_range[limited, 1] + 1e-12), name
        moved = np.flatnonzero(np.abs(q - model.qpos0) > 0)
        assert (name == "ant") == bool(moved.size), (name, moved)  # only ant's qpos0 lies outside its ranges
    one_step = jax.jit(lambda s, u: step(env.system, s, u, 1e-8))  # op by op, MJX's step costs ~20 s of compiles
    first = one_step(init(env.system, env.q_init, jnp.zeros(env.system.nv)), jnp.zeros(env.system.nu))
    assert float(jnp.max(jnp.abs(first.v))) < 1.0  # from qpos0: 10.5 rad/s on the ankles
