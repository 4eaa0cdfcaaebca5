"""Every config in conf/ composes (Hydra compose API), and every FOPG experiment validates (all its
objects are built) without starting work."""
import pathlib

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from pydojo.train import CONFIG_DIR

CONF = pathlib.Path(CONFIG_DIR)
EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))
GROUP_OPTIONS = sorted(
    (p.parent.relative_to(CONF).as_posix(), p.stem)
    for p in CONF.rglob("*.yaml")
    if p.parent != CONF and p.parent.name not in ("experiment", "hydra")
)


def _compose(overrides):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("train", overrides=overrides)


def test_there_are_configs_to_compose():
    assert {"fig5", "quickstart", "fig6_hopper", "fig6_halfcheetah"} <= set(EXPERIMENTS)
    assert len(GROUP_OPTIONS) >= 10


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_experiment_composes(name):
    cfg = _compose([f"experiment={name}"])
    assert cfg.trainer not in (None, "???"), f"experiment {name} selects no trainer"
    OmegaConf.to_container(cfg, resolve=True)


@pytest.mark.parametrize("group,option", GROUP_OPTIONS)
def test_every_group_option_composes(group, option):
    in_defaults = group in {next(iter(d)) for d in OmegaConf.to_container(OmegaConf.load(CONF / "train.yaml").defaults) if isinstance(d, dict)}
    cfg = _compose([f"{'' if in_defaults else '+'}{group}={option}"])  # a group of the defaults list is replaced
    OmegaConf.to_container(cfg, resolve=True)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", [n for n in EXPERIMENTS if n.startswith(("fig5", "fig6", "quickstart"))])
def test_fopg_experiments_validate_without_work(name):
    from pydojo.training.config import build_run

    spec = build_run(_compose([f"experiment={name}"]))
    assert spec.estimator.horizon >= 1 and spec.settings.iterations >= 1
