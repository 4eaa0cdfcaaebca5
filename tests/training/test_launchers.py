"""Hydra launchers run pydojo sweeps: a two-job multirun with the joblib launcher (parallel processes on this
machine) and with submitit's local executor (what submitit_slurm runs on a cluster) records both runs in
readable job folders, and the second sweep's jobs find every compilation in the shared persistent cache."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
from omegaconf import OmegaConf

ROOT = pathlib.Path(__file__).resolve().parents[2]
TASK = ["experiment=fig5", "env=double_integrator", "+env.overrides.timestep=0.3", "policy.bias=null",
        "estimator.horizon=10", "estimator.batch=4", "fopg.episode_length=10", "fopg.iterations=2"]


def _sweep(sweep_dir, cache, launcher, seeds):
    env = dict(os.environ, PYDOJO_JAX_CACHE=str(cache), PYDOJO_JAX_CACHE_MIN_SECS="0", PYDOJO_NO_PROGRESS="1")
    command = [sys.executable, "-m", "pydojo.train", "--multirun", f"hydra/launcher={launcher}", *launcher_options(launcher),
               *TASK, f"seed={seeds}", f"hydra.sweep.dir={sweep_dir}"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=400, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


def launcher_options(launcher):
    return {"joblib": ["hydra.launcher.n_jobs=2"], "submitit_local": ["hydra.launcher.timeout_min=10"]}[launcher]


def _jobs(sweep_dir):
    jobs = sorted(p for p in sweep_dir.iterdir() if p.is_dir() and (p / "config.yaml").exists())
    return {int(p.name.split("_", 1)[0]): p for p in jobs}


def _check_recorded(sweep_dir, seeds):
    jobs = _jobs(sweep_dir)
    assert sorted(jobs) == [0, 1], list(sweep_dir.iterdir())
    for num, seed in zip((0, 1), seeds):
        folder = jobs[num]
        assert "," not in folder.name and "=" not in folder.name, folder.name
        assert folder.name.endswith(f"seed-{seed}"), folder.name  # readable: job number, then its overrides
        assert OmegaConf.load(folder / "config.yaml").seed == seed
        rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
        assert [r["iteration"] for r in rows] == [0, 1]
        assert (folder / "checkpoints" / "latest").exists()


@pytest.mark.timeout(600)
def test_joblib_and_submitit_local_sweeps_record_every_job_and_share_compilations(tmp_path):
    cache = tmp_path / "cache"
    _sweep(tmp_path / "joblib", cache, "joblib", "0,1")
    _check_recorded(tmp_path / "joblib", (0, 1))
    compiled = {p.name: p.stat().st_mtime_ns for p in cache.glob("*-cache")}
    assert compiled, "the first sweep stored no compilation in PYDOJO_JAX_CACHE"

    _sweep(tmp_path / "submitit", cache, "submitit_local", "2,3")
    _check_recorded(tmp_path / "submitit", (2, 3))
    assert (tmp_path / "submitit" / ".submitit").is_dir()  # submitit's own job records
    # same programs, new processes: every compilation was found in the cache; a miss would compile and write
    # its entry again (a new modification time) or add one
    assert {p.name: p.stat().st_mtime_ns for p in cache.glob("*-cache")} == compiled


@pytest.mark.timeout(60)
@pytest.mark.parametrize("value,message", [("soon", "must be a number of seconds, got 'soon'"), ("-1", "must be >= 0 seconds")])
def test_a_bad_cache_threshold_is_refused_before_the_cache_is_touched(monkeypatch, tmp_path, value, message):
    import jax

    from pydojo.training.compiled import enable_compilation_cache

    before = jax.config.jax_compilation_cache_dir
    monkeypatch.setenv("PYDOJO_JAX_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PYDOJO_JAX_CACHE_MIN_SECS", value)
    with pytest.raises(ValueError, match=f"PYDOJO_JAX_CACHE_MIN_SECS {message}"):
        enable_compilation_cache()
    assert jax.config.jax_compilation_cache_dir == before
