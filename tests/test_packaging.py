"""A wheel of pydojo ships its configs: built from a copy of the checkout, installed into a folder of its own,
``python -m pydojo.train`` composes every experiment from the installed package (not from this checkout)."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "pydojo", source / "pydojo", ignore=shutil.ignore_patterns("__pycache__"))
    # build isolation fetches the build backend pyproject.toml names (setuptools >= 68) from the package index
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(work / "dist")],
                           capture_output=True, text=True, timeout=400)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    (wheel,) = (work / "dist").glob("pydojo-*.whl")
    site = work / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                             capture_output=True, text=True, timeout=200)
    assert install.returncode == 0, install.stderr[-2000:]
    return wheel, site, work


def _in_installed(site, cwd, *args):
    env = dict(os.environ, PYTHONPATH=str(site), PYDOJO_NO_PROGRESS="1")  # the installed copy comes first
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=200, cwd=cwd, env=env)


@pytest.mark.timeout(600)
def test_the_wheel_holds_every_config_file(installed):
    wheel, _, _ = installed
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("pydojo/conf/")}
    expected = {str(p.relative_to(ROOT)) for p in (ROOT / "pydojo" / "conf").rglob("*.yaml")}
    assert expected and shipped == expected


@pytest.mark.timeout(600)
def test_the_installed_package_composes_experiments_from_its_own_configs(installed):
    _, site, work = installed
    where = _in_installed(site, work, "-c", "import pydojo.train as t; print(t.__file__); print(t.CONFIG_DIR)")
    assert where.returncode == 0, where.stderr
    module, config_dir = where.stdout.split()
    assert module.startswith(str(site)) and config_dir.startswith(str(site))
    for experiment in ("quickstart", "fig6_hopper", "diffop_cartpole"):
        out = _in_installed(site, work, "-m", "pydojo.train", f"experiment={experiment}", "--cfg", "job")
        assert out.returncode == 0, out.stderr[-2000:]
        assert "trainer: pydojo.training." in out.stdout
    missing = _in_installed(site, work, "-m", "pydojo.train", "experiment=no_such_experiment", "--cfg", "job")
    assert missing.returncode != 0 and "quickstart" in missing.stderr  # Hydra lists the installed experiments


def test_the_checkout_conf_folder_is_the_package_configs():
    assert (ROOT / "conf").resolve() == (ROOT / "pydojo" / "conf").resolve()
