"""The `logger` config group: what a run logs is read back with each library's own reader (csv, TensorBoard's
EventAccumulator, MLflow's client) and equals the run's metrics.jsonl; resumed runs, bad options, missing libraries."""
from __future__ import annotations

import csv
import math

import pytest
from hydra import compose, initialize_config_dir

from pydojo.train import CONFIG_DIR, run
from pydojo.training import loggers, records

BASE = ["experiment=fig5", "env=double_integrator", "+env.overrides.timestep=0.3", "policy.bias=null",
        "estimator.horizon=10", "estimator.batch=4", "fopg.episode_length=10", "fopg.eval_every=2"]
ALL = "logger=[jsonl,csv,tensorboard,mlflow]"


def _cfg(overrides):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("train", overrides=overrides)


def _tensorboard(directory):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(directory), purge_orphaned_data=True)
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def _mlflow(run_dir):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=(run_dir / "mlruns").resolve().as_uri())
    run_id = (run_dir / "mlflow_run_id").read_text().strip()
    data = client.get_run(run_id)
    history = {k: sorted((m.step, m.value) for m in client.get_metric_history(run_id, k)) for k in data.data.metrics}
    return data, history


def _expected(rows, key):
    return [(r["iteration"], r[key]) for r in rows if r.get(key) is not None and math.isfinite(r[key])]


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("logged")
    run(_cfg(BASE + ["fopg.iterations=3", ALL]), run_dir)
    return run_dir, records.MetricsLog(run_dir).read()


@pytest.mark.timeout(240)
def test_csv_holds_every_row_and_column_of_the_jsonl_record(logged_run):
    run_dir, rows = logged_run
    with (run_dir / "metrics.csv").open(newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == len(rows) == 3
    for row, line in zip(rows, table):
        for key, value in row.items():  # eval_return first appears in row 0 and is blank where not evaluated
            assert line[key] != "" if value is not None else line[key] == ""
            if value is not None:
                assert float(line[key]) == pytest.approx(value, rel=1e-12)
    assert line.get("eval_return") != "" and table[1]["eval_return"] == ""


@pytest.mark.timeout(240)
def test_tensorboard_reader_sees_each_metric_at_its_iteration(logged_run):
    run_dir, rows = logged_run
    scalars = _tensorboard(run_dir / "tensorboard")
    for key in ("train_return", "grad_norm", "eval_return", "env_steps"):
        got = scalars[key]
        assert [s for s, _ in got] == [s for s, _ in _expected(rows, key)]
        assert [v for _, v in got] == pytest.approx([v for _, v in _expected(rows, key)], rel=1e-6)  # float32


@pytest.mark.timeout(240)
def test_mlflow_file_store_holds_the_metrics_and_the_config(logged_run):
    run_dir, rows = logged_run
    data, history = _mlflow(run_dir)
    assert data.data.params["seed"] == "0" and data.data.params["fopg.iterations"] == "3"
    assert data.info.status == "FINISHED" and data.info.run_name == "fig5"  # the run's title
    for key in ("train_return", "eval_return"):
        assert history[key] == [(s, pytest.approx(v, rel=1e-12)) for s, v in _expected(rows, key)]


@pytest.mark.timeout(120)
def test_a_resumed_run_logs_each_iteration_once(tmp_path):
    """A run killed after iteration 3 with a checkpoint at 2 logged iterations 0-3 (its sinks never closed);
    its resume reruns iteration 2 on: the CSV and the TensorBoard events are rebuilt from the cut JSONL record,
    and MLflow continues the same run (its history keeps the redone steps twice: MLflow cannot delete)."""
    log = records.MetricsLog(tmp_path)
    first = loggers.open_sinks({"csv": {}, "tensorboard": {"flush_secs": 0.1}, "mlflow": {}}, tmp_path, [], 0, {"seed": 0})
    log.sinks = first
    for i in range(4):
        log.write(iteration=i, loss=float(i))
    log.sinks = []  # killed: nothing closed or flushed
    run_id = (tmp_path / "mlflow_run_id").read_text()
    log.truncate_after(1)  # what records.resume does for a checkpoint at iteration 2
    log.sinks = loggers.open_sinks({"csv": {}, "tensorboard": {"flush_secs": 0.1}, "mlflow": {}}, tmp_path,
                                   log.read(), 2, {"seed": 0})
    for i in range(2, 5):
        log.write(iteration=i, loss=10.0 + i, eval_return=-float(i))  # a column the first rows lack
    log.close()
    assert _tensorboard(tmp_path / "tensorboard")["loss"] == [(0, 0.0), (1, 1.0), (2, 12.0), (3, 13.0), (4, 14.0)]
    with (tmp_path / "metrics.csv").open(newline="") as f:
        table = list(csv.DictReader(f))
    assert [(r["iteration"], r["loss"], r["eval_return"]) for r in table] == [
        ("0", "0.0", ""), ("1", "1.0", ""), ("2", "12.0", "-2.0"), ("3", "13.0", "-3.0"), ("4", "14.0", "-4.0")]
    assert (tmp_path / "mlflow_run_id").read_text() == run_id
    _, history = _mlflow(tmp_path)
    assert history["eval_return"] == [(2, -2.0), (3, -3.0), (4, -4.0)]
    assert history["loss"] == [(0, 0.0), (1, 1.0), (2, 2.0), (2, 12.0), (3, 3.0), (3, 13.0), (4, 14.0)]


@pytest.mark.timeout(60)
def test_a_run_killed_before_its_first_checkpoint_leaves_no_tensorboard_rows(tmp_path):
    sinks = loggers.open_sinks({"tensorboard": {"flush_secs": 0.1}}, tmp_path, [], 0, {})
    sinks[0].log({"iteration": 0, "loss": 1.0})
    sinks[0].close()
    assert _tensorboard(tmp_path / "tensorboard")["loss"] == [(0, 1.0)]
    loggers.open_sinks({"tensorboard": {}}, tmp_path, [], 0, {})[0].close()  # the restart from iteration 0
    assert "loss" not in _tensorboard(tmp_path / "tensorboard")


@pytest.mark.timeout(60)
def test_restart_moves_the_loggers_outputs_with_the_record(tmp_path):
    from pydojo.training.resume import prepare_run_dir

    for name in ("metrics.jsonl", "metrics.csv", "mlflow_run_id"):
        (tmp_path / name).write_text("x\n")
    for name in ("tensorboard", "mlruns"):
        (tmp_path / name).mkdir()
    prepare_run_dir(tmp_path, {"resume": "restart", "seed": 0})
    (archive,) = tmp_path.glob("replaced_*")
    assert sorted(p.name for p in archive.iterdir()) == ["metrics.csv", "metrics.jsonl", "mlflow_run_id", "mlruns", "tensorboard"]


def test_the_csv_logger_cannot_overwrite_the_record(tmp_path):
    with pytest.raises(ValueError, match="would overwrite the run's own record"):
        loggers.open_sinks({"csv": {"filename": "metrics.jsonl"}}, tmp_path, [], 0, {})


@pytest.mark.timeout(60)
def test_unknown_logger_options_are_refused_before_any_work(tmp_path):
    with pytest.raises(ValueError, match=r"\['foo'\] in logger\.csv; valid options: filename"):
        run(_cfg(BASE + ["fopg.iterations=1", "logger=[jsonl,csv]", "+logger.csv.foo=1"]), tmp_path)
    assert not (tmp_path / "config.yaml").exists()


@pytest.mark.timeout(60)
def test_a_missing_logger_library_is_named_with_its_extra(monkeypatch):
    monkeypatch.setitem(loggers._NEEDS, "tensorboard", "pydojo_no_such_module")
    with pytest.raises(ValueError, match=r'logger=tensorboard needs .*pip install "pydojo\[loggers\]"'):
        loggers.selected({"jsonl": {}, "tensorboard": {}})
    with pytest.raises(ValueError, match=r"unknown logger\(s\) \['wandb'\]"):
        loggers.selected({"wandb": {}})
