"""The Dojo backend's task layouts (pydojo/backends/dojo_layout.py): Dojo states read in the environments'
layout (the JAX engine's MJCF models), and back. Pure Python: no Julia. The Dojo side is synthetic here:
joint layouts as DojoEnvironments v0.7.1's URDFs give them (joints in file order, the origin's first) and
the joints' nullspace masks computed as Dojo's ``orthogonal_rows`` computes them (src/joints/
orthogonal.jl: ``svd(skew(axis)).Vt``, LAPACK's gesdd as Julia's default ``svd``). On a machine with
Julia the real masks come from PyDojoBridge.mechanism_info; whether they equal these is not checked here.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

import pydojo  # noqa: F401  (x64)
from pydojo.backends import dojo
from pydojo.engine.models import load_gymnasium

RNG = np.random.default_rng(0)


def _skew(v):
    return np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])


def orthogonal_rows(axis):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    vt = scipy.linalg.svd(_skew(axis), lapack_driver="gesdd")[2]
    return vt[0], vt[1], axis


def _planar(axis=(0.0, 1.0, 0.0)):
    v1, v2, v3 = orthogonal_rows(axis)
    return np.stack([v1, v2]), v3[None]  # PlanarAxis: Translational{T,1} mask, Rotational{T,2} mask


def _revolute(axis):
    return np.zeros((0, 3)), orthogonal_rows(axis)[2][None]  # Translational{T,3}: no rows


FIXED = (np.zeros((0, 3)), np.zeros((0, 3)))
FLOATING = (np.eye(3), np.eye(3))
Y = (0.0, 1.0, 0.0)
DOJO = {  # joints of DojoEnvironments' URDFs (mechanisms/<name>/dependencies/<name>.urdf at v0.7.1)
    "hopper": [(3, _planar())] + [(1, _revolute(Y))] * 3,
    "halfcheetah": [(3, _planar())] + [(1, _revolute(Y))] * 6,
    "ant": [(6, FLOATING)] + [(1, _revolute((0, 0, 1))), (1, _revolute((-1, 1, 0))), (0, FIXED),
                              (1, _revolute((0, 0, 1))), (1, _revolute((1, 1, 0))), (0, FIXED),
                              (1, _revolute((0, 0, 1))), (1, _revolute((-1, 1, 0))), (0, FIXED),
                              (1, _revolute((0, 0, 1))), (1, _revolute((1, 1, 0))), (0, FIXED)],
}


def _robot(name, flip_base=False):
    joints = DOJO[name]
    layout = dojo.layout_from_info([f"j{i}" for i in range(len(joints))], [d for d, _ in joints])
    translation = [m[0] for _, m in joints]
    rotation = [m[1] for _, m in joints]
    if flip_base:  # another SVD could return the opposite signs: the layout follows the masks it is given
        translation[0] = -translation[0]
    layout_task = dojo.robot_task_layout(load_gymnasium(name), layout, translation, rotation)
    return layout, layout_task


def test_dojo_planar_coordinates_are_z_then_minus_x_by_gesdd():
    """What the hopper's layout rests on: for axis y, Dojo's two translation rows are (z, −x) (NumPy's gesdd;
    initialize_hopper! writes the standing height 1.25 into the first coordinate, consistent with z)."""
    rows, axis = _planar()
    np.testing.assert_allclose(rows, [[0, 0, 1], [-1, 0, 0]], atol=1e-15)
    np.testing.assert_allclose(axis, [[0, 1, 0]])


@pytest.mark.parametrize("flip", [False, True])
def test_hopper_reads_as_gymnasiums_qpos(flip):
    layout, task = _robot("hopper", flip)
    assert (task.nq, task.nv, len(task.low)) == (6, 6, 3)
    rows = _planar()[0] * (-1 if flip else 1)
    x, z, pitch, hinges = 0.3, 1.2, 0.1, np.array([0.2, -0.4, 0.5])
    t = rows @ np.array([x, 0.0, z])  # Dojo's coordinates of a torso at (x, 0, z)
    q_dojo = np.concatenate([t, [pitch], hinges])
    q, v = task.to_task(jnp.asarray(q_dojo), jnp.asarray(q_dojo))
    # gymnasium's rootx, rootz (= height: ref 1.25 at body height 1.25), rooty and hinges; hinge axes are
    # −y in the MJCF and +y in Dojo's URDF, so the angles change sign; rooty is +y in both
    np.testing.assert_allclose(q, [x, z, pitch, *(-hinges)], atol=1e-14)
    np.testing.assert_allclose(v, [x, z, pitch, *(-hinges)], atol=1e-14)
    back = task.from_task(q, v)
    np.testing.assert_allclose(back[0], q_dojo, atol=1e-14)
    # Dojo's own initial state (initialize_hopper!: [1.25, 0, 0] on the base, hinges 0) is gymnasium's qpos0
    np.testing.assert_allclose(task.to_task(jnp.array([*(rows @ [0, 0, 1.25]), 0, 0, 0, 0.0]), jnp.zeros(6))[0],
                               load_gymnasium("hopper").qpos0, atol=1e-14)
    # ctrl 1 on the thigh motor (gear 200, axis −y) is a torque of −200 about Dojo's +y; ctrlrange clipped
    np.testing.assert_allclose(task.control_of(jnp.array([1.0, 0.0, 2.0])), [-200.0, 0.0, -200.0])
    np.testing.assert_array_equal(task.bounds()[0], [-1.0] * 3)


def test_halfcheetah_height_is_relative_to_gymnasiums_torso():
    _, task = _robot("halfcheetah")
    rows = _planar()[0]
    q_dojo = np.concatenate([rows @ [0.0, 0.0, 0.7], [0.0], np.zeros(6)])
    np.testing.assert_allclose(task.to_task(jnp.asarray(q_dojo), jnp.zeros(9))[0], np.zeros(9), atol=1e-14)
    np.testing.assert_allclose(task.control_of(jnp.eye(6)[0]), [120.0, 0, 0, 0, 0, 0])  # axes +y in both


def test_ant_is_gymnasiums_free_joint_and_hinges():
    layout, task = _robot("ant")
    assert (layout.nq, layout.nv) == (15, 14)
    q = jnp.asarray(RNG.normal(size=15))
    v = jnp.asarray(RNG.normal(size=14))
    np.testing.assert_allclose(task.to_task(q, v)[0], q)
    np.testing.assert_allclose(task.to_task(q, v)[1], v)
    np.testing.assert_allclose(task.control_of(jnp.ones(8) * 0.5), np.full(8, 75.0))


def test_robot_layouts_refuse_joints_that_do_not_pair():
    with pytest.raises(ValueError, match="not parallel"):
        layout = dojo.layout_from_info(["a", "b", "c", "d"], [3, 1, 1, 1])
        dojo.robot_task_layout(load_gymnasium("hopper"), layout, [_planar()[0]] + [np.zeros((0, 3))] * 3,
                               [_planar()[1]] + [np.array([[1.0, 0.0, 0.0]])] * 3)
    with pytest.raises(ValueError, match="nq, nv"):
        dojo.robot_task_layout(load_gymnasium("hopper"), dojo.Layout((3, 1, 1), (False,) * 3), [], [])


@pytest.mark.parametrize("rotation", [True, False])
def test_sphere_and_block_read_as_the_planar_ball_and_block(rotation):
    height = 0.1 if rotation else 0.25
    task = dojo.planar_body_task_layout(height, rotation=rotation, inputs=(0, 2) if rotation else (0,))
    n = 3 if rotation else 2
    q_task = jnp.asarray([0.4, 0.05, 2.5][:n])
    v_task = jnp.asarray([1.0, -2.0, 3.0][:n])
    q, v = task.from_task(q_task, v_task)
    assert q.shape == (7,) and v.shape == (6,)
    np.testing.assert_allclose(q[2], 0.05 + height)  # the body's centre
    np.testing.assert_allclose(jnp.linalg.norm(q[3:]), 1.0)
    if rotation:  # a rotation about +y by θ = 2.5
        np.testing.assert_allclose(q[3:], [np.cos(1.25), 0.0, np.sin(1.25), 0.0], atol=1e-15)
    back = task.to_task(q, v)
    np.testing.assert_allclose(back[0], q_task, atol=1e-12)
    np.testing.assert_allclose(back[1], v_task, atol=1e-12)
    u = task.control_of(jnp.asarray([3.0, -4.0][: len(task.low)]))
    np.testing.assert_allclose(u, [3.0, 0, -4.0, 0, 0, 0] if rotation else [3.0, 0, 0, 0, 0, 0])
    # differentiable both ways (the model unrolls differentiate through them)
    jac = jax.jacfwd(lambda x: task.to_task(*task.from_task(x, v_task))[0])(q_task)
    np.testing.assert_allclose(jac, np.eye(n), atol=1e-12)


def test_the_ball_on_dojo_takes_its_size_from_the_environment():
    """The ball's radius and the block's half size reach Dojo's get_sphere / get_block keywords and the
    task layout's height (the JAX ball's z is its lowest point)."""
    mechanism, keywords = dojo.dojo_mechanism_options("ball", radius=0.1, mass=1.0, friction=0.5, gravity=9.81,
                                                      timestep=0.01, friction_cone="linear")
    assert keywords == {"radius": 0.1, "mass": 1.0, "friction_coefficient": 0.5, "gravity": -9.81,
                        "timestep": 0.01, "contact_type": "linear"}
    layout = dojo.Layout((6,), (True,))
    assert dojo.task_layout("ball", mechanism, layout, {}, keywords).height == 0.1
    _, keywords = dojo.dojo_mechanism_options("block", half_size=0.1)
    assert dojo.task_layout("block", "block", layout, {}, keywords).height == pytest.approx(0.1)
