"""Every MJCF model gymnasium ships, simulated (the generality issue's survey made a test).

For each asset the engine loads (with the Euler integrator; the tendon models are refused, checked in
test_mjcf_features.py): its contact-free step equals MuJoCo's mj_step from gymnasium-style noisy starts, and
200 random-action steps at batch 4 at μ_sc = 1e-8 and 1e-2 stay finite, solve every step, keep contacts out of
the ground and joints inside their limits (walker2d_v5 at μ_sc = 1e-8 once stalled in one solve of 800: the
stall is kept as a solver regression test, tests/solver/test_regressions.py).
"""
import pathlib

import gymnasium
import jax
import mujoco
import numpy as np
import pytest

import jax.numpy as jnp

from pydojo.engine import init, make_system, rollout, step, signed_distances
from pydojo.engine.features import unsupported_features

ASSETS = pathlib.Path(gymnasium.__file__).parent / "envs" / "mujoco" / "assets"


def _euler(asset: str) -> mujoco.MjModel:
    model = mujoco.MjModel.from_xml_path(str(ASSETS / asset))
    model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    return model


LOADED = [a for a in sorted(p.name for p in ASSETS.glob("*.xml")) if not unsupported_features(_euler(a))]
BATCH, STEPS = 4, 200


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


def _limit_violation(model, q):
    """Per limited hinge/slide joint, how far q (..., nq) lies outside its range (0 inside)."""
    limited = np.flatnonzero(model.jnt_limited.astype(bool) & (model.jnt_type >= int(mujoco.mjtJoint.mjJNT_SLIDE)))
    x = q[..., model.jnt_qposadr[limited]]
    lo, hi = model.jnt_range[limited].T
    return np.maximum(np.maximum(lo - x, x - hi), 0.0)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("asset", LOADED)
def test_200_random_action_steps_at_batch_4_at_both_mu(asset):
    """Noisy starts, uniform controls in ctrlrange (±1 where unlimited), μ_sc traced (one compilation per model):
    no NaN, no failed solve (reported, throw=False), no candidate deeper than 1 cm in the ground, and no
    limited joint further outside its range than it started (the relaxed recovery of a start beyond a limit)."""
    model = _euler(asset)
    system = make_system(model)
    rng = np.random.default_rng(0)
    q0, v0 = _noisy_starts(model, rng)
    low, high = model.actuator_ctrlrange.T if model.nu else (np.zeros(0), np.zeros(0))
    limited = model.actuator_ctrllimited.astype(bool)
    low, high = np.where(limited, low, -1.0), np.where(limited, high, 1.0)
    controls = rng.uniform(low, high, size=(BATCH, STEPS, model.nu))

    def one(q, v, us, mu):
        _, traj = rollout(system, init(system, q, v), us, mu, throw=False)
        gaps = jax.vmap(lambda qq: signed_distances(system, qq))(traj.q) if system.n_contacts else jnp.zeros((STEPS, 0))
        return traj.q, traj.v, traj.stats.result, gaps

    run = jax.jit(jax.vmap(one, in_axes=(0, 0, 0, None)))
    failures = {}
    for mu in (1e-8, 1e-2):
        q, v, result, gaps = map(np.asarray, run(q0, v0, controls, jnp.asarray(mu)))
        assert np.all(np.isfinite(q)) and np.all(np.isfinite(v)), (asset, mu)
        assert gaps.size == 0 or gaps.min() > -0.01, (asset, mu, gaps.min())
        excess = _limit_violation(model, q) - _limit_violation(model, q0)[:, None]
        assert excess.size == 0 or excess.max() <= 1e-6, (asset, mu, excess.max())
        failures[mu] = np.argwhere(result != 0).tolist()
    # walker2d_v5 at mu_sc = 1e-8 (environment 1, step 93) stalled here until the interior point's per-pair
    # corrector targets (SolverOptions.stall_step); that step problem is tests/solver/test_regressions.py's.
    assert not any(failures.values()), f"{asset}: failed solves at (env, step) per mu_sc: {failures}"
