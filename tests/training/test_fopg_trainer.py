"""The Algorithm 1 trainer: bad configs fail before any work, a SIGKILLed run resumes exactly, and a
short run on the double integrator improves its return. (Learning on the contact tasks:
test_fopg_learning_ball.py, test_fopg_learning_hopper.py.)"""
import os
import pathlib
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import pytest
from hydra import compose, initialize_config_dir

import pydojo  # noqa: F401
from pydojo.train import CONFIG_DIR, run
from pydojo.training import records

BASE = ["experiment=fig5", "env=double_integrator", "+env.overrides.timestep=0.3", "policy.bias=null", "estimator.horizon=10", "estimator.batch=4",
        "fopg.episode_length=10", "fopg.learning_rate=0.2", "fopg.eval_every=5"]


def _cfg(overrides):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("train", overrides=overrides)


@pytest.mark.parametrize("override,message", [
    (["smoothing=constant", "smoothing.value=-1.0"], "ConstantMu.value must be >= 0"),
    (["estimator.horizon=0"], "horizon H must be >= 1, got 0"),
    (["env.name=moon_lander"], "unknown environment 'moon_lander'; valid names:"),
    (["+fopg.bogus=1"], "unknown option\\(s\\) \\['bogus'\\] in fopg; valid options:"),
    (["+policy.depth=3"], "unknown option\\(s\\) \\['depth'\\] in policy \\(kind linear\\); valid options: .*noise_std"),
    (["fopg.iterations=abc"], "fopg.iterations must be an integer, got 'abc'"),
    (["fopg.max_grad_norm=big"], "fopg.max_grad_norm must be a number or null, got 'big'"),
    (["seed=abc"], "seed must be an integer, got 'abc'"),
    (["fopg.optimizer=rmsprop"], "fopg.optimizer must be one of \\('sgd', 'adam'\\), got 'rmsprop'"),
    (["fopg.model.healthy_softness=-0.1"], "fopg.model.healthy_softness must be >= 0"),
    (["fopg.model.healthy_softness=0.05"], "healthy_softness > 0 needs a locomotion environment"),
    (["fopg.max_env_steps=0"], "fopg.max_env_steps must be > 0 or null"),
    (["fopg.max_wall_time=-5"], "fopg.max_wall_time must be > 0 or null"),
    (["fopg.diagnose.samples=1"], "fopg.diagnose needs samples >= 2"),
    (["fopg.diagnose.every=-1"], "fopg.diagnose.every must be >= 0"),
    (["fopg.diagnose.reference=mc"], "fopg.diagnose.reference must be one of \\('exact', 'lr'\\)"),
    (["+fopg.diagnose.bogus=1"], "unknown option\\(s\\) \\['bogus'\\] in fopg.diagnose; valid options:"),
])
def test_bad_config_fails_before_any_work(tmp_path, override, message):
    cfg = _cfg(BASE + override)
    with pytest.raises(ValueError, match=message):
        run(cfg, tmp_path)
    assert not (tmp_path / "metrics.jsonl").exists() and not (tmp_path / "checkpoints").exists()


@pytest.mark.timeout(200)
def test_the_model_gets_the_smooth_healthy_bonus_and_the_true_system_does_not():
    from pydojo.smoothing import DistanceMu
    from pydojo.training.config import build_run
    from pydojo.training.fopg import smoothed_model

    run_spec = build_run(_cfg(["experiment=fig6_hopper"]))  # fopg.model.healthy_softness: 0.05
    model = smoothed_model(run_spec, run_spec.spec.read(run_spec.true_env.system.params))
    assert model.healthy_softness == 0.05 and run_spec.true_env.healthy_softness == 0.0
    assert isinstance(model.schedule, DistanceMu) and not isinstance(run_spec.true_env.schedule, DistanceMu)


def test_unknown_group_option_is_rejected_by_hydra():
    from hydra.errors import MissingConfigException

    with pytest.raises(MissingConfigException, match="smoothing/nope"):
        _cfg(BASE + ["smoothing=nope"])


@pytest.mark.timeout(200)
def test_short_run_improves_the_double_integrator(tmp_path):
    out = run(_cfg(BASE + ["fopg.iterations=30"]), tmp_path)
    rows = records.MetricsLog(tmp_path).read()
    evals = [r["eval_return"] for r in rows if "eval_return" in r]
    assert evals[-1] > 0.6 * evals[0], evals  # about −11 → −4.6 with this seed
    assert pathlib.Path(out["figure"]).exists()


def _command(run_dir, iterations):
    overrides = BASE + [f"fopg.iterations={iterations}", "fopg.checkpoint_every=5", f"hydra.run.dir={run_dir}"]
    return [sys.executable, "-m", "pydojo.train", *overrides]


@pytest.mark.timeout(280)
def test_sigkill_and_restart_resumes_to_the_same_parameters(tmp_path):
    env = {**os.environ, "PYDOJO_NO_PROGRESS": "1", "PYDOJO_JAX_CACHE": str(tmp_path / "jax_cache")}
    n = 300
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    subprocess.run(_command(straight, n), env=env, check=True, capture_output=True, timeout=200)
    proc = subprocess.Popen(_command(killed, n), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 150
    while time.time() < deadline:
        rows = records.MetricsLog(killed).read() if (killed / "metrics.jsonl").exists() else []
        if len(rows) >= 40 and records.latest_checkpoint(killed) is not None:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(records.MetricsLog(killed).read())
    assert 0 < done_before < n, "the run must be killed mid-way"
    resumed = subprocess.run(_command(killed, n), env=env, capture_output=True, text=True, timeout=200)
    assert resumed.returncode == 0, f"the resumed run failed after {done_before} iterations:\n{resumed.stderr[-3000:]}"
    rows = records.MetricsLog(killed).read()
    assert [r["iteration"] for r in rows] == list(range(n))  # no gap, no duplicate after the restart
    log = (killed / "train.log").read_text()  # the training lines and the resume notice; not on the console
    assert f"resuming from iteration " in log and f"of {killed}" in log
    assert "iteration 0: env_steps=" in log and f"iteration {n - 1}: env_steps=" in log
    assert log.index("resuming from iteration") < log.rindex(f"iteration {n - 1}: ")
    assert f"iteration {n - 1}: " not in resumed.stderr + resumed.stdout
    a = records.restore_checkpoint(records.latest_checkpoint(straight), _template(straight))
    b = records.restore_checkpoint(records.latest_checkpoint(killed), _template(killed))
    for x, y in zip(jax.tree_util.tree_leaves(a.policy), jax.tree_util.tree_leaves(b.policy)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert float(a.env_steps) == float(b.env_steps)


def _template(run_dir):
    from omegaconf import OmegaConf

    from pydojo.training.config import build_run
    from pydojo.training.fopg import initial_state, make_optimizer

    spec = build_run(OmegaConf.load(run_dir / "config.yaml"))
    return initial_state(spec, make_optimizer(spec.settings))
