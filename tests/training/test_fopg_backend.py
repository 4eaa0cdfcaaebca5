"""The FOPG trainer does not depend on the JAX engine: it runs on any backend of the interface.

INTERFACE TEST, NOT DOJO. ``NumpyBallBackend`` below is a host-side backend written for this test:
a frictionless planar ball whose step (semi-implicit Euler, one ground contact on the central path
λ·s = μ, solved in closed form) and Jacobians are NumPy code, reached through the callback path the
Dojo backend uses (``pydojo.backends.host.HostBackend``: ``jax.pure_callback`` for the step,
``jax.custom_vjp`` feeding the host's Jacobians to reverse mode, ψ passed to the host as operands,
its own state layout read through the task layout). Julia and Dojo.jl do not run here and nothing
here says anything about Dojo's physics; ``tests/backends/test_dojo_julia.py`` does that where Julia
exists. Checked: the trainer's gradient on this backend equals the JAX engine's where both models
agree (the ball in flight), equals central differences in contact, and training iterations (with
model fitting of ψ through the callback) run through ``pydojo.train.run``.

Also here: ``pydojo-train experiment=fig6_hopper backend=dojo`` where Julia cannot start fails before
any work with the Julia error, in one line, exit status 2, and leaves no run record.
"""
import importlib.util
import math
import os
import shutil
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hydra import compose, initialize_config_dir

import pydojo  # noqa: F401  (x64)
from pydojo import backends
from pydojo.backends.dojo_layout import Layout, TaskLayout
from pydojo.backends.host import HostBackend, HostSystem, _Handle, host_params
from pydojo.train import CONFIG_DIR, run
from pydojo.training import records

NAME = "numpy_ball_interface_test"


class NumpyBallBackend(HostBackend):
    """Interface-test backend (module docstring): not Dojo, not a physics reference.

    Its own layout: joints x and z (minimal state [x, vx, z, vz], z the ball's centre height, no
    rotation); the task layout (the JAX engine's planar ball) is q = (x, z − radius, θ = 0),
    v = (vx, vz, 0). Controls: the task's forces (fx, fz). ψ: body_mass[1] (the ball); no friction.
    """

    name = NAME

    def __init__(self, **options):
        if options:
            raise ValueError(f"{NAME} takes no options, got {sorted(options)}")
        self.options = {}

    def options_for(self, name):
        return ("radius", "mass", "gravity", "timestep")

    def make_system(self, name, **options):
        unknown = sorted(set(options) - set(self.options_for(name)))
        if unknown:
            raise ValueError(f"unknown option(s) {unknown} for {NAME}; valid options: {self.options_for(name)}")
        if name != "ball":
            raise ValueError(f"{NAME} has only the ball, got {name!r}")
        radius, mass = options.get("radius", 0.1), options.get("mass", 1.0)
        gravity, timestep = options.get("gravity", 9.81), options.get("timestep", 0.01)
        task = TaskLayout("linear", 3, 3, control=((1.0, 0.0), (0.0, 1.0)), low=(-np.inf,) * 2, high=(np.inf,) * 2,
                          q_map=((1.0, 0.0), (0.0, 1.0), (0.0, 0.0)), q_offset=(0.0, -float(radius), 0.0),
                          v_map=((1.0, 0.0), (0.0, 1.0), (0.0, 0.0)))
        info = {"joint_names": ["x", "z"], "body_names": ["ball"],
                "initial_minimal_state": np.array([0.0, 0.0, float(radius), 0.0])}
        return HostSystem(name=name, mechanism="numpy_ball", keywords=(("gravity", float(gravity)),
                          ("radius", float(radius)), ("timestep", float(timestep))), layout=Layout((1, 1), (False, False)),
                          timestep=float(timestep), n_contacts=1, n_directions=0, actuation=((1.0, 0.0), (0.0, 1.0)),
                          task=task, info=_Handle(info), handle=None, params=host_params([mass], []))

    def host_distances(self, system, x):
        return np.array([x[2] - dict(system.keywords)["radius"]])

    def host_step(self, system, x, u, mu, body_masses, friction, gradients):
        kw = dict(system.keywords)
        h, g, r, m = kw["timestep"], kw["gravity"], kw["radius"], float(body_masses[0])
        px, vx, pz, vz = x
        fx, fz = u
        vx1 = vx + h * fx / m
        a = pz - r + h * (vz + h * (fz / m - g))  # gap after a contact-free step
        c = h / m  # gap per unit normal impulse
        root = max(math.sqrt(a * a + 4.0 * c * mu), 1e-300)
        lam = (root - a) / (2.0 * c) if a <= 0 else 2.0 * mu / (a + root)  # λ (a + c λ) = μ, λ > 0
        vz1 = vz + h * (fz / m - g) + lam / m
        out = {"next_state": np.array([px + h * vx1, vx1, pz + h * vz1, vz1]), "phi": [pz + h * vz1 - r],
               "gamma": [lam], "friction": np.zeros((1, 0)), "result": 0, "iterations": 0, "eq_residual": 0.0,
               "comp_residual": abs(lam * (a + c * lam) - mu)}
        if gradients:
            dlam = -lam / root  # dλ/da
            da = np.array([0.0, 0.0, 1.0, h])  # ∂a/∂x
            dvz1 = np.array([0.0, 0.0, 0.0, 1.0]) + dlam / m * da
            jx = np.zeros((4, 4))
            jx[1] = [0.0, 1.0, 0.0, 0.0]
            jx[0] = [1.0, h, 0.0, 0.0]
            jx[3] = dvz1
            jx[2] = np.array([0.0, 0.0, 1.0, 0.0]) + h * dvz1
            dvz1_du = np.array([0.0, h / m + dlam / m * h * h / m])
            ju = np.zeros((4, 2))
            ju[1] = [h / m, 0.0]
            ju[0] = [h * h / m, 0.0]
            ju[3] = dvz1_du
            ju[2] = h * dvz1_du
            out.update(jacobian_state=jx, jacobian_control=ju)
        return out


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(backends._BACKENDS, NAME, NumpyBallBackend)


def _ball(backend, **overrides):
    from pydojo.training.tasks import build_env

    return build_env("ball", "episode", {"timestep": 0.01, "goal": [0.5, 0.8], **overrides}, backend=backend)


def _gradient(env, mu, start, key=1):
    """The trainer's FOPG gradient (its jitted ``_estimate``) through the smoothed model at constant μ."""
    from pydojo.estimators import make_estimator
    from pydojo.policies import make_policy
    from pydojo.training.fopg import _estimate, _reset_starts
    from pydojo.training.tasks import stop_on_failure, with_schedule

    model = stop_on_failure(with_schedule(env, mu))
    policy = make_policy("linear", env.observation_size, env.action_size, key=jax.random.PRNGKey(0), noise_std=0.1,
                         bias=[0.3, -0.2])
    estimator = make_estimator("fopg", horizon=12, discount=0.99, batch=2)
    starts = _reset_starts(model, jax.random.PRNGKey(2), 2)
    grad, info = _estimate(estimator, policy, model, starts, jax.random.PRNGKey(key))
    return policy, estimator, model, starts, grad, info


@pytest.mark.timeout(120)
def test_the_environment_runs_on_the_host_backend_in_the_task_layout():
    env = _ball(NumpyBallBackend(), start=[0.2, 0.5])
    assert (env.observation_size, env.action_size) == (6, 2) and env.system.nq == 2
    states = jax.jit(jax.vmap(env.reset))(jax.random.split(jax.random.PRNGKey(0), 3))
    np.testing.assert_allclose(states.physics.q[0], [0.2, 0.5 + 0.1])  # its own layout: the centre height
    np.testing.assert_allclose(states.obs[0], [0.2, 0.5, 0.0, 0.0, 0.0, 0.0])  # the task's: the lowest point
    nxt = jax.jit(jax.vmap(env.step))(states, jnp.ones((3, 2)))
    np.testing.assert_allclose(nxt.obs[0, 4], 0.01 * (1.0 - 9.81), atol=1e-7)  # vz (+ λ ≈ μ/φ = 2e-8)
    with pytest.raises(ValueError, match="unknown option\\(s\\) \\['incline'\\]"):  # not the JAX engine's options
        from pydojo import envs

        envs.make("block", backend=NumpyBallBackend(), incline=0.3)


@pytest.mark.timeout(200)
def test_gradient_equals_the_jax_engines_in_flight():
    """Both models are the same semi-implicit ball in flight (no contact: start 1 m up, 12 steps of 0.01 s);
    the JAX engine's smoothed contact at μ = 1e-8 and 1 m away changes the trajectory by ~1e-8."""
    _, _, _, _, host_grad, host_info = _gradient(_ball(NumpyBallBackend(), start=[0.0, 1.0]), 1e-8, None)
    _, _, _, _, jax_grad, jax_info = _gradient(_ball("jax", start=[0.0, 1.0]), 1e-8, None)
    np.testing.assert_allclose(host_info["model_return"], jax_info["model_return"], rtol=1e-6)
    for a, b in zip(jax.tree_util.tree_leaves(host_grad), jax.tree_util.tree_leaves(jax_grad)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)


@pytest.mark.timeout(200)
def test_gradient_in_contact_equals_central_differences():
    """On the ground, pushed down and sideways (λ > 0 on every step), smoothed at μ = 1e-3: the gradient
    that went through the host's Jacobians equals central differences of the same objective."""
    import equinox as eqx

    from pydojo.estimators.base import batched_unroll
    from pydojo.policies import trainable_filter

    policy, estimator, model, starts, grad, info = _gradient(_ball(NumpyBallBackend(), start=[0.0, 0.0]), 1e-3, None)
    gammas = jax.vmap(lambda s: model.env.physics_step(s.physics, jnp.array([0.3, -0.2])).gamma)(starts)
    assert float(jnp.min(gammas)) > 1e-3  # in contact
    params, static = eqx.partition(policy, trainable_filter(policy))
    objective = jax.jit(lambda p: jnp.mean(batched_unroll(eqx.combine(p, static), model, starts, jax.random.PRNGKey(1),
                                                          estimator.horizon, estimator.discount).discounted_return))
    np.testing.assert_allclose(objective(params), info["model_return"], rtol=1e-12)
    leaves, treedef = jax.tree_util.tree_flatten(params)
    rng = np.random.default_rng(0)
    direction = jax.tree_util.tree_unflatten(treedef, [jnp.asarray(rng.normal(size=np.shape(x))) for x in leaves])
    eps = 1e-5
    shifted = lambda s: jax.tree_util.tree_map(lambda p, d: p + s * d, params, direction)
    fd = (objective(shifted(eps)) - objective(shifted(-eps))) / (2 * eps)
    analytic = sum(jnp.vdot(g, d) for g, d in zip(jax.tree_util.tree_leaves(grad), jax.tree_util.tree_leaves(direction)))
    np.testing.assert_allclose(analytic, fd, rtol=1e-5)


def _cfg(overrides):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("train", overrides=overrides)


BASE = ["experiment=fig5", "env.task=episode", f"backend.kind={NAME}", "smoothing=contact_aware",
        "estimator.horizon=6", "estimator.batch=2", "fopg.episode_length=8", "fopg.starts=data",
        "fopg.buffer_size=64", "fopg.eval_every=1", "fopg.model.fit=[[body_mass,1]]", "fopg.model.fit_every=1",
        "fopg.model.transitions=8", "fopg.model.rounds=2", "fopg.model.candidates=3"]


@pytest.mark.timeout(200)
def test_trainer_iterates_and_fits_psi_on_the_host_backend(registered, tmp_path):
    out = run(_cfg(BASE + ["fopg.iterations=3"]), tmp_path)
    rows = records.MetricsLog(tmp_path).read()
    assert [r["iteration"] for r in rows] == [0, 1, 2]
    for r in rows:
        for key in ("train_return", "eval_return", "grad_norm", "model_loss", "psi_0"):
            assert math.isfinite(r[key]), (key, r)
        assert r["grad_norm"] > 0
    # ψ₀ = 1.5 ψ* (mass 1.5); random search on eq. (4.1) moves it, through the masses the host receives
    assert rows[-1]["psi_0"] != 1.5 and abs(rows[-1]["psi_0"] - 1.0) < abs(1.5 - 1.0)
    assert (tmp_path / "config.yaml").exists() and records.latest_checkpoint(tmp_path) is not None
    assert math.isfinite(out["train_return"])


@pytest.mark.timeout(120)
def test_gradient_model_fitting_is_refused_without_parameter_gradients(registered, tmp_path):
    with pytest.raises(ValueError, match=f"fopg.model.method=gradient needs .* backend={NAME} does not provide"):
        run(_cfg(BASE + ["fopg.model.method=gradient"]), tmp_path)
    with pytest.raises(ValueError, match=f"randomized smoothing .* not supported by backend={NAME}"):
        run(_cfg(BASE + ["smoothing=randomized"]), tmp_path)
    with pytest.raises(ValueError, match=f"randomized smoothing .* not supported by backend={NAME}"):
        run(_cfg(BASE + ["smoothing=randomized", "smoothing.samples=1"]), tmp_path)  # one draw is still random
    assert not (tmp_path / "metrics.jsonl").exists()


def _julia_present() -> bool:
    return importlib.util.find_spec("juliacall") is not None and (
        shutil.which("julia") is not None or bool(os.environ.get("PYTHON_JULIAPKG_EXE")))


@pytest.mark.timeout(240)
@pytest.mark.skipif(_julia_present(), reason="Julia is present: backend=dojo would start it")
def test_backend_dojo_without_julia_fails_before_any_work(tmp_path):
    """The real start-up path (juliacall where it is installed, with juliapkg offline so it cannot download
    Julia): the Julia error, one message, exit status 2, nothing compiled, no record but Hydra's own."""
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHON_JULIAPKG_OFFLINE": "yes", "JAX_LOG_COMPILES": "1", "PYDOJO_TRACEBACK": "0"}
    result = subprocess.run([sys.executable, "-m", "pydojo.train", "experiment=fig6_hopper", "backend=dojo",
                             f"hydra.run.dir={run_dir}"], capture_output=True, text=True, timeout=220, env=env)
    assert result.returncode == 2, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("pydojo-train: error:")]
    assert len(errors) == 1, result.stderr[-3000:]
    assert errors[0].startswith("pydojo-train: error: Julia could not be started for the dojo backend: ")
    assert 'README.md, section "Julia backend"' in result.stderr and "Traceback" not in result.stderr
    assert "Compiling" not in result.stderr + result.stdout  # JAX_LOG_COMPILES: nothing was compiled
    written = sorted(p.name for p in run_dir.iterdir())
    assert set(written) <= {".hydra", "train.log"}, written  # Hydra's own files, written before the task runs
