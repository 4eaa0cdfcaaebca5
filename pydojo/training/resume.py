"""What a run directory already holds decides what a new run into it may do.

A run directory with records (``metrics.jsonl`` or ``checkpoints/``) is resumed only with the config that
made them: the saved ``config.yaml`` is compared with the new one, and any difference other than the
number of iterations (training longer is a resume) is refused with the differences listed, so the record
always says how every iteration was made. ``resume=restart`` starts a new run in the same directory
after moving the old records into ``<run_dir>/replaced_<time>/`` (nothing is deleted).
"""
from __future__ import annotations

import datetime
import pathlib
import shutil
from typing import Any

from omegaconf import OmegaConf

RESUME_MODES = ("auto", "restart")
# keys that may differ between a run and its resume: they change how long it runs, not what an iteration does
MAY_CHANGE = frozenset({"resume", "fopg.iterations", "diffop.iterations", "fopg.max_env_steps", "fopg.max_wall_time"})
MAY_CHANGE_GROUPS = frozenset({"logger", "hydra"})  # where metrics are also sent, how jobs are launched
# not train.log (Hydra has it open); the logger group's default outputs move with the record they view
_RECORDS = ("config.yaml", "metrics.jsonl", "checkpoints", "figures", "metrics.csv", "tensorboard", "mlruns", "mlflow_run_id")


def _flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            out.update(_flat(value, f"{prefix}{key}."))
        return out if out or not prefix else {prefix[:-1]: {}}
    return {prefix[:-1]: tree}


# keys added to the config after runs were recorded without them: absent in an old record means this value
ADDED_LATER = {"backend.kind": "jax", "diffop.method": "diffop"}


def config_differences(old: dict, new: dict) -> list[str]:
    """``key: old -> new`` for every leaf that differs (missing keys shown as <absent>), except MAY_CHANGE."""
    a, b = _flat(old), _flat(new)
    for key, value in ADDED_LATER.items():
        a.setdefault(key, value)
        b.setdefault(key, value)
    absent = "<absent>"
    return [f"{k}: {a.get(k, absent)!r} -> {b.get(k, absent)!r}" for k in sorted(set(a) | set(b))
            if k not in MAY_CHANGE and k.split(".")[0] not in MAY_CHANGE_GROUPS and a.get(k, absent) != b.get(k, absent)]


def has_records(run_dir: pathlib.Path) -> bool:
    return (run_dir / "metrics.jsonl").exists() or any((run_dir / "checkpoints").glob("ckpt_*.eqx"))


def prepare_run_dir(run_dir: pathlib.Path, config: dict) -> None:
    """Refuse a resume with a changed config (or move the old records aside for ``resume=restart``), then
    write ``config.yaml``."""
    mode = config.get("resume", "auto")
    if mode not in RESUME_MODES:
        raise ValueError(f"resume={mode!r} is not one of {RESUME_MODES}")
    run_dir.mkdir(parents=True, exist_ok=True)
    saved = run_dir / "config.yaml"
    if has_records(run_dir):
        if mode == "restart":
            archive = run_dir / f"replaced_{datetime.datetime.now():%Y%m%d-%H%M%S-%f}"
            archive.mkdir()
            for name in _RECORDS:
                if (run_dir / name).exists():
                    shutil.move(str(run_dir / name), str(archive / name))
        elif saved.exists():
            differences = config_differences(OmegaConf.to_container(OmegaConf.load(saved)), config)
            if differences:
                raise ValueError(
                    f"{run_dir} holds a run made with a different config, so it cannot be resumed with this one:\n  "
                    + "\n  ".join(differences)
                    + "\nrerun with the original settings to resume it, pass another hydra.run.dir for a new run, "
                      "or resume=restart to start again here (the old records move to replaced_<time>/)")
    OmegaConf.save(OmegaConf.create(config), saved)
