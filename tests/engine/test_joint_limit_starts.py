"""A start on or beyond a joint limit (the generality issue, item 5).

gymnasium's Ant starts with its ankles 30° outside their range and Walker2d on its bounds. A hard limit row
asked one step to remove the whole violation (Ant's ankles: 52 rad/s after one step against MuJoCo's 13).
A violated limit now recovers as a first-order lag with the joint's own MuJoCo time constant (solref[0]);
inside the range nothing changes. Checked on a hand-written arm (a hinge and a slide, started outside on
either side) against MuJoCo's own soft limits.
"""
import dataclasses

import jax
import mujoco
import numpy as np
import pytest

from pydojo.engine import init, make_system, rollout

ARM = """
<mujoco>
  <option timestep="0.01" gravity="0 0 0" integrator="Euler"/>
  <worldbody>
    <body name="base">
      <joint name="slide" type="slide" axis="1 0 0" limited="true" range="-0.1 0.1"/>
      <geom type="box" size="0.05 0.05 0.05" mass="2" contype="0" conaffinity="0"/>
      <body name="arm">
        <joint name="hinge" type="hinge" axis="0 1 0" limited="true" range="-30 30"/>
        <geom type="capsule" fromto="0 0 0 0.4 0 0" size="0.03" mass="1" contype="0" conaffinity="0"/>
      </body>
    </body>
  </worldbody>
</mujoco>"""


@pytest.fixture(scope="module")
def arm():
    model = mujoco.MjModel.from_xml_string(ARM)
    system = make_system(model)
    assert system.n_contacts == 0 and system.n_limits == 4
    run = jax.jit(lambda q: rollout(system, init(system, q, np.zeros(model.nv)), np.zeros((40, 0)), 1e-8)[1])
    return model, run


def _mujoco_first_step(model, q):
    data = mujoco.MjData(model)
    data.qpos[:] = q
    mujoco.mj_step(model, data)
    return data.qvel.copy()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("start", [(0.15, np.radians(45.0)), (-0.13, np.radians(-40.0))])
def test_a_start_outside_the_range_returns_like_mujoco(arm, start):
    """First-step velocities within a factor 2 of MuJoCo's soft limit (not the hard limit's full removal
    in one step), every solve converged, the range reached within 40 steps and never left again."""
    model, run = arm
    q0 = np.array(start)
    traj = run(q0)
    assert np.all(np.asarray(traj.stats.result) == 0)
    ours, theirs = np.abs(np.asarray(traj.v[0])), np.abs(_mujoco_first_step(model, q0))
    hard = np.abs(q0 - np.clip(q0, model.jnt_range[:, 0], model.jnt_range[:, 1])) / model.opt.timestep
    assert np.all(ours <= 2.0 * theirs) and np.all(ours >= 0.5 * theirs), (ours, theirs)
    assert np.all(ours < 0.6 * hard), (ours, hard)  # a hard limit would move the whole violation at once
    q = np.asarray(traj.q)
    inside = np.all((q >= model.jnt_range[:, 0] - 1e-6) & (q <= model.jnt_range[:, 1] + 1e-6), axis=1)
    first = int(np.argmax(inside))
    assert inside[first] and np.all(inside[first:]), q[:, :]


@pytest.mark.timeout(300)
def test_a_start_inside_the_range_is_not_touched(arm):
    """Inside the range the relaxation changes nothing: the trajectory equals the hard limit's (recovery share
    1) to 1e-12. At rest with no forces the barrier's force at a distance moves the hinge 7e-6 rad in 40 steps
    at μ_sc = 1e-8 (20° from one bound)."""
    model, run = arm
    q0 = np.array([0.05, np.radians(20.0)])
    traj = run(q0)
    assert np.all(np.asarray(traj.stats.result) == 0)
    hard = dataclasses.replace(make_system(model), limit_recovery=(1.0,) * 4)
    traj_hard = jax.jit(lambda q: rollout(hard, init(hard, q, np.zeros(model.nv)), np.zeros((40, 0)), 1e-8)[1])(q0)
    np.testing.assert_allclose(np.asarray(traj.q), np.asarray(traj_hard.q), rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(traj.q[-1]), q0, atol=1e-4)
