"""The Hydra entry point: ``pydojo-train experiment=<name> [overrides]``.

``run(cfg)`` is plain Python (tests call it directly); ``main`` is the thin
``@hydra.main`` around it. The config names its trainer as a dotted path
(``trainer: pydojo.training.diffop.run``), so there is no if-chain on names: every
trainer is a function ``run(cfg, run_dir) -> dict`` of final metrics.
"""
from __future__ import annotations

import os
import pathlib
import sys
from typing import Any

import hydra
from hydra.utils import get_method
from omegaconf import DictConfig, OmegaConf

from pydojo.backends import BackendUnavailableError
from pydojo.options import UnknownOptions
from pydojo.training import loggers
from pydojo.training.resume import prepare_run_dir

# The configs live inside the package (so a wheel ships them); the checkout's top-level conf/ links here.
CONFIG_DIR = str(pathlib.Path(__file__).resolve().parent / "conf")


def short_name(text: str, limit: int = 200) -> str:
    """``text`` if at most ``limit`` characters, else its start and a hash of the whole (a multirun job's
    folder is named by its overrides; file names must stay under the file system's 255 bytes)."""
    import hashlib

    name = text.replace(os.sep, "%")  # an override value with a slash must not make nested folders
    if len(name.encode()) <= limit:
        return name
    head = name.encode()[:limit - 10].decode(errors="ignore")
    return f"{head}__{hashlib.sha1(text.encode()).hexdigest()[:8]}"


if not OmegaConf.has_resolver("pydojo.short"):
    OmegaConf.register_new_resolver("pydojo.short", short_name)  # used by hydra.sweep.subdir in conf/train.yaml


def experiment_files(name: str) -> list[pathlib.Path]:
    """conf/experiment/<name>.yaml and the experiment files it builds on (its defaults list), in order."""
    path = pathlib.Path(CONFIG_DIR) / "experiment" / f"{name}.yaml"
    if not path.is_file():
        return []
    files = []
    for entry in OmegaConf.load(path).get("defaults", []) or []:
        if isinstance(entry, str) and entry != "_self_" and not entry.startswith("/"):
            files += experiment_files(entry)
    return files + [path]


def experiment_hint(err: UnknownOptions, experiment: str | None) -> str:
    """Which of the refused options an experiment file set, and the override that drops them: the options of
    a group the experiment configured stay when another group option is chosen (``policy=mlp``)."""
    if not experiment:
        return ""
    found = [(path, name) for path in experiment_files(experiment) for name in err.names
             if OmegaConf.select(OmegaConf.load(path), f"{err.where}.{name}", default=None) is not None]
    if not found:
        return ""
    origin = ", ".join(f"{err.where}.{name} ({path.relative_to(pathlib.Path(CONFIG_DIR).parent)})" for path, name in found)
    drop = " ".join(f"'~{err.where}.{name}'" for _, name in found)
    return f"\nthese came from experiment={experiment}: {origin}; drop them with {drop}"


def start_backend(cfg: DictConfig) -> None:
    """Start the simulator the ``backend`` group selects (conf/backend/; the JAX engine has nothing to start):
    ``BackendUnavailableError`` says why one cannot run here (``backend=dojo`` where Julia cannot start)."""
    if cfg.get("backend") is not None:
        from pydojo.backends import as_backend

        as_backend(OmegaConf.to_container(cfg.backend, resolve=True)).start()


def run(cfg: DictConfig, run_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Validate ``cfg``, check it against the record of a run being resumed, write the resolved config
    into ``run_dir`` and call its trainer."""
    if cfg.get("trainer") in (None, "???"):
        raise ValueError("no trainer selected: pass experiment=<name> (see conf/experiment/)")
    seed = cfg.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    loggers.selected(cfg.get("logger"))  # unknown logger options or missing libraries: refused before any work
    run_dir = pathlib.Path(run_dir if run_dir is not None else os.getcwd())
    trainer = get_method(cfg.trainer)
    kind = cfg.backend.get("kind", "jax") if cfg.get("backend") is not None else "jax"
    supported = getattr(sys.modules.get(trainer.__module__), "BACKENDS", None)  # None: any backend
    if supported is not None and kind not in supported:
        raise ValueError(f"trainer {cfg.trainer} runs on backend {' or '.join(supported)}, not backend={kind} "
                         "(the backend group selects the contact simulator)")
    start_backend(cfg)  # a backend that cannot run here (backend=dojo without Julia): refused before anything is written
    prepare_run_dir(run_dir, OmegaConf.to_container(cfg, resolve=True))
    return trainer(cfg, run_dir)


@hydra.main(config_path=CONFIG_DIR, config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    hydra_cfg = HydraConfig.get()
    try:
        run(cfg, hydra_cfg.runtime.output_dir)
    except (ValueError, BackendUnavailableError) as err:  # pydojo's own validation errors (and a backend that
        # cannot start, e.g. backend=dojo without Julia): one message, exit status 2
        if os.environ.get("PYDOJO_TRACEBACK") == "1":
            raise
        hint = experiment_hint(err, hydra_cfg.runtime.choices.get("experiment")) if isinstance(err, UnknownOptions) else ""
        print(f"pydojo-train: error: {err}{hint}\n(set PYDOJO_TRACEBACK=1 for the full traceback)", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
