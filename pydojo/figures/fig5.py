"""Fig. 5 of the contact seed: ball throw-to-goal return against iteration for contact-aware μ,
constant μ's, μ → 0 and randomized smoothing, from saved runs of ``experiment=fig5``."""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pydojo.figures.saved_runs import group_by_method, load_runs, mean_and_spread, save_figure  # noqa: E402

EXPERIMENT = "fig5"


def main(out: pathlib.Path, runs: pathlib.Path = pathlib.Path("runs")) -> list[pathlib.Path]:
    found = load_runs(runs, EXPERIMENT)
    if not found:
        raise FileNotFoundError(f"no saved runs of experiment {EXPERIMENT!r} under {runs}: run "
                                f"`pydojo-train -m experiment=fig5 +sweep=fig5` first")
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, group in sorted(group_by_method(found).items()):
        last = max(r["metrics"][-1]["iteration"] for r in group)
        grid = np.arange(0, last + 1)
        mean, std = mean_and_spread(group, "iteration", "eval_return", grid)
        line, = ax.plot(grid, mean, label=f"{label} (n={len(group)})")
        ax.fill_between(grid, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    ax.set(xlabel="iteration", ylabel="return (−MSE at episode end)", title="Fig. 5: throw the ball to the goal")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    path = save_figure(fig, pathlib.Path(out) / "fig5_ball_throw.png")
    return [path]
