"""Fig. 5 of the barrier-smoothing paper: ball throw-to-goal return against iteration for contact-aware μ,
constant μ's, μ → 0 and randomized smoothing, from saved runs of ``experiment=fig5`` (a goal beyond reach, best
approached by rolling) and, when saved, ``experiment=fig5_flight`` (a goal that only a flight reaches) and
``experiment=fig5_impact`` (a goal on the ground at a given impact velocity; one panel per initial throw)."""
from __future__ import annotations

import pathlib
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pydojo.figures.saved_runs import (curve, final_value, group_by_method, load_runs, mean_and_spread,  # noqa: E402
                                       on_grid, save_figure)

EXPERIMENT = "fig5"
PANELS = {"fig5": "goal beyond reach (best: roll)", "fig5_flight": "goal reached in flight",
          "fig5_impact": "goal at an impact velocity"}


def panels(runs: pathlib.Path) -> dict[str, list[dict]]:
    """Saved runs with at least one evaluation, per panel title: one panel per experiment, and per initial
    throw θ₀ (``policy.bias``) for fig5_impact."""
    out = {}
    for name, title in PANELS.items():
        for run in load_runs(runs, name):
            if not curve(run, "iteration", "eval_return")[1].size:
                continue  # killed before its first evaluation: nothing to draw or tabulate
            theta0 = tuple(float(b) for b in ((run["config"].get("policy") or {}).get("bias") or ()))
            key = f"{title}, θ₀ = ({', '.join(f'{b:g}' for b in theta0)})" if name == "fig5_impact" else title
            out.setdefault(key, []).append(run)
    return out


def main(out: pathlib.Path, runs: pathlib.Path = pathlib.Path("runs")) -> list[pathlib.Path]:
    if not load_runs(runs, EXPERIMENT):
        raise FileNotFoundError(f"no saved runs of experiment {EXPERIMENT!r} under {runs}: run "
                                f"`pydojo-train -m experiment=fig5 +sweep=fig5` first")
    found = panels(runs)
    cols = min(len(found), 2)
    rows = -(-len(found) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 4.2 * rows), squeeze=False)
    for ax, (title, group) in zip(axes.flat, found.items()):
        _panel(ax, group, title)
    for ax in list(axes.flat)[len(found):]:
        ax.set_visible(False)
    path = save_figure(fig, pathlib.Path(out) / "fig5_ball_throw.png")
    return [path]


def table(runs: pathlib.Path = pathlib.Path("runs")) -> str:
    """Markdown: per panel and method, the true-system return after the first and the last iteration
    (mean ± std over seeds), true-system throws (env steps) and wall-clock per run (means)."""
    lines = ["| task | method | seeds | iterations | after it. 0 | final | env steps | wall-clock / run |",
             "|---|---|---|---|---|---|---|---|"]
    for title, found in panels(runs).items():
        for label, group in sorted(group_by_method(found).items()):
            first = [curve(run, "iteration", "eval_return")[1][0] for run in group]
            final = [final_value(run, "eval_return") for run in group]
            iterations = max(r["metrics"][-1]["iteration"] + 1 for r in group)
            steps = np.mean([r["metrics"][-1].get("env_steps", np.nan) for r in group])
            wall = np.mean([r["metrics"][-1].get("wall_time", np.nan) for r in group])
            lines.append(f"| {title} | {label} | {len(group)} | {iterations} | {np.mean(first):.4f} ± {np.std(first):.4f} "
                         f"| {np.mean(final):.4f} ± {np.std(final):.4f} | {steps:,.0f} | {wall:.0f} s |")
    return "\n".join(lines)


def _panel(ax, found: list[dict], title: str) -> None:
    """Mean return over seeds with a mean ± std band; where the returns span decades (fig5_impact), the MSE
    (−return) on a log axis with a min–max band instead."""
    groups = sorted(group_by_method(found).items())
    values = np.concatenate([curve(r, "iteration", "eval_return")[1] for _, g in groups for r in g])
    log = values.size and values.min() < -1.0 and values.max() > -0.1
    for label, group in groups:
        last = max(r["metrics"][-1]["iteration"] for r in group)
        grid = np.arange(0, last + 1)
        if log:
            per_seed = np.array([on_grid(r, "iteration", "eval_return", grid) for r in group])
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns past every run's range
                line, = ax.plot(grid, -np.nanmean(per_seed, axis=0), label=f"{label} (n={len(group)})")
                ax.fill_between(grid, -np.nanmax(per_seed, axis=0), -np.nanmin(per_seed, axis=0), color=line.get_color(),
                                alpha=0.2)
        else:
            mean, std = mean_and_spread(group, "iteration", "eval_return", grid)
            line, = ax.plot(grid, mean, label=f"{label} (n={len(group)})")
            ax.fill_between(grid, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    if log:
        ax.set_yscale("log")
        ax.set(ylabel="MSE at episode end (−return; band: min–max)")
    else:
        ax.set(ylabel="return (−MSE at episode end)")
    ax.set(xlabel="iteration", title=f"Fig. 5: {title}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
