"""Fig. 5 of the contact seed: ball throw-to-goal return against iteration for contact-aware μ,
constant μ's, μ → 0 and randomized smoothing, from saved runs of ``experiment=fig5`` (a goal beyond reach, best
approached by rolling) and, when saved, ``experiment=fig5_flight`` (a goal that only a flight reaches)."""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pydojo.figures.saved_runs import group_by_method, load_runs, mean_and_spread, save_figure  # noqa: E402

EXPERIMENT = "fig5"
PANELS = {"fig5": "goal beyond reach (best: roll)", "fig5_flight": "goal reached in flight"}


def main(out: pathlib.Path, runs: pathlib.Path = pathlib.Path("runs")) -> list[pathlib.Path]:
    found = {name: load_runs(runs, name) for name in PANELS}
    if not found[EXPERIMENT]:
        raise FileNotFoundError(f"no saved runs of experiment {EXPERIMENT!r} under {runs}: run "
                                f"`pydojo-train -m experiment=fig5 +sweep=fig5` first")
    panels = [name for name in PANELS if found[name]]
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4), squeeze=False)
    for ax, name in zip(axes[0], panels):
        _panel(ax, found[name], PANELS[name])
    path = save_figure(fig, pathlib.Path(out) / "fig5_ball_throw.png")
    return [path]


def _panel(ax, found: list[dict], title: str) -> None:
    for label, group in sorted(group_by_method(found).items()):
        last = max(r["metrics"][-1]["iteration"] for r in group)
        grid = np.arange(0, last + 1)
        mean, std = mean_and_spread(group, "iteration", "eval_return", grid)
        line, = ax.plot(grid, mean, label=f"{label} (n={len(group)})")
        ax.fill_between(grid, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    ax.set(xlabel="iteration", ylabel="return (−MSE at episode end)", title=f"Fig. 5: ball throw, {title}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
