"""The DiffOP baselines through the Hydra configs: every experiment=<task>_<method> composes and validates,
method/mode/key errors are refused before work, and a short run of RLMPC-TD, RLMPC-DPG and PDP goes through
pydojo.train.run with its metrics (true-system episodes, TD error, critic, imitation loss) recorded. The
short runs are on voltage13, whose environment supplies the pieces the control tasks have by construction (PDP's
demonstration starts, TD's cost scale, DPG's critic state); the estimators' arithmetic is checked on cartpole in
tests/estimators (central differences, mpcrl)."""
import json

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from pydojo.train import CONFIG_DIR, run
from pydojo.training import diffop

TASKS = ("cartpole", "arm", "quadrotor")
METHODS = ("diffop_step", "diffop_traj", "diffop_step_paper", "diffop_traj_paper", "rlmpc_td", "rlmpc_dpg", "pdp", "pdp_paper")


def _cfg(*overrides):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("train", overrides=list(overrides))


@pytest.mark.parametrize("task", TASKS)
def test_every_task_method_experiment_composes_and_validates(task):
    for method in METHODS:
        c = diffop.validate(_cfg(f"experiment={task}_{method}"))
        expected = {"diffop_step": "diffop", "diffop_traj": "diffop", "diffop_step_paper": "diffop", "diffop_traj_paper": "diffop",
                    "rlmpc_td": "rlmpc_td", "rlmpc_dpg": "rlmpc_dpg", "pdp": "pdp", "pdp_paper": "pdp"}[method]
        assert c["diffop"]["method"] == expected and c["env"]["name"] == task, method
        assert c["ocp"]["step_horizon"] == {"cartpole": 6, "arm": 12, "quadrotor": 12}[task]
    paper = diffop.validate(_cfg(f"experiment={task}_diffop_step_paper"))["diffop"]
    assert (paper["optimizer"], paper["learning_rate"], paper["beta"], paper["num_trajectories"]) == ("sgd", 0.1, 0.01, 10)


def test_baseline_config_errors_are_refused_before_work(tmp_path):
    for overrides, message in [
        (["experiment=cartpole_rlmpc_td", "diffop.mode=traj"], "diffop.method=rlmpc_td runs in mode 'step'"),
        (["experiment=cartpole_pdp", "diffop.mode=step"], "diffop.method=pdp runs in mode 'traj'"),
        (["experiment=cartpole_rlmpc_dpg", "~diffop.ridge"], r"diffop.method=rlmpc_dpg needs key\(s\) \['ridge'\]"),
        (["experiment=cartpole_rlmpc_td", "+diffop.beta=0.1"], r"unknown key\(s\) \['beta'\] in diffop \(method rlmpc_td\)"),
        (["experiment=cartpole_rlmpc_td", "diffop.discount=1.5"], r"diffop.discount must be in \(0, 1\]"),
        (["experiment=cartpole_rlmpc_td", "diffop.method=sarsa"], "diffop.method='sarsa' is not one of"),
    ]:
        with pytest.raises(ValueError, match=message):
            run(_cfg(*overrides), tmp_path)
    assert not (tmp_path / "metrics.jsonl").exists()


VOLTAGE_SMALL = ["env.num_scenarios=4", "env.num_eval_starts=2", "env.episode_length=4", "ocp.step_horizon=2", "diffop.iterations=2",
                 "diffop.eval_every=1"]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("method", ["rlmpc_td", "rlmpc_dpg", "pdp"])
def test_short_baseline_runs_on_voltage13_record_their_metrics(tmp_path, method):
    from pydojo import envs
    from pydojo.envs.power import voltage

    env = envs.make("voltage13", num_scenarios=2, num_eval_starts=1)
    if method == "pdp":  # the demonstrations start from scenarios 500-504, outside the evaluation seeds 0-499
        starts = np.asarray(env.demonstration_states)
        assert starts.shape == (5, voltage.STATE_SIZE)
        np.testing.assert_allclose(starts[0], np.asarray(env.initial_state(voltage.scenario(500))), rtol=0, atol=1e-12)
    elif method == "rlmpc_dpg":
        assert np.asarray(env.critic_state(env.eval_starts[0])).shape == (6,)  # v², q: the constant v₀², p are left out
    # PDP: small plain-gradient steps, so that the imitation loss must fall if ∇ℓ is right (Adam's first steps of lr 0.05
    # can overshoot on this short problem)
    extra = ["diffop.num_trajectories=2"] if method != "pdp" else ["diffop.optimizer=sgd", "diffop.learning_rate=1e-3"]
    overrides = [f"experiment=voltage_{method}", *VOLTAGE_SMALL, *extra]
    result = run(_cfg(*overrides), tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    trained = [r for r in rows if "grad_norm" in r]
    assert [r["iteration"] for r in trained] == [0, 1]
    assert all(r["failed_solves"] == 0 and np.isfinite(r["grad_norm"]) and r["grad_norm"] > 0 for r in trained)
    assert [r["episodes"] for r in trained] == ([0, 0] if method == "pdp" else [2, 4])
    assert ("train_cost" in trained[0]) == (method != "pdp")  # PDP's per-iteration "costs" are imitation losses
    assert np.isfinite(result["final_cost"]) and result["final_cost"] != result["initial_cost"]  # θ moved the policy
    if method == "rlmpc_td":
        assert all(r["td_error_rms"] > 0 for r in trained)
    elif method == "rlmpc_dpg":
        assert all(np.isfinite(r["critic_weight_norm"]) and r["critic_weight_norm"] > 0 for r in trained)
    else:
        assert trained[1]["imitation_loss"] < trained[0]["imitation_loss"]
    assert (tmp_path / "figures" / "learning_curve.png").exists() and (tmp_path / "theta.json").exists()
