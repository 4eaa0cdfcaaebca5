"""The command-line entry points and the README's quick start."""
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_quick_start_is_two_commands_and_ci_runs_the_second_verbatim():
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    assert commands[1] in (ROOT / ".ci" / "run").read_text().splitlines()


def _run(*args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


@pytest.mark.timeout(240)
def test_unknown_figure_and_benchmark_names_are_rejected():
    out = _run("-m", "pydojo.figures", "fig99")
    assert out.returncode != 0 and "unknown figure(s) ['fig99']" in out.stderr and "fig1" in out.stderr
    out = _run("-m", "pydojo.bench", "nonsense")
    assert out.returncode != 0 and "NAME is one of" in out.stderr and "solver" in out.stderr


@pytest.mark.timeout(300)
def test_fig1_writes_a_png(tmp_path):
    out = _run("-m", "pydojo.figures", "fig1", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    png = tmp_path / "fig1_contact_aware_mu.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert str(png) in out.stdout


@pytest.mark.timeout(60)
def test_train_without_an_experiment_is_a_clear_error(tmp_path):
    from omegaconf import OmegaConf

    from pydojo.train import run

    with pytest.raises(ValueError, match="no trainer selected: pass experiment=<name>"):
        run(OmegaConf.create({"trainer": "???", "seed": 0}), tmp_path)


@pytest.mark.timeout(300)
def test_figures_without_saved_runs_are_listed_with_their_commands_and_the_rest_are_drawn(tmp_path):
    out = _run("-m", "pydojo.figures", "fig5", "fig1", "fig6", "--runs", str(tmp_path / "no_runs"), "--out", str(tmp_path))
    assert out.returncode == 1, out.stderr[-2000:]
    assert (tmp_path / "fig1_contact_aware_mu.png").exists() and "fig1: wrote" in out.stdout
    assert "fig5: not drawn" in out.stdout and "fig6: not drawn" in out.stdout
    assert "pydojo-train -m experiment=fig5 +sweep=fig5" in out.stderr and "+sweep=fig6" in out.stderr


@pytest.mark.timeout(120)
def test_known_dependency_notices_are_silenced_and_other_output_is_kept():
    """MJX's Warp-probe prints and the JAX device/TPU log records (pydojo._quiet) no longer reach the console."""
    code = ("import logging; logging.basicConfig(level=logging.INFO)\n"
            "import pydojo.engine as e; e.make_system(e.load_gymnasium('hopper')); print('done')")
    out = _run("-c", code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "done"
    for notice in ("Failed to import warp", "Failed to import mujoco_warp", "Using JAX default device",
                   "Unable to initialize backend 'tpu'"):
        assert notice not in out.stdout + out.stderr
