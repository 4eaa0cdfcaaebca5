"""DiffOP learning curves (the seed's Fig. 2 setting, our runs): control cost of the deterministic
policy against training iteration, mean ± std over seeds, Step and Traj mode, one panel per task.

Reads runs/diffop_final/<task>_<mode>/<seed>/ (config.yaml + metrics.jsonl), written by
per task and mode
``pydojo-train -m experiment=diffop_<task> diffop=<mode> seed=0,1,2,3,4
hydra.sweep.dir=runs/diffop_final/<task>_<mode> 'hydra.sweep.subdir=seed${seed}'``.
The dashed line is the same policy class with the true θ (in Traj mode, H = T, the true optimal control).
"""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

from pydojo.figures.saved_runs import curve, finish_cost_axes, mean_and_spread, save_figure  # noqa: E402

FOLDER = "diffop_final"
TASKS = ("cartpole", "arm", "quadrotor")
MODES = ("step", "traj")
COMMAND = ("for each task in cartpole, arm, quadrotor and mode in step, traj: `pydojo-train -m experiment=diffop_<task> "
           "diffop=<mode> seed=0,1,2,3,4 hydra.sweep.dir=runs/diffop_final/<task>_<mode> 'hydra.sweep.subdir=seed${seed}'`")


def load_diffop_runs(folder: pathlib.Path) -> dict[tuple[str, str], list[dict]]:
    """{(task, mode): [run, ...]} for every DiffOP run (config.yaml + metrics.jsonl) under ``folder``."""
    import json

    groups: dict[tuple[str, str], list[dict]] = {}
    for config_path in sorted(pathlib.Path(folder).rglob("config.yaml")):
        metrics_path = config_path.parent / "metrics.jsonl"
        config = yaml.safe_load(config_path.read_text())
        if not (metrics_path.exists() and isinstance(config, dict) and config.get("trainer") == "pydojo.training.diffop.run"):
            continue
        rows = [json.loads(line) for line in metrics_path.read_text().splitlines() if line.strip()]
        if rows:
            key = (config["env"]["name"], config["diffop"]["mode"])
            groups.setdefault(key, []).append({"config": config, "metrics": rows, "path": config_path.parent})
    return groups


def main(out: pathlib.Path, runs: pathlib.Path = pathlib.Path("runs")) -> list[pathlib.Path]:
    folder = pathlib.Path(runs) / FOLDER
    groups = load_diffop_runs(folder) if folder.exists() else {}
    if not groups:
        raise FileNotFoundError(f"no DiffOP runs under {folder}: make them with: {COMMAND}")
    tasks = [t for t in TASKS if any((t, m) in groups for m in MODES)]
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.6 * len(tasks), 3.8), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for mode in MODES:
            group = groups.get((task, mode), [])
            if not group:
                continue
            last = max(curve(r, "iteration", "eval_cost")[0].max(initial=0) for r in group)
            grid = np.arange(0, int(last) + 1)
            evals = [r for r in group if curve(r, "iteration", "eval_cost")[0].size]
            mean, std = mean_and_spread(evals, "iteration", "eval_cost", grid)
            keep = np.isfinite(mean)
            line, = ax.plot(grid[keep], mean[keep], label=f"DiffOP ({mode.capitalize()}), n={len(evals)}")
            ax.fill_between(grid[keep], (mean - std)[keep], (mean + std)[keep], color=line.get_color(), alpha=0.2)
            reference = [r["metrics"][0].get("true_theta_cost") for r in group]
            reference = [v for v in reference if v is not None]
            if reference:
                ax.axhline(float(np.mean(reference)), color=line.get_color(), ls="--", lw=1,
                           label=f"θ_true ({mode.capitalize()})")
        finish_cost_axes(ax, task, "control cost", 7)
    fig.suptitle("DiffOP: control cost of the deterministic policy (mean ± std over seeds)", fontsize=10)
    return [save_figure(fig, pathlib.Path(out) / "fig_diffop_learning_curves.png")]
