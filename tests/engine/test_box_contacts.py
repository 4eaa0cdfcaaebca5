"""A box or a convex mesh on a plane (the generality issue, item 4).

MJX's plane–box and plane–mesh collision returns up to four points picked inside a 1 mm skin of the deepest
vertex; that set changes as the body rocks, and with interior-point contact a resting box drifted, sank and
crept under pushes below μmg. pydojo makes every vertex a permanent candidate
(``pydojo.engine.vertex_contacts``). Checked here on free bodies (six degrees of freedom; the registered
``block`` only slides) against the analytic Coulomb answer and MuJoCo's own energy, and the candidate slot
order against MJX's jitted collision on models the engine was not written for.
"""
import pathlib

import gymnasium
import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

from pydojo._quiet import import_mjx
from pydojo.engine import init, make_system, rollout
from pydojo.engine.vertex_contacts import MAX_MESH_VERTICES, mjx_candidate_geoms
from pydojo.testing.references import mujoco_forward_with_energy

mjx = import_mjx()
ASSETS = pathlib.Path(gymnasium.__file__).parent / "envs" / "mujoco" / "assets"
HALF, MASS, FRICTION, G, H, STEPS = 0.1, 1.0, 0.5, 9.81, 0.01, 50
CUBE_VERTICES = " ".join(f"{sx * HALF} {sy * HALF} {sz * HALF}" for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1))


def _free_body_xml(shape: str, quat: str = "1 0 0 0", z: float = HALF) -> str:
    """A free cube pushed along x at its centre; the floor has the cube's friction (MuJoCo takes the pair's
    larger value). Pushes stay below mg, where the cube would tip about its front edge."""
    geom = {"box": f'type="box" size="{HALF} {HALF} {HALF}"', "mesh": 'type="mesh" mesh="cube"'}[shape]
    return f"""
<mujoco>
  <option timestep="{H}" gravity="0 0 {-G}"/>
  <asset><mesh name="cube" vertex="{CUBE_VERTICES}"/></asset>
  <worldbody>
    <geom name="floor" type="plane" size="0 0 1" friction="{FRICTION} 0.005 0.0001"/>
    <body name="body" pos="0 0 {z}" quat="{quat}">
      <freejoint name="root"/>
      <geom name="body" {geom} mass="{MASS}" friction="{FRICTION} 0.005 0.0001"/>
    </body>
  </worldbody>
  <actuator><motor name="push" joint="root" gear="1 0 0 0 0 0"/></actuator>
</mujoco>"""


@pytest.fixture(scope="module", params=["box", "mesh"])
def pushed(request):
    """(jitted 50-step rollout under a constant push F, start q) for a resting cube of each kind."""
    model = mujoco.MjModel.from_xml_string(_free_body_xml(request.param))
    system = make_system(model, friction_cone="linear")
    assert system.n_candidates == 8  # its eight vertices, not MJX's four slots
    q0 = model.qpos0.copy()
    state = init(system, q0, np.zeros(model.nv))
    run = jax.jit(lambda force: rollout(system, state, jnp.full((STEPS, 1), force), 1e-8)[1])
    return run, q0


@pytest.mark.timeout(400)
def test_a_cube_rests_holds_below_the_friction_threshold_and_slides_above_it(pushed):
    """Measured (box and mesh alike): at rest nothing moves (before: x drifted 3.5 mm and z sank to 0.0993 in
    0.5 s); F = 0.6·μmg moves it 4e-6 m (before: it crept at 0.048 m/s); F = 1.6·μmg gives the Coulomb
    acceleration (F − μmg)/m to 1e-4 of it."""
    run, q0 = pushed
    threshold = FRICTION * MASS * G
    rest = run(0.0)
    assert np.all(np.asarray(rest.stats.result) == 0)
    np.testing.assert_allclose(np.asarray(rest.q[-1]), q0, atol=1e-6)
    held = run(0.6 * threshold)
    assert np.all(np.asarray(held.stats.result) == 0)
    assert np.max(np.abs(np.asarray(held.q[:, 0]))) < 1e-4
    assert abs(float(held.q[-1, 2]) - HALF) < 1e-5  # it neither sinks nor tips
    sliding = run(1.6 * threshold)
    assert np.all(np.asarray(sliding.stats.result) == 0)
    expected = (1.6 * threshold - threshold) / MASS * H * STEPS
    assert float(sliding.v[-1, 0]) == pytest.approx(expected, rel=1e-3)
    np.testing.assert_allclose(np.asarray(sliding.q[-1, 3:7]), [1, 0, 0, 0], atol=1e-5)  # no rocking


def _lowest_vertex(model, q):
    data = mujoco.MjData(model)
    data.qpos[:] = q
    mujoco.mj_kinematics(model, data)
    corners = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) * HALF
    return float(np.min(data.geom_xpos[1][2] + corners @ data.geom_xmat[1].reshape(3, 3).T[:, 2]))


@pytest.mark.timeout(400)
def test_a_tilted_box_dropped_lands_on_a_face_without_gaining_energy():
    """Dropped from 0.3 m tilted 25° and 10° about two axes, 150 steps at μ_sc = 1e-8: it lands on a corner,
    falls onto a face and comes to rest flat; no vertex goes more than 1 mm into the floor and MuJoCo's own
    mechanical energy never rises by more than 1e-4 of its start."""
    quat = np.zeros(4)
    mujoco.mju_euler2Quat(quat, np.radians([25.0, 10.0, 0.0]), "xyz")
    model = mujoco.MjModel.from_xml_string(_free_body_xml("box", " ".join(map(str, quat)), z=0.3))
    system = make_system(model)
    q0, steps = model.qpos0.copy(), 150
    _, traj = jax.jit(lambda s: rollout(system, s, np.zeros((steps, 1)), 1e-8))(init(system, q0, np.zeros(model.nv)))
    assert np.all(np.asarray(traj.stats.result) == 0)
    qs, vs = np.asarray(traj.q), np.asarray(traj.v)
    e0 = float(mujoco_forward_with_energy(model, q0, np.zeros(model.nv)).energy.sum())
    energies = np.array([mujoco_forward_with_energy(model, q, v).energy.sum() for q, v in zip(qs, vs)])
    assert np.all(np.diff(np.concatenate([[e0], energies])) <= 1e-4 * abs(e0)), np.diff(energies).max()
    assert min(_lowest_vertex(model, q) for q in qs) > -1e-3
    assert qs[-1, 2] == pytest.approx(HALF, abs=1e-3)  # resting on a face: its centre one half-size up
    assert np.max(np.abs(vs[-1])) < 1e-2
    assert energies[-1] < e0 - 1.0  # the impacts dissipated it


MIXED = """
<mujoco>
  <asset><mesh name="tetra" vertex="0 0 0  0.2 0 0  0 0.2 0  0 0 0.2"/></asset>
  <worldbody>
    <geom name="floor" type="plane" size="0 0 1"/>
    <body pos="0 0 0.3"><freejoint/><geom type="box" size="0.1 0.05 0.02" condim="1"/></body>
    <body pos="0.5 0 0.3"><freejoint/><geom type="mesh" mesh="tetra"/></body>
    <body pos="1 0 0.3"><freejoint/><geom type="capsule" size="0.05 0.1"/>
      <geom type="sphere" size="0.05" pos="0 0 0.2" condim="1"/></body>
    <body pos="1.5 0 0.3"><freejoint/><geom type="box" size="0.05 0.05 0.05"/></body>
  </worldbody>
</mujoco>"""


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", ["mixed", "pusher_v5", "walker2d_v5", "point"])
def test_candidate_slots_are_in_mjx_collision_order(name):
    """The slots ``vertex_layout`` maps are those the jitted ``mjx.collision`` writes (pairs grouped by
    collision function and condim), on gymnasium models and a hand-written mix of box, mesh, capsule and
    sphere with condim 1 and 3."""
    model = (mujoco.MjModel.from_xml_string(MIXED) if name == "mixed"
             else mujoco.MjModel.from_xml_path(str(ASSETS / f"{name}.xml")))
    mx = mjx.put_model(model)
    collided = jax.jit(lambda d: mjx.collision(mx, mjx.kinematics(mx, d)))(mjx.make_data(mx))
    np.testing.assert_array_equal(mjx_candidate_geoms(model), np.asarray(collided._impl.contact.geom))


@pytest.mark.timeout(120)
def test_a_mesh_with_too_many_hull_vertices_on_a_plane_is_refused_by_name():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(200, 3))
    points = 0.1 * points / np.linalg.norm(points, axis=1, keepdims=True)  # all on the convex hull
    xml = f"""
<mujoco>
  <asset><mesh name="ball" vertex="{' '.join(map(str, points.ravel()))}"/></asset>
  <worldbody>
    <geom name="floor" type="plane" size="0 0 1"/>
    <body pos="0 0 0.3"><freejoint/><geom name="pebble" type="mesh" mesh="ball"/></body>
  </worldbody>
</mujoco>"""
    with pytest.raises(ValueError, match=rf"'pebble'.*at most {MAX_MESH_VERTICES}"):
        make_system(mujoco.MjModel.from_xml_string(xml))


@pytest.mark.timeout(120)
def test_a_state_dependent_mjx_candidate_set_is_refused_with_boxes_on_planes():
    xml = _free_body_xml("box").replace("<asset>", '<custom><numeric name="max_contact_points" data="4"/></custom><asset>')
    with pytest.raises(ValueError, match="max_contact_points.*max_contacts"):
        make_system(mujoco.MjModel.from_xml_string(xml))
