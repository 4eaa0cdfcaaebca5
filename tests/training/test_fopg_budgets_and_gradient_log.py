"""Budgets (fopg.max_env_steps, fopg.max_wall_time) stop a run after the iteration that reaches them (their bad
values: test_fopg_trainer.py), and
the gradient log (fopg.diagnose) measures the estimator's variance and bias against a reference on the true
system (the exact model or likelihood ratio): unbiased where the model is the true system, biased where it is not."""
import jax
import numpy as np
import pytest
from hydra import compose, initialize_config_dir

import pydojo  # noqa: F401
from pydojo.estimators import make_estimator
from pydojo.policies import LinearPolicy
from pydojo.train import CONFIG_DIR, run
from pydojo.training import records
from pydojo.training.buffer import Buffer
from pydojo.training.fopg import _data_starts, _estimate, collect
from pydojo.training.gradient_log import DiagnoseSettings, gradient_terms
from pydojo.training.tasks import build_env

BASE = ["experiment=fig5", "env=double_integrator", "+env.overrides.timestep=0.3", "policy.bias=null",
        "estimator.horizon=10", "estimator.batch=4", "fopg.episode_length=10", "fopg.learning_rate=0.2",
        "fopg.eval_every=5"]


def _cfg(overrides):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("train", overrides=overrides)


@pytest.mark.timeout(300)
def test_env_step_budget_stops_after_the_iteration_that_reaches_it_and_diagnostics_are_logged(tmp_path):
    # fig5's trainer: 1 episode of 10 steps per iteration, no termination: 10 env steps per iteration
    overrides = BASE + ["fopg.iterations=50", "fopg.max_env_steps=35", "fopg.diagnose.every=2",
                        "fopg.diagnose.samples=4", "fopg.diagnose.reference_batch=16", "fopg.diagnose.reference_samples=2"]
    run(_cfg(overrides), tmp_path)
    rows = records.MetricsLog(tmp_path).read()
    steps = [r["env_steps"] for r in rows]
    assert steps == [10.0, 20.0, 30.0, 40.0], steps         # stops at the first iteration with >= 35 steps
    assert "eval_return" in rows[-1]                          # the last iteration is evaluated
    diagnosed = [r["iteration"] for r in rows if "grad_total_variance" in r]
    assert diagnosed == [0, 2, 3], diagnosed                 # every 2 and the iteration the budget stopped
    for r in rows:
        if "grad_bias" in r:
            assert r["grad_total_variance"] > 0 and r["grad_reference_se"] > 0 and r["diagnose_time"] > 0
    run(_cfg(overrides), tmp_path)                            # resumed at its budget: nothing more is done
    assert len(records.MetricsLog(tmp_path).read()) == 4


@pytest.mark.timeout(300)
def test_wall_clock_budget_stops_after_the_first_iteration_that_reaches_it(tmp_path):
    run(_cfg(BASE + ["fopg.iterations=50", "fopg.max_wall_time=1e-3"]), tmp_path)
    rows = records.MetricsLog(tmp_path).read()
    assert len(rows) == 1 and rows[0]["wall_time"] >= 1e-3 and "eval_return" in rows[0]
    assert (tmp_path / "checkpoints").exists()


@pytest.fixture(scope="module")
def integrator_data():
    env = build_env("double_integrator", "episode", {"timestep": 0.3})
    policy = LinearPolicy(env.observation_size, env.action_size, noise_std=0.3, bias=None,
                          key=jax.random.PRNGKey(3))
    states, actions, nxt, _, alive = collect(policy, env, jax.random.PRNGKey(1), 1.0, episodes=8, length=10)
    buffer = Buffer.empty(env.reset(jax.random.PRNGKey(0)).physics, env.action_size, 200).add(states, actions, nxt,
                                                                                                alive)
    return env, policy, buffer


@pytest.mark.parametrize("reference", ["lr", "exact"])
@pytest.mark.timeout(300)
def test_the_bias_is_unresolved_for_the_true_model_and_resolved_for_a_wrong_one(integrator_data, reference):
    env, policy, buffer = integrator_data
    est = make_estimator("fopg", horizon=8, discount=0.99, batch=16)
    settings = DiagnoseSettings(every=1, samples=32, reference=reference, reference_batch=256, reference_samples=4)
    key = jax.random.PRNGKey(7)
    same = gradient_terms(_estimate, _data_starts, est, policy, env, env, buffer, key, settings)
    # the model is the true system (smooth, no contact): E ĝ_FOPG = E ĝ_LR = ∇J, so the bias is within the
    # two means' errors
    assert same["grad_bias"] < 3.0 * np.hypot(same["grad_reference_se"], same["grad_bias_se"]), same
    wrong = build_env("double_integrator", "episode", {"timestep": 0.6})  # twice the true time step
    off = gradient_terms(_estimate, _data_starts, est, policy, wrong, env, buffer, key, settings)
    assert off["grad_bias"] > 5.0 * np.hypot(off["grad_reference_se"], off["grad_bias_se"]), off
    assert off["grad_relative_bias"] > 0.2, off
