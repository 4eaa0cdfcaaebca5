"""State-layout conversions between Dojo's minimal coordinates and pydojo's State (MuJoCo layout).

Checked against SciPy's rotations and MuJoCo's own quaternion routines (not written here).
"""
import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

import pydojo  # noqa: F401  (x64)
from pydojo.backends import dojo

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("rotvec", [np.zeros(3), 1e-5 * RNG.normal(size=3), RNG.normal(size=3), [0.0, 3.0, 0.0]])
def test_quaternion_matches_scipy_and_mujoco(rotvec):
    rotvec = np.asarray(rotvec, dtype=float)
    quat = np.asarray(dojo.quaternion_from_rotation_vector(jnp.asarray(rotvec)))
    x, y, z, w = Rotation.from_rotvec(rotvec).as_quat()
    np.testing.assert_allclose(quat, [w, x, y, z], atol=1e-14)
    angle = np.linalg.norm(rotvec)
    expected = np.zeros(4)
    mujoco.mju_axisAngle2Quat(expected, rotvec / angle if angle > 0 else np.array([1.0, 0, 0]), angle)
    np.testing.assert_allclose(quat, expected, atol=1e-14)
    back = np.asarray(dojo.rotation_vector_from_quaternion(jnp.asarray(quat)))
    np.testing.assert_allclose(back, rotvec, atol=1e-12)


def test_rotation_vector_takes_the_short_way_and_is_smooth_at_identity():
    quat = np.array([-np.cos(0.2), 0.0, 0.0, -np.sin(0.2)])  # same rotation as w > 0
    np.testing.assert_allclose(dojo.rotation_vector_from_quaternion(jnp.asarray(quat)), [0, 0, 0.4], atol=1e-14)
    jac = jax.jacfwd(dojo.rotation_vector_from_quaternion)(jnp.array([1.0, 0, 0, 0]))
    assert np.all(np.isfinite(jac))
    np.testing.assert_allclose(jac[:, 1:], 2 * np.eye(3), atol=1e-12)
    jac = jax.jacfwd(dojo.quaternion_from_rotation_vector)(jnp.zeros(3))
    np.testing.assert_allclose(jac[1:], 0.5 * np.eye(3), atol=1e-12)


def test_floating_and_hinge_round_trip():
    layout = dojo.Layout((6, 1, 3), (True, False, False))
    assert (layout.nq, layout.nv, layout.n_minimal) == (11, 10, 20)
    x = jnp.asarray(RNG.normal(size=20))
    q, v = dojo.state_from_minimal(layout, x)
    assert q.shape == (11,) and v.shape == (10,)
    np.testing.assert_allclose(dojo.minimal_from_state(layout, q, v), x, atol=1e-12)
    # Dojo's minimal state lists per joint coordinates then velocities; pydojo splits q and v
    np.testing.assert_allclose(v[:6], x[6:12])
    np.testing.assert_allclose(q[7], x[12])
    np.testing.assert_allclose(v[6], x[13])
    np.testing.assert_allclose(q[8:], x[14:17])
    np.testing.assert_allclose(v[7:], x[17:20])


def test_free_joint_state_integrates_like_mujoco():
    """A pydojo state of a floating body is a MuJoCo free-joint qpos/qvel: mj_integratePos applies to it."""
    layout = dojo.Layout((6,), (True,))
    x = jnp.asarray(np.concatenate([[0.1, -0.2, 0.7], [0.3, -0.1, 0.2], [1.0, 0.5, -0.3], [0.4, -0.7, 0.2]]))
    q, v = map(np.asarray, dojo.state_from_minimal(layout, x))
    model = mujoco.MjModel.from_xml_string(
        "<mujoco><worldbody><body><freejoint/><geom size='0.1'/></body></worldbody></mujoco>")
    qpos = q.copy()
    mujoco.mj_integratePos(model, qpos, v, 0.01)
    np.testing.assert_allclose(qpos[:3], q[:3] + 0.01 * v[:3])
    # MuJoCo rotates by the body-frame angular velocity: q ⊗ exp(h ω / 2)
    step = Rotation.from_rotvec(0.01 * v[3:])
    expected = Rotation.from_quat(np.r_[q[4:], q[3]]) * step
    x_, y_, z_, w_ = expected.as_quat()
    np.testing.assert_allclose(qpos[3:], np.sign(w_ * qpos[3]) * np.array([w_, x_, y_, z_]), atol=1e-12)


def test_layout_from_joint_dimensions():
    layout = dojo.layout_from_info(["floating_base", "hip_1", "ankle_1"], [6, 1, 1])
    assert layout.floating == (True, False, False)
    assert dojo.layout_from_info(["floating_joint", "thigh"], [3, 1]).floating == (False, False)


@pytest.mark.parametrize("rotvec", [np.zeros(3), 1e-9 * RNG.normal(size=3), 1e-4 * RNG.normal(size=3),
                                    RNG.normal(size=3), [0.0, 0.0, 3.1]])
def test_rotation_matrix_matches_scipy(rotvec):
    rotvec = np.asarray(rotvec, dtype=float)
    np.testing.assert_allclose(dojo.rotation_matrix_from_rotation_vector(rotvec),
                               Rotation.from_rotvec(rotvec).as_matrix(), atol=1e-14)


def test_floating_torques_go_from_body_to_world_frame():
    """pydojo's u for a floating joint is [force (world), torque (body)]; Dojo v0.7.1 takes both in the world
    frame and applies R(q)ᵀ τ to the body (src/joints/rotational/input.jl:14). Hinges are left alone."""
    layout = dojo.Layout((6, 1), (True, False))
    x = np.concatenate([[0.1, -0.2, 0.7], RNG.normal(size=3), RNG.normal(size=6), [0.3], [-0.4]])
    u = RNG.normal(size=7)
    u_dojo, frames = dojo.dojo_inputs(layout, x, u)
    q, _ = dojo.state_from_minimal(layout, jnp.asarray(x))
    w, xyz = float(q[3]), np.asarray(q[4:7])
    body_to_world = Rotation.from_quat(np.r_[xyz, w])  # the body's orientation in pydojo's state
    np.testing.assert_allclose(u_dojo[:3], u[:3], atol=1e-15)  # force: world frame in both
    np.testing.assert_allclose(u_dojo[3:6], body_to_world.apply(u[3:6]), atol=1e-13)
    np.testing.assert_allclose(body_to_world.inv().apply(u_dojo[3:6]), u[3:6], atol=1e-13)  # what the body gets
    np.testing.assert_allclose(u_dojo[6], u[6])  # hinge torque unchanged
    np.testing.assert_allclose(frames @ u, u_dojo, atol=1e-15)
    np.testing.assert_allclose(frames[3:6, 3:6], body_to_world.as_matrix(), atol=1e-13)
    # a control Jacobian in Dojo's frames chains to pydojo's with the same matrix
    jac_dojo = RNG.normal(size=(14, 7))
    du = 1e-7 * RNG.normal(size=7)
    np.testing.assert_allclose((jac_dojo @ frames) @ du, jac_dojo @ (dojo.dojo_inputs(layout, x, u + du)[0] - u_dojo),
                               atol=1e-15)
    # no floating joint: identity
    hinge = dojo.Layout((1,), (False,))
    np.testing.assert_array_equal(dojo.dojo_inputs(hinge, [0.2, 0.1], [3.0])[1], np.eye(1))
