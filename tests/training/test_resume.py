"""A run directory with records is resumed only with the config that made them (``pydojo.training.resume``)."""
import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from pydojo.train import CONFIG_DIR
from pydojo.training import records
from pydojo.training.resume import config_differences, prepare_run_dir

CONFIG = {"trainer": "pydojo.training.fopg.run", "seed": 0, "resume": "auto",
          "smoothing": {"kind": "gaussian", "sigma": 0.1}, "fopg": {"iterations": 40, "learning_rate": 0.05}}


def _with(**changes):
    cfg = OmegaConf.to_container(OmegaConf.create(CONFIG))
    for dotted, value in changes.items():
        node = cfg
        *path, last = dotted.split(".")
        for key in path:
            node = node[key]
        node[last] = value
    return cfg


def _finished_run(run_dir):
    prepare_run_dir(run_dir, _with())
    records.MetricsLog(run_dir).write(iteration=0)
    records.save_checkpoint(run_dir, 40, {"x": __import__("jax").numpy.zeros(2)})


@pytest.mark.timeout(60)
def test_a_changed_config_is_refused_with_the_differences_and_the_record_is_kept(tmp_path):
    _finished_run(tmp_path)
    before = (tmp_path / "config.yaml").read_text()
    changed = _with(**{"smoothing.kind": "exact", "fopg.iterations": 45})
    changed["smoothing"].pop("sigma")
    with pytest.raises(ValueError, match="different config") as err:
        prepare_run_dir(tmp_path, changed)
    message = str(err.value)
    assert "smoothing.kind: 'gaussian' -> 'exact'" in message and "smoothing.sigma: 0.1 -> '<absent>'" in message
    assert "fopg.iterations" not in message  # training longer is a resume
    assert "resume=restart" in message and "hydra.run.dir" in message
    assert (tmp_path / "config.yaml").read_text() == before


@pytest.mark.timeout(60)
def test_more_iterations_resume_and_the_record_names_the_new_count(tmp_path):
    _finished_run(tmp_path)
    prepare_run_dir(tmp_path, _with(**{"fopg.iterations": 45}))
    assert OmegaConf.load(tmp_path / "config.yaml").fopg.iterations == 45
    assert records.latest_checkpoint(tmp_path) is not None


@pytest.mark.timeout(60)
def test_restart_moves_the_old_records_aside_and_deletes_nothing(tmp_path):
    _finished_run(tmp_path)
    prepare_run_dir(tmp_path, _with(**{"smoothing.kind": "exact", "resume": "restart"}))
    archived = list(tmp_path.glob("replaced_*"))
    assert len(archived) == 1
    assert (archived[0] / "metrics.jsonl").exists() and list((archived[0] / "checkpoints").glob("ckpt_*.eqx"))
    assert OmegaConf.load(archived[0] / "config.yaml").smoothing.kind == "gaussian"
    assert OmegaConf.load(tmp_path / "config.yaml").smoothing.kind == "exact"
    assert records.latest_checkpoint(tmp_path) is None and not (tmp_path / "metrics.jsonl").exists()


@pytest.mark.timeout(60)
def test_unknown_resume_mode_and_an_empty_directory(tmp_path):
    with pytest.raises(ValueError, match=r"resume='sometimes' is not one of \('auto', 'restart'\)"):
        prepare_run_dir(tmp_path, _with(resume="sometimes"))
    prepare_run_dir(tmp_path / "new", _with())  # nothing to resume: any config is fine
    assert (tmp_path / "new" / "config.yaml").exists()
    assert config_differences({"a": {"b": 1}}, {"a": {"b": 1}}) == []


def _train(*overrides, timeout=240):
    return subprocess.run([sys.executable, "-m", "pydojo.train", *overrides], capture_output=True, text=True,
                          timeout=timeout, cwd=str(__import__("pathlib").Path(CONFIG_DIR).parent),
                          env={**__import__("os").environ, "PYDOJO_NO_PROGRESS": "1"})


@pytest.mark.timeout(300)
def test_command_line_config_errors_are_one_message_with_exit_status_2(tmp_path):
    out = _train("experiment=quickstart", "policy=mlp", f"hydra.run.dir={tmp_path / 'a'}")
    assert out.returncode == 2, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    assert "unknown option(s) ['bias'] in policy (kind mlp)" in out.stderr
    assert "came from experiment=quickstart: policy.bias (conf/experiment/fig5.yaml)" in out.stderr
    assert "'~policy.bias'" in out.stderr
    from hydra import compose, initialize_config_dir

    from pydojo.training.config import build_run

    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):  # the suggested override works
        assert build_run(compose("train", overrides=["experiment=quickstart", "policy=mlp", "~policy.bias"])).policy
    out = _train("experiment=quickstart", "fopg.iterations=abc", f"hydra.run.dir={tmp_path / 'b'}")
    assert out.returncode == 2 and "fopg.iterations must be an integer, got 'abc'" in out.stderr, out.stderr[-2000:]
    out = _train("experiment=quickstart", "seed=abc", f"hydra.run.dir={tmp_path / 'c'}")
    assert out.returncode == 2 and "seed must be an integer, got 'abc'" in out.stderr, out.stderr[-2000:]


def test_a_run_recorded_before_the_backend_group_resumes_on_the_jax_backend(tmp_path):
    from pydojo.training.resume import config_differences

    old = {"seed": 0, "fopg": {"iterations": 3}}
    assert config_differences(old, {**old, "backend": {"kind": "jax"}}) == []
    assert config_differences(old, {**old, "backend": {"kind": "dojo"}}) == ["backend.kind: 'jax' -> 'dojo'"]
