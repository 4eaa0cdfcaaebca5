"""Tests that need Julia + Dojo.jl (marker ``julia``): they run wherever Julia is present and
skip, with the reason printed (pytest -ra), where it is not. None of them has run on the
machine this was written on (no Julia there); see the README's "Julia backend" section.

Julia counts as present when juliacall is importable and a Julia executable is available
(``julia`` on PATH or PYTHON_JULIAPKG_EXE); juliacall alone would download Julia, which a
test run should not do silently.
"""
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pydojo  # noqa: F401

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _julia_missing_reason():
    if importlib.util.find_spec("juliacall") is None:
        return "juliacall is not installed (pip install -e '.[julia]')"
    if shutil.which("julia") is None and not os.environ.get("PYTHON_JULIAPKG_EXE"):
        return "no Julia executable (put julia 1.10, at least 1.10.3, on PATH or set PYTHON_JULIAPKG_EXE)"
    return None


REASON = _julia_missing_reason()
pytestmark = [pytest.mark.julia, pytest.mark.skipif(REASON is not None, reason=f"Julia not available: {REASON}")]

TIGHT = dict(rtol=1e-11, comp_rtol=1e-9, comp_atol=1e-13, max_iter=80)
RADIUS, EDGE = 0.5, 0.5  # Dojo's get_sphere / get_block defaults


@pytest.mark.timeout(1800)
def test_julia_starts_in_a_subprocess():
    code = ("from pydojo.backends import _julia; "
            "print(_julia.call(lambda m: str(m.seval('string(pkgversion(PyDojoBridge.Dojo))'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "0.7.1"


@pytest.fixture(scope="module")
def backend():
    from pydojo.backends.dojo import DojoBackend

    return DojoBackend(**TIGHT)


def _jax_engine(env, friction, cone):
    from pydojo.engine import models
    from pydojo.engine.system import make_system

    if env == "sphere":
        model = models.ball_mjcf(radius=RADIUS, mass=1.0, friction=friction, timestep=0.01)
    else:
        model = models.block_mjcf(half_size=EDGE / 2, mass=1.0, friction=friction, timestep=0.01)
    return make_system(model, friction_cone=cone)


@pytest.mark.timeout(1800)
def test_sphere_drop_agrees_with_the_jax_engine(backend):
    """Sphere dropped from 0.05 above the ground at 1 m/s: the planar JAX ball and Dojo's 3-D
    sphere follow the same implicit step with a flat-ground gap, so heights agree to 1e-6 m."""
    from pydojo.engine import pipeline

    system = backend.make_system("sphere", timestep=0.01, friction=0.5)
    state = backend.init(system, jnp.array([0, 0, RADIUS + 0.05, 1, 0, 0, 0.0]), jnp.array([0, 0, -1.0, 0, 0, 0]))
    jsys = _jax_engine("sphere", 0.5, "nonlinear")
    jstate = pipeline.init(jsys, jnp.array([0.0, 0.05, 0.0]), jnp.array([0.0, -1.0, 0.0]))
    for _ in range(15):
        state = backend.step(system, state, jnp.zeros(6), 1e-8)
        jstate = pipeline.step(jsys, jstate, jnp.zeros(2), 1e-8)
        assert int(state.stats.result) == 0
        np.testing.assert_allclose(state.q[2] - RADIUS, jstate.q[1], atol=1e-6)
        np.testing.assert_allclose(state.v[2], jstate.v[1], atol=1e-5)
    assert abs(float(state.phi[0])) < 1e-6  # landed and resting


@pytest.mark.timeout(1800)
def test_block_push_agrees_with_the_jax_engine(backend):
    """Block sliding at 0.5 m/s pushed by 8 N with friction 0.5: v⁺ = v + h (F/m − μ g) in both."""
    from pydojo.engine import pipeline

    system = backend.make_system("block", timestep=0.01, friction=0.5, friction_cone="nonlinear")
    state = backend.init(system, jnp.array([0, 0, EDGE / 2, 1, 0, 0, 0.0]), jnp.array([0.5, 0, 0, 0, 0, 0.0]))
    jsys = _jax_engine("block", 0.5, "nonlinear")
    jstate = pipeline.init(jsys, jnp.array([0.0, 0.0]), jnp.array([0.5, 0.0]))
    for k in range(10):
        state = backend.step(system, state, jnp.array([8.0, 0, 0, 0, 0, 0]), 1e-8)
        jstate = pipeline.step(jsys, jstate, jnp.array([8.0]), 1e-8)
        np.testing.assert_allclose(state.v[0], jstate.v[0], rtol=1e-5)
        np.testing.assert_allclose(state.v[0], 0.5 + (k + 1) * 0.01 * (8.0 - 0.5 * 9.81), rtol=1e-5)
        np.testing.assert_allclose(state.q[2], EDGE / 2, atol=1e-6)


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("mu", [1e-2, 1e-4])
def test_mu_sc_is_honoured(backend, mu):
    """After the step every contact's γ₁ s₁ = γ φ lies in the band around μ_sc (comp_rtol = 1e-9)."""
    system = backend.make_system("block", timestep=0.01)
    state = backend.init(system, jnp.array([0, 0, EDGE / 2 + 0.001, 1, 0, 0, 0.0]), jnp.array([0.2, 0, -0.3, 0, 0, 0]))
    nxt = backend.step(system, state, jnp.zeros(6), mu)
    assert int(nxt.stats.result) == 0
    assert float(nxt.stats.comp_residual) <= TIGHT["comp_rtol"] * mu + TIGHT["comp_atol"]
    np.testing.assert_allclose(nxt.gamma * nxt.phi, mu, rtol=1e-6)
    assert float(nxt.mu) == mu


@pytest.mark.timeout(1800)
def test_dojo_jacobians_match_central_differences(backend):
    """jax.jacrev through the custom_vjp (Dojo's implicit-function-theorem Jacobians) vs central
    differences of the step itself, sphere in smoothed contact (μ_sc = 1e-3), rolling and sliding."""
    system = backend.make_system("sphere", timestep=0.01, friction=0.8)
    q = jnp.array([0.0, 0.0, RADIUS + 0.002, 1.0, 0.0, 0.0, 0.0])
    v = jnp.array([0.4, 0.1, -0.2, 0.1, 0.0, 0.3])
    u = jnp.array([0.5, -0.2, 0.3, 0.0, 0.1, 0.0])
    base = backend.init(system, q, v)

    def f(v_, u_):
        nxt = backend.step(system, base.__class__(q=q, v=v_, gamma=base.gamma, friction=base.friction, phi=base.phi,
                                                  mu=base.mu, stats=base.stats), u_, 1e-3)
        return jnp.concatenate([nxt.q, nxt.v])

    jac_v, jac_u = jax.jacrev(f, argnums=(0, 1))(v, u)
    eps = 1e-6
    for jac, x, which in ((jac_v, v, 0), (jac_u, u, 1)):
        fd = np.zeros(jac.shape)
        for i in range(x.shape[0]):
            dx = jnp.zeros_like(x).at[i].set(eps)
            args_p, args_m = [v, u], [v, u]
            args_p[which], args_m[which] = x + dx, x - dx
            fd[:, i] = (np.asarray(f(*args_p)) - np.asarray(f(*args_m))) / (2 * eps)
        np.testing.assert_allclose(jac, fd, atol=1e-4 * max(1.0, np.abs(fd).max()))  # FD error ~ eps²/μ_sc²


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.skipif(shutil.which("julia") is None, reason="no `julia` on PATH to run julia/test/runtests.jl")
def test_julia_package_tests():
    out = subprocess.run(["julia", "--project=julia", "-e", "using Pkg; Pkg.instantiate(); Pkg.test()"], cwd=ROOT,
                         capture_output=True, text=True, timeout=3600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]


# --- the environments and the trainer on backend=dojo (written without Julia: none of these has run) ---------


@pytest.mark.timeout(1800)
def test_ball_env_on_dojo_drops_like_the_jax_ball():
    """The same task on both backends: the ball's observations (task layout: x, z of the lowest point, θ, and
    velocities) agree while it falls onto the ground and settles (radius 0.1 reaches get_sphere)."""
    from pydojo import envs

    common = dict(start=(0.0, 0.05), friction_cone="nonlinear", radius=0.1)
    dojo_env = envs.make("ball", backend="dojo", **common)
    jax_env = envs.make("ball", **common)
    a, b = dojo_env.reset(jax.random.PRNGKey(0)), jax_env.reset(jax.random.PRNGKey(0))
    for _ in range(15):
        a, b = dojo_env.step(a, jnp.zeros(2)), jax_env.step(b, jnp.zeros(2))
        np.testing.assert_allclose(a.obs[[0, 1, 3, 4]], b.obs[[0, 1, 3, 4]], atol=1e-5)
    assert abs(float(a.obs[1])) < 1e-5  # resting on the ground


@pytest.mark.timeout(1800)
def test_hopper_env_on_dojo_starts_at_gymnasiums_qpos0_and_steps():
    from pydojo import envs

    env = envs.make("hopper", backend="dojo", reset_noise_scale=0.0)
    assert (env.observation_size, env.action_size) == (11, 3)
    state = env.reset(jax.random.PRNGKey(0))
    np.testing.assert_allclose(env.view(state.physics).q, [0.0, 1.25, 0.0, 0.0, 0.0, 0.0], atol=1e-9)
    for _ in range(5):
        state = jax.jit(lambda s, a: env.step(s, a))(state, jnp.array([0.5, -0.5, 0.2]))
    assert np.all(np.isfinite(np.asarray(state.obs))) and float(state.info["solver_result"]) == 0


@pytest.mark.timeout(3600)
def test_fopg_iterations_run_on_dojo(tmp_path):
    from hydra import compose, initialize_config_dir

    from pydojo.train import CONFIG_DIR, run
    from pydojo.training import records

    overrides = ["experiment=fig5", "env.task=episode", "backend=dojo", "smoothing=contact_aware", "estimator.horizon=6",
                 "estimator.batch=2", "fopg.episode_length=8", "fopg.iterations=2", "fopg.eval_every=1",
                 "fopg.model.fit=[[body_mass,1]]", "fopg.model.fit_every=1", "fopg.model.rounds=2",
                 "fopg.model.candidates=2", "fopg.model.transitions=8"]
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    run(cfg, tmp_path)
    rows = records.MetricsLog(tmp_path).read()
    assert len(rows) == 2 and all(np.isfinite(r["grad_norm"]) and np.isfinite(r["model_loss"]) for r in rows)
