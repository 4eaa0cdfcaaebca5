"""With gravity, damping, springs and contacts off, energy and momentum are conserved to integrator
accuracy (first order in h for semi-implicit Euler), measured by MuJoCo's own energy and momentum."""
import jax
import mujoco
import numpy as np
import pytest

from pydojo.engine import init, load_gymnasium, make_system, rollout
from pydojo.testing.references import mujoco_forward_with_energy


def _free_floating_ant(h):
    model = load_gymnasium("ant", timestep=h)
    model.opt.gravity[:] = 0.0
    model.dof_damping[:] = 0.0
    model.jnt_stiffness[:] = 0.0
    return model


def _invariants(model, q, v):
    data = mujoco_forward_with_energy(model, q, v)
    mujoco.mj_subtreeVel(model, data)
    mass = model.body_subtreemass[1]
    return data.energy[1], mass * data.subtree_linvel[1].copy(), data.subtree_angmom[1].copy()


def _drift(h, duration=0.5):
    model = _free_floating_ant(h)
    system = make_system(model, contacts=False, joint_limits=False)
    rng = np.random.default_rng(3)
    q0 = model.qpos0.copy()
    q0[2] = 2.0
    q0[7:] += 0.2 * rng.standard_normal(model.nq - 7)
    v0 = rng.standard_normal(model.nv)
    steps = int(round(duration / h))
    final, _ = jax.jit(lambda s: rollout(system, s, np.zeros((steps, model.nu))))(init(system, q0, v0))
    e0, p0, l0 = _invariants(model, q0, v0)
    e1, p1, l1 = _invariants(model, np.asarray(final.q), np.asarray(final.v))
    return abs(e1 - e0) / e0, np.linalg.norm(p1 - p0) / np.linalg.norm(p0), np.linalg.norm(l1 - l0) / np.linalg.norm(l0)


@pytest.mark.timeout(300)
def test_energy_and_momentum_conserved_to_first_order():
    coarse, fine = _drift(2e-3), _drift(1e-3)
    for name, c, f in zip(("energy", "linear momentum", "angular momentum"), coarse, fine):
        assert c < 5e-2, f"{name} drift {c}"
        assert f < 0.7 * c or f < 1e-10, f"{name} drift does not shrink with h: {c} -> {f}"
