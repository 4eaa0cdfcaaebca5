"""Every MJCF model gymnasium ships, simulated (the generality issue's survey made a test).

For each asset the engine loads (with the Euler integrator; the tendon models are refused, checked in
test_mjcf_features.py): its contact-free step equals MuJoCo's mj_step from gymnasium-style noisy starts.
Not here yet (the generality issue): 200 random-action steps at batch 4 at both μ_sc on every model (run
once, 2026-12-03: one failed solve on walker2d_v5 at μ_sc = 1e-8; it also costs about 5 min of the suite).
"""
import pathlib

import gymnasium
import jax
import mujoco
import numpy as np
import pytest

from pydojo.engine import init, make_system, step
from pydojo.engine.features import unsupported_features

ASSETS = pathlib.Path(gymnasium.__file__).parent / "envs" / "mujoco" / "assets"


def _euler(asset: str) -> mujoco.MjModel:
    model = mujoco.MjModel.from_xml_path(str(ASSETS / asset))
    model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    return model


LOADED = [a for a in sorted(p.name for p in ASSETS.glob("*.xml")) if not unsupported_features(_euler(a))]
BATCH = 4


def test_the_survey_covers_the_models_it_is_about():
    assert {"walker2d.xml", "pusher.xml", "reacher.xml", "swimmer.xml", "point.xml", "ant.xml"} <= set(LOADED)
    assert "humanoid.xml" not in LOADED  # tendons: refused


def _noisy_starts(model, rng):
    """gymnasium's reset noise (±0.1 on positions, 0.1·N(0,1) on velocities), free-joint quaternions kept unit."""
    q = model.qpos0 + rng.uniform(-0.1, 0.1, size=(BATCH, model.nq))
    for j in range(model.njnt):
        if model.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE:
            a = model.jnt_qposadr[j] + 3
            q[:, a:a + 4] = model.qpos0[a:a + 4]
        elif model.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL:
            a = model.jnt_qposadr[j]
            q[:, a:a + 4] = model.qpos0[a:a + 4]
    return q, 0.1 * rng.standard_normal((BATCH, model.nv))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("asset", LOADED)
def test_contact_free_step_matches_mj_step(asset):
    """One step from a noisy start with random (partly out-of-range) controls, contacts and limits off on both
    sides: positions and velocities equal MuJoCo's to 1e-8."""
    model = _euler(asset)
    model.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT | mujoco.mjtDisableBit.mjDSBL_CONSTRAINT
    system = make_system(model, contacts=False, joint_limits=False)
    one_step = jax.jit(lambda s, u: step(system, s, u))
    rng = np.random.default_rng(2)
    q0, v0 = _noisy_starts(model, rng)
    data = mujoco.MjData(model)
    for i in range(BATCH):
        data.qpos[:], data.qvel[:] = q0[i], v0[i]
        u = rng.uniform(-1.5, 1.5, size=model.nu)
        ours = one_step(init(system, data.qpos.copy(), data.qvel.copy()), u)
        data.ctrl[:] = u
        mujoco.mj_step(model, data)
        np.testing.assert_allclose(np.asarray(ours.q), data.qpos, rtol=0, atol=1e-8)
        np.testing.assert_allclose(np.asarray(ours.v), data.qvel, rtol=0, atol=1e-8)
