"""The Hydra entry point: ``pydojo-train experiment=<name> [overrides]``.

``run(cfg)`` is plain Python (tests call it directly); ``main`` is the thin
``@hydra.main`` around it. The config names its trainer as a dotted path
(``trainer: pydojo.training.diffop.run``), so there is no if-chain on names: every
trainer is a function ``run(cfg, run_dir) -> dict`` of final metrics.
"""
from __future__ import annotations

import os
import pathlib
from typing import Any

import hydra
from hydra.utils import get_method
from omegaconf import DictConfig, OmegaConf

CONFIG_DIR = str(pathlib.Path(__file__).resolve().parent.parent / "conf")


def run(cfg: DictConfig, run_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Validate ``cfg``, write the resolved config into ``run_dir`` and call its trainer."""
    if cfg.get("trainer") in (None, "???"):
        raise ValueError("no trainer selected: pass experiment=<name> (see conf/experiment/)")
    run_dir = pathlib.Path(run_dir if run_dir is not None else os.getcwd())
    run_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, run_dir / "config.yaml", resolve=True)
    trainer = get_method(cfg.trainer)
    return trainer(cfg, run_dir)


@hydra.main(config_path=CONFIG_DIR, config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    run(cfg, HydraConfig.get().runtime.output_dir)


if __name__ == "__main__":
    main()
