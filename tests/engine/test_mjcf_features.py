"""Any MJCF model is simulated or refused with a clear error (part of the generality issue).

Every model shipped in gymnasium's MuJoCo assets is loaded by ``make_system`` or refused naming the
feature and the element; hand-written models check each refused feature on its own; joint limits without
contact candidates step (they crashed in ``pair_mu``); MuJoCo's constraint-solver choice, which pydojo
never uses, no longer makes MJX refuse a model.
"""
import pathlib

import equinox as eqx
import gymnasium
import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

from pydojo.engine import init, make_system, rollout, step

ASSETS = pathlib.Path(gymnasium.__file__).parent / "envs" / "mujoco" / "assets"
ALL_ASSETS = sorted(p.name for p in ASSETS.glob("*.xml"))


def test_gymnasium_ships_the_models_this_test_is_about():
    assert {"hopper.xml", "humanoid.xml", "reacher.xml", "pusher.xml", "walker2d.xml"} <= set(ALL_ASSETS)


def _expected_problems(model) -> list[str]:
    """The features of ``model`` the engine must refuse, read from MuJoCo's compiled model."""
    return [word for word, used in (("tendons", model.ntendon > 0), ("equality constraints", model.neq > 0),
                                    ("frictionloss", np.any(model.dof_frictionloss > 0)),
                                    ("integrator", model.opt.integrator != mujoco.mjtIntegrator.mjINT_EULER)) if used]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("asset", ALL_ASSETS)
def test_every_gymnasium_model_loads_or_is_refused_naming_the_feature(asset):
    model = mujoco.MjModel.from_xml_path(str(ASSETS / asset))
    for attempt in ("as shipped", "with the Euler integrator"):
        expected = _expected_problems(model)
        if expected:
            with pytest.raises(ValueError, match="does not simulate \\(refused rather than ignored\\)") as err:
                make_system(model)
            assert all(word in str(err.value) for word in expected), (expected, str(err.value))
            if model.ntendon:  # the element is named
                assert f"'{mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_TENDON, 0)}'" in str(err.value)
        else:
            system = make_system(model)
            limited = int(sum(model.jnt_limited[j] for j in range(model.njnt)))
            assert system.mjx_model.nq == model.nq and len(system.limit_qadr) == 2 * limited
        model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER  # what the error tells the user to do


def _xml(body: str, extra: str = "", option: str = "") -> mujoco.MjModel:
    return mujoco.MjModel.from_xml_string(f"""<mujoco><option {option}/><worldbody>{body}</worldbody>{extra}</mujoco>""")


ARM = """<body name="link"><joint name="hinge" type="hinge" axis="0 1 0" {joint}/>
<geom type="capsule" fromto="0 0 0 0.5 0 0" size="0.05" contype="0" conaffinity="0"/><site name="tip" pos="0.5 0 0"/>
<body name="link2" pos="0.5 0 0"><joint name="hinge2" type="hinge" axis="0 1 0"/>
<geom type="capsule" fromto="0 0 0 0.5 0 0" size="0.05" contype="0" conaffinity="0"/></body></body>"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize("joint,extra,expected", [
    ("", '<tendon><fixed name="coupler"><joint joint="hinge" coef="1"/><joint joint="hinge2" coef="-1"/></fixed></tendon>',
     "tendons ('coupler')"),
    ("", '<equality><joint name="lock" joint1="hinge" joint2="hinge2"/></equality>', "equality constraints (joint 'lock')"),
    ('frictionloss="0.3"', "", "joint frictionloss on joints 'hinge' is not simulated; set frictionloss=\"0\""),
    ("", '<actuator><general name="pusher" site="tip" gear="1 0 0 0 0 0"/></actuator>',
     "actuators 'pusher' act through a tendon, site or body"),
    ("", '<option integrator="implicitfast"/>', 'option integrator="IMPLICITFAST": pydojo steps semi-implicit Euler'),
])
def test_unsupported_features_are_refused_naming_the_element(joint, extra, expected):
    with pytest.raises(ValueError, match="refused rather than ignored") as err:
        make_system(_xml(ARM.format(joint=joint), extra))
    assert expected in str(err.value)


@pytest.mark.timeout(120)
def test_mujocos_solver_choice_does_not_matter():
    """MJX refuses PGS (gymnasium's humanoid uses it); pydojo never runs MuJoCo's constraint solver."""
    model = _xml(ARM.format(joint=""), option='solver="PGS"')
    with pytest.raises(NotImplementedError):
        from mujoco import mjx

        mjx.put_model(model)
    assert make_system(model).mjx_model.nq == 2


@pytest.mark.timeout(240)
def test_joint_limits_without_contact_candidates_step_and_hold():
    """gymnasium's inverted pendulum: a slider and a hinge with ranges and no contacts. Pushed into its
    limits it steps (it failed in pair_mu before) and stays within them."""
    model = mujoco.MjModel.from_xml_path(str(ASSETS / "inverted_pendulum.xml"))
    model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER  # it asks for RK4, which the engine refuses
    system = make_system(model)
    assert system.n_contacts == 0 and len(system.limit_qadr) == 4
    run = jax.jit(lambda s, u: jax.lax.scan(lambda c, ui: (step(system, c, ui, 1e-8), c.stats.result), s, u))
    controls = jnp.concatenate([jnp.full((60, 1), 3.0), jnp.full((60, 1), -3.0)])
    final, results = run(init(system, jnp.asarray(model.qpos0), jnp.zeros(model.nv)), controls)
    assert np.all(np.asarray(results) == 0) and int(final.stats.result) == 0
    low, high = model.jnt_range[:, 0], model.jnt_range[:, 1]
    q = np.asarray(final.q)
    assert np.all(q >= low - 1e-6) and np.all(q <= high + 1e-6)
    assert abs(q[0] - low[0]) < 1e-3  # pushed back against the slider's lower limit


def _gym_model(asset):
    model = mujoco.MjModel.from_xml_path(str(ASSETS / asset))
    model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    return model


@pytest.mark.timeout(240)
def test_contacts_that_cannot_carry_load_do_not_stall_the_solver_point():
    """gymnasium's point: a sphere on x/y slides and a z hinge resting on the floor at gap exactly 0. No joint
    can move it along the contact normal (Jₙ = 0), so γ·φ = μ_sc had no solution and every solve failed.
    Such candidates are inactive: every step solves, and the motion is MuJoCo's contact-free one (mj_step
    with contacts disabled); the reported gap stays the geometric one."""
    model = _gym_model("point.xml")
    system = make_system(model)
    controls = jnp.tile(jnp.asarray([[1.0, 0.2]]), (30, 1))
    reference = mujoco.MjModel.from_xml_path(str(ASSETS / "point.xml"))
    reference.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    reference.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
    data = mujoco.MjData(reference)
    data.ctrl[:] = [1.0, 0.2]
    for _ in range(30):
        mujoco.mj_step(reference, data)
    start = init(system, jnp.asarray(model.qpos0), jnp.zeros(model.nv))
    assert float(jnp.min(start.phi)) == 0.0  # the sphere touches the floor
    run = jax.jit(lambda s, u, mu: jax.lax.scan(lambda c, ui: (step(system, c, ui, mu), c.stats.result), s, u))
    for mu in (1e-8, 1e-2):  # μ_sc traced: one compilation
        final, results = run(start, controls, jnp.asarray(mu))
        assert np.all(np.asarray(results) == 0) and int(final.stats.result) == 0, mu
        np.testing.assert_allclose(np.asarray(final.q), data.qpos, atol=1e-9)
        np.testing.assert_allclose(np.asarray(final.phi), np.asarray(start.phi), atol=1e-12)


@pytest.mark.timeout(300)
def test_contacts_that_cannot_carry_load_are_found_on_pusher():
    """gymnasium's pusher: the object and goal slide on the table (x/y only), three candidates at gap 0 with
    Jₙ = 0, marked inactive (that every solve of 200 random-action steps succeeds is in
    test_every_gymnasium_model.py)."""
    from pydojo.engine.contact import inactive_contacts
    from pydojo.engine.terms import model_terms

    model = _gym_model("pusher.xml")
    system = make_system(model)
    terms = eqx.filter_jit(model_terms)(system, jnp.asarray(model.qpos0), jnp.zeros(model.nv), jnp.zeros(model.nu))
    degenerate = np.asarray(inactive_contacts(system, terms.normal))
    zero_gap = np.abs(np.asarray(terms.gap)[:system.n_contacts]) < 1e-9
    assert np.sum(degenerate & zero_gap) == 3  # the object's and goal's candidates resting on the table


def _sliding_sphere(condim: int) -> mujoco.MjModel:
    """A sphere resting on a plane, both geoms of the given condim (MuJoCo combines them by max)."""
    model = _xml(f"""<geom name="floor" type="plane" size="2 2 0.1" condim="{condim}" friction="0.5"/>
<body name="ball" pos="0 0 0.1"><freejoint/><geom name="ball" type="sphere" size="0.1" mass="1" condim="{condim}"
friction="0.5"/></body>""", option='timestep="0.002" integrator="Euler"')
    return model


@pytest.mark.timeout(300)
def test_condim_1_contacts_are_frictionless_as_in_mujoco():
    """A sphere on a plane launched at 1 m/s: with condim 1 it slides on without losing speed, as in MuJoCo's
    own mj_step; with condim 3 (the control) friction makes it roll at 5/7 of that speed, in both. Before,
    condim was ignored (friction always)."""
    speeds = {}
    for condim in (1, 3):
        model = _sliding_sphere(condim)
        system = make_system(model, friction_cone="nonlinear")
        q0, v0 = model.qpos0.copy(), np.zeros(model.nv)
        q0[2] = 0.1
        v0[0] = 1.0
        final, _ = jax.jit(lambda s: rollout(system, s, np.zeros((100, 0)), 1e-8))(init(system, q0, v0))
        data = mujoco.MjData(model)
        data.qpos[:], data.qvel[:] = q0, v0
        for _ in range(100):
            mujoco.mj_step(model, data)
        speeds[condim] = (float(final.v[0]), float(data.qvel[0]))
    ours, theirs = speeds[1]
    assert abs(ours - 1.0) < 1e-6 and abs(theirs - 1.0) < 1e-3, speeds
    # condim 3: friction spins the ball up until it rolls, at 5/7 of the launch speed (a solid sphere)
    assert abs(speeds[3][0] - 5 / 7) < 1e-3 and abs(speeds[3][1] - 5 / 7) < 1e-3, speeds


@pytest.mark.timeout(60)
def test_torsional_and_rolling_friction_are_refused_naming_the_geom():
    for condim in (4, 6):
        with pytest.raises(ValueError, match="refused rather than ignored") as err:
            make_system(_sliding_sphere(condim))
        assert f"geoms 'floor' (condim {condim}), 'ball' (condim {condim})" in str(err.value)
        assert 'set condim="3"' in str(err.value)
        make_system(_sliding_sphere(condim), contacts=False)  # without contact, condim does not matter
