"""Contact-free motion agrees with MuJoCo's own mj_step (Euler, implicit damping on both sides) to 1e-8.

This checks M(q), the bias forces, armature, springs/damping, actuation (gear, ctrlrange
clamping) and the free-joint quaternion integration against MuJoCo itself.
"""
import jax
import mujoco
import numpy as np
import pytest

from pydojo.engine import init, load_gymnasium, make_system, step


def _euler_contact_free(name):
    model = load_gymnasium(name)
    model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    model.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT | mujoco.mjtDisableBit.mjDSBL_CONSTRAINT
    return model


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", ["hopper", "halfcheetah", "ant"])
def test_contact_free_step_matches_mj_step(name):
    model = _euler_contact_free(name)
    system = make_system(model, contacts=False, joint_limits=False)
    one_step = jax.jit(lambda s, u: step(system, s, u))
    data = mujoco.MjData(model)
    rng = np.random.default_rng(1)
    free = 7 if name == "ant" else 0  # keep the free joint's quaternion normalized
    data.qpos[:] = model.qpos0
    data.qpos[free:] += 0.1 * rng.standard_normal(model.nq - free)
    data.qvel[:] = 0.5 * rng.standard_normal(model.nv)
    low, high = model.actuator_ctrlrange.T
    for _ in range(15):
        ours = init(system, data.qpos.copy(), data.qvel.copy())
        u = rng.uniform(1.5 * low, 1.5 * high)  # beyond ctrlrange: both sides clamp
        ours = one_step(ours, u)
        data.ctrl[:] = u
        mujoco.mj_step(model, data)
        np.testing.assert_allclose(np.asarray(ours.q), data.qpos, rtol=0, atol=1e-8)
        np.testing.assert_allclose(np.asarray(ours.v), data.qvel, rtol=0, atol=1e-8)
    assert np.any(model.dof_damping > 0)  # the implicit-damping path was exercised
