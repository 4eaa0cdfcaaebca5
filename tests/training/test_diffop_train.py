"""DiffOP training through the Hydra configs: composition, validation, a run through
pydojo.train.run, exact resume from a checkpoint, and the learning smoke test."""
import json

import jax
import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from pydojo.train import CONFIG_DIR, run
from pydojo.training import diffop, records



def _cfg(*overrides):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("train", overrides=list(overrides))


@pytest.mark.parametrize("task", ["cartpole", "arm", "quadrotor"])
@pytest.mark.parametrize("mode", ["step", "traj"])
def test_experiment_configs_compose_and_build(task, mode):
    cfg = _cfg(f"experiment=diffop_{task}", f"diffop={mode}")
    assert cfg.trainer == "pydojo.training.diffop.run"
    env, policy, est, _ = diffop.build(diffop.validate(cfg))
    assert policy.mode == mode
    assert policy.ocp.horizon == (cfg.ocp.step_horizon if mode == "step" else env.episode_length)
    assert est.num_trajectories == cfg.diffop.num_trajectories


def test_bad_config_values_fail_before_work(tmp_path):
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['learning_rat'\] in diffop"):
        run(_cfg("experiment=diffop_cartpole", "+diffop.learning_rat=0.1"), tmp_path)
    with pytest.raises(ValueError, match="diffop.optimizer='rmsprop' is not one of"):
        run(_cfg("experiment=diffop_cartpole", "diffop.optimizer=rmsprop"), tmp_path)
    with pytest.raises(ValueError, match="ocp.solver='snopt' is not one of"):
        run(_cfg("experiment=diffop_cartpole", "ocp.solver=snopt"), tmp_path)
    with pytest.raises(ValueError, match="unknown option"):
        run(_cfg("experiment=diffop_cartpole", "+env.mass=2.0"), tmp_path)
    for override, message in [("diffop.learning_rate=-0.05", "diffop.learning_rate must be a number > 0, got -0.05"),
                              ("diffop.sigma=0", "diffop.sigma must be a number > 0"),
                              ("diffop.num_trajectories=abc", "diffop.num_trajectories must be an integer >= 1"),
                              ("+ocp.ipm.foo=1", r"unknown option\(s\) \['foo'\] in ocp.ipm; valid options: .*max_iter"),
                              ("ocp.ipm.max_iter=1.5", "ocp.ipm.max_iter must be an integer, got 1.5"),
                              ("+ocp.idoc.bar=1", r"unknown option\(s\) \['bar'\] in ocp.idoc; valid options: hessian_reg, threshold")]:
        with pytest.raises(ValueError, match=message):
            run(_cfg("experiment=diffop_cartpole", override), tmp_path)
    assert not (tmp_path / "metrics.jsonl").exists()


def test_checkpoint_round_trip(tmp_path):
    tree = {"a": jax.numpy.arange(3.0), "key": jax.random.PRNGKey(3), "iteration": jax.numpy.asarray(7)}
    records.save_checkpoint(tmp_path, 7, tree)
    back = records.restore_checkpoint(records.latest_checkpoint(tmp_path), jax.tree_util.tree_map(jax.numpy.zeros_like, tree))
    for x, y in zip(jax.tree_util.tree_leaves(tree), jax.tree_util.tree_leaves(back)):
        np.testing.assert_array_equal(x, y)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_tiny_run_and_exact_resume(tmp_path):
    """A 2-iteration run through pydojo.train.run, continued to 3 iterations from its checkpoint,
    ends at exactly the θ of an uninterrupted 3-iteration run. (Same compiled functions as the learning test
    below: the trainer caches them per config, ignoring the loop lengths.)"""
    base = ["experiment=diffop_cartpole", "diffop.eval_every=1000", "diffop.checkpoint_every=1"]  # evaluations: first and last only
    run(_cfg(*base, "diffop.iterations=2"), tmp_path / "a")  # as if killed before its first checkpoint:
    (tmp_path / "a" / "checkpoints" / "ckpt_0000001.eqx").unlink()  # rows 0, 1 logged, no checkpoint left
    (tmp_path / "a" / "checkpoints" / "ckpt_0000002.eqx").unlink()
    first = run(_cfg(*base, "diffop.iterations=2"), tmp_path / "a")
    rows = [json.loads(line) for line in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in rows if "train_cost" in r] == [0, 1]  # restarted from 0, no duplicate rows
    assert (tmp_path / "a" / "figures" / "learning_curve.png").exists()
    assert (tmp_path / "a" / "config.yaml").exists() and records.latest_checkpoint(tmp_path / "a") is not None
    assert np.isfinite(first["final_cost"])
    resumed = run(_cfg(*base, "diffop.iterations=3"), tmp_path / "a")
    straight = run(_cfg(*base, "diffop.iterations=3"), tmp_path / "b")
    np.testing.assert_array_equal(np.asarray(resumed["theta"]["c"]), np.asarray(straight["theta"]["c"]))
    np.testing.assert_array_equal(np.asarray(resumed["theta"]["f"]), np.asarray(straight["theta"]["f"]))
    rows = [json.loads(line) for line in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in rows if "train_cost" in r] == [0, 1, 2]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_diffop_step_lowers_cartpole_cost(tmp_path):
    """Learning smoke test: 20 iterations of DiffOP (Step) lower the cartpole's control cost by > 3 %."""
    out = run(_cfg("experiment=diffop_cartpole", "diffop.iterations=20", "diffop.eval_every=20"), tmp_path)
    print(OmegaConf.to_yaml(OmegaConf.create({k: out[k] for k in ("initial_cost", "final_cost")})))
    assert out["final_cost"] < 0.97 * out["initial_cost"]


def test_learning_curve_figure_from_saved_runs(tmp_path):
    """fig_diffop draws from runs/diffop_final/<task>_<mode>/<seed>/ and says how to make them when absent."""
    from pydojo.figures import fig_diffop

    with pytest.raises(FileNotFoundError, match="no DiffOP runs under .*diffop_final: make them with: .*pydojo-train -m"):
        fig_diffop.main(tmp_path / "out", tmp_path / "runs")
    for mode in ("step", "traj"):
        for seed in (0, 1):
            run_dir = tmp_path / "runs" / "diffop_final" / f"arm_{mode}" / f"seed{seed}"
            run_dir.mkdir(parents=True)
            config = {"trainer": "pydojo.training.diffop.run", "env": {"name": "arm"}, "diffop": {"mode": mode, "iterations": 2}}
            (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(config)))
            rows = [{"iteration": 0, "eval_cost": 300.0 + seed, "true_theta_cost": 220.0}, {"iteration": 2, "eval_cost": 250.0}]
            (run_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (path,) = fig_diffop.main(tmp_path / "out", tmp_path / "runs")
    assert path.name == "fig_diffop_learning_curves.png" and path.stat().st_size > 10_000


@pytest.mark.timeout(60)
def test_diffop_refuses_a_contact_backend_before_starting_it(tmp_path):
    from pydojo.train import run as train_run

    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose("train", overrides=["experiment=diffop_cartpole", "backend=dojo"])
    with pytest.raises(ValueError, match="runs on backend jax, not backend=dojo"):
        train_run(cfg, tmp_path)
    assert not (tmp_path / "config.yaml").exists()
