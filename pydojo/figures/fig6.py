"""Fig. 6 of the barrier-smoothing paper: hopper and halfcheetah learning curves (evaluation return) of
contact-aware analytical smoothing, constant μ and ARS, against environment steps and wall-clock,
mean ± std over seeds, from saved runs of ``experiment=fig6_<task>[_constant|_ars]`` (the first, 12-iteration
runs); ``main`` also draws the at-scale study of ``<runs>/fig6_scale/`` (``pydojo.figures.fig6_scale``)."""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pydojo.figures import fig6_scale  # noqa: E402
from pydojo.figures.saved_runs import (curve, final_value, load_runs, mean_and_spread, method_label,  # noqa: E402
                                       save_figure, with_run_time)

TASKS = ("hopper", "halfcheetah")
VARIANTS = ("", "_constant", "_ars")


def first_runs(runs: pathlib.Path, name: str) -> list[dict]:
    """Saved runs of ``name`` outside ``<runs>/fig6_scale`` (the at-scale study has its own figures)."""
    return [with_run_time(r) for r in load_runs(runs, name) if fig6_scale.FOLDER not in r["path"].parts]


def table(runs: pathlib.Path) -> list[dict]:
    """Per task and method: final eval return mean ± std over seeds, env steps and wall-clock (means)."""
    rows = []
    for task in TASKS:
        for variant in VARIANTS:
            found = first_runs(runs, f"fig6_{task}{variant}")
            if not found:
                continue
            finals = np.array([final_value(r, "eval_return") for r in found])
            initial = np.array([curve(r, "iteration", "eval_return")[1][0] for r in found])
            rows.append({"task": task, "method": method_label(found[0]["config"]), "seeds": len(found),
                         "iterations": float(np.mean([r["metrics"][-1]["iteration"] + 1 for r in found])),
                         "initial_mean": float(np.mean(initial)), "initial_std": float(np.std(initial)),
                         "return_mean": float(np.mean(finals)), "return_std": float(np.std(finals)),
                         "env_steps": float(np.mean([r["metrics"][-1]["env_steps"] for r in found])),
                         "wall_clock_s": float(np.mean([r["metrics"][-1]["wall_time"] for r in found])),
                         "run_time_s": float(np.mean([r["metrics"][-1]["run_time"] for r in found]))})
    return rows


def main(out: pathlib.Path, runs: pathlib.Path = pathlib.Path("runs")) -> list[pathlib.Path]:
    paths = []
    for task in TASKS:
        groups = {v: first_runs(runs, f"fig6_{task}{v}") for v in VARIANTS}
        groups = {v: g for v, g in groups.items() if g}
        if not groups:
            continue
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for ax, x in zip(axes, ("env_steps", "run_time")):
            for variant, group in groups.items():
                xmax = min(curve(r, x, "eval_return")[0][-1] for r in group)
                grid = np.linspace(0, xmax, 60)
                mean, std = mean_and_spread(group, x, "eval_return", grid)
                line, = ax.plot(grid, mean, label=f"{method_label(group[0]['config'])} (n={len(group)})")
                ax.fill_between(grid, mean - std, mean + std, color=line.get_color(), alpha=0.2)
            xlabel = "environment steps" if x == "env_steps" else "wall-clock after iteration 0 (s, compilation excluded)"
            ax.set(xlabel=xlabel, ylabel="evaluation return",
                   title=f"Fig. 6: {task}")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        path = save_figure(fig, pathlib.Path(out) / f"fig6_{task}.png")
        paths.append(path)
    try:
        paths += fig6_scale.main(out, runs)
    except FileNotFoundError as err:
        if not paths:
            raise FileNotFoundError(f"no saved runs of fig6_hopper*/fig6_halfcheetah* under {runs}: make them with "
                                    "pydojo-train -m experiment=fig6_hopper,fig6_hopper_constant,fig6_hopper_ars "
                                    f"+sweep=fig6 (and the same for fig6_halfcheetah); and {err}") from None
    return paths
